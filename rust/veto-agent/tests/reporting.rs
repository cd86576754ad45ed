//! The kept plan and the report queue decision: a report is queued when compliance changed or
//! the heartbeat is due, never for every sweep. (Moved from veto-jni's `reporting.rs`.)

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use veto_agent::reporting::{keep_for_report, queue_kept_report, PENDING_REPORT_FILE};
use veto_core::report::HEARTBEAT_MS;
use veto_core::{
    evaluate, Capabilities, CompiledPolicy, Inventory, Outcomes, Plan, Policy, Settings, State,
    Timestamp,
};

/// A non-compliant plan with two findings (TikTok and its Lite version, built-in catalog).
fn plan() -> Plan {
    let inventory = Inventory::from_json(
        r#"{"packages": [{"package": "com.zhiliaoapp.musically"},
                         {"package": "com.zhiliaoapp.musically.go"}]}"#,
    )
    .unwrap();
    evaluate(
        &inventory,
        &CompiledPolicy::new(Policy::builtin()),
        &State::new(),
        &Capabilities::from_cli_list("profile-owner").unwrap(),
        Timestamp::from_millis(1_700_000_000_000),
    )
}

fn queued_files(dir: &Path) -> usize {
    veto_net::queue::ReportQueue::new(dir)
        .entries()
        .unwrap()
        .len()
}

#[test]
fn unchanged_compliance_is_reported_again_only_after_the_heartbeat() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        report_url: Some("https://reports.example/veto".into()),
        ..Settings::default()
    };
    let inventory = Inventory::from_json(r#"{"packages": []}"#).unwrap();
    let none = Outcomes { outcomes: vec![] };
    let t0 = Timestamp::from_millis(1_700_000_000_000);
    let run = |plan: &Plan, at: Timestamp| {
        keep_for_report(plan, &inventory, Some(&settings), None, dir.path()).unwrap();
        let mut warnings = Vec::new();
        let queued = queue_kept_report(&none, dir.path(), at, &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(
            !dir.path().join(PENDING_REPORT_FILE).exists(),
            "the kept plan is always consumed"
        );
        queued.is_some()
    };
    let p = plan();
    assert!(run(&p, t0), "the first report is queued");
    assert!(
        !run(&p, t0.plus_millis(15 * 60_000)),
        "the same picture 15 minutes later is not"
    );
    assert_eq!(queued_files(dir.path()), 1);
    assert!(
        run(&p, t0.plus_millis(HEARTBEAT_MS)),
        "the heartbeat reports it again"
    );
    let mut changed = plan();
    changed.findings.pop();
    assert!(
        run(&changed, t0.plus_millis(HEARTBEAT_MS + 60_000)),
        "a change is reported at once"
    );
    assert_eq!(queued_files(dir.path()), 3);
}
