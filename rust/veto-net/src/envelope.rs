//! The signed-policy envelope: a detached Ed25519 signature over the exact policy bytes.
//!
//! ```json
//! {"format": "veto-signed-policy/1", "key_id": "<16 hex digits>",
//!  "payload": "<base64 of the policy JSON bytes>", "signature": "<base64 of 64 bytes>"}
//! ```
//! Signing the exact bytes avoids JSON canonicalisation. [`open`] checks the signature with
//! `verify_strict` before anyone looks inside the payload.

use crate::keys::{self, BASE64};
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use veto_core::error::{Error, ErrorKind, Result};

/// The value of the envelope's `format` field.
pub const FORMAT: &str = "veto-signed-policy/1";

/// The envelope as it travels.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    /// Always [`FORMAT`].
    pub format: String,
    /// Hex of the first 8 bytes of SHA-256 of the signing public key (a hint, not trusted).
    pub key_id: String,
    /// Base64 of the exact policy JSON bytes.
    pub payload: String,
    /// Base64 of the 64-byte Ed25519 signature over the payload bytes.
    pub signature: String,
}

/// Payload bytes whose signature has been checked, with the signature that covers them.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The exact bytes that were signed.
    pub payload: Vec<u8>,
    /// The signature, base64, as it came.
    pub signature: String,
    /// The key id of the key that verified it.
    pub key_id: String,
}

/// Wraps `payload` in an envelope signed with `key`. Returns the envelope as pretty JSON
/// with a trailing newline.
pub fn seal(payload: &[u8], key: &SigningKey) -> String {
    let signature = key.sign(payload);
    let envelope = Envelope {
        format: FORMAT.to_string(),
        key_id: keys::key_id(&key.verifying_key()),
        payload: BASE64.encode(payload),
        signature: BASE64.encode(signature.to_bytes()),
    };
    let mut text = serde_json::to_string_pretty(&envelope).unwrap_or_default();
    text.push('\n');
    text
}

/// Checks an envelope against `key` and returns the signed bytes. Nothing in the payload is
/// read before its signature verifies (strictly: no malleable signatures, no weak keys).
pub fn open(envelope: &[u8], key: &VerifyingKey) -> Result<Opened> {
    let feed_err = |m: String| Error::new(ErrorKind::Feed, format!("envelope: {m}"));
    let env: Envelope = serde_json::from_slice(envelope)
        .map_err(|e| feed_err(format!("not a signed policy envelope: {e}")))?;
    if env.format != FORMAT {
        return Err(feed_err(format!(
            "format is \"{}\", expected \"{FORMAT}\"",
            env.format.chars().take(60).collect::<String>()
        )));
    }
    let expected_id = keys::key_id(key);
    if !env.key_id.eq_ignore_ascii_case(&expected_id) {
        return Err(feed_err(format!(
            "signed with key id \"{}\" but policy_public_key has key id \"{expected_id}\" \
             (wrong key, or the key was rotated without updating policy_public_key)",
            env.key_id.chars().take(60).collect::<String>()
        )));
    }
    let payload = BASE64
        .decode(env.payload.trim())
        .map_err(|e| feed_err(format!("payload is not valid base64: {e}")))?;
    let sig_bytes = BASE64
        .decode(env.signature.trim())
        .map_err(|e| feed_err(format!("signature is not valid base64: {e}")))?;
    let sig_bytes: [u8; 64] = sig_bytes.as_slice().try_into().map_err(|_| {
        feed_err(format!(
            "signature must be 64 bytes, found {}",
            sig_bytes.len()
        ))
    })?;
    let signature = Signature::from_bytes(&sig_bytes);
    key.verify_strict(&payload, &signature).map_err(|_| {
        feed_err(format!(
            "signature does not verify with policy_public_key (key id {expected_id}); \
             the document was altered or signed with another key"
        ))
    })?;
    Ok(Opened {
        payload,
        signature: env.signature.trim().to_string(),
        key_id: expected_id,
    })
}

/// Checks a bare signature (base64) over `payload`; used to re-check the stored last good
/// policy for corruption.
pub(crate) fn verify_detached(payload: &[u8], signature_b64: &str, key: &VerifyingKey) -> bool {
    let Ok(bytes) = BASE64.decode(signature_b64) else {
        return false;
    };
    let Ok(bytes) = <[u8; 64]>::try_from(bytes.as_slice()) else {
        return false;
    };
    key.verify_strict(payload, &Signature::from_bytes(&bytes))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    #[test]
    fn sealed_envelopes_open_with_the_right_key() {
        let text = seal(b"{\"version\": 1}", &key(1));
        let opened = open(text.as_bytes(), &key(1).verifying_key()).unwrap();
        assert_eq!(opened.payload, b"{\"version\": 1}");
        assert_eq!(opened.key_id, keys::key_id(&key(1).verifying_key()));
    }

    #[test]
    fn the_wrong_key_is_named_by_key_id() {
        let text = seal(b"{}", &key(1));
        let err = open(text.as_bytes(), &key(2).verifying_key()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Feed);
        assert!(
            err.message().starts_with("envelope: signed with key id"),
            "{err}"
        );
        assert!(
            err.message()
                .contains(&keys::key_id(&key(2).verifying_key())),
            "{err}"
        );
    }

    #[test]
    fn a_forged_key_id_still_fails_the_signature() {
        let mut env: Envelope = serde_json::from_str(&seal(b"{}", &key(1))).unwrap();
        env.key_id = keys::key_id(&key(2).verifying_key());
        let text = serde_json::to_vec(&env).unwrap();
        let err = open(&text, &key(2).verifying_key()).unwrap_err();
        assert!(
            err.message()
                .starts_with("envelope: signature does not verify"),
            "{err}"
        );
    }

    #[test]
    fn altered_payloads_fail() {
        let mut env: Envelope = serde_json::from_str(&seal(b"{\"version\":1}", &key(1))).unwrap();
        env.payload = BASE64.encode(b"{\"version\":2}");
        let err = open(&serde_json::to_vec(&env).unwrap(), &key(1).verifying_key()).unwrap_err();
        assert!(err.message().contains("the document was altered"), "{err}");
    }

    #[test]
    fn malformed_envelopes_say_what_is_wrong() {
        let k = key(1).verifying_key();
        let err = open(b"<html>", &k).unwrap_err();
        assert!(
            err.message()
                .starts_with("envelope: not a signed policy envelope"),
            "{err}"
        );
        let err = open(
            br#"{"format":"x","key_id":"","payload":"","signature":""}"#,
            &k,
        )
        .unwrap_err();
        assert_eq!(
            err.message(),
            "envelope: format is \"x\", expected \"veto-signed-policy/1\""
        );
        let id = keys::key_id(&k);
        let bad_sig = format!(
            r#"{{"format":"{FORMAT}","key_id":"{id}","payload":"e30=","signature":"AAAA"}}"#
        );
        let err = open(bad_sig.as_bytes(), &k).unwrap_err();
        assert_eq!(
            err.message(),
            "envelope: signature must be 64 bytes, found 3"
        );
        let bad_payload = format!(
            r#"{{"format":"{FORMAT}","key_id":"{id}","payload":"%%%","signature":"AAAA"}}"#
        );
        let err = open(bad_payload.as_bytes(), &k).unwrap_err();
        assert!(
            err.message()
                .starts_with("envelope: payload is not valid base64"),
            "{err}"
        );
    }

    #[test]
    fn detached_check_matches_open() {
        let env: Envelope = serde_json::from_str(&seal(b"abc", &key(3))).unwrap();
        assert!(verify_detached(
            b"abc",
            &env.signature,
            &key(3).verifying_key()
        ));
        assert!(!verify_detached(
            b"abd",
            &env.signature,
            &key(3).verifying_key()
        ));
        assert!(!verify_detached(b"abc", "zz", &key(3).verifying_key()));
    }
}
