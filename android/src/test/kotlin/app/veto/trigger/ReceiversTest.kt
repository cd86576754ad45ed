//! Every receiver on the framework: each only enqueues the one-off scan job and returns; the admin callbacks set up the owner.
package app.veto.trigger

import android.app.admin.DeviceAdminReceiver
import android.app.admin.DevicePolicyManager
import android.content.Intent
import android.net.Uri
import android.os.Looper
import app.veto.R
import app.veto.testing.Framework
import app.veto.testing.ShadowOwnerDevicePolicyManager
import app.veto.testing.VetoTestRunner
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadow.api.Shadow

@RunWith(VetoTestRunner::class)
@Config(shadows = [ShadowOwnerDevicePolicyManager::class])
class ReceiversTest {
    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    private fun scanEnqueued() = Framework.jobs.getPendingJob(SweepJob.SCAN_NOW_JOB_ID)

    private fun assertOnlyEnqueued() {
        val job = scanEnqueued()
        assertNotNull("a one-off scan job is enqueued", job)
        assertEquals(0L, job!!.maxExecutionDelayMillis)
        assertTrue("the receiver did no scan itself", Framework.vetoThreads().isEmpty())
        assertTrue(!Scans.busy)
    }

    @Test
    fun `boot and own update reach the manifest receiver, which schedules the sweep and enqueues a scan`() {
        for (action in listOf(Intent.ACTION_BOOT_COMPLETED, Intent.ACTION_MY_PACKAGE_REPLACED)) {
            Framework.jobs.cancelAll()
            Framework.app.sendBroadcast(Intent(action).setPackage(Framework.app.packageName))
            shadowOf(Looper.getMainLooper()).idle()
            assertOnlyEnqueued()
            assertNotNull(Framework.jobs.getPendingJob(SweepJob.JOB_ID))
        }
    }

    @Test
    fun `the boot receiver ignores anything else`() {
        Framework.jobs.cancelAll()
        BootReceiver().onReceive(Framework.app, Intent(DevicePolicyManager.ACTION_APPLICATION_DELEGATION_SCOPES_CHANGED))
        assertNull(scanEnqueued())
    }

    @Test
    fun `a package change reaches the run-time receiver, Veto's own does not count`() {
        Framework.app.sendBroadcast(Intent(Intent.ACTION_PACKAGE_ADDED, Uri.parse("package:app.veto")))
        shadowOf(Looper.getMainLooper()).idle()
        assertNull(scanEnqueued())
        Framework.app.sendBroadcast(Intent(Intent.ACTION_PACKAGE_ADDED, Uri.parse("package:com.zhiliaoapp.musically")))
        shadowOf(Looper.getMainLooper()).idle()
        assertOnlyEnqueued()
    }

    @Test
    fun `a managed configuration change reaches the run-time receiver`() {
        Framework.app.sendBroadcast(Intent(Intent.ACTION_APPLICATION_RESTRICTIONS_CHANGED))
        shadowOf(Looper.getMainLooper()).idle()
        assertOnlyEnqueued()
    }

    @Test
    fun `device admin enabled enqueues a scan`() {
        VetoAdminReceiver().onReceive(Framework.app, Intent(DeviceAdminReceiver.ACTION_DEVICE_ADMIN_ENABLED))
        assertOnlyEnqueued()
    }

    @Test
    fun `provisioning complete names and enables the work profile and sets Veto up as its owner`() {
        Framework.makeProfileOwner()
        VetoAdminReceiver().onReceive(Framework.app, Intent(DeviceAdminReceiver.ACTION_PROFILE_PROVISIONING_COMPLETE))
        val shadow = Shadow.extract<ShadowOwnerDevicePolicyManager>(Framework.dpm)
        assertEquals(Framework.app.getString(R.string.work_profile_name), shadow.profileName)
        assertTrue(shadow.profileEnabled)
        assertTrue(Framework.dpm.isUninstallBlocked(Framework.admin, "app.veto"))
        assertEquals(Framework.app.getString(R.string.support_short), Framework.dpm.getShortSupportMessage(Framework.admin).toString())
        assertOnlyEnqueued()
    }

    @Test
    fun `a scan requested while one runs makes that one run again instead of enqueuing`() {
        Framework.jobs.cancelAll()
        val release = java.util.concurrent.CountDownLatch(1)
        val started = java.util.concurrent.CountDownLatch(1)
        val flight = app.veto.run.SingleFlight(body = { started.countDown(); release.await() }, onError = {})
        val runner = Thread({ flight.trigger() }, "test-flight")
        runner.start()
        started.await()
        assertTrue(flight.rerunIfRunning())
        release.countDown()
        runner.join(5_000)
        assertTrue(!flight.rerunIfRunning())
    }
}
