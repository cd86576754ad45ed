//! Process start: registers the run-time receivers and makes sure the sweep is scheduled.
package app.veto.trigger

import android.app.Application

/** Whatever woke the process (boot, job, admin callback), the run-time triggers start with it. */
class VetoApplication : Application() {
    override fun onCreate() {
        super.onCreate()
        ChangeReceiver.register(this)
        SweepJob.ensureScheduled(this)
    }
}
