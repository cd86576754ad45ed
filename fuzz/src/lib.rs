//! What every fuzz target shares: the check that a rejected input's message names a place,
//! and a scratch directory for the targets that read files through veto-store.
//!
//! A target asserts more than "no panic" wherever it can: what parses serialises back to
//! something that parses to the same value, and what is refused says where the problem is.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use veto_core::{Error, ErrorKind};

/// Panics (a finding) unless `err` has `kind`, starts with `what: ` and then names a place:
/// a JSON path (`packages[3].package: `), a field in backquotes (`missing field `version``),
/// a line and column (syntax errors), or the document as a whole (empty, not an object).
pub fn assert_names_a_place(err: &Error, kind: ErrorKind, what: &str) {
    assert_eq!(err.kind(), kind, "{err}");
    let message = err.message();
    let rest = message
        .strip_prefix(what)
        .and_then(|r| r.strip_prefix(": "))
        .unwrap_or_else(|| panic!("message does not start with {what:?}: {message}"));
    assert!(
        names_a_place(rest),
        "message names no place (path, field, line and column): {message}"
    );
}

/// Whether the part of a message after the document's name says where the problem is.
pub fn names_a_place(rest: &str) -> bool {
    let document_level = [
        "the document is empty",
        "expected a JSON object ({ ... }) at the top level",
    ];
    document_level.iter().any(|d| rest.starts_with(d))
        || (rest.contains("(line ") && rest.contains(", column "))
        || rest.contains('`')
        || starts_with_path(rest)
        // The key itself, as written (any characters): `allo-: unknown key; did you mean …`.
        || rest.contains(": unknown key")
}

/// `version: `, `rules[0].id: `, `packages.com.a.first_seen: `: a field name, then a dot,
/// an index or the colon that ends the path.
fn starts_with_path(rest: &str) -> bool {
    let ident = rest
        .bytes()
        .take_while(|b| b.is_ascii_lowercase() || *b == b'_')
        .count();
    ident > 0 && matches!(rest.as_bytes().get(ident), Some(b'.' | b'[' | b':'))
}

/// A per-process scratch directory (in RAM where the machine has /dev/shm), emptied by
/// [`fresh_dir`] before each input.
pub fn scratch_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("veto-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    })
}

/// An empty directory for one input.
pub fn fresh_dir() -> PathBuf {
    let dir = scratch_root().join("run");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// The names in `dir`, sorted.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The fixed test key that signed the seed corpus's envelopes: secret seed 0x11 repeated.
/// A test key on purpose: the targets need a valid key, not a secret one.
pub fn feed_secret_key() -> ed25519_dalek::SigningKey {
    veto_net::keys::parse_secret_key(&"11".repeat(32), "fuzz key").expect("a valid seed")
}

/// The public key of [`feed_secret_key`], as `policy_public_key` takes it (base64).
pub fn feed_public_key() -> String {
    veto_net::keys::encode_key(&feed_secret_key().verifying_key().to_bytes())
}

/// Standard base64 decoded leniently (padding optional), as Veto reads signatures; `None`
/// for text that is not base64.
pub fn b64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::DecodePaddingMode;
    use base64::Engine;
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT.decode(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places() {
        assert!(names_a_place(
            "packages[0].package: expected a package name"
        ));
        assert!(names_a_place("version: invalid type"));
        assert!(names_a_place("missing field `version`"));
        assert!(names_a_place(
            "EOF while parsing a list (line 1, column 14)"
        ));
        assert!(!names_a_place("invalid type: string"));
        assert!(!names_a_place("something went wrong"));
    }
}
