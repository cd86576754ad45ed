//! The shell's view of the Rust core ([Core]) and its libveto.so implementation ([NativeCore]): the JNI facade.
package app.veto.core

import android.content.Context

/**
 * The decisions the Rust core makes for the shell. Everything crossing this interface is JSON
 * as described in docs/contract.md; times are milliseconds since the Unix epoch.
 *
 * [NativeCore] is the real implementation (libveto.so); tests of the shell substitute fakes.
 * Every method throws [VetoException] on bad input; none ever weakens enforcement because a
 * managed configuration is broken (the plan then carries a `bad_managed_config` warning), and
 * the network steps ([syncPolicy], [flushReports]) report network failures in their result.
 */
interface Core {
    /**
     * Parses the inputs, evaluates the policy, notes first-seen times in [stateDir]; returns the
     * plan JSON, with the keyed app states for the EMM in its extra field `keyed_states`. With
     * `report_url` configured it keeps the plan for the report [record] queues.
     */
    fun evaluate(
        inventoryJson: String,
        managedConfigJson: String,
        capabilitiesJson: String,
        stateDir: String,
        nowMillis: Long,
    ): String

    /**
     * Stores the executor's outcomes in the state in [stateDir] and queues the compliance report
     * of the last evaluation (when `report_url` is set); returns a short JSON summary.
     */
    fun record(outcomesJson: String, stateDir: String, nowMillis: Long): String

    /**
     * Fetches and verifies the signed policy feed (`policy_url`), keeping the last good policy in
     * [stateDir]; returns `{"status": "updated"|"not_modified"|"unchanged"|"not_configured"|"error", …}`.
     * Network access: never call it on the main thread.
     */
    fun syncPolicy(managedConfigJson: String, stateDir: String, nowMillis: Long): String

    /**
     * Sends the queued compliance reports that are due to `report_url`; returns
     * `{"sent", "remaining", "next_attempt_at", "error"}`. Network access: never on the main thread.
     */
    fun flushReports(managedConfigJson: String, stateDir: String, nowMillis: Long): String

    /**
     * Sets the proxy [syncPolicy] and [flushReports] use from now on, process-wide:
     * `{"url": "http://host:port", "exclude": ["host", "*.suffix"]}`, or `{}` for a direct
     * connection (docs/contract.md). Throws [VetoException] (`bad_managed_config`) for bad JSON.
     */
    fun setProxy(proxyJson: String)
}

/** The [Core] backed by libveto.so; the library is loaded on first use (see [unavailable]). */
object NativeCore : Core {
    @Volatile private var loadFailure: Throwable? = null
    @Volatile private var probed = false

    /**
     * Null when libveto.so loaded; otherwise why not. The library is loaded by `VetoNative`'s
     * initialiser, which fails with an `UnsatisfiedLinkError` (library missing, wrong ABI, a
     * symbol not found) wrapped in `ExceptionInInitializerError` the first time and
     * `NoClassDefFoundError` ever after: any `Throwable` here means the core is unavailable,
     * and the app stays up to say so.
     */
    fun unavailable(): String? {
        if (!probed) {
            synchronized(this) {
                if (!probed) {
                    loadFailure = try {
                        VetoNative.version()
                        null
                    } catch (t: Throwable) {
                        t
                    }
                    probed = true
                }
            }
        }
        val failure = loadFailure ?: return null
        val cause = generateSequence(failure) { it.cause }.last()
        return "${cause.javaClass.simpleName}: ${cause.message ?: "no message"}"
    }

    override fun evaluate(
        inventoryJson: String,
        managedConfigJson: String,
        capabilitiesJson: String,
        stateDir: String,
        nowMillis: Long,
    ): String = VetoNative.evaluate(inventoryJson, managedConfigJson, capabilitiesJson, stateDir, nowMillis)

    override fun record(outcomesJson: String, stateDir: String, nowMillis: Long): String =
        VetoNative.record(outcomesJson, stateDir, nowMillis)

    override fun syncPolicy(managedConfigJson: String, stateDir: String, nowMillis: Long): String =
        VetoNative.syncPolicy(managedConfigJson, stateDir, nowMillis)

    override fun flushReports(managedConfigJson: String, stateDir: String, nowMillis: Long): String =
        VetoNative.flushReports(managedConfigJson, stateDir, nowMillis)

    /** Routes the feed and reports through the device's proxy from now on (see [VetoNative.setProxy]). */
    override fun setProxy(proxyJson: String) = VetoNative.setProxy(proxyJson)

    /** Sets up HTTPS for this process (see [VetoNative.initTls]); pass the application context. */
    fun initTls(context: Context) = VetoNative.initTls(context)

    /** `{"veto": "<version>", "catalog": {"version": N, "entries": M}}`. */
    fun version(): String = VetoNative.version()
}
