//! AndroidPackageSource against Robolectric's PackageManager and DevicePolicyManager: what the inventory holds.
package app.veto.observe

import android.content.pm.ApplicationInfo
import android.os.Build
import app.veto.testing.Framework
import app.veto.testing.VetoTestRunner
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config

@RunWith(VetoTestRunner::class)
class AndroidPackageSourceTest {
    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    private fun apps(canReadHidden: Boolean = true): Map<String, InstalledApp> =
        AndroidPackageSource(Framework.app, if (canReadHidden) Framework.admin else null, canReadHidden)
            .installedApps().associateBy { it.packageName }

    @Test
    fun `an installed app is listed with label, version, installer and signer digest`() {
        val cert = "tiktok signing certificate".toByteArray()
        Framework.install("com.zhiliaoapp.musically", label = "TikTok", certificate = cert)
        val app = apps(canReadHidden = false).getValue("com.zhiliaoapp.musically")
        assertEquals("TikTok", app.label)
        assertEquals(1L, app.versionCode)
        assertEquals("1.0", app.versionName)
        assertEquals("com.android.vending", app.installer)
        // Robolectric 4.14 hands back no certificate history for a SigningInfo made in a test
        // (docs/shell.md); where it does, it must be the digest of the signer.
        if (app.signingSha256.isNotEmpty()) assertEquals(listOf(Inventory.certificateDigest(cert)), app.signingSha256)
        assertFalse(app.system)
        assertFalse(app.hidden)
        assertFalse(app.archived)
    }

    @Test
    fun `a hidden app stays in the inventory, marked hidden, when Veto may ask`() {
        Framework.makeProfileOwner()
        Framework.install("com.example.hidden")
        assertTrue(Framework.dpm.setApplicationHidden(Framework.admin, "com.example.hidden", true))
        val app = apps().getValue("com.example.hidden")
        assertTrue(app.hidden)
    }

    @Test
    @Config(sdk = [35])
    fun `an archived app (Android 15) counts as present and is marked archived`() {
        Framework.install("com.zhiliaoapp.musically", label = "TikTok", archived = true)
        val app = apps(canReadHidden = false)["com.zhiliaoapp.musically"]
        assertTrue("archived apps must be in the inventory", app != null)
        assertTrue(app!!.archived)
        val json = Inventory.toJson(listOf(app), 0).getJSONArray("packages").getJSONObject(0)
        assertTrue(json.getBoolean("archived"))
    }

    @Test
    fun `before Android 15 there is no archiving and the field is never set`() {
        Framework.install("com.example.plain")
        assertFalse(apps(canReadHidden = false).getValue("com.example.plain").archived)
        if (Build.VERSION.SDK_INT < 35) {
            val json = Inventory.toJson(apps(canReadHidden = false).values.toList(), 0).getJSONArray("packages")
            for (i in 0 until json.length()) assertFalse(json.getJSONObject(i).has("archived"))
        }
    }
}
