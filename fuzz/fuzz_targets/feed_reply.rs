//! Whatever the policy feed's server (or anyone on the path) answers: the reply body goes
//! through envelope parsing and the strict signature check before anything reads the
//! policy. Random bytes never verify; every refusal names the envelope's field or the feed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_core::{ErrorKind, Timestamp};
use veto_net::feed::verify_signed_policy;

fuzz_target!(|data: &[u8]| {
    let now = Timestamp::from_millis(1_790_000_000_000);
    match verify_signed_policy(data, &veto_fuzz::feed_public_key(), Some(now)) {
        Ok(verified) => {
            // Only possible for a document really signed by the key (the seed corpus holds
            // some): then the policy is whole and not expired.
            assert!(verified.policy.expires().is_none_or(|e| e > now));
            let again = veto_core::Policy::from_json(&verified.policy_json).expect("parsed once");
            assert_eq!(again, verified.policy);
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Feed, "{e}");
            let m = e.message();
            assert!(
                m.starts_with("policy feed: envelope: ")
                    || m.starts_with("policy feed: the signed payload ")
                    || m.starts_with("policy feed: refused policy version "),
                "{m}"
            );
        }
    }
});
