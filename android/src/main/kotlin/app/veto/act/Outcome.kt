//! Results of executed actions, as the outcomes JSON the core records.
package app.veto.act

import org.json.JSONArray
import org.json.JSONObject

/** `result` of an outcome (docs/contract.md). */
enum class Result(val json: String) {
    DONE("done"),
    FAILED("failed"),
    /** The platform asked the user to confirm (e.g. a non-silent uninstall). */
    PENDING_USER("pending_user"),
}

/** What happened to one planned action; [detail] says why when it did not simply work. */
data class Outcome(val packageName: String, val action: String, val result: Result, val detail: String? = null) {
    companion object {
        fun done(a: PlannedAction, detail: String? = null) = Outcome(a.packageName, a.action, Result.DONE, detail)
        fun failed(a: PlannedAction, why: String) = Outcome(a.packageName, a.action, Result.FAILED, why)
        fun pendingUser(a: PlannedAction, detail: String) = Outcome(a.packageName, a.action, Result.PENDING_USER, detail)
    }
}

object Outcomes {
    /** `{"outcomes": [{"package", "action", "result", "detail"}]}`. */
    fun toJson(outcomes: List<Outcome>): JSONObject {
        val list = JSONArray()
        for (o in outcomes) {
            list.put(
                JSONObject()
                    .put("package", o.packageName)
                    .put("action", o.action)
                    .put("result", o.result.json)
                    .put("detail", o.detail ?: JSONObject.NULL),
            )
        }
        return JSONObject().put("outcomes", list)
    }
}
