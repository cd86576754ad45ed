// Compile-only stand-in for androidx.enterprise:enterprise-feedback 1.1.0: see KeyedAppState.java.
package androidx.enterprise.feedback;

public interface KeyedAppStatesCallback {
    int STATUS_SUCCESS = 0;
    int STATUS_UNKNOWN_ERROR = 1;
    int STATUS_TRANSACTION_TOO_LARGE_ERROR = 2;
    int STATUS_EXCEEDED_BUFFER_ERROR = 3;

    void onResult(int state, Throwable throwable);
}
