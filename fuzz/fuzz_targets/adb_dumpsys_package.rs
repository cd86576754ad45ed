//! `dumpsys package <name>` output from any Android version and OEM: the block of the
//! package is found or reported absent, never a panic; what it finds comes from that block
//! (a package's block never lends its flags to another package).
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_cli::adb::parse_dumpsys;

const PACKAGES: [&str; 2] = ["com.zhiliaoapp.musically", "com.android.vending"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for package in PACKAGES {
        for user in [0, 10] {
            let found = parse_dumpsys(text, package, user);
            assert_eq!(
                found.is_some(),
                text.contains(&format!("Package [{package}]")),
                "{package}"
            );
            if let Some(d) = &found {
                if d.hidden || d.suspended {
                    assert!(text.contains(&format!("User {user}:")));
                }
                if d.system {
                    assert!(text.contains("SYSTEM"));
                }
                if let Some(name) = &d.version_name {
                    assert!(!name.contains('\n'));
                }
            }
        }
    }
});
