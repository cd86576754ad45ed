//! Reads Veto's role from DevicePolicyManager (the framework side of [CapabilitySource]).
package app.veto.observe

import android.app.admin.DevicePolicyManager
import android.content.Context

/**
 * Asks DevicePolicyManager whether Veto is device owner, profile owner (and affiliated), or a
 * delegate, and which app is the profile's policy controller. Every call that may throw on an
 * odd device is guarded: a failed question counts as "no", never as a crash.
 */
class AndroidCapabilitySource(private val context: Context) : CapabilitySource {
    private val dpm: DevicePolicyManager =
        requireNotNull(context.getSystemService(DevicePolicyManager::class.java)) { "no DevicePolicyManager on this device" }

    override fun facts(): CapabilityFacts {
        val self = context.packageName
        val deviceOwner = ask { dpm.isDeviceOwnerApp(self) } ?: false
        val profileOwner = ask { dpm.isProfileOwnerApp(self) } ?: false
        val affiliated = if (profileOwner) ask { dpm.isAffiliatedUser } ?: false else false
        // A delegate asks about itself with admin = null (API 26).
        val scopes = if (deviceOwner || profileOwner) emptyList() else ask { dpm.getDelegatedScopes(null, self) } ?: emptyList()
        return CapabilityFacts(
            selfPackage = self,
            isDeviceOwner = deviceOwner,
            isProfileOwner = profileOwner,
            isAffiliated = affiliated,
            delegatedScopes = scopes,
            dpcPackage = if (deviceOwner || profileOwner) self else findDpcPackage(),
        )
    }

    /**
     * The policy controller among the active device admins of this profile. There is no public
     * "who is the profile owner" call; `isProfileOwnerApp`/`isDeviceOwnerApp` answer for any
     * package, so check each active admin (there are only a few).
     */
    private fun findDpcPackage(): String? {
        val admins = ask { dpm.activeAdmins } ?: return null
        return admins.map { it.packageName }.distinct().firstOrNull { pkg ->
            (ask { dpm.isProfileOwnerApp(pkg) } ?: false) || (ask { dpm.isDeviceOwnerApp(pkg) } ?: false)
        }
    }

    private inline fun <T> ask(question: () -> T): T? = try {
        question()
    } catch (e: SecurityException) {
        null
    } catch (e: IllegalArgumentException) {
        null
    }
}
