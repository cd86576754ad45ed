//! The process-wide entry point for triggers: enqueues a one-off job; the job builds an [EnforcementRun] from a Context and runs it single-flight, off the main thread.
package app.veto.trigger

import android.content.ComponentName
import android.content.Context
import android.util.Log
import app.veto.R
import app.veto.act.AndroidDevicePolicy
import app.veto.act.AndroidNotifier
import app.veto.act.Executor
import app.veto.act.KeyedStateSink
import app.veto.act.KeyedStates
import app.veto.act.NoticeTexts
import app.veto.act.SetupStep
import app.veto.act.Severity
import app.veto.act.SupportMessages
import app.veto.configure.AndroidConfigurationSource
import app.veto.core.NativeCore
import app.veto.observe.AndroidCapabilitySource
import app.veto.observe.AndroidPackageSource
import app.veto.observe.AndroidProxySource
import app.veto.observe.Capabilities
import app.veto.run.Clock
import app.veto.run.EnforcementRun
import app.veto.run.SingleFlight
import app.veto.run.StatusSnapshot
import java.io.File
import java.time.Instant
import java.time.ZoneId
import java.util.Locale
import java.util.concurrent.TimeUnit

/**
 * Every trigger (package change, restrictions change, scopes change, boot, admin callbacks,
 * "check now") calls [request], which does no work itself: it enqueues the one-off scan job
 * ([SweepJob.scheduleNow]) and returns, so no scan ever runs inside a broadcast's time limit.
 * The job calls [runScans] on its own thread; [SingleFlight] makes sure only one scan runs at a
 * time and that a trigger during a scan leads to exactly one more scan.
 */
object Scans {
    private const val TAG = "Veto"

    /** The status screen's snapshot of the last run (noBackupFilesDir: never restored elsewhere). */
    const val STATUS_FILE = "veto-status.json"

    @Volatile private var flight: SingleFlight? = null
    @Volatile private var sink: KeyedStateSink? = null
    private val workers = mutableSetOf<Thread>()

    /** Asks for a scan soon: a running scan runs once more, otherwise the one-off job is enqueued. */
    fun request(context: Context, reason: String) {
        val app = context.applicationContext
        Log.i(TAG, "scan requested: $reason")
        if (flightFor(app).rerunIfRunning()) return
        SweepJob.scheduleNow(app)
    }

    /**
     * Runs the scans due on a new worker thread (called by [SweepJob]); [whenDone] runs on that
     * thread afterwards, e.g. `jobFinished`.
     */
    fun startWorker(context: Context, whenDone: () -> Unit) {
        val app = context.applicationContext
        val guard = flightFor(app)
        lateinit var worker: Thread
        worker = Thread({
            try {
                guard.trigger()
            } catch (t: Throwable) {
                Log.e(TAG, "scan failed", t)
            } finally {
                synchronized(workers) { workers -= worker }
                whenDone()
            }
        }, "veto-scan")
        synchronized(workers) { workers += worker }
        worker.start()
    }

    /** True while a scan worker runs (the status screen says "checking"). */
    val busy: Boolean get() = synchronized(workers) { workers.isNotEmpty() }

    /** Waits until no scan worker runs; false if that took longer than [timeoutMillis]. */
    fun awaitIdle(timeoutMillis: Long): Boolean {
        val deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis)
        while (true) {
            val running = synchronized(workers) { workers.toList() }
            if (running.isEmpty()) return true
            for (t in running) {
                val left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())
                if (left <= 0) return false
                t.join(left)
            }
        }
    }

    /** The application context the scans use (one per process on a device). */
    @Volatile private var context: Context? = null

    @Synchronized
    private fun flightFor(app: Context): SingleFlight {
        context = app
        return flight ?: SingleFlight(
            body = { runOnce(checkNotNull(context) { "no context for the scan" }) },
            onError = { e -> Log.e(TAG, "scan failed", e) },
        ).also { flight = it }
    }

    /** One scan: the run, then its snapshot for the status screen. Public for tests and the job. */
    fun runOnce(app: Context) {
        val now = System.currentTimeMillis()
        val unavailable = NativeCore.unavailable()
        if (unavailable != null) {
            // Nothing can be decided without the core: say so, loudly, every run.
            Log.e(TAG, "Veto's core is unavailable: $unavailable")
            reportCoreUnavailable(app, unavailable, now)
            writeStatus(app, readStatus(app).coreUnavailable(unavailable, now))
            return
        }
        val report = enforcementRun(app).run()
        when {
            report.error != null -> Log.e(TAG, report.error)
            else -> Log.i(
                TAG,
                "scan done: role ${report.capabilities?.role?.json}, compliant ${report.plan?.compliant}, " +
                    "${report.outcomes.size} action(s)" + (report.recordError?.let { "; $it" } ?: ""),
            )
        }
        // The network steps never stop a run; say what they did so a failure can be found.
        report.proxyError?.let { Log.w(TAG, it) }
        report.syncError?.let { Log.w(TAG, "policy feed sync failed: $it") }
        report.syncStatus?.let { Log.i(TAG, "policy feed: $it") }
        report.flushError?.let { Log.w(TAG, "sending reports failed: $it") }
        report.flushSummary?.let { Log.i(TAG, "reports: $it") }
        writeStatus(app, readStatus(app).after(report, report.managedConfigJson, System.currentTimeMillis()))
    }

    /** The keyed states of a process whose core did not load: the error and the heartbeat. */
    fun reportCoreUnavailable(app: Context, why: String, now: Long) {
        val at = Instant.ofEpochMilli(now).toString()
        val states = listOf(
            KeyedStates.state(CORE_UNAVAILABLE_KEY, Severity.ERROR, "Veto's core (libveto.so) could not be loaded, so nothing is checked or enforced: $why"),
            KeyedStates.state(EnforcementRun.HEARTBEAT_KEY, Severity.INFO, "last run $at; policy version unknown; the core is unavailable", at),
        )
        try {
            sinkFor(app).report(states)
        } catch (e: RuntimeException) {
            Log.w(TAG, "keyed app states could not be sent", e)
        }
    }

    /** The key of the state that says libveto.so could not be loaded (issue 8 item 7). */
    const val CORE_UNAVAILABLE_KEY = "core_unavailable"

    /** Wires the framework implementations of every port; [clock] is the wall clock but in tests. */
    fun enforcementRun(app: Context, clock: Clock = Clock { System.currentTimeMillis() }): EnforcementRun {
        val language = NoticeTexts.forLocale(Locale.getDefault())
        return EnforcementRun(
            core = NativeCore,
            capabilitySource = AndroidCapabilitySource(app),
            packages = { caps -> AndroidPackageSource(app, adminFor(app, caps.isOwner), caps.canHideAndSuspend) },
            configuration = AndroidConfigurationSource(app),
            devicePolicy = { caps -> AndroidDevicePolicy(app, adminFor(app, caps.isOwner)) },
            notifier = AndroidNotifier(app, language),
            keyedStates = sinkFor(app),
            clock = clock,
            stateDir = stateDir(app).path,
            language = language,
            zone = ZoneId.systemDefault(),
            proxySource = AndroidProxySource(app),
            supportMessages = supportMessages(app),
        )
    }

    /**
     * The owner's set-up (self-protection, notifications, support messages), done at once when
     * provisioning finishes instead of waiting for the first scan, which repeats it. Returns what
     * was done; empty when Veto is not the owner.
     */
    fun setUpOwner(app: Context): List<SetupStep> {
        val caps = Capabilities.decide(AndroidCapabilitySource(app).facts())
        if (!caps.isOwner) return emptyList()
        val executor = Executor(AndroidDevicePolicy(app, adminFor(app, true)), caps) { true }
        val self = executor.protectSelf()
        return listOf(SetupStep("uninstall_blocked", self.blocked, self.detail)) + executor.setUpOwner(supportMessages(app))
    }

    private fun supportMessages(app: Context) =
        SupportMessages(app.getString(R.string.support_short), app.getString(R.string.support_long))

    /** Owners pass their DeviceAdminReceiver to DevicePolicyManager; delegates pass null. */
    private fun adminFor(app: Context, isOwner: Boolean): ComponentName? =
        if (isOwner) ComponentName(app, VetoAdminReceiver::class.java) else null

    /** The core's state lives outside backups: restoring it onto another device would be wrong. */
    fun stateDir(app: Context): File = File(app.noBackupFilesDir, "veto-state").apply { mkdirs() }

    /** The last run's snapshot; empty before the first run or if the file is damaged. */
    fun readStatus(app: Context): StatusSnapshot {
        val file = File(app.noBackupFilesDir, STATUS_FILE)
        val text = try {
            if (file.isFile) file.readText() else null
        } catch (e: java.io.IOException) {
            null
        }
        return StatusSnapshot.parse(text)
    }

    /** Written to a temporary file and renamed, so a reader never sees half a snapshot. */
    private fun writeStatus(app: Context, snapshot: StatusSnapshot) {
        try {
            val dir = app.noBackupFilesDir.apply { mkdirs() }
            val tmp = File(dir, "$STATUS_FILE.tmp")
            tmp.writeText(snapshot.toJson().toString())
            if (!tmp.renameTo(File(dir, STATUS_FILE))) Log.w(TAG, "could not store the status snapshot")
        } catch (e: java.io.IOException) {
            Log.w(TAG, "could not store the status snapshot", e)
        }
    }

    /**
     * One keyed-state reporter for the process (it keeps bindings). The AndroidX-backed sink is
     * looked up by name; without it (a build without enterprise-feedback) states go to the log.
     */
    @Synchronized
    private fun sinkFor(app: Context): KeyedStateSink = sink ?: try {
        Class.forName(KeyedStates.ENTERPRISE_FEEDBACK_SINK)
            .getConstructor(Context::class.java)
            .newInstance(app) as KeyedStateSink
    } catch (e: ReflectiveOperationException) {
        Log.w(TAG, "enterprise feedback unavailable; keyed app states go to the log only", e)
        KeyedStateSink { states -> states.forEach { Log.i(TAG, "state ${it.key} ${it.severity}: ${it.message}") } }
    }.also { sink = it }
}
