//! Reads app restrictions from RestrictionsManager (the framework side of [ConfigurationSource]).
package app.veto.configure

import android.content.Context
import android.content.RestrictionsManager
import android.os.Bundle

/** Unpacks the restrictions Bundle into plain values; nested bundles become maps. */
class AndroidConfigurationSource(private val context: Context) : ConfigurationSource {
    override fun read(): Map<String, Any?> {
        val rm = context.getSystemService(RestrictionsManager::class.java)
        val bundle = rm?.applicationRestrictions ?: return emptyMap()
        return unpack(bundle)
    }

    private fun unpack(bundle: Bundle): Map<String, Any?> =
        bundle.keySet().associateWith { key ->
            // The EMM decides the stored type; reading it untyped lets the core name a key
            // that carries the wrong type instead of silently reading a default.
            @Suppress("DEPRECATION")
            unpackValue(bundle.get(key))
        }

    private fun unpackValue(value: Any?): Any? = when (value) {
        is Bundle -> unpack(value)
        // bundle_array arrives as Parcelable[] of Bundles.
        is Array<*> -> value.map { unpackValue(it) }
        else -> value
    }
}
