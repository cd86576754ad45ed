//! What Veto remembers between scans: when it first saw each barred package and what
//! it did about it.
//!
//! The state is a versioned serde type. Losing it would restart every grace period, so
//! a state file that cannot be read is never treated as empty: `veto-store` moves it
//! aside and the plan says so.

use crate::capabilities::{Capabilities, Role};
use crate::error::{parse_json, Error, ErrorKind, Result};
use crate::inventory::Inventory;
use crate::plan::{Plan, Warning};
use crate::policy::Action;
use crate::time::{Timestamp, DAY_MS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The state format this build reads and writes.
pub const STATE_VERSION: u32 = 1;

/// How long Veto remembers a barred package that left the profile: long enough that
/// reinstalling it does not buy a fresh grace period.
const FORGET_AFTER_MS: i64 = 180 * DAY_MS;

/// Veto's memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Always [`STATE_VERSION`] when written by this build.
    pub version: u32,
    /// Per barred package.
    #[serde(default)]
    pub packages: BTreeMap<String, PackageState>,
}

/// What Veto knows about one barred package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageState {
    /// When Veto first found it barred; the ladder counts from here.
    pub first_seen: Timestamp,
    /// When it was last in a scan.
    pub last_seen: Timestamp,
    /// The last outcome of each enforcement action Veto took.
    #[serde(default)]
    pub applied: BTreeMap<Action, Applied>,
    /// Device actions a plan asked for whose outcome is not recorded yet (write-ahead: noted
    /// by `evaluate` before the shell calls the Device Policy Manager, settled by `record`,
    /// reconciled by the next evaluation when the process died in between). Absent in state
    /// files written before write-ahead existed, and when nothing is pending.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<Action, Pending>,
}

/// A device action planned but not yet settled by an outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    /// The `now` of the evaluation that planned it.
    pub at: Timestamp,
    /// Whether Veto was the device or profile owner when it planned the action: then nobody
    /// else could set the package's suspended or hidden flag through device policy, so an
    /// observed flag is Veto's own doing (see [`State::reconcile`]).
    pub sole_admin: bool,
}

/// The warning code of a pending action that shows applied but that Veto cannot attribute to
/// itself (defined in [`crate::codes`]).
pub use crate::codes::PENDING_UNATTRIBUTED;

/// The device actions that are written ahead: the ones that change the package through the
/// Device Policy Manager or the package installer. `warn` (a notification) and `report` are
/// simply planned again when their outcome is missing.
pub fn is_written_ahead(action: Action) -> bool {
    matches!(
        action,
        Action::Suspend | Action::Hide | Action::Uninstall | Action::Unsuspend | Action::Unhide
    )
}

/// The outcome of one action Veto took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applied {
    /// How it went.
    pub result: OutcomeResult,
    /// When it was recorded.
    pub at: Timestamp,
    /// Why it failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// How an executed action went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeResult {
    /// It took effect.
    Done,
    /// It did not; `detail` says why.
    Failed,
    /// The platform asked the user to confirm.
    PendingUser,
}

/// What the shell reports after executing a plan's actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcomes {
    /// One per executed action.
    pub outcomes: Vec<Outcome>,
}

/// The outcome of one executed action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// Package name.
    pub package: String,
    /// The action executed.
    pub action: Action,
    /// How it went.
    pub result: OutcomeResult,
    /// Why it failed, if it did.
    #[serde(default)]
    pub detail: Option<String>,
}

impl Outcomes {
    /// Parses the shell's outcomes JSON.
    pub fn from_json(json: &str) -> Result<Outcomes> {
        let o: Outcomes = parse_json(json, ErrorKind::BadOutcomes, "outcomes")?;
        for (i, out) in o.outcomes.iter().enumerate() {
            if let Err(why) = crate::inventory::check_package_name(&out.package) {
                return Err(Error::new(
                    ErrorKind::BadOutcomes,
                    format!("outcomes: outcomes[{i}].package: {why}"),
                ));
            }
        }
        Ok(o)
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

impl State {
    /// Nothing seen yet (a new install).
    pub fn new() -> Self {
        State {
            version: STATE_VERSION,
            packages: BTreeMap::new(),
        }
    }

    /// Parses a state file's contents, refusing unknown versions.
    pub fn from_json(json: &str) -> Result<State> {
        #[derive(Deserialize)]
        struct VersionOnly {
            version: u32,
        }
        let v: VersionOnly = parse_json(json, ErrorKind::BadState, "state")?;
        if v.version != STATE_VERSION {
            return Err(Error::new(
                ErrorKind::BadState,
                format!(
                    "state: version: this Veto reads state version {STATE_VERSION}, found {}; was it written by a newer Veto?",
                    v.version
                ),
            ));
        }
        parse_json(json, ErrorKind::BadState, "state")
    }

    /// The state as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("state serialises")
    }

    /// What Veto knows about `package`.
    pub fn package(&self, package: &str) -> Option<&PackageState> {
        self.packages.get(package)
    }

    /// Takes in a plan: remembers when each finding was first seen, and forgets
    /// packages that are no longer barred once nothing of Veto's is in effect on them,
    /// and packages that left the profile long ago.
    pub fn note_plan(&mut self, plan: &Plan, inventory: &Inventory, now: Timestamp) {
        for f in &plan.findings {
            self.packages
                .entry(f.package.clone())
                .and_modify(|p| p.last_seen = now)
                .or_insert_with(|| PackageState {
                    first_seen: f.first_seen,
                    last_seen: now,
                    applied: BTreeMap::new(),
                    pending: BTreeMap::new(),
                });
        }
        let present: std::collections::HashSet<&str> = inventory
            .packages
            .iter()
            .map(|p| p.package.as_str())
            .collect();
        self.packages.retain(|name, p| {
            let barred = plan.finding(name).is_some();
            let reversing = plan.reversals.iter().any(|r| r.package == *name);
            if barred || reversing || !p.pending.is_empty() {
                return true;
            }
            if present.contains(name.as_str()) {
                // Still installed but no longer barred: keep only what must be undone.
                p.applied.retain(|a, ap| {
                    matches!(a, Action::Suspend | Action::Hide) && ap.result == OutcomeResult::Done
                });
                !p.applied.is_empty()
            } else {
                now.millis() - p.last_seen.millis() < FORGET_AFTER_MS
            }
        });
    }

    /// Records the outcomes of executed actions. An undo that took effect clears the
    /// action it undid, so Veto only ever reverses what it did itself.
    pub fn record(&mut self, outcomes: &Outcomes, now: Timestamp) {
        for o in &outcomes.outcomes {
            let entry = self
                .packages
                .entry(o.package.clone())
                .or_insert_with(|| PackageState {
                    first_seen: now,
                    last_seen: now,
                    applied: BTreeMap::new(),
                    pending: BTreeMap::new(),
                });
            // The outcome settles the intent, whatever it says.
            entry.pending.remove(&o.action);
            match (o.action, o.result) {
                (Action::Unsuspend, OutcomeResult::Done) => {
                    entry.applied.remove(&Action::Suspend);
                }
                (Action::Unhide, OutcomeResult::Done) => {
                    entry.applied.remove(&Action::Hide);
                }
                (Action::Unsuspend | Action::Unhide, _) => {
                    // The undo failed: what Veto did stays recorded and is tried again.
                }
                (Action::Report, _) => {}
                (action, result) => {
                    entry.applied.insert(
                        action,
                        Applied {
                            result,
                            at: now,
                            detail: o.detail.clone(),
                        },
                    );
                }
            }
        }
    }
}

impl State {
    /// Write-ahead, step 1 (in `evaluate`, before the plan is returned): notes every device
    /// action of `plan` as pending, replacing what was pending before for the package.
    pub fn note_pending(&mut self, plan: &Plan, caps: &Capabilities, now: Timestamp) {
        let sole_admin = matches!(caps.role, Role::DeviceOwner | Role::ProfileOwner);
        for planned in plan.actions.iter().filter(|a| is_written_ahead(a.action)) {
            let entry = self
                .packages
                .entry(planned.package.clone())
                .or_insert_with(|| PackageState {
                    first_seen: now,
                    last_seen: now,
                    applied: BTreeMap::new(),
                    pending: BTreeMap::new(),
                });
            entry.pending.insert(
                planned.action,
                Pending {
                    at: now,
                    sole_admin,
                },
            );
        }
    }

    /// Write-ahead, step 3 (at the start of the next `evaluate`): settles every action still
    /// pending, i.e. planned but never recorded because the process died between the plan and
    /// `record`, against what `inventory` shows.
    ///
    /// - `suspend` / `hide`: the package shows the flag → recorded as done by Veto (so Veto may
    ///   reverse it later), provided Veto was the device or profile owner both when it planned
    ///   the action and now: an owner is the only one who can set the flag through device
    ///   policy in its profile. As a delegate the DPC (the EMM) can set it too, and the flag
    ///   alone cannot tell whose call it was; then nothing is recorded, a
    ///   [`PENDING_UNATTRIBUTED`] warning names the package, and Veto will never reverse it
    ///   (it still counts as in effect, being observed). Flag not shown → dropped, so the
    ///   engine plans the action again.
    /// - `uninstall`: the package is gone → recorded as done; still there → planned again.
    /// - `unsuspend` / `unhide`: the flag is gone → Veto's record of the suspension or hiding
    ///   is cleared (nothing of Veto's is in effect any more, whoever cleared it); still set →
    ///   planned again.
    /// - A suspend, hide or reversal for a package that is gone is dropped.
    ///
    /// Returns the warnings for the plan.
    pub fn reconcile(
        &mut self,
        inventory: &Inventory,
        caps: &Capabilities,
        now: Timestamp,
    ) -> Vec<Warning> {
        let owner_now = matches!(caps.role, Role::DeviceOwner | Role::ProfileOwner);
        let mut warnings = Vec::new();
        for (name, state) in &mut self.packages {
            if state.pending.is_empty() {
                continue;
            }
            let observed = inventory.packages.iter().find(|p| p.package == *name);
            for (action, pending) in std::mem::take(&mut state.pending) {
                let done = Applied {
                    result: OutcomeResult::Done,
                    at: now,
                    detail: Some(format!(
                        "observed after a restart; planned at {}, outcome never recorded",
                        pending.at
                    )),
                };
                match (action, observed) {
                    (Action::Uninstall, None) => {
                        state.applied.insert(action, done);
                    }
                    (Action::Suspend | Action::Hide, Some(pkg)) => {
                        let shown = if action == Action::Suspend {
                            pkg.suspended
                        } else {
                            pkg.hidden
                        };
                        if !shown {
                            continue;
                        }
                        if pending.sole_admin && owner_now {
                            state.applied.insert(action, done);
                        } else {
                            warnings.push(Warning::for_package(
                                PENDING_UNATTRIBUTED,
                                name,
                                format!(
                                    "{name} is {} and Veto planned that at {} but never learnt                                      the outcome; as a delegate it cannot tell its own call                                      from the device policy controller's, so it does not                                      count it as its own and will never undo it",
                                    if action == Action::Suspend {
                                        "suspended"
                                    } else {
                                        "hidden"
                                    },
                                    pending.at
                                ),
                            ));
                        }
                    }
                    (Action::Unsuspend, Some(pkg)) if !pkg.suspended => {
                        state.applied.remove(&Action::Suspend);
                    }
                    (Action::Unhide, Some(pkg)) if !pkg.hidden => {
                        state.applied.remove(&Action::Hide);
                    }
                    // Not applied (or nothing left to apply it to): planned again if still due.
                    _ => {}
                }
            }
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_errors_are_clear() {
        let err = State::from_json(r#"{"version": 9, "packages": {}}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadState);
        assert!(
            err.message().contains("reads state version 1, found 9"),
            "{err}"
        );
        let err =
            State::from_json("{\"version\": 1, \"packages\": {\"a.b\": {\"first_seen\": 3}}}")
                .unwrap_err();
        assert!(
            err.message()
                .starts_with("state: packages.a.b.first_seen: invalid type"),
            "{err}"
        );
        let err = State::from_json("\u{0}garbage").unwrap_err();
        assert!(err.message().starts_with("state: "), "{err}");
    }

    #[test]
    fn outcomes_errors_name_the_path() {
        let err = Outcomes::from_json(
            r#"{"outcomes":[{"package":"a.b","action":"explode","result":"done"}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadOutcomes);
        assert!(
            err.message()
                .starts_with("outcomes: outcomes[0].action: unknown variant `explode`"),
            "{err}"
        );
        let err = Outcomes::from_json(
            r#"{"outcomes":[{"package":"a b","action":"hide","result":"done"}]}"#,
        )
        .unwrap_err();
        assert!(
            err.message()
                .starts_with("outcomes: outcomes[0].package: expected a package name"),
            "{err}"
        );
    }

    #[test]
    fn round_trip() {
        let mut s = State::new();
        s.record(
            &Outcomes::from_json(r#"{"outcomes":[{"package":"a.b","action":"suspend","result":"failed","detail":"launcher"}]}"#).unwrap(),
            Timestamp::from_millis(5),
        );
        let again = State::from_json(&s.to_json()).unwrap();
        assert_eq!(again, s);
        assert_eq!(
            again.package("a.b").unwrap().applied[&Action::Suspend].result,
            OutcomeResult::Failed
        );
    }
}
