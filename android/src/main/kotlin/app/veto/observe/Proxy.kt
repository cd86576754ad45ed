//! The device's HTTP proxy as the core's proxy JSON (CONTRACTS item 2: `{"url", "exclude"}` or `{}`).
package app.veto.observe

import org.json.JSONArray
import org.json.JSONObject

/**
 * A proxy the feed and the reports must go through. [host] and [port] are where to connect
 * (for a PAC configuration: the platform's local proxy that evaluates the PAC script);
 * [exclude] lists hosts reached directly (`host`, `*.suffix`).
 */
data class ProxySetting(val host: String, val port: Int, val exclude: List<String> = emptyList()) {
    /** `{"url": "http://host:port", "exclude": [...]}`; IPv6 literals in brackets. */
    fun toJson(): JSONObject {
        val h = if (host.contains(':') && !host.startsWith("[")) "[$host]" else host
        return JSONObject()
            .put("url", "http://$h:$port")
            .put("exclude", JSONArray(exclude.map { it.trim() }.filter { it.isNotEmpty() }))
    }

    companion object {
        /** The JSON for [setting], `{}` (a direct connection) when there is none. */
        fun json(setting: ProxySetting?): String = (setting?.toJson() ?: JSONObject()).toString()
    }
}

/** The port that reads the device's proxy; null means a direct connection. */
fun interface ProxySource {
    fun current(): ProxySetting?
}
