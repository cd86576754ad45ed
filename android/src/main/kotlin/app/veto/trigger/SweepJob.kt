//! The scan job: the periodic sweep (every 15 minutes, the platform minimum; Doze may delay it) and the one-off scan every trigger enqueues.
package app.veto.trigger

import android.app.job.JobInfo
import android.app.job.JobParameters
import android.app.job.JobScheduler
import android.app.job.JobService
import android.content.ComponentName
import android.content.Context
import android.util.Log

/**
 * One job service, two jobs: [JOB_ID], the periodic sweep that covers the time the process is
 * not running, and [SCAN_NOW_JOB_ID], the one-off scan receivers and the status screen enqueue
 * ([Scans.request]). Either runs the scan on its own worker thread and calls `jobFinished`.
 * Declared in the manifest with `BIND_JOB_SERVICE` so only the system can bind it.
 */
class SweepJob : JobService() {
    override fun onStartJob(params: JobParameters): Boolean {
        Scans.startWorker(this) { jobFinished(params, false) }
        return true // the scan runs on its own thread
    }

    /** A scan cannot be interrupted halfway; the next period runs anyway. */
    override fun onStopJob(params: JobParameters): Boolean = false

    companion object {
        const val JOB_ID = 0x7e70
        const val SCAN_NOW_JOB_ID = 0x7e71
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

        /**
         * Enqueues the one-off scan to run as soon as the system allows (deadline 0, no
         * constraints: the scan itself works offline). Enqueuing again while it waits replaces it:
         * one scan sees all changes.
         */
        fun scheduleNow(context: Context) {
            val scheduler = context.getSystemService(JobScheduler::class.java) ?: return
            val job = JobInfo.Builder(SCAN_NOW_JOB_ID, ComponentName(context, SweepJob::class.java))
                .setOverrideDeadline(0)
                .build()
            if (scheduler.schedule(job) != JobScheduler.RESULT_SUCCESS) {
                Log.w("Veto", "the scan job could not be scheduled; the periodic sweep will run it")
            }
        }
    }
}
