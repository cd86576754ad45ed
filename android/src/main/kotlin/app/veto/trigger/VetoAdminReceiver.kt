//! Veto's DeviceAdminReceiver, used when Veto itself is the device or profile owner.
package app.veto.trigger

import android.app.admin.DeviceAdminReceiver
import android.app.admin.DevicePolicyManager
import android.content.ComponentName
import android.content.Context
import android.content.Intent
import android.util.Log
import app.veto.R

/**
 * When Veto is the DPC its admin component is the `admin` argument of every
 * DevicePolicyManager call. Enabling it, or finishing work-profile provisioning, enqueues a
 * scan at once instead of waiting for the first sweep; the scan runs in the job.
 */
class VetoAdminReceiver : DeviceAdminReceiver() {
    override fun onEnabled(context: Context, intent: Intent) {
        SweepJob.ensureScheduled(context)
        Scans.request(context, "device admin enabled")
    }

    /**
     * Runs inside the new work profile when Veto provisioned it as profile owner: the profile
     * stays disabled until its owner enables it, and gets the name the employee sees.
     */
    override fun onProfileProvisioningComplete(context: Context, intent: Intent) {
        val dpm = context.getSystemService(DevicePolicyManager::class.java)
        val admin = ComponentName(context, VetoAdminReceiver::class.java)
        if (dpm != null && dpm.isProfileOwnerApp(context.packageName)) {
            try {
                dpm.setProfileName(admin, context.getString(R.string.work_profile_name))
                dpm.setProfileEnabled(admin)
            } catch (e: SecurityException) {
                Log.e("Veto", "could not enable the work profile", e)
            }
            Scans.setUpOwner(context).filter { !it.done }.forEach { Log.w("Veto", it.detail) }
        }
        SweepJob.ensureScheduled(context)
        Scans.request(context, "profile provisioning complete")
    }
}
