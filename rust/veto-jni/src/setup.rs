//! One-time process setup behind `VetoNative.init()`: logging and a panic hook that reports.

use std::sync::Once;

static SETUP: Once = Once::new();

/// Installs logging (logcat on Android) and the panic hook; later calls do nothing.
pub fn init() {
    SETUP.call_once(|| {
        start_logging();
        // Panics are caught at the JNI boundary and rethrown as VetoException; the hook makes
        // sure the location of the panic is recorded too, where a developer will look for it.
        std::panic::set_hook(Box::new(|info| report_panic(&info.to_string())));
    });
}

#[cfg(target_os = "android")]
fn start_logging() {
    android_logger::init_once(
        android_logger::Config::default()
            .with_tag("veto")
            .with_max_level(log::LevelFilter::Info),
    );
}

#[cfg(not(target_os = "android"))]
fn start_logging() {
    // On a host JVM (tests, tools) stderr is where panics are reported; `log` stays silent.
}

#[cfg(target_os = "android")]
fn report_panic(text: &str) {
    log::error!("{text}");
}

#[cfg(not(target_os = "android"))]
fn report_panic(text: &str) {
    eprintln!("veto: {text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_twice_is_harmless_and_panics_still_unwind() {
        init();
        init();
        let caught = std::panic::catch_unwind(|| panic!("after init"));
        assert!(
            caught.is_err(),
            "a panic after init must still unwind to catch_unwind"
        );
    }
}
