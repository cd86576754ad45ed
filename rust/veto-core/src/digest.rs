//! SHA-256 digests of signing certificates, as people publish them.
//!
//! Published digests come as `90:41:80:…` or `904180…`, upper or lower case. Veto
//! normalises them to 32 bytes so that every spelling matches every other.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The SHA-256 digest of an encoded X.509 signing certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CertDigest([u8; 32]);

impl CertDigest {
    /// Parses 64 hex digits, with or without colons (or spaces) between bytes.
    pub fn parse(s: &str) -> Result<Self, String> {
        let hex: Vec<u8> = s
            .trim()
            .bytes()
            .filter(|b| *b != b':' && *b != b' ')
            .collect();
        if hex.len() != 64 || !hex.iter().all(u8::is_ascii_hexdigit) {
            return Err(format!(
                "expected a SHA-256 digest (64 hex digits, colons allowed), found {s:?}"
            ));
        }
        let mut out = [0u8; 32];
        for (i, pair) in hex.chunks(2).enumerate() {
            out[i] = (nibble(pair[0]) << 4) | nibble(pair[1]);
        }
        Ok(CertDigest(out))
    }

    /// The raw 32 bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Colon-separated upper-case hex, the form Android tools and Play Console print.
    pub fn to_colon_hex(&self) -> String {
        self.0
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

impl fmt::Display for CertDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl Serialize for CertDigest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for CertDigest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CertDigest::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIKTOK: &str = "90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA";

    #[test]
    fn every_spelling_is_the_same_digest() {
        let a = CertDigest::parse(TIKTOK).unwrap();
        let b = CertDigest::parse(&TIKTOK.replace(':', "").to_lowercase()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_colon_hex(), TIKTOK);
        assert!(a.to_string().starts_with("9041803e"));
    }

    #[test]
    fn wrong_length_or_letters_are_refused() {
        let err = CertDigest::parse("abc").unwrap_err();
        assert!(err.contains("64 hex digits"), "{err}");
        assert!(CertDigest::parse(&"g".repeat(64)).is_err());
    }
}
