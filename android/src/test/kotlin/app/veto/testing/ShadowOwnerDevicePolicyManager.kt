//! Robolectric's DevicePolicyManager shadow plus the owner calls it lacks (they are silent no-ops there without one).
package app.veto.testing

import android.app.admin.DevicePolicyManager
import android.content.ComponentName
import android.content.pm.ApplicationInfo
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Implementation
import org.robolectric.annotation.Implements
import org.robolectric.shadows.ShadowDevicePolicyManager

/**
 * `setUserControlDisabledPackages`, `setProfileName` and `setProfileEnabled` have no shadow in
 * Robolectric 4.14: the real methods find no system service and do nothing. This shadow keeps
 * what they were given, with the owner check the platform makes, so tests can assert what Veto
 * asked of the framework (a fidelity gap listed in docs/shell.md).
 *
 * It also does what a device does and Robolectric does not: a suspension by the DPC sets
 * `FLAG_SUSPENDED` in the package's ApplicationInfo, so the inventory sees it.
 */
@Implements(DevicePolicyManager::class)
class ShadowOwnerDevicePolicyManager : ShadowDevicePolicyManager() {
    var userControlDisabled: List<String> = emptyList()
    var profileName: String? = null
    var profileEnabled = false

    private fun requireOwner(admin: ComponentName?) {
        if (admin == null || !(isProfileOwnerApp(admin.packageName) || isDeviceOwnerApp(admin.packageName))) {
            throw SecurityException("$admin is not the device or profile owner")
        }
    }

    @Implementation(minSdk = 30)
    protected fun setUserControlDisabledPackages(admin: ComponentName?, packages: List<String>) {
        requireOwner(admin)
        userControlDisabled = packages.toList()
    }

    @Implementation(minSdk = 30)
    protected fun getUserControlDisabledPackages(admin: ComponentName?): List<String> = userControlDisabled

    @Implementation
    protected fun setProfileName(admin: ComponentName?, name: String) {
        requireOwner(admin)
        profileName = name
    }

    @Implementation
    protected fun setProfileEnabled(admin: ComponentName?) {
        requireOwner(admin)
        profileEnabled = true
    }

    @Implementation(minSdk = 24)
    override fun setPackagesSuspended(admin: ComponentName?, packageNames: Array<String>, suspended: Boolean): Array<String> {
        val failed = super.setPackagesSuspended(admin, packageNames, suspended)
        val spm = shadowOf(RuntimeEnvironment.getApplication().packageManager)
        for (name in packageNames.filter { it !in failed }) {
            val app = spm.getInternalMutablePackageInfo(name)?.applicationInfo ?: continue
            app.flags = if (suspended) app.flags or ApplicationInfo.FLAG_SUSPENDED else app.flags and ApplicationInfo.FLAG_SUSPENDED.inv()
        }
        return failed
    }
}
