package app.veto.core

/**
 * Test-only entry points of libveto.so, exported only when it is built with
 * `cargo build -p veto-jni --features test-hooks` (never in release builds).
 */
object VetoTestHooks {
    init {
        // Loads libveto.so (VetoNative's initialiser) before these natives are bound.
        VetoNative.version()
    }

    /** Panics inside the library with [message]; must surface as VetoException("internal"). */
    @JvmStatic external fun panicForTest(message: String): String

    /** Fails with a core error of [kind] (an error code) and [message]. */
    @JvmStatic external fun failForTest(kind: String, message: String): String

    /**
     * Stores [policyJson] in [stateDir] as the policy feed's last good policy, signed with a fixed
     * test key, exactly as a successful sync would; returns that key for `policy_public_key`.
     */
    @JvmStatic external fun storeFeedPolicyForTest(stateDir: String, policyJson: String, nowMillis: Long): String
}
