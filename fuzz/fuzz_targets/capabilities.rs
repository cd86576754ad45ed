//! The capabilities JSON the shell sends with every evaluation (a JNI string input): parse
//! or refuse naming the place; what parses serialises back to the same value; `degrade`
//! never returns an action the device does not allow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_core::{Action, Capabilities, ErrorKind};
use veto_fuzz::assert_names_a_place;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Capabilities::from_json(text) {
        Ok(caps) => {
            let again = serde_json::to_string(&caps).expect("serialises");
            assert_eq!(Capabilities::from_json(&again).expect("reads back"), caps);
            for wanted in Action::LADDER {
                let (chosen, why) = caps.degrade(wanted);
                assert!(
                    chosen <= wanted && caps.allows(chosen),
                    "{wanted:?} -> {chosen:?}"
                );
                assert_eq!(why.is_some(), chosen != wanted);
            }
        }
        Err(e) => assert_names_a_place(&e, ErrorKind::BadCapabilities, "capabilities"),
    }
    // The CLI's short form is parsed from the same bytes: it may refuse, never panic.
    if let Err(e) = Capabilities::from_cli_list(text) {
        assert!(e.message().starts_with("capabilities: "), "{e}");
    }
});
