//! Test support (feature `test-hooks`): never compiled into release builds of libveto.so.

use std::path::Path;

use veto_core::{Result, Timestamp};
use veto_store::write_atomic;

/// Stores `policy_json` as the feed's last good policy in `state_dir`, signed with a fixed test
/// key, exactly as a successful sync from `https://feed.example/policy.json` would; returns the
/// public key to configure as `policy_public_key`.
pub fn store_feed_policy_for_test(
    state_dir: &Path,
    policy_json: &str,
    now: Timestamp,
) -> Result<String> {
    // A fixed seed: the tests need a valid key, not a secret one.
    let secret = veto_net::keys::parse_secret_key(&"56".repeat(32), "test key")?;
    let public_key = veto_net::keys::encode_key(&secret.verifying_key().to_bytes());
    let envelope = veto_net::feed::sign_policy(policy_json.as_bytes(), &secret)?;
    let verified = veto_net::feed::verify_signed_policy(envelope.as_bytes(), &public_key, None)?;
    let stored = serde_json::json!({
        "format": veto_net::feed::STORED_FORMAT,
        "url": "https://feed.example/policy.json",
        "etag": null,
        "fetched_at": now,
        "version": verified.policy.version,
        "sha256": verified.sha256,
        "key_id": verified.key_id,
        "public_key": public_key,
        "signature": verified.signature,
        "policy_json": verified.policy_json,
    });
    write_atomic(
        &state_dir.join(veto_net::feed::LAST_GOOD_FILE),
        stored.to_string().as_bytes(),
    )?;
    Ok(public_key)
}
