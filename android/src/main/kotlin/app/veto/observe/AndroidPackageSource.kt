//! Lists the work profile's apps through PackageManager (the framework side of [PackageSource]).
package app.veto.observe

import android.app.admin.DevicePolicyManager
import android.content.ComponentName
import android.content.Context
import android.content.pm.ApplicationInfo
import android.content.pm.PackageInfo
import android.content.pm.PackageManager
import android.os.Build

/**
 * Reads every package of the current user (Veto runs inside the work profile, so that is the
 * work profile and never the personal side). Needs `QUERY_ALL_PACKAGES` on API 30+. Works from
 * API 26 (minSdk): signing certificates and long version codes arrived in API 28.
 *
 * [admin] and [canReadHidden] come from [Capabilities]: hidden state is only readable by an
 * owner or a package-access delegate; otherwise apps are reported as not hidden.
 */
class AndroidPackageSource(
    private val context: Context,
    private val admin: ComponentName?,
    private val canReadHidden: Boolean,
) : PackageSource {
    private val pm: PackageManager = context.packageManager
    private val dpm: DevicePolicyManager = requireNotNull(context.getSystemService(DevicePolicyManager::class.java)) { "no DevicePolicyManager on this device" }

    override fun installedApps(): List<InstalledApp> =
        installedPackages()
            // MATCH_UNINSTALLED_PACKAGES also returns apps removed with "keep data"; those are
            // gone for the employee, so only installed ones (hidden apps stay installed) count,
            // and archived ones (Android 15: one tap brings them back).
            .filter { info -> info.applicationInfo?.let { it.flags and ApplicationInfo.FLAG_INSTALLED != 0 || isArchived(it) } ?: false }
            .map(::describe)

    private fun isArchived(app: ApplicationInfo): Boolean =
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.VANILLA_ICE_CREAM && app.isArchived

    private fun installedPackages(): List<PackageInfo> {
        // Hidden apps vanish from normal queries: MATCH_UNINSTALLED_PACKAGES keeps them visible.
        val signing = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            PackageManager.GET_SIGNING_CERTIFICATES
        } else {
            @Suppress("DEPRECATION")
            PackageManager.GET_SIGNATURES
        }
        val flags = PackageManager.MATCH_UNINSTALLED_PACKAGES or signing
        return if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.VANILLA_ICE_CREAM) {
            // Archived apps (API 35) are listed only when asked for.
            pm.getInstalledPackages(PackageManager.PackageInfoFlags.of(flags.toLong() or PackageManager.MATCH_ARCHIVED_PACKAGES))
        } else if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            pm.getInstalledPackages(PackageManager.PackageInfoFlags.of(flags.toLong()))
        } else {
            @Suppress("DEPRECATION")
            pm.getInstalledPackages(flags)
        }
    }

    private fun describe(info: PackageInfo): InstalledApp {
        val app = info.applicationInfo
        val name = info.packageName
        return InstalledApp(
            packageName = name,
            label = app?.let { guarded { it.loadLabel(pm).toString() } },
            versionCode = versionCodeOf(info),
            versionName = info.versionName,
            installer = installerOf(name),
            signingSha256 = signingDigests(info),
            system = app != null && app.flags and ApplicationInfo.FLAG_SYSTEM != 0,
            hidden = canReadHidden && (guarded { dpm.isApplicationHidden(admin, name) } ?: false),
            // FLAG_SUSPENDED covers suspension by any suspender (admin, Digital Wellbeing).
            suspended = app != null && app.flags and ApplicationInfo.FLAG_SUSPENDED != 0,
            archived = app != null && isArchived(app),
        )
    }

    private fun versionCodeOf(info: PackageInfo): Long =
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            info.longVersionCode
        } else {
            @Suppress("DEPRECATION")
            info.versionCode.toLong()
        }

    private fun signingDigests(info: PackageInfo): List<String> {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.P) {
            // Before API 28 there is no rotation history: the current signers are all there is.
            @Suppress("DEPRECATION")
            val signatures = info.signatures ?: return emptyList()
            return signatures.map { Inventory.certificateDigest(it.toByteArray()) }.distinct()
        }
        val signing = info.signingInfo ?: return emptyList()
        val certs = Inventory.signingCertificates(
            hasMultipleSigners = signing.hasMultipleSigners(),
            history = signing.signingCertificateHistory?.map { it.toByteArray() },
            contentsSigners = signing.apkContentsSigners?.map { it.toByteArray() },
        )
        return certs.map(Inventory::certificateDigest).distinct()
    }

    private fun installerOf(name: String): String? =
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            guarded { pm.getInstallSourceInfo(name).installingPackageName }
        } else {
            @Suppress("DEPRECATION")
            guarded { pm.getInstallerPackageName(name) }
        }

    /** One unreadable detail (package removed mid-scan, odd OEM) must not lose the whole inventory. */
    private inline fun <T> guarded(read: () -> T): T? = try {
        read()
    } catch (e: PackageManager.NameNotFoundException) {
        null
    } catch (e: SecurityException) {
        null
    } catch (e: IllegalArgumentException) {
        null
    }
}
