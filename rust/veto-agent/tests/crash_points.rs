//! A crash at every write of one device run (issue 12): a sweep two weeks after TikTok was
//! found, when its suspension is due, stopped at every point of every write and removal it
//! makes (the state with its write-ahead, `report-pending.json`, the report queue,
//! `report-last.json`), as a killed process and as a power cut. The phone then restarts and
//! sweeps again, and:
//! - nothing is half-read (no file is moved aside as damaged);
//! - no grace period restarts (TikTok's first-seen time stays the day it was found);
//! - the app ends up suspended, once, and a further sweep plans nothing;
//! - the queue holds exactly the reports a run without a crash queues: nothing lost, and no
//!   report sent twice under two ids.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use veto_agent::Device;
use veto_core::report::{report_summary, Report};
use veto_core::state::{Outcome, OutcomeResult};
use veto_core::time::DAY_MS;
use veto_core::{Action, Capabilities, Inventory, Outcomes, Package, Plan, Timestamp};
use veto_store::crash::harness::{assert_nothing_quarantined, at_every_point, points_of};
use veto_store::crash::Point;
use veto_store::StateStore;

const T0: i64 = 1_795_363_200_000;
const TIKTOK: &str = "com.zhiliaoapp.musically";
const CONFIG: &str =
    r#"{"report_url": "https://reports.example/veto", "device_id": "amsterdam-0042"}"#;

fn at(days: i64, minutes: i64) -> Timestamp {
    Timestamp::from_millis(T0 + days * DAY_MS + minutes * 60_000)
}

/// A phone: its state directory, and whether TikTok is suspended on it.
struct Phone {
    dir: tempfile::TempDir,
    suspended: Cell<bool>,
}

impl Phone {
    fn new() -> Phone {
        Phone {
            dir: tempfile::tempdir().unwrap(),
            suspended: Cell::new(false),
        }
    }

    fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn inventory(&self) -> Inventory {
        let mut tiktok = Package::named(TIKTOK);
        tiktok.suspended = self.suspended.get();
        Inventory {
            profile: "work".into(),
            captured_at: None,
            packages: vec![tiktok, Package::named("com.microsoft.teams")],
        }
    }

    /// One sweep as the shell runs it: evaluate, act on the plan, record the outcomes.
    fn sweep(&self, now: Timestamp) -> Option<Plan> {
        let device = Device::new(self.state_dir());
        let caps = Capabilities::from_cli_list("profile-owner").unwrap();
        let plan = device
            .evaluate(&self.inventory(), CONFIG, &caps, now)
            .ok()?
            .plan;
        let mut outcomes = Vec::new();
        for a in &plan.actions {
            if a.package == TIKTOK && a.action == Action::Suspend {
                self.suspended.set(true);
            }
            outcomes.push(Outcome {
                package: a.package.clone(),
                action: a.action,
                result: OutcomeResult::Done,
                detail: None,
            });
        }
        device.record(&Outcomes { outcomes }, now).ok()?;
        Some(plan)
    }

    /// The queued reports: the id of each, by what it says.
    fn queued(&self) -> BTreeMap<String, Vec<String>> {
        let mut by_summary: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for e in veto_net::queue::ReportQueue::new(&self.state_dir())
            .entries()
            .unwrap()
        {
            let report = Report::from_json(&e.body).unwrap();
            by_summary
                .entry(report_summary(&report).to_string())
                .or_default()
                .push(report.report_id);
        }
        by_summary
    }
}

/// TikTok found on day 0 (warned), then the sweep of day 14 that suspends it.
fn setup() -> Phone {
    let phone = Phone::new();
    let plan = phone.sweep(at(0, 0)).unwrap();
    assert!(plan.finding(TIKTOK).is_some());
    phone
}

fn day_14(phone: &Phone) {
    let _ = phone.sweep(at(14, 0));
}

#[test]
fn a_device_run_survives_a_crash_at_every_write() {
    // What a run without a crash leaves: the day-0 report and the suspension's, once each.
    let reference = setup();
    let plan = reference.sweep(at(14, 0)).unwrap();
    assert!(
        plan.actions
            .iter()
            .any(|a| a.package == TIKTOK && a.action == Action::Suspend),
        "{:?}",
        plan.actions
    );
    reference.sweep(at(14, 10)).unwrap();
    let expected = reference.queued();
    assert_eq!(expected.len(), 2, "{expected:?}");
    assert!(expected.values().all(|ids| ids.len() == 1), "{expected:?}");

    // Every file the run writes or removes is among the crash points.
    let phone = setup();
    let points = points_of(|| day_14(&phone));
    let files: std::collections::BTreeSet<&str> =
        points.iter().map(|(_, file)| file.as_str()).collect();
    for name in [
        "state.json",
        "state.json.bak",
        "report-pending.json",
        "report-last.json",
    ] {
        assert!(files.contains(name), "{name} is not written: {files:?}");
    }
    assert!(
        files.iter().any(|f| f.ends_with(".report.json")),
        "no queue file written: {files:?}"
    );

    let checked = at_every_point(setup, day_14, |phone, crash| {
        // The phone restarts; the next sweep comes.
        assert!(
            phone.sweep(at(14, 10)).is_some(),
            "{crash:?}: the sweep after failed"
        );
        assert_nothing_quarantined(phone.dir.path(), crash);
        let (state, warnings) = StateStore::new(&phone.state_dir()).load().unwrap();
        assert!(warnings.is_empty(), "{crash:?}: {warnings:?}");
        assert_eq!(
            state.package(TIKTOK).unwrap().first_seen,
            at(0, 0),
            "{crash:?}: the grace period restarted"
        );
        assert!(phone.suspended.get(), "{crash:?}: TikTok is not suspended");
        let settled = phone.sweep(at(14, 20)).unwrap();
        assert!(
            settled.actions.is_empty(),
            "{crash:?}: still planned {:?}",
            settled.actions
        );
        let queued = phone.queued();
        assert_eq!(
            queued.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{crash:?}: the queue says other things than a run without a crash"
        );
        for (summary, ids) in &queued {
            assert_eq!(ids.len(), 1, "{crash:?}: {summary} queued under {ids:?}");
        }
    });
    let writes = points
        .iter()
        .filter(|(p, _)| *p == Point::BeforeTemp)
        .count();
    eprintln!("device run: {checked} crashes checked over {writes} writes");
    assert!(writes >= 5, "{writes}");
    assert_eq!(
        checked,
        2 * points.len(),
        "every point, killed and power cut"
    );
    assert!(points.len() >= 6 * writes, "{points:?}");
}
