//! The compliance report of one run: `evaluate` keeps its plan, `record` queues the report once
//! the executor's outcomes are known, so that the report says what really happened.
//!
//! The kept plan lives in `<state_dir>/report-pending.json` (written atomically) only while
//! `report_url` is set; the whole inventory is kept with it only when `report_inventory` is
//! enabled, because only then does it go into the report. `veto_net::reporting` builds, queues
//! and later sends the report.

use std::path::Path;

use serde::{Deserialize, Serialize};
use veto_core::report::FeedStatus;
use veto_core::{
    Action, Error, ErrorKind, Inventory, OutcomeResult, Outcomes, Plan, Result, Settings, Status,
    Timestamp, Warning,
};
use veto_net::reporting::Queued;
use veto_store::{load_or_quarantine, remove_if_present, write_atomic, Loaded};

/// The plan kept between `evaluate` and `record` for the report.
pub const PENDING_REPORT_FILE: &str = "report-pending.json";

/// The value of the kept file's `format` field.
pub const PENDING_FORMAT: &str = "veto-pending-report/1";

/// Warning code of a `record` whose report could not be queued (the outcomes are recorded).
pub const REPORT_NOT_QUEUED: &str = "report_not_queued";

/// What the last queued report said, to skip reports that would say nothing new.
pub const LAST_REPORTED_FILE: &str = "report-last.json";

/// A device whose compliance does not change still reports this often, so the
/// organisation can tell a quiet device from a dead one. Sweeps run every 15 minutes or
/// more often; queueing each would flood the bounded queue with identical reports.
pub const HEARTBEAT_MS: i64 = 6 * 3_600_000;

/// The part of a plan a report's reader cares about: if it is unchanged, a new report
/// says nothing new.
fn compliance_summary(plan: &Plan) -> serde_json::Value {
    let findings: Vec<serde_json::Value> = plan
        .findings
        .iter()
        .map(|f| serde_json::json!([f.package, f.rules, f.step, f.status, f.in_effect]))
        .collect();
    let reversals: Vec<(&str, Action)> = plan
        .reversals
        .iter()
        .map(|r| (r.package.as_str(), r.action))
        .collect();
    let mut warnings: Vec<&str> = plan.warnings.iter().map(|w| w.code.as_str()).collect();
    warnings.sort_unstable();
    warnings.dedup();
    serde_json::json!({
        "policy": plan.policy.version,
        "compliant": plan.compliant,
        "findings": findings,
        "reversals": reversals,
        "warnings": warnings,
    })
}

#[derive(Debug, Serialize, Deserialize)]
struct LastReported {
    summary: serde_json::Value,
    at: Timestamp,
}

/// Whether a report of `summary` is worth queueing after `last`.
fn worth_reporting(
    last: Option<&LastReported>,
    summary: &serde_json::Value,
    now: Timestamp,
) -> bool {
    match last {
        Some(last) => last.summary != *summary || now.millis() - last.at.millis() >= HEARTBEAT_MS,
        None => true,
    }
}

/// What `evaluate` keeps for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PendingReport {
    format: String,
    plan: Plan,
    /// Present only with `report_inventory`.
    inventory: Option<Inventory>,
    report_url: String,
    report_inventory: bool,
    device_id: Option<String>,
    feed: Option<FeedStatus>,
}

fn parse_pending(text: &str) -> Result<PendingReport> {
    let pending: PendingReport = serde_json::from_str(text)
        .map_err(|e| Error::new(ErrorKind::BadState, format!("{PENDING_REPORT_FILE}: {e}")))?;
    if pending.format != PENDING_FORMAT {
        return Err(Error::new(
            ErrorKind::BadState,
            format!(
                "{PENDING_REPORT_FILE}: format is {:?}, expected {PENDING_FORMAT:?}",
                pending.format
            ),
        ));
    }
    Ok(pending)
}

/// After an evaluation: keeps `plan` for the report `record` queues when `report_url` is set,
/// and otherwise removes a plan kept earlier (reports were switched off).
pub fn keep_for_report(
    plan: &Plan,
    inventory: &Inventory,
    settings: Option<&Settings>,
    feed: Option<&FeedStatus>,
    state_dir: &Path,
) -> Result<()> {
    let path = state_dir.join(PENDING_REPORT_FILE);
    let Some((settings, report_url)) =
        settings.and_then(|s| s.report_url.as_deref().map(|url| (s, url)))
    else {
        return remove_if_present(&path, "cannot remove it");
    };
    let pending = PendingReport {
        format: PENDING_FORMAT.to_string(),
        plan: plan.clone(),
        inventory: settings.report_inventory.then(|| inventory.clone()),
        report_url: report_url.to_string(),
        report_inventory: settings.report_inventory,
        device_id: settings.device_id.clone(),
        feed: feed.cloned(),
    };
    let json = serde_json::to_string(&pending).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("cannot serialise the kept report: {e}"),
        )
    })?;
    write_atomic(&path, json.as_bytes())
}

/// After `record`: queues the report of the kept plan, updated by `outcomes`, and removes the
/// kept plan. Nothing kept: `None`. A problem becomes a warning (the outcomes are already
/// recorded and must not be reported as lost).
pub fn queue_kept_report(
    outcomes: &Outcomes,
    state_dir: &Path,
    now: Timestamp,
    warnings: &mut Vec<Warning>,
) -> Option<Queued> {
    match queue(outcomes, state_dir, now) {
        Ok(queued) => queued,
        Err(problem) => {
            warnings.push(Warning::new(
                REPORT_NOT_QUEUED,
                format!("the compliance report could not be queued: {problem}"),
            ));
            None
        }
    }
}

fn queue(outcomes: &Outcomes, state_dir: &Path, now: Timestamp) -> Result<Option<Queued>> {
    let path = state_dir.join(PENDING_REPORT_FILE);
    let mut pending = match load_or_quarantine(&path, parse_pending)? {
        Loaded::Missing => return Ok(None),
        Loaded::Found(pending) => pending,
        Loaded::Quarantined { moved_to, problem } => {
            return Err(Error::new(
                ErrorKind::BadState,
                format!(
                    "the kept plan was unreadable ({problem}); moved to {}",
                    moved_to.display()
                ),
            ))
        }
    };
    apply_outcomes(&mut pending.plan, outcomes);
    let summary = compliance_summary(&pending.plan);
    let last_path = state_dir.join(LAST_REPORTED_FILE);
    // A damaged record of the last report only costs one extra report.
    let last = match load_or_quarantine(&last_path, |text| {
        serde_json::from_str::<LastReported>(text)
            .map_err(|e| Error::new(ErrorKind::BadState, format!("{LAST_REPORTED_FILE}: {e}")))
    })? {
        Loaded::Found(last) => Some(last),
        Loaded::Missing | Loaded::Quarantined { .. } => None,
    };
    if !worth_reporting(last.as_ref(), &summary, now) {
        remove_if_present(&path, "cannot remove it")?;
        return Ok(None);
    }
    let settings = Settings {
        report_url: Some(pending.report_url),
        report_inventory: pending.report_inventory,
        device_id: pending.device_id,
        ..Settings::default()
    };
    let inventory = pending.inventory.unwrap_or_else(|| Inventory {
        profile: "work".to_string(),
        captured_at: None,
        packages: Vec::new(),
    });
    let queued = veto_net::reporting::queue_report(
        &pending.plan,
        &inventory,
        &settings,
        pending.feed.as_ref(),
        state_dir,
        now,
    )?;
    let record = LastReported { summary, at: now };
    let json = serde_json::to_string(&record)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("{LAST_REPORTED_FILE}: {e}")))?;
    write_atomic(&last_path, json.as_bytes())?;
    // Queued first, removed second: a crash in between queues a second report of the same
    // plan rather than none.
    remove_if_present(&path, "cannot remove it")?;
    Ok(queued)
}

/// What the executor's outcomes change in a plan, as the next evaluation would see it: a
/// finding whose due action was done is `enforced` (the action in effect), one whose action
/// failed or waits for the user is `failed`; a reversal that was done is gone. Actions with an
/// outcome leave the to-do list.
pub fn apply_outcomes(plan: &mut Plan, outcomes: &Outcomes) {
    let result_of = |package: &str, action: Action| {
        outcomes
            .outcomes
            .iter()
            .find(|o| o.package == package && o.action == action)
            .map(|o| o.result)
    };
    for finding in &mut plan.findings {
        let Some(action) = finding.action else {
            continue;
        };
        match result_of(&finding.package, action) {
            Some(OutcomeResult::Done) => {
                finding.action = None;
                finding.status = Status::Enforced;
                if action != Action::Report && !finding.in_effect.contains(&action) {
                    finding.in_effect.push(action);
                    finding.in_effect.sort();
                }
            }
            Some(OutcomeResult::Failed | OutcomeResult::PendingUser) => {
                finding.action = None;
                finding.status = Status::Failed;
            }
            None => {}
        }
    }
    plan.reversals
        .retain(|r| result_of(&r.package, r.action) != Some(OutcomeResult::Done));
    plan.actions
        .retain(|a| result_of(&a.package, a.action).is_none());
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn outcomes_change_statuses_as_the_next_evaluation_would() {
        let mut plan = plan();
        let outcomes = Outcomes::from_json(
            r#"{"outcomes": [
                {"package": "a.suspend", "action": "suspend", "result": "done"},
                {"package": "b.uninstall", "action": "uninstall", "result": "pending_user"},
                {"package": "d.undone", "action": "unsuspend", "result": "done"},
                {"package": "e.kept", "action": "unhide", "result": "failed", "detail": "refused"}]}"#,
        )
        .unwrap();
        apply_outcomes(&mut plan, &outcomes);

        let a = plan.finding("a.suspend").unwrap();
        assert_eq!((a.status, a.action), (Status::Enforced, None));
        assert_eq!(a.in_effect, [Action::Warn, Action::Suspend]);
        let b = plan.finding("b.uninstall").unwrap();
        assert_eq!((b.status, b.action), (Status::Failed, None));
        assert!(b.in_effect.is_empty());
        let c = plan.finding("c.untouched").unwrap();
        assert_eq!(
            (c.status, c.action),
            (Status::Due, Some(Action::Hide)),
            "no outcome, no change"
        );
        let reversals: Vec<&str> = plan.reversals.iter().map(|r| r.package.as_str()).collect();
        assert_eq!(reversals, ["e.kept"], "a failed undo is still to do");
        let actions: Vec<&str> = plan.actions.iter().map(|a| a.package.as_str()).collect();
        assert_eq!(actions, ["c.untouched"]);
        assert!(
            !plan.compliant,
            "findings stay findings until a scan shows them gone"
        );
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

    #[test]
    fn a_damaged_record_of_the_last_report_costs_one_extra_report() {
        let last = LastReported {
            summary: compliance_summary(&plan()),
            at: Timestamp::from_millis(0),
        };
        assert!(!worth_reporting(
            Some(&last),
            &compliance_summary(&plan()),
            Timestamp::from_millis(1)
        ));
        assert!(worth_reporting(
            None,
            &compliance_summary(&plan()),
            Timestamp::from_millis(1)
        ));
    }
}
