//! `veto simulate`: many devices on one host, running exactly the code phones run.
//!
//! Each simulated phone is a `veto_agent::Device` (its own state directory) with a work
//! profile drawn from the apps of tests/fixtures/sample-inventory.json, a role, and a virtual
//! clock. The simulator plays the Android shell: it sweeps (evaluate, carry out what the role
//! allows on the simulated profile, record the outcomes, flush the report queue through
//! veto-net's HTTPS client), and it plays the employee: installs apps, and sometimes removes a
//! barred app after the warning. Everything random comes from one seeded generator per device,
//! so a seed gives the same fleet and the same per-day table on every run, on any number of
//! threads. The table's JSON form (`--format json`, format `veto-simulate/1`) is documented in
//! docs/cli.md and is what the fleet server's tests compare against.

use crate::input::{read_text, Format};
use crate::{Fail, Outcome};
use clap::Args;
use serde::Serialize;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use veto_agent::Device;
use veto_core::report::apply_outcomes;
use veto_core::{
    Action, Capabilities, CompiledPolicy, Inventory, Outcome as ActionOutcome, OutcomeResult,
    Outcomes, Package, Plan, Policy, State, Status, Timestamp,
};
use veto_net::queue::ReportQueue;
use veto_net::{Net, Tls};

/// The apps the simulated work profiles are drawn from.
const POOL_JSON: &str = include_str!("../../../tests/fixtures/sample-inventory.json");
/// 2026-11-23T00:00:00Z: the default first simulated day (a fixed date keeps runs comparable).
const DEFAULT_START: &str = "2026-11-23T00:00:00Z";
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// The installer Android records for an APK opened from a browser or file manager.
const SIDELOAD_INSTALLER: &str = "com.google.android.packageinstaller";

#[derive(Args)]
pub(crate) struct SimulateArgs {
    /// How many devices.
    #[arg(long, value_name = "N")]
    devices: usize,
    /// How many simulated days.
    #[arg(long, value_name = "D")]
    days: u32,
    /// The seed: the same seed gives the same fleet and the same table.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Send reports to this HTTPS URL (report_url), through the real queue and client.
    #[arg(long, value_name = "URL")]
    report_url: Option<String>,
    /// Bearer token for reports (report_token).
    #[arg(long, value_name = "T", requires = "report_url")]
    report_token: Option<String>,
    /// Trust only this CA certificate (PEM or DER) for the report and feed servers
    /// (default: the operating system's trust store).
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Policy JSON document the devices get as policy_json (default: the built-in policy).
    #[arg(long, value_name = "FILE", conflicts_with = "policy_url")]
    policy: Option<PathBuf>,
    /// Signed policy feed the devices sync once a simulated day (policy_url).
    #[arg(long, value_name = "URL", requires = "policy_public_key")]
    policy_url: Option<String>,
    /// The feed's public key (policy_public_key).
    #[arg(long, value_name = "KEY", requires = "policy_url")]
    policy_public_key: Option<String>,
    /// Roles and their weights: profile-owner, affiliated-profile-owner, device-owner,
    /// delegate (with package access), none.
    #[arg(
        long,
        value_name = "ROLE=WEIGHT,...",
        default_value = "profile-owner=60,delegate=30,none=10"
    )]
    roles: String,
    /// Share of devices where the employee installs a barred app (0 to 1).
    #[arg(long, value_name = "SHARE", default_value = "0.3")]
    barred_share: String,
    /// Share of devices that get a renamed clone of a barred app (caught by its signer).
    #[arg(long, value_name = "SHARE", default_value = "0.05")]
    clone_share: String,
    /// Share of devices that get a sideloaded app (installer: the package installer).
    #[arg(long, value_name = "SHARE", default_value = "0.1")]
    sideload_share: String,
    /// Share of employees who remove a barred app themselves after the warning.
    #[arg(long, value_name = "SHARE", default_value = "0.5")]
    remove_share: String,
    /// Periodic sweeps per simulated day (a phone also sweeps on every package change).
    #[arg(long, value_name = "N", default_value_t = 1)]
    sweeps_per_day: u32,
    /// The first simulated day (RFC 3339).
    #[arg(long, value_name = "TIME", default_value = DEFAULT_START)]
    start: String,
    /// Keep the devices' state directories here (a new or empty folder), with fleet.json
    /// describing them. Default: a temporary folder on /dev/shm, removed afterwards.
    #[arg(long, value_name = "DIR")]
    state_root: Option<PathBuf>,
    /// Worker threads (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Output: a table for people, or JSON (format veto-simulate/1).
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// A small seeded generator (SplitMix64): enough for drawing a fleet, and no new crate.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        rng.next();
        rng
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, share: f64) -> bool {
        self.unit() < share
    }
    /// Uniform in [0, n); 0 when n is 0.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// The fixture's apps, sorted into what a simulated profile is made of.
struct Pool {
    /// Always in the profile (system apps and the DPC).
    base: Vec<Package>,
    /// Ordinary work apps from the Play Store.
    ordinary: Vec<Package>,
    /// Apps the built-in catalog bars by name.
    barred: Vec<Package>,
    /// A renamed copy of a barred app, caught by its signing certificate.
    clone: Option<Package>,
}

impl Pool {
    fn load() -> Result<Pool, Fail> {
        let inventory = Inventory::from_json(POOL_JSON)
            .map_err(|e| format!("the built-in package pool (sample-inventory.json): {e}"))?;
        let policy = CompiledPolicy::new(Policy::builtin());
        let owner = Capabilities::with_role(veto_core::Role::ProfileOwner);
        let mut pool = Pool {
            base: Vec::new(),
            ordinary: Vec::new(),
            barred: Vec::new(),
            clone: None,
        };
        for pkg in inventory.packages {
            let alone = Inventory {
                profile: "work".into(),
                captured_at: None,
                packages: vec![pkg.clone()],
            };
            let plan = veto_core::evaluate(
                &alone,
                &policy,
                &State::new(),
                &owner,
                Timestamp::from_millis(0),
            );
            let mut clean = pkg.clone();
            clean.suspended = false;
            clean.hidden = false;
            match plan.findings.first() {
                Some(f) if f.matches.iter().all(|m| m.matcher == "signer") => {
                    pool.clone = Some(clean);
                }
                Some(_) => pool.barred.push(clean),
                None if pkg.system || pkg.installer.is_none() => pool.base.push(clean),
                None if pkg.package.contains("clouddpc") => pool.base.push(clean),
                None => pool.ordinary.push(clean),
            }
        }
        if pool.barred.is_empty() || pool.ordinary.is_empty() {
            return Err("the built-in package pool has no barred or no ordinary apps".into());
        }
        Ok(pool)
    }
}

/// The shares and weights that shape the fleet.
struct Mix {
    roles: Vec<(String, Capabilities, u64)>,
    barred: f64,
    clone: f64,
    sideload: f64,
    remove: f64,
}

fn share(value: &str, option: &str) -> Result<f64, Fail> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| (0.0..=1.0).contains(s))
        .ok_or_else(|| {
            Fail(format!(
                "{option}: expected a share between 0 and 1 (such as 0.25), found {value:?}"
            ))
        })
}

fn parse_roles(spec: &str) -> Result<Vec<(String, Capabilities, u64)>, Fail> {
    let mut roles = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part.split_once('=').ok_or_else(|| {
            Fail(format!(
                "--roles: expected ROLE=WEIGHT (such as profile-owner=60), found {part:?}"
            ))
        })?;
        let name = name.trim();
        let list = match name {
            "delegate" => "delegate:package-access",
            other => other,
        };
        let caps = match name {
            "profile-owner" | "affiliated-profile-owner" | "device-owner" | "delegate"
            | "none" => Capabilities::from_cli_list(list).map_err(|e| Fail(e.to_string()))?,
            _ => {
                return Err(Fail(format!(
                    "--roles: unknown role {name:?}; use profile-owner, affiliated-profile-owner, device-owner, delegate or none"
                )))
            }
        };
        let weight: u64 = weight.trim().parse().map_err(|_| {
            Fail(format!(
                "--roles: {name}: expected a whole number as weight, found {:?}",
                weight.trim()
            ))
        })?;
        if roles.iter().any(|(n, _, _)| n == name) {
            return Err(Fail(format!("--roles: {name} is given twice")));
        }
        roles.push((name.to_string(), caps, weight));
    }
    if roles.iter().map(|(_, _, w)| w).sum::<u64>() == 0 {
        return Err(Fail(format!(
            "--roles: the weights add up to 0 in {spec:?}; give at least one role a weight"
        )));
    }
    Ok(roles)
}

/// Something that happens on a phone at a moment of the simulated day.
#[derive(Debug, Clone, PartialEq)]
enum Event {
    /// The periodic sweep (JobScheduler); the first of the day also syncs the feed.
    Periodic { sync: bool },
    /// The employee installs an app (the package-added broadcast starts a sweep).
    Install(Package),
    /// The employee removes an app (the package-removed broadcast starts a sweep).
    Remove(String),
}

/// One simulated phone.
struct Phone {
    name: String,
    role: String,
    device: Device,
    caps: Capabilities,
    config: String,
    rng: Rng,
    packages: Vec<Package>,
    /// Installs to come: (day, package).
    installs: Vec<(u32, Package)>,
    /// Whether the employee removes a barred app this many days after its warning.
    removes_after: Option<u32>,
    /// Barred packages and the day the employee will remove them.
    removals: Vec<(u32, String)>,
    /// The last plan of the day, with the outcomes applied (what a report says).
    last: Option<Plan>,
}

/// What a phone did in one day.
#[derive(Debug, Default, Clone, Copy)]
struct DayCounts {
    sweeps: usize,
    removed_by_employee: usize,
    uninstalled_by_veto: usize,
    reports_queued: usize,
    reports_sent: usize,
    send_failures: usize,
    actions_done: usize,
    actions_failed: usize,
}

/// The fleet's state at the end of one simulated day; `docs/cli.md` documents each field.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
struct DayRow {
    day: u32,
    date: String,
    compliant: usize,
    non_compliant: usize,
    past_deadline: usize,
    findings: usize,
    warned: usize,
    suspended: usize,
    hidden: usize,
    failed: usize,
    installed_barred: usize,
    removed_by_employee: usize,
    uninstalled_by_veto: usize,
    actions_done: usize,
    actions_failed: usize,
    sweeps: usize,
    reports_queued: usize,
    reports_sent: usize,
    send_failures: usize,
    reports_waiting: usize,
}

struct Context<'a> {
    start: Timestamp,
    net: Option<&'a Net>,
    syncs: bool,
    reports: bool,
}

impl Phone {
    fn sweep(
        &mut self,
        now: Timestamp,
        sync: bool,
        ctx: &Context<'_>,
        counts: &mut DayCounts,
    ) -> Result<(), String> {
        let net = || {
            ctx.net
                .cloned()
                .ok_or_else(|| veto_core::Error::new(veto_core::ErrorKind::Internal, "no network"))
        };
        if sync && ctx.syncs {
            // A failed sync is in its report, not an error: the device keeps its last policy.
            self.device
                .sync_policy(&self.config, now, net)
                .map_err(|e| format!("sync: {e}"))?;
        }
        let inventory = Inventory {
            profile: "work".into(),
            captured_at: Some(now),
            packages: self.packages.clone(),
        };
        let evaluation = self
            .device
            .evaluate(&inventory, &self.config, &self.caps, now)
            .map_err(|e| format!("evaluate: {e}"))?;
        counts.sweeps += 1;
        let mut plan = evaluation.plan;
        let mut outcomes = Vec::new();
        let mut uninstalled = false;
        for planned in &plan.actions {
            let (result, detail) = if self.caps.allows(planned.action) {
                uninstalled |= self.apply(&planned.package, planned.action);
                counts.actions_done += 1;
                (OutcomeResult::Done, None)
            } else {
                counts.actions_failed += 1;
                (
                    OutcomeResult::Failed,
                    Some(format!(
                        "{} is not allowed for {}",
                        planned.action.name(),
                        self.caps.describe()
                    )),
                )
            };
            outcomes.push(ActionOutcome {
                package: planned.package.clone(),
                action: planned.action,
                result,
                detail,
            });
        }
        let outcomes = Outcomes { outcomes };
        let recorded = self
            .device
            .record(&outcomes, now.plus_millis(1_000))
            .map_err(|e| format!("record: {e}"))?;
        if recorded.report.is_some() {
            counts.reports_queued += 1;
        }
        if ctx.reports {
            let flushed = self
                .device
                .flush_reports(&self.config, now.plus_millis(2_000), net)
                .map_err(|e| format!("flush: {e}"))?;
            counts.reports_sent += flushed.sent.len();
            counts.send_failures += usize::from(flushed.failed.is_some());
        }
        apply_outcomes(&mut plan, &outcomes);
        self.last = Some(plan);
        if uninstalled {
            // The package-removed broadcast starts another sweep at once.
            counts.uninstalled_by_veto += 1;
            self.sweep(now.plus_millis(5_000), false, ctx, counts)?;
        }
        Ok(())
    }

    /// Carries out one allowed action on the simulated profile; true when it removed an app.
    fn apply(&mut self, package: &str, action: Action) -> bool {
        let Some(pkg) = self.packages.iter_mut().find(|p| p.package == package) else {
            return false;
        };
        match action {
            Action::Suspend => pkg.suspended = true,
            Action::Hide => pkg.hidden = true,
            Action::Unsuspend => pkg.suspended = false,
            Action::Unhide => pkg.hidden = false,
            Action::Uninstall => {
                self.packages.retain(|p| p.package != package);
                return true;
            }
            Action::Warn | Action::Report => {}
        }
        false
    }

    /// Plays one simulated day; returns what happened.
    fn run_day(
        &mut self,
        day: u32,
        sweeps_per_day: u32,
        ctx: &Context<'_>,
    ) -> Result<(DayCounts, usize), String> {
        let mut counts = DayCounts::default();
        let day_start = ctx.start.millis() + i64::from(day) * DAY_MS;
        let mut events: Vec<(i64, Event)> = Vec::new();
        // Periodic sweeps, from a per-device time in the morning, evenly over the day.
        let first = 6 * HOUR_MS + self.rng.below(4 * HOUR_MS as u64) as i64;
        let every = DAY_MS / i64::from(sweeps_per_day.max(1));
        for k in 0..i64::from(sweeps_per_day.max(1)) {
            let at = (first + k * every) % DAY_MS;
            events.push((at, Event::Periodic { sync: k == 0 }));
        }
        let mut installed_barred = 0;
        for (_, pkg) in self.installs.iter().filter(|(d, _)| *d == day) {
            let at = 9 * HOUR_MS + self.rng.below(9 * HOUR_MS as u64) as i64;
            events.push((at, Event::Install(pkg.clone())));
        }
        self.installs.retain(|(d, _)| *d != day);
        for (_, name) in self.removals.iter().filter(|(d, _)| *d == day) {
            let at = 12 * HOUR_MS + self.rng.below(8 * HOUR_MS as u64) as i64;
            events.push((at, Event::Remove(name.clone())));
        }
        self.removals.retain(|(d, _)| *d != day);
        events.sort_by_key(|(at, _)| *at);
        for (at, event) in events {
            let now = Timestamp::from_millis(day_start + at);
            let sync = match event {
                Event::Periodic { sync } => sync,
                Event::Install(pkg) => {
                    let barred_before = self.findings_now();
                    self.packages.retain(|p| p.package != pkg.package);
                    self.packages.push(pkg);
                    self.sweep(now, false, ctx, &mut counts)?;
                    let barred_after = self.findings_now();
                    if barred_after.len() > barred_before.len() {
                        installed_barred += 1;
                    }
                    self.schedule_removals(day, &barred_before);
                    continue;
                }
                Event::Remove(name) => {
                    if self.packages.iter().any(|p| p.package == name) {
                        self.packages.retain(|p| p.package != name);
                        counts.removed_by_employee += 1;
                        self.sweep(now, false, ctx, &mut counts)?;
                    }
                    continue;
                }
            };
            let before = self.findings_now();
            self.sweep(now, sync, ctx, &mut counts)?;
            self.schedule_removals(day, &before);
        }
        Ok((counts, installed_barred))
    }

    fn findings_now(&self) -> Vec<String> {
        self.last
            .as_ref()
            .map(|p| p.findings.iter().map(|f| f.package.clone()).collect())
            .unwrap_or_default()
    }

    /// An employee who removes barred apps does so some days after each new warning.
    fn schedule_removals(&mut self, day: u32, before: &[String]) {
        let Some(after) = self.removes_after else {
            return;
        };
        for name in self.findings_now() {
            let warned = self
                .last
                .as_ref()
                .and_then(|p| p.finding(&name))
                .is_some_and(|f| f.in_effect.contains(&Action::Warn));
            if warned && !before.contains(&name) && !self.removals.iter().any(|(_, n)| *n == name) {
                self.removals.push((day + after, name));
            }
        }
    }

    /// Adds this phone's end-of-day view to `row`.
    fn tally(&self, row: &mut DayRow, now: Timestamp) {
        let Some(plan) = &self.last else {
            row.compliant += 1;
            return;
        };
        if plan.findings.is_empty() {
            row.compliant += 1;
            return;
        }
        row.non_compliant += 1;
        row.findings += plan.findings.len();
        if plan.findings.iter().any(|f| f.deadline <= now) {
            row.past_deadline += 1;
        }
        for f in &plan.findings {
            let strongest = f.in_effect.iter().max();
            match strongest {
                Some(Action::Hide | Action::Uninstall) => row.hidden += 1,
                Some(Action::Suspend) => row.suspended += 1,
                Some(Action::Warn) => row.warned += 1,
                _ => {}
            }
            if f.status == Status::Failed {
                row.failed += 1;
            }
        }
    }
}

/// Makes the fleet: each phone's role, profile and fate, from its own generator.
fn make_fleet(
    args: &SimulateArgs,
    mix: &Mix,
    pool: &Pool,
    root: &Path,
    base_config: &serde_json::Map<String, serde_json::Value>,
) -> Vec<Phone> {
    let total_weight: u64 = mix.roles.iter().map(|(_, _, w)| w).sum();
    let last_install_day = (args.days.saturating_mul(2) / 3).max(1);
    const WORDS: [&str; 8] = [
        "tok", "clip", "lite", "vid", "pro", "fast", "dance", "short",
    ];
    (0..args.devices)
        .map(|i| {
            let name = format!("device-{:05}", i + 1);
            let mut rng = Rng::new(args.seed, i as u64 + 1);
            let mut pick = rng.below(total_weight);
            let (role, caps) = mix
                .roles
                .iter()
                .find(|(_, _, w)| {
                    if pick < *w {
                        true
                    } else {
                        pick -= w;
                        false
                    }
                })
                .map(|(n, c, _)| (n.clone(), c.clone()))
                .unwrap_or_else(|| (mix.roles[0].0.clone(), mix.roles[0].1.clone()));
            let mut packages = pool.base.clone();
            let mut ordinary = pool.ordinary.clone();
            let start_apps = 3 + rng.below(4) as usize;
            for _ in 0..start_apps.min(ordinary.len()) {
                let k = rng.below(ordinary.len() as u64) as usize;
                packages.push(ordinary.swap_remove(k));
            }
            let mut installs = Vec::new();
            // Later installs of ordinary apps, about one a fortnight.
            for day in 0..args.days {
                if !ordinary.is_empty() && rng.chance(1.0 / 14.0) {
                    let k = rng.below(ordinary.len() as u64) as usize;
                    installs.push((day, ordinary.swap_remove(k)));
                }
            }
            if rng.chance(mix.barred) {
                let pkg = pool.barred[rng.below(pool.barred.len() as u64) as usize].clone();
                // Half of them were there before Veto came; the rest arrive later.
                let day = if rng.chance(0.5) {
                    0
                } else {
                    rng.below(u64::from(last_install_day)) as u32
                };
                installs.push((day, pkg));
            }
            if let Some(template) = pool.clone.as_ref().filter(|_| rng.chance(mix.clone)) {
                let mut pkg = template.clone();
                let a = WORDS[rng.below(WORDS.len() as u64) as usize];
                let b = WORDS[rng.below(WORDS.len() as u64) as usize];
                pkg.package = format!("com.{a}.{b}{}", rng.below(100));
                pkg.installer = Some(SIDELOAD_INSTALLER.into());
                installs.push((rng.below(u64::from(last_install_day)) as u32, pkg));
            }
            if rng.chance(mix.sideload) {
                let mut pkg = pool.ordinary[rng.below(pool.ordinary.len() as u64) as usize].clone();
                pkg.installer = Some(SIDELOAD_INSTALLER.into());
                installs.push((rng.below(u64::from(last_install_day)) as u32, pkg));
            }
            let removes_after = rng.chance(mix.remove).then(|| 1 + rng.below(20) as u32);
            let mut config = base_config.clone();
            config.insert("device_id".into(), serde_json::Value::from(name.clone()));
            Phone {
                device: Device::new(root.join(&name)),
                name,
                role,
                caps,
                config: serde_json::Value::Object(config).to_string(),
                rng,
                packages,
                installs,
                removes_after,
                removals: Vec::new(),
                last: None,
            }
        })
        .collect()
}

/// Reads a CA certificate, PEM or DER.
fn read_ca(path: &Path) -> Result<Vec<u8>, Fail> {
    use base64::Engine as _;
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("--ca-file {shown}: no such file"),
        _ => format!("--ca-file {shown}: cannot read: {e}"),
    })?;
    let Some(text) = std::str::from_utf8(&bytes)
        .ok()
        .filter(|t| t.contains("-----BEGIN CERTIFICATE-----"))
    else {
        // DER: a certificate is an ASN.1 SEQUENCE.
        if bytes.first() == Some(&0x30) {
            return Ok(bytes);
        }
        return Err(format!(
            "--ca-file {shown}: neither a PEM certificate (-----BEGIN CERTIFICATE-----) nor a DER one"
        )
        .into());
    };
    let body: String = text
        .split("-----BEGIN CERTIFICATE-----")
        .nth(1)
        .and_then(|rest| rest.split("-----END CERTIFICATE-----").next())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| {
            Fail(format!(
                "--ca-file {shown}: the PEM certificate is not valid base64: {e}"
            ))
        })
}

/// Where the devices' state directories go, and whether to remove them afterwards.
fn state_root(given: Option<&Path>) -> Result<(PathBuf, bool), Fail> {
    if let Some(dir) = given {
        let shown = dir.display();
        if dir.is_file() {
            return Err(format!("--state-root {shown}: is a file, not a folder").into());
        }
        if dir.is_dir() {
            let mut entries = std::fs::read_dir(dir)
                .map_err(|e| format!("--state-root {shown}: cannot read: {e}"))?;
            if entries.next().is_some() {
                return Err(format!(
                    "--state-root {shown}: not empty; give a new or empty folder (the simulated devices start from nothing)"
                )
                .into());
            }
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("--state-root {shown}: cannot create it: {e}"))?;
        return Ok((dir.to_path_buf(), false));
    }
    // tmpfs: the agent fsyncs every file it writes, which costs nothing there.
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = base.join(format!("veto-simulate-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the state folder {}: {e}", dir.display()))?;
    Ok((dir, true))
}

/// The JSON document of `--format json` (format `veto-simulate/1`).
#[derive(Serialize)]
struct Summary<'a> {
    format: &'static str,
    seed: u64,
    devices: usize,
    days: u32,
    start: Timestamp,
    policy: String,
    report_url: Option<&'a str>,
    roles: serde_json::Map<String, serde_json::Value>,
    per_day: &'a [DayRow],
}

pub(crate) fn simulate(args: SimulateArgs) -> Outcome {
    if args.devices == 0 {
        return Err("--devices: give at least 1 device".into());
    }
    if args.days == 0 {
        return Err("--days: give at least 1 day".into());
    }
    if args.sweeps_per_day == 0 || args.sweeps_per_day > 96 {
        return Err(format!(
            "--sweeps-per-day: expected 1 to 96 (one every 15 minutes), found {}",
            args.sweeps_per_day
        )
        .into());
    }
    if args.jobs == Some(0) {
        return Err("--jobs: give at least 1 thread".into());
    }
    let start = Timestamp::parse_rfc3339(&args.start).ok_or_else(|| {
        Fail(format!(
            "--start: expected an RFC 3339 time like {DEFAULT_START}, found {:?}",
            args.start
        ))
    })?;
    let mix = Mix {
        roles: parse_roles(&args.roles)?,
        barred: share(&args.barred_share, "--barred-share")?,
        clone: share(&args.clone_share, "--clone-share")?,
        sideload: share(&args.sideload_share, "--sideload-share")?,
        remove: share(&args.remove_share, "--remove-share")?,
    };
    // The managed configuration every device gets (plus its own device_id).
    let mut config = serde_json::Map::new();
    let mut policy_name = "built-in policy".to_string();
    if let Some(path) = &args.policy {
        let text = read_text(path, "--policy")?;
        let policy = Policy::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        config.insert("policy_json".into(), text.into());
        policy_name = format!("policy {} (version {})", path.display(), policy.version);
    }
    if let Some(url) = &args.policy_url {
        veto_net::http::require_https(url, "--policy-url").map_err(|e| e.message().to_string())?;
        let key = args.policy_public_key.clone().unwrap_or_default();
        veto_net::keys::parse_public_key(&key, "--policy-public-key")
            .map_err(|e| e.message().to_string())?;
        config.insert("policy_url".into(), url.clone().into());
        config.insert("policy_public_key".into(), key.into());
        policy_name = format!("signed feed {url}");
    }
    if let Some(url) = &args.report_url {
        veto_net::http::require_https(url, "--report-url").map_err(|e| e.message().to_string())?;
        config.insert("report_url".into(), url.clone().into());
        if let Some(token) = &args.report_token {
            config.insert("report_token".into(), token.clone().into());
        }
    }
    let tls = match &args.ca_file {
        Some(path) => Tls::Roots(vec![read_ca(path)?]),
        None => Tls::Platform,
    };
    let net = Net::new(tls);
    let pool = Pool::load()?;
    let (root, remove_after) = state_root(args.state_root.as_deref())?;
    let result = run(&args, &mix, &pool, &root, &config, &net, start);
    if remove_after {
        let _ = std::fs::remove_dir_all(&root);
    }
    let (rows, phones) = result?;
    if !remove_after {
        write_manifest(&root, &phones)?;
    }
    let mut roles = serde_json::Map::new();
    for (name, _, _) in &mix.roles {
        let n = phones.iter().filter(|p| p.role == *name).count();
        roles.insert(name.clone(), n.into());
    }
    let summary = Summary {
        format: "veto-simulate/1",
        seed: args.seed,
        devices: args.devices,
        days: args.days,
        start,
        policy: policy_name,
        report_url: args.report_url.as_deref(),
        roles,
        per_day: &rows,
    };
    match args.format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&summary)
                .map_err(|e| format!("cannot write the table as JSON: {e}"))?;
            println!("{json}");
        }
        Format::Table => print!("{}", table(&summary)),
    }
    Ok(0)
}

fn table(s: &Summary<'_>) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let roles: Vec<String> = s
        .roles
        .iter()
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
    let _ = writeln!(
        out,
        "{} devices ({}), {} days from {}, seed {}, {}",
        s.devices,
        roles.join(", "),
        s.days,
        s.start.to_date(),
        s.seed,
        s.policy
    );
    let reports = s.report_url.is_some();
    let _ = write!(
        out,
        "{:>4} {:<10} {:>9} {:>8} {:>6} {:>8} {:>6} {:>9} {:>6} {:>6} {:>7} {:>11}",
        "day",
        "date",
        "compliant",
        "barred",
        "late",
        "findings",
        "warned",
        "suspended",
        "hidden",
        "failed",
        "removed",
        "uninstalled"
    );
    if reports {
        let _ = write!(out, " {:>6} {:>4} {:>7}", "queued", "sent", "waiting");
    }
    out.push('\n');
    for r in s.per_day {
        let _ = write!(
            out,
            "{:>4} {:<10} {:>9} {:>8} {:>6} {:>8} {:>6} {:>9} {:>6} {:>6} {:>7} {:>11}",
            r.day,
            r.date,
            r.compliant,
            r.non_compliant,
            r.past_deadline,
            r.findings,
            r.warned,
            r.suspended,
            r.hidden,
            r.failed,
            r.removed_by_employee,
            r.uninstalled_by_veto
        );
        if reports {
            let _ = write!(
                out,
                " {:>6} {:>4} {:>7}",
                r.reports_queued, r.reports_sent, r.reports_waiting
            );
        }
        out.push('\n');
    }
    out
}

type Ran = (Vec<DayRow>, Vec<Phone>);

fn run(
    args: &SimulateArgs,
    mix: &Mix,
    pool: &Pool,
    root: &Path,
    config: &serde_json::Map<String, serde_json::Value>,
    net: &Net,
    start: Timestamp,
) -> Result<Ran, Fail> {
    let mut phones = make_fleet(args, mix, pool, root, config);
    let ctx = Context {
        start,
        net: Some(net),
        syncs: args.policy_url.is_some(),
        reports: args.report_url.is_some(),
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, args.devices);
    let chunk = args.devices.div_ceil(jobs);
    let progress = std::io::stderr().is_terminal();
    let began = std::time::Instant::now();
    let mut rows = Vec::new();
    for day in 0..args.days {
        let end_of_day = Timestamp::from_millis(start.millis() + i64::from(day + 1) * DAY_MS - 1);
        let results: Vec<Result<(DayRow, DayCounts), String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = phones
                .chunks_mut(chunk)
                .map(|part| {
                    let ctx = &ctx;
                    scope.spawn(move || {
                        let mut row = DayRow::default();
                        let mut total = DayCounts::default();
                        for phone in part {
                            let (c, barred) = phone
                                .run_day(day, args.sweeps_per_day, ctx)
                                .map_err(|e| format!("{}: {e}", phone.name))?;
                            phone.tally(&mut row, end_of_day);
                            row.installed_barred += barred;
                            add(&mut total, &c);
                            if ctx.reports {
                                row.reports_waiting += ReportQueue::new(phone.device.state_dir())
                                    .entries()
                                    .map_err(|e| format!("{}: report queue: {e}", phone.name))?
                                    .len();
                            }
                        }
                        Ok((row, total))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("a simulation thread panicked".into()))
                })
                .collect()
        });
        let mut row = DayRow {
            day: day + 1,
            date: Timestamp::from_millis(start.millis() + i64::from(day) * DAY_MS).to_date(),
            ..DayRow::default()
        };
        for result in results {
            let (part, c) = result?;
            merge(&mut row, &part, &c);
        }
        rows.push(row);
        if progress {
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "\rveto simulate: day {}/{} ({} devices, {:.1} s)",
                day + 1,
                args.days,
                args.devices,
                began.elapsed().as_secs_f64()
            );
            let _ = err.flush();
        }
    }
    if progress {
        eprintln!();
    }
    Ok((rows, phones))
}

fn add(total: &mut DayCounts, c: &DayCounts) {
    total.sweeps += c.sweeps;
    total.removed_by_employee += c.removed_by_employee;
    total.uninstalled_by_veto += c.uninstalled_by_veto;
    total.reports_queued += c.reports_queued;
    total.reports_sent += c.reports_sent;
    total.send_failures += c.send_failures;
    total.actions_done += c.actions_done;
    total.actions_failed += c.actions_failed;
}

fn merge(row: &mut DayRow, part: &DayRow, c: &DayCounts) {
    row.compliant += part.compliant;
    row.non_compliant += part.non_compliant;
    row.past_deadline += part.past_deadline;
    row.findings += part.findings;
    row.warned += part.warned;
    row.suspended += part.suspended;
    row.hidden += part.hidden;
    row.failed += part.failed;
    row.installed_barred += part.installed_barred;
    row.reports_waiting += part.reports_waiting;
    row.removed_by_employee += c.removed_by_employee;
    row.uninstalled_by_veto += c.uninstalled_by_veto;
    row.actions_done += c.actions_done;
    row.actions_failed += c.actions_failed;
    row.sweeps += c.sweeps;
    row.reports_queued += c.reports_queued;
    row.reports_sent += c.reports_sent;
    row.send_failures += c.send_failures;
}

/// `<root>/fleet.json` and, per device, its managed configuration and its simulated work
/// profile at the end, so that `veto device` can be pointed at any of them.
fn write_manifest(root: &Path, phones: &[Phone]) -> Result<(), Fail> {
    let mut devices = Vec::new();
    for phone in phones {
        let config_file = format!("{}.config.json", phone.name);
        let inventory_file = format!("{}.inventory.json", phone.name);
        let inventory = Inventory {
            profile: "work".into(),
            captured_at: None,
            packages: phone.packages.clone(),
        };
        let inventory_json = serde_json::to_string_pretty(&inventory)
            .map_err(|e| format!("{}: cannot write the inventory: {e}", phone.name))?;
        // The report token is a secret: it is not written to disk (nothing `veto device`
        // shows depends on it).
        let mut config: serde_json::Value =
            serde_json::from_str(&phone.config).map_err(|e| format!("{}: {e}", phone.name))?;
        if let Some(map) = config.as_object_mut() {
            map.remove("report_token");
        }
        veto_store::write_atomic(&root.join(&config_file), config.to_string().as_bytes())
            .map_err(|e| e.to_string())?;
        veto_store::write_atomic(&root.join(&inventory_file), inventory_json.as_bytes())
            .map_err(|e| e.to_string())?;
        let role_list = match phone.role.as_str() {
            "delegate" => "delegate:package-access",
            other => other,
        };
        devices.push(serde_json::json!({
            "device": phone.name,
            "role": phone.role,
            "capabilities": role_list,
            "state_dir": phone.name,
            "managed_config": config_file,
            "inventory": inventory_file,
        }));
    }
    let manifest = serde_json::json!({"format": "veto-simulate-fleet/1", "devices": devices});
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| format!("cannot write fleet.json: {e}"))?;
    veto_store::write_atomic(&root.join("fleet.json"), text.as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(())
}
