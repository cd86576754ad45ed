//! `pm list users` output from any Android version: parse or refuse naming the line; what
//! parses, printed back as `UserInfo{id:name:flags}`, parses to the same users; choosing
//! the work profile never panics and picks a managed profile.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_cli::adb::{parse_users, work_profile};

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
            match work_profile(&users) {
                Ok(work) => assert!(work.is_managed_profile()),
                Err(e) => assert!(e.starts_with("adb: "), "{e}"),
            }
        }
        Err(e) => assert!(e.starts_with("pm list users: line "), "{e}"),
    }
});
