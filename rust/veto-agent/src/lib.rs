//! One device's run: everything Veto does between "here is an inventory, a managed
//! configuration, the capabilities, a state directory and the time" and "here is the plan / the
//! recorded outcomes / the queued report / the sync status".
//!
//! The Android shell reaches this through `veto-jni` (libveto.so); a host tool, such as a fleet
//! simulator, drives it directly and so runs exactly the code phones run. No JNI, no global
//! state: a device is its state directory, and the clock is the `now` passed to each call.
//!
//! # The API
//!
//! A [`Device`] is a state directory (created on first use). Each call loads what it needs from
//! there and leaves it there, written atomically (`veto-store`):
//!
//! | call | does | returns |
//! |---|---|---|
//! | [`Device::evaluate`] | chooses the policy ([`choice`]), reconciles actions a process death left pending, evaluates, notes first-seen times, writes the plan's device actions ahead as pending, keeps the plan for the report | [`Evaluation`]: the plan and the keyed app states |
//! | [`Device::record`] | records the executor's outcomes (settling what was pending) and queues the compliance report of the kept plan | [`Recorded`] |
//! | [`Device::sync_policy`] | fetches, verifies and stores the signed policy feed | [`SyncReport`] |
//! | [`Device::flush_reports`] | sends the queued reports that are due | [`FlushSummary`] |
//! | [`Device::choose_policy`] | the policy the device enforces now, and why | [`choice::Choice`] |
//!
//! Inputs are the typed documents of `veto-core` ([`Inventory`], [`Capabilities`],
//! [`Outcomes`]) and the managed configuration as JSON text: a configuration that does not
//! parse is not an error but a warning, and the last good policy stays in force
//! (docs/decisions/0001). The network calls take the transport as a function, asked only when
//! a URL is configured, so a device without a feed or reports never needs TLS set up.
//!
//! ```
//! use veto_agent::Device;
//! use veto_core::{Capabilities, Inventory, Outcome, OutcomeResult, Outcomes, Timestamp};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let device = Device::new(dir.path());
//! let inventory = Inventory::from_json(r#"{"packages": [{"package": "com.zhiliaoapp.musically"}]}"#).unwrap();
//! let owner = Capabilities::from_cli_list("profile-owner").unwrap();
//! let now = Timestamp::from_millis(1_795_000_000_000);
//!
//! let evaluation = device.evaluate(&inventory, "{}", &owner, now).unwrap();
//! assert!(!evaluation.plan.compliant);
//! // The shell carries out the actions, then reports how they went.
//! let outcomes = Outcomes {
//!     outcomes: evaluation.plan.actions.iter().map(|a| Outcome {
//!         package: a.package.clone(),
//!         action: a.action,
//!         result: OutcomeResult::Done,
//!         detail: None,
//!     }).collect(),
//! };
//! let recorded = device.record(&outcomes, now).unwrap();
//! assert_eq!(recorded.recorded, evaluation.plan.actions.len());
//! // Evaluating the same scan again plans nothing new.
//! assert!(device.evaluate(&inventory, "{}", &owner, now).unwrap().plan.actions.is_empty());
//! ```

pub mod choice;
pub mod reporting;
#[cfg(feature = "test-hooks")]
pub mod testing;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use veto_core::report::{keyed_states, Evaluation};
use veto_core::{
    engine, parse_managed_config, settings_from_config, Capabilities, Catalog, CompiledPolicy,
    Error, ErrorKind, Inventory, Outcomes, Result, Settings, Timestamp, Warning,
};
use veto_net::queue::FlushSummary;
use veto_net::{feed::SyncReport, Net, Tls};
use veto_store::StateStore;

/// One device: its state directory. Cheap to make; holds nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    state_dir: PathBuf,
}

/// What [`Device::record`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    /// How many outcomes were recorded.
    pub recorded: usize,
    /// Problems that did not stop the outcomes from being recorded (a quarantined state file,
    /// `report_not_queued`).
    pub warnings: Vec<Warning>,
    /// The compliance report queued, if one was.
    pub report: Option<QueuedReport>,
}

/// A compliance report queued by [`Device::record`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedReport {
    /// Its id (the same on every retry).
    pub report_id: String,
    /// How many older reports the full queue dropped to make room.
    pub dropped: usize,
}

impl Recorded {
    /// `{"recorded": N, "warnings": […], "report": {"report_id", "dropped"} | null}`.
    pub fn to_json(&self) -> String {
        to_json(self, "record summary")
    }
}

/// The library's version and its built-in catalog's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// Veto's version.
    pub veto: String,
    /// The built-in catalog.
    pub catalog: CatalogVersion,
}

/// The built-in catalog's version and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogVersion {
    /// Its version.
    pub version: u32,
    /// How many entries it has.
    pub entries: usize,
}

impl Version {
    /// `{"veto": "<version>", "catalog": {"version": N, "entries": M}}`.
    pub fn to_json(&self) -> String {
        to_json(self, "version")
    }
}

/// Veto's version and the built-in catalog's.
pub fn version() -> Version {
    let catalog = Catalog::builtin();
    Version {
        veto: env!("CARGO_PKG_VERSION").to_owned(),
        catalog: CatalogVersion {
            version: catalog.version,
            entries: catalog.entry_count(),
        },
    }
}

fn to_json<T: Serialize>(value: &T, what: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        // Plain structs of strings and numbers always serialise; say so if that ever changes.
        format!(
            "{{\"error\": {}}}",
            serde_json::Value::from(format!("{what}: {e}"))
        )
    })
}

impl Device {
    /// The device whose files live in `state_dir` (created on first use).
    pub fn new(state_dir: impl Into<PathBuf>) -> Device {
        Device {
            state_dir: state_dir.into(),
        }
    }

    /// Where its files live (docs/jni.md, "Files in stateDir").
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The plan for `inventory`, with the keyed app states for the EMM.
    ///
    /// Updates the state: reconciles the device actions a process death left pending against
    /// `inventory`, notes first-seen times, and writes this plan's device actions ahead as
    /// pending, all in one atomic save, before the plan is returned (docs/contract.md,
    /// "Write-ahead"). With `report_url` set it also keeps the plan for the report that
    /// [`Device::record`] queues.
    pub fn evaluate(
        &self,
        inventory: &Inventory,
        managed_config: &str,
        capabilities: &Capabilities,
        now: Timestamp,
    ) -> Result<Evaluation> {
        self.ensure_dir()?;
        let choice::Choice {
            policy,
            mut warnings,
            settings,
        } = self.choose_policy(managed_config)?;
        let store = StateStore::new(&self.state_dir);
        let (mut state, state_warnings) = store.load()?;
        warnings.extend(state_warnings);
        // Write-ahead: what a process death left pending is settled by this scan first.
        warnings.extend(state.reconcile(inventory, capabilities, now));

        let policy = CompiledPolicy::new(policy);
        let mut plan = engine::evaluate(inventory, &policy, &state, capabilities, now);
        plan.warnings.extend(warnings);
        state.note_plan(&plan, inventory, now);
        // Write-ahead: the device actions are in the state before the shell sees the plan.
        state.note_pending(&plan, capabilities, now);
        store.save(&state)?;

        let feed = settings
            .as_ref()
            .and_then(|settings| veto_net::feed::feed_status(settings, &self.state_dir));
        reporting::keep_for_report(
            &plan,
            inventory,
            settings.as_ref(),
            feed.as_ref(),
            &self.state_dir,
        )?;
        let keyed_states = keyed_states(&plan, feed.as_ref());
        Ok(Evaluation { plan, keyed_states })
    }

    /// Records the executor's outcomes in the state (settling the actions written ahead); with
    /// a plan kept for a report (see [`Device::evaluate`]), queues the compliance report, its
    /// findings updated by the outcomes. A report that cannot be queued is a warning: the
    /// outcomes are recorded regardless.
    pub fn record(&self, outcomes: &Outcomes, now: Timestamp) -> Result<Recorded> {
        self.ensure_dir()?;
        let store = StateStore::new(&self.state_dir);
        let (mut state, mut warnings) = store.load()?;
        state.record(outcomes, now);
        store.save(&state)?;
        let queued = reporting::queue_kept_report(outcomes, &self.state_dir, now, &mut warnings);
        Ok(Recorded {
            recorded: outcomes.outcomes.len(),
            warnings,
            report: queued.map(|q| QueuedReport {
                report_id: q.report_id,
                dropped: q.dropped_now,
            }),
        })
    }

    /// Fetches, verifies and stores the signed policy. Network and feed failures are in the
    /// report (its `result`), never errors; an invalid managed configuration is
    /// (`bad_managed_config`). `net` is asked for the transport only when `policy_url` is set.
    pub fn sync_policy(
        &self,
        managed_config: &str,
        now: Timestamp,
        net: impl FnOnce() -> Result<Net>,
    ) -> Result<SyncReport> {
        let settings = settings_of(managed_config)?;
        self.ensure_dir()?;
        let net = transport(settings.policy_url.is_some(), net)?;
        Ok(veto_net::feed::sync_policy(
            &settings,
            &self.state_dir,
            now,
            &net,
        ))
    }

    /// Sends the queued reports that are due. A failed send is in the summary; an invalid
    /// managed configuration (`bad_managed_config`) or an unusable queue (`io`, `bad_state`)
    /// is an error. `net` is asked for the transport only when `report_url` is set.
    pub fn flush_reports(
        &self,
        managed_config: &str,
        now: Timestamp,
        net: impl FnOnce() -> Result<Net>,
    ) -> Result<FlushSummary> {
        let settings = settings_of(managed_config)?;
        self.ensure_dir()?;
        let net = transport(settings.report_url.is_some(), net)?;
        veto_net::reporting::flush_reports(&settings, &self.state_dir, now, &net)
    }

    /// The policy this device enforces now, the warnings that explain it, and the feed and
    /// report settings ([`choice::choose_policy`]). Like a device, it remembers a valid
    /// configuration's policy as the last good one and moves damaged files aside: a tool that
    /// must not touch a device's directory runs it on a copy.
    pub fn choose_policy(&self, managed_config: &str) -> Result<choice::Choice> {
        choice::choose_policy(managed_config, &self.state_dir)
    }

    /// Creates the state directory on first use (the shell passes its files dir + a
    /// subdirectory).
    fn ensure_dir(&self) -> Result<()> {
        let dir = &self.state_dir;
        std::fs::create_dir_all(dir).map_err(|error| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "state directory {}: cannot create it: {error}",
                    dir.display()
                ),
            )
        })
    }
}

/// The feed and report settings of a managed configuration; any problem is an error of kind
/// `bad_managed_config` naming the key.
fn settings_of(managed_config: &str) -> Result<Settings> {
    settings_from_config(&parse_managed_config(managed_config)?)
}

/// The caller's transport when a URL `needed` it; otherwise one that `veto_net` will not use
/// (it makes no request without a URL) and that trusts no certificate authority, so it could not
/// reach anything anyway. So nothing about HTTPS, such as TLS not being set up, can fail a
/// device that uses no feed or reports.
fn transport(needed: bool, net: impl FnOnce() -> Result<Net>) -> Result<Net> {
    if needed {
        net()
    } else {
        Ok(Net::new(Tls::Roots(Vec::new())))
    }
}
