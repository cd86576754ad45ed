//! `veto audit`: the findings and planned actions for an inventory file or a phone over adb.

use crate::input::*;
use crate::{adb, render};
use crate::{Fail, Outcome};
use clap::Args;
use std::path::PathBuf;
use veto_core::{evaluate, CompiledPolicy, Inventory, State};

#[derive(Args)]
pub(crate) struct AuditArgs {
    /// Inventory JSON of the work profile (docs/contract.md); repeatable, and a folder
    /// means every *.json file in it: each gets its own result, then a summary.
    #[arg(long, value_name = "FILE", conflicts_with = "adb")]
    pub(crate) inventory: Vec<PathBuf>,
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
    /// Evaluate as of this time: RFC 3339, or relative to now (+42d, -7d). Packages not in
    /// --state are first seen at this time.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub(crate) now: Option<String>,
    /// Warnings fail the run with exit code 3 (when there are no findings).
    #[arg(long)]
    pub(crate) strict: bool,
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

/// `*.json` files of a folder, sorted; other paths as given.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Fail> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("--inventory {}: cannot list the folder: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(
                    format!("--inventory {}: a folder without *.json files", p.display()).into(),
                );
            }
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub(crate) fn audit(a: AuditArgs) -> Outcome {
    if a.inventory.is_empty() && !a.adb {
        return Err("audit: give --inventory FILE (an inventory document) or --adb (read the work profile of a phone connected over adb)".into());
    }
    if !a.inventory.is_empty() {
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
    let several = a.inventory.len() > 1 || a.inventory.iter().any(|p| p.is_dir());
    if !several {
        return audit_one(&a, a.inventory.first());
    }
    let caps = capabilities(&a.caps.capabilities)?;
    let now = parse_now(a.now.as_deref())?;
    let loaded = load_policy(&a.source)?;
    let state = read_state(&a)?;
    let compiled = CompiledPolicy::new(loaded.policy.clone());
    let files = expand(&a.inventory)?;
    let mut plans = Vec::new();
    for path in &files {
        let shown = path.display().to_string();
        let source = Source::File {
            file: shown.clone(),
        };
        let read = read_text(path, "--inventory").and_then(|text| {
            Inventory::from_json(&text).map_err(|e| Fail(format!("{shown}: {e}")))
        });
        plans.push(match read {
            Ok(inv) => {
                let mut plan = evaluate(&inv, &compiled, &state, &caps, now);
                let mut warnings = loaded.warnings.clone();
                warnings.append(&mut plan.warnings);
                plan.warnings = warnings;
                (source, Ok((plan, inv.packages.len())))
            }
            Err(Fail(e)) => (source, Err(e)),
        });
    }
    let compliant = plans
        .iter()
        .filter(|(_, r)| matches!(r, Ok((p, _)) if p.compliant))
        .count();
    let errors = plans.iter().filter(|(_, r)| r.is_err()).count();
    let with_findings = plans.len() - compliant - errors;
    let with_warnings = plans
        .iter()
        .filter(|(_, r)| matches!(r, Ok((p, _)) if !p.warnings.is_empty()))
        .count();
    match a.format {
        Format::Json => {
            let results: Vec<serde_json::Value> = plans
                .iter()
                .map(|(source, r)| match r {
                    Ok((plan, _)) => serde_json::to_value(AuditJson { plan, source }),
                    Err(e) => Ok(serde_json::json!({"source": source, "error": e})),
                })
                .collect::<Result<_, _>>()
                .map_err(|e| format!("cannot write the plans as JSON: {e}"))?;
            let out = serde_json::json!({
                "inventories": results,
                "summary": {
                    "audited": plans.len(),
                    "compliant": compliant,
                    "with_findings": with_findings,
                    "unreadable": errors,
                    "with_warnings": with_warnings,
                }
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        Format::Table => {
            for (source, r) in &plans {
                let Source::File { file } = source else {
                    continue;
                };
                match r {
                    Ok((plan, packages)) => {
                        print!(
                            "{}",
                            table(
                                &compiled,
                                &loaded.origin,
                                &caps,
                                &a.caps.capabilities,
                                (file, *packages, None),
                                plan
                            )
                        );
                    }
                    Err(e) => println!("Unreadable: {e}"),
                }
                println!();
            }
            println!(
                "Inventories: {} audited: {compliant} compliant, {with_findings} with findings, {errors} unreadable",
                plans.len()
            );
        }
    }
    Ok(if errors > 0 {
        2
    } else if with_findings > 0 {
        1
    } else if a.strict && with_warnings > 0 {
        3
    } else {
        0
    })
}

/// Where an inventory came from: its name, package count and, over adb, how the user was
/// chosen.
type Origin<'a> = (&'a str, usize, Option<(u32, adb::ChosenBy, &'a str)>);

/// The audit table for one inventory.
fn table(
    compiled: &CompiledPolicy,
    policy_origin: &str,
    caps: &veto_core::Capabilities,
    caps_arg: &str,
    (inventory_origin, packages, scanned): Origin,
    plan: &veto_core::Plan,
) -> String {
    let ctx = render::AuditContext {
        policy: compiled.policy(),
        rules_in_force: compiled.rules().len(),
        policy_origin,
        caps,
        caps_arg,
        inventory_origin,
        packages,
        scanned,
    };
    render::audit_table(&ctx, plan)
}

fn read_state(a: &AuditArgs) -> Result<State, Fail> {
    Ok(match &a.state {
        Some(path) => {
            let text = read_text(path, "--state")?;
            State::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => State::new(),
    })
}

fn audit_one(a: &AuditArgs, file: Option<&PathBuf>) -> Outcome {
    let caps = capabilities(&a.caps.capabilities)?;
    let now = parse_now(a.now.as_deref())?;
    let loaded = load_policy(&a.source)?;
    let state = read_state(a)?;
    let (inventory, origin, source) = match file {
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
            let adb::FromDevice {
                inventory: inv,
                serial,
                scanned,
            } = adb::inventory_from_device(&target)?;
            let device = serial.as_deref().unwrap_or("the connected phone");
            let name = scanned
                .name
                .as_ref()
                .map(|n| format!(" {n:?}"))
                .unwrap_or_default();
            (
                inv,
                format!("adb: {device}, user {}{name}", scanned.id),
                Source::Adb {
                    serial: serial.clone(),
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
            print!(
                "{}",
                table(
                    &compiled,
                    &loaded.origin,
                    &caps,
                    &a.caps.capabilities,
                    (&origin, inventory.packages.len(), scanned),
                    &plan
                )
            );
        }
    }
    Ok(if !plan.compliant {
        1
    } else if a.strict && !plan.warnings.is_empty() {
        3
    } else {
        0
    })
}
