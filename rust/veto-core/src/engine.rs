//! The decision engine: from an inventory, a policy, the state, the device's
//! capabilities and the time, to a [`Plan`].
//!
//! Pure and deterministic: the same inputs give the same plan. Idempotent: once the
//! outcomes of a plan are recorded in the state, evaluating again plans nothing new.

use crate::capabilities::Capabilities;
use crate::codes;
use crate::inventory::{Inventory, Package};
use crate::matcher::CompiledPolicy;
use crate::plan::{
    Degradation, Finding, NextStep, Plan, PlannedAction, PolicySummary, Reversal, RuleMatch,
    Status, Warning,
};
use crate::policy::{Action, Mode, Policy};
use crate::protect::builtin_reason;
use crate::state::{OutcomeResult, PackageState, State};
use crate::time::Timestamp;
use std::collections::BTreeMap;

/// The rule id of allowlist-mode findings.
pub const ALLOWLIST_RULE: &str = "allowlist";

/// A failed or unconfirmed action is tried again after this long.
const RETRY_AFTER_DAYS: u32 = 1;

/// Decides what to do about every package in `inventory`.
pub fn evaluate(
    inventory: &Inventory,
    policy: &CompiledPolicy,
    state: &State,
    caps: &Capabilities,
    now: Timestamp,
) -> Plan {
    let p = policy.policy();
    let mut warnings: Vec<Warning> = policy.lint().to_vec();
    if let Some(expires) = p.expires {
        if now >= expires {
            warnings.push(Warning::new(
                codes::POLICY_EXPIRED,
                format!(
                    "policy version {} expired at {expires}; Veto keeps enforcing it until a newer one arrives",
                    p.version
                ),
            ));
        }
    }
    let mut findings = Vec::new();
    let mut reversals = Vec::new();
    let mut degradations: BTreeMap<(Action, Action), (usize, String)> = BTreeMap::new();

    for pkg in &inventory.packages {
        let prior = state.package(&pkg.package);
        let Some(matches) = barred_by(policy, pkg) else {
            let why = "no rule of the current policy bars it";
            undo_everything(prior, pkg, caps, why, &mut reversals, &mut warnings);
            continue;
        };
        // Checked only for barred packages: most of a profile matches nothing.
        if let Some(why) = protection(pkg, p, policy, caps) {
            for r in matches.iter().filter(|r| r.rule != ALLOWLIST_RULE) {
                warnings.push(Warning {
                    rule: Some(r.rule.clone()),
                    ..Warning::for_package(
                        codes::PROTECTED_MATCH,
                        &pkg.package,
                        format!(
                            "rule {:?} matches {} ({why}); Veto never acts on it",
                            r.rule, pkg.package
                        ),
                    )
                });
            }
            let why = format!("it is protected ({why})");
            undo_everything(prior, pkg, caps, &why, &mut reversals, &mut warnings);
            continue;
        }
        let f = finding(pkg, matches, p, prior, caps, inventory.captured_at, now);
        if let Some(d) = &f.degraded {
            degradations
                .entry((d.wanted, d.chosen))
                .or_insert((0, d.why.clone()))
                .0 += 1;
        }
        undo_beyond(prior, pkg, caps, f.step, &mut reversals, &mut warnings);
        findings.push(f);
    }

    for ((wanted, chosen), (count, why)) in degradations {
        warnings.push(Warning::new(
            codes::DEGRADED,
            format!(
                "{} degraded to {} for {count} package{}: {why}",
                wanted.name(),
                chosen.name(),
                if count == 1 { "" } else { "s" }
            ),
        ));
    }
    findings.sort_by(|a, b| a.package.cmp(&b.package));
    reversals.sort_by(|a, b| (&a.package, a.action).cmp(&(&b.package, b.action)));
    let actions = findings
        .iter()
        .filter_map(|f| {
            f.action.map(|action| PlannedAction {
                package: f.package.clone(),
                action,
                label: f.label.clone(),
                reason: f.matches.first().map(|m| m.reason.clone()),
                deadline: Some(f.deadline),
            })
        })
        .chain(reversals.iter().map(|r| PlannedAction {
            package: r.package.clone(),
            action: r.action,
            label: None,
            reason: Some(r.why.clone()),
            deadline: None,
        }))
        .collect();
    Plan {
        generated_at: now,
        policy: PolicySummary {
            version: p.version,
            mode: p.mode,
            expires: p.expires,
        },
        compliant: findings.is_empty(),
        findings,
        reversals,
        actions,
        warnings,
    }
}

/// The rules that bar `pkg`, or `None` when it may stay.
fn barred_by(policy: &CompiledPolicy, pkg: &Package) -> Option<Vec<RuleMatch>> {
    if policy.allowed_by(pkg).is_some() {
        return None;
    }
    let mut matches: Vec<RuleMatch> = policy
        .matching_rules(pkg)
        .into_iter()
        .map(|r| RuleMatch {
            rule: r.id.clone(),
            matcher: r.matcher.kind().to_string(),
            reason: r.reason.clone(),
            source: r.source.clone(),
        })
        .collect();
    if policy.policy().mode == Mode::Allowlist {
        matches.insert(
            0,
            RuleMatch {
                rule: ALLOWLIST_RULE.to_string(),
                matcher: ALLOWLIST_RULE.to_string(),
                reason: "Not on the organisation's list of approved apps".to_string(),
                source: None,
            },
        );
    }
    (!matches.is_empty()).then_some(matches)
}

/// Why Veto must never act on `pkg`, if it must not.
fn protection(
    pkg: &Package,
    p: &Policy,
    policy: &CompiledPolicy,
    caps: &Capabilities,
) -> Option<String> {
    let name = pkg.package.as_str();
    if caps.self_package.as_deref() == Some(name) {
        return Some("Veto itself".into());
    }
    if caps.dpc_package.as_deref() == Some(name) {
        return Some("the device policy controller".into());
    }
    if let Some(why) = builtin_reason(name) {
        return Some(why.into());
    }
    if policy.policy_protects(pkg) {
        return Some("listed in the policy's protected packages".into());
    }
    if pkg.system && !p.act_on_system_packages {
        return Some("a system package; set act_on_system_packages to act on it".into());
    }
    None
}

fn finding(
    pkg: &Package,
    matches: Vec<RuleMatch>,
    p: &Policy,
    prior: Option<&PackageState>,
    caps: &Capabilities,
    captured_at: Option<Timestamp>,
    now: Timestamp,
) -> Finding {
    let first_seen = prior.map_or(now, |s| s.first_seen.min(now));
    let ladder = &p.enforcement;
    let reached = ladder
        .iter()
        .rposition(|s| first_seen.plus_days(s.after_days) <= now);
    let wanted = reached.map_or(Action::Report, |i| ladder[i].action);
    let (step, why) = caps.degrade(wanted);
    let degraded = why.map(|why| Degradation {
        wanted,
        chosen: step,
        why,
    });
    let next = ladder[reached.map_or(0, |i| i + 1)..].iter().find_map(|s| {
        let (chosen, _) = caps.degrade(s.action);
        (chosen > step).then(|| NextStep {
            action: chosen,
            due: first_seen.plus_days(s.after_days),
        })
    });
    let deadline = first_seen.plus_days(ladder.last().map_or(0, |s| s.after_days));

    let done = |a: Action| {
        prior
            .and_then(|s| s.applied.get(&a))
            .is_some_and(|ap| ap.result == OutcomeResult::Done)
    };
    let mut in_effect: Vec<Action> = [
        Action::Warn,
        Action::Suspend,
        Action::Hide,
        Action::Uninstall,
    ]
    .into_iter()
    .filter(|a| {
        done(*a) || (*a == Action::Suspend && pkg.suspended) || (*a == Action::Hide && pkg.hidden)
    })
    .collect();
    in_effect.dedup();

    let mut failed = false;
    let action = if step == Action::Report {
        None
    } else {
        match prior.and_then(|s| s.applied.get(&step)) {
            Some(ap) if ap.result == OutcomeResult::Done => {
                // Done before: do it again only if a later scan shows it undone.
                let undone = match step {
                    Action::Suspend => !pkg.suspended,
                    Action::Hide => !pkg.hidden,
                    Action::Uninstall => true,
                    _ => false,
                };
                (undone && captured_at.is_some_and(|t| t > ap.at)).then_some(step)
            }
            Some(ap) if now < ap.at.plus_days(RETRY_AFTER_DAYS) => {
                failed = true;
                None
            }
            _ => {
                // Someone else (the EMM) may already have done it.
                let observed = match step {
                    Action::Suspend => pkg.suspended,
                    Action::Hide => pkg.hidden,
                    _ => false,
                };
                (!observed).then_some(step)
            }
        }
    };
    let status = if action.is_some() {
        Status::Due
    } else if failed {
        Status::Failed
    } else if step == Action::Report {
        Status::Reported
    } else {
        Status::Enforced
    };
    Finding {
        package: pkg.package.clone(),
        label: pkg.label.clone(),
        rules: matches.iter().map(|m| m.rule.clone()).collect(),
        matches,
        first_seen,
        step,
        action,
        in_effect,
        status,
        next,
        deadline,
        degraded,
        archived: pkg.archived,
    }
}

/// Undoes whatever Veto itself suspended or hid on a package that is no longer barred.
fn undo_everything(
    prior: Option<&PackageState>,
    pkg: &Package,
    caps: &Capabilities,
    why: &str,
    reversals: &mut Vec<Reversal>,
    warnings: &mut Vec<Warning>,
) {
    undo(
        prior,
        pkg,
        caps,
        &[Action::Suspend, Action::Hide],
        why,
        reversals,
        warnings,
    );
}

/// Undoes what Veto applied beyond the step the ladder now calls for, e.g. after the
/// policy became report-only.
fn undo_beyond(
    prior: Option<&PackageState>,
    pkg: &Package,
    caps: &Capabilities,
    step: Action,
    reversals: &mut Vec<Reversal>,
    warnings: &mut Vec<Warning>,
) {
    // Suspension stays under hide and uninstall: the stronger step builds on it.
    let beyond: Vec<Action> = [Action::Suspend, Action::Hide]
        .into_iter()
        .filter(|a| step < *a)
        .collect();
    if !beyond.is_empty() {
        let why = format!("the policy now calls for {} only", step.name());
        undo(prior, pkg, caps, &beyond, &why, reversals, warnings);
    }
}

fn undo(
    prior: Option<&PackageState>,
    pkg: &Package,
    caps: &Capabilities,
    which: &[Action],
    why: &str,
    reversals: &mut Vec<Reversal>,
    warnings: &mut Vec<Warning>,
) {
    let Some(prior) = prior else { return };
    for &applied in which {
        let by_veto = prior
            .applied
            .get(&applied)
            .is_some_and(|ap| ap.result == OutcomeResult::Done);
        if !by_veto {
            continue;
        }
        let undo = if applied == Action::Suspend {
            Action::Unsuspend
        } else {
            Action::Unhide
        };
        if caps.allows(undo) {
            reversals.push(Reversal {
                package: pkg.package.clone(),
                action: undo,
                why: why.to_string(),
            });
        } else {
            warnings.push(Warning::for_package(
                codes::CANNOT_REVERSE,
                &pkg.package,
                format!(
                    "Veto {} {} earlier and should undo it ({why}), but as {} it no longer may",
                    if applied == Action::Suspend {
                        "suspended"
                    } else {
                        "hid"
                    },
                    pkg.package,
                    caps.describe()
                ),
            ));
        }
    }
}
