//! The compliance report of one run: `evaluate` keeps its plan, `record` queues the report once
//! the executor's outcomes are known, so that the report says what really happened.
//!
//! The kept plan lives in `<state_dir>/report-pending.json` (written atomically) only while
//! `report_url` is set; the whole inventory is kept with it only when `report_inventory` is
//! enabled, because only then does it go into the report. What the outcomes change and whether
//! a report is worth queueing are `veto_core::report`'s pure rules; `veto_net::reporting`
//! builds, queues and later sends the report.

use std::path::Path;

use serde::{Deserialize, Serialize};
use veto_core::codes::REPORT_NOT_QUEUED;
use veto_core::report::{
    apply_outcomes, compliance_summary, report_summary, worth_reporting, FeedStatus, Report,
};
use veto_core::{
    Error, ErrorKind, Inventory, Outcomes, Plan, Result, Settings, Timestamp, Warning,
};
use veto_net::reporting::Queued;
use veto_store::{load_or_quarantine, remove_if_present, write_atomic, Loaded};

/// The plan kept between `evaluate` and `record` for the report.
pub const PENDING_REPORT_FILE: &str = "report-pending.json";

/// The value of the kept file's `format` field.
pub const PENDING_FORMAT: &str = "veto-pending-report/1";

/// What the last queued report said, to skip reports that would say nothing new.
pub const LAST_REPORTED_FILE: &str = "report-last.json";

/// The record of the last queued report.
#[derive(Debug, Serialize, Deserialize)]
struct LastReported {
    summary: serde_json::Value,
    at: Timestamp,
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
    // A crash between queueing a report and recording it here leaves the record behind the
    // queue: the newest queued report then stands for the last one (same summary, same
    // time), so that the next run does not queue the same picture again under a new id.
    let last = match (last, newest_queued(state_dir)?) {
        (Some(last), Some(queued)) if queued.at.millis() <= last.at.millis() => Some(last),
        (_, Some(queued)) => {
            write_last(&last_path, &queued)?;
            Some(queued)
        }
        (last, None) => last,
    };
    if !worth_reporting(last.as_ref().map(|l| (&l.summary, l.at)), &summary, now) {
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
    write_last(&last_path, &LastReported { summary, at: now })?;
    // Queued first, removed second: a crash in between queues a second report of the same
    // plan rather than none.
    remove_if_present(&path, "cannot remove it")?;
    Ok(queued)
}

fn write_last(path: &Path, record: &LastReported) -> Result<()> {
    let json = serde_json::to_string(record)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("{LAST_REPORTED_FILE}: {e}")))?;
    write_atomic(path, json.as_bytes())
}

/// The newest report still in the queue, as a record of the last report (its summary and
/// when it was queued). The queue lists oldest first (file names start with the time), so
/// only the newest body is read. One that does not read as a report is skipped: it only
/// costs one extra report.
fn newest_queued(state_dir: &Path) -> Result<Option<LastReported>> {
    let entries = veto_net::queue::ReportQueue::new(state_dir).entries()?;
    Ok(entries.iter().rev().find_map(|e| {
        let report = Report::from_json(&e.body).ok()?;
        Some(LastReported {
            summary: report_summary(&report),
            at: e.created_at,
        })
    }))
}
