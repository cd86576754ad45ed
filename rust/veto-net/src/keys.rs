//! Ed25519 keys for the policy feed: encoding, key ids, generation and the secret key file.
//!
//! Keys are written as base64 (standard alphabet) of the 32 raw bytes; 64 hex digits are
//! accepted too, so an administrator can paste either form into `policy_public_key`.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use veto_core::error::{Error, ErrorKind, Result};

/// Standard base64 that writes padding and reads it with or without.
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Writes 32 raw key bytes the way Veto documents keys: standard base64.
pub fn encode_key(bytes: &[u8; 32]) -> String {
    BASE64.encode(bytes)
}

/// The key id that envelopes carry: hex of the first 8 bytes of SHA-256(public key).
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    hex(&digest[..8])
}

/// Parses a public key given as base64 or hex of its 32 bytes. `what` names where the
/// text came from (e.g. `policy_public_key`) and starts every error message.
pub fn parse_public_key(text: &str, what: &str) -> Result<VerifyingKey> {
    let bytes = decode_key_bytes(text, what)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| {
        Error::new(
            ErrorKind::Feed,
            format!("{what}: not a valid Ed25519 public key (the 32 bytes are not a curve point)"),
        )
    })
}

/// Parses a secret key (the 32-byte seed) given as base64 or hex.
pub fn parse_secret_key(text: &str, what: &str) -> Result<SigningKey> {
    Ok(SigningKey::from_bytes(&decode_key_bytes(text, what)?))
}

/// Reads a secret key file written by [`keygen`] (or any file holding base64/hex of a seed).
pub fn read_secret_key(path: &Path) -> Result<SigningKey> {
    let text = fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("{}: cannot read the secret key: {e}", path.display()),
        )
    })?;
    parse_secret_key(&text, &path.display().to_string())
}

fn decode_key_bytes(text: &str, what: &str) -> Result<[u8; 32]> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::new(
            ErrorKind::Feed,
            format!("{what}: the key is empty"),
        ));
    }
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        unhex(text).unwrap_or_default()
    } else {
        BASE64.decode(text).map_err(|e| {
            Error::new(
                ErrorKind::Feed,
                format!("{what}: expected base64 or 64 hex digits of a 32-byte Ed25519 key: {e}"),
            )
        })?
    };
    bytes.as_slice().try_into().map_err(|_| {
        Error::new(
            ErrorKind::Feed,
            format!(
                "{what}: an Ed25519 key is 32 bytes, this one decodes to {} bytes",
                bytes.len()
            ),
        )
    })
}

/// What [`keygen`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedKey {
    /// The public key (base64 of 32 bytes): the value for `policy_public_key`.
    pub public_key: String,
    /// Its key id, as envelopes carry it.
    pub key_id: String,
    /// Where the secret key was written (mode 0600).
    pub secret_key_path: PathBuf,
}

/// Generates an Ed25519 key pair and writes the secret key (base64 of the 32-byte seed and
/// a newline) to `secret_key_path` with permissions 0600. Refuses to overwrite an existing
/// file: losing a feed's signing key locks every device to its last policy.
///
/// CLI: `veto keygen --out feed.key` prints the public key for `policy_public_key`.
pub fn keygen(secret_key_path: &Path) -> Result<GeneratedKey> {
    let mut seed = [0u8; 32];
    crate::random::fill(&mut seed)?;
    let signing = SigningKey::from_bytes(&seed);
    let mut text = encode_key(&seed);
    text.push('\n');
    seed.fill(0);
    write_new_private_file(secret_key_path, text.as_bytes())?;
    let verifying = signing.verifying_key();
    Ok(GeneratedKey {
        public_key: encode_key(verifying.as_bytes()),
        key_id: key_id(&verifying),
        secret_key_path: secret_key_path.to_path_buf(),
    })
}

/// Writes `bytes` to a new file readable only by its owner, atomically and without ever
/// replacing an existing file: a temporary file (0600) is written and synced, then
/// hard-linked to its name (which fails if the name exists), then the directory is synced.
// A secret key needs mode 0600 from the first byte and must never replace an existing file;
// veto_store::write_atomic offers neither, so this one writer opens its file itself.
#[allow(clippy::disallowed_methods)]
fn write_new_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let io_err = |what: &str, e: std::io::Error| {
        Error::new(ErrorKind::Io, format!("{}: {what}: {e}", path.display()))
    };
    if path.exists() {
        return Err(Error::new(
            ErrorKind::Io,
            format!(
                "{}: already exists; refusing to overwrite a secret key",
                path.display()
            ),
        ));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| {
        Error::new(
            ErrorKind::Io,
            format!("{}: not a file name", path.display()),
        )
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp).map_err(|e| io_err("cannot create", e))?;
        file.write_all(bytes)
            .map_err(|e| io_err("cannot write", e))?;
        file.sync_all().map_err(|e| io_err("cannot sync", e))?;
        fs::hard_link(&tmp, path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::new(
                    ErrorKind::Io,
                    format!(
                        "{}: already exists; refusing to overwrite a secret key",
                        path.display()
                    ),
                )
            } else {
                io_err("cannot create", e)
            }
        })?;
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    let _ = fs::remove_file(&tmp);
    result
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some(digit(*hi)? << 4 | digit(*lo)?),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_parse_from_base64_with_or_without_padding_and_from_hex() {
        let signing = SigningKey::from_bytes(&[7u8; 32]);
        let public = signing.verifying_key();
        let b64 = encode_key(public.as_bytes());
        assert!(b64.ends_with('='), "{b64}");
        assert_eq!(parse_public_key(&b64, "k").unwrap(), public);
        assert_eq!(
            parse_public_key(b64.trim_end_matches('='), "k").unwrap(),
            public
        );
        let hexed = hex(public.as_bytes()).to_uppercase();
        assert_eq!(
            parse_public_key(&format!(" {hexed}\n"), "k").unwrap(),
            public
        );
    }

    #[test]
    fn bad_keys_name_the_setting_and_the_problem() {
        let err = parse_public_key("", "policy_public_key").unwrap_err();
        assert_eq!(err.message(), "policy_public_key: the key is empty");
        let err = parse_public_key("AAAA", "policy_public_key").unwrap_err();
        assert_eq!(
            err.message(),
            "policy_public_key: an Ed25519 key is 32 bytes, this one decodes to 3 bytes"
        );
        let err = parse_public_key("not base64!", "policy_public_key").unwrap_err();
        assert!(
            err.message().starts_with(
                "policy_public_key: expected base64 or 64 hex digits of a 32-byte Ed25519 key"
            ),
            "{err}"
        );
        assert_eq!(err.kind(), ErrorKind::Feed);
    }

    #[test]
    fn key_id_is_the_first_eight_bytes_of_the_sha256_in_hex() {
        let public = SigningKey::from_bytes(&[1u8; 32]).verifying_key();
        let id = key_id(&public);
        assert_eq!(id.len(), 16);
        assert_eq!(id, hex(&Sha256::digest(public.as_bytes())[..8]));
    }

    #[test]
    fn keygen_writes_a_private_file_once_and_the_key_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.key");
        let made = keygen(&path).unwrap();
        let secret = read_secret_key(&path).unwrap();
        assert_eq!(
            encode_key(secret.verifying_key().as_bytes()),
            made.public_key
        );
        assert_eq!(made.key_id, key_id(&secret.verifying_key()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let err = keygen(&path).unwrap_err();
        assert!(err
            .message()
            .ends_with("already exists; refusing to overwrite a secret key"));
        assert_eq!(
            read_secret_key(&path).unwrap().to_bytes(),
            secret.to_bytes()
        );
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
