//! The status screen on the framework: real layout and strings, the last run, "check now", the notification permission, languages.
package app.veto.ui

import android.Manifest
import android.app.NotificationManager
import android.os.Build
import android.view.View
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView
import app.veto.R
import app.veto.testing.Framework
import app.veto.testing.VetoTestRunner
import app.veto.trigger.SweepJob
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.io.File

@RunWith(VetoTestRunner::class)
class StatusActivityTest {
    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    private val snapshot = """{"last_run_at": 1795363200000, "role": "delegate", "delegated_scopes": ["delegation-package-access"],
        "can_hide_and_suspend": true, "can_uninstall_silently": false, "can_block_uninstall": false,
        "policy_version": 7, "policy_source": "feed", "compliant": false,
        "findings": [{"package": "com.zhiliaoapp.musically", "label": "TikTok", "status": "due", "step": "warn", "action": "warn",
                      "deadline": "2026-12-13T09:00:00Z", "reason": "Barred from work phones."}],
        "last_sync_at": 1795363200000, "sync_status": "updated", "last_report_at": null, "report_status": null}"""

    private fun writeStatus() = File(Framework.app.noBackupFilesDir.apply { mkdirs() }, "veto-status.json").writeText(snapshot)

    private fun StatusActivity.text(id: Int) = findViewById<TextView>(id)!!.text.toString()

    @Test
    fun `it shows the policy, the role and what it allows, each finding and the times`() {
        writeStatus()
        val activity = Robolectric.buildActivity(StatusActivity::class.java).setup().get()
        assertEquals("Policy in force: version 7, from your organisation’s policy feed.", activity.text(R.id.status_policy))
        assertEquals("Veto’s role: delegate of your organisation’s device management app.", activity.text(R.id.status_role))
        assertEquals("Veto can: find barred apps, warn you and report, suspend and hide apps.", activity.text(R.id.status_allows))
        val findings = activity.findViewById<LinearLayout>(R.id.status_findings)!!
        val line = (findings.getChildAt(0) as TextView).text.toString()
        assertEquals("TikTok: Warn. Deadline: 13 December 2026. Reason: Barred from work phones.", line)
        val times = activity.text(R.id.status_times)
        assertTrue(times, times.contains("Last report sent: never"))
        assertEquals(View.GONE, activity.findViewById<TextView>(R.id.status_core)!!.visibility)
    }

    @Test
    fun `a build without the verifier's Kotlin half says HTTPS is unavailable`() {
        // The harness, like the CI APK, lacks org.rustls.platformverifier (BuildFeatures); the
        // Robolectric classpath has a stand-in enterprise-feedback sink, so only HTTPS is missing.
        val activity = Robolectric.buildActivity(StatusActivity::class.java).setup().get()
        val build = activity.findViewById<TextView>(R.id.status_build)!!
        assertEquals(View.VISIBLE, build.visibility)
        assertEquals(
            "This build of Veto cannot fetch the policy feed or send compliance reports (no HTTPS); it enforces the managed configuration.",
            build.text.toString(),
        )
    }

    @Test
    @Config(qualifiers = "nl")
    fun `it speaks Dutch on a Dutch phone`() {
        writeStatus()
        val activity = Robolectric.buildActivity(StatusActivity::class.java).setup().get()
        assertEquals("Geldend beleid: versie 7, uit de beleidsfeed van je organisatie.", activity.text(R.id.status_policy))
        assertEquals("Nu controleren", activity.findViewById<Button>(R.id.status_check_now)!!.text.toString())
        assertTrue(activity.text(R.id.status_build).startsWith("Deze versie van Veto kan de beleidsfeed niet ophalen"))
    }

    @Test
    fun `before the first run it says so`() {
        val activity = Robolectric.buildActivity(StatusActivity::class.java).setup().get()
        val findings = activity.findViewById<LinearLayout>(R.id.status_findings)!!
        assertEquals("Veto has not checked this work profile yet.", (findings.getChildAt(0) as TextView).text.toString())
        assertTrue(activity.text(R.id.status_policy).startsWith("Policy in force: not known yet"))
    }

    @Test
    fun `check now enqueues the scan job and confirms it to TalkBack users`() {
        Framework.jobs.cancelAll()
        val activity = Robolectric.buildActivity(StatusActivity::class.java).setup().get()
        val button = activity.findViewById<Button>(R.id.status_check_now)!!
        assertEquals("Check the work profile for barred apps now", button.contentDescription.toString())
        assertTrue(button.performClick())
        assertNotNull(Framework.jobs.getPendingJob(SweepJob.SCAN_NOW_JOB_ID))
        val result = activity.findViewById<TextView>(R.id.status_check_result)!!
        assertEquals(View.VISIBLE, result.visibility)
        assertEquals(View.ACCESSIBILITY_LIVE_REGION_POLITE, result.accessibilityLiveRegion)
    }

    @Test
    fun `it asks for notifications on Android 13 and later when nobody granted them`() {
        shadowOf(Framework.app).denyPermissions(Manifest.permission.POST_NOTIFICATIONS)
        val activity = Robolectric.buildActivity(StatusActivity::class.java).setup().get()
        val request = shadowOf(activity).lastRequestedPermission
        if (Build.VERSION.SDK_INT >= 33) {
            assertNotNull("POST_NOTIFICATIONS requested", request)
            assertEquals(listOf(Manifest.permission.POST_NOTIFICATIONS), request!!.requestedPermissions.toList())
            assertEquals(View.VISIBLE, activity.findViewById<TextView>(R.id.status_notifications)!!.visibility)
        } else {
            assertNull("no runtime notification permission before API 33", request)
        }
    }

    @Test
    fun `it does not ask when notifications are granted (by the employee or the owner)`() {
        shadowOf(Framework.app).grantPermissions(Manifest.permission.POST_NOTIFICATIONS)
        val activity = Robolectric.buildActivity(StatusActivity::class.java).setup().get()
        assertNull(shadowOf(activity).lastRequestedPermission)
        assertEquals(View.GONE, activity.findViewById<TextView>(R.id.status_notifications)!!.visibility)
    }

    @Test
    fun `blocked notifications are pointed out`() {
        shadowOf(Framework.app).grantPermissions(Manifest.permission.POST_NOTIFICATIONS)
        shadowOf(Framework.app.getSystemService(NotificationManager::class.java)).setNotificationsEnabled(false)
        val activity = Robolectric.buildActivity(StatusActivity::class.java).setup().get()
        assertEquals(View.VISIBLE, activity.findViewById<TextView>(R.id.status_notifications)!!.visibility)
    }
}
