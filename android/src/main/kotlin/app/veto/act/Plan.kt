//! The part of the core's plan JSON the shell acts on: the to-do list and the summary.
package app.veto.act

import org.json.JSONArray
import org.json.JSONException
import org.json.JSONObject

/** One entry of `plan.actions` (docs/contract.md). */
data class PlannedAction(
    val packageName: String,
    /** `report`, `warn`, `suspend`, `hide`, `uninstall`, `unsuspend` or `unhide`. */
    val action: String,
    val label: String? = null,
    val reason: String? = null,
    /** RFC 3339, when the strongest step of the ladder applies; null when none is planned. */
    val deadline: String? = null,
)

/** A warning the core attached to the plan. */
data class PlanWarning(val code: String, val message: String, val packageName: String?)

/** One entry of `plan.findings`, reduced to what the EMM report and the status screen need. */
data class FindingSummary(
    val packageName: String,
    val label: String?,
    val status: String?,
    val step: String?,
    /** What is due now (`action`), null when nothing new is needed. */
    val action: String? = null,
    /** RFC 3339: when the strongest step of the ladder applies. */
    val deadline: String? = null,
    /** The first matching rule's reason. */
    val reason: String? = null,
)

/** What the shell needs from a plan. */
data class Plan(
    val compliant: Boolean,
    val findings: List<FindingSummary>,
    val actions: List<PlannedAction>,
    val warnings: List<PlanWarning>,
    /**
     * The keyed app states the core made for this plan (`keyed_states`, an extra field next to
     * the plan: docs/jni.md); empty when the core sent none.
     */
    val keyedStates: List<KeyedState> = emptyList(),
    /** `policy.version`: the version of the policy in force; null when the plan has none. */
    val policyVersion: Long? = null,
) {
    companion object {
        /**
         * Parses the plan JSON. The plan comes from Veto's own core, so a malformed one is a bug:
         * the error names the JSON path so it can be found.
         */
        fun parse(json: String): Plan {
            val root = try {
                JSONObject(json)
            } catch (e: JSONException) {
                throw PlanFormatException("plan: not a JSON object (${e.message})")
            }
            val actions = array(root, "actions").mapObjects("actions") { o, at ->
                PlannedAction(
                    packageName = string(o, "package", at),
                    action = string(o, "action", at),
                    label = optString(o, "label"),
                    reason = optString(o, "reason"),
                    deadline = optString(o, "deadline"),
                )
            }
            val warnings = root.optJSONArray("warnings")?.mapObjects("warnings") { o, at ->
                PlanWarning(string(o, "code", at), string(o, "message", at), optString(o, "package"))
            } ?: emptyList()
            val findings = root.optJSONArray("findings")?.mapObjects("findings") { o, at ->
                val reason = (o.opt("matches") as? JSONArray)?.let { m -> (m.opt(0) as? JSONObject)?.let { optString(it, "reason") } }
                FindingSummary(
                    string(o, "package", at), optString(o, "label"), optString(o, "status"), optString(o, "step"),
                    action = optString(o, "action"), deadline = optString(o, "deadline"), reason = reason,
                )
            } ?: emptyList()
            val keyedStates = root.optJSONArray("keyed_states")?.mapObjects("keyed_states") { o, at ->
                val severity = string(o, "severity", at)
                KeyedState(
                    key = string(o, "key", at),
                    severity = Severity.entries.firstOrNull { it.name == severity }
                        ?: throw PlanFormatException("$at.severity: expected INFO or ERROR, found \"$severity\""),
                    message = string(o, "message", at),
                    data = optString(o, "data"),
                )
            } ?: emptyList()
            if (!root.has("compliant") || root.opt("compliant") !is Boolean) {
                throw PlanFormatException("plan: compliant: expected true or false")
            }
            return Plan(
                compliant = root.getBoolean("compliant"),
                findings = findings,
                actions = actions,
                warnings = warnings,
                keyedStates = keyedStates,
                policyVersion = (root.opt("policy") as? JSONObject)?.let { p -> (p.opt("version") as? Number)?.toLong() },
            )
        }

        private fun array(o: JSONObject, key: String): JSONArray =
            o.opt(key) as? JSONArray ?: throw PlanFormatException("plan: $key: expected an array")

        private fun <T> JSONArray.mapObjects(path: String, read: (JSONObject, String) -> T): List<T> =
            (0 until length()).map { i ->
                val at = "plan: $path[$i]"
                val o = opt(i) as? JSONObject ?: throw PlanFormatException("$at: expected an object")
                read(o, at)
            }

        private fun string(o: JSONObject, key: String, at: String): String =
            o.opt(key) as? String ?: throw PlanFormatException("$at.$key: expected a string")

        private fun optString(o: JSONObject, key: String): String? = o.opt(key) as? String
    }
}

/** The plan did not have the shape docs/contract.md describes; the message names the path. */
class PlanFormatException(message: String) : Exception(message)
