//! Reads the device's default proxy from ConnectivityManager (the framework side of [ProxySource]).
package app.veto.observe

import android.content.Context
import android.net.ConnectivityManager
import android.net.ProxyInfo
import android.net.Uri

/**
 * `ConnectivityManager.getDefaultProxy()` is the proxy of the default network, or the global
 * proxy an owner set (government networks often force one). A manual proxy gives host, port and
 * exclusion list. A PAC configuration gives the script's URL and, once the platform's PAC
 * service runs, a local proxy on `localhost` that evaluates the script for every request:
 * Veto sends its requests there, so PAC rules apply too. A PAC proxy whose local port is not
 * up yet (port -1) cannot be used; the run then goes direct and the next run tries again.
 */
class AndroidProxySource(private val context: Context) : ProxySource {
    override fun current(): ProxySetting? {
        val cm = context.getSystemService(ConnectivityManager::class.java) ?: return null
        val info: ProxyInfo = cm.defaultProxy ?: return null
        val host = info.host
        val port = info.port
        val pac = info.pacFileUrl != null && info.pacFileUrl != Uri.EMPTY
        if (pac) {
            return if (port > 0) ProxySetting("localhost", port) else null
        }
        if (host.isNullOrBlank() || port <= 0) return null
        return ProxySetting(host, port, info.exclusionList?.toList() ?: emptyList())
    }
}
