//! libveto.so that does not load (a sandbox without it): the app stays up, and the status screen and a keyed state say so.
package app.veto.trigger

import android.view.View
import android.widget.TextView
import app.veto.R
import app.veto.act.EnterpriseFeedbackSink
import app.veto.act.Severity
import app.veto.core.NativeCore
import app.veto.run.EnforcementRun
import app.veto.testing.Framework
import app.veto.testing.VetoTestRunner
import app.veto.testing.WithoutNativeLibrary
import app.veto.ui.StatusActivity
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.annotation.Config

@RunWith(VetoTestRunner::class)
@WithoutNativeLibrary
// A sandbox of its own (another instrumented-package list), so no other test's library is in it.
@Config(sdk = [35], instrumentedPackages = ["app.veto.core.NativeLibrary", "app.veto.testing.nolib"])
class CoreUnavailableTest {
    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    @Test
    fun `the application starts, and says at once that the core is unavailable`() {
        assertTrue(Framework.app is VetoApplication)
        val why = NativeCore.unavailable()
        assertNotNull(why)
        assertTrue(why!!, why.startsWith("UnsatisfiedLinkError"))
        // VetoApplication.onCreate reported it (the sink keeps what it got since the sandbox started).
        val states = EnterpriseFeedbackSink.take()
        val core = states.last { it.key == Scans.CORE_UNAVAILABLE_KEY }
        assertEquals(Severity.ERROR, core.severity)
        assertTrue(core.message.contains("UnsatisfiedLinkError"))
    }

    @Test
    fun `every scan reports it again with the heartbeat, and the status screen shows it`() {
        EnterpriseFeedbackSink.take()
        Framework.runJob(SweepJob.SCAN_NOW_JOB_ID)
        val keys = EnterpriseFeedbackSink.take().map { it.key }
        assertEquals(listOf(Scans.CORE_UNAVAILABLE_KEY, EnforcementRun.HEARTBEAT_KEY), keys)
        assertNotNull(Scans.readStatus(Framework.app).coreUnavailable)

        val activity = Robolectric.buildActivity(StatusActivity::class.java).setup().get()
        val core = activity.findViewById<TextView>(R.id.status_core)!!
        assertEquals(View.VISIBLE, core.visibility)
        assertTrue(core.text.toString(), core.text.toString().contains("UnsatisfiedLinkError"))
        assertTrue(core.text.toString().startsWith("Veto cannot check this work profile"))
    }
}
