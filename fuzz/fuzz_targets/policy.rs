//! The policy document: parse, or refuse naming the place. What parses serialises back to
//! the same policy, compiles, lints and evaluates a small inventory without panicking, and
//! never plans an action on a protected package.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_core::{
    evaluate, Capabilities, CompiledPolicy, ErrorKind, Inventory, Policy, Role, State, Timestamp,
};
use veto_fuzz::assert_names_a_place;

const INVENTORY: &str = r#"{"packages":[
  {"package":"com.zhiliaoapp.musically","installer":"com.android.vending"},
  {"package":"com.android.vending","system":true},
  {"package":"com.example.app","installer":"com.android.packageinstaller",
   "signing_sha256":["90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA"]},
  {"package":"app.veto"},
  {"package":"nl.rijksoverheid.app","suspended":true}]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Policy::from_json(text) {
        Ok(policy) => {
            let json = policy.to_json();
            let reparsed = Policy::from_json(&json)
                .unwrap_or_else(|e| panic!("the serialised policy does not parse: {e}\n{json}"));
            assert_eq!(reparsed, policy);
            assert_eq!(reparsed.to_json(), json, "to_json is not stable");
            let inventory = Inventory::from_json(INVENTORY).expect("fixed inventory");
            let compiled = CompiledPolicy::new(policy);
            let caps = Capabilities::with_role(Role::DeviceOwner);
            let plan = evaluate(
                &inventory,
                &compiled,
                &State::new(),
                &caps,
                Timestamp::from_millis(0),
            );
            for a in &plan.actions {
                assert!(
                    !matches!(a.package.as_str(), "app.veto" | "com.android.vending"),
                    "planned {:?} on protected {}",
                    a.action,
                    a.package
                );
            }
        }
        Err(e) => assert_names_a_place(&e, ErrorKind::BadPolicy, "policy"),
    }
});
