//! Process start: checks that the core loads, sets up HTTPS, registers the run-time receivers and makes sure the sweep is scheduled.
package app.veto.trigger

import android.app.Application
import android.util.Log
import app.veto.core.NativeCore
import app.veto.run.BuildFeatures

/** Whatever woke the process (boot, job, admin callback, the launcher), the run-time triggers start with it. */
class VetoApplication : Application() {
    override fun onCreate() {
        super.onCreate()
        BuildFeatures.logMissing { Log.w("Veto", it) }
        // Registered first: whatever happens to the core, changes still lead to a (reported) scan.
        ChangeReceiver.register(this)
        SweepJob.ensureScheduled(this)
        val unavailable = NativeCore.unavailable()
        if (unavailable != null) {
            // No crash loop: the app stays up, the status screen and the EMM say what is wrong.
            Log.e("Veto", "Veto's core (libveto.so) could not be loaded: $unavailable")
            Scans.reportCoreUnavailable(this, unavailable, System.currentTimeMillis())
            return
        }
        setUpTls()
    }

    /**
     * Android's certificate verifier (used by the policy feed and the reports) needs the
     * application context once per process, before any scan. A failure only disables the
     * network steps (each sync and flush then reports it); enforcement goes on.
     */
    private fun setUpTls() {
        try {
            NativeCore.initTls(applicationContext)
        } catch (t: Throwable) {
            Log.e("Veto", "HTTPS set-up failed; the policy feed and reports are off", t)
        }
    }
}
