package app.veto.core

/**
 * The one exception the native core throws. [kind] is a stable machine-readable code
 * (`bad_inventory`, `bad_policy`, `bad_managed_config`, `bad_capabilities`, `bad_outcomes`,
 * `bad_state`, `io`, `feed`, `internal`); the message names the problem and where it is.
 *
 * libveto.so constructs it through the `(String, String)` constructor: keep that signature.
 */
class VetoException(val kind: String, message: String) : Exception(message)
