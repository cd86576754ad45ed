//! Compliance reported to the EMM as keyed app states, behind an interface so only one file needs AndroidX.
package app.veto.act

/** Severity of a keyed app state (`KeyedAppState.SEVERITY_INFO` / `SEVERITY_ERROR`). */
enum class Severity { INFO, ERROR }

/** One keyed app state. Lengths are cut to the platform limits by [KeyedStates.state]. */
data class KeyedState(val key: String, val severity: Severity, val message: String, val data: String?)

/**
 * Where keyed app states go. The production implementation
 * (`app.veto.act.EnterpriseFeedbackSink`, in src/androidx) uses
 * `androidx.enterprise:enterprise-feedback`; it is found by name so the rest of the shell needs
 * no AndroidX.
 */
fun interface KeyedStateSink {
    fun report(states: List<KeyedState>)
}

object KeyedStates {
    const val MAX_KEY = 100
    const val MAX_MESSAGE = 1000
    const val MAX_DATA = 1000

    /** The fully qualified name of the AndroidX-backed sink; keep in step with proguard-rules.pro. */
    const val ENTERPRISE_FEEDBACK_SINK = "app.veto.act.EnterpriseFeedbackSink"

    /** Builds a state, cutting each field to the platform's limit (an over-long state is dropped whole by the reporter). */
    fun state(key: String, severity: Severity, message: String, data: String? = null) =
        KeyedState(key.take(MAX_KEY), severity, cut(message, MAX_MESSAGE), data?.let { cut(it, MAX_DATA) })

    private fun cut(s: String, max: Int) = if (s.length <= max) s else s.take(max - 1) + "…"

    /**
     * The states one run reports: `error` when the run itself failed; for a plan, the core's
     * states (`compliance`, `policy_feed`, `warnings`, `finding:<package>`: docs/reporting.md),
     * or, should a plan carry none, the shell's own summary (`compliance`, `app:<package>`,
     * `warning:<code>`); then one `action:<package>` ERROR per failed action (the detail only
     * the shell knows). EMMs surface ERROR states to administrators.
     */
    fun forRun(plan: Plan?, outcomes: List<Outcome>, runError: String?): List<KeyedState> {
        val states = mutableListOf<KeyedState>()
        if (runError != null) {
            states += state("error", Severity.ERROR, runError)
        }
        if (plan != null && plan.keyedStates.isNotEmpty()) {
            // Cut again: the limits are the platform's, whoever made the state.
            states += plan.keyedStates.map { state(it.key, it.severity, it.message, it.data) }
        } else if (plan != null) {
            val message = if (plan.compliant) "compliant: no barred app in the work profile"
            else "not compliant: ${plan.findings.size} barred app(s) in the work profile: " +
                plan.findings.joinToString(", ") { it.packageName }
            states += state("compliance", if (plan.compliant) Severity.INFO else Severity.ERROR, message, plan.compliant.toString())
            for (f in plan.findings) {
                val what = listOfNotNull(f.label, f.step?.let { "step $it" }, f.status?.let { "status $it" }).joinToString("; ")
                states += state("app:${f.packageName}", Severity.ERROR, "${f.packageName}: $what", f.status)
            }
            for (w in plan.warnings) {
                states += state(listOfNotNull("warning", w.code, w.packageName).joinToString(":"), Severity.INFO, w.message, w.packageName)
            }
        }
        for (o in outcomes.filter { it.result == Result.FAILED }) {
            states += state("action:${o.packageName}", Severity.ERROR, "${o.action} failed: ${o.detail ?: "no detail"}", o.action)
        }
        return states
    }
}
