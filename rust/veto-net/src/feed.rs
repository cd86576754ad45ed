//! The signed policy feed: fetch, verify, refuse rollbacks and expired documents, and keep
//! the last good policy.
//!
//! Order of checks on a fetched document: HTTPS transport (no redirects, timeouts, 1 MiB
//! cap) → envelope and strict Ed25519 signature against `policy_public_key` → only then
//! parse the payload as a policy → refuse if expired → refuse rollback → store atomically.
//! Any failure leaves the stored last good policy untouched and is returned as an error;
//! Veto never falls back to "no policy".

use crate::envelope;
use crate::http::{self, Fetched, Net};
use crate::keys;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use veto_core::config::Settings;
use veto_core::error::{Error, ErrorKind, Result};
use veto_core::policy::Policy;
use veto_core::report::FeedStatus;
use veto_core::time::Timestamp;
use veto_store::Loaded;

/// The file in the state directory that holds the last good policy and its ETag.
pub const LAST_GOOD_FILE: &str = "feed-last-good.json";
/// The file in the state directory that holds the outcome of the last sync.
pub const STATUS_FILE: &str = "feed-status.json";
/// The value of the stored file's `format` field.
pub const STORED_FORMAT: &str = "veto-feed-state/1";

/// The last policy that passed every check, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastGood {
    /// The URL it came from.
    pub url: String,
    /// The server's ETag for it, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// When it was fetched (or last confirmed unchanged).
    pub fetched_at: Timestamp,
    /// Its `version`.
    pub version: u64,
    /// Hex SHA-256 of the policy bytes.
    pub sha256: String,
    /// Key id of the key that signed it.
    pub key_id: String,
    /// The exact signed policy JSON.
    pub policy_json: String,
}

impl LastGood {
    /// The policy itself.
    pub fn policy(&self) -> Result<Policy> {
        Policy::from_json(&self.policy_json)
    }
}

/// What a successful sync changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `policy_url` is not set: nothing to do.
    NotConfigured,
    /// A newer policy was verified and stored.
    Updated {
        /// The version it replaced, if any.
        previous: Option<u64>,
        /// The new version.
        version: u64,
    },
    /// The server answered 304 Not Modified to our ETag.
    NotModified {
        /// The version kept.
        version: u64,
    },
    /// The server sent the same bytes we already have.
    Unchanged {
        /// The version kept.
        version: u64,
    },
}

/// The result of [`sync_policy`]: the policy to use, and what happened.
#[derive(Debug, Clone)]
pub struct SyncReport {
    /// The policy to enforce from the feed: the new one after an update, otherwise the
    /// previous last good one (also after any error). `None` only when no document has
    /// ever passed the checks.
    pub last_good: Option<LastGood>,
    /// What happened, or why the fetched document was refused.
    pub result: Result<Change>,
    /// The stored last good file was corrupt and was moved aside (with why).
    pub quarantined: Option<Error>,
}

impl SyncReport {
    /// The feed's state for reports and keyed states; `None` when no feed is configured.
    pub fn feed_status(&self, now: Timestamp) -> Option<FeedStatus> {
        if matches!(self.result, Ok(Change::NotConfigured)) {
            return None;
        }
        Some(FeedStatus {
            version: self.last_good.as_ref().map(|l| l.version),
            error: self.result.as_ref().err().map(|e| e.message().to_string()),
            checked_at: Some(now),
        })
    }

    /// A JSON summary for the shell: `{"status": "updated" | "not_modified" | "unchanged" |
    /// "not_configured" | "error", "version", "previous", "error": {"kind", "message"},
    /// "quarantined"}`; `version` is the version in force.
    pub fn to_json(&self) -> String {
        let (status, previous) = match &self.result {
            Ok(Change::NotConfigured) => ("not_configured", None),
            Ok(Change::Updated { previous, .. }) => ("updated", *previous),
            Ok(Change::NotModified { .. }) => ("not_modified", None),
            Ok(Change::Unchanged { .. }) => ("unchanged", None),
            Err(_) => ("error", None),
        };
        let error = self
            .result
            .as_ref()
            .err()
            .map(|e| serde_json::json!({"kind": e.kind().code(), "message": e.message()}));
        serde_json::json!({
            "status": status,
            "version": self.last_good.as_ref().map(|l| l.version),
            "previous": previous,
            "error": error,
            "quarantined": self.quarantined.as_ref().map(|e| e.message()),
        })
        .to_string()
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    format: String,
    url: String,
    etag: Option<String>,
    fetched_at: Timestamp,
    version: u64,
    sha256: String,
    key_id: String,
    /// The key that verified it: lets a load re-check the signature (corruption) without
    /// depending on the key configured now (which may have been rotated).
    public_key: String,
    signature: String,
    policy_json: String,
}

fn feed_error(message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Feed, format!("policy feed: {message}"))
}

fn state_path(state_dir: &Path) -> PathBuf {
    state_dir.join(LAST_GOOD_FILE)
}

fn sha256_hex(bytes: &[u8]) -> String {
    keys::hex(&Sha256::digest(bytes))
}

fn parse_stored(text: &str) -> Result<StoredGood> {
    let bad = |why: String| Error::new(ErrorKind::BadState, format!("{LAST_GOOD_FILE}: {why}"));
    let stored: Stored = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    if stored.format != STORED_FORMAT {
        return Err(bad(format!(
            "format is {:?}, expected {STORED_FORMAT:?}",
            stored.format
        )));
    }
    let key =
        keys::parse_public_key(&stored.public_key, "public_key").map_err(|e| bad(e.to_string()))?;
    if !envelope::verify_detached(stored.policy_json.as_bytes(), &stored.signature, &key) {
        return Err(bad(
            "the stored signature does not verify (file corrupt)".to_string()
        ));
    }
    if sha256_hex(stored.policy_json.as_bytes()) != stored.sha256 {
        return Err(bad(
            "sha256 does not match the stored policy (file corrupt)".to_string(),
        ));
    }
    let last = LastGood {
        url: stored.url,
        etag: stored.etag,
        fetched_at: stored.fetched_at,
        version: stored.version,
        sha256: stored.sha256,
        key_id: stored.key_id,
        policy_json: stored.policy_json,
    };
    Ok((last, stored.public_key))
}

/// The stored last good policy and the public key (base64) that verified it.
type StoredGood = (LastGood, String);

/// What is stored, and the problem if the file had to be moved aside.
fn load(state_dir: &Path) -> Result<(Option<StoredGood>, Option<Error>)> {
    match veto_store::load_or_quarantine(&state_path(state_dir), parse_stored)? {
        Loaded::Missing => Ok((None, None)),
        Loaded::Found(found) => Ok((Some(found), None)),
        Loaded::Quarantined { moved_to, problem } => Ok((
            None,
            Some(Error::new(
                ErrorKind::BadState,
                format!(
                    "policy feed: the stored last good policy was unreadable and was moved to {}: {}",
                    moved_to.display(),
                    problem.message()
                ),
            )),
        )),
    }
}

/// The last good policy from the feed, without touching the network: what `evaluate`
/// should enforce. A corrupt file is moved aside once and reported as an error
/// (kind `bad_state`); later calls return `Ok(None)` until the next sync stores a policy.
pub fn last_good(state_dir: &Path) -> Result<Option<LastGood>> {
    match load(state_dir)? {
        (_, Some(problem)) => Err(problem),
        (found, None) => Ok(found.map(|(last, _)| last)),
    }
}

fn store(state_dir: &Path, last: &LastGood, public_key: &str, signature: &str) -> Result<()> {
    let stored = Stored {
        format: STORED_FORMAT.to_string(),
        url: last.url.clone(),
        etag: last.etag.clone(),
        fetched_at: last.fetched_at,
        version: last.version,
        sha256: last.sha256.clone(),
        key_id: last.key_id.clone(),
        public_key: public_key.to_string(),
        signature: signature.to_string(),
        policy_json: last.policy_json.clone(),
    };
    let text = serde_json::to_string_pretty(&stored).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("cannot serialise feed state: {e}"),
        )
    })?;
    veto_store::write_atomic(&state_path(state_dir), text.as_bytes())
}

/// A policy whose envelope verified, parsed after verification.
#[derive(Debug, Clone)]
pub struct VerifiedPolicy {
    /// The policy.
    pub policy: Policy,
    /// The exact signed JSON.
    pub policy_json: String,
    /// Key id of the verifying key.
    pub key_id: String,
    /// Signature (base64) over `policy_json`.
    pub signature: String,
    /// Hex SHA-256 of `policy_json`.
    pub sha256: String,
}

impl VerifiedPolicy {
    /// One line for people: version, mode, rule count, expiry, key id, digest.
    pub fn summary(&self) -> String {
        let p = &self.policy;
        let mode = match p.mode {
            veto_core::policy::Mode::Denylist => "denylist",
            veto_core::policy::Mode::Allowlist => "allowlist",
        };
        let expires = p
            .expires()
            .map(|t| format!("expires {t}"))
            .unwrap_or_else(|| "no expiry".to_string());
        format!(
            "policy version {} ({mode}, {} rules, {expires}), signed by key id {}, sha256 {}",
            p.version,
            p.rules.len(),
            self.key_id,
            self.sha256
        )
    }
}

/// Verifies an envelope with `public_key` (base64 or hex) and only then parses the payload
/// as a policy. With `now`, an expired policy is refused as the device would refuse it.
///
/// CLI: `veto policy verify --key <public key> signed.json` prints [`VerifiedPolicy::summary`].
pub fn verify_signed_policy(
    envelope_bytes: &[u8],
    public_key: &str,
    now: Option<Timestamp>,
) -> Result<VerifiedPolicy> {
    let key = keys::parse_public_key(public_key, "policy_public_key").map_err(feed_error)?;
    let opened = envelope::open(envelope_bytes, &key).map_err(feed_error)?;
    let policy_json = String::from_utf8(opened.payload)
        .map_err(|_| feed_error("the signed payload is not UTF-8 text"))?;
    let policy = Policy::from_json(&policy_json)
        .map_err(|e| feed_error(format!("the signed payload is not a valid policy: {e}")))?;
    if let (Some(now), Some(expires)) = (now, policy.expires()) {
        if expires <= now {
            return Err(feed_error(format!(
                "refused policy version {}: it expired at {expires} (now {now})",
                policy.version
            )));
        }
    }
    Ok(VerifiedPolicy {
        sha256: sha256_hex(policy_json.as_bytes()),
        policy,
        policy_json,
        key_id: opened.key_id,
        signature: opened.signature,
    })
}

/// Checks that `policy_json` is a valid policy and wraps it in a signed envelope. The
/// exact bytes are signed, so what the administrator reviewed is what devices enforce.
///
/// CLI: `veto policy sign --key feed.key policy.json > signed.json`.
pub fn sign_policy(policy_json: &[u8], secret_key: &SigningKey) -> Result<String> {
    let text = std::str::from_utf8(policy_json)
        .map_err(|_| Error::new(ErrorKind::BadPolicy, "policy: the file is not UTF-8 text"))?;
    Policy::from_json(text)?;
    Ok(envelope::seal(policy_json, secret_key))
}

/// How a verified document relates to the last good one signed by the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Succession {
    /// A higher version: accept it.
    Newer,
    /// The same version and the same bytes: nothing changes.
    Same,
}

/// The rollback rule, shared by devices ([`sync_policy`]) and the fleet server's
/// `PUT /v1/feed`: against the last good document of the same key, a lower `version` is
/// refused, and so is the same `version` with different bytes.
pub fn check_succession(
    last_version: u64,
    last_sha256: &str,
    verified: &VerifiedPolicy,
) -> Result<Succession> {
    let version = verified.policy.version;
    if version < last_version {
        return Err(feed_error(format!(
            "refused policy version {version}: older than the last good version {last_version} (rollback)"
        )));
    }
    if version == last_version {
        if verified.sha256 != last_sha256 {
            return Err(feed_error(format!(
                "refused policy version {version}: same version as the last good policy \
                 but different content; publish changes under a higher version"
            )));
        }
        return Ok(Succession::Same);
    }
    Ok(Succession::Newer)
}

/// The feed settings, checked: `None` when `policy_url` is not set.
fn source(settings: &Settings) -> Result<Option<(String, String)>> {
    let url = match settings.policy_url.as_deref().map(str::trim) {
        None | Some("") => return Ok(None),
        Some(url) => url,
    };
    http::require_https(url, "policy_url").map_err(feed_error)?;
    let key = match settings.policy_public_key.as_deref().map(str::trim) {
        None | Some("") => return Err(feed_error(
            "policy_url is set but policy_public_key is empty; Veto only accepts signed policies",
        )),
        Some(key) => key,
    };
    Ok(Some((url.to_string(), key.to_string())))
}

/// Fetches the feed once and returns the policy to enforce and what happened.
///
/// `now` is used for expiry and stored as the fetch time; `net` carries the TLS trust and
/// timeouts. Never panics; every failure keeps the last good policy (see
/// [`SyncReport::last_good`]).
pub fn sync_policy(settings: &Settings, state_dir: &Path, now: Timestamp, net: &Net) -> SyncReport {
    let (previous, quarantined) = match load(state_dir) {
        Ok(loaded) => loaded,
        Err(e) => {
            return SyncReport {
                last_good: None,
                result: Err(e),
                quarantined: None,
            }
        }
    };
    let result = sync_with(settings, state_dir, now, net, previous.as_ref());
    let last_good = match &result {
        Ok((_, Some(updated))) => Some(updated.clone()),
        _ => previous.map(|(last, _)| last),
    };
    let mut report = SyncReport {
        last_good,
        result: result.map(|(change, _)| change),
        quarantined,
    };
    if let Some(status) = report.feed_status(now) {
        // Reports and keyed states made later (at evaluation) read this.
        let text = serde_json::to_string(&status).unwrap_or_default();
        if let Err(e) = veto_store::write_atomic(&state_dir.join(STATUS_FILE), text.as_bytes()) {
            if report.result.is_ok() {
                report.result = Err(e);
            }
        }
    }
    report
}

/// The feed's state as of the last sync, for reports and keyed states: `None` when no
/// feed is configured. Before the first sync (or if the status file is unreadable) it
/// reports the stored last good version and no error.
pub fn feed_status(settings: &Settings, state_dir: &Path) -> Option<FeedStatus> {
    settings
        .policy_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())?;
    let stored = std::fs::read_to_string(state_dir.join(STATUS_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<FeedStatus>(&text).ok());
    Some(stored.unwrap_or_else(|| FeedStatus {
        version: last_good(state_dir).ok().flatten().map(|l| l.version),
        error: None,
        checked_at: None,
    }))
}

fn sync_with(
    settings: &Settings,
    state_dir: &Path,
    now: Timestamp,
    net: &Net,
    previous: Option<&StoredGood>,
) -> Result<(Change, Option<LastGood>)> {
    let Some((url, key_text)) = source(settings)? else {
        return Ok((Change::NotConfigured, None));
    };
    let key = keys::parse_public_key(&key_text, "policy_public_key").map_err(feed_error)?;
    let key_b64 = keys::encode_key(key.as_bytes());
    // Rollback protection applies to documents signed by the same key: a rotated key
    // cannot verify old documents anyway, and its feed may restart its numbering.
    let same_key = previous
        .filter(|(_, stored_key)| *stored_key == key_b64)
        .map(|(l, _)| l);
    let etag = previous
        .map(|(l, _)| l)
        .filter(|l| l.url == url && same_key.is_some())
        .and_then(|l| l.etag.as_deref());
    let (bytes, new_etag) = match http::get(net, &url, etag).map_err(feed_error)? {
        Fetched::NotModified => {
            return match previous {
                Some((last, _)) if etag.is_some() => Ok((
                    Change::NotModified {
                        version: last.version,
                    },
                    None,
                )),
                _ => Err(feed_error(format!(
                    "GET {url}: answered 304 Not Modified, but Veto sent no ETag"
                ))),
            };
        }
        Fetched::Body { bytes, etag } => (bytes, etag),
    };
    let verified = verify_signed_policy(&bytes, &key_b64, Some(now))?;
    let version = verified.policy.version;
    if let Some(last) = same_key {
        if check_succession(last.version, &last.sha256, &verified)? == Succession::Same {
            if new_etag != last.etag || url != last.url {
                let refreshed = LastGood {
                    url,
                    etag: new_etag,
                    fetched_at: now,
                    ..last.clone()
                };
                store(state_dir, &refreshed, &key_b64, &verified.signature)?;
                return Ok((Change::Unchanged { version }, Some(refreshed)));
            }
            return Ok((Change::Unchanged { version }, None));
        }
    }
    let updated = LastGood {
        url,
        etag: new_etag,
        fetched_at: now,
        version,
        sha256: verified.sha256,
        key_id: verified.key_id,
        policy_json: verified.policy_json,
    };
    store(state_dir, &updated, &key_b64, &verified.signature)?;
    Ok((
        Change::Updated {
            previous: previous.map(|(l, _)| l.version),
            version,
        },
        Some(updated),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{"version": 3, "rules": [{"id": "tiktok", "package": "com.zhiliaoapp.musically", "reason": "Barred"}], "expires": "2027-06-01T00:00:00Z"}"#;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[9u8; 32])
    }

    fn public() -> String {
        keys::encode_key(key().verifying_key().as_bytes())
    }

    #[test]
    fn sign_then_verify_gives_the_exact_bytes_and_a_summary() {
        let envelope = sign_policy(POLICY.as_bytes(), &key()).unwrap();
        let verified = verify_signed_policy(envelope.as_bytes(), &public(), None).unwrap();
        assert_eq!(verified.policy_json, POLICY);
        assert_eq!(verified.policy.version, 3);
        assert_eq!(
            verified.summary(),
            format!(
                "policy version 3 (denylist, 1 rules, expires 2027-06-01T00:00:00Z), signed by key id {}, sha256 {}",
                keys::key_id(&key().verifying_key()),
                sha256_hex(POLICY.as_bytes())
            )
        );
        // The public key may be given in hex too.
        let hex_key = keys::hex(key().verifying_key().as_bytes());
        assert!(verify_signed_policy(envelope.as_bytes(), &hex_key, None).is_ok());
    }

    #[test]
    fn sign_refuses_an_invalid_policy() {
        let err = sign_policy(br#"{"rules": []}"#, &key()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadPolicy);
        assert_eq!(err.message(), "policy: missing field `version`");
        let err = sign_policy(&[0xff, 0xfe], &key()).unwrap_err();
        assert_eq!(err.message(), "policy: the file is not UTF-8 text");
    }

    #[test]
    fn verify_checks_expiry_only_when_given_a_time() {
        let envelope = sign_policy(POLICY.as_bytes(), &key()).unwrap();
        let later = Timestamp::parse_rfc3339("2027-06-01T00:00:00Z").unwrap();
        let err = verify_signed_policy(envelope.as_bytes(), &public(), Some(later)).unwrap_err();
        assert_eq!(
            err.message(),
            "policy feed: refused policy version 3: it expired at 2027-06-01T00:00:00Z (now 2027-06-01T00:00:00Z)"
        );
        assert!(verify_signed_policy(envelope.as_bytes(), &public(), None).is_ok());
    }

    #[test]
    fn verify_names_a_bad_public_key() {
        let envelope = sign_policy(POLICY.as_bytes(), &key()).unwrap();
        let err = verify_signed_policy(envelope.as_bytes(), "abc", None).unwrap_err();
        assert_eq!(
            err.message(),
            "policy feed: policy_public_key: an Ed25519 key is 32 bytes, this one decodes to 2 bytes"
        );
    }

    #[test]
    fn non_utf8_payloads_are_refused_after_verification() {
        let envelope = envelope::seal(&[0xff, 0x00], &key());
        let err = verify_signed_policy(envelope.as_bytes(), &public(), None).unwrap_err();
        assert_eq!(
            err.message(),
            "policy feed: the signed payload is not UTF-8 text"
        );
    }
}
