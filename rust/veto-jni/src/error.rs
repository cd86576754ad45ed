//! The one place where Rust failures become Java exceptions: every `veto_core::Error`, every JNI
//! error and every caught panic turns into `app.veto.core.VetoException(kind, message)`.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use jni::errors::ErrorPolicy;
use jni::objects::{JThrowable, JValue};
use jni::strings::{JNIStr, JNIString};
use jni::{jni_sig, jni_str, Env};
use veto_core::error::Error;

/// The Java class every failure is thrown as; its `(String kind, String message)` constructor
/// is part of the contract with `android/src/main/kotlin/app/veto/core/VetoException.kt`.
const VETO_EXCEPTION: &JNIStr = jni_str!("app/veto/core/VetoException");

/// Thrown only if `VetoException` itself cannot be built (e.g. stripped by a misconfigured R8),
/// so that the caller still gets an exception rather than a silent `null`.
const FALLBACK_EXCEPTION: &JNIStr = jni_str!("java/lang/RuntimeException");

/// Kind of failures that are Veto's own bugs (panics, JNI misuse), as Java sees it.
pub const INTERNAL: &str = "internal";

/// Why an entry point failed before producing its result.
#[derive(Debug)]
pub enum Failure {
    /// The core or the store refused the input or could not do its job.
    Core(Error),
    /// A JNI call failed (an out-of-memory string, a Java exception already pending).
    Jni(jni::errors::Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Core(error)
    }
}

impl From<jni::errors::Error> for Failure {
    fn from(error: jni::errors::Error) -> Self {
        Failure::Jni(error)
    }
}

/// The `(kind, message)` pair Java receives for `failure`.
pub fn exception_parts(failure: &Failure) -> (&'static str, String) {
    match failure {
        Failure::Core(error) => (error.kind().code(), error.message().to_owned()),
        Failure::Jni(error) => (INTERNAL, format!("JNI call failed in libveto: {error}")),
    }
}

/// The message of the `internal` exception that replaces a panic; it carries the panic text.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = if let Some(text) = payload.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.as_str()
    } else {
        "(no message)"
    };
    format!("libveto panicked: {text}")
}

/// The error policy of every entry point: failures and panics become a pending
/// `VetoException`, and the entry point returns `null` / `0`, which Java never sees because the
/// exception is thrown first.
pub struct ThrowVetoException;

impl<T: Default> ErrorPolicy<T, Failure> for ThrowVetoException {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        failure: Failure,
    ) -> jni::errors::Result<T> {
        // A Java exception raised inside a JNI call is already pending: it is the better
        // explanation, so let it propagate unchanged.
        if !env.exception_check() {
            let (kind, message) = exception_parts(&failure);
            throw(env, kind, &message);
        }
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        payload: Box<dyn Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        let message = panic_message(payload.as_ref());
        log::error!("{message}");
        // Dropping a payload may itself panic; if it does, leak that second payload.
        if let Err(second) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
            std::mem::forget(second);
        }
        // The panic, not whatever exception it interrupted, is what needs reporting.
        if env.exception_check() {
            env.exception_clear();
        }
        throw(env, INTERNAL, &message);
        Ok(T::default())
    }
}

/// Leaves `VetoException(kind, message)` pending on `env`, or a `RuntimeException` carrying both
/// if the `VetoException` class cannot be used.
fn throw(env: &mut Env<'_>, kind: &str, message: &str) {
    if let Err(error) = throw_veto_exception(env, kind, message) {
        log::error!("cannot throw VetoException({kind}): {error}");
        if env.exception_check() {
            env.exception_clear();
        }
        let text = JNIString::from(format!("{kind}: {message}"));
        // `throw_new` reports success as Err(JavaException); nothing more can be done on failure.
        let _ = env.throw_new(FALLBACK_EXCEPTION, text);
    }
}

fn throw_veto_exception(env: &mut Env<'_>, kind: &str, message: &str) -> jni::errors::Result<()> {
    let kind = env.new_string(kind)?;
    let message = env.new_string(message)?;
    let exception = env.new_object(
        VETO_EXCEPTION,
        jni_sig!("(Ljava/lang/String;Ljava/lang/String;)V"),
        &[JValue::from(&kind), JValue::from(&message)],
    )?;
    let exception = env.cast_local::<JThrowable>(exception)?;
    match env.throw(exception) {
        // `Throw` succeeded: the exception is now pending.
        Err(jni::errors::Error::JavaException) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use veto_core::error::ErrorKind;

    #[test]
    fn core_errors_keep_their_kind_code_and_message() {
        for kind in ErrorKind::ALL {
            let failure =
                Failure::from(Error::new(kind, "inventory: packages[3].package: missing"));
            let (code, message) = exception_parts(&failure);
            assert_eq!(code, kind.code());
            assert_eq!(message, "inventory: packages[3].package: missing");
        }
    }

    #[test]
    fn every_kind_has_a_distinct_code_that_maps_back() {
        let codes: Vec<&str> = ErrorKind::ALL.iter().map(|kind| kind.code()).collect();
        assert_eq!(
            codes,
            [
                "bad_inventory",
                "bad_policy",
                "bad_managed_config",
                "bad_capabilities",
                "bad_outcomes",
                "bad_state",
                "io",
                "feed",
                "internal"
            ]
        );
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(ErrorKind::from_code("no_such_kind"), None);
    }

    #[test]
    fn jni_errors_are_internal_and_say_so() {
        let failure = Failure::from(jni::errors::Error::NullPtr("string argument"));
        let (code, message) = exception_parts(&failure);
        assert_eq!(code, "internal");
        assert!(
            message.starts_with("JNI call failed in libveto: "),
            "{message}"
        );
        assert!(message.contains("string argument"), "{message}");
    }

    #[test]
    fn panic_messages_carry_the_panic_text() {
        let literal: Box<dyn Any + Send> = Box::new("index out of bounds");
        assert_eq!(
            panic_message(literal.as_ref()),
            "libveto panicked: index out of bounds"
        );
        let formatted: Box<dyn Any + Send> = Box::new(format!("bad step {}", 3));
        assert_eq!(
            panic_message(formatted.as_ref()),
            "libveto panicked: bad step 3"
        );
        let other: Box<dyn Any + Send> = Box::new(42_u32);
        assert_eq!(
            panic_message(other.as_ref()),
            "libveto panicked: (no message)"
        );
    }

    #[test]
    fn panics_caught_by_catch_unwind_map_to_their_text() {
        let payload = std::panic::catch_unwind(|| panic!("state step {} is unknown", 7))
            .expect_err("the closure panics");
        assert_eq!(
            panic_message(payload.as_ref()),
            "libveto panicked: state step 7 is unknown"
        );
    }
}
