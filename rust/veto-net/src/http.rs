//! HTTPS transport: one place that decides TLS trust, timeouts, redirects, body limits and
//! the proxy.
//!
//! Only `https://` URLs are used; redirects are never followed (a feed behind a redirect
//! could be moved to plain HTTP or to another host); every exchange has a connect timeout
//! and an overall timeout; response bodies are capped. With a [`Proxy`] (the device's, handed
//! over by the shell) every request goes through it with HTTP `CONNECT`, so TLS still runs
//! end to end with the server, except to hosts the proxy's exclusion list names.

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
    /// The HTTP proxy to tunnel through; `None` connects directly.
    pub proxy: Option<Proxy>,
}

/// An HTTP proxy, as Android describes it (`ProxyInfo`: host, port, exclusion list; a PAC
/// file is resolved by the shell to the proxy it names). The JSON form, `setProxy`'s argument:
/// `{"url": "http://host:port", "exclude": ["host", "*.suffix", ...]}`, or `{}` for none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// `http://host:port`.
    pub url: String,
    /// Hosts reached directly: exact names, or patterns where `*` stands for any run of
    /// characters (`*.corp.example`, `10.*`); matched without regard to case.
    pub exclude: Vec<String>,
}

impl Proxy {
    /// Parses `setProxy`'s JSON: `Ok(None)` for `{}` (or a `null` / empty `url`) meaning a
    /// direct connection. Errors are of kind `bad_managed_config` and name the field.
    pub fn from_json(json: &str) -> Result<Option<Proxy>> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            #[serde(default)]
            url: Option<String>,
            #[serde(default)]
            exclude: Vec<String>,
        }
        let doc: Doc = veto_core::error::parse_json(json, ErrorKind::BadManagedConfig, "proxy")?;
        let url = match doc.url.as_deref().map(str::trim) {
            None | Some("") => return Ok(None),
            Some(url) => url,
        };
        let bad = |why: String| Error::new(ErrorKind::BadManagedConfig, format!("proxy: {why}"));
        let rest = url
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
            .map(|_| &url[7..])
            .ok_or_else(|| {
                bad(format!(
                    "url: expected \"http://host:port\", found \"{}\"",
                    shorten(url)
                ))
            })?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        let port_ok = authority.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !port_ok || authority.contains(['/', '@', '?', '#', ' ']) {
            return Err(bad(format!(
                "url: expected \"http://host:port\", found \"{}\"",
                shorten(url)
            )));
        }
        ureq::Proxy::new(&format!("http://{authority}")).map_err(|e| {
            bad(format!(
                "url: \"{}\" is not a usable proxy: {e}",
                shorten(url)
            ))
        })?;
        for (i, pattern) in doc.exclude.iter().enumerate() {
            let pattern = pattern.trim();
            if pattern.is_empty() || pattern.contains(['/', ':', ' ', '@']) {
                return Err(bad(format!(
                    "exclude[{i}]: expected a host name or a pattern such as \"*.corp.example\", \
                     found \"{}\"",
                    shorten(pattern)
                )));
            }
        }
        Ok(Some(Proxy {
            url: format!("http://{authority}"),
            exclude: doc.exclude.iter().map(|p| p.trim().to_owned()).collect(),
        }))
    }

    /// Whether `host` is reached directly (it matches an exclusion pattern).
    pub fn excludes(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.exclude
            .iter()
            .any(|pattern| host_matches(pattern.as_bytes(), host.as_bytes()))
    }

    /// The proxy to use for `url`, or `None` when its host is excluded.
    fn for_url(&self, url: &str) -> Result<Option<ureq::Proxy>> {
        if host_of(url).is_some_and(|host| self.excludes(host)) {
            return Ok(None);
        }
        ureq::Proxy::new(&self.url).map(Some).map_err(|e| {
            Error::new(
                ErrorKind::BadManagedConfig,
                format!("proxy: url: \"{}\" is not a usable proxy: {e}", self.url),
            )
        })
    }
}

/// The host of an `https://host[:port]/…` URL.
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if authority.starts_with('[') {
        return authority.split_once(']').map(|(h, _)| &h[1..]);
    }
    Some(authority.split(':').next().unwrap_or(authority))
}

/// `*` matches any run of characters (dots included); everything else literally, ignoring
/// ASCII case: Android's rule for the proxy exclusion list.
fn host_matches(pattern: &[u8], host: &[u8]) -> bool {
    match pattern.split_first() {
        None => host.is_empty(),
        Some((b'*', rest)) => (0..=host.len()).any(|skip| host_matches(rest, &host[skip..])),
        Some((c, rest)) => host
            .split_first()
            .is_some_and(|(h, tail)| h.eq_ignore_ascii_case(c) && host_matches(rest, tail)),
    }
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
            proxy: None,
        }
    }

    /// `METHOD url`, and the proxy when the request goes through one (for messages).
    fn describe(&self, method: &str, url: &str) -> String {
        match &self.proxy {
            Some(proxy) if !host_of(url).is_some_and(|host| proxy.excludes(host)) => {
                format!("{method} {} (via proxy {})", shorten(url), proxy.url)
            }
            _ => format!("{method} {}", shorten(url)),
        }
    }

    /// The agent for a request to `url` (the proxy depends on its host).
    fn agent(&self, url: &str) -> Result<Agent> {
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
            // Only the proxy handed over (the device's); environment variables are ignored.
            .proxy(match &self.proxy {
                Some(proxy) => proxy.for_url(url)?,
                None => None,
            })
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
    let what = net.describe("GET", url);
    let mut request = net.agent(url)?.get(url);
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
    let what = net.describe("POST", url);
    let mut request = net
        .agent(url)?
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

    #[test]
    fn proxy_json_reads_and_bad_fields_are_named() {
        assert_eq!(Proxy::from_json("{}").unwrap(), None);
        assert_eq!(Proxy::from_json(r#"{"url": ""}"#).unwrap(), None);
        let proxy = Proxy::from_json(
            r#"{"url": "http://proxy.corp.example:3128", "exclude": ["localhost", "*.corp.example"]}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(proxy.url, "http://proxy.corp.example:3128");
        assert!(proxy.excludes("localhost"));
        assert!(proxy.excludes("Intranet.CORP.example"));
        assert!(
            !proxy.excludes("corp.example"),
            "*. needs a subdomain, as on Android"
        );
        assert!(!proxy.excludes("feed.example"));
        let cases = [
            (
                r#"{"url": "socks5://p:1080"}"#,
                "proxy: url: expected \"http://host:port\"",
            ),
            (
                r#"{"url": "http://p"}"#,
                "proxy: url: expected \"http://host:port\"",
            ),
            (r#"{"url": "http://p:99999"}"#, "proxy: url: expected"),
            (r#"{"url": 3}"#, "proxy: url: invalid type"),
            (
                r#"{"url": "http://p:1", "exclude": "x"}"#,
                "proxy: exclude: invalid type",
            ),
            (
                r#"{"url": "http://p:1", "exclude": ["a b"]}"#,
                "proxy: exclude[0]: expected a host",
            ),
            (r#"{"host": "p"}"#, "proxy: host: unknown field `host`"),
            ("[]", "proxy: expected a JSON object"),
        ];
        for (json, want) in cases {
            let error = Proxy::from_json(json).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::BadManagedConfig, "{json}");
            assert!(error.message().starts_with(want), "{json}: {error}");
        }
    }

    #[test]
    fn hosts_are_taken_from_urls() {
        assert_eq!(host_of("https://feed.example/p.json"), Some("feed.example"));
        assert_eq!(host_of("https://127.0.0.1:8443/p"), Some("127.0.0.1"));
        assert_eq!(host_of("https://[::1]:8443/p"), Some("::1"));
        assert_eq!(host_of("https://u@h.example:1?q"), Some("h.example"));
    }
}
