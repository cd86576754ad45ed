//! One enforcement run: proxy → sync the policy feed → observe → Core.evaluate → execute → Core.record → notify and report → send reports.
package app.veto.run

import app.veto.act.DevicePolicyPort
import app.veto.act.Executor
import app.veto.act.KeyedState
import app.veto.act.KeyedStateSink
import app.veto.act.KeyedStates
import app.veto.act.NoticeChange
import app.veto.act.NoticeLanguage
import app.veto.act.NoticeTexts
import app.veto.act.Notifier
import app.veto.act.Outcome
import app.veto.act.Outcomes
import app.veto.act.Plan
import app.veto.act.PlanFormatException
import app.veto.act.SelfProtection
import app.veto.act.SetupStep
import app.veto.act.Severity
import app.veto.act.SupportMessages
import app.veto.configure.ConfigurationSource
import app.veto.configure.ManagedConfiguration
import app.veto.core.Core
import app.veto.core.VetoException
import app.veto.observe.Capabilities
import app.veto.observe.CapabilitySource
import app.veto.observe.Inventory
import app.veto.observe.PackageSource
import app.veto.observe.ProxySetting
import app.veto.observe.ProxySource
import java.time.Instant
import java.time.ZoneId

/** The time source (milliseconds since the Unix epoch). */
fun interface Clock {
    fun nowMillis(): Long
}

/** What one run did; [error] is set when the run stopped early (nothing was executed then). */
data class RunReport(
    val capabilities: Capabilities?,
    val plan: Plan?,
    val outcomes: List<Outcome>,
    val selfProtection: SelfProtection?,
    val configProblems: List<String>,
    val error: String?,
    /** Set when the outcomes could not be stored (they are then retried by the core's logic). */
    val recordError: String?,
    /** What `Core.syncPolicy` answered (its status JSON), when it answered. */
    val syncStatus: String? = null,
    /** Set when `Core.syncPolicy` threw; the run went on with the last good policy. */
    val syncError: String? = null,
    /** What `Core.flushReports` answered (its summary JSON), when it answered. */
    val flushSummary: String? = null,
    /** Set when `Core.flushReports` threw; the reports stay queued for the next run. */
    val flushError: String? = null,
    /** What Veto did for itself as the owner this run (empty when it is not the owner). */
    val ownerSetup: List<SetupStep> = emptyList(),
    /** Set when the device proxy could not be handed to the core; the network steps went direct. */
    val proxyError: String? = null,
    /** The managed configuration JSON this run used, when it could be read. */
    val managedConfigJson: String? = null,
)

/**
 * The orchestrator. Every framework call sits behind a port, so the whole run is testable on
 * the JVM with fakes. Sources that depend on Veto's role ([packages], [devicePolicy]) are built
 * from the capabilities of this run.
 *
 * Never call [run] twice at once for the same [stateDir]: go through [SingleFlight].
 */
class EnforcementRun(
    private val core: Core,
    private val capabilitySource: CapabilitySource,
    private val packages: (Capabilities) -> PackageSource,
    private val configuration: ConfigurationSource,
    private val devicePolicy: (Capabilities) -> DevicePolicyPort,
    private val notifier: Notifier,
    private val keyedStates: KeyedStateSink,
    private val clock: Clock,
    private val stateDir: String,
    private val language: NoticeLanguage,
    private val zone: ZoneId,
    /** The device proxy, handed to the core before the network steps of every run. */
    private val proxySource: ProxySource = ProxySource { null },
    /** The support messages an owner sets (in the employee's language); null: not set. */
    private val supportMessages: SupportMessages? = null,
) {
    /**
     * One run, in the order evaluate → act → record: the core writes the plan's device actions
     * ahead as pending inside `evaluate` and settles them in `record` (docs/contract.md), so a
     * process death between the two is reconciled by the next run.
     *
     * The network steps (the policy feed before evaluating, sending reports at the end) are
     * best effort: a failure is recorded in the [RunReport] and the run goes on, so they can
     * delay an update or a report but never enforcement.
     */
    fun run(): RunReport {
        var capabilities: Capabilities? = null
        var configProblems: List<String> = emptyList()
        var configJson: String? = null
        var sync: NetworkStep? = null
        var proxyError: String? = null
        val plan: Plan
        try {
            val caps = Capabilities.decide(capabilitySource.facts())
            capabilities = caps
            val config = ManagedConfiguration.toJson(configuration.read())
            configProblems = config.problems
            val json = config.json.toString()
            configJson = json
            proxyError = applyProxy()
            sync = networkStep { core.syncPolicy(json, stateDir, clock.nowMillis()) }
            val now = clock.nowMillis()
            val inventory = Inventory.toJson(packages(caps).installedApps(), now)
            val planJson = core.evaluate(inventory.toString(), json, caps.toJson().toString(), stateDir, now)
            plan = Plan.parse(planJson)
        } catch (e: VetoException) {
            return stopped(capabilities, configProblems, "evaluation failed (${e.kind}): ${e.message}", sync, configJson, proxyError)
        } catch (e: PlanFormatException) {
            return stopped(capabilities, configProblems, "the core returned a malformed plan: ${e.message}", sync, configJson, proxyError)
        } catch (e: RuntimeException) {
            // Reading the device failed (e.g. a SecurityException from PackageManager).
            return stopped(
                capabilities, configProblems,
                "observing the work profile failed: ${e.javaClass.simpleName}: ${e.message}", sync, configJson, proxyError,
            )
        }
        val caps = capabilities
        val syncStep = sync

        val executor = Executor(devicePolicy(caps), caps) { guarded { notifier.canPostNotices() } ?: false }
        val self = executor.protectSelf()
        val setup = executor.setUpOwner(supportMessages)
        val outcomes = executor.execute(plan.actions)

        val recordError = try {
            core.record(Outcomes.toJson(outcomes).toString(), stateDir, clock.nowMillis())
            null
        } catch (e: VetoException) {
            "recording outcomes failed (${e.kind}): ${e.message}"
        }

        notify(plan, outcomes)
        report(
            KeyedStates.forRun(plan, outcomes, recordError) +
                extraStates(self, configProblems, syncStep, setup, proxyError) + heartbeat(plan.policyVersion, null),
        )
        val json = checkNotNull(configJson) { "the configuration is read before evaluating" }
        val flush = networkStep { core.flushReports(json, stateDir, clock.nowMillis()) }
        return RunReport(
            caps, plan, outcomes, self, configProblems, null, recordError,
            syncStep?.result, syncStep?.error, flush.result, flush.error, setup, proxyError, json,
        )
    }

    /**
     * Hands the device proxy to the core (process-wide) before the network steps. A failure is
     * returned, never thrown: the network steps then go the way the core was last told.
     */
    private fun applyProxy(): String? = try {
        core.setProxy(ProxySetting.json(proxySource.current()))
        null
    } catch (e: VetoException) {
        "proxy not applied (${e.kind}): ${e.message}"
    } catch (e: RuntimeException) {
        "proxy not applied: ${e.javaClass.simpleName}: ${e.message}"
    }

    /**
     * The heartbeat (issue 8 item 9): one INFO state on every run, with its time and the policy
     * version in force, so an EMM can alert when Veto falls silent.
     */
    private fun heartbeat(policyVersion: Long?, error: String?): KeyedState {
        val at = Instant.ofEpochMilli(clock.nowMillis()).toString()
        val version = policyVersion?.toString() ?: "unknown"
        val message = "last run $at; policy version $version" + (error?.let { "; the run stopped: $it" } ?: "")
        return KeyedStates.state(HEARTBEAT_KEY, Severity.INFO, message, at)
    }

    /** The answer of a network step, or why it failed. */
    private class NetworkStep(val result: String?, val error: String?)

    /**
     * Runs a network step of the core. Its own failures (a bad URL, TLS not set up, an unusable
     * queue: a [VetoException]; anything else the step throws) are caught and returned.
     */
    private inline fun networkStep(step: () -> String): NetworkStep = try {
        NetworkStep(step(), null)
    } catch (e: VetoException) {
        NetworkStep(null, "${e.kind}: ${e.message}")
    } catch (e: RuntimeException) {
        NetworkStep(null, "${e.javaClass.simpleName}: ${e.message}")
    }

    /**
     * Posts or withdraws notices. Outcomes pair with actions by position (the executor keeps
     * plan order). Notices of apps that are no longer findings are withdrawn.
     */
    private fun notify(plan: Plan, outcomes: List<Outcome>) {
        if (guarded { notifier.canPostNotices() } != true) return
        for ((i, action) in plan.actions.withIndex()) {
            when (val change = NoticeTexts.change(action, outcomes.getOrNull(i), language, zone)) {
                is NoticeChange.Post -> guarded { notifier.post(change.notice) }
                is NoticeChange.Withdraw -> guarded { notifier.withdraw(change.packageName) }
                null -> {}
            }
        }
        guarded { notifier.withdrawAllExcept(plan.findings.map { it.packageName }.toSet()) }
    }

    private fun extraStates(
        self: SelfProtection?,
        configProblems: List<String>,
        sync: NetworkStep?,
        setup: List<SetupStep>,
        proxyError: String?,
    ): List<KeyedState> {
        val states = mutableListOf<KeyedState>()
        if (self != null && !self.blocked) states += KeyedStates.state("self_protection", Severity.INFO, self.detail)
        setup.filter { !it.done }.forEach { states += KeyedStates.state("owner_setup:${it.name}", Severity.INFO, it.detail) }
        proxyError?.let { states += KeyedStates.state("proxy", Severity.ERROR, it) }
        configProblems.forEachIndexed { i, p -> states += KeyedStates.state("config_problem:$i", Severity.ERROR, p) }
        // A sync that ran but failed is in the core's `policy_feed` state; one that could not run at all only here.
        sync?.error?.let { states += KeyedStates.state("policy_sync", Severity.ERROR, "policy feed sync failed: $it") }
        return states
    }

    /**
     * A run that could not evaluate: nothing is executed; the error is reported, and reports
     * queued by earlier runs are still sent (when the configuration could be read).
     */
    private fun stopped(
        caps: Capabilities?,
        configProblems: List<String>,
        error: String,
        sync: NetworkStep?,
        configJson: String?,
        proxyError: String?,
    ): RunReport {
        report(
            KeyedStates.forRun(null, emptyList(), error) +
                extraStates(null, configProblems, sync, emptyList(), proxyError) + heartbeat(null, error),
        )
        val flush = configJson?.let { json -> networkStep { core.flushReports(json, stateDir, clock.nowMillis()) } }
        return RunReport(
            caps, null, emptyList(), null, configProblems, error, null,
            sync?.result, sync?.error, flush?.result, flush?.error, emptyList(), proxyError, configJson,
        )
    }

    private fun report(states: List<KeyedState>) {
        guarded { keyedStates.report(states) }
    }

    companion object {
        /** The keyed state written on every run (issue 8 item 9). */
        const val HEARTBEAT_KEY = "heartbeat"
    }

    /** Notices and EMM reports are best effort: their failure must not undo enforcement. */
    private inline fun <T> guarded(block: () -> T): T? = try {
        block()
    } catch (e: RuntimeException) {
        null
    }
}
