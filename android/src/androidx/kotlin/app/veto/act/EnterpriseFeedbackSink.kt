//! The one AndroidX class of the shell: keyed app states through androidx.enterprise:enterprise-feedback.
package app.veto.act

import android.content.Context
import androidx.enterprise.feedback.KeyedAppState
import androidx.enterprise.feedback.KeyedAppStatesReporter

/**
 * Sends keyed app states to the EMM (device owner, profile owner and Play Store bindings).
 * Compiled only by Gradle (src/androidx); the shell finds it by name
 * ([KeyedStates.ENTERPRISE_FEEDBACK_SINK]), so R8 must keep its `(Context)` constructor.
 *
 * `setStates` queues; the platform uploads at most once a minute, which suits a 15-minute sweep.
 */
class EnterpriseFeedbackSink(context: Context) : KeyedStateSink {
    private val reporter: KeyedAppStatesReporter = KeyedAppStatesReporter.create(context.applicationContext)

    override fun report(states: List<KeyedState>) {
        if (states.isEmpty()) return
        reporter.setStates(states.map(::toAppState), null)
    }

    private fun toAppState(state: KeyedState): KeyedAppState =
        KeyedAppState.builder()
            .setKey(state.key)
            .setSeverity(
                when (state.severity) {
                    Severity.INFO -> KeyedAppState.SEVERITY_INFO
                    Severity.ERROR -> KeyedAppState.SEVERITY_ERROR
                },
            )
            .setMessage(state.message)
            .setData(state.data)
            .build()
}
