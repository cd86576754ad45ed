package app.veto.core

/**
 * The decisions the Rust core makes for the shell. Everything crossing this interface is JSON
 * as described in docs/contract.md; times are milliseconds since the Unix epoch.
 *
 * [NativeCore] is the real implementation (libveto.so); tests of the shell substitute fakes.
 * Both methods throw [VetoException] on bad input; neither ever weakens enforcement because a
 * managed configuration is broken (the plan then carries a `bad_managed_config` warning).
 */
interface Core {
    /** Parses the inputs, evaluates the policy, notes first-seen times in [stateDir]; returns the plan JSON. */
    fun evaluate(
        inventoryJson: String,
        managedConfigJson: String,
        capabilitiesJson: String,
        stateDir: String,
        nowMillis: Long,
    ): String

    /** Stores the executor's outcomes in the state in [stateDir]; returns a short JSON summary. */
    fun record(outcomesJson: String, stateDir: String, nowMillis: Long): String
}

/** The [Core] backed by libveto.so; the library is loaded on first use. */
object NativeCore : Core {
    override fun evaluate(
        inventoryJson: String,
        managedConfigJson: String,
        capabilitiesJson: String,
        stateDir: String,
        nowMillis: Long,
    ): String = VetoNative.evaluate(inventoryJson, managedConfigJson, capabilitiesJson, stateDir, nowMillis)

    override fun record(outcomesJson: String, stateDir: String, nowMillis: Long): String =
        VetoNative.record(outcomesJson, stateDir, nowMillis)

    /** `{"veto": "<version>", "catalog": {"version": N, "entries": M}}`. */
    fun version(): String = VetoNative.version()
}
