//! The managed configuration as the shell reads it from RestrictionsManager (flat keys typed
//! into an EMM console): parse, map into a policy and settings, or refuse naming the key.
//! The policy it gives serialises back to itself; flat keys never drop a rule of the base.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_core::config::KEYS;
use veto_core::{
    parse_managed_config, policy_from_config, settings_from_config, Error, ErrorKind, Policy,
};

fn assert_names_a_key(err: &Error) {
    assert_eq!(err.kind(), ErrorKind::BadManagedConfig, "{err}");
    let rest = err
        .message()
        .strip_prefix("managed configuration: ")
        .unwrap_or_else(|| {
            panic!("message does not start with \"managed configuration: \": {err}")
        });
    let names_key = KEYS
        .iter()
        .any(|k| rest.starts_with(&format!("{}: ", k.name)));
    let whole = rest.starts_with("expected a JSON object of key to value")
        || (rest.starts_with("not valid JSON: ")
            && rest.contains(" line ")
            && rest.contains(" column "));
    assert!(names_key || whole, "message names no key: {err}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let cfg = match parse_managed_config(text) {
        Ok(cfg) => cfg,
        Err(e) => return assert_names_a_key(&e),
    };
    if let Err(e) = settings_from_config(&cfg) {
        assert_names_a_key(&e);
    }
    match policy_from_config(&cfg) {
        Ok((policy, _warnings)) => {
            let json = policy.to_json();
            let reparsed = Policy::from_json(&json).unwrap_or_else(|e| {
                panic!("the configured policy does not read back: {e}\n{json}")
            });
            assert_eq!(reparsed, policy);
            // The flat keys add to the base (policy_json or the built-in policy), never remove.
            if let Some(doc) = cfg
                .get("policy_json")
                .and_then(|v| v.as_str())
                .filter(|s| !s.trim().is_empty())
            {
                let base = Policy::from_json(doc.trim()).expect("policy_json parsed once already");
                for rule in &base.rules {
                    assert!(
                        policy.rules.contains(rule),
                        "rule {:?} of policy_json was dropped",
                        rule.id
                    );
                }
                assert!(policy.allow.len() >= base.allow.len());
                assert!(policy.protected.len() >= base.protected.len());
            }
        }
        Err(e) => assert_names_a_key(&e),
    }
});
