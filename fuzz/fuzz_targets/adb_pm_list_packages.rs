//! `pm list packages -i -U` output from any Android version: parse or refuse naming the
//! line; what parses, printed back the way `pm` prints it, parses to the same list.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_cli::adb::parse_package_list;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_package_list(text) {
        Ok(listed) => {
            let printed: String = listed
                .iter()
                .map(|l| {
                    let mut line = format!("package:{}", l.package);
                    line.push_str(&format!(
                        " installer={}",
                        l.installer.as_deref().unwrap_or("null")
                    ));
                    if let Some(uid) = l.uid {
                        line.push_str(&format!(" uid:{uid}"));
                    }
                    line + "\n"
                })
                .collect();
            let again = parse_package_list(&printed)
                .unwrap_or_else(|e| panic!("printed list does not parse: {e}\n{printed}"));
            assert_eq!(again, listed, "{printed}");
        }
        Err(e) => assert!(e.starts_with("pm list packages: line "), "{e}"),
    }
});
