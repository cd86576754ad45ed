//! The public API as a host driver (a fleet simulator) uses it: several devices, each a state
//! directory with its own role, driven by a virtual clock, the shell's part played by applying
//! the outcomes the role allows. Proves the ladder runs on the virtual clock, that roles bound
//! what happens, and that reports are queued when something changed or the heartbeat is due,
//! not on every sweep.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use veto_agent::Device;
use veto_core::{
    Action, Capabilities, Inventory, Outcome, OutcomeResult, Outcomes, Package, Status, Timestamp,
};

const TIKTOK: &str = "com.zhiliaoapp.musically";
/// 2026-11-23T00:00:00Z.
const DAY0: i64 = 1_795_392_000_000;
const HOUR_MS: i64 = 3_600_000;

/// The shell's part: carry out what the role allows, and what the platform then shows.
struct Phone {
    device: Device,
    caps: Capabilities,
    packages: Vec<Package>,
    /// The employee removes TikTok on this day, if ever.
    removes_on: Option<i64>,
    /// The managed configuration.
    config: &'static str,
}

impl Phone {
    fn new(dir: &std::path::Path, role: &str, removes_on: Option<i64>) -> Phone {
        Phone {
            device: Device::new(dir),
            caps: Capabilities::from_cli_list(role).unwrap(),
            packages: vec![Package::named(TIKTOK), Package::named("com.example.mail")],
            removes_on,
            config: "{}",
        }
    }

    /// A sweep at `hours` after the start; returns TikTok's finding status, step and what is
    /// in effect, if it is still there.
    fn sweep_at(&mut self, hours: i64) -> Option<(Status, Action, Vec<Action>)> {
        if self.removes_on.is_some_and(|day| hours >= day * 24) {
            self.packages.retain(|p| p.package != TIKTOK);
        }
        let now = Timestamp::from_millis(DAY0 + hours * HOUR_MS);
        let inventory = Inventory {
            profile: "work".into(),
            captured_at: Some(now),
            packages: self.packages.clone(),
        };
        let evaluation = self
            .device
            .evaluate(&inventory, self.config, &self.caps, now)
            .unwrap();
        let mut outcomes = Vec::new();
        for action in &evaluation.plan.actions {
            let result = if self.caps.allows(action.action) {
                self.apply(&action.package, action.action);
                OutcomeResult::Done
            } else {
                OutcomeResult::Failed
            };
            outcomes.push(Outcome {
                package: action.package.clone(),
                action: action.action,
                result,
                detail: None,
            });
        }
        self.device
            .record(&Outcomes { outcomes }, now.plus_millis(1_000))
            .unwrap();
        evaluation
            .plan
            .finding(TIKTOK)
            .map(|f| (f.status, f.step, f.in_effect.clone()))
    }

    fn sweep(&mut self, day: i64) -> Option<(Status, Action, Vec<Action>)> {
        self.sweep_at(day * 24)
    }

    fn apply(&mut self, package: &str, action: Action) {
        let Some(pkg) = self.packages.iter_mut().find(|p| p.package == package) else {
            return;
        };
        match action {
            Action::Suspend => pkg.suspended = true,
            Action::Hide => pkg.hidden = true,
            Action::Unsuspend => pkg.suspended = false,
            Action::Unhide => pkg.hidden = false,
            Action::Uninstall => self.packages.retain(|p| p.package != package),
            Action::Warn | Action::Report => {}
        }
    }

    fn queued_reports(&self) -> usize {
        veto_net::queue::ReportQueue::new(self.device.state_dir())
            .entries()
            .unwrap()
            .len()
    }
}

#[test]
fn a_small_fleet_follows_the_ladder_on_a_virtual_clock_within_what_each_role_allows() {
    let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut phones = [
        Phone::new(dirs[0].path(), "profile-owner", None),
        Phone::new(dirs[1].path(), "delegate:package-access", None),
        Phone::new(dirs[2].path(), "none", None),
        Phone::new(dirs[3].path(), "profile-owner", Some(3)),
    ];
    let (owner, delegate, unprivileged, obliging) = (0, 1, 2, 3);
    // The days where something happens (a simulator sweeps every few hours; the ladder only
    // depends on the clock).
    let mut seen = std::collections::HashMap::new();
    for day in [0, 2, 3, 13, 14, 15, 41, 42, 43] {
        for (i, phone) in phones.iter_mut().enumerate() {
            seen.insert((i, day), phone.sweep(day));
        }
    }
    let step = |phone: usize, day: i64| seen[&(phone, day)].as_ref().map(|(_, step, _)| *step);
    let in_effect = |phone: usize, day: i64| seen[&(phone, day)].clone().unwrap().2;
    // The built-in ladder: warn at once, suspend after 14 days, uninstall after 42 (a profile
    // owner cannot uninstall silently: hide instead).
    assert_eq!(step(owner, 0), Some(Action::Warn));
    assert_eq!(step(owner, 13), Some(Action::Warn));
    assert_eq!(step(owner, 14), Some(Action::Suspend));
    assert_eq!(step(owner, 42), Some(Action::Hide));
    assert_eq!(seen[&(owner, 43)].as_ref().unwrap().0, Status::Enforced);
    assert!(in_effect(owner, 43).contains(&Action::Suspend));
    assert!(in_effect(owner, 43).contains(&Action::Hide));
    // A delegate with package access suspends and hides too.
    assert_eq!(step(delegate, 14), Some(Action::Suspend));
    assert_eq!(step(delegate, 43), Some(Action::Hide));
    // Without privileges, Veto warns and reports, nothing more.
    assert_eq!(step(unprivileged, 43), Some(Action::Warn));
    assert!(!in_effect(unprivileged, 43).contains(&Action::Suspend));
    // The employee who removed the app after the warning is compliant from then on.
    assert!(step(obliging, 2).is_some());
    assert_eq!(step(obliging, 3), None);
    assert_eq!(step(obliging, 43), None);
}

#[test]
fn reports_are_queued_on_change_and_heartbeat_not_on_every_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let mut phone = Phone::new(dir.path(), "profile-owner", None);
    phone.config = r#"{"report_url": "https://reports.example/veto"}"#;
    let mut after = Vec::new();
    for hour in 0..=13 {
        phone.sweep_at(hour);
        after.push(phone.queued_reports());
    }
    // Hour 0: the first report (TikTok warned). Unchanged after that until the heartbeat (6 h)
    // and again 6 h later.
    assert_eq!(after[0], 1, "{after:?}");
    assert_eq!(after[5], 1, "{after:?}");
    assert_eq!(after[6], 2, "{after:?}");
    assert_eq!(after[11], 2, "{after:?}");
    assert_eq!(after[12], 3, "{after:?}");
    assert_eq!(after[13], 3, "{after:?}");
}
