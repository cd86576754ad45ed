//! The state file after anything (a power cut, a full disk, a bad flash block): parse or
//! refuse naming the place; what parses serialises back to the same state. Through the
//! store, a damaged `state.json` is moved aside and the backup used, never half-read: the
//! loaded state is the file's own or the backup's, whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_core::{ErrorKind, Outcomes, State, Timestamp};
use veto_fuzz::{assert_names_a_place, fresh_dir, names_in};
use veto_store::StateStore;

fuzz_target!(|data: &[u8]| {
    let parsed = std::str::from_utf8(data).map(State::from_json);
    if let Ok(parsed) = &parsed {
        match parsed {
            Ok(state) => {
                let json = state.to_json();
                let reparsed = State::from_json(&json)
                    .unwrap_or_else(|e| panic!("the serialised state does not parse: {e}\n{json}"));
                assert_eq!(&reparsed, state);
            }
            Err(e) => assert_names_a_place(e, ErrorKind::BadState, "state"),
        }
    }
    // The same bytes as state.json on disk, with a good backup beside it.
    let dir = fresh_dir();
    let store = StateStore::new(&dir);
    let mut backup = State::new();
    backup.record(
        &Outcomes::from_json(
            r#"{"outcomes":[{"package":"com.a","action":"suspend","result":"done"}]}"#,
        )
        .unwrap(),
        Timestamp::from_millis(1),
    );
    std::fs::write(dir.join("state.json.bak"), backup.to_json()).unwrap();
    std::fs::write(store.path(), data).unwrap();
    let (loaded, warnings) = store.load().expect("load never fails on content");
    match parsed {
        Ok(Ok(state)) => {
            assert_eq!(loaded, state);
            assert!(warnings.is_empty());
            assert_eq!(names_in(&dir), ["state.json", "state.json.bak"]);
        }
        _ => {
            assert_eq!(
                loaded, backup,
                "a damaged state.json must fall back to the backup, whole"
            );
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert_eq!(warnings[0].code, "state_quarantined");
            assert!(
                warnings[0].message.contains("state.json"),
                "{}",
                warnings[0].message
            );
            assert_eq!(
                names_in(&dir),
                ["state.json.bak", "state.json.corrupt-1"],
                "moved aside, not deleted"
            );
            assert_eq!(
                std::fs::read(dir.join("state.json.corrupt-1")).unwrap(),
                data
            );
        }
    }
});
