//! Test stand-in for the AndroidX keyed-app-states sink (src/androidx, built only by Gradle), found by the same name.
package app.veto.act

import android.content.Context

/**
 * `Scans` looks this class up by name ([KeyedStates.ENTERPRISE_FEEDBACK_SINK]) exactly as on a
 * device; in the host tests it records what would go to `KeyedAppStatesReporter.setStates`.
 */
class EnterpriseFeedbackSink(@Suppress("UNUSED_PARAMETER") context: Context) : KeyedStateSink {
    override fun report(states: List<KeyedState>) {
        synchronized(reported) { reported += states }
    }

    companion object {
        val reported = mutableListOf<KeyedState>()

        fun take(): List<KeyedState> = synchronized(reported) { reported.toList().also { reported.clear() } }
    }
}
