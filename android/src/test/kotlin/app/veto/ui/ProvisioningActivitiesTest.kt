//! The provisioning activities on the framework: the mode chosen from what the platform allows, and compliance finishing setup.
package app.veto.ui

import android.app.Activity
import android.app.admin.DevicePolicyManager
import android.content.Intent
import android.os.Build
import app.veto.R
import app.veto.testing.Framework
import app.veto.testing.ShadowOwnerDevicePolicyManager
import app.veto.testing.VetoTestRunner
import app.veto.trigger.SweepJob
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config

@RunWith(VetoTestRunner::class)
@Config(shadows = [ShadowOwnerDevicePolicyManager::class])
class ProvisioningActivitiesTest {
    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    private fun modeFor(allowed: ArrayList<Int>?): Pair<Int, Intent?> {
        val intent = Intent(DevicePolicyManager.ACTION_GET_PROVISIONING_MODE)
        if (allowed != null) intent.putIntegerArrayListExtra(DevicePolicyManager.EXTRA_PROVISIONING_ALLOWED_PROVISIONING_MODES, allowed)
        val activity = Robolectric.buildActivity(ProvisioningModeActivity::class.java, intent).setup().get()
        assertTrue(activity.isFinishing)
        return shadowOf(activity).resultCode to shadowOf(activity).resultIntent
    }

    @Test
    fun `get provisioning mode answers a work profile when allowed`() {
        val (code, result) = modeFor(arrayListOf(DevicePolicyManager.PROVISIONING_MODE_FULLY_MANAGED_DEVICE, DevicePolicyManager.PROVISIONING_MODE_MANAGED_PROFILE))
        assertEquals(Activity.RESULT_OK, code)
        assertEquals(DevicePolicyManager.PROVISIONING_MODE_MANAGED_PROFILE, result!!.getIntExtra(DevicePolicyManager.EXTRA_PROVISIONING_MODE, -1))
    }

    @Test
    fun `get provisioning mode takes a fully managed device when that is all that is allowed`() {
        val (code, result) = modeFor(arrayListOf(DevicePolicyManager.PROVISIONING_MODE_FULLY_MANAGED_DEVICE))
        if (Build.VERSION.SDK_INT >= 31) {
            assertEquals(Activity.RESULT_OK, code)
            assertEquals(DevicePolicyManager.PROVISIONING_MODE_FULLY_MANAGED_DEVICE, result!!.getIntExtra(DevicePolicyManager.EXTRA_PROVISIONING_MODE, -1))
        } else {
            // Before API 31 the platform sends no list: a work profile.
            assertEquals(DevicePolicyManager.PROVISIONING_MODE_MANAGED_PROFILE, result!!.getIntExtra(DevicePolicyManager.EXTRA_PROVISIONING_MODE, -1))
        }
    }

    @Test
    fun `get provisioning mode cancels when no mode Veto supports is allowed`() {
        val (code, _) = modeFor(arrayListOf())
        assertEquals(if (Build.VERSION.SDK_INT >= 31) Activity.RESULT_CANCELED else Activity.RESULT_OK, code)
    }

    @Test
    fun `admin policy compliance sets Veto up as the owner, enqueues the first scan and returns OK`() {
        Framework.makeProfileOwner()
        Framework.jobs.cancelAll()
        val activity = Robolectric.buildActivity(PolicyComplianceActivity::class.java, Intent(DevicePolicyManager.ACTION_ADMIN_POLICY_COMPLIANCE)).setup().get()
        assertTrue(activity.isFinishing)
        assertEquals(Activity.RESULT_OK, shadowOf(activity).resultCode)
        assertTrue(Framework.dpm.isUninstallBlocked(Framework.admin, "app.veto"))
        assertEquals(Framework.app.getString(R.string.support_long), Framework.dpm.getLongSupportMessage(Framework.admin).toString())
        assertNotNull(Framework.jobs.getPendingJob(SweepJob.SCAN_NOW_JOB_ID))
        assertNotNull(Framework.jobs.getPendingJob(SweepJob.JOB_ID))
    }
}
