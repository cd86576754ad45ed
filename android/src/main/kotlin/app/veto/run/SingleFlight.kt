//! Runs one scan at a time: a trigger during a scan asks for one more run, never a parallel one.
package app.veto.run

/**
 * Serialises scans. [trigger] runs [body] on the calling thread unless a scan is already
 * running; then it only marks that one more scan is due and returns at once, and the running
 * thread scans again when it finishes (any number of triggers during one scan add up to one
 * re-run, because the re-run sees all their changes).
 *
 * A scan that throws is passed to [onError] and does not cancel a re-run that was asked for.
 */
class SingleFlight(
    private val body: () -> Unit,
    private val onError: (Throwable) -> Unit,
) {
    private val lock = Any()
    private var running = false
    private var again = false

    /** Returns true if this call ran the scan(s), false if it handed over to the running one. */
    fun trigger(): Boolean {
        synchronized(lock) {
            if (running) {
                again = true
                return false
            }
            running = true
        }
        while (true) {
            try {
                body()
            } catch (e: Exception) {
                onError(e)
            } catch (e: Error) {
                // Leave the guard usable before passing on something as serious as an Error.
                synchronized(lock) {
                    running = false
                    again = false
                }
                throw e
            }
            synchronized(lock) {
                if (!again) {
                    running = false
                    return true
                }
                again = false
            }
        }
    }

    /**
     * If a scan is running, marks one more scan as due (the running thread does it) and
     * returns true; returns false, changing nothing, when none is running.
     */
    fun rerunIfRunning(): Boolean = synchronized(lock) {
        if (running) again = true
        running
    }

    /** True while a scan is running (for tests and diagnostics). */
    val isRunning: Boolean get() = synchronized(lock) { running }
}
