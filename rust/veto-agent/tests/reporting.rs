//! The kept plan and the report queue decision: a report is queued when compliance changed or
//! the heartbeat is due, never for every sweep. (Moved from veto-jni's `reporting.rs`.)

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use veto_agent::reporting::{keep_for_report, queue_kept_report, PENDING_REPORT_FILE};
use veto_core::report::HEARTBEAT_MS;
use veto_core::{Inventory, Outcomes, Plan, Settings, Timestamp};

fn plan() -> Plan {
    Plan::from_json(
        r#"{"generated_at": "2026-11-22T16:00:00Z",
            "policy": {"version": 7, "mode": "denylist", "expires": null},
            "compliant": false,
            "findings": [
              {"package": "a.suspend", "label": null, "rules": ["r"], "matches": [],
               "first_seen": "2026-11-01T09:00:00Z", "step": "suspend", "action": "suspend",
               "in_effect": ["warn"], "status": "due", "next": null,
               "deadline": "2026-12-13T09:00:00Z", "degraded": null},
              {"package": "b.uninstall", "label": null, "rules": ["r"], "matches": [],
               "first_seen": "2026-11-01T09:00:00Z", "step": "uninstall", "action": "uninstall",
               "in_effect": [], "status": "due", "next": null,
               "deadline": "2026-12-13T09:00:00Z", "degraded": null},
              {"package": "c.untouched", "label": null, "rules": ["r"], "matches": [],
               "first_seen": "2026-11-01T09:00:00Z", "step": "hide", "action": "hide",
               "in_effect": [], "status": "due", "next": null,
               "deadline": "2026-12-13T09:00:00Z", "degraded": null}],
            "reversals": [
              {"package": "d.undone", "action": "unsuspend", "why": "allowed now"},
              {"package": "e.kept", "action": "unhide", "why": "allowed now"}],
            "actions": [
              {"package": "a.suspend", "action": "suspend", "label": null, "reason": null, "deadline": null},
              {"package": "b.uninstall", "action": "uninstall", "label": null, "reason": null, "deadline": null},
              {"package": "c.untouched", "action": "hide", "label": null, "reason": null, "deadline": null},
              {"package": "d.undone", "action": "unsuspend", "label": null, "reason": null, "deadline": null},
              {"package": "e.kept", "action": "unhide", "label": null, "reason": null, "deadline": null}],
            "warnings": []}"#,
    )
    .unwrap()
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
