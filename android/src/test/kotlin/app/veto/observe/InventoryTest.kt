//! The inventory JSON and the certificate digests in it.
package app.veto.observe

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class InventoryTest {
    @Test
    fun `inventory json follows the contract`() {
        val apps = listOf(
            InstalledApp("com.zhiliaoapp.musically", "TikTok", 2023708030L, "37.8.3", "com.android.vending", listOf("AA:BB"), hidden = true),
            InstalledApp("com.android.settings", system = true, suspended = true),
        )
        val json = Inventory.toJson(apps, 1_795_363_200_000L) // 2026-11-22T16:00:00Z
        assertEquals("work", json.getString("profile"))
        assertEquals("2026-11-22T16:00:00Z", json.getString("captured_at"))
        val pkgs = json.getJSONArray("packages")
        assertEquals(2, pkgs.length())
        // Sorted by package name, so two scans of the same profile give the same document.
        val settings = pkgs.getJSONObject(0)
        assertEquals("com.android.settings", settings.getString("package"))
        assertTrue(settings.isNull("label"))
        assertTrue(settings.isNull("version_code"))
        assertTrue(settings.getBoolean("system"))
        assertTrue(settings.getBoolean("suspended"))
        val tiktok = pkgs.getJSONObject(1)
        assertEquals("TikTok", tiktok.getString("label"))
        assertEquals(2023708030L, tiktok.getLong("version_code"))
        assertEquals("37.8.3", tiktok.getString("version_name"))
        assertEquals("com.android.vending", tiktok.getString("installer"))
        assertEquals("AA:BB", tiktok.getJSONArray("signing_sha256").getString(0))
        assertTrue(tiktok.getBoolean("hidden"))
        assertEquals(false, tiktok.getBoolean("system"))
    }

    @Test
    fun `certificate digest is upper-case colon-separated SHA-256`() {
        assertEquals(
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD",
            Inventory.certificateDigest("abc".toByteArray()),
        )
    }

    @Test
    fun `signing history is used unless there are several signers`() {
        val history = listOf(byteArrayOf(1), byteArrayOf(2))
        val current = listOf(byteArrayOf(3), byteArrayOf(4))
        assertEquals(history, Inventory.signingCertificates(false, history, current))
        assertEquals(current, Inventory.signingCertificates(true, history, current))
        assertEquals(emptyList<ByteArray>(), Inventory.signingCertificates(false, null, current))
    }
}
