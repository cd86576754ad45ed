//! Shows notices as notifications on one channel (the framework side of [Notifier]).
package app.veto.act

import android.app.Notification
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.net.Uri
import android.provider.Settings

/**
 * Thin by design: the text comes from [NoticeTexts]. Each app gets its own notification
 * (tagged with its package name) so a later run replaces or withdraws exactly that one.
 * Tapping an unresolved notice opens the app's settings page, where the employee can remove it,
 * or, for an uninstall the platform handed to the employee, the system's confirmation.
 */
class AndroidNotifier(private val context: Context, private val language: NoticeLanguage) : Notifier {
    private val nm: NotificationManager = requireNotNull(context.getSystemService(NotificationManager::class.java)) { "no NotificationManager on this device" }

    override fun canPostNotices(): Boolean = nm.areNotificationsEnabled()

    override fun post(notice: Notice) {
        ensureChannel()
        val builder = Notification.Builder(context, CHANNEL_ID)
            .setSmallIcon(android.R.drawable.stat_sys_warning)
            .setContentTitle(notice.title)
            .setContentText(notice.body)
            .setStyle(Notification.BigTextStyle().bigText(notice.body))
            .setCategory(Notification.CATEGORY_STATUS)
            .setOnlyAlertOnce(true)
        if (!notice.resolved) {
            // An uninstall waiting for the employee opens the system's own confirmation;
            // anything else the app's settings page, where the employee can remove it.
            val confirmation = if (notice.confirm) AndroidDevicePolicy.confirmationFor(notice.packageName) else null
            val details = (confirmation?.let(::Intent) ?: Intent(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, Uri.fromParts("package", notice.packageName, null)))
                .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)
            builder.setContentIntent(
                PendingIntent.getActivity(
                    context,
                    notice.packageName.hashCode(),
                    details,
                    PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
                ),
            )
        }
        val notification = builder.build()
        // One notice per app: replacing "please remove" by "removed" must cancel the former.
        if (notice.resolved) nm.cancel(notice.packageName, NOTIFICATION_ID) else nm.cancel(notice.packageName, RESOLVED_ID)
        nm.notify(notice.packageName, if (notice.resolved) RESOLVED_ID else NOTIFICATION_ID, notification)
    }

    override fun withdraw(packageName: String) {
        nm.cancel(packageName, NOTIFICATION_ID)
        nm.cancel(packageName, RESOLVED_ID)
    }

    override fun withdrawAllExcept(keep: Set<String>) {
        for (shown in nm.activeNotifications) {
            val tag = shown.tag ?: continue
            if (shown.id == NOTIFICATION_ID && tag !in keep) nm.cancel(tag, NOTIFICATION_ID)
        }
    }

    /** Creating an existing channel again only updates its name (e.g. after a language change). */
    private fun ensureChannel() {
        nm.createNotificationChannel(NotificationChannel(CHANNEL_ID, language.channelName, NotificationManager.IMPORTANCE_DEFAULT))
    }

    companion object {
        const val CHANNEL_ID = "veto_notices"
        /** Notices that still ask something of the employee, or describe a step in effect. */
        private const val NOTIFICATION_ID = 1

        /** Notices of a finished removal; never withdrawn by [withdrawAllExcept]. */
        private const val RESOLVED_ID = 2
    }
}
