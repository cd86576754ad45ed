//! AndroidNotifier against Robolectric's NotificationManager: one notice per app, replaced and withdrawn; taps open the right screen.
package app.veto.act

import android.app.NotificationManager
import android.content.Intent
import android.provider.Settings
import app.veto.testing.Framework
import app.veto.testing.VetoTestRunner
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf

@RunWith(VetoTestRunner::class)
class AndroidNotifierTest {
    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    private val nm get() = Framework.app.getSystemService(NotificationManager::class.java)!!
    private val notifier get() = AndroidNotifier(Framework.app, NoticeTexts.DUTCH)

    private fun shown() = nm.activeNotifications.map { it.tag to it.id }.toSet()

    @Test
    fun `a notice is posted on Veto's channel, in the employee's language, and opens the app's settings`() {
        notifier.post(Notice("com.zhiliaoapp.musically", "Verwijder TikTok", "TikTok is niet toegestaan."))
        val posted = nm.activeNotifications.single()
        assertEquals("com.zhiliaoapp.musically", posted.tag)
        assertEquals(AndroidNotifier.CHANNEL_ID, posted.notification.channelId)
        assertEquals("Naleving werkapps", nm.getNotificationChannel(AndroidNotifier.CHANNEL_ID).name.toString())
        val tap = shadowOf(posted.notification.contentIntent).savedIntent
        assertEquals(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, tap.action)
        assertEquals("package:com.zhiliaoapp.musically", tap.data.toString())
    }

    @Test
    fun `a resolved notice replaces the open one and survives withdrawing the rest`() {
        notifier.post(Notice("a", "t", "b"))
        notifier.post(Notice("b", "t", "b"))
        notifier.post(Notice("a", "removed", "b", resolved = true))
        assertEquals(2, nm.activeNotifications.size)
        notifier.withdrawAllExcept(emptySet())
        // b's open notice is withdrawn; a's "removed" notice stays.
        assertEquals(setOf("a"), nm.activeNotifications.map { it.tag }.toSet())
        notifier.withdraw("a")
        assertTrue(shown().isEmpty())
    }

    @Test
    fun `an uninstall waiting for the employee opens the system's confirmation`() {
        val pkg = "com.example.confirm"
        val confirmation = Intent("android.intent.action.UNINSTALL_PACKAGE").putExtra("marker", 7)
        // As AndroidDevicePolicy keeps it when PackageInstaller answers STATUS_PENDING_USER_ACTION.
        val field = AndroidDevicePolicy::class.java.getDeclaredField("confirmations").apply { isAccessible = true }
        @Suppress("UNCHECKED_CAST")
        (field.get(null) as MutableMap<String, Intent>)[pkg] = confirmation
        notifier.post(Notice(pkg, "Bevestig", "body", confirm = true))
        val tap = shadowOf(nm.activeNotifications.single().notification.contentIntent).savedIntent
        assertEquals("android.intent.action.UNINSTALL_PACKAGE", tap.action)
        assertEquals(7, tap.getIntExtra("marker", 0))
        assertTrue(tap.flags and Intent.FLAG_ACTIVITY_NEW_TASK != 0)
    }

    @Test
    fun `notifications turned off are reported as such`() {
        assertTrue(notifier.canPostNotices())
        shadowOf(nm).setNotificationsEnabled(false)
        assertFalse(notifier.canPostNotices())
        assertNotNull(notifier)
    }
}
