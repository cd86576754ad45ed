//! End-to-end scenarios: the real shell on Robolectric's framework with the real libveto.so, asserting what the framework then holds.
package app.veto.scenario

import android.app.NotificationManager
import android.app.admin.DevicePolicyManager
import android.content.ComponentName
import android.content.Intent
import android.content.RestrictionsManager
import android.os.Bundle
import android.os.Looper
import app.veto.act.AndroidDevicePolicy
import app.veto.act.AndroidNotifier
import app.veto.act.DevicePolicyPort
import app.veto.act.EnterpriseFeedbackSink
import app.veto.act.NoticeTexts
import app.veto.configure.AndroidConfigurationSource
import app.veto.core.NativeCore
import app.veto.observe.AndroidCapabilitySource
import app.veto.observe.AndroidPackageSource
import app.veto.observe.Inventory
import app.veto.run.Clock
import app.veto.run.EnforcementRun
import app.veto.run.RunReport
import app.veto.testing.Framework
import app.veto.testing.SandboxNative
import app.veto.testing.ShadowOwnerDevicePolicyManager
import app.veto.testing.VetoTestRunner
import app.veto.trigger.Scans
import app.veto.trigger.SweepJob
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.io.File
import java.time.ZoneOffset

@RunWith(VetoTestRunner::class)
@Config(shadows = [ShadowOwnerDevicePolicyManager::class])
class EndToEndTest {
    private val tiktok = "com.zhiliaoapp.musically"
    private val day = 24L * 60 * 60 * 1000
    private val start = 1_795_363_200_000L

    private val nm get() = Framework.app.getSystemService(NotificationManager::class.java)!!

    @Before
    fun needsLibrary() {
        assumeTrue("libveto.so not built", SandboxNative.available)
        EnterpriseFeedbackSink.take()
    }

    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    private fun configure(vararg values: Pair<String, Any>) {
        val bundle = Bundle()
        for ((k, v) in values) when (v) {
            is String -> bundle.putString(k, v)
            is Int -> bundle.putInt(k, v)
            is Boolean -> bundle.putBoolean(k, v)
            else -> error("unsupported $v")
        }
        shadowOf(Framework.app.getSystemService(RestrictionsManager::class.java)).setApplicationRestrictions(bundle)
    }

    private fun runAt(millis: Long): RunReport {
        val report = Scans.enforcementRun(Framework.app, Clock { millis }).run()
        assertNull(report.error, report.error)
        return report
    }

    private fun notice(pkg: String) = nm.activeNotifications.firstOrNull { it.tag == pkg }?.notification

    private fun suspended(pkg: String, admin: ComponentName = Framework.admin) = Framework.dpm.isPackageSuspended(admin, pkg)

    @Test
    fun `profile owner - TikTok installed after start is warned, suspended after the grace period, and reversed when the rule is lifted`() {
        Framework.makeProfileOwner()
        shadowOf(Framework.app).grantPermissions(android.Manifest.permission.POST_NOTIFICATIONS)
        configure("enforcement_action" to "suspend", "grace_period_days" to 14)
        assertEquals(true, runAt(start).plan!!.compliant)

        Framework.install(tiktok, label = "TikTok")
        val warned = runAt(start + 60_000)
        assertEquals(listOf("warn"), warned.plan!!.actions.filter { it.packageName == tiktok }.map { it.action })
        assertEquals("Please remove TikTok", notice(tiktok)!!.extras.getString("android.title"))
        assertFalse(suspended(tiktok))

        runAt(start + 15 * day)
        assertTrue("suspended after the grace period", suspended(tiktok))
        assertEquals("TikTok has been suspended", notice(tiktok)!!.extras.getString("android.title"))
        // The owner's set-up ran with the scan.
        assertTrue(Framework.dpm.isUninstallBlocked(Framework.admin, "app.veto"))

        configure("enforcement_action" to "suspend", "grace_period_days" to 14, "use_builtin_catalog" to false)
        val lifted = runAt(start + 16 * day)
        assertTrue(lifted.plan!!.compliant)
        assertFalse("reversed once no rule bars it", suspended(tiktok))
        assertNull("the notice is withdrawn", notice(tiktok))
    }

    @Test
    fun `delegate with PACKAGE_ACCESS suspends through the EMM's grant`() {
        val emm = ComponentName("com.example.emm", "com.example.emm.Admin")
        Framework.install("com.example.emm")
        Framework.shadowDpm.setProfileOwner(emm)
        Framework.shadowDpm.setActiveAdmin(emm)
        Framework.dpm.setDelegatedScopes(emm, "app.veto", listOf(DevicePolicyManager.DELEGATION_PACKAGE_ACCESS))
        configure("enforcement_action" to "suspend", "grace_period_days" to 0)
        Framework.install(tiktok, label = "TikTok")
        runAt(start)
        runAt(start + day)
        assertTrue(suspended(tiktok, emm))
        assertFalse("the EMM's agent is never touched", suspended("com.example.emm", emm))
    }

    @Test
    fun `unprivileged - report only, nothing acted on`() {
        configure("enforcement_action" to "suspend", "grace_period_days" to 0)
        Framework.install(tiktok, label = "TikTok")
        runAt(start)
        val later = runAt(start + day)
        assertFalse(later.plan!!.compliant)
        // Nothing attempted through DevicePolicyManager, and the package is untouched.
        assertTrue(later.outcomes.none { it.action in setOf("suspend", "hide", "uninstall") && it.result.json == "done" })
        val flags = Framework.app.packageManager.getApplicationInfo(tiktok, 0).flags
        assertEquals(0, flags and android.content.pm.ApplicationInfo.FLAG_SUSPENDED)
        val states = EnterpriseFeedbackSink.take()
        assertTrue(states.any { it.key == "finding:$tiktok" })
        assertTrue(states.any { it.key == EnforcementRun.HEARTBEAT_KEY })
    }

    @Test
    fun `notifications permission missing - the warning fails and says why`() {
        Framework.makeProfileOwner()
        shadowOf(nm).setNotificationsEnabled(false)
        configure("enforcement_action" to "warn")
        Framework.install(tiktok, label = "TikTok")
        val report = runAt(start)
        val warn = report.outcomes.single { it.packageName == tiktok }
        assertEquals("failed", warn.result.json)
        assertTrue(warn.detail!!.contains("notifications for Veto are turned off"))
        assertTrue(nm.activeNotifications.isEmpty())
        assertTrue(EnterpriseFeedbackSink.take().any { it.key == "action:$tiktok" })
    }

    @Test
    fun `managed configuration changed at run time - the broadcast leads to a scan that enforces it`() {
        Framework.makeProfileOwner()
        Framework.install("com.example.chat", label = "Chat")
        Framework.runJob(SweepJob.SCAN_NOW_JOB_ID)
        assertEquals(true, Scans.readStatus(Framework.app).compliant)

        configure("denied_packages" to "com.example.chat", "enforcement_action" to "hide", "grace_period_days" to 0)
        Framework.jobs.cancel(SweepJob.SCAN_NOW_JOB_ID)
        Framework.app.sendBroadcast(Intent(Intent.ACTION_APPLICATION_RESTRICTIONS_CHANGED))
        shadowOf(Looper.getMainLooper()).idle()
        assertTrue(Framework.jobs.getPendingJob(SweepJob.SCAN_NOW_JOB_ID) != null)
        Framework.runJob(SweepJob.SCAN_NOW_JOB_ID)
        assertEquals(false, Scans.readStatus(Framework.app).compliant)
        assertEquals(listOf("com.example.chat"), Scans.readStatus(Framework.app).findings.map { it.packageName })
    }

    @Test
    fun `a renamed clone is caught by its signer`() {
        Framework.makeProfileOwner()
        val cert = "the barred publisher's certificate".toByteArray()
        configure("denied_signers" to Inventory.certificateDigest(cert), "enforcement_action" to "suspend", "grace_period_days" to 0)
        Framework.install("com.totally.different.name", label = "Not TikTok", certificate = cert)
        Framework.install("com.example.fine", label = "Fine")
        val seen = AndroidPackageSource(Framework.app, Framework.admin, true).installedApps().single { it.packageName == "com.totally.different.name" }
        assumeTrue(
            "Robolectric 4.14 returns no signing certificates for a test-made SigningInfo (docs/shell.md); " +
                "NativeRoundTripTest checks the renamed clone against the real core",
            seen.signingSha256.isNotEmpty(),
        )
        runAt(start)
        runAt(start + day)
        assertTrue(suspended("com.totally.different.name"))
        assertFalse(suspended("com.example.fine"))
    }

    /** A port that dies (an Error, as a killed process leaves no chance to record) around the suspend call. */
    private class DyingPort(private val real: DevicePolicyPort, private val afterApplying: Boolean) : DevicePolicyPort by real {
        override fun setSuspended(packageName: String, suspended: Boolean): Boolean {
            if (!afterApplying) throw ProcessDeath()
            real.setSuspended(packageName, suspended)
            throw ProcessDeath()
        }
    }

    private class ProcessDeath : Error("the process died between the intent and the record")

    private fun dyingRunAt(millis: Long, afterApplying: Boolean) {
        val app = Framework.app
        val run = EnforcementRun(
            core = NativeCore,
            capabilitySource = AndroidCapabilitySource(app),
            packages = { caps -> AndroidPackageSource(app, if (caps.isOwner) Framework.admin else null, caps.canHideAndSuspend) },
            configuration = AndroidConfigurationSource(app),
            devicePolicy = { caps -> DyingPort(AndroidDevicePolicy(app, if (caps.isOwner) Framework.admin else null), afterApplying) },
            notifier = AndroidNotifier(app, NoticeTexts.ENGLISH),
            keyedStates = {},
            clock = { millis },
            stateDir = Scans.stateDir(app).path,
            language = NoticeTexts.ENGLISH,
            zone = ZoneOffset.UTC,
        )
        assertTrue(runCatching { run.run() }.exceptionOrNull() is ProcessDeath)
    }

    @Test
    fun `process death before the action - the next run carries it out`() {
        Framework.makeProfileOwner()
        configure("enforcement_action" to "suspend", "grace_period_days" to 14)
        Framework.install(tiktok, label = "TikTok")
        runAt(start)
        dyingRunAt(start + 15 * day, afterApplying = false)
        assertFalse(suspended(tiktok))
        runAt(start + 15 * day + 60_000)
        assertTrue("not applied: planned again and done", suspended(tiktok))
    }

    /**
     * Needs the core's write-ahead (CONTRACTS item 1, the agent branch): `evaluate` keeps the
     * intended suspension as pending, so the next run, seeing it applied, records it as Veto's
     * own and may reverse it. Skipped (not failed) with a core that has no pending actions.
     */
    @Test
    fun `process death between the action and its record - the next run adopts it and can reverse it`() {
        Framework.makeProfileOwner()
        configure("enforcement_action" to "suspend", "grace_period_days" to 14)
        Framework.install(tiktok, label = "TikTok")
        runAt(start)
        dyingRunAt(start + 15 * day, afterApplying = true)
        assertTrue("applied before the death", suspended(tiktok))
        val stateText = Scans.stateDir(Framework.app).walk().filter { it.isFile }.joinToString("\n") { it.readText() }
        assumeTrue(
            "this libveto.so keeps no pending actions (write-ahead, CONTRACTS item 1, comes with the agent branch)",
            stateText.contains("pending"),
        )
        // The rule is lifted before the next run: only a recorded suspension is reversed.
        configure("enforcement_action" to "suspend", "grace_period_days" to 14, "use_builtin_catalog" to false)
        runAt(start + 15 * day + 60_000)
        assertFalse("Veto reverses the suspension it applied just before dying", suspended(tiktok))
        assertTrue(File(Scans.stateDir(Framework.app).path).isDirectory)
    }
}
