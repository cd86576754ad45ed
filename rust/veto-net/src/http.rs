//! HTTPS transport: one place that decides TLS trust, timeouts, redirects and body limits.
//!
//! Only `https://` URLs are used; redirects are never followed (a feed behind a redirect
//! could be moved to plain HTTP or to another host); every exchange has a connect timeout
//! and an overall timeout; response bodies are capped.

use std::time::Duration;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::Agent;
use veto_core::error::{Error, ErrorKind, Result};

/// Which certificate authorities to trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// The operating system's verifier (rustls-platform-verifier). On Android this honours
    /// CA certificates the EMM installs, and needs the JNI layer to initialise
    /// `rustls_platform_verifier::android` first.
    Platform,
    /// Mozilla's root certificates compiled into the binary (webpki-roots). Not in Android
    /// builds, which use [`Tls::Platform`]: there it is an error.
    WebPki,
    /// Only these CA certificates (DER): a private CA, or a test CA.
    Roots(Vec<Vec<u8>>),
}

/// Transport settings. [`Net::new`] gives the defaults used on devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Net {
    /// Which CAs to trust.
    pub tls: Tls,
    /// Limit on establishing the TCP connection.
    pub connect_timeout: Duration,
    /// Limit on a whole exchange: DNS, connect, TLS, request, response, body.
    pub timeout: Duration,
    /// Largest accepted response body, in bytes.
    pub max_body: u64,
}

/// 1 MiB: a policy with thousands of rules is still far below this.
pub const DEFAULT_MAX_BODY: u64 = 1024 * 1024;

impl Net {
    /// Device defaults: 10 s to connect, 30 s for the whole exchange, 1 MiB bodies.
    pub fn new(tls: Tls) -> Self {
        Net {
            tls,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    fn agent(&self) -> Result<Agent> {
        let roots = match &self.tls {
            Tls::Platform => RootCerts::PlatformVerifier,
            #[cfg(not(target_os = "android"))]
            Tls::WebPki => RootCerts::WebPki,
            // Android builds leave Mozilla's roots out (see Cargo.toml): refuse, rather than
            // let ureq panic on roots it does not have.
            #[cfg(target_os = "android")]
            Tls::WebPki => {
                return Err(Error::new(
                    ErrorKind::Internal,
                    "Tls::WebPki: this Android build has no built-in roots; use Tls::Platform",
                ))
            }
            Tls::Roots(ders) => {
                RootCerts::from(ders.iter().map(|d| Certificate::from_der(d).to_owned()))
            }
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .build();
        Ok(Agent::config_builder()
            .https_only(true)
            .max_redirects(0)
            .http_status_as_error(false)
            // Environment proxies are a host-tool concern; devices use the network as is.
            .proxy(None)
            .timeout_connect(Some(self.connect_timeout))
            .timeout_global(Some(self.timeout))
            .user_agent(concat!("veto/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .new_agent())
    }
}

/// Refuses anything but an `https://` URL; `key` names the setting it came from.
pub fn require_https(url: &str, key: &str) -> Result<()> {
    let is_https = url
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
        && url.len() > 8;
    if is_https {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Feed,
            format!("{key}: must be an https:// URL, found \"{}\"", shorten(url)),
        ))
    }
}

/// The answer to a conditional GET.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// 200 with a body and maybe an ETag.
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
    },
    /// 304: what we have is current.
    NotModified,
}

/// `GET url`, sending `If-None-Match` when we have an ETag.
pub(crate) fn get(net: &Net, url: &str, etag: Option<&str>) -> Result<Fetched> {
    let what = format!("GET {}", shorten(url));
    let mut request = net.agent()?.get(url);
    if let Some(etag) = etag {
        request = request.header("If-None-Match", etag);
    }
    let mut response = request.call().map_err(|e| transport_error(&what, e))?;
    let status = response.status().as_u16();
    match status {
        200 => {
            let etag = response
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = response
                .body_mut()
                .with_config()
                .limit(net.max_body)
                .read_to_vec()
                .map_err(|e| transport_error(&what, e))?;
            Ok(Fetched::Body { bytes, etag })
        }
        304 => Ok(Fetched::NotModified),
        _ => Err(status_error(&what, status, &response)),
    }
}

/// `POST url` with a JSON body, an optional bearer token and an optional idempotency key.
/// Ok only for a 2xx answer.
pub(crate) fn post_json(
    net: &Net,
    url: &str,
    body: &[u8],
    token: Option<&str>,
    idempotency_key: Option<&str>,
) -> Result<u16> {
    let what = format!("POST {}", shorten(url));
    let mut request = net
        .agent()?
        .post(url)
        .header("Content-Type", "application/json");
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(key) = idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    let mut response = request.send(body).map_err(|e| transport_error(&what, e))?;
    let status = response.status().as_u16();
    // Drain a little of the body so the exchange completes; its content does not matter.
    let _ = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_vec();
    if (200..300).contains(&status) {
        Ok(status)
    } else {
        Err(status_error(&what, status, &response))
    }
}

fn status_error<B>(what: &str, status: u16, response: &ureq::http::Response<B>) -> Error {
    let message = if (300..400).contains(&status) {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(none)");
        format!(
            "{what}: answered HTTP {status}, a redirect to \"{}\"; redirects are not \
             followed, configure the final https:// URL",
            shorten(location)
        )
    } else {
        format!("{what}: answered HTTP {status}")
    };
    Error::new(ErrorKind::Feed, message)
}

fn transport_error(what: &str, e: ureq::Error) -> Error {
    let detail = match &e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::BodyExceedsLimit(limit) => {
            format!("the response body is larger than the {limit}-byte limit")
        }
        ureq::Error::RequireHttpsOnly(_) => "refused: not an https:// URL".to_string(),
        ureq::Error::Io(io) => format!("connection failed: {io}"),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        other => other.to_string(),
    };
    Error::new(ErrorKind::Feed, format!("{what}: {detail}"))
}

/// URLs and headers from servers go into messages: keep them short.
fn shorten(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls_pass() {
        assert!(require_https("https://feed.example/p.json", "policy_url").is_ok());
        assert!(require_https("HTTPS://feed.example/", "policy_url").is_ok());
        let err = require_https("http://feed.example/p.json", "policy_url").unwrap_err();
        assert_eq!(
            err.message(),
            "policy_url: must be an https:// URL, found \"http://feed.example/p.json\""
        );
        assert!(require_https("https://", "report_url").is_err());
        assert!(require_https("ftp://x", "report_url").is_err());
    }
}
