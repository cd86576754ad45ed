//! A signed envelope with any byte changed never verifies to anything but the exact bytes
//! that were signed. The input is a position, a byte, and a policy to seal: the target seals
//! it with the test key, checks that the sealed envelope opens to exactly those bytes, changes
//! one byte of the envelope and checks that whatever still opens (JSON whitespace, hex case of
//! the key id, base64 padding) yields the original payload and signature, never other bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_net::envelope::{open, seal, Envelope};

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let position = u16::from_le_bytes([data[0], data[1]]) as usize;
    let byte = data[2];
    let payload = &data[3..];
    let key = veto_fuzz::feed_secret_key();
    let public = key.verifying_key();
    let sealed = seal(payload, &key);
    let opened = open(sealed.as_bytes(), &public).expect("a sealed envelope opens");
    assert_eq!(opened.payload, payload);
    let original: Envelope = serde_json::from_str(&sealed).expect("sealed is JSON");

    let mut tampered = sealed.into_bytes();
    let at = position % tampered.len();
    if tampered[at] == byte {
        return;
    }
    tampered[at] = byte;
    if let Ok(still) = open(&tampered, &public) {
        assert_eq!(
            still.payload, payload,
            "a changed envelope verified to other bytes"
        );
        let sig = |s: &str| veto_fuzz::b64(s);
        assert_eq!(
            sig(&still.signature),
            sig(&original.signature),
            "a changed signature verified"
        );
    }
});
