//! The JNI boundary: thin entry points for `app.veto.core.VetoNative`.
