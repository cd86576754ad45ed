//! Reads an APK's signing certificate from its APK Signing Block, for the QR provisioning
//! checksum (`veto provision qr`).
//!
//! Layout (Android's "APK Signature Scheme v2/v3" pages, all integers little-endian): the
//! block sits right before the ZIP central directory and ends with its size (u64) and the
//! magic `APK Sig Block 42`; it holds (u64 length, u32 id, value) pairs. The v2 (0x7109871a)
//! and v3 (0xf05368c0) values are u32-length-prefixed: signers → first signer → signed data
//! → digests, certificates → first certificate (X.509 DER). v1 (JAR) signatures live in a
//! compressed PKCS#7 file under `META-INF/`; reading them needs inflate and ASN.1, so they are
//! named in the error instead.

/// The magic that ends an APK Signing Block.
const BLOCK_MAGIC: &[u8; 16] = b"APK Sig Block 42";
/// APK Signature Scheme v2 block id.
const V2_ID: u32 = 0x7109_871a;
/// APK Signature Scheme v3 block id.
const V3_ID: u32 = 0xf053_68c0;
/// ZIP end-of-central-directory signature.
const EOCD_SIG: u32 = 0x0605_4b50;
/// ZIP central-directory file header signature.
const CDFH_SIG: u32 = 0x0201_4b50;

/// The certificate an APK is signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningCert {
    /// The signature scheme it was read from: 3 when the APK has a v3 block (its current
    /// certificate, after any key rotation), else 2.
    pub scheme: u8,
    /// The X.509 certificate, DER.
    pub der: Vec<u8>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The end-of-central-directory record: its offset, and the central directory's offset
/// and size.
fn find_eocd(b: &[u8]) -> Option<(usize, usize, usize)> {
    if b.len() < 22 {
        return None;
    }
    // The record is 22 bytes plus a comment of at most 65535 bytes.
    let lowest = b.len().saturating_sub(22 + 0xffff);
    (lowest..=b.len() - 22).rev().find_map(|at| {
        let comment = u16_at(b, at + 20)? as usize;
        if u32_at(b, at)? != EOCD_SIG || at + 22 + comment != b.len() {
            return None;
        }
        let cd_size = u32_at(b, at + 12)? as usize;
        let cd_offset = u32_at(b, at + 16)? as usize;
        Some((at, cd_offset, cd_size))
    })
}

/// Names of the central directory's entries.
fn entry_names(b: &[u8], cd_offset: usize, cd_size: usize) -> Vec<String> {
    let mut names = Vec::new();
    let end = cd_offset.saturating_add(cd_size).min(b.len());
    let mut at = cd_offset;
    while at + 46 <= end && u32_at(b, at) == Some(CDFH_SIG) {
        let (Some(n), Some(x), Some(c)) =
            (u16_at(b, at + 28), u16_at(b, at + 30), u16_at(b, at + 32))
        else {
            break;
        };
        let Some(name) = b.get(at + 46..at + 46 + n as usize) else {
            break;
        };
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + n as usize + x as usize + c as usize;
    }
    names
}

/// A u32-length-prefixed slice at the front of `*rest`; advances `*rest` past it.
fn prefixed<'a>(rest: &mut &'a [u8], what: &str) -> Result<&'a [u8], String> {
    let len = u32_at(rest, 0).ok_or_else(|| format!("{what}: truncated length"))? as usize;
    let body = rest
        .get(4..4 + len)
        .ok_or_else(|| format!("{what}: length {len} runs past the end of its block"))?;
    *rest = &rest[4 + len..];
    Ok(body)
}

/// The first certificate of the first signer in a v2 or v3 block value.
fn first_certificate(value: &[u8], scheme: u8) -> Result<Vec<u8>, String> {
    let ctx = |what: &str| format!("APK Signature Scheme v{scheme} block: {what}");
    let mut rest = value;
    let mut signers = prefixed(&mut rest, &ctx("signers"))?;
    if signers.is_empty() {
        return Err(ctx("no signer"));
    }
    let mut signer = prefixed(&mut signers, &ctx("signer #1"))?;
    let mut signed_data = prefixed(&mut signer, &ctx("signer #1 signed data"))?;
    let _digests = prefixed(&mut signed_data, &ctx("signer #1 digests"))?;
    let mut certs = prefixed(&mut signed_data, &ctx("signer #1 certificates"))?;
    if certs.is_empty() {
        return Err(ctx("signer #1 has no certificate"));
    }
    let cert = prefixed(&mut certs, &ctx("signer #1 certificate #1"))?;
    // An X.509 certificate is a DER SEQUENCE.
    if cert.first() != Some(&0x30) {
        return Err(ctx("signer #1 certificate #1 is not DER (no SEQUENCE tag)"));
    }
    Ok(cert.to_vec())
}

/// Reads the signing certificate of the APK in `b`. Errors name the problem: not a ZIP,
/// no APK Signing Block (with v1-only signing named), a block without v2/v3, or where a
/// block is damaged.
pub fn signing_certificate(b: &[u8]) -> Result<SigningCert, String> {
    let (eocd, cd_offset, cd_size) = find_eocd(b)
        .ok_or("not an APK: no ZIP end-of-central-directory record (an APK is a ZIP archive)")?;
    if cd_offset == 0xffff_ffff || cd_offset.saturating_add(cd_size) > eocd {
        return Err(format!(
            "not a readable APK: the ZIP central directory (offset {cd_offset}, size {cd_size}) does not end before its end record at {eocd} (ZIP64 archives are not APKs)"
        ));
    }
    let names = entry_names(b, cd_offset, cd_size);
    let unsigned = || {
        let v1 = names.iter().find(|n| {
            let upper = n.to_ascii_uppercase();
            upper.starts_with("META-INF/")
                && [".RSA", ".DSA", ".EC"].iter().any(|s| upper.ends_with(s))
        });
        match v1 {
            Some(f) => format!("signed with v1 (JAR signing) only ({f}); the QR checksum is read from an APK Signature Scheme v2 or v3 signature: sign it with apksigner (v2 and v3 are on by default)"),
            None if names.iter().any(|n| n == "AndroidManifest.xml") => "not signed with APK Signature Scheme v2 or v3 (no APK Signing Block before the ZIP central directory): sign it with apksigner".to_string(),
            None => "not an APK: a ZIP archive without AndroidManifest.xml and without an APK Signing Block".to_string(),
        }
    };
    let footer = cd_offset.checked_sub(24).ok_or_else(unsigned)?;
    if b.get(footer + 8..footer + 24) != Some(&BLOCK_MAGIC[..]) {
        return Err(unsigned());
    }
    let size = u64_at(b, footer).ok_or_else(unsigned)?;
    let start = usize::try_from(size)
        .ok()
        .and_then(|s| cd_offset.checked_sub(s)?.checked_sub(8))
        .ok_or_else(|| {
            format!("APK Signing Block: its size {size} is larger than the data before the central directory")
        })?;
    if u64_at(b, start) != Some(size) {
        return Err(format!(
            "APK Signing Block: the size at its start ({:?}) differs from the size at its end ({size})",
            u64_at(b, start)
        ));
    }
    let mut pairs = &b[start + 8..footer];
    let (mut v2, mut v3) = (None, None);
    let mut n = 0;
    while !pairs.is_empty() {
        n += 1;
        let len = u64_at(pairs, 0)
            .ok_or_else(|| format!("APK Signing Block: pair #{n}: truncated length"))?;
        let len = usize::try_from(len)
            .ok()
            .filter(|l| *l >= 4 && 8 + l <= pairs.len())
            .ok_or_else(|| {
                format!("APK Signing Block: pair #{n}: length {len} does not fit the block")
            })?;
        let id = u32_at(pairs, 8).unwrap_or_default();
        let value = &pairs[12..8 + len];
        match id {
            V2_ID => v2 = Some(value),
            V3_ID => v3 = Some(value),
            _ => {}
        }
        pairs = &pairs[8 + len..];
    }
    match (v3, v2) {
        (Some(v), _) => Ok(SigningCert {
            scheme: 3,
            der: first_certificate(v, 3)?,
        }),
        (None, Some(v)) => Ok(SigningCert {
            scheme: 2,
            der: first_certificate(v, 2)?,
        }),
        (None, None) => Err("not signed with APK Signature Scheme v2 or v3: its APK Signing Block holds neither a v2 nor a v3 signature; sign it with apksigner".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored (uncompressed) ZIP with the given entries, and `block` spliced in front of
    /// the central directory, as apksigner places it.
    fn zip(entries: &[(&str, &[u8])], block: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in entries {
            let offset = out.len() as u32;
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&0u32.to_le_bytes()); // crc (unchecked here)
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(&CDFH_SIG.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&0u32.to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        out.extend_from_slice(block);
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    fn lp(parts: &[&[u8]]) -> Vec<u8> {
        let body: Vec<u8> = parts.concat();
        let mut v = (body.len() as u32).to_le_bytes().to_vec();
        v.extend(body);
        v
    }

    /// An APK Signing Block with one (id, value) pair per entry.
    fn block(pairs: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut body = Vec::new();
        for (id, value) in pairs {
            body.extend_from_slice(&((value.len() + 4) as u64).to_le_bytes());
            body.extend_from_slice(&id.to_le_bytes());
            body.extend_from_slice(value);
        }
        let size = (body.len() + 24) as u64;
        let mut out = size.to_le_bytes().to_vec();
        out.extend(body);
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(BLOCK_MAGIC);
        out
    }

    fn scheme_value(cert: &[u8]) -> Vec<u8> {
        let certs = lp(&[&lp(&[cert])]);
        let signed = lp(&[&lp(&[]), &certs, &lp(&[])]);
        let signer = lp(&[&signed, &lp(&[]), &lp(&[])]);
        lp(&[&signer])
    }

    const MANIFEST: (&str, &[u8]) = ("AndroidManifest.xml", b"\x03\x00\x08\x00");

    #[test]
    fn reads_v3_before_v2() {
        let apk = zip(
            &[MANIFEST],
            &block(&[
                (V2_ID, scheme_value(&[0x30, 2, 0xaa, 0xbb])),
                (V3_ID, scheme_value(&[0x30, 1, 0xcc])),
            ]),
        );
        let c = signing_certificate(&apk).unwrap();
        assert_eq!((c.scheme, c.der), (3, vec![0x30, 1, 0xcc]));
        let apk = zip(
            &[MANIFEST],
            &block(&[(V2_ID, scheme_value(&[0x30, 2, 0xaa, 0xbb]))]),
        );
        assert_eq!(signing_certificate(&apk).unwrap().scheme, 2);
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            signing_certificate(b"PK\x03\x04 definitely not a zip").unwrap_err(),
            "not an APK: no ZIP end-of-central-directory record (an APK is a ZIP archive)"
        );
        assert_eq!(
            signing_certificate(&zip(&[MANIFEST], &[])).unwrap_err(),
            "not signed with APK Signature Scheme v2 or v3 (no APK Signing Block before the ZIP central directory): sign it with apksigner"
        );
        assert_eq!(
            signing_certificate(&zip(&[MANIFEST, ("META-INF/CERT.RSA", b"x")], &[])).unwrap_err(),
            "signed with v1 (JAR signing) only (META-INF/CERT.RSA); the QR checksum is read from an APK Signature Scheme v2 or v3 signature: sign it with apksigner (v2 and v3 are on by default)"
        );
        assert_eq!(
            signing_certificate(&zip(&[("notes.txt", b"hi")], &[])).unwrap_err(),
            "not an APK: a ZIP archive without AndroidManifest.xml and without an APK Signing Block"
        );
        // A block with only another scheme's pair (e.g. verity padding).
        let apk = zip(&[MANIFEST], &block(&[(0x4272_6577, vec![0; 8])]));
        assert_eq!(
            signing_certificate(&apk).unwrap_err(),
            "not signed with APK Signature Scheme v2 or v3: its APK Signing Block holds neither a v2 nor a v3 signature; sign it with apksigner"
        );
        // A damaged v3 value.
        let mut bad = scheme_value(&[0x30, 1, 0xcc]);
        bad[0] = 0xff;
        let apk = zip(&[MANIFEST], &block(&[(V3_ID, bad)]));
        assert_eq!(
            signing_certificate(&apk).unwrap_err(),
            "APK Signature Scheme v3 block: signers: length 255 runs past the end of its block"
        );
        let apk = zip(&[MANIFEST], &block(&[(V3_ID, scheme_value(&[1, 2, 3]))]));
        assert_eq!(
            signing_certificate(&apk).unwrap_err(),
            "APK Signature Scheme v3 block: signer #1 certificate #1 is not DER (no SEQUENCE tag)"
        );
    }

    #[test]
    fn never_panics_on_truncated_or_garbled_input() {
        let apk = zip(
            &[MANIFEST],
            &block(&[(V3_ID, scheme_value(&[0x30, 1, 0xcc]))]),
        );
        for cut in 0..apk.len() {
            let _ = signing_certificate(&apk[..cut]);
            let _ = signing_certificate(&apk[cut..]);
        }
        for i in 0..apk.len() {
            let mut g = apk.clone();
            g[i] ^= 0xff;
            let _ = signing_certificate(&g);
        }
    }
}
