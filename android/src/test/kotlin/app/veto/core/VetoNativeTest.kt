package app.veto.core

import java.lang.management.ManagementFactory
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.Callable
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir

/**
 * Round trips through the real libveto.so (host build, `--features test-hooks`) in a JVM run
 * with -Xcheck:jni: every JSON document crosses the boundary as it will on a phone.
 */
class VetoNativeTest {
    @TempDir
    lateinit var tmp: Path

    private val stateDir: String get() = tmp.resolve("state").toString()

    @Test
    fun `the JVM running these tests checks every JNI call`() {
        // Surefire passes -Xcheck:jni (android/pom.xml); without it JNI misuse would go unnoticed.
        val arguments = ManagementFactory.getRuntimeMXBean().inputArguments
        assertTrue("-Xcheck:jni" in arguments, "JVM arguments: $arguments")
    }

    @Test
    fun `version names the library and the built-in catalog`() {
        val version = JSONObject(VetoNative.version())
        assertTrue(version.getString("veto").matches(Regex("""\d+\.\d+\.\d+.*""")), version.toString())
        val catalog = version.getJSONObject("catalog")
        assertTrue(catalog.getLong("version") >= 1, version.toString())
        assertTrue(catalog.getInt("entries") >= 1, version.toString())
    }

    @Test
    fun `init can be called again and panics still come back as exceptions`() {
        VetoNative.init()
        VetoNative.init()
        val error = assertThrows<VetoException> { VetoTestHooks.panicForTest("after a second init") }
        assertEquals("internal", error.kind)
        assertTrue(error.message!!.contains("after a second init"), error.message)
    }

    @Test
    fun `tiktok in the work profile of a profile owner is a finding with an action`() {
        val plan = evaluate(tiktokInventory())

        assertFalse(plan.getBoolean("compliant"), plan.toString(2))
        val finding = findingFor(plan, TIKTOK)
        assertEquals("TikTok", finding.getString("label"))
        assertTrue(finding.getJSONArray("rules").length() >= 1, finding.toString(2))
        val actions = actionsFor(plan, TIKTOK)
        assertTrue(actions.isNotEmpty(), "expected an action for $TIKTOK in ${plan.toString(2)}")
        assertEquals(finding.getString("action"), actions.first().getString("action"))
        assertTrue(Files.exists(tmp.resolve("state").resolve("state.json")), "state.json is written")
    }

    @Test
    fun `recording every action as done makes the next evaluation plan nothing new`() {
        val inventory = tiktokInventory()
        val first = evaluate(inventory)
        val actions = first.getJSONArray("actions")
        assertTrue(actions.length() > 0, first.toString(2))

        val summary = JSONObject(VetoNative.record(executeAll(actions), stateDir, NOW + 60_000))
        assertEquals(actions.length(), summary.getInt("recorded"), summary.toString())

        val second = evaluate(inventory, now = NOW + 120_000)
        assertEquals(0, second.getJSONArray("actions").length(), second.toString(2))
        // Still a finding: recording does not make the app acceptable, only the action done.
        findingFor(second, TIKTOK)
    }

    @Test
    fun `bad inventory json throws bad_inventory naming the json path`() {
        val bad = """{"packages": [{"package": "ok.app"}, {"label": "no package name"}]}"""
        val error = assertThrows<VetoException> { evaluate(bad) }
        assertEquals("bad_inventory", error.kind)
        assertTrue(error.message!!.startsWith("inventory: "), error.message)
        assertTrue(error.message!!.contains("packages[1]"), error.message)
    }

    @Test
    fun `bad capabilities json throws bad_capabilities`() {
        val error = assertThrows<VetoException> {
            evaluate(tiktokInventory(), capabilities = """{"role": "emperor"}""")
        }
        assertEquals("bad_capabilities", error.kind)
        assertTrue(error.message!!.contains("role"), error.message)
    }

    @Test
    fun `bad outcomes json throws bad_outcomes`() {
        val error = assertThrows<VetoException> {
            VetoNative.record("""{"outcomes": [{"package": "a.b", "action": "explode", "result": "done"}]}""", stateDir, NOW)
        }
        assertEquals("bad_outcomes", error.kind)
        assertTrue(error.message!!.contains("outcomes[0]"), error.message)
    }

    @Test
    fun `nulls from Java callers are bad input, and a null configuration falls back`() {
        // Kotlin cannot pass null here; Java (through reflection, as any Java caller) can.
        val evaluate = VetoNative::class.java.getMethod(
            "evaluate", String::class.java, String::class.java, String::class.java,
            String::class.java, Long::class.javaPrimitiveType,
        )
        val thrown = assertThrows<java.lang.reflect.InvocationTargetException> {
            evaluate.invoke(null, null, "{}", PROFILE_OWNER, stateDir, NOW)
        }
        val error = thrown.targetException as VetoException
        assertEquals("bad_inventory", error.kind)
        assertEquals("inventory: null instead of a string", error.message)

        val plan = JSONObject(evaluate.invoke(null, tiktokInventory(), null, PROFILE_OWNER, stateDir, NOW) as String)
        assertTrue(actionsFor(plan, TIKTOK).isNotEmpty(), plan.toString(2))
        warningWithCode(plan, "bad_managed_config")
    }

    @Test
    fun `a state directory that cannot be created throws io naming it`() {
        val file = Files.writeString(tmp.resolve("not-a-directory"), "x")
        val stateDir = file.resolve("state").toString()
        val error = assertThrows<VetoException> {
            VetoNative.evaluate(tiktokInventory(), "{}", PROFILE_OWNER, stateDir, NOW)
        }
        assertEquals("io", error.kind)
        assertTrue(error.message!!.contains(stateDir), error.message)
    }

    @Test
    fun `a bad managed configuration without a last good one enforces the built-in policy and warns`() {
        val plan = evaluate(tiktokInventory(), managedConfig = """{"grace_period_days": "soon"}""")

        findingFor(plan, TIKTOK)
        assertTrue(actionsFor(plan, TIKTOK).isNotEmpty(), plan.toString(2))
        val warning = warningWithCode(plan, "bad_managed_config")
        assertTrue(warning.getString("message").contains("grace_period_days"), warning.toString())
        assertTrue(warning.getString("message").contains("built-in"), warning.toString())
    }

    @Test
    fun `a bad managed configuration keeps enforcing the last good one`() {
        val game = "com.example.timewaster"
        val inventory = inventoryOf(game to "Time Waster")
        val good = """{"denied_packages": "$game", "use_builtin_catalog": true}"""
        val before = evaluate(inventory, managedConfig = good)
        assertTrue(actionsFor(before, game).isNotEmpty(), before.toString(2))
        assertTrue(Files.exists(tmp.resolve("state").resolve("last-good-policy.json")))

        // The built-in policy alone would let the game be: only the last good one catches it.
        val after = evaluate(inventory, managedConfig = """{"denied_packages": 17}""", now = NOW + 1_000)
        findingFor(after, game)
        val warning = warningWithCode(after, "bad_managed_config")
        assertTrue(warning.getString("message").contains("denied_packages"), warning.toString())
        assertTrue(warning.getString("message").contains("last good"), warning.toString())
    }

    @Test
    fun `a corrupt state file is quarantined and the plan says so`() {
        val dir = tmp.resolve("state")
        Files.createDirectories(dir)
        Files.writeString(dir.resolve("state.json"), "{ this is not json")

        val plan = evaluate(tiktokInventory())

        findingFor(plan, TIKTOK)
        val quarantined = Files.list(dir).use { files ->
            files.map { it.fileName.toString() }.filter { it.startsWith("state.json.corrupt") }.toList()
        }
        assertEquals(1, quarantined.size, "expected the corrupt file kept beside state.json: $quarantined")
        assertEquals("{ this is not json", Files.readString(dir.resolve(quarantined.single())))
        val warning = warningWithCode(plan, "state_quarantined")
        assertTrue(warning.getString("message").contains(quarantined.single()), warning.toString())
        // And the new state is a good one again.
        JSONObject(Files.readString(dir.resolve("state.json")))
    }

    @Test
    fun `a panic inside the library becomes VetoException internal and the JVM carries on`() {
        val error = assertThrows<VetoException> { VetoTestHooks.panicForTest("deliberate test panic") }
        assertEquals("internal", error.kind)
        assertTrue(error.message!!.contains("deliberate test panic"), error.message)

        val plan = evaluate(tiktokInventory())
        findingFor(plan, TIKTOK)
    }

    @Test
    fun `every core error kind reaches Java unchanged`() {
        val kinds = listOf(
            "bad_inventory", "bad_policy", "bad_managed_config", "bad_capabilities",
            "bad_outcomes", "bad_state", "io", "feed", "internal",
        )
        for (kind in kinds) {
            val error = assertThrows<VetoException> { VetoTestHooks.failForTest(kind, "where: what ($kind)") }
            assertEquals(kind, error.kind)
            assertEquals("where: what ($kind)", error.message)
        }
    }

    @Test
    fun `text outside the basic multilingual plane survives the round trip`() {
        val label = "Tík Tók \uD83C\uDFB5 \u4E2D\u6587"
        val plan = evaluate(inventoryOf(TIKTOK to label))
        assertEquals(label, findingFor(plan, TIKTOK).getString("label"))
    }

    @Test
    fun `calls from several threads with their own state directories do not interfere`() {
        val pool = Executors.newFixedThreadPool(4)
        try {
            val results = (0 until 8).map { i ->
                pool.submit(Callable {
                    val dir = tmp.resolve("state-$i").toString()
                    JSONObject(VetoNative.evaluate(tiktokInventory(), "{}", PROFILE_OWNER, dir, NOW))
                })
            }.map { it.get(60, TimeUnit.SECONDS) }
            for (plan in results) {
                assertTrue(actionsFor(plan, TIKTOK).isNotEmpty(), plan.toString(2))
            }
        } finally {
            pool.shutdownNow()
        }
    }

    @Test
    fun `initTls is a no-op on a host and refuses a null context`() {
        VetoNative.initTls(android.content.ContextWrapper(null))
        val initTls = VetoNative::class.java.getMethod("initTls", android.content.Context::class.java)
        val thrown = assertThrows<java.lang.reflect.InvocationTargetException> { initTls.invoke(null, null) }
        val error = thrown.targetException as VetoException
        assertEquals("internal", error.kind)
        assertTrue(error.message!!.startsWith("context: null"), error.message)
    }

    @Test
    fun `syncPolicy without policy_url says the feed is not configured`() {
        val status = JSONObject(VetoNative.syncPolicy("{}", stateDir, NOW))
        assertEquals("not_configured", status.getString("status"), status.toString())
        assertTrue(status.isNull("error"), status.toString())
    }

    @Test
    fun `syncPolicy refuses a plain http feed as a bad managed configuration`() {
        val config = JSONObject().put("policy_url", "http://feed.example/policy.json").put("policy_public_key", "x").toString()
        val error = assertThrows<VetoException> { VetoNative.syncPolicy(config, stateDir, NOW) }
        assertEquals("bad_managed_config", error.kind)
        assertTrue(error.message!!.contains("policy_url"), error.message)
    }

    @Test
    fun `a failed sync is a status, keeps the last good policy, and that policy is enforced`() {
        val key = VetoTestHooks.storeFeedPolicyForTest(stateDir, FEED_POLICY, NOW)
        val stored = tmp.resolve("state").resolve("feed-last-good.json")
        val before = Files.readAllBytes(stored)
        val config = JSONObject()
            .put("policy_url", "https://127.0.0.1:${closedPort()}/policy.json")
            .put("policy_public_key", key)
            .toString()

        val status = JSONObject(VetoNative.syncPolicy(config, stateDir, NOW))

        assertEquals("error", status.getString("status"), status.toString())
        assertEquals(5, status.getInt("version"), status.toString())
        assertEquals("feed", status.getJSONObject("error").getString("kind"), status.toString())
        assertTrue(before.contentEquals(Files.readAllBytes(stored)), "the last good policy is untouched")

        val game = "com.example.timewaster"
        val plan = evaluate(inventoryOf(game to "Time Waster", TIKTOK to "TikTok"), managedConfig = config)
        assertEquals(5, plan.getJSONObject("policy").getInt("version"), plan.toString(2))
        findingFor(plan, game)
        assertTrue(actionsFor(plan, TIKTOK).isEmpty(), "the feed's policy leaves out the built-in catalog")
        val feedState = keyedState(plan, "policy_feed")
        assertEquals("ERROR", feedState.getString("severity"), feedState.toString())
    }

    @Test
    fun `setProxy takes the device proxy, routes the feed through it, and names a bad field`() {
        val proxyPort = closedPort()
        val feedUrl = "https://127.0.0.1:${closedPort()}/policy.json"
        val key = VetoTestHooks.storeFeedPolicyForTest(stateDir, FEED_POLICY, NOW)
        val config = JSONObject().put("policy_url", feedUrl).put("policy_public_key", key).toString()
        try {
            VetoNative.setProxy("""{"url": "http://127.0.0.1:$proxyPort", "exclude": ["*.corp.example"]}""")
            val status = JSONObject(VetoNative.syncPolicy(config, stateDir, NOW))
            val message = status.getJSONObject("error").getString("message")
            assertTrue(message.contains("via proxy http://127.0.0.1:$proxyPort"), status.toString())

            for ((json, field) in listOf(
                """{"url": "socks5://127.0.0.1:1080"}""" to "proxy: url:",
                """{"url": "http://127.0.0.1:3128", "exclude": [7]}""" to "proxy: exclude[0]:",
                "not json" to "proxy:",
            )) {
                val error = assertThrows<VetoException> { VetoNative.setProxy(json) }
                assertEquals("bad_managed_config", error.kind, json)
                assertTrue(error.message!!.startsWith(field), "$json: ${error.message}")
            }
            // A refused document leaves the proxy set before in place.
            val again = JSONObject(VetoNative.syncPolicy(config, stateDir, NOW))
            assertTrue(again.getJSONObject("error").getString("message").contains("via proxy"), again.toString())

            VetoNative.setProxy("{}")
            val direct = JSONObject(VetoNative.syncPolicy(config, stateDir, NOW))
            assertFalse(direct.getJSONObject("error").getString("message").contains("via proxy"), direct.toString())
        } finally {
            VetoNative.setProxy("{}")
        }
    }

    @Test
    fun `flushReports with nothing queued sends nothing`() {
        val config = JSONObject().put("report_url", "https://127.0.0.1:${closedPort()}/reports").toString()
        val summary = JSONObject(VetoNative.flushReports(config, stateDir, NOW))
        assertEquals(0, summary.getInt("sent"), summary.toString())
        assertEquals(0, summary.getInt("remaining"), summary.toString())
        assertTrue(summary.isNull("error"), summary.toString())
    }

    @Test
    fun `evaluate and record queue a report with the finding and its outcome, without the inventory`() {
        val config = JSONObject().put("report_url", "https://reports.example/in").put("device_id", "amsterdam-0042").toString()
        val plan = evaluate(tiktokInventory(), managedConfig = config)
        val summary = JSONObject(VetoNative.record(executeAll(plan.getJSONArray("actions")), stateDir, NOW + 1_000))

        assertTrue(summary.getJSONObject("report").getString("report_id").isNotEmpty(), summary.toString())
        val report = queuedReports().single()
        assertEquals("amsterdam-0042", report.getString("device_id"))
        val finding = report.getJSONArray("findings").getJSONObject(0)
        assertEquals(TIKTOK, finding.getString("package"))
        assertEquals("enforced", finding.getString("status"), report.toString(2))
        assertFalse(report.has("inventory"), report.toString(2))
        assertFalse(report.toString().contains("com.example.mail"), "apps that break no rule stay on the device")
    }

    @Test
    fun `with report_inventory the report carries the whole inventory`() {
        val config = JSONObject().put("report_url", "https://reports.example/in").put("report_inventory", true).toString()
        val plan = evaluate(tiktokInventory(), managedConfig = config)
        VetoNative.record(executeAll(plan.getJSONArray("actions")), stateDir, NOW + 1_000)

        val inventory = queuedReports().single().getJSONArray("inventory")
        val packages = (0 until inventory.length()).map { inventory.getJSONObject(it).getString("package") }
        assertEquals(listOf(TIKTOK, "com.example.mail"), packages)
    }

    @Test
    fun `without report_url nothing is queued`() {
        val plan = evaluate(tiktokInventory())
        val summary = JSONObject(VetoNative.record(executeAll(plan.getJSONArray("actions")), stateDir, NOW + 1_000))
        assertTrue(summary.isNull("report"), summary.toString())
        assertEquals(emptyList<JSONObject>(), queuedReports())
    }

    @Test
    fun `a non-compliant plan carries keyed states with an ERROR compliance state`() {
        val plan = evaluate(tiktokInventory())
        val compliance = keyedState(plan, "compliance")
        assertEquals("ERROR", compliance.getString("severity"), compliance.toString())
        assertTrue(compliance.getString("message").contains(TIKTOK), compliance.toString())
        assertEquals("ERROR", keyedState(plan, "finding:$TIKTOK").getString("severity"))
        // The shell's plan parser reads them, next to the plan it acts on.
        val parsed = app.veto.act.Plan.parse(plan.toString())
        assertEquals("compliance", parsed.keyedStates.first().key)
        assertEquals(app.veto.act.Severity.ERROR, parsed.keyedStates.first().severity)
    }

    private fun keyedState(plan: JSONObject, key: String): JSONObject {
        val states = plan.getJSONArray("keyed_states")
        return (0 until states.length()).map { states.getJSONObject(it) }
            .firstOrNull { it.getString("key") == key }
            ?: throw AssertionError("no keyed state $key in ${states.toString(2)}")
    }

    /** The bodies of the reports queued in `stateDir/reports` (docs/reporting.md). */
    private fun queuedReports(): List<JSONObject> {
        val dir = tmp.resolve("state").resolve("reports")
        if (!Files.isDirectory(dir)) return emptyList()
        return Files.list(dir).use { files ->
            files.filter { it.fileName.toString().endsWith(".report.json") }.sorted().toList()
        }.map { JSONObject(JSONObject(Files.readString(it)).getString("body")) }
    }

    /** A port nothing listens on: connecting is refused at once. */
    private fun closedPort(): Int = java.net.ServerSocket(0).use { it.localPort }

    private fun evaluate(
        inventory: String,
        managedConfig: String = "{}",
        capabilities: String = PROFILE_OWNER,
        now: Long = NOW,
    ): JSONObject = JSONObject(VetoNative.evaluate(inventory, managedConfig, capabilities, stateDir, now))

    /** The fake executor: marks every planned action as done. */
    private fun executeAll(actions: JSONArray): String {
        val outcomes = JSONArray()
        for (i in 0 until actions.length()) {
            val action = actions.getJSONObject(i)
            outcomes.put(
                JSONObject()
                    .put("package", action.getString("package"))
                    .put("action", action.getString("action"))
                    .put("result", "done")
                    .put("detail", JSONObject.NULL),
            )
        }
        return JSONObject().put("outcomes", outcomes).toString()
    }

    private fun findingFor(plan: JSONObject, pkg: String): JSONObject {
        val findings = plan.getJSONArray("findings")
        return (0 until findings.length()).map { findings.getJSONObject(it) }
            .firstOrNull { it.getString("package") == pkg }
            ?: throw AssertionError("no finding for $pkg in ${plan.toString(2)}")
    }

    private fun actionsFor(plan: JSONObject, pkg: String): List<JSONObject> {
        val actions = plan.getJSONArray("actions")
        return (0 until actions.length()).map { actions.getJSONObject(it) }.filter { it.getString("package") == pkg }
    }

    private fun warningWithCode(plan: JSONObject, code: String): JSONObject {
        val warnings = plan.getJSONArray("warnings")
        return (0 until warnings.length()).map { warnings.getJSONObject(it) }
            .firstOrNull { it.getString("code") == code }
            ?: throw AssertionError("no $code warning in ${plan.toString(2)}")
    }

    private companion object {
        const val TIKTOK = "com.zhiliaoapp.musically"
        const val NOW = 1_795_000_000_000L // 2026-11-19
        const val FEED_POLICY =
            """{"version": 5, "use_builtin_catalog": false,
               "rules": [{"id": "feed-game", "package": "com.example.timewaster", "reason": "Barred by the feed"}]}"""
        const val PROFILE_OWNER =
            """{"role": "profile_owner", "affiliated": false, "delegated_scopes": [], "self_package": "app.veto"}"""

        fun tiktokInventory(): String = inventoryOf(TIKTOK to "TikTok", "com.example.mail" to "Mail")

        fun inventoryOf(vararg packages: Pair<String, String>): String {
            val list = JSONArray()
            for ((pkg, label) in packages) {
                list.put(JSONObject().put("package", pkg).put("label", label).put("installer", "com.android.vending"))
            }
            return JSONObject().put("profile", "work").put("packages", list).toString()
        }
    }
}
