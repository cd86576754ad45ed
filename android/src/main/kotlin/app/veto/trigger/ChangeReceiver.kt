//! Run-time receiver for package, managed-configuration and delegated-scope changes.
package app.veto.trigger

import android.app.admin.DevicePolicyManager
import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.os.Build

/**
 * Package added/replaced/changed/removed and `ACTION_APPLICATION_RESTRICTIONS_CHANGED` reach
 * apps targeting API 26+ only through a receiver registered at run time, and
 * `ACTION_APPLICATION_DELEGATION_SCOPES_CHANGED` is sent with `FLAG_RECEIVER_REGISTERED_ONLY`;
 * so this one lives as long as the process does (registered from [VetoApplication]), and the
 * periodic [SweepJob] covers the time the process is not running. It only enqueues a scan.
 */
class ChangeReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        val changed = intent.data?.schemeSpecificPart
        // Veto's own component changes are not news.
        if (changed != null && changed == context.packageName) return
        Scans.request(context, "${intent.action} ${changed ?: ""}".trim())
    }

    companion object {
        fun packageFilter() = IntentFilter().apply {
            addAction(Intent.ACTION_PACKAGE_ADDED)
            addAction(Intent.ACTION_PACKAGE_REPLACED)
            addAction(Intent.ACTION_PACKAGE_CHANGED)
            // A removal can make the profile compliant: report that promptly.
            addAction(Intent.ACTION_PACKAGE_REMOVED)
            addDataScheme("package")
        }

        /** Managed configuration and delegated scopes: both change what Veto may or must do. */
        fun policyFilter() = IntentFilter().apply {
            addAction(Intent.ACTION_APPLICATION_RESTRICTIONS_CHANGED)
            addAction(DevicePolicyManager.ACTION_APPLICATION_DELEGATION_SCOPES_CHANGED)
        }

        /** Registers both filters. System broadcasts still arrive with RECEIVER_NOT_EXPORTED; nothing else can. */
        fun register(context: Context): ChangeReceiver {
            val receiver = ChangeReceiver()
            for (filter in listOf(packageFilter(), policyFilter())) {
                if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
                    context.registerReceiver(receiver, filter, Context.RECEIVER_NOT_EXPORTED)
                } else {
                    context.registerReceiver(receiver, filter)
                }
            }
            return receiver
        }
    }
}
