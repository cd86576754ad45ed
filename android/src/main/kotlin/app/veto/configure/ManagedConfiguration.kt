//! Managed configuration (app restrictions set by the EMM) turned into the flat JSON object the core reads.
package app.veto.configure

import org.json.JSONArray
import org.json.JSONObject

/**
 * The port that reads the restrictions the EMM set, as plain Kotlin values: Boolean, Int,
 * Long, String, an array or list of Strings, or a nested Map / list of Maps (the `bundle` and
 * `bundle_array` types, which Veto does not declare but an EMM may still send).
 */
fun interface ConfigurationSource {
    fun read(): Map<String, Any?>
}

/** The JSON for `Core.evaluate`, plus the values that could not be carried over. */
data class ConvertedConfiguration(val json: JSONObject, val problems: List<String>)

object ManagedConfiguration {
    /**
     * Maps restriction values to JSON. A value of a type the JSON contract has no room for is
     * left out and named in [ConvertedConfiguration.problems] (the core then applies that key's
     * default, and the shell reports the problem), rather than failing the whole configuration.
     */
    fun toJson(values: Map<String, Any?>): ConvertedConfiguration {
        val problems = mutableListOf<String>()
        val json = convertObject(values, "managed configuration", problems)
        return ConvertedConfiguration(json, problems)
    }

    private fun convertObject(values: Map<*, *>, where: String, problems: MutableList<String>): JSONObject {
        val out = JSONObject()
        for (key in values.keys.map { it.toString() }.sorted()) {
            val value = convert(values[key], "$where: $key", problems) ?: continue
            out.put(key, value)
        }
        return out
    }

    /** Returns null (and notes a problem) for a value that cannot be represented. */
    private fun convert(value: Any?, where: String, problems: MutableList<String>): Any? = when (value) {
        // A key present without a value: leave it out so the core applies the default.
        null -> null
        is Boolean, is String -> value
        is Int -> value
        is Long -> value
        is Array<*> -> convertList(value.asList(), where, problems)
        is List<*> -> convertList(value, where, problems)
        is Map<*, *> -> convertObject(value, where, problems)
        else -> {
            problems += "$where: unsupported value type ${value.javaClass.name}; the key is ignored"
            null
        }
    }

    private fun convertList(items: List<*>, where: String, problems: MutableList<String>): JSONArray? {
        val out = JSONArray()
        items.forEachIndexed { index, item ->
            val converted = convert(item, "$where[$index]", problems)
            if (converted == null) {
                if (item == null) problems += "$where[$index]: null entry; the key is ignored"
                return null
            }
            out.put(converted)
        }
        return out
    }
}
