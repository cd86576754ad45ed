//! The whole run with fakes for every port: what goes into the core, what gets executed, recorded and shown.
package app.veto.run

import app.veto.act.FakeDevicePolicy
import app.veto.act.KeyedState
import app.veto.act.Notice
import app.veto.act.NoticeTexts
import app.veto.act.Notifier
import app.veto.act.Severity
import app.veto.core.Core
import app.veto.core.VetoException
import app.veto.observe.CapabilityFacts
import app.veto.observe.InstalledApp
import app.veto.observe.PackageSource
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.time.ZoneOffset

class FakeCore(
    private val plan: String,
    private val evaluateError: VetoException? = null,
    private val recordError: VetoException? = null,
    private val syncError: Exception? = null,
    private val flushError: Exception? = null,
    private val syncStatus: String = """{"status": "not_configured", "version": null, "error": null}""",
) : Core {
    val evaluated = mutableListOf<List<Any>>()
    val recorded = mutableListOf<String>()
    val synced = mutableListOf<String>()
    val flushed = mutableListOf<String>()
    /** Every call in order, shared with the harness's keyed-state sink. */
    val calls = mutableListOf<String>()

    override fun evaluate(inventoryJson: String, managedConfigJson: String, capabilitiesJson: String, stateDir: String, nowMillis: Long): String {
        calls += "evaluate"
        evaluated += listOf(inventoryJson, managedConfigJson, capabilitiesJson, stateDir, nowMillis)
        evaluateError?.let { throw it }
        return plan
    }

    override fun record(outcomesJson: String, stateDir: String, nowMillis: Long): String {
        calls += "record"
        recorded += outcomesJson
        recordError?.let { throw it }
        return """{"recorded": 1}"""
    }

    override fun syncPolicy(managedConfigJson: String, stateDir: String, nowMillis: Long): String {
        calls += "syncPolicy"
        synced += managedConfigJson
        syncError?.let { throw it }
        return syncStatus
    }

    val proxies = mutableListOf<String>()
    override fun setProxy(proxyJson: String) {
        calls += "setProxy"
        proxies += proxyJson
    }

    override fun flushReports(managedConfigJson: String, stateDir: String, nowMillis: Long): String {
        calls += "flushReports"
        flushed += managedConfigJson
        flushError?.let { throw it }
        return """{"sent": 0, "remaining": 0, "next_attempt_at": null, "error": null}"""
    }
}

class FakeNotifier(private val enabled: Boolean = true) : Notifier {
    val posted = mutableListOf<Notice>()
    val withdrawn = mutableListOf<String>()
    var kept: Set<String>? = null
    override fun canPostNotices() = enabled
    override fun post(notice: Notice) { posted += notice }
    override fun withdraw(packageName: String) { withdrawn += packageName }
    override fun withdrawAllExcept(keep: Set<String>) { kept = keep }
}

class EnforcementRunTest {
    private val tiktok = InstalledApp("com.zhiliaoapp.musically", "TikTok", installer = "com.android.vending")
    private val facts = CapabilityFacts("app.veto", false, true, false, emptyList(), null)

    private fun plan(compliant: Boolean, vararg actions: String) = """
        {"compliant": $compliant,
         "findings": [{"package": "com.zhiliaoapp.musically", "label": "TikTok", "status": "due", "step": "suspend"}],
         "actions": [${actions.joinToString(",")}], "warnings": []}
    """.trimIndent()

    private val suspendTikTok = """{"package": "com.zhiliaoapp.musically", "action": "suspend", "label": "TikTok", "reason": "Barred", "deadline": "2026-12-13T09:00:00Z"}"""

    private class Harness(val core: FakeCore, val notifier: FakeNotifier = FakeNotifier(), val port: FakeDevicePolicy = FakeDevicePolicy()) {
        val states = mutableListOf<KeyedState>()
    }

    private fun run(h: Harness, config: Map<String, Any?> = mapOf("grace_period_days" to 14), facts: CapabilityFacts = this.facts): RunReport =
        EnforcementRun(
            core = h.core,
            capabilitySource = { facts },
            packages = { PackageSource { listOf(tiktok) } },
            configuration = { config },
            devicePolicy = { h.port },
            notifier = h.notifier,
            keyedStates = { h.core.calls += "keyedStates"; h.states += it },
            clock = { 1_795_363_200_000L },
            stateDir = "/data/state",
            language = NoticeTexts.ENGLISH,
            zone = ZoneOffset.UTC,
        ).run()

    @Test
    fun `observe, evaluate, execute, record, notify`() {
        val h = Harness(FakeCore(plan(false, suspendTikTok)))
        val report = run(h)
        assertNull(report.error)

        val (inventory, config, caps, stateDir, now) = h.core.evaluated.single()
        assertEquals("com.zhiliaoapp.musically", JSONObject(inventory as String).getJSONArray("packages").getJSONObject(0).getString("package"))
        assertEquals(14, JSONObject(config as String).getInt("grace_period_days"))
        assertEquals("profile_owner", JSONObject(caps as String).getString("role"))
        assertEquals("/data/state", stateDir)
        assertEquals(1_795_363_200_000L, now)

        assertEquals(listOf("block-uninstall=true app.veto", "suspend com.zhiliaoapp.musically"), h.port.calls)
        val outcome = JSONObject(h.core.recorded.single()).getJSONArray("outcomes").getJSONObject(0)
        assertEquals("done", outcome.getString("result"))

        assertEquals("TikTok has been suspended", h.notifier.posted.single().title)
        assertEquals(setOf("com.zhiliaoapp.musically"), h.notifier.kept)
        assertEquals(Severity.ERROR, h.states.first { it.key == "compliance" }.severity)
    }

    @Test
    fun `report-only mode shows no notice`() {
        val report = """{"package": "com.zhiliaoapp.musically", "action": "report", "reason": "Barred"}"""
        val h = Harness(FakeCore(plan(false, report)))
        run(h)
        assertEquals(emptyList<Notice>(), h.notifier.posted)
        assertEquals(emptyList<String>(), h.port.calls.filter { !it.startsWith("block-uninstall") })
        assertEquals("done", JSONObject(h.core.recorded.single()).getJSONArray("outcomes").getJSONObject(0).getString("result"))
    }

    @Test
    fun `a core error stops the run before anything is executed and is reported`() {
        val h = Harness(FakeCore("", evaluateError = VetoException("bad_managed_config", "managed configuration: grace_period_days: expected an integer")))
        val report = run(h)
        assertEquals("evaluation failed (bad_managed_config): managed configuration: grace_period_days: expected an integer", report.error)
        assertEquals(emptyList<String>(), h.port.calls)
        assertEquals(emptyList<String>(), h.core.recorded)
        assertEquals(listOf("error", EnforcementRun.HEARTBEAT_KEY), h.states.map { it.key })
        // The heartbeat goes out even when the run stops: the EMM sees Veto alive but failing.
        assertTrue(h.states[1].message.contains("the run stopped: evaluation failed"), h.states[1].message)
    }

    @Test
    fun `a malformed plan is reported with its path`() {
        val h = Harness(FakeCore("""{"compliant": false, "actions": [{"action": "suspend"}]}"""))
        val report = run(h)
        assertEquals("the core returned a malformed plan: plan: actions[0].package: expected a string", report.error)
        assertEquals(emptyList<String>(), h.port.calls)
    }

    @Test
    fun `a failure to record still notifies and is reported`() {
        val h = Harness(FakeCore(plan(false, suspendTikTok), recordError = VetoException("io", "state: write failed")))
        val report = run(h)
        assertEquals("recording outcomes failed (io): state: write failed", report.recordError)
        assertEquals(1, h.notifier.posted.size)
        assertTrue(h.states.any { it.key == "error" && it.message.contains("state: write failed") })
    }

    @Test
    fun `unsupported configuration values are reported, the rest still reaches the core`() {
        val h = Harness(FakeCore(plan(true)))
        val report = run(h, config = mapOf("grace_period_days" to 2.5, "allowlist_mode" to true))
        assertEquals(1, report.configProblems.size)
        val config = JSONObject(h.core.evaluated.single()[1] as String)
        assertEquals(setOf("allowlist_mode"), config.keySet())
        assertTrue(h.states.any { it.key == "config_problem:0" && it.message.contains("grace_period_days") })
    }

    @Test
    fun `with notifications blocked nothing is posted and the warning is recorded as failed`() {
        val warn = """{"package": "com.zhiliaoapp.musically", "action": "warn", "reason": "Barred"}"""
        val h = Harness(FakeCore(plan(false, warn)), FakeNotifier(enabled = false))
        run(h)
        assertEquals(emptyList<Notice>(), h.notifier.posted)
        assertEquals("failed", JSONObject(h.core.recorded.single()).getJSONArray("outcomes").getJSONObject(0).getString("result"))
    }

    private val coreStates = """
        "keyed_states": [
          {"key": "compliance", "severity": "ERROR", "message": "Not compliant with policy version 7: 1 barred app", "data": "{\"compliant\":false}"},
          {"key": "finding:com.zhiliaoapp.musically", "severity": "ERROR", "message": "TikTok is barred", "data": null}
        ]
    """.trimIndent()

    @Test
    fun `the feed is synced before evaluating and reports are sent after the keyed states`() {
        val h = Harness(FakeCore(plan(false, suspendTikTok)))
        val report = run(h)
        assertNull(report.error)
        assertEquals(listOf("setProxy", "syncPolicy", "evaluate", "record", "keyedStates", "flushReports"), h.core.calls)
        // Every step sees the same managed configuration.
        val config = h.core.evaluated.single()[1] as String
        assertEquals(listOf(config), h.core.synced)
        assertEquals(listOf(config), h.core.flushed)
        assertEquals("not_configured", JSONObject(report.syncStatus!!).getString("status"))
        assertEquals(0, JSONObject(report.flushSummary!!).getInt("sent"))
    }

    @Test
    fun `a sync that throws is reported and enforcement goes on`() {
        val h = Harness(FakeCore(plan(false, suspendTikTok), syncError = VetoException("internal", "TLS is not set up")))
        val report = run(h)
        assertNull(report.error)
        assertEquals("internal: TLS is not set up", report.syncError)
        assertEquals(listOf("block-uninstall=true app.veto", "suspend com.zhiliaoapp.musically"), h.port.calls)
        assertEquals(1, h.core.recorded.size)
        val state = h.states.single { it.key == "policy_sync" }
        assertEquals(Severity.ERROR, state.severity)
        assertTrue(state.message.contains("TLS is not set up"), state.message)
        assertEquals("flushReports", h.core.calls.last())
    }

    @Test
    fun `a sync that fails on the network is only a status and changes nothing for the run`() {
        val failed = """{"status": "error", "version": 6, "error": {"kind": "feed", "message": "policy feed: GET https://x: connection failed"}}"""
        val h = Harness(FakeCore(plan(false, suspendTikTok), syncStatus = failed))
        val report = run(h)
        assertNull(report.error)
        assertNull(report.syncError)
        assertEquals("error", JSONObject(report.syncStatus!!).getString("status"))
        assertEquals(listOf("block-uninstall=true app.veto", "suspend com.zhiliaoapp.musically"), h.port.calls)
        assertTrue(h.states.none { it.key == "policy_sync" }, "the core's policy_feed state reports it")
    }

    @Test
    fun `a flush that throws is reported and does not undo the run`() {
        val h = Harness(FakeCore(plan(false, suspendTikTok), flushError = IllegalStateException("queue unreadable")))
        val report = run(h)
        assertNull(report.error)
        assertEquals("IllegalStateException: queue unreadable", report.flushError)
        assertEquals(1, h.core.recorded.size)
        assertEquals(1, h.notifier.posted.size)
        assertTrue(h.states.any { it.key == "compliance" })
    }

    @Test
    fun `reports queued earlier are still sent when evaluation fails`() {
        val h = Harness(FakeCore("", evaluateError = VetoException("bad_inventory", "inventory: packages[0]: missing field")))
        val report = run(h)
        assertEquals(listOf("setProxy", "syncPolicy", "evaluate", "keyedStates", "flushReports"), h.core.calls)
        assertEquals(emptyList<String>(), h.port.calls)
        assertTrue(report.error!!.contains("bad_inventory"))
    }

    @Test
    fun `the core's keyed states go to the EMM, with the shell's failed actions`() {
        val plan = """{"compliant": false,
            "findings": [{"package": "com.zhiliaoapp.musically", "label": "TikTok", "status": "due", "step": "suspend"}],
            "actions": [$suspendTikTok], "warnings": [], $coreStates}"""
        val h = Harness(FakeCore(plan), port = FakeDevicePolicy(refuse = setOf("com.zhiliaoapp.musically")))
        run(h)
        assertEquals(
            listOf("compliance", "finding:com.zhiliaoapp.musically", "action:com.zhiliaoapp.musically", EnforcementRun.HEARTBEAT_KEY),
            h.states.map { it.key },
        )
        assertEquals("Not compliant with policy version 7: 1 barred app", h.states[0].message)
        assertEquals("""{"compliant":false}""", h.states[0].data)
    }
}
