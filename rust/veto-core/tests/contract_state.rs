//! The state file example in docs/contract.md ("State") is a state this build reads, with the
//! fields the page describes; a newer version and an unknown field are refused with a message
//! that names them. Keeps the documented format and the real one in step.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use veto_core::policy::Action;
use veto_core::state::{OutcomeResult, State};

fn contract() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/contract.md");
    std::fs::read_to_string(path).unwrap()
}

/// The first ```json block after the heading that starts with `heading`.
fn example_after(text: &str, heading: &str) -> String {
    let at = text
        .find(heading)
        .unwrap_or_else(|| panic!("no section {heading:?}"));
    let rest = &text[at..];
    let start = rest.find("```json\n").expect("a json block") + "```json\n".len();
    let end = rest[start..].find("```").expect("a closed block");
    rest[start..start + end].to_owned()
}

#[test]
fn the_state_example_in_the_contract_is_read_as_documented() {
    let json = example_after(&contract(), "## State (");
    let state = State::from_json(&json).unwrap();
    assert_eq!(state.version, 1);
    let tiktok = &state.packages["com.zhiliaoapp.musically"];
    assert_eq!(tiktok.applied[&Action::Suspend].result, OutcomeResult::Done);
    assert!(tiktok.pending[&Action::Hide].sole_admin);
    let clone = &state.packages["com.tok.lite.pro"];
    assert_eq!(clone.applied[&Action::Warn].result, OutcomeResult::Failed);
    assert_eq!(
        clone.applied[&Action::Warn].detail.as_deref(),
        Some("notifications are off")
    );
}

#[test]
fn a_newer_version_and_an_unknown_field_are_refused_by_name() {
    let json = example_after(&contract(), "## State (");
    let newer = json.replacen("\"version\": 1", "\"version\": 2", 1);
    let error = State::from_json(&newer).unwrap_err().to_string();
    assert!(error.contains("version") && error.contains('2'), "{error}");
    let unknown = json.replacen("\"last_seen\"", "\"lastSeen\"", 1);
    let error = State::from_json(&unknown).unwrap_err().to_string();
    assert!(error.contains("lastSeen"), "{error}");
}
