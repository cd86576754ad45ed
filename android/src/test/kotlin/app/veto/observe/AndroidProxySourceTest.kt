//! AndroidProxySource against Robolectric's ConnectivityManager: manual proxy, PAC, none.
package app.veto.observe

import android.net.ConnectivityManager
import android.net.ProxyInfo
import android.net.Uri
import app.veto.testing.Framework
import app.veto.testing.VetoTestRunner
import org.json.JSONObject
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config

@RunWith(VetoTestRunner::class)
class AndroidProxySourceTest {
    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    private val cm get() = Framework.app.getSystemService(ConnectivityManager::class.java)!!

    private fun setDefaultProxy(info: ProxyInfo?) = shadowOf(cm).setProxyForNetwork(null, info)

    @Test
    fun `no proxy means a direct connection`() {
        assertNull(AndroidProxySource(Framework.app).current())
        assertEquals("{}", ProxySetting.json(AndroidProxySource(Framework.app).current()))
    }

    @Test
    fun `a manual proxy with its exclusion list`() {
        setDefaultProxy(ProxyInfo.buildDirectProxy("proxy.gov.example", 8080, listOf("intranet.example", "*.internal.example")))
        val proxy = AndroidProxySource(Framework.app).current()
        assertEquals(ProxySetting("proxy.gov.example", 8080, listOf("intranet.example", "*.internal.example")), proxy)
        val json = JSONObject(ProxySetting.json(proxy))
        assertEquals("http://proxy.gov.example:8080", json.getString("url"))
        assertEquals(2, json.getJSONArray("exclude").length())
    }

    @Test
    @Config(sdk = [34, 35]) // ProxyInfo.buildPacProxy(Uri, int) is public from API 30
    fun `a PAC configuration goes through the platform's local PAC proxy`() {
        setDefaultProxy(ProxyInfo.buildPacProxy(Uri.parse("https://wpad.gov.example/proxy.pac"), 51234))
        assertEquals(ProxySetting("localhost", 51234), AndroidProxySource(Framework.app).current())
    }

    @Test
    fun `a PAC configuration whose local proxy is not up yet is not used`() {
        setDefaultProxy(ProxyInfo.buildPacProxy(Uri.parse("https://wpad.gov.example/proxy.pac")))
        assertNull(AndroidProxySource(Framework.app).current())
    }
}
