//! `veto audit`: the findings and planned actions for an inventory file or a phone over adb.

use crate::input::*;
use crate::Outcome;
use crate::{adb, render};
use clap::Args;
use std::path::PathBuf;
use veto_core::{evaluate, CompiledPolicy, Inventory, State};

#[derive(Args)]
pub(crate) struct AuditArgs {
    /// Inventory JSON of the work profile (docs/contract.md).
    #[arg(long, value_name = "FILE", conflicts_with = "adb")]
    pub(crate) inventory: Option<PathBuf>,
    /// Read the inventory from a phone connected over adb (its work profile).
    #[arg(long)]
    pub(crate) adb: bool,
    /// adb device serial (with --adb).
    #[arg(long, value_name = "S")]
    pub(crate) serial: Option<String>,
    /// Android user id to scan (with --adb; default: the work profile, the user of type
    /// profile.MANAGED that has a profile owner).
    #[arg(long, value_name = "N")]
    pub(crate) user: Option<u32>,
    #[command(flatten)]
    pub(crate) source: PolicySource,
    /// Veto state file (first-seen times, actions taken); read only.
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) caps: CapabilityArg,
    /// Output: a table for people, or the plan as JSON.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Format,
    /// Evaluate as of this time (RFC 3339), e.g. to see the ladder 42 days on.
    #[arg(long, value_name = "RFC3339")]
    pub(crate) now: Option<String>,
}

/// Where an audit's inventory came from, as `veto audit --format json` names it.
#[derive(serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Source {
    /// `--inventory FILE`.
    File { file: String },
    /// `--adb`: the phone, the user scanned and how that user was chosen.
    Adb {
        serial: Option<String>,
        user: u32,
        user_name: Option<String>,
        user_type: Option<String>,
        profile_owner: Option<String>,
        chosen_by: adb::ChosenBy,
        why: String,
    },
}

/// `veto audit --format json`: the core's plan, then where its inventory came from.
#[derive(serde::Serialize)]
struct AuditJson<'a> {
    #[serde(flatten)]
    plan: &'a veto_core::Plan,
    source: &'a Source,
}

pub(crate) fn audit(a: AuditArgs) -> Outcome {
    if a.inventory.is_none() && !a.adb {
        return Err("audit: give --inventory FILE (an inventory document) or --adb (read the work profile of a phone connected over adb)".into());
    }
    if a.inventory.is_some() {
        for (given, option) in [
            (a.serial.is_some(), "--serial"),
            (a.user.is_some(), "--user"),
        ] {
            if given {
                return Err(format!(
                    "{option} chooses the phone or user to read over adb, so it goes with --adb instead of --inventory (an inventory file is already one work profile)"
                )
                .into());
            }
        }
    }
    let caps = capabilities(&a.caps.capabilities)?;
    let now = parse_now(a.now.as_deref())?;
    let loaded = load_policy(&a.source)?;
    let state = match &a.state {
        Some(path) => {
            let text = read_text(path, "--state")?;
            State::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => State::new(),
    };
    let (inventory, origin, source) = match &a.inventory {
        Some(path) => {
            let text = read_text(path, "--inventory")?;
            let inv =
                Inventory::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let shown = path.display().to_string();
            (inv, shown.clone(), Source::File { file: shown })
        }
        None => {
            let target = adb::Target {
                serial: a.serial.as_deref(),
                user: a.user,
            };
            let (inv, scanned) = adb::inventory_from_device(&target)?;
            let device = a.serial.as_deref().unwrap_or("the connected phone");
            let name = scanned
                .name
                .as_ref()
                .map(|n| format!(" {n:?}"))
                .unwrap_or_default();
            (
                inv,
                format!("adb: {device}, user {}{name}", scanned.id),
                Source::Adb {
                    serial: a.serial.clone(),
                    user: scanned.id,
                    user_name: scanned.name.clone(),
                    user_type: scanned.user_type.clone(),
                    profile_owner: scanned.profile_owner.clone(),
                    chosen_by: scanned.chosen_by,
                    why: scanned.why.clone(),
                },
            )
        }
    };
    let compiled = CompiledPolicy::new(loaded.policy);
    let mut plan = evaluate(&inventory, &compiled, &state, &caps, now);
    let mut warnings = loaded.warnings;
    warnings.append(&mut plan.warnings);
    plan.warnings = warnings;
    match a.format {
        Format::Json => {
            let out = AuditJson {
                plan: &plan,
                source: &source,
            };
            let json = serde_json::to_string_pretty(&out)
                .map_err(|e| format!("cannot write the plan as JSON: {e}"))?;
            println!("{json}");
        }
        Format::Table => {
            let scanned = match &source {
                Source::Adb {
                    user,
                    chosen_by,
                    why,
                    ..
                } => Some((*user, *chosen_by, why.as_str())),
                Source::File { .. } => None,
            };
            let ctx = render::AuditContext {
                policy: compiled.policy(),
                rules_in_force: compiled.rules().len(),
                policy_origin: &loaded.origin,
                caps: &caps,
                caps_arg: &a.caps.capabilities,
                inventory_origin: &origin,
                packages: inventory.packages.len(),
                scanned,
            };
            print!("{}", render::audit_table(&ctx, &plan));
        }
    }
    Ok(if plan.compliant { 0 } else { 1 })
}
