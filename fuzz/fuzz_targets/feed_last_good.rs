//! The stored feed policy (`feed-last-good.json`) after anything: it is read back only if its
//! signature, digest and format check out; otherwise it is moved aside (never deleted, never
//! half-read) and the refusal is a `bad_state` error naming the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_core::ErrorKind;
use veto_fuzz::{fresh_dir, names_in};
use veto_net::feed::{last_good, LAST_GOOD_FILE};

fuzz_target!(|data: &[u8]| {
    let dir = fresh_dir();
    let path = dir.join(LAST_GOOD_FILE);
    std::fs::write(&path, data).unwrap();
    match last_good(&dir) {
        Ok(Some(good)) => {
            // The signature verified over exactly these policy bytes: they are a policy
            // (the feed stored only what parsed) unless the test key signed something else.
            assert_eq!(names_in(&dir), [LAST_GOOD_FILE]);
            assert!(!good.policy_json.is_empty());
            let _ = good.policy();
            // Reading again gives the same, and nothing moved.
            assert_eq!(last_good(&dir).unwrap(), Some(good));
        }
        Ok(None) => panic!("a file that exists was reported missing"),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::BadState, "{e}");
            assert!(e.message().contains(LAST_GOOD_FILE), "{e}");
            let moved = format!("{LAST_GOOD_FILE}.corrupt-1");
            assert_eq!(names_in(&dir), [moved.clone()], "moved aside, not deleted");
            assert_eq!(std::fs::read(dir.join(&moved)).unwrap(), data);
            // Once moved aside, the next read finds nothing (the next sync stores a policy).
            assert_eq!(last_good(&dir).unwrap(), None);
        }
    }
});
