//! Which certificate authorities the feed and the reports trust, and the one-time set-up that
//! the Android trust store needs.
//!
//! On Android, HTTPS goes through rustls-platform-verifier, which asks Android's own
//! certificate verifier (so CA certificates the EMM installs are trusted, as in every other
//! app). That verifier calls into the JVM and must be handed the application context once,
//! through `VetoNative.initTls(context)`, before the first request; without it a request would
//! panic inside the verifier, so [`net`] refuses with a clear error instead. On a host (tests,
//! tools) Mozilla's roots compiled into the library are used and no set-up is needed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use veto_core::{Error, ErrorKind, Result};
use veto_net::http::Proxy;
use veto_net::{Net, Tls};

/// Set once `VetoNative.initTls` succeeded.
static READY: AtomicBool = AtomicBool::new(false);

/// The device's proxy, from `VetoNative.setProxy`; `None` connects directly.
static PROXY: Mutex<Option<Proxy>> = Mutex::new(None);

/// `VetoNative.setProxy(proxyJson)`: parses the proxy and uses it for every later sync and
/// flush in this process. A bad document changes nothing and is an error naming the field.
pub fn set_proxy(proxy_json: &str) -> Result<()> {
    let proxy = Proxy::from_json(proxy_json)?;
    // A panic while the lock was held cannot leave a half-written Option: take it anyway.
    *PROXY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = proxy;
    Ok(())
}

fn proxy() -> Option<Proxy> {
    PROXY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// The trust used by this build: the platform's verifier on Android, webpki roots elsewhere.
#[cfg(target_os = "android")]
pub const TRUST: Tls = Tls::Platform;
/// The trust used by this build: the platform's verifier on Android, webpki roots elsewhere.
#[cfg(not(target_os = "android"))]
pub const TRUST: Tls = Tls::WebPki;

/// Hands the JVM and the application context to the platform verifier; idempotent.
#[cfg(target_os = "android")]
pub fn init(
    env: &mut jni::Env<'_>,
    context: jni::objects::JObject<'_>,
) -> std::result::Result<(), crate::error::Failure> {
    if context.is_null() {
        return Err(null_context().into());
    }
    rustls_platform_verifier::android::init_with_env(env, context)?;
    READY.store(true, Ordering::Release);
    Ok(())
}

/// On a host there is nothing to set up; a `null` context is still refused, as on a phone.
#[cfg(not(target_os = "android"))]
pub fn init(
    _env: &mut jni::Env<'_>,
    context: jni::objects::JObject<'_>,
) -> std::result::Result<(), crate::error::Failure> {
    if context.is_null() {
        return Err(null_context().into());
    }
    READY.store(true, Ordering::Release);
    Ok(())
}

fn null_context() -> Error {
    Error::new(
        ErrorKind::Internal,
        "context: null instead of an android.content.Context",
    )
}

/// The transport for a sync or a flush (device defaults: 10 s to connect, 30 s per exchange,
/// 1 MiB bodies); on Android only after [`init`].
pub fn net() -> Result<Net> {
    net_if(cfg!(target_os = "android") && !READY.load(Ordering::Acquire))
}

fn net_if(missing_init: bool) -> Result<Net> {
    if missing_init {
        return Err(Error::new(
            ErrorKind::Internal,
            "TLS is not set up: call VetoNative.initTls(applicationContext) once before \
             syncPolicy or flushReports",
        ));
    }
    Ok(Net {
        proxy: proxy(),
        ..Net::new(TRUST)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_init_on_android_the_error_says_what_to_call() {
        let error = net_if(true).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Internal);
        assert!(error.message().contains("VetoNative.initTls"), "{error}");
    }

    #[test]
    fn the_device_defaults_bound_every_exchange() {
        let net = net_if(false).unwrap();
        assert_eq!(net.tls, TRUST);
        assert_eq!(net.connect_timeout, std::time::Duration::from_secs(10));
        assert_eq!(net.timeout, std::time::Duration::from_secs(30));
        if cfg!(not(target_os = "android")) {
            assert_eq!(net.tls, Tls::WebPki, "hosts need no platform set-up");
        }
    }

    #[test]
    fn the_proxy_set_is_used_until_replaced_and_a_bad_one_changes_nothing() {
        set_proxy(r#"{"url": "http://proxy.corp.example:3128", "exclude": ["*.corp.example"]}"#)
            .unwrap();
        let net = net_if(false).unwrap();
        let proxy = net.proxy.expect("the proxy is used");
        assert_eq!(proxy.url, "http://proxy.corp.example:3128");
        assert_eq!(proxy.exclude, ["*.corp.example"]);
        let error = set_proxy(r#"{"url": "ftp://x:1"}"#).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::BadManagedConfig);
        assert!(error.message().starts_with("proxy: url: "), "{error}");
        assert!(net_if(false).unwrap().proxy.is_some(), "unchanged");
        set_proxy("{}").unwrap();
        assert_eq!(net_if(false).unwrap().proxy, None);
    }
}
