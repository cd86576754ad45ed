//! The periodic sweep: a JobScheduler job every 15 minutes (the platform minimum; Doze may delay it).
package app.veto.trigger

import android.app.job.JobInfo
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.app.job.JobService
import android.content.ComponentName
import android.content.Context
import app.veto.run.Scans

/** The job; declared in the manifest with `BIND_JOB_SERVICE` so only the system can bind it. */
class SweepJob : JobService() {
    override fun onStartJob(params: JobParameters): Boolean {
        Scans.request(this, "periodic sweep") { jobFinished(params, false) }
        return true // the scan runs on its own thread
    }

    /** A scan cannot be interrupted halfway; the next period runs anyway. */
    override fun onStopJob(params: JobParameters): Boolean = false

    companion object {
        const val JOB_ID = 0x7e70
        const val PERIOD_MILLIS = 15L * 60 * 1000

        /** Schedules the sweep unless it already is (rescheduling would reset its timer). */
        fun ensureScheduled(context: Context) {
            val scheduler = context.getSystemService(JobScheduler::class.java) ?: return
            val existing = scheduler.getPendingJob(JOB_ID)
            if (existing != null && existing.intervalMillis == PERIOD_MILLIS) return
            val job = JobInfo.Builder(JOB_ID, ComponentName(context, SweepJob::class.java))
                .setPeriodic(PERIOD_MILLIS)
                .setPersisted(true) // survives reboot (needs RECEIVE_BOOT_COMPLETED)
                .build()
            scheduler.schedule(job)
        }
    }
}
