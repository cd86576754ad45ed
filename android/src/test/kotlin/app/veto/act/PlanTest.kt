//! Parsing the core's plan: the contract's example, and errors that name the JSON path.
package app.veto.act

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class PlanTest {
    private val example = """
        {"generated_at": "2026-11-22T16:00:00Z", "policy": {"version": 7, "mode": "denylist", "expires": null},
         "compliant": false,
         "findings": [{"package": "com.zhiliaoapp.musically", "label": "TikTok", "rules": ["tiktok"], "matches": [],
                       "first_seen": "2026-11-01T09:00:00Z", "step": "suspend", "action": "suspend", "in_effect": ["warn"],
                       "status": "due", "next": {"action": "hide", "due": "2026-12-13T09:00:00Z"}, "deadline": "2026-12-13T09:00:00Z"}],
         "reversals": [{"package": "com.old", "action": "unsuspend", "why": "no rule matches it any more"}],
         "actions": [{"package": "com.zhiliaoapp.musically", "action": "suspend", "label": "TikTok", "reason": "Barred", "deadline": "2026-12-13T09:00:00Z"},
                     {"package": "com.old", "action": "unsuspend"}],
         "warnings": [{"code": "protected_match", "message": "m", "package": "com.android.vending", "rule": "r"}]}
    """.trimIndent()

    @Test
    fun `the contract example parses`() {
        val plan = Plan.parse(example)
        assertFalse(plan.compliant)
        assertEquals(
            listOf(FindingSummary("com.zhiliaoapp.musically", "TikTok", "due", "suspend", "suspend", "2026-12-13T09:00:00Z", null)),
            plan.findings,
        )
        assertEquals(
            listOf(
                PlannedAction("com.zhiliaoapp.musically", "suspend", "TikTok", "Barred", "2026-12-13T09:00:00Z"),
                PlannedAction("com.old", "unsuspend"),
            ),
            plan.actions,
        )
        assertEquals(listOf(PlanWarning("protected_match", "m", "com.android.vending")), plan.warnings)
    }

    @Test
    fun `errors name the json path`() {
        val missingPackage = assertThrows<PlanFormatException> {
            Plan.parse("""{"compliant": true, "actions": [{"package": "a", "action": "warn"}, {"action": "warn"}]}""")
        }
        assertEquals("plan: actions[1].package: expected a string", missingPackage.message)
        val noActions = assertThrows<PlanFormatException> { Plan.parse("""{"compliant": true}""") }
        assertEquals("plan: actions: expected an array", noActions.message)
        val badCompliant = assertThrows<PlanFormatException> { Plan.parse("""{"compliant": "yes", "actions": []}""") }
        assertEquals("plan: compliant: expected true or false", badCompliant.message)
        val notJson = assertThrows<PlanFormatException> { Plan.parse("[") }
        assertEquals(true, notJson.message!!.startsWith("plan: not a JSON object"))
    }
}
