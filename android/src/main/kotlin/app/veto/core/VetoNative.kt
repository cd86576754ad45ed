package app.veto.core

import android.content.Context

/**
 * The JNI entry points of libveto.so (symbols `Java_app_veto_core_VetoNative_*`). Keep the
 * names and signatures: the native library, R8 keep rules and the symbol-export check rely on
 * them. The library is loaded, and [init] called, the first time this object is used.
 *
 * All methods are safe to call from any thread; each call is independent (state lives in the
 * files under `stateDir`), so callers serialise calls that share a `stateDir`.
 */
object VetoNative {
    init {
        NativeLibrary.load()
        init()
    }

    /** Sets up logging (logcat on Android) and a panic hook that logs. Safe to call twice. */
    @JvmStatic external fun init()

    /**
     * Hands the application context to Android's certificate verifier, which the policy feed
     * and the reports use for HTTPS. Call once per process (VetoApplication.onCreate) before
     * [syncPolicy] or [flushReports]; safe to call twice; a no-op on a host JVM.
     */
    @JvmStatic external fun initTls(context: Context)

    /**
     * The proxy [syncPolicy] and [flushReports] use from now on, for the whole process:
     * `{"url": "http://host:port", "exclude": ["host", "*.suffix", ...]}` (Android's `ProxyInfo`:
     * host, port, exclusion list; a PAC file resolved to the proxy it names), or `{}` for a
     * direct connection. Throws [VetoException] (`bad_managed_config`, naming the field) for a
     * bad document, and then keeps the proxy set before.
     */
    @JvmStatic external fun setProxy(proxyJson: String)

    /** See [Core.evaluate]. Throws [VetoException]. */
    @JvmStatic external fun evaluate(
        inventoryJson: String,
        managedConfigJson: String,
        capabilitiesJson: String,
        stateDir: String,
        nowMillis: Long,
    ): String

    /** See [Core.record]. Throws [VetoException]. */
    @JvmStatic external fun record(outcomesJson: String, stateDir: String, nowMillis: Long): String

    /** See [Core.syncPolicy]. Throws [VetoException] for a bad configuration, never for the network. */
    @JvmStatic external fun syncPolicy(managedConfigJson: String, stateDir: String, nowMillis: Long): String

    /** See [Core.flushReports]. Throws [VetoException] for a bad configuration or an unusable queue. */
    @JvmStatic external fun flushReports(managedConfigJson: String, stateDir: String, nowMillis: Long): String

    /** `{"veto": "<version>", "catalog": {"version": N, "entries": M}}`. */
    @JvmStatic external fun version(): String
}
