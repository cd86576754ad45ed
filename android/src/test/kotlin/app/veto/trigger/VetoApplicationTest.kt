//! VetoApplication on the framework: receivers registered at run time, the sweep scheduled, the core loaded.
package app.veto.trigger

import android.app.admin.DevicePolicyManager
import android.content.Intent
import android.os.Looper
import app.veto.R
import app.veto.core.NativeCore
import app.veto.testing.Framework
import app.veto.testing.SandboxNative
import app.veto.testing.VetoTestRunner
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf

@RunWith(VetoTestRunner::class)
class VetoApplicationTest {
    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    @Test
    fun `the application is VetoApplication with the real resources`() {
        assertTrue(Framework.app is VetoApplication)
        assertEquals("Veto", Framework.app.getString(R.string.app_name))
    }

    @Test
    fun `the core loads in the sandbox`() {
        assumeTrue("libveto.so not built", SandboxNative.available)
        assertNull(NativeCore.unavailable())
    }

    @Test
    fun `the periodic sweep is scheduled at start`() {
        val sweep = Framework.jobs.getPendingJob(SweepJob.JOB_ID)
        assertNotNull(sweep)
        assertEquals(SweepJob.PERIOD_MILLIS, sweep!!.intervalMillis)
        assertTrue(sweep.isPersisted)
    }

    @Test
    fun `the registered-only broadcasts reach the receiver registered at start`() {
        val registered = shadowOf(Framework.app).registeredReceivers
            .filter { it.broadcastReceiver is ChangeReceiver }
            .flatMap { r -> (0 until r.intentFilter.countActions()).map { r.intentFilter.getAction(it) } }
            .toSet()
        assertTrue(
            registered.toString(),
            registered.containsAll(
                setOf(
                    DevicePolicyManager.ACTION_APPLICATION_DELEGATION_SCOPES_CHANGED,
                    Intent.ACTION_APPLICATION_RESTRICTIONS_CHANGED,
                    Intent.ACTION_PACKAGE_ADDED,
                    Intent.ACTION_PACKAGE_REMOVED,
                ),
            ),
        )
        assertNull(Framework.jobs.getPendingJob(SweepJob.SCAN_NOW_JOB_ID))
        Framework.app.sendBroadcast(Intent(DevicePolicyManager.ACTION_APPLICATION_DELEGATION_SCOPES_CHANGED).setPackage(Framework.app.packageName))
        shadowOf(Looper.getMainLooper()).idle()
        // The receiver only enqueued the scan: a job, and no worker thread of its own.
        assertNotNull(Framework.jobs.getPendingJob(SweepJob.SCAN_NOW_JOB_ID))
        assertTrue(Framework.vetoThreads().isEmpty())
    }
}
