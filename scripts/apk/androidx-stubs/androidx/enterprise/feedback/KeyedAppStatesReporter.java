// Compile-only stand-in for androidx.enterprise:enterprise-feedback 1.1.0: see KeyedAppState.java.
package androidx.enterprise.feedback;

import android.content.Context;
import java.util.Collection;
import java.util.concurrent.Executor;

public abstract class KeyedAppStatesReporter {
    public static KeyedAppStatesReporter create(Context context) {
        throw new UnsupportedOperationException("compile-only stub");
    }

    public static KeyedAppStatesReporter create(Context context, Executor executor) {
        throw new UnsupportedOperationException("compile-only stub");
    }

    /** @deprecated as in the library: use the overload with a callback. */
    @Deprecated
    public abstract void setStates(Collection<KeyedAppState> states);

    public abstract void setStates(Collection<KeyedAppState> states, KeyedAppStatesCallback callback);

    public abstract void setStatesImmediate(Collection<KeyedAppState> states, KeyedAppStatesCallback callback);
}
