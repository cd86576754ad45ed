//! The framework side of [DevicePolicyPort]: DevicePolicyManager and PackageInstaller.
package app.veto.act

import android.Manifest
import android.app.PendingIntent
import android.app.admin.DevicePolicyManager
import android.content.BroadcastReceiver
import android.content.ComponentName
import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.content.pm.PackageInstaller
import android.os.Build
import android.os.Handler
import android.os.HandlerThread
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicReference

/**
 * [admin] is Veto's DeviceAdminReceiver when Veto is the device or profile owner, and `null`
 * when Veto acts as a delegate (DevicePolicyManager's rule for delegated scopes).
 */
class AndroidDevicePolicy(
    private val context: Context,
    private val admin: ComponentName?,
    private val uninstallTimeoutSeconds: Long = 60,
) : DevicePolicyPort {
    private val dpm: DevicePolicyManager = requireNotNull(context.getSystemService(DevicePolicyManager::class.java)) { "no DevicePolicyManager on this device" }

    override fun setSuspended(packageName: String, suspended: Boolean): Boolean =
        // Returns the packages that could not be (un)suspended.
        dpm.setPackagesSuspended(admin, arrayOf(packageName), suspended).isEmpty()

    override fun setHidden(packageName: String, hidden: Boolean): Boolean =
        dpm.setApplicationHidden(admin, packageName, hidden)

    override fun setUninstallBlocked(packageName: String, blocked: Boolean) =
        dpm.setUninstallBlocked(admin, packageName, blocked)

    override fun setUserControlDisabled(packages: List<String>): Boolean {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.R) return false
        dpm.setUserControlDisabledPackages(requireAdmin(), packages)
        return true
    }

    override fun grantNotifications(packageName: String): Boolean {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.TIRAMISU) return false
        return dpm.setPermissionGrantState(
            requireAdmin(), packageName, Manifest.permission.POST_NOTIFICATIONS,
            DevicePolicyManager.PERMISSION_GRANT_STATE_GRANTED,
        )
    }

    override fun setSupportMessages(short: String, long: String) {
        val owner = requireAdmin()
        dpm.setShortSupportMessage(owner, short)
        dpm.setLongSupportMessage(owner, long)
    }

    /** The owner-only calls need the admin component; a delegate has none. */
    private fun requireAdmin(): ComponentName =
        admin ?: throw SecurityException("only the device or profile owner may do this, and Veto is not the owner")

    /**
     * Asks PackageInstaller to remove the app and waits for its status broadcast. The wait runs
     * on the enforcement thread (never the main thread); the receiver runs on its own thread.
     */
    override fun uninstall(packageName: String): UninstallStatus {
        val action = "app.veto.UNINSTALL_STATUS.$packageName.${System.nanoTime()}"
        val result = AtomicReference<UninstallStatus>()
        val latch = CountDownLatch(1)
        val receiver = object : BroadcastReceiver() {
            override fun onReceive(c: Context, intent: Intent) {
                result.set(statusOf(intent, packageName))
                latch.countDown()
            }
        }
        val thread = HandlerThread("veto-uninstall").apply { start() }
        try {
            val filter = IntentFilter(action)
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
                context.registerReceiver(receiver, filter, null, Handler(thread.looper), Context.RECEIVER_NOT_EXPORTED)
            } else {
                context.registerReceiver(receiver, filter, null, Handler(thread.looper))
            }
            try {
                // Mutable: PackageInstaller fills in the status extras (the flag exists from API 31;
                // before that every PendingIntent was mutable).
                val mutable = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) PendingIntent.FLAG_MUTABLE else 0
                val pending = PendingIntent.getBroadcast(
                    context,
                    action.hashCode(),
                    Intent(action).setPackage(context.packageName),
                    PendingIntent.FLAG_UPDATE_CURRENT or mutable,
                )
                confirmations.remove(packageName)
                context.packageManager.packageInstaller.uninstall(packageName, pending.intentSender)
                if (!latch.await(uninstallTimeoutSeconds, TimeUnit.SECONDS)) {
                    return UninstallStatus.Failed("no answer from PackageInstaller within $uninstallTimeoutSeconds s")
                }
                return result.get()
            } finally {
                context.unregisterReceiver(receiver)
            }
        } finally {
            thread.quitSafely()
        }
    }

    companion object {
        /**
         * The system confirmation screens of uninstalls that wait for the employee, by package,
         * for [AndroidNotifier] to open from the notice. Kept for the life of the process; a
         * later run that asks again replaces the entry.
         */
        private val confirmations = ConcurrentHashMap<String, Intent>()

        /**
         * What PackageInstaller's status broadcast says about removing [packageName]. For
         * `STATUS_PENDING_USER_ACTION` the system's confirmation screen (`EXTRA_INTENT`) is kept
         * for the notice, which opens it when tapped.
         */
        fun statusOf(intent: Intent, packageName: String): UninstallStatus {
            val status = intent.getIntExtra(PackageInstaller.EXTRA_STATUS, PackageInstaller.STATUS_FAILURE)
            val message = intent.getStringExtra(PackageInstaller.EXTRA_STATUS_MESSAGE)
            return when (status) {
                PackageInstaller.STATUS_SUCCESS -> UninstallStatus.Removed
                PackageInstaller.STATUS_PENDING_USER_ACTION -> {
                    confirmationIntent(intent)?.let { confirmations[packageName] = it }
                    UninstallStatus.NeedsUser("the platform asked the user to confirm removing $packageName")
                }
                else -> UninstallStatus.Failed("PackageInstaller status $status: ${message ?: "no message"}")
            }
        }

        /** The confirmation to open for [packageName], if the platform handed one over. */
        fun confirmationFor(packageName: String): Intent? = confirmations[packageName]

        private fun confirmationIntent(status: Intent): Intent? =
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
                status.getParcelableExtra(Intent.EXTRA_INTENT, Intent::class.java)
            } else {
                @Suppress("DEPRECATION")
                status.getParcelableExtra(Intent.EXTRA_INTENT)
            }
    }
}
