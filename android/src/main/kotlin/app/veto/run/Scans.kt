//! The process-wide entry point for triggers: builds an [EnforcementRun] from a Context and runs it single-flight, off the main thread.
package app.veto.run

import android.content.ComponentName
import android.content.Context
import android.util.Log
import app.veto.act.AndroidDevicePolicy
import app.veto.act.AndroidNotifier
import app.veto.act.KeyedStateSink
import app.veto.act.KeyedStates
import app.veto.act.NoticeTexts
import app.veto.configure.AndroidConfigurationSource
import app.veto.core.NativeCore
import app.veto.observe.AndroidCapabilitySource
import app.veto.observe.AndroidPackageSource
import app.veto.trigger.VetoAdminReceiver
import java.io.File
import java.time.ZoneId
import java.util.Locale

/**
 * Every trigger (package change, restrictions change, boot, periodic job, admin callbacks)
 * calls [request]. The scan runs on a background thread; [SingleFlight] makes sure only one
 * runs at a time and that a trigger during a scan leads to exactly one more scan.
 */
object Scans {
    private const val TAG = "Veto"

    @Volatile private var flight: SingleFlight? = null
    @Volatile private var sink: KeyedStateSink? = null

    /**
     * Starts a scan in the background (or marks a re-run if one is going); [whenDone] runs on
     * that background thread once this request has been handled, e.g. to finish a
     * `goAsync()` broadcast or a job.
     */
    fun request(context: Context, reason: String, whenDone: () -> Unit = {}) {
        val app = context.applicationContext
        val guard = flightFor(app)
        Thread({
            try {
                Log.i(TAG, "scan requested: $reason")
                guard.trigger()
            } finally {
                whenDone()
            }
        }, "veto-scan").start()
    }

    @Synchronized
    private fun flightFor(app: Context): SingleFlight =
        flight ?: SingleFlight(
            body = { runOnce(app) },
            onError = { e -> Log.e(TAG, "scan failed", e) },
        ).also { flight = it }

    private fun runOnce(app: Context) {
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
        report.syncError?.let { Log.w(TAG, "policy feed sync failed: $it") }
        report.syncStatus?.let { Log.i(TAG, "policy feed: $it") }
        report.flushError?.let { Log.w(TAG, "sending reports failed: $it") }
        report.flushSummary?.let { Log.i(TAG, "reports: $it") }
    }

    /** Wires the framework implementations of every port. */
    fun enforcementRun(app: Context): EnforcementRun {
        val language = NoticeTexts.forLocale(Locale.getDefault())
        return EnforcementRun(
            core = NativeCore,
            capabilitySource = AndroidCapabilitySource(app),
            packages = { caps -> AndroidPackageSource(app, adminFor(app, caps.isOwner), caps.canHideAndSuspend) },
            configuration = AndroidConfigurationSource(app),
            devicePolicy = { caps -> AndroidDevicePolicy(app, adminFor(app, caps.isOwner)) },
            notifier = AndroidNotifier(app, language),
            keyedStates = sinkFor(app),
            clock = Clock { System.currentTimeMillis() },
            stateDir = stateDir(app).path,
            language = language,
            zone = ZoneId.systemDefault(),
        )
    }

    /** Owners pass their DeviceAdminReceiver to DevicePolicyManager; delegates pass null. */
    private fun adminFor(app: Context, isOwner: Boolean): ComponentName? =
        if (isOwner) ComponentName(app, VetoAdminReceiver::class.java) else null

    /** The core's state lives outside backups: restoring it onto another device would be wrong. */
    private fun stateDir(app: Context): File = File(app.noBackupFilesDir, "veto-state").apply { mkdirs() }

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
