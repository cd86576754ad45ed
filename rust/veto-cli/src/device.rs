//! `veto device --state-dir DIR`: what a device with that state would enforce now, and why.
//!
//! Runs the agent's own code (`veto_agent::Device`: the policy choice, the state with its
//! backup, the write-ahead reconciliation, the engine) on a copy of the directory, so the
//! device's files are never touched: the agent remembers policies and moves damaged files
//! aside as it goes, which a look at a device must not do.

use crate::input::{capabilities, parse_now, read_text, CapabilityArg, Format};
use crate::{render, Fail, Outcome};
use clap::Args;
use std::path::{Path, PathBuf};
use veto_agent::choice::LAST_GOOD_POLICY_FILE;
use veto_agent::Device;
use veto_core::codes::{BAD_FEED_STATE, BAD_MANAGED_CONFIG, FEED_PENDING};
use veto_core::{Action, Inventory, OutcomeResult, Package, State, Timestamp};

#[derive(Args)]
pub(crate) struct DeviceArgs {
    /// The device's state directory (the app's stateDir, or one `veto simulate
    /// --state-root` kept).
    #[arg(long, value_name = "DIR")]
    state_dir: PathBuf,
    /// The managed configuration the device has (flat JSON, as the shell passes it).
    /// Default: the device keeps its last good policy.
    #[arg(long, value_name = "FILE")]
    managed_config: Option<PathBuf>,
    /// The work profile's inventory. Default: the packages the state remembers, assumed
    /// still installed, with the flags Veto set.
    #[arg(long, value_name = "FILE")]
    inventory: Option<PathBuf>,
    #[command(flatten)]
    caps: CapabilityArg,
    /// Evaluate as of this time (RFC 3339 or +Nd; default: now).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    now: Option<String>,
    /// Output: a report for people, or JSON.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// A temporary copy of a directory, removed when dropped.
struct Copy(PathBuf);

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), Fail> {
    let entries =
        std::fs::read_dir(from).map_err(|e| format!("{}: cannot read: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: cannot read: {e}", from.display()))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else if path.is_file() {
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
            veto_store::write_atomic(&target, &bytes).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Checks that `dir` is a state directory and copies it to a fresh temporary folder.
fn copy_state_dir(dir: &Path) -> Result<Copy, Fail> {
    let shown = dir.display();
    if !dir.exists() {
        return Err(format!("--state-dir {shown}: no such folder").into());
    }
    if !dir.is_dir() {
        return Err(format!("--state-dir {shown}: is a file, not a folder").into());
    }
    if !dir.join("state.json").exists() && !dir.join("state.json.bak").exists() {
        return Err(format!(
            "--state-dir {shown}: no state.json: not a Veto state directory, or the device has not swept yet"
        )
        .into());
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let copy =
        Copy(std::env::temp_dir().join(format!("veto-device-{}-{nanos}", std::process::id())));
    copy_dir(dir, &copy.0)?;
    Ok(copy)
}

/// The state as the device would load it (state.json, or its backup when state.json is
/// damaged or missing), read without touching anything; an error naming what is damaged
/// when neither is usable (a device would start its grace periods again).
fn load_state(original: &Path) -> Result<State, Fail> {
    let read = |name: &str| -> Option<Result<State, String>> {
        let path = original.join(name);
        if !path.exists() {
            return None;
        }
        Some(match std::fs::read_to_string(&path) {
            Ok(text) => State::from_json(&text).map_err(|e| e.message().to_string()),
            Err(e) => Err(format!("cannot read: {e}")),
        })
    };
    let problem = match read("state.json") {
        Some(Ok(state)) => return Ok(state),
        Some(Err(problem)) => problem,
        None => "missing".to_string(),
    };
    match read("state.json.bak") {
        Some(Ok(state)) => Ok(state),
        backup => Err(format!(
            "--state-dir {}: damaged state: state.json: {problem}; {}: the device starts counting grace periods again from now",
            original.display(),
            match backup {
                Some(Err(why)) => format!("its backup state.json.bak too: {why}"),
                _ => "no backup (state.json.bak)".to_string(),
            }
        )
        .into()),
    }
}

/// The remembered packages as an inventory: each assumed still installed (unless Veto
/// uninstalled it), with the flags Veto set on it.
fn remembered_inventory(state: &State) -> Inventory {
    let done = |p: &veto_core::state::PackageState, a: Action| {
        p.applied
            .get(&a)
            .is_some_and(|x| x.result == OutcomeResult::Done)
    };
    Inventory {
        profile: "work".into(),
        captured_at: None,
        packages: state
            .packages
            .iter()
            .filter(|(_, p)| !done(p, Action::Uninstall))
            .map(|(name, p)| {
                let mut pkg = Package::named(name);
                pkg.suspended = done(p, Action::Suspend);
                pkg.hidden = done(p, Action::Hide);
                pkg
            })
            .collect(),
    }
}

pub(crate) fn device(args: DeviceArgs) -> Outcome {
    let caps = capabilities(&args.caps.capabilities)?;
    let now: Timestamp = parse_now(args.now.as_deref())?;
    let config_text = match &args.managed_config {
        Some(path) => {
            let text = read_text(path, "--managed-config")?;
            veto_core::parse_managed_config(&text)
                .map_err(|e| format!("--managed-config {}: {e}", path.display()))?;
            Some(text)
        }
        None => None,
    };
    let inventory = match &args.inventory {
        Some(path) => {
            let text = read_text(path, "--inventory")?;
            Some(Inventory::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    let original = args.state_dir.as_path();
    let copy = copy_state_dir(original)?;
    let state = load_state(original)?;
    // Without a configuration the device goes on with the policy it last built.
    let last_good = std::fs::read_to_string(copy.0.join(LAST_GOOD_POLICY_FILE)).ok();
    let (config, source) = match (&config_text, &last_good) {
        (Some(text), _) => (text.clone(), None),
        (None, Some(policy)) => (
            serde_json::json!({ "policy_json": policy }).to_string(),
            Some(format!(
                "the last good policy ({})",
                original.join(LAST_GOOD_POLICY_FILE).display()
            )),
        ),
        (None, None) => ("{}".to_string(), Some("the built-in policy".to_string())),
    };
    let agent = Device::new(&copy.0);
    let choice = agent
        .choose_policy(&config)
        .map_err(|e| format!("{}: {e}", original.display()))?;
    let feed = veto_net::feed::last_good(&copy.0).ok().flatten();
    // Messages name the device's own directory, not the copy they were made in.
    let in_original = |text: &str| {
        text.replace(
            &copy.0.display().to_string(),
            &original.display().to_string(),
        )
    };
    let source =
        source.unwrap_or_else(|| in_original(&policy_source(&choice, &config, feed.as_ref())));
    let remembered = state.packages.len();
    let (inventory, inventory_name) = match inventory {
        Some(inv) => (
            inv,
            args.inventory
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        ),
        None => (
            remembered_inventory(&state),
            format!(
                "reconstructed from the state ({remembered} remembered package{}, assumed still installed)",
                if remembered == 1 { "" } else { "s" }
            ),
        ),
    };
    let evaluation = agent
        .evaluate(&inventory, &config, &caps, now)
        .map_err(|e| format!("{}: {e}", original.display()))?;
    let plan = evaluation.plan;
    let queued = veto_net::queue::ReportQueue::new(&copy.0)
        .entries()
        .map(|e| e.len())
        .unwrap_or(0);
    let warnings: Vec<veto_core::Warning> = plan
        .warnings
        .iter()
        .cloned()
        .map(|mut w| {
            w.message = in_original(&w.message);
            w
        })
        .collect();
    let policy = &choice.policy;
    match args.format {
        Format::Json => {
            let out = serde_json::json!({
                "state_dir": original.display().to_string(),
                "now": now,
                "capabilities": caps,
                "policy": {
                    "source": source,
                    "version": policy.version,
                    "mode": plan.policy.mode,
                    "ladder": policy.enforcement.iter().map(|s| serde_json::json!({"action": s.action, "after_days": s.after_days})).collect::<Vec<_>>(),
                    "expires": policy.expires,
                },
                "feed": feed.as_ref().map(|f| serde_json::json!({"url": f.url, "version": f.version, "fetched_at": f.fetched_at, "key_id": f.key_id})),
                "inventory": inventory_name,
                "remembered": state.packages,
                "reports_queued": queued,
                "compliant": plan.compliant,
                "findings": plan.findings,
                "actions": plan.actions,
                "reversals": plan.reversals,
                "warnings": warnings,
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        Format::Table => {
            use std::fmt::Write as _;
            let mut out = String::new();
            let _ = writeln!(out, "state dir:   {}", original.display());
            let _ = writeln!(out, "now:         {now}");
            let _ = writeln!(out, "policy:      {source}");
            let _ = writeln!(
                out,
                "             version {}, {}",
                policy.version,
                match plan.policy.mode {
                    veto_core::Mode::Denylist => "denylist",
                    veto_core::Mode::Allowlist => "allowlist",
                }
            );
            let _ = writeln!(
                out,
                "ladder:      {}",
                render::ladder_in_words(&policy.enforcement)
            );
            let _ = writeln!(out, "role:        {}", caps.describe());
            if let Some(f) = &feed {
                let _ = writeln!(
                    out,
                    "feed:        version {} from {}, fetched {}",
                    f.version, f.url, f.fetched_at
                );
            }
            let _ = writeln!(out, "inventory:   {inventory_name}");
            let _ = writeln!(out, "reports:     {queued} queued");
            if plan.findings.is_empty() {
                let _ = writeln!(out, "findings:    none: compliant");
            } else {
                let _ = writeln!(out, "findings:    {}", plan.findings.len());
            }
            for f in &plan.findings {
                let in_effect: Vec<&str> = f.in_effect.iter().map(|a| a.name()).collect();
                let _ = writeln!(out, "  {}", f.package);
                let _ = writeln!(out, "    rules:      {}", f.rules.join(", "));
                let _ = writeln!(out, "    first seen: {}", f.first_seen);
                let _ = writeln!(
                    out,
                    "    step:       {} ({})",
                    f.step.name(),
                    serde_json::to_value(f.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                );
                let _ = writeln!(
                    out,
                    "    in effect:  {}",
                    if in_effect.is_empty() {
                        "nothing".to_string()
                    } else {
                        in_effect.join(", ")
                    }
                );
                match &f.next {
                    Some(next) => {
                        let _ = writeln!(
                            out,
                            "    next:       {} at {}",
                            next.action.name(),
                            next.due
                        );
                    }
                    None => {
                        let _ = writeln!(out, "    next:       nothing (the last step)");
                    }
                }
                if let Some(d) = &f.degraded {
                    let _ = writeln!(out, "    weakened:   {}", d.why);
                }
            }
            if !plan.actions.is_empty() {
                let actions: Vec<String> = plan
                    .actions
                    .iter()
                    .map(|a| format!("{} {}", a.action.name(), a.package))
                    .collect();
                let _ = writeln!(out, "due now:     {}", actions.join(", "));
            }
            for w in &warnings {
                let _ = writeln!(out, "warning:     [{}] {}", w.code, w.message);
            }
            print!("{out}");
        }
    }
    Ok(if plan.compliant { 0 } else { 1 })
}

/// Where the policy in force comes from, in words.
fn policy_source(
    choice: &veto_agent::choice::Choice,
    config: &str,
    feed: Option<&veto_net::feed::LastGood>,
) -> String {
    if let Some(w) = choice
        .warnings
        .iter()
        .find(|w| w.code == BAD_MANAGED_CONFIG || w.code == BAD_FEED_STATE)
    {
        return format!("fallback: {}", w.message);
    }
    let cfg = veto_core::parse_managed_config(config).ok();
    let has = |key: &str| {
        cfg.as_ref()
            .and_then(|c| c.get(key))
            .and_then(|v| v.as_str())
            .is_some_and(|s| !s.trim().is_empty())
    };
    if choice.warnings.iter().any(|w| w.code == FEED_PENDING) {
        return "the managed configuration (the signed feed has not delivered yet)".into();
    }
    if let (true, Some(f)) = (has("policy_url"), feed) {
        return format!(
            "the signed feed (version {}, key {}) with the managed configuration's keys",
            f.version, f.key_id
        );
    }
    if has("policy_json") {
        return "the managed configuration (policy_json)".into();
    }
    "the built-in policy with the managed configuration's keys".into()
}
