//! AndroidConfigurationSource against Robolectric's RestrictionsManager, and the real res/xml/app_restrictions.xml.
package app.veto.configure

import android.content.RestrictionEntry
import android.content.RestrictionsManager
import android.os.Bundle
import app.veto.testing.Framework
import app.veto.testing.VetoTestRunner
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf

@RunWith(VetoTestRunner::class)
class AndroidConfigurationSourceTest {
    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    private val rm get() = Framework.app.getSystemService(RestrictionsManager::class.java)!!

    @Test
    fun `no restrictions set is an empty configuration`() {
        assertEquals(emptyMap<String, Any?>(), AndroidConfigurationSource(Framework.app).read())
    }

    @Test
    fun `values keep the type the EMM stored, nested bundles become maps`() {
        shadowOf(rm).setApplicationRestrictions(
            Bundle().apply {
                putString("denied_packages", "com.example.bad")
                putInt("grace_period_days", 7)
                putBoolean("use_builtin_catalog", false)
                putBundle("extra", Bundle().apply { putString("k", "v") })
            },
        )
        val values = AndroidConfigurationSource(Framework.app).read()
        assertEquals("com.example.bad", values["denied_packages"])
        assertEquals(7, values["grace_period_days"])
        assertEquals(false, values["use_builtin_catalog"])
        assertEquals(mapOf("k" to "v"), values["extra"])
        val json = ManagedConfiguration.toJson(values).json
        assertEquals(7, json.getInt("grace_period_days"))
    }

    @Test
    fun `the schema the EMM console shows is the app's real app_restrictions xml`() {
        val entries = rm.getManifestRestrictions(Framework.app.packageName).associateBy { it.key }
        assertEquals(RestrictionEntry.TYPE_INTEGER, entries.getValue("grace_period_days").type)
        assertEquals(42, entries.getValue("grace_period_days").intValue)
        assertEquals(RestrictionEntry.TYPE_CHOICE, entries.getValue("enforcement_action").type)
        assertEquals(listOf("policy", "report", "warn", "suspend", "hide", "uninstall"), entries.getValue("enforcement_action").choiceValues.toList())
        assertTrue(entries.getValue("policy_url").title.isNotBlank())
    }
}
