//! What the status screen shows: a snapshot of the last run, kept as JSON between runs.
package app.veto.run

import app.veto.act.FindingSummary
import app.veto.act.Plan
import app.veto.observe.Capabilities
import app.veto.observe.Role
import org.json.JSONArray
import org.json.JSONException
import org.json.JSONObject

/** Where the policy in force came from (docs/jni.md, "The policy"). */
enum class PolicySource(val json: String) {
    BUILT_IN("built_in"),
    MANAGED_CONFIGURATION("managed_configuration"),
    FEED("feed"),
    /** The managed configuration is invalid: the last good policy stays in force. */
    LAST_GOOD("last_good"),
    ;

    companion object {
        fun fromJson(s: String?): PolicySource? = entries.firstOrNull { it.json == s }

        /**
         * Decided as the core decides it: an invalid configuration keeps the last good policy;
         * a feed that has delivered is the base whenever `policy_url` is set; otherwise
         * `policy_json` if set, else the built-in policy.
         */
        fun of(managedConfigJson: String, plan: Plan): PolicySource {
            val codes = plan.warnings.map { it.code }.toSet()
            if ("bad_managed_config" in codes) return LAST_GOOD
            val config = try {
                JSONObject(managedConfigJson)
            } catch (e: JSONException) {
                return LAST_GOOD
            }
            val feedSet = (config.opt("policy_url") as? String)?.isNotBlank() == true
            if (feedSet && codes.none { it == "feed_pending" || it == "bad_feed_state" }) return FEED
            if ((config.opt("policy_json") as? String)?.isNotBlank() == true) return MANAGED_CONFIGURATION
            return BUILT_IN
        }
    }
}

/**
 * The last run as the status screen shows it. Times are milliseconds since the epoch; the
 * feed and report times are those of the last run in which that step worked, so they survive
 * runs in which it failed.
 */
data class StatusSnapshot(
    val lastRunAt: Long? = null,
    /** Why libveto.so could not be loaded; null when it could. */
    val coreUnavailable: String? = null,
    /** Why the last run stopped before acting, if it did. */
    val error: String? = null,
    val role: Role? = null,
    val delegatedScopes: List<String> = emptyList(),
    val canHideAndSuspend: Boolean = false,
    val canUninstallSilently: Boolean = false,
    val canBlockUninstall: Boolean = false,
    val policyVersion: Long? = null,
    val policySource: PolicySource? = null,
    val compliant: Boolean? = null,
    val findings: List<FindingSummary> = emptyList(),
    val lastSyncAt: Long? = null,
    /** The feed's last answer (`status` of syncPolicy) or why it could not run. */
    val syncStatus: String? = null,
    val lastReportAt: Long? = null,
    val reportStatus: String? = null,
) {
    fun toJson(): JSONObject = JSONObject()
        .put("last_run_at", lastRunAt ?: JSONObject.NULL)
        .put("core_unavailable", coreUnavailable ?: JSONObject.NULL)
        .put("error", error ?: JSONObject.NULL)
        .put("role", role?.json ?: JSONObject.NULL)
        .put("delegated_scopes", JSONArray(delegatedScopes))
        .put("can_hide_and_suspend", canHideAndSuspend)
        .put("can_uninstall_silently", canUninstallSilently)
        .put("can_block_uninstall", canBlockUninstall)
        .put("policy_version", policyVersion ?: JSONObject.NULL)
        .put("policy_source", policySource?.json ?: JSONObject.NULL)
        .put("compliant", compliant ?: JSONObject.NULL)
        .put(
            "findings",
            JSONArray(
                findings.map { f ->
                    JSONObject()
                        .put("package", f.packageName)
                        .put("label", f.label ?: JSONObject.NULL)
                        .put("status", f.status ?: JSONObject.NULL)
                        .put("step", f.step ?: JSONObject.NULL)
                        .put("action", f.action ?: JSONObject.NULL)
                        .put("deadline", f.deadline ?: JSONObject.NULL)
                        .put("reason", f.reason ?: JSONObject.NULL)
                },
            ),
        )
        .put("last_sync_at", lastSyncAt ?: JSONObject.NULL)
        .put("sync_status", syncStatus ?: JSONObject.NULL)
        .put("last_report_at", lastReportAt ?: JSONObject.NULL)
        .put("report_status", reportStatus ?: JSONObject.NULL)

    /** The snapshot after a run that could not load the core. */
    fun coreUnavailable(why: String, now: Long) = copy(lastRunAt = now, coreUnavailable = why)

    /** The snapshot after [report], a run that finished at [now] with [managedConfigJson]. */
    fun after(report: RunReport, managedConfigJson: String?, now: Long): StatusSnapshot {
        val caps: Capabilities? = report.capabilities
        val plan = report.plan
        val syncStatus = report.syncError?.let { "error: $it" } ?: report.syncStatus?.let(::statusField)
        val syncWorked = report.syncError == null && report.syncStatus != null &&
            statusField(report.syncStatus) !in setOf("error", "not_configured")
        val flushWorked = report.flushError == null && report.flushSummary != null &&
            (jsonOrNull(report.flushSummary)?.opt("error") as? Any).let { it == null || it == JSONObject.NULL }
        return StatusSnapshot(
            lastRunAt = now,
            coreUnavailable = null,
            error = report.error,
            role = caps?.role ?: role,
            delegatedScopes = caps?.delegatedScopes ?: delegatedScopes,
            canHideAndSuspend = caps?.canHideAndSuspend ?: canHideAndSuspend,
            canUninstallSilently = caps?.canUninstallSilently ?: canUninstallSilently,
            canBlockUninstall = caps?.canBlockUninstall ?: canBlockUninstall,
            policyVersion = plan?.policyVersion ?: policyVersion,
            policySource = if (plan != null && managedConfigJson != null) PolicySource.of(managedConfigJson, plan) else policySource,
            compliant = plan?.compliant ?: compliant,
            findings = plan?.findings ?: findings,
            lastSyncAt = if (syncWorked) now else lastSyncAt,
            syncStatus = syncStatus ?: this.syncStatus,
            lastReportAt = if (flushWorked) now else lastReportAt,
            reportStatus = report.flushError?.let { "error: $it" } ?: report.flushSummary ?: reportStatus,
        )
    }

    companion object {
        private fun jsonOrNull(s: String): JSONObject? = try {
            JSONObject(s)
        } catch (e: JSONException) {
            null
        }

        private fun statusField(s: String): String = jsonOrNull(s)?.optString("status")?.takeIf { it.isNotEmpty() } ?: s

        /** Reads a stored snapshot; a damaged or missing one is an empty snapshot (the next run rewrites it). */
        fun parse(json: String?): StatusSnapshot {
            val o = json?.let(::jsonOrNull) ?: return StatusSnapshot()
            fun str(k: String) = o.opt(k) as? String
            fun long(k: String) = (o.opt(k) as? Number)?.toLong()
            fun bool(k: String) = o.opt(k) as? Boolean
            val findings = (o.opt("findings") as? JSONArray)?.let { a ->
                (0 until a.length()).mapNotNull { i ->
                    val f = a.opt(i) as? JSONObject ?: return@mapNotNull null
                    fun fs(k: String) = f.opt(k) as? String
                    val pkg = fs("package") ?: return@mapNotNull null
                    FindingSummary(pkg, fs("label"), fs("status"), fs("step"), fs("action"), fs("deadline"), fs("reason"))
                }
            } ?: emptyList()
            val scopes = (o.opt("delegated_scopes") as? JSONArray)?.let { a -> (0 until a.length()).mapNotNull { a.opt(it) as? String } } ?: emptyList()
            return StatusSnapshot(
                lastRunAt = long("last_run_at"),
                coreUnavailable = str("core_unavailable"),
                error = str("error"),
                role = Role.entries.firstOrNull { it.json == str("role") },
                delegatedScopes = scopes,
                canHideAndSuspend = bool("can_hide_and_suspend") ?: false,
                canUninstallSilently = bool("can_uninstall_silently") ?: false,
                canBlockUninstall = bool("can_block_uninstall") ?: false,
                policyVersion = long("policy_version"),
                policySource = PolicySource.fromJson(str("policy_source")),
                compliant = bool("compliant"),
                findings = findings,
                lastSyncAt = long("last_sync_at"),
                syncStatus = str("sync_status"),
                lastReportAt = long("last_report_at"),
                reportStatus = str("report_status"),
            )
        }
    }
}
