//! The scan job on the framework: the scan runs on a worker thread, never the main one; the status snapshot and the heartbeat follow.
package app.veto.trigger

import app.veto.act.EnterpriseFeedbackSink
import app.veto.run.EnforcementRun
import app.veto.testing.Framework
import app.veto.testing.SandboxNative
import app.veto.testing.VetoTestRunner
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(VetoTestRunner::class)
class SweepJobTest {
    @Before
    fun setUp() {
        assumeTrue("libveto.so not built", SandboxNative.available)
        EnterpriseFeedbackSink.take()
    }

    @After
    fun noThreads() = Framework.assertNoVetoThreads()

    @Test
    fun `the one-off job scans on a worker thread, stores the status and sends the heartbeat`() {
        Framework.install("com.zhiliaoapp.musically", label = "TikTok")
        val before = System.currentTimeMillis()
        Framework.runJob(SweepJob.SCAN_NOW_JOB_ID)
        val status = Scans.readStatus(Framework.app)
        assertNotNull(status.lastRunAt)
        assertTrue(status.lastRunAt!! >= before)
        assertEquals(false, status.compliant)
        assertEquals(listOf("com.zhiliaoapp.musically"), status.findings.map { it.packageName })
        val states = EnterpriseFeedbackSink.take()
        val heartbeat = states.single { it.key == EnforcementRun.HEARTBEAT_KEY }
        assertTrue(heartbeat.message, heartbeat.message.startsWith("last run ") && heartbeat.message.contains("policy version"))
        assertTrue(states.any { it.key == "compliance" })
    }

    @Test
    fun `the periodic sweep runs the same scan`() {
        Framework.runJob(SweepJob.JOB_ID)
        assertEquals(true, Scans.readStatus(Framework.app).compliant)
        assertTrue(EnterpriseFeedbackSink.take().any { it.key == EnforcementRun.HEARTBEAT_KEY })
    }
}
