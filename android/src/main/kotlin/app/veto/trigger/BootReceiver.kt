//! Manifest receiver for the few broadcasts an app targeting API 26+ still gets without running.
package app.veto.trigger

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent

/**
 * Boot (`BOOT_COMPLETED`, exempt from the implicit-broadcast limits) and Veto's own update
 * (`MY_PACKAGE_REPLACED`): schedules the periodic sweep again and enqueues one scan, then
 * returns; the scan runs in the job, never within the broadcast's time limit. Not exported:
 * these come from the system, which may always deliver to a non-exported receiver.
 *
 * The delegated-scopes broadcast is not here: it is sent only to receivers registered at run
 * time ([ChangeReceiver]).
 */
class BootReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        if (intent.action !in HANDLED) return
        SweepJob.ensureScheduled(context)
        Scans.request(context, intent.action ?: "boot")
    }

    companion object {
        val HANDLED = setOf(
            Intent.ACTION_BOOT_COMPLETED,
            Intent.ACTION_MY_PACKAGE_REPLACED,
        )
    }
}
