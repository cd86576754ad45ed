//! The executor's outcomes (a JNI string input to `record`): parse or refuse naming the
//! place; what parses serialises back; recording them into a state keeps the state readable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_core::{ErrorKind, Outcomes, State, Timestamp};
use veto_fuzz::assert_names_a_place;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Outcomes::from_json(text) {
        Ok(outcomes) => {
            let again = serde_json::to_string(&outcomes).expect("serialises");
            assert_eq!(Outcomes::from_json(&again).expect("reads back"), outcomes);
            let mut state = State::new();
            state.record(&outcomes, Timestamp::from_millis(1_700_000_000_000));
            assert_eq!(
                State::from_json(&state.to_json()).expect("state reads back"),
                state
            );
        }
        Err(e) => assert_names_a_place(&e, ErrorKind::BadOutcomes, "outcomes"),
    }
});
