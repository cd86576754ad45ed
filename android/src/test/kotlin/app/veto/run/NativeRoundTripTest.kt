//! The shell's JSON against the real core (libveto.so): inventory, capabilities, config and outcomes it accepts.
package app.veto.run

import app.veto.act.FakeDevicePolicy
import app.veto.act.NoticeTexts
import app.veto.core.NativeCore
import app.veto.observe.CapabilityFacts
import app.veto.observe.InstalledApp
import app.veto.observe.PackageSource
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.nio.file.Path
import java.time.ZoneOffset

/**
 * Runs only where libveto.so has been built (`veto.native.dir`, default ../target/debug); the
 * fakes-only tests cover the shell without it. What this adds: the real core parses every
 * document the shell writes, and recording the shell's outcomes makes the next run idempotent.
 */
class NativeRoundTripTest {
    @BeforeEach
    fun needsLibrary() {
        val dir = File(System.getProperty("veto.native.dir", "../target/debug"))
        assumeTrue(File(dir, System.mapLibraryName("veto")).isFile, "libveto.so not built in $dir")
    }

    private val apps = listOf(
        InstalledApp(
            "com.zhiliaoapp.musically", "TikTok", 2023708030L, "37.8.3", "com.android.vending",
            listOf("90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA"),
        ),
        InstalledApp("com.android.settings", "Settings", system = true),
    )

    private fun run(stateDir: Path, port: FakeDevicePolicy, notifier: FakeNotifier, now: Long): RunReport =
        EnforcementRun(
            core = NativeCore,
            capabilitySource = { CapabilityFacts("app.veto", false, true, false, emptyList(), null) },
            packages = { PackageSource { apps } },
            configuration = { mapOf("grace_period_days" to 14, "use_builtin_catalog" to true, "denied_packages" to "com.example.bad") },
            devicePolicy = { port },
            notifier = notifier,
            keyedStates = {},
            clock = { now },
            stateDir = stateDir.toString(),
            language = NoticeTexts.ENGLISH,
            zone = ZoneOffset.UTC,
        ).run()

    @Test
    fun `the real core accepts the shell's documents and recorded outcomes make the next run quiet`(@TempDir stateDir: Path) {
        val now = 1_795_363_200_000L
        val notifier = FakeNotifier()
        val first = run(stateDir, FakeDevicePolicy(), notifier, now)
        assertNull(first.error, first.error)
        assertNull(first.recordError, first.recordError)
        val plan = first.plan!!
        assertFalse(plan.compliant)
        assertEquals(listOf("com.zhiliaoapp.musically"), plan.findings.map { it.packageName })
        assertTrue(plan.actions.any { it.packageName == "com.zhiliaoapp.musically" }, "actions: ${plan.actions}")
        assertTrue(notifier.posted.any { it.packageName == "com.zhiliaoapp.musically" && it.title.contains("TikTok") }, "${notifier.posted}")

        val again = run(stateDir, FakeDevicePolicy(), FakeNotifier(), now + 60_000)
        assertNull(again.error, again.error)
        assertEquals(emptyList<Any>(), again.plan!!.actions.filter { it.packageName == "com.zhiliaoapp.musically" })
    }

    @Test
    fun `a renamed clone signed with TikTok's certificate is a finding of the real core`(@TempDir stateDir: Path) {
        val clone = InstalledApp(
            "com.totally.different.name", "Not TikTok", 1L, "1.0", "com.example.sideload",
            listOf("90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA"),
        )
        val report = EnforcementRun(
            core = NativeCore,
            capabilitySource = { CapabilityFacts("app.veto", false, true, false, emptyList(), null) },
            packages = { PackageSource { listOf(clone) } },
            configuration = { mapOf("use_builtin_catalog" to true) },
            devicePolicy = { FakeDevicePolicy() },
            notifier = FakeNotifier(),
            keyedStates = {},
            clock = { 1_795_363_200_000L },
            stateDir = stateDir.toString(),
            language = NoticeTexts.ENGLISH,
            zone = ZoneOffset.UTC,
        ).run()
        assertNull(report.error, report.error)
        assertEquals(listOf("com.totally.different.name"), report.plan!!.findings.map { it.packageName })
    }
}
