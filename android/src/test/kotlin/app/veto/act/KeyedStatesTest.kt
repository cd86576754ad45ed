//! Keyed app states for the EMM: severities, keys and platform length limits.
package app.veto.act

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File

class KeyedStatesTest {
    @Test
    fun `a non-compliant run reports errors per finding and per failed action`() {
        val plan = Plan(
            compliant = false,
            findings = listOf(FindingSummary("com.zhiliaoapp.musically", "TikTok", "failed", "uninstall")),
            actions = emptyList(),
            warnings = listOf(PlanWarning("policy_expired", "policy expired", null)),
        )
        val states = KeyedStates.forRun(plan, listOf(Outcome("com.zhiliaoapp.musically", "uninstall", Result.FAILED, "needs device owner")), null)
        val byKey = states.associateBy { it.key }
        assertEquals(Severity.ERROR, byKey.getValue("compliance").severity)
        assertTrue(byKey.getValue("compliance").message.contains("com.zhiliaoapp.musically"))
        assertEquals(Severity.ERROR, byKey.getValue("app:com.zhiliaoapp.musically").severity)
        assertEquals("uninstall failed: needs device owner", byKey.getValue("action:com.zhiliaoapp.musically").message)
        assertEquals(Severity.INFO, byKey.getValue("warning:policy_expired").severity)
    }

    @Test
    fun `a compliant run is INFO and a failed run is an error state`() {
        val ok = KeyedStates.forRun(Plan(true, emptyList(), emptyList(), emptyList()), emptyList(), null)
        assertEquals(listOf(Severity.INFO), ok.map { it.severity })
        val failed = KeyedStates.forRun(null, emptyList(), "evaluation failed (bad_policy): policy: version: missing")
        assertEquals("error", failed.single().key)
        assertEquals(Severity.ERROR, failed.single().severity)
    }

    @Test
    fun `fields are cut to the platform limits`() {
        val s = KeyedStates.state("k".repeat(300), Severity.INFO, "m".repeat(5000), "d".repeat(1001))
        assertEquals(KeyedStates.MAX_KEY, s.key.length)
        assertEquals(KeyedStates.MAX_MESSAGE, s.message.length)
        assertEquals(KeyedStates.MAX_DATA, s.data!!.length)
        assertTrue(s.message.endsWith("…"))
        assertEquals("short", KeyedStates.state("k", Severity.INFO, "short").message)
    }

    @Test
    fun `the AndroidX sink is where the shell looks for it`() {
        val dir = File(System.getProperty("veto.android.dir", "."))
        val name = KeyedStates.ENTERPRISE_FEEDBACK_SINK
        val file = File(dir, "src/androidx/kotlin/" + name.replace('.', '/') + ".kt")
        assertTrue(file.isFile, "missing $file")
        val text = file.readText()
        assertTrue(text.contains("package ${name.substringBeforeLast('.')}"), "package of $file")
        assertTrue(text.contains("class ${name.substringAfterLast('.')}(context: Context) : KeyedStateSink"), "constructor of $file")
    }
}
