//! `pm list users` output from any Android version: parse or refuse naming the line; what
//! parses, printed back as `UserInfo{id:name:flags}`, parses to the same users; choosing
//! the work profile from this list alone never panics, picks a managed profile and says
//! the flag decided.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_cli::adb::{choose_work_profile, parse_users, ChosenBy, UserFacts};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_users(text) {
        Ok(users) => {
            let printed: String = users
                .iter()
                .map(|u| format!("\tUserInfo{{{}:{}:{:x}}} running\n", u.id, u.name, u.flags))
                .collect();
            let again = parse_users(&printed)
                .unwrap_or_else(|e| panic!("printed users do not parse: {e}\n{printed}"));
            assert_eq!(again, users, "{printed}");
            // With `pm list users` alone (no user types, no owners) only the flag can decide,
            // and the choice must say so.
            let facts = UserFacts {
                users: &users,
                types: None,
                owners: None,
            };
            match choose_work_profile(&facts) {
                Ok(work) => {
                    assert_eq!(work.chosen_by, ChosenBy::ManagedProfileFlag);
                    // Ids may repeat in garbage input: one user of that id carries the flag.
                    assert!(users
                        .iter()
                        .any(|u| u.id == work.id && u.has_managed_profile_flag()));
                }
                Err(e) => assert!(e.starts_with("adb: "), "{e}"),
            }
        }
        Err(e) => assert!(e.starts_with("pm list users: line "), "{e}"),
    }
});
