//! Process start: sets up HTTPS, registers the run-time receivers and makes sure the sweep is scheduled.
package app.veto.trigger

import android.app.Application
import android.util.Log
import app.veto.core.NativeCore
import app.veto.core.VetoException
import app.veto.run.BuildFeatures

/** Whatever woke the process (boot, job, admin callback), the run-time triggers start with it. */
class VetoApplication : Application() {
    override fun onCreate() {
        super.onCreate()
        BuildFeatures.logMissing()
        setUpTls()
        ChangeReceiver.register(this)
        SweepJob.ensureScheduled(this)
    }

    /**
     * Android's certificate verifier (used by the policy feed and the reports) needs the
     * application context once per process, before any scan. A failure only disables the
     * network steps (each sync and flush then reports it); enforcement goes on.
     */
    private fun setUpTls() {
        try {
            NativeCore.initTls(applicationContext)
        } catch (e: VetoException) {
            Log.e("Veto", "HTTPS set-up failed (${e.kind}); the policy feed and reports are off", e)
        }
    }
}
