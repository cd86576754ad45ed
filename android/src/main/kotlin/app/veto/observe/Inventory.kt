//! The work profile's installed apps, as the inventory JSON of docs/contract.md.
package app.veto.observe

import org.json.JSONArray
import org.json.JSONObject
import java.security.MessageDigest
import java.time.Instant

/** One app in the work profile, as observed. Field names follow the inventory JSON. */
data class InstalledApp(
    val packageName: String,
    val label: String? = null,
    val versionCode: Long? = null,
    val versionName: String? = null,
    val installer: String? = null,
    /** SHA-256 digests of the signing certificates, formatted by [Inventory.certificateDigest]. */
    val signingSha256: List<String> = emptyList(),
    val system: Boolean = false,
    val hidden: Boolean = false,
    val suspended: Boolean = false,
    /**
     * Archived (Android 15): the APKs are gone but the icon and data stay, and one tap restores
     * the app. It counts as present (CONTRACTS item 3).
     */
    val archived: Boolean = false,
)

/** The port that lists the work profile's apps (hidden ones included). */
fun interface PackageSource {
    fun installedApps(): List<InstalledApp>
}

object Inventory {
    /** The inventory JSON: `profile` is always `work`, the only profile Veto ever looks at. */
    fun toJson(apps: List<InstalledApp>, capturedAtMillis: Long): JSONObject {
        val packages = JSONArray()
        for (app in apps.sortedBy { it.packageName }) {
            packages.put(
                JSONObject()
                    .put("package", app.packageName)
                    .put("label", app.label ?: JSONObject.NULL)
                    .put("version_code", app.versionCode ?: JSONObject.NULL)
                    .put("version_name", app.versionName ?: JSONObject.NULL)
                    .put("installer", app.installer ?: JSONObject.NULL)
                    .put("signing_sha256", JSONArray(app.signingSha256))
                    .put("system", app.system)
                    .put("hidden", app.hidden)
                    .put("suspended", app.suspended)
                    // Sent only when true, so inventories without archived apps are unchanged.
                    .apply { if (app.archived) put("archived", true) },
            )
        }
        return JSONObject()
            .put("profile", "work")
            .put("captured_at", Instant.ofEpochMilli(capturedAtMillis).toString())
            .put("packages", packages)
    }

    /**
     * SHA-256 of an encoded X.509 certificate as people publish it: upper-case hex pairs joined
     * by colons (`90:41:80:…`).
     */
    fun certificateDigest(encodedCertificate: ByteArray): String =
        MessageDigest.getInstance("SHA-256").digest(encodedCertificate)
            .joinToString(":") { "%02X".format(it.toInt() and 0xFF) }

    /**
     * Which certificates identify an app. With one signer, the whole rotation history counts
     * (an app signed by a rotated key is still the same publisher); with several signers the
     * platform keeps no history, so the current signers are used.
     */
    fun signingCertificates(
        hasMultipleSigners: Boolean,
        history: List<ByteArray>?,
        contentsSigners: List<ByteArray>?,
    ): List<ByteArray> = if (hasMultipleSigners) contentsSigners.orEmpty() else history.orEmpty()
}
