//! The signed policy feed against a loopback HTTPS server: every failure keeps the last
//! good policy, byte for byte, and says what went wrong.

// Test code: a failed unwrap is a failed test; the tests write fixtures and damage files on
// purpose, which veto_store::write_atomic would not show any better.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::{Reply, TestServer};
use ed25519_dalek::SigningKey;
use std::path::Path;
use std::time::Duration;
use veto_core::config::Settings;
use veto_core::error::ErrorKind;
use veto_core::time::Timestamp;
use veto_net::feed::{last_good, sign_policy, sync_policy, Change, LastGood, LAST_GOOD_FILE};
use veto_net::keys::encode_key;
use veto_net::{Net, Tls};

/// 2026-11-22T16:00:00Z
const NOW: i64 = 1_795_363_200_000;

fn now() -> Timestamp {
    Timestamp::from_millis(NOW)
}

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn public(n: u8) -> String {
    encode_key(key(n).verifying_key().as_bytes())
}

fn policy(version: u64, extra: &str) -> String {
    format!(
        r#"{{"version": {version}, "rules": [{{"id": "tiktok", "package": "com.zhiliaoapp.musically", "reason": "Barred from work phones"}}]{extra}}}"#
    )
}

fn signed(version: u64, signer: u8) -> Vec<u8> {
    sign_policy(policy(version, "").as_bytes(), &key(signer))
        .unwrap()
        .into_bytes()
}

fn settings(url: &str, signer: u8) -> Settings {
    Settings {
        policy_url: Some(url.to_string()),
        policy_public_key: Some(public(signer)),
        ..Settings::default()
    }
}

/// Serves `body` with an ETag on every request.
fn serving(body: Vec<u8>, etag: &'static str) -> impl FnMut(&common::Request) -> Reply + Send {
    move |_| Reply::ok(body.clone()).with_header("ETag", etag)
}

/// A state dir whose last good policy is version 7 from `server`.
fn seeded(server: &TestServer) -> (tempfile::TempDir, LastGood, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    server.set_handler(serving(signed(7, 1), "\"v7\""));
    let report = sync_policy(
        &settings(&server.url("/policy"), 1),
        dir.path(),
        now(),
        &server.net(),
    );
    assert_eq!(
        report.result.unwrap(),
        Change::Updated {
            previous: None,
            version: 7
        }
    );
    let good = report.last_good.unwrap();
    let bytes = std::fs::read(dir.path().join(LAST_GOOD_FILE)).unwrap();
    (dir, good, bytes)
}

/// Nothing lost, nothing weakened: the stored file is byte-identical and still loads.
fn assert_kept(dir: &Path, good: &LastGood, bytes: &[u8]) {
    assert_eq!(std::fs::read(dir.join(LAST_GOOD_FILE)).unwrap(), bytes);
    assert_eq!(last_good(dir).unwrap().as_ref(), Some(good));
}

#[test]
fn happy_path_stores_the_policy_and_its_etag() {
    let server = TestServer::start(|_| Reply::status(500));
    let (dir, good, _) = seeded(&server);
    assert_eq!(good.version, 7);
    assert_eq!(good.etag.as_deref(), Some("\"v7\""));
    assert_eq!(good.policy_json, policy(7, ""));
    assert_eq!(good.policy().unwrap().rules[0].id, "tiktok");
    assert_eq!(last_good(dir.path()).unwrap(), Some(good));
    let first = &server.requests()[0];
    assert_eq!(first.method, "GET");
    assert_eq!(first.path, "/policy");
    assert_eq!(first.header("If-None-Match"), None);
}

#[test]
fn not_modified_keeps_the_policy_and_sends_the_etag() {
    let server = TestServer::start(|_| Reply::status(500));
    let (dir, good, bytes) = seeded(&server);
    server.set_handler(|_| Reply::status(304));
    let report = sync_policy(
        &settings(&server.url("/policy"), 1),
        dir.path(),
        now(),
        &server.net(),
    );
    assert_eq!(report.result.unwrap(), Change::NotModified { version: 7 });
    assert_eq!(report.last_good, Some(good.clone()));
    assert_eq!(server.requests()[1].header("If-None-Match"), Some("\"v7\""));
    assert_kept(dir.path(), &good, &bytes);
}

#[test]
fn a_newer_version_replaces_the_last_good_one() {
    let server = TestServer::start(|_| Reply::status(500));
    let (dir, _, _) = seeded(&server);
    server.set_handler(serving(signed(8, 1), "\"v8\""));
    let report = sync_policy(
        &settings(&server.url("/policy"), 1),
        dir.path(),
        now(),
        &server.net(),
    );
    assert_eq!(
        report.result.clone().unwrap(),
        Change::Updated {
            previous: Some(7),
            version: 8
        }
    );
    assert_eq!(last_good(dir.path()).unwrap().unwrap().version, 8);
    assert!(
        report.to_json().contains(r#""status":"updated""#),
        "{}",
        report.to_json()
    );
}

#[test]
fn the_same_document_again_is_unchanged() {
    let server = TestServer::start(|_| Reply::status(500));
    let (dir, good, bytes) = seeded(&server);
    // Same bytes, same ETag (a server that ignores If-None-Match).
    let report = sync_policy(
        &settings(&server.url("/policy"), 1),
        dir.path(),
        now(),
        &server.net(),
    );
    assert_eq!(report.result.unwrap(), Change::Unchanged { version: 7 });
    assert_kept(dir.path(), &good, &bytes);
}

#[test]
fn http_errors_keep_the_last_good_policy() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    for status in [404u16, 500] {
        let message = refused_after_seed(
            &server,
            move |_| Reply::status(status),
            &settings(&url, 1),
            &server.net(),
        );
        assert_eq!(
            message,
            format!("policy feed: GET {url}: answered HTTP {status}")
        );
    }
}

/// Seeds version 7, then installs `handler` for the next request.
fn seeded_then(
    server: &TestServer,
    handler: impl FnMut(&common::Request) -> Reply + Send + 'static,
) -> (tempfile::TempDir, LastGood, Vec<u8>) {
    let seeded = seeded(server);
    server.set_handler(handler);
    seeded
}

fn refused_after_seed(
    server: &TestServer,
    handler: impl FnMut(&common::Request) -> Reply + Send + 'static,
    settings: &Settings,
    net: &Net,
) -> String {
    let (dir, good, bytes) = seeded_then(server, handler);
    let report = sync_policy(settings, dir.path(), now(), net);
    assert_eq!(report.last_good.as_ref(), Some(&good));
    let err = report.result.clone().expect_err("the sync should fail");
    assert_eq!(err.kind(), ErrorKind::Feed);
    assert_kept(dir.path(), &good, &bytes);
    let json: serde_json::Value = serde_json::from_str(&report_json(&report)).unwrap();
    assert_eq!(json["status"], "error");
    assert_eq!(json["version"], 7);
    err.message().to_string()
}

fn report_json(report: &veto_net::feed::SyncReport) -> String {
    report.to_json()
}

#[test]
fn a_stalled_body_times_out() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let message = refused_after_seed(
        &server,
        |_| Reply::Stall {
            declared: 5000,
            sent: b"{\"format\"".to_vec(),
            stall: Duration::from_secs(3),
        },
        &settings(&url, 1),
        &server.net(),
    );
    assert!(
        message == format!("policy feed: GET {url}: timed out (global)"),
        "{message}"
    );
}

#[test]
fn a_connection_reset_is_an_error() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let (dir, good, bytes) = seeded(&server);
    server.set_reset(true);
    let report = sync_policy(&settings(&url, 1), dir.path(), now(), &server.net());
    let err = report.result.unwrap_err();
    assert!(
        err.message()
            .starts_with(&format!("policy feed: GET {url}: connection failed: ")),
        "{err}"
    );
    assert_kept(dir.path(), &good, &bytes);
    server.set_reset(false);

    let message = refused_after_seed(
        &server,
        |_| Reply::CloseMidBody {
            declared: 5000,
            sent: b"{\"format\"".to_vec(),
        },
        &settings(&url, 1),
        &server.net(),
    );
    assert!(
        message.starts_with(&format!("policy feed: GET {url}: connection failed: ")),
        "{message}"
    );
}

#[test]
fn an_oversize_body_is_refused() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let message = refused_after_seed(
        &server,
        |_| Reply::ok(vec![b' '; 1024 * 1024 + 1]),
        &settings(&url, 1),
        &server.net(),
    );
    assert_eq!(
        message,
        format!("policy feed: GET {url}: the response body is larger than the 1048576-byte limit")
    );
}

#[test]
fn plain_http_is_refused_before_connecting() {
    let server = TestServer::start(|_| Reply::status(500));
    let (dir, good, bytes) = seeded(&server);
    let before = server.requests().len();
    let http_url = format!("http://127.0.0.1:{}/policy", server.port);
    let report = sync_policy(&settings(&http_url, 1), dir.path(), now(), &server.net());
    assert_eq!(
        report.result.unwrap_err().message(),
        format!("policy feed: policy_url: must be an https:// URL, found \"{http_url}\"")
    );
    assert_eq!(server.requests().len(), before, "no request was made");
    assert_kept(dir.path(), &good, &bytes);
}

#[test]
fn redirects_are_not_followed() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let target = format!("http://127.0.0.1:{}/plain", server.port);
    let location = target.clone();
    let message = refused_after_seed(
        &server,
        move |_| Reply::status(302).with_header("Location", &location),
        &settings(&url, 1),
        &server.net(),
    );
    assert_eq!(
        message,
        format!(
            "policy feed: GET {url}: answered HTTP 302, a redirect to \"{target}\"; \
             redirects are not followed, configure the final https:// URL"
        )
    );
    assert!(server.requests().iter().all(|r| r.path == "/policy"));
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let mut net = server.net();
    net.tls = Tls::WebPki; // Mozilla's roots do not include the test CA.
    let message = refused_after_seed(
        &server,
        serving(signed(8, 1), "\"v8\""),
        &settings(&url, 1),
        &net,
    );
    assert!(
        message.starts_with(&format!("policy feed: GET {url}: ")),
        "{message}"
    );
    assert!(
        message.starts_with(&format!(
            "policy feed: GET {url}: connection failed: invalid peer certificate"
        )),
        "{message}"
    );
}

#[test]
fn the_platform_verifier_does_not_trust_the_test_ca() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let mut net = server.net();
    net.tls = Tls::Platform;
    let message = refused_after_seed(
        &server,
        serving(signed(8, 1), "\"v8\""),
        &settings(&url, 1),
        &net,
    );
    assert!(
        message.starts_with(&format!("policy feed: GET {url}: connection failed: ")),
        "{message}"
    );
}

#[test]
fn a_bad_signature_is_refused() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let mut envelope: serde_json::Value = serde_json::from_slice(&signed(8, 1)).unwrap();
    let tampered = policy(8, r#", "enforcement": "report""#);
    use base64::Engine;
    envelope["payload"] = base64::engine::general_purpose::STANDARD
        .encode(tampered.as_bytes())
        .into();
    let body = serde_json::to_vec(&envelope).unwrap();
    let message = refused_after_seed(
        &server,
        serving(body, "\"x\""),
        &settings(&url, 1),
        &server.net(),
    );
    assert!(
        message
            .starts_with("policy feed: envelope: signature does not verify with policy_public_key"),
        "{message}"
    );
}

#[test]
fn a_document_signed_with_another_key_is_refused() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let message = refused_after_seed(
        &server,
        serving(signed(8, 2), "\"x\""),
        &settings(&url, 1),
        &server.net(),
    );
    let other = veto_net::keys::key_id(&key(2).verifying_key());
    let ours = veto_net::keys::key_id(&key(1).verifying_key());
    assert_eq!(
        message,
        format!(
            "policy feed: envelope: signed with key id \"{other}\" but policy_public_key has key id \
             \"{ours}\" (wrong key, or the key was rotated without updating policy_public_key)"
        )
    );
}

#[test]
fn rollback_is_refused() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let message = refused_after_seed(
        &server,
        serving(signed(6, 1), "\"v6\""),
        &settings(&url, 1),
        &server.net(),
    );
    assert_eq!(
        message,
        "policy feed: refused policy version 6: older than the last good version 7 (rollback)"
    );
}

#[test]
fn the_same_version_with_other_content_is_refused() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let other = sign_policy(
        policy(7, r#", "enforcement": "report""#).as_bytes(),
        &key(1),
    )
    .unwrap();
    let message = refused_after_seed(
        &server,
        serving(other.into_bytes(), "\"x\""),
        &settings(&url, 1),
        &server.net(),
    );
    assert_eq!(
        message,
        "policy feed: refused policy version 7: same version as the last good policy but different \
         content; publish changes under a higher version"
    );
}

#[test]
fn an_expired_document_is_refused() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let expired = sign_policy(
        policy(8, r#", "expires": "2026-01-01T00:00:00Z""#).as_bytes(),
        &key(1),
    )
    .unwrap();
    let message = refused_after_seed(
        &server,
        serving(expired.into_bytes(), "\"x\""),
        &settings(&url, 1),
        &server.net(),
    );
    assert_eq!(
        message,
        "policy feed: refused policy version 8: it expired at 2026-01-01T00:00:00Z (now 2026-11-22T16:00:00Z)"
    );
}

#[test]
fn malformed_json_after_a_valid_signature_is_refused() {
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    // sign_policy refuses invalid policies, so seal the bytes directly, as a careless
    // signing tool would.
    let not_json = veto_net::envelope::seal(b"{\"version\": 8, ", &key(1));
    let message = refused_after_seed(
        &server,
        serving(not_json.into_bytes(), "\"x\""),
        &settings(&url, 1),
        &server.net(),
    );
    assert!(
        message.starts_with("policy feed: the signed payload is not a valid policy: policy: "),
        "{message}"
    );
    let bad_rule = veto_net::envelope::seal(
        br#"{"version": 8, "rules": [{"id": "a", "reason": "r"}]}"#,
        &key(1),
    );
    let message = refused_after_seed(
        &server,
        serving(bad_rule.into_bytes(), "\"x\""),
        &settings(&url, 1),
        &server.net(),
    );
    assert!(
        message.starts_with("policy feed: the signed payload is not a valid policy: policy: rules[0]: give exactly one of"),
        "{message}"
    );
    let not_envelope = b"<html>captive portal</html>".to_vec();
    let message = refused_after_seed(
        &server,
        serving(not_envelope, "\"x\""),
        &settings(&url, 1),
        &server.net(),
    );
    assert!(
        message.starts_with("policy feed: envelope: not a signed policy envelope"),
        "{message}"
    );
}

#[test]
fn a_missing_public_key_is_refused_before_fetching() {
    let server = TestServer::start(|_| Reply::status(500));
    let (dir, good, bytes) = seeded(&server);
    let before = server.requests().len();
    let mut s = settings(&server.url("/policy"), 1);
    s.policy_public_key = None;
    let err = sync_policy(&s, dir.path(), now(), &server.net())
        .result
        .unwrap_err();
    assert_eq!(
        err.message(),
        "policy feed: policy_url is set but policy_public_key is empty; Veto only accepts signed policies"
    );
    assert_eq!(server.requests().len(), before);
    assert_kept(dir.path(), &good, &bytes);
}

#[test]
fn no_feed_configured_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let report = sync_policy(
        &Settings::default(),
        dir.path(),
        now(),
        &Net::new(Tls::WebPki),
    );
    assert_eq!(report.result.unwrap(), Change::NotConfigured);
    assert_eq!(report.last_good, None);
    assert!(!dir.path().join(LAST_GOOD_FILE).exists());
}

#[test]
fn a_rotated_key_may_restart_the_numbering() {
    let server = TestServer::start(|_| Reply::status(500));
    let (dir, _, _) = seeded(&server);
    server.set_handler(serving(signed(1, 2), "\"k2\""));
    let report = sync_policy(
        &settings(&server.url("/policy"), 2),
        dir.path(),
        now(),
        &server.net(),
    );
    assert_eq!(
        report.result.unwrap(),
        Change::Updated {
            previous: Some(7),
            version: 1
        }
    );
    assert_eq!(
        server.requests().last().unwrap().header("If-None-Match"),
        None
    );
    // And the old key's version 7 cannot come back: it does not verify under the new key.
    server.set_handler(serving(signed(7, 1), "\"v7\""));
    let report = sync_policy(
        &settings(&server.url("/policy"), 2),
        dir.path(),
        now(),
        &server.net(),
    );
    assert!(report
        .result
        .unwrap_err()
        .message()
        .starts_with("policy feed: envelope: signed with key id"));
    assert_eq!(last_good(dir.path()).unwrap().unwrap().version, 1);
}

#[test]
fn a_corrupt_stored_policy_is_quarantined_and_reported() {
    let server = TestServer::start(|_| Reply::status(500));
    let (dir, _, bytes) = seeded(&server);
    let mut corrupt = bytes.clone();
    let at = corrupt.len() / 2;
    corrupt[at] ^= 0x20;
    std::fs::write(dir.path().join(LAST_GOOD_FILE), &corrupt).unwrap();
    let err = last_good(dir.path()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadState);
    assert!(
        err.message().starts_with(
            "policy feed: the stored last good policy was unreadable and was moved to "
        ),
        "{err}"
    );
    assert!(dir
        .path()
        .join(format!("{LAST_GOOD_FILE}.corrupt-1"))
        .exists());
    // The next sync fetches it anew.
    let report = sync_policy(
        &settings(&server.url("/policy"), 1),
        dir.path(),
        now(),
        &server.net(),
    );
    assert_eq!(
        report.result.unwrap(),
        Change::Updated {
            previous: None,
            version: 7
        }
    );
}

#[test]
fn the_last_sync_outcome_is_kept_for_reports() {
    use veto_net::feed::feed_status;
    let server = TestServer::start(|_| Reply::status(500));
    let url = server.url("/policy");
    let s = settings(&url, 1);
    let (dir, _, _) = seeded_then(&server, |_| Reply::status(500));
    let ok = feed_status(&s, dir.path()).unwrap();
    assert_eq!(ok.version, Some(7));
    assert_eq!(ok.error, None);
    assert_eq!(ok.checked_at, Some(now()));

    let later = Timestamp::from_millis(NOW + 60_000);
    let report = sync_policy(&s, dir.path(), later, &server.net());
    assert_eq!(report.feed_status(later), feed_status(&s, dir.path()));
    let failed = feed_status(&s, dir.path()).unwrap();
    assert_eq!(
        failed.version,
        Some(7),
        "the last good version stays in force"
    );
    assert_eq!(
        failed.error.as_deref(),
        Some(format!("policy feed: GET {url}: answered HTTP 500").as_str())
    );
    assert_eq!(failed.checked_at, Some(later));
    // The keyed state tells the EMM.
    let plan = veto_core::plan::Plan::from_json(
        r#"{"generated_at":"2026-11-22T16:00:00Z","policy":{"version":7,"mode":"denylist","expires":null},"compliant":true,"findings":[],"reversals":[],"actions":[],"warnings":[]}"#,
    )
    .unwrap();
    let states = veto_core::report::keyed_states(&plan, Some(&failed));
    let feed = states.iter().find(|s| s.key == "policy_feed").unwrap();
    assert_eq!(feed.severity, veto_core::report::Severity::Error);
    // Without a feed there is no feed status.
    assert_eq!(feed_status(&Settings::default(), dir.path()), None);
}
