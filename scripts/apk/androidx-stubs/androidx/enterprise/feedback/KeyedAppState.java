// Compile-only stand-in for androidx.enterprise:enterprise-feedback 1.1.0 (not on Maven Central),
// so CI can compile android/src/androidx (scripts/apk/check-api.sh). The signatures follow the
// library's published API (androidx enterprise/feedback/api); nothing here ever runs.
package androidx.enterprise.feedback;

public abstract class KeyedAppState {
    public static final int SEVERITY_INFO = 1;
    public static final int SEVERITY_ERROR = 2;

    public static KeyedAppStateBuilder builder() {
        throw new UnsupportedOperationException("compile-only stub");
    }

    public abstract String getKey();

    public abstract int getSeverity();

    public abstract String getMessage();

    public abstract String getData();

    public abstract static class KeyedAppStateBuilder {
        public abstract KeyedAppStateBuilder setKey(String key);

        public abstract KeyedAppStateBuilder setSeverity(int severity);

        public abstract KeyedAppStateBuilder setMessage(String message);

        public abstract KeyedAppStateBuilder setData(String data);

        public KeyedAppState build() {
            throw new UnsupportedOperationException("compile-only stub");
        }
    }
}
