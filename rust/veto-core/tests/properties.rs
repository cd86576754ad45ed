//! Properties over random input (issue 12): random policies with every matcher kind, allow
//! lists and both modes, random inventories, capabilities and sequences of scans. Whatever
//! they are:
//! - no protected package is ever planned for an enforcement action;
//! - no planned action exceeds what the capabilities allow;
//! - reversals only undo what Veto itself recorded as done;
//! - once a scan's outcomes are recorded, evaluating again at the same time plans nothing new;
//! - a report's summary, read back from its JSON, is its plan's;
//! - the indexed matcher finds exactly what a plain loop over every rule finds, and the
//!   engine's findings are exactly the reference's.
//!
//! Case counts are set per test below and listed in docs/reliability.md. A failure prints
//! the minimal case; `PROPTEST_CASES=N` runs more.

// Test code: a failed unwrap is a failed test; tests write and damage files on purpose.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use proptest::prelude::*;
use std::collections::BTreeSet;
use veto_core::policy::{AllowEntry, Matcher, Rule, Step};
use veto_core::protect::BUILTIN_PROTECTED;
use veto_core::report::{
    apply_outcomes, build_report, compliance_summary, report_summary, Report, ReportInput,
};
use veto_core::state::{Outcome, OutcomeResult};
use veto_core::time::DAY_MS;
use veto_core::{
    evaluate, Action, Capabilities, CertDigest, CompiledPolicy, Inventory, Mode, Outcomes, Package,
    Plan, Policy, Role, State, Timestamp,
};

const T0: i64 = 1_700_000_000_000;
const VETO: &str = "app.veto.agent";
const DPC: &str = "com.example.emm";

fn digest(n: u8) -> CertDigest {
    CertDigest::parse(&format!("{n:02x}").repeat(32)).expect("a digest")
}

const INSTALLERS: [&str; 3] = ["com.android.vending", "com.shady.store", "a.b"];

/// Short names over a two-letter alphabet collide often, which is what matching needs.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ab]{1,2}(\\.[ab]{1,2}){0,3}",
        1 => proptest::sample::select(
            BUILTIN_PROTECTED.iter().map(|(n, _)| n.to_string()).chain([VETO.to_string(), DPC.to_string()]).collect::<Vec<_>>()
        ),
        1 => Just("com.zhiliaoapp.musically".to_string()),
    ]
}

/// Every matcher kind, and patterns of every shape the index files differently.
fn matcher() -> impl Strategy<Value = Matcher> {
    let seg = "[ab]{1,2}(\\.[ab]{1,2}){0,2}";
    prop_oneof![
        name().prop_map(Matcher::Package),
        (seg, 0u8..8).prop_filter_map("a valid pattern", |(s, shape)| {
            let text = match shape {
                0 => format!("{s}.*"),
                1 => format!("{s}*"),
                2 => format!("*.{s}"),
                3 => format!("*{s}*"),
                4 => format!("*{s}"),
                5 => format!("{s}*b"),
                6 => format!("{s}.*.a"),
                _ => "*".to_string(),
            };
            Matcher::package_or_pattern(&text).ok()
        }),
        (0u8..3).prop_map(|n| Matcher::Signer(digest(n))),
        proptest::sample::select(INSTALLERS.to_vec()).prop_map(|i| Matcher::Installer(i.into())),
    ]
}

fn package() -> impl Strategy<Value = Package> {
    (
        name(),
        proptest::collection::vec(0u8..3, 0..2),
        proptest::option::of(proptest::sample::select(INSTALLERS.to_vec())),
        any::<(bool, bool, bool)>(),
    )
        .prop_map(
            |(name, signers, installer, (system, hidden, suspended))| Package {
                signing_sha256: signers.into_iter().map(digest).collect(),
                installer: installer.map(str::to_string),
                system,
                hidden,
                suspended,
                ..Package::named(&name)
            },
        )
}

fn inventory() -> impl Strategy<Value = Vec<Package>> {
    proptest::collection::vec(package(), 0..12).prop_map(|mut v| {
        let mut seen = BTreeSet::new();
        v.retain(|p| seen.insert(p.package.clone()));
        v
    })
}

/// A valid ladder: strictly later and strictly stronger steps.
fn ladder() -> impl Strategy<Value = Vec<Step>> {
    (
        proptest::sample::subsequence(Action::LADDER.to_vec(), 1..=5),
        proptest::collection::vec(1u32..30, 5),
    )
        .prop_map(|(actions, gaps)| {
            let mut day = 0;
            actions
                .into_iter()
                .zip(gaps)
                .enumerate()
                .map(|(i, (action, gap))| {
                    if i > 0 {
                        day += gap;
                    }
                    Step {
                        action,
                        after_days: day,
                    }
                })
                .collect()
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        proptest::collection::vec(matcher(), 0..10),
        proptest::collection::vec(matcher(), 0..4),
        proptest::collection::vec(name().prop_map(Matcher::Package), 0..2),
        any::<(bool, bool, bool)>(),
        ladder(),
    )
        .prop_map(
            |(rules, allow, protected, (allowlist, builtin, system), enforcement)| Policy {
                version: 1,
                mode: if allowlist {
                    Mode::Allowlist
                } else {
                    Mode::Denylist
                },
                use_builtin_catalog: builtin,
                rules: rules
                    .into_iter()
                    .enumerate()
                    .map(|(i, matcher)| Rule {
                        id: format!("r{i}"),
                        matcher,
                        reason: "barred".into(),
                        source: None,
                    })
                    .collect(),
                allow: allow
                    .into_iter()
                    .map(|matcher| AllowEntry {
                        matcher,
                        reason: None,
                    })
                    .collect(),
                protected,
                act_on_system_packages: system,
                enforcement,
                ..Policy::default()
            },
        )
}

fn capabilities() -> impl Strategy<Value = Capabilities> {
    (
        prop_oneof![
            Just(Role::DeviceOwner),
            Just(Role::ProfileOwner),
            Just(Role::Delegate),
            Just(Role::None)
        ],
        any::<(bool, bool, bool, bool, bool)>(),
    )
        .prop_map(
            |(role, (affiliated, access, block, own, dpc))| Capabilities {
                role,
                affiliated,
                delegated_scopes: [
                    (access, veto_core::capabilities::SCOPE_PACKAGE_ACCESS),
                    (block, veto_core::capabilities::SCOPE_BLOCK_UNINSTALL),
                ]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, s)| s.to_string())
                .collect(),
                self_package: own.then(|| VETO.to_string()),
                dpc_package: dpc.then(|| DPC.to_string()),
            },
        )
}

/// Why a package must never be acted on, independently of the engine's own code.
fn is_protected(p: &Package, policy: &Policy, caps: &Capabilities) -> bool {
    BUILTIN_PROTECTED.iter().any(|(n, _)| *n == p.package)
        || caps.self_package.as_deref() == Some(p.package.as_str())
        || caps.dpc_package.as_deref() == Some(p.package.as_str())
        || policy.protected.iter().any(|m| matches(m, p))
        || (p.system && !policy.act_on_system_packages)
}

/// The reference matcher: one rule at a time.
fn matches(m: &Matcher, p: &Package) -> bool {
    match m {
        Matcher::Signer(d) => p.signing_sha256.contains(d),
        Matcher::Installer(i) => p.installer.as_deref() == Some(i.as_str()),
        m => m.matches_name(&p.package),
    }
}

/// One scan step: which outcome each planned action gets, and whether the next scan shows
/// it (the executor may have been killed, or the EMM may have undone it).
#[derive(Debug, Clone)]
struct Scan {
    day: i64,
    caps: Capabilities,
    results: Vec<u8>,
    observed: bool,
    captured: bool,
}

fn steps() -> impl Strategy<Value = Vec<Scan>> {
    proptest::collection::vec(
        (
            0i64..20,
            capabilities(),
            proptest::collection::vec(0u8..4, 12),
            any::<bool>(),
            any::<bool>(),
        ),
        1..7,
    )
    .prop_map(|raw| {
        let mut day = 0;
        raw.into_iter()
            .map(|(gap, caps, results, observed, captured)| {
                day += gap;
                Scan {
                    day,
                    caps,
                    results,
                    observed,
                    captured,
                }
            })
            .collect()
    })
}

fn outcome_result(code: u8) -> OutcomeResult {
    match code {
        0 | 1 => OutcomeResult::Done,
        2 => OutcomeResult::Failed,
        _ => OutcomeResult::PendingUser,
    }
}

/// The state's record of what Veto did on `package` with `action`, as done.
fn done_by_veto(state: &State, package: &str, action: Action) -> bool {
    state
        .package(package)
        .and_then(|p| p.applied.get(&action))
        .is_some_and(|a| a.result == OutcomeResult::Done)
}

fn check_plan(
    plan: &Plan,
    inv: &Inventory,
    policy: &Policy,
    caps: &Capabilities,
    before: &State,
) -> Result<(), TestCaseError> {
    for a in &plan.actions {
        let pkg = inv
            .packages
            .iter()
            .find(|p| p.package == a.package)
            .expect("a planned package is in the inventory");
        if a.action.is_enforcement() {
            prop_assert!(
                !is_protected(pkg, policy, caps),
                "{:?} planned on protected {}",
                a.action,
                a.package
            );
        }
        prop_assert!(
            caps.allows(a.action),
            "{:?} on {} exceeds {:?}",
            a.action,
            a.package,
            caps
        );
    }
    let strongest = policy.strongest_action();
    for f in &plan.findings {
        prop_assert!(
            f.step <= strongest && caps.allows(f.step),
            "{:?} for {}",
            f.step,
            f.package
        );
    }
    for r in &plan.reversals {
        let undone = match r.action {
            Action::Unsuspend => Action::Suspend,
            Action::Unhide => Action::Hide,
            other => return Err(TestCaseError::fail(format!("{other:?} is not a reversal"))),
        };
        prop_assert!(
            done_by_veto(before, &r.package, undone),
            "reverses {:?} on {} that Veto never recorded",
            undone,
            r.package
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Scan after scan with random outcomes, observations and capability changes.
    #[test]
    fn plans_are_safe_bounded_and_settle(policy in policy(), packages in inventory(), steps in steps()) {
        let compiled = CompiledPolicy::new(policy.clone());
        let mut state = State::new();
        let mut inv = Inventory { profile: "work".into(), captured_at: None, packages };
        for step in steps {
            let now = Timestamp::from_millis(T0 + step.day * DAY_MS);
            inv.captured_at = step.captured.then_some(now);
            let plan = evaluate(&inv, &compiled, &state, &step.caps, now);
            check_plan(&plan, &inv, &policy, &step.caps, &state)?;

            state.note_plan(&plan, &inv, now);
            let outcomes = Outcomes {
                outcomes: plan
                    .actions
                    .iter()
                    .zip(step.results.iter().cycle())
                    .map(|(a, r)| Outcome {
                        package: a.package.clone(),
                        action: a.action,
                        result: outcome_result(*r),
                        detail: None,
                    })
                    .collect(),
            };
            state.record(&outcomes, now);

            // A report says what its plan says: read back from its JSON, its summary is the
            // plan's (the agent compares them when it finds a queued report after a crash).
            let mut reported = plan.clone();
            apply_outcomes(&mut reported, &outcomes);
            let report = build_report(&reported, &ReportInput {
                report_id: "r",
                device_id: "d",
                veto_version: "0",
                created_at: now,
                dropped_reports: 0,
                feed: None,
                inventory: None,
            });
            let back = Report::from_json(&report.to_json()).unwrap();
            prop_assert_eq!(report_summary(&back), compliance_summary(&reported));

            let failed_reversals: BTreeSet<(String, Action)> = outcomes
                .outcomes
                .iter()
                .filter(|o| !o.action.is_enforcement() && o.result != OutcomeResult::Done)
                .map(|o| (o.package.clone(), o.action))
                .collect();

            // Evaluating again at the same time, on the same scan, plans nothing new: only a
            // reversal whose undo failed is asked for again.
            let again = evaluate(&inv, &compiled, &state, &step.caps, now);
            check_plan(&again, &inv, &policy, &step.caps, &state)?;
            for a in &again.actions {
                prop_assert!(
                    failed_reversals.contains(&(a.package.clone(), a.action)),
                    "re-planned {:?} on {} right after recording", a.action, a.package
                );
            }

            // The next scan shows what was done (or, sometimes, not: the EMM undid it).
            if step.observed {
                for o in outcomes.outcomes.iter().filter(|o| o.result == OutcomeResult::Done) {
                    if let Some(p) = inv.packages.iter_mut().find(|p| p.package == o.package) {
                        match o.action {
                            Action::Suspend => p.suspended = true,
                            Action::Hide => p.hidden = true,
                            Action::Unsuspend => p.suspended = false,
                            Action::Unhide => p.hidden = false,
                            _ => {}
                        }
                    }
                    if o.action == Action::Uninstall {
                        inv.packages.retain(|p| p.package != o.package);
                    }
                }
            }
        }
    }

    /// The index agrees with the plain loop for deny rules (the catalog's included), the
    /// allow list (first entry wins), the protected list, and the engine's findings in both
    /// modes.
    #[test]
    fn indexed_matching_agrees_with_a_plain_loop(policy in policy(), packages in inventory(), caps in capabilities()) {
        let compiled = CompiledPolicy::new(policy.clone());
        for p in &packages {
            let want: Vec<&str> = compiled.rules().iter().filter(|r| matches(&r.matcher, p)).map(|r| r.id.as_str()).collect();
            let mut got: Vec<&str> = compiled.matching_rules(p).iter().map(|r| r.id.as_str()).collect();
            let mut want_sorted = want.clone();
            want_sorted.sort_unstable();
            got.sort_unstable();
            prop_assert_eq!(&got, &want_sorted, "deny rules for {:?}", p);

            let first_allow = policy.allow.iter().find(|a| matches(&a.matcher, p));
            prop_assert_eq!(compiled.allowed_by(p), first_allow, "allow entry for {:?}", p);
            prop_assert_eq!(compiled.policy_protects(p), policy.protected.iter().any(|m| matches(m, p)));
        }
        let inv = Inventory { profile: "work".into(), captured_at: None, packages: packages.clone() };
        let plan = evaluate(&inv, &compiled, &State::new(), &caps, Timestamp::from_millis(T0));
        let want: BTreeSet<&str> = packages
            .iter()
            .filter(|p| !policy.allow.iter().any(|a| matches(&a.matcher, p)))
            .filter(|p| policy.mode == Mode::Allowlist || compiled.rules().iter().any(|r| matches(&r.matcher, p)))
            .filter(|p| !is_protected(p, &policy, &caps))
            .map(|p| p.package.as_str())
            .collect();
        let got: BTreeSet<&str> = plan.findings.iter().map(|f| f.package.as_str()).collect();
        prop_assert_eq!(got, want);
    }
}
