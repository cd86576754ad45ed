//! What Veto may do on this device, decided from what the platform says about Veto's role.
package app.veto.observe

import org.json.JSONArray
import org.json.JSONObject

/** Veto's role, as named in the capabilities JSON (docs/contract.md). */
enum class Role(val json: String) {
    DEVICE_OWNER("device_owner"),
    PROFILE_OWNER("profile_owner"),
    DELEGATE("delegate"),
    NONE("none"),
}

/**
 * Raw answers from DevicePolicyManager, gathered by a [CapabilitySource]. Kept separate from
 * [Capabilities] so the decision can be tested without a device.
 */
data class CapabilityFacts(
    val selfPackage: String,
    val isDeviceOwner: Boolean,
    val isProfileOwner: Boolean,
    /** `isAffiliatedUser()`; only meaningful for a profile owner. */
    val isAffiliated: Boolean,
    /** `getDelegatedScopes(null, selfPackage)`; empty when Veto is not a delegate. */
    val delegatedScopes: List<String>,
    /** The package of the profile's (or device's) policy controller, when visible. */
    val dpcPackage: String?,
)

/** The port that reads [CapabilityFacts] from the platform. */
fun interface CapabilitySource {
    fun facts(): CapabilityFacts
}

/** What Veto may do, and with which `admin` argument it must call DevicePolicyManager. */
data class Capabilities(
    val role: Role,
    val affiliated: Boolean,
    val delegatedScopes: List<String>,
    val selfPackage: String,
    val dpcPackage: String?,
) {
    /** Owners pass their admin component to DevicePolicyManager; delegates pass `null`. */
    val isOwner: Boolean get() = role == Role.DEVICE_OWNER || role == Role.PROFILE_OWNER

    /** `setPackagesSuspended` and `setApplicationHidden` (and reading hidden state). */
    val canHideAndSuspend: Boolean
        get() = isOwner || (role == Role.DELEGATE && DELEGATION_PACKAGE_ACCESS in delegatedScopes)

    /** Silent `PackageInstaller.uninstall`: a device owner or an affiliated profile owner only. */
    val canUninstallSilently: Boolean
        get() = role == Role.DEVICE_OWNER || (role == Role.PROFILE_OWNER && affiliated)

    /** `setUninstallBlocked` on Veto itself. */
    val canBlockUninstall: Boolean
        get() = isOwner || (role == Role.DELEGATE && DELEGATION_BLOCK_UNINSTALL in delegatedScopes)

    /** Why a silent uninstall is not possible, in words an administrator understands. */
    fun whyNoSilentUninstall(): String = when {
        canUninstallSilently -> "silent uninstall is allowed"
        role == Role.PROFILE_OWNER ->
            "silent uninstall needs a device owner or an affiliated profile owner; Veto is a profile owner of an unaffiliated profile (let the EMM block the app instead)"
        else ->
            "silent uninstall needs a device owner or an affiliated profile owner; Veto's role is ${role.json} (let the EMM block the app instead)"
    }

    /** Why hiding or suspending is not possible. */
    fun whyNoHideOrSuspend(): String =
        "hiding and suspending need Veto to be the device policy controller or a delegate with " +
            "$DELEGATION_PACKAGE_ACCESS; Veto's role is ${role.json}" +
            if (role == Role.DELEGATE) " with scopes ${delegatedScopes.joinToString().ifEmpty { "(none)" }}" else ""

    /** The capabilities JSON of docs/contract.md. */
    fun toJson(): JSONObject = JSONObject()
        .put("role", role.json)
        .put("affiliated", affiliated)
        .put("delegated_scopes", JSONArray(delegatedScopes))
        .put("self_package", selfPackage)
        .put("dpc_package", dpcPackage ?: JSONObject.NULL)

    companion object {
        /** `DevicePolicyManager.DELEGATION_PACKAGE_ACCESS`. */
        const val DELEGATION_PACKAGE_ACCESS = "delegation-package-access"

        /** `DevicePolicyManager.DELEGATION_BLOCK_UNINSTALL`. */
        const val DELEGATION_BLOCK_UNINSTALL = "delegation-block-uninstall"

        /**
         * Decides Veto's role. Ownership wins over delegation (an owner can do everything a
         * delegate can); a delegate is only a delegate if it holds at least one scope. The
         * affiliated flag is reported only for a profile owner: for anyone else it grants nothing.
         */
        fun decide(facts: CapabilityFacts): Capabilities {
            val scopes = facts.delegatedScopes.distinct().sorted()
            val role = when {
                facts.isDeviceOwner -> Role.DEVICE_OWNER
                facts.isProfileOwner -> Role.PROFILE_OWNER
                scopes.isNotEmpty() -> Role.DELEGATE
                else -> Role.NONE
            }
            val dpc = when {
                role == Role.DEVICE_OWNER || role == Role.PROFILE_OWNER -> facts.selfPackage
                else -> facts.dpcPackage?.takeIf { it.isNotBlank() }
            }
            return Capabilities(
                role = role,
                affiliated = role == Role.PROFILE_OWNER && facts.isAffiliated,
                delegatedScopes = if (role == Role.DELEGATE) scopes else emptyList(),
                selfPackage = facts.selfPackage,
                dpcPackage = dpc,
            )
        }
    }
}
