//! The `policy_json` key: a whole policy document inside the managed configuration. It must
//! behave exactly like the same document given as a policy, and errors must name the key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_core::{policy_from_config, ErrorKind, ManagedConfig, Policy};
use veto_fuzz::names_a_place;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut cfg = ManagedConfig::new();
    cfg.insert("policy_json".into(), serde_json::Value::String(text.into()));
    let direct = Policy::from_json(text.trim());
    match policy_from_config(&cfg) {
        Ok((policy, warnings)) => {
            assert!(warnings.is_empty(), "{warnings:?}");
            if text.trim().is_empty() {
                assert_eq!(policy, Policy::builtin());
            } else {
                assert_eq!(
                    Some(&policy),
                    direct.as_ref().ok(),
                    "policy_json read differently from the document"
                );
            }
            let reparsed = Policy::from_json(&policy.to_json()).expect("reads back");
            assert_eq!(reparsed, policy);
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::BadManagedConfig, "{e}");
            let direct = direct.expect_err("refused in policy_json, accepted as a document");
            let rest = e
                .message()
                .strip_prefix("managed configuration: policy_json: policy: ")
                .unwrap_or_else(|| panic!("does not name policy_json: {e}"));
            assert!(
                names_a_place(rest),
                "names no place inside policy_json: {e}"
            );
            assert!(direct.message().ends_with(rest), "{e} / {direct}");
        }
    }
});
