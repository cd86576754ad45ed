//! AndroidDevicePolicy against Robolectric's DevicePolicyManager and PackageInstaller: what the framework then holds.
package app.veto.act

import android.Manifest
import android.app.admin.DevicePolicyManager
import android.content.ComponentName
import android.content.Intent
import android.content.pm.PackageInstaller
import android.os.Build
import app.veto.observe.Capabilities
import app.veto.observe.CapabilityFacts
import app.veto.testing.Framework
import app.veto.testing.ShadowOwnerDevicePolicyManager
import app.veto.testing.VetoTestRunner
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadow.api.Shadow

@RunWith(VetoTestRunner::class)
@Config(shadows = [ShadowOwnerDevicePolicyManager::class])
class AndroidDevicePolicyTest {
    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    private val tiktok = "com.zhiliaoapp.musically"

    @Test
    fun `an owner suspends, hides, and reverses both through DevicePolicyManager`() {
        Framework.makeProfileOwner()
        Framework.install(tiktok)
        val port = AndroidDevicePolicy(Framework.app, Framework.admin)
        assertTrue(port.setSuspended(tiktok, true))
        assertTrue(Framework.dpm.isPackageSuspended(Framework.admin, tiktok))
        assertTrue(port.setHidden(tiktok, true))
        assertTrue(Framework.dpm.isApplicationHidden(Framework.admin, tiktok))
        // Unhide first: a hidden package is invisible to PackageManager, and Robolectric (like
        // the platform's package lookup) then refuses to unsuspend it.
        assertTrue(port.setHidden(tiktok, false))
        assertFalse(Framework.dpm.isApplicationHidden(Framework.admin, tiktok))
        assertTrue(port.setSuspended(tiktok, false))
        assertFalse(Framework.dpm.isPackageSuspended(Framework.admin, tiktok))
    }

    @Test
    fun `a delegate with package access acts with admin null`() {
        val emm = ComponentName("com.example.emm", "com.example.emm.Admin")
        Framework.install("com.example.emm")
        Framework.shadowDpm.setProfileOwner(emm)
        Framework.shadowDpm.setActiveAdmin(emm)
        Framework.dpm.setDelegatedScopes(emm, "app.veto", listOf(DevicePolicyManager.DELEGATION_PACKAGE_ACCESS))
        Framework.install(tiktok)
        val port = AndroidDevicePolicy(Framework.app, null)
        assertTrue(port.setSuspended(tiktok, true))
        assertTrue(Framework.dpm.isPackageSuspended(emm, tiktok))
    }

    @Test
    fun `without a role the platform refuses and the executor reports it`() {
        Framework.install(tiktok)
        val port = AndroidDevicePolicy(Framework.app, null)
        val caps = Capabilities.decide(CapabilityFacts("app.veto", false, false, false, emptyList(), null))
        // The executor does not even try; the port itself is refused by the platform.
        val outcome = Executor(port, caps) { true }.execute(listOf(PlannedAction(tiktok, "suspend"))).single()
        assertEquals(Result.FAILED, outcome.result)
        assertTrue(runCatching { port.setSuspended(tiktok, true) }.exceptionOrNull() is SecurityException)
    }

    @Test
    fun `the owner set-up blocks its own uninstall, grants its notifications, sets support messages and stops force stop`() {
        Framework.makeProfileOwner()
        val port = AndroidDevicePolicy(Framework.app, Framework.admin)
        val caps = Capabilities.decide(CapabilityFacts("app.veto", false, true, false, emptyList(), null))
        val executor = Executor(port, caps) { true }
        assertTrue(executor.protectSelf().blocked)
        assertTrue(Framework.dpm.isUninstallBlocked(Framework.admin, "app.veto"))
        val steps = executor.setUpOwner(SupportMessages("Blocked by your organisation.", "Long text."))
        val shadow = Shadow.extract<ShadowOwnerDevicePolicyManager>(Framework.dpm)
        assertEquals("Blocked by your organisation.", Framework.dpm.getShortSupportMessage(Framework.admin).toString())
        assertEquals("Long text.", Framework.dpm.getLongSupportMessage(Framework.admin).toString())
        val byName = steps.associateBy { it.name }
        if (Build.VERSION.SDK_INT >= 30) {
            assertTrue(byName.getValue("user_control_disabled").done)
            assertEquals(listOf("app.veto"), shadow.userControlDisabled)
        } else {
            assertFalse("API ${Build.VERSION.SDK_INT} has no setUserControlDisabledPackages", byName.getValue("user_control_disabled").done)
        }
        if (Build.VERSION.SDK_INT >= 33) {
            assertTrue(byName.getValue("notifications_granted").done)
            assertEquals(
                DevicePolicyManager.PERMISSION_GRANT_STATE_GRANTED,
                Framework.dpm.getPermissionGrantState(Framework.admin, "app.veto", Manifest.permission.POST_NOTIFICATIONS),
            )
        } else {
            assertFalse(byName.getValue("notifications_granted").done)
        }
        assertTrue(byName.getValue("support_messages").done)
    }

    @Test
    fun `a delegate does no owner set-up`() {
        val caps = Capabilities.decide(CapabilityFacts("app.veto", false, false, false, listOf(Capabilities.DELEGATION_PACKAGE_ACCESS), "com.example.emm"))
        assertEquals(emptyList<SetupStep>(), Executor(AndroidDevicePolicy(Framework.app, null), caps) { true }.setUpOwner(SupportMessages("s", "l")))
    }

    @Test
    fun `an uninstall the platform hands to the employee keeps its confirmation for the notice`() {
        val tiktokConfirm = Intent("android.intent.action.UNINSTALL_PACKAGE").putExtra("marker", 3)
        val status = Intent()
            .putExtra(PackageInstaller.EXTRA_STATUS, PackageInstaller.STATUS_PENDING_USER_ACTION)
            .putExtra(Intent.EXTRA_INTENT, tiktokConfirm)
        val answer = AndroidDevicePolicy.statusOf(status, tiktok)
        assertTrue("$answer", answer is UninstallStatus.NeedsUser)
        assertEquals(3, AndroidDevicePolicy.confirmationFor(tiktok)?.getIntExtra("marker", 0))
        assertEquals(UninstallStatus.Removed, AndroidDevicePolicy.statusOf(Intent().putExtra(PackageInstaller.EXTRA_STATUS, PackageInstaller.STATUS_SUCCESS), tiktok))
        val failed = AndroidDevicePolicy.statusOf(
            Intent().putExtra(PackageInstaller.EXTRA_STATUS, PackageInstaller.STATUS_FAILURE_BLOCKED).putExtra(PackageInstaller.EXTRA_STATUS_MESSAGE, "blocked by policy"),
            tiktok,
        )
        assertEquals(UninstallStatus.Failed("PackageInstaller status ${PackageInstaller.STATUS_FAILURE_BLOCKED}: blocked by policy"), failed)
    }

    @Test
    fun `a silent uninstall asks PackageInstaller with a status receiver`() {
        Framework.makeDeviceOwner()
        Framework.install(tiktok)
        // No answer comes under Robolectric (docs/shell.md); the request itself is what is checked.
        val status = AndroidDevicePolicy(Framework.app, Framework.admin, uninstallTimeoutSeconds = 1).uninstall(tiktok)
        assertEquals(UninstallStatus.Failed("no answer from PackageInstaller within 1 s"), status)
        if (Build.VERSION.SDK_INT < 34) {
            assertNotNull(shadowOf(Framework.app.packageManager.packageInstaller).getLastUninstalledStatusReceiver(tiktok))
        }
    }
}
