//! Manifest receiver for the few broadcasts an app targeting API 26+ still gets without running.
package app.veto.trigger

import android.app.admin.DevicePolicyManager
import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import app.veto.run.Scans

/**
 * Boot (`BOOT_COMPLETED`, exempt from the implicit-broadcast limits), Veto's own update
 * (`MY_PACKAGE_REPLACED`) and a change of Veto's delegated scopes: each schedules the periodic
 * sweep again and scans once. Not exported: these come from the system, which may always
 * deliver to a non-exported receiver, and nobody else may fake them.
 */
class BootReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        if (intent.action !in HANDLED) return
        SweepJob.ensureScheduled(context)
        val pending = goAsync()
        Scans.request(context, intent.action ?: "boot") { pending.finish() }
    }

    companion object {
        val HANDLED = setOf(
            Intent.ACTION_BOOT_COMPLETED,
            Intent.ACTION_MY_PACKAGE_REPLACED,
            DevicePolicyManager.ACTION_APPLICATION_DELEGATION_SCOPES_CHANGED,
        )
    }
}
