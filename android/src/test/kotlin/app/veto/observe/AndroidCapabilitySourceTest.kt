//! AndroidCapabilitySource against Robolectric's DevicePolicyManager: owner, delegate, nobody.
package app.veto.observe

import android.app.admin.DevicePolicyManager
import android.content.ComponentName
import app.veto.testing.Framework
import app.veto.testing.VetoTestRunner
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(VetoTestRunner::class)
class AndroidCapabilitySourceTest {
    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    private fun capabilities() = Capabilities.decide(AndroidCapabilitySource(Framework.app).facts())

    @Test
    fun `profile owner`() {
        Framework.makeProfileOwner()
        val caps = capabilities()
        assertEquals(Role.PROFILE_OWNER, caps.role)
        assertTrue(caps.canHideAndSuspend)
        assertFalse(caps.canUninstallSilently)
        assertEquals("app.veto", caps.dpcPackage)
    }

    @Test
    fun `device owner may uninstall silently`() {
        Framework.makeDeviceOwner()
        val caps = capabilities()
        assertEquals(Role.DEVICE_OWNER, caps.role)
        assertTrue(caps.canUninstallSilently)
    }

    @Test
    fun `a delegate of the EMM's agent reads its scopes and finds the DPC`() {
        val emm = ComponentName("com.example.emm", "com.example.emm.Admin")
        Framework.install("com.example.emm")
        Framework.shadowDpm.setProfileOwner(emm)
        Framework.shadowDpm.setActiveAdmin(emm)
        Framework.dpm.setDelegatedScopes(emm, "app.veto", listOf(DevicePolicyManager.DELEGATION_PACKAGE_ACCESS))
        val caps = capabilities()
        assertEquals(Role.DELEGATE, caps.role)
        assertEquals(listOf(Capabilities.DELEGATION_PACKAGE_ACCESS), caps.delegatedScopes)
        assertTrue(caps.canHideAndSuspend)
        assertFalse(caps.canBlockUninstall)
        assertEquals("com.example.emm", caps.dpcPackage)
    }

    @Test
    fun `no privilege at all`() {
        val caps = capabilities()
        assertEquals(Role.NONE, caps.role)
        assertFalse(caps.canHideAndSuspend)
        assertNull(caps.dpcPackage)
    }
}
