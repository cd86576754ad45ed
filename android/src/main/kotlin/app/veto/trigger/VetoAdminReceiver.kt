//! Veto's DeviceAdminReceiver, used when Veto itself is the device or profile owner.
package app.veto.trigger

import android.app.admin.DeviceAdminReceiver
import android.app.admin.DevicePolicyManager
import android.content.ComponentName
import android.content.Context
import android.content.Intent
import android.util.Log
import app.veto.run.Scans

/**
 * When Veto is the DPC its admin component is the `admin` argument of every
 * DevicePolicyManager call. Enabling it, or finishing work-profile provisioning, starts
 * enforcement at once instead of waiting for the first sweep.
 */
class VetoAdminReceiver : DeviceAdminReceiver() {
    override fun onEnabled(context: Context, intent: Intent) {
        SweepJob.ensureScheduled(context)
        val pending = goAsync()
        Scans.request(context, "device admin enabled") { pending.finish() }
    }

    /**
     * Runs inside the new work profile when Veto provisioned it as profile owner: the profile
     * stays disabled until its owner enables it.
     */
    override fun onProfileProvisioningComplete(context: Context, intent: Intent) {
        val dpm = context.getSystemService(DevicePolicyManager::class.java)
        val admin = ComponentName(context, VetoAdminReceiver::class.java)
        if (dpm != null && dpm.isProfileOwnerApp(context.packageName)) {
            try {
                dpm.setProfileEnabled(admin)
            } catch (e: SecurityException) {
                Log.e("Veto", "could not enable the work profile", e)
            }
        }
        SweepJob.ensureScheduled(context)
        val pending = goAsync()
        Scans.request(context, "profile provisioning complete") { pending.finish() }
    }
}
