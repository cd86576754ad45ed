//! Answers ADMIN_POLICY_COMPLIANCE at the end of provisioning (Android 12+): Veto sets itself up as the owner and says it is done.
package app.veto.ui

import android.app.Activity
import android.os.Bundle
import android.util.Log
import app.veto.trigger.Scans
import app.veto.trigger.SweepJob

/**
 * The platform starts this once Veto is the owner and waits for `RESULT_OK` before it lets the
 * employee go on. Veto's set-up is quick (DevicePolicyManager calls on itself: self-protection,
 * notifications, support messages), so it is done here and the first scan is enqueued as a job.
 * A step that fails is logged and retried on every run; it never fails provisioning. Only the
 * system may start it (`BIND_DEVICE_ADMIN` in the manifest).
 */
class PolicyComplianceActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        try {
            Scans.setUpOwner(this).filter { !it.done }.forEach { Log.w("Veto", it.detail) }
        } catch (e: RuntimeException) {
            Log.e("Veto", "owner set-up failed; every scan tries again", e)
        }
        SweepJob.ensureScheduled(this)
        Scans.request(this, "provisioning finished")
        setResult(RESULT_OK)
        finish()
    }
}
