//! Capability decisions: which role Veto has and what each role allows.
package app.veto.observe

import android.app.admin.DevicePolicyManager
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class CapabilitiesTest {
    private val none = CapabilityFacts("app.veto", false, false, false, emptyList(), null)
    private val pkgAccess = Capabilities.DELEGATION_PACKAGE_ACCESS
    private val blockUninstall = Capabilities.DELEGATION_BLOCK_UNINSTALL

    @Test
    fun `scope names are the platform's`() {
        assertEquals(DevicePolicyManager.DELEGATION_PACKAGE_ACCESS, pkgAccess)
        assertEquals(DevicePolicyManager.DELEGATION_BLOCK_UNINSTALL, blockUninstall)
    }

    @Test
    fun `device owner may do everything and is its own dpc`() {
        val c = Capabilities.decide(none.copy(isDeviceOwner = true, isProfileOwner = true, dpcPackage = "com.other.dpc"))
        assertEquals(Role.DEVICE_OWNER, c.role)
        assertTrue(c.isOwner)
        assertTrue(c.canUninstallSilently)
        assertTrue(c.canHideAndSuspend)
        assertTrue(c.canBlockUninstall)
        assertEquals("app.veto", c.dpcPackage)
    }

    @Test
    fun `unaffiliated profile owner may hide and suspend but not uninstall silently`() {
        val c = Capabilities.decide(none.copy(isProfileOwner = true))
        assertEquals(Role.PROFILE_OWNER, c.role)
        assertFalse(c.affiliated)
        assertTrue(c.canHideAndSuspend)
        assertFalse(c.canUninstallSilently)
        assertTrue(c.whyNoSilentUninstall().contains("unaffiliated"), c.whyNoSilentUninstall())
    }

    @Test
    fun `affiliated profile owner may uninstall silently`() {
        val c = Capabilities.decide(none.copy(isProfileOwner = true, isAffiliated = true))
        assertTrue(c.affiliated)
        assertTrue(c.canUninstallSilently)
    }

    @Test
    fun `delegate with package access hides and suspends with admin null and never uninstalls`() {
        val c = Capabilities.decide(none.copy(delegatedScopes = listOf(pkgAccess, pkgAccess), dpcPackage = "com.google.android.apps.work.clouddpc"))
        assertEquals(Role.DELEGATE, c.role)
        assertFalse(c.isOwner) // admin argument is null
        assertTrue(c.canHideAndSuspend)
        assertFalse(c.canBlockUninstall)
        assertFalse(c.canUninstallSilently)
        assertEquals(listOf(pkgAccess), c.delegatedScopes)
        assertEquals("com.google.android.apps.work.clouddpc", c.dpcPackage)
    }

    @Test
    fun `delegate with only block-uninstall cannot hide`() {
        val c = Capabilities.decide(none.copy(delegatedScopes = listOf(blockUninstall)))
        assertEquals(Role.DELEGATE, c.role)
        assertFalse(c.canHideAndSuspend)
        assertTrue(c.canBlockUninstall)
        assertTrue(c.whyNoHideOrSuspend().contains(blockUninstall), c.whyNoHideOrSuspend())
    }

    @Test
    fun `no role allows nothing and ignores a stray affiliated flag`() {
        val c = Capabilities.decide(none.copy(isAffiliated = true, dpcPackage = " "))
        assertEquals(Role.NONE, c.role)
        assertFalse(c.affiliated)
        assertFalse(c.canHideAndSuspend || c.canUninstallSilently || c.canBlockUninstall)
        assertEquals(null, c.dpcPackage)
        assertTrue(c.whyNoSilentUninstall().contains("role is none"), c.whyNoSilentUninstall())
    }

    @Test
    fun `capabilities json has the contract's fields`() {
        val json = Capabilities.decide(none.copy(delegatedScopes = listOf(blockUninstall, pkgAccess), dpcPackage = "com.emm")).toJson()
        assertEquals(setOf("role", "affiliated", "delegated_scopes", "self_package", "dpc_package"), json.keySet())
        assertEquals("delegate", json.getString("role"))
        assertEquals(false, json.getBoolean("affiliated"))
        assertEquals(listOf(blockUninstall, pkgAccess), (0 until 2).map { json.getJSONArray("delegated_scopes").getString(it) })
        assertEquals("app.veto", json.getString("self_package"))
        assertEquals("com.emm", json.getString("dpc_package"))
        assertTrue(Capabilities.decide(none).toJson().isNull("dpc_package"))
        // Round-trips through text as the core will read it.
        assertEquals("delegate", JSONObject(json.toString()).getString("role"))
    }
}
