//! The decision engine, end to end through the public API: ladder timing, degradation,
//! idempotence, reversal and protection.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use veto_core::policy::{AllowEntry, Matcher, Rule, Step};
use veto_core::state::{Outcome, OutcomeResult};
use veto_core::time::DAY_MS;
use veto_core::{
    evaluate, Action, Capabilities, CompiledPolicy, Inventory, Mode, Package, Plan, Policy, State,
    Status, Timestamp,
};

const TIKTOK: &str = "com.zhiliaoapp.musically";
const T0: i64 = 1_700_000_000_000;

fn at(days: i64) -> Timestamp {
    Timestamp::from_millis(T0 + days * DAY_MS)
}

fn inv(names: &[&str]) -> Inventory {
    Inventory {
        profile: "work".into(),
        captured_at: None,
        packages: names.iter().map(|n| Package::named(n)).collect(),
    }
}

fn caps(s: &str) -> Capabilities {
    Capabilities::from_cli_list(s).unwrap()
}

fn builtin() -> CompiledPolicy {
    CompiledPolicy::new(Policy::builtin())
}

/// Executes every planned action as the shell would, all succeeding.
fn execute_all(plan: &Plan) -> veto_core::Outcomes {
    veto_core::Outcomes {
        outcomes: plan
            .actions
            .iter()
            .map(|a| Outcome {
                package: a.package.clone(),
                action: a.action,
                result: OutcomeResult::Done,
                detail: None,
            })
            .collect(),
    }
}

/// One scan cycle: evaluate, note, execute, record. Returns the plan.
fn cycle(
    state: &mut State,
    inventory: &Inventory,
    p: &CompiledPolicy,
    c: &Capabilities,
    now: Timestamp,
) -> Plan {
    let plan = evaluate(inventory, p, state, c, now);
    state.note_plan(&plan, inventory, now);
    state.record(&execute_all(&plan), now);
    plan
}

#[test]
fn ladder_warns_then_suspends_then_uninstalls_on_schedule() {
    let (p, c, i) = (
        builtin(),
        caps("device-owner"),
        inv(&[TIKTOK, "com.microsoft.teams"]),
    );
    let mut s = State::new();
    let expect = [
        (0, Some(Action::Warn)),
        (1, None),
        (13, None),
        (14, Some(Action::Suspend)),
        (41, None),
        (42, Some(Action::Uninstall)),
        (50, None),
    ];
    for (day, want) in expect {
        let plan = cycle(&mut s, &i, &p, &c, at(day));
        assert_eq!(plan.findings.len(), 1, "day {day}");
        let f = &plan.findings[0];
        assert_eq!(f.package, TIKTOK);
        assert_eq!(f.action, want, "day {day}");
        assert_eq!(f.first_seen, at(0));
        assert_eq!(f.deadline, at(42));
    }
}

#[test]
fn next_step_and_deadline_are_reported() {
    let plan = evaluate(
        &inv(&[TIKTOK]),
        &builtin(),
        &State::new(),
        &caps("device-owner"),
        at(0),
    );
    let f = &plan.findings[0];
    assert_eq!(f.step, Action::Warn);
    assert_eq!(f.status, Status::Due);
    let next = f.next.unwrap();
    assert_eq!((next.action, next.due), (Action::Suspend, at(14)));
    assert_eq!(plan.actions[0].deadline, Some(at(42)));
    assert!(!plan.compliant);
}

#[test]
fn profile_owner_degrades_uninstall_to_hide_and_says_why() {
    let mut s = State::new();
    let (p, c, i) = (builtin(), caps("profile-owner"), inv(&[TIKTOK]));
    cycle(&mut s, &i, &p, &c, at(0));
    let plan = cycle(&mut s, &i, &p, &c, at(43));
    let f = &plan.findings[0];
    assert_eq!(f.action, Some(Action::Hide));
    let d = f.degraded.as_ref().unwrap();
    assert_eq!((d.wanted, d.chosen), (Action::Uninstall, Action::Hide));
    assert!(
        d.why
            .contains("device owner or an affiliated profile owner"),
        "{}",
        d.why
    );
    assert!(plan.warnings.iter().any(|w| w.code == "degraded"
        && w.message
            .starts_with("uninstall degraded to hide for 1 package")));
    // Before the last step, the next step shown is the degraded one.
    let early = evaluate(&i, &p, &State::new(), &c, at(0));
    let early_f = &early.findings[0];
    assert_eq!(early_f.next.unwrap().action, Action::Suspend);
}

#[test]
fn unprivileged_install_only_warns_and_reports() {
    let mut s = State::new();
    let (p, c, i) = (builtin(), caps("none"), inv(&[TIKTOK]));
    assert_eq!(
        cycle(&mut s, &i, &p, &c, at(0)).findings[0].action,
        Some(Action::Warn)
    );
    let late = cycle(&mut s, &i, &p, &c, at(60));
    assert_eq!(late.findings[0].step, Action::Warn);
    assert_eq!(late.findings[0].action, None);
    assert_eq!(late.findings[0].status, Status::Enforced);
    assert!(
        late.findings[0].next.is_none(),
        "nothing stronger is possible here"
    );
}

#[test]
fn grace_zero_acts_at_once() {
    let p = CompiledPolicy::new(Policy {
        enforcement: vec![Step {
            action: Action::Suspend,
            after_days: 0,
        }],
        ..Policy::builtin()
    });
    let plan = evaluate(
        &inv(&[TIKTOK]),
        &p,
        &State::new(),
        &caps("profile-owner"),
        at(0),
    );
    assert_eq!(plan.findings[0].action, Some(Action::Suspend));
}

#[test]
fn evaluating_again_after_recording_plans_nothing_new() {
    let (p, c, i) = (
        builtin(),
        caps("device-owner"),
        inv(&[TIKTOK, "com.lemon.lvoverseas"]),
    );
    let mut s = State::new();
    let first = cycle(&mut s, &i, &p, &c, at(20));
    assert_eq!(first.actions.len(), 2);
    let again = evaluate(&i, &p, &s, &c, at(20));
    assert!(again.actions.is_empty(), "{:?}", again.actions);
    assert!(again.findings.iter().all(|f| f.status == Status::Enforced));
}

#[test]
fn a_later_scan_showing_the_action_undone_replans_it() {
    let (p, c) = (builtin(), caps("profile-owner"));
    let mut s = State::new();
    let mut i = inv(&[TIKTOK]);
    cycle(&mut s, &i, &p, &c, at(0));
    cycle(&mut s, &i, &p, &c, at(15)); // suspended
                                       // The employee (or another tool) lifted the suspension; a fresh scan shows it.
    i.captured_at = Some(at(16));
    i.packages[0].suspended = false;
    let plan = evaluate(&i, &p, &s, &c, at(16));
    assert_eq!(plan.findings[0].action, Some(Action::Suspend));
    // A fresh scan that shows it still suspended plans nothing.
    i.packages[0].suspended = true;
    assert!(evaluate(&i, &p, &s, &c, at(16)).actions.is_empty());
}

#[test]
fn failed_actions_are_retried_after_a_day_not_every_scan() {
    let (p, c, i) = (builtin(), caps("profile-owner"), inv(&[TIKTOK]));
    let mut s = State::new();
    cycle(&mut s, &i, &p, &c, at(0));
    let plan = evaluate(&i, &p, &s, &c, at(14));
    s.note_plan(&plan, &i, at(14));
    s.record(
        &veto_core::Outcomes {
            outcomes: vec![Outcome {
                package: TIKTOK.into(),
                action: Action::Suspend,
                result: OutcomeResult::Failed,
                detail: Some("cannot suspend the default launcher".into()),
            }],
        },
        at(14),
    );
    let soon = evaluate(&i, &p, &s, &c, at(14).plus_millis(3_600_000));
    assert_eq!(soon.findings[0].status, Status::Failed);
    assert!(soon.actions.is_empty());
    let later = evaluate(&i, &p, &s, &c, at(15).plus_millis(1));
    assert_eq!(later.findings[0].action, Some(Action::Suspend));
}

#[test]
fn something_suspended_by_someone_else_is_not_claimed_or_reversed() {
    let (p, c) = (builtin(), caps("profile-owner"));
    let mut i = inv(&[TIKTOK]);
    i.packages[0].suspended = true;
    let mut s = State::new();
    cycle(&mut s, &i, &p, &c, at(0));
    let plan = cycle(&mut s, &i, &p, &c, at(20));
    assert_eq!(
        plan.findings[0].action, None,
        "the EMM already suspended it"
    );
    assert!(plan.findings[0].in_effect.contains(&Action::Suspend));
    // Lifting the rule must not unsuspend what Veto did not suspend.
    let lifted = CompiledPolicy::new(Policy {
        use_builtin_catalog: false,
        ..Policy::builtin()
    });
    let after = evaluate(&i, &lifted, &s, &c, at(21));
    assert!(after.reversals.is_empty());
}

#[test]
fn lifting_a_rule_reverses_only_what_veto_did() {
    let (c, i) = (caps("profile-owner"), inv(&[TIKTOK]));
    let mut s = State::new();
    cycle(&mut s, &i, &builtin(), &c, at(0));
    cycle(&mut s, &i, &builtin(), &c, at(14)); // suspended
    cycle(&mut s, &i, &builtin(), &c, at(42)); // hidden (uninstall degraded)
    let exception = CompiledPolicy::new(Policy {
        allow: vec![AllowEntry {
            matcher: Matcher::Package(TIKTOK.into()),
            reason: Some("approved".into()),
        }],
        ..Policy::builtin()
    });
    let plan = cycle(&mut s, &i, &exception, &c, at(43));
    assert!(plan.findings.is_empty());
    let undo: Vec<Action> = plan.reversals.iter().map(|r| r.action).collect();
    assert_eq!(undo, [Action::Unsuspend, Action::Unhide]);
    assert!(plan.reversals[0]
        .why
        .contains("no rule of the current policy bars it"));
    assert_eq!(plan.actions.len(), 2);
    // Recorded: nothing more to undo, and the package is forgotten.
    let again = evaluate(&i, &exception, &s, &c, at(44));
    assert!(again.reversals.is_empty() && again.actions.is_empty());
    s.note_plan(&again, &i, at(44));
    assert!(
        s.package(TIKTOK).is_none(),
        "nothing of Veto's is left on it"
    );
}

#[test]
fn switching_to_report_only_reverses_and_plans_no_notices() {
    let (c, i) = (caps("profile-owner"), inv(&[TIKTOK]));
    let mut s = State::new();
    cycle(&mut s, &i, &builtin(), &c, at(0));
    cycle(&mut s, &i, &builtin(), &c, at(14));
    let report_only = CompiledPolicy::new(Policy {
        enforcement: vec![Step {
            action: Action::Report,
            after_days: 0,
        }],
        ..Policy::builtin()
    });
    let plan = evaluate(&i, &report_only, &s, &c, at(15));
    assert_eq!(plan.findings[0].status, Status::Reported);
    assert_eq!(plan.findings[0].action, None);
    assert_eq!(plan.reversals.len(), 1);
    assert_eq!(plan.reversals[0].action, Action::Unsuspend);
    assert!(
        plan.actions.iter().all(|a| a.action == Action::Unsuspend),
        "no warn in report-only mode"
    );
    assert!(!plan.compliant, "report-only findings still count");
}

#[test]
fn protected_packages_are_never_planned_whatever_the_policy_says() {
    let rule = |id: &str, m: &str| Rule {
        id: id.into(),
        matcher: Matcher::package_or_pattern(m).unwrap(),
        reason: "r".into(),
        source: None,
    };
    let p = CompiledPolicy::new(Policy {
        rules: vec![
            rule("everything", "*"),
            rule("store", "com.android.vending"),
        ],
        protected: vec![Matcher::Package("com.example.emm".into())],
        ..Policy::builtin()
    });
    let mut c = caps("device-owner");
    c.self_package = Some("org.veto.custom".into());
    c.dpc_package = Some("com.example.dpc".into());
    let mut i = inv(&[
        "com.android.vending",
        "com.google.android.gms",
        "com.android.settings",
        "app.veto",
        "org.veto.custom",
        "com.example.dpc",
        "com.example.emm",
        "com.android.systemui",
        "com.example.victim",
    ]);
    i.packages[7].system = true;
    let plan = evaluate(&i, &p, &State::new(), &c, at(100));
    let planned: Vec<&str> = plan.findings.iter().map(|f| f.package.as_str()).collect();
    assert_eq!(planned, ["com.example.victim"]);
    let store_warning = plan
        .warnings
        .iter()
        .find(|w| {
            w.package.as_deref() == Some("com.android.vending")
                && w.rule.as_deref() == Some("store")
        })
        .unwrap();
    assert_eq!(store_warning.code, "protected_match");
    assert!(
        store_warning.message.contains("the Play Store"),
        "{}",
        store_warning.message
    );
    let sys = plan
        .warnings
        .iter()
        .find(|w| w.package.as_deref() == Some("com.android.systemui"))
        .unwrap();
    assert!(
        sys.message.contains("set act_on_system_packages"),
        "{}",
        sys.message
    );
}

#[test]
fn system_packages_opt_in() {
    let p = CompiledPolicy::new(Policy {
        rules: vec![Rule {
            id: "x".into(),
            matcher: Matcher::Package("com.vendor.bloat".into()),
            reason: "r".into(),
            source: None,
        }],
        act_on_system_packages: true,
        ..Policy::builtin()
    });
    let mut i = inv(&["com.vendor.bloat"]);
    i.packages[0].system = true;
    assert_eq!(
        evaluate(&i, &p, &State::new(), &caps("device-owner"), at(0))
            .findings
            .len(),
        1
    );
}

#[test]
fn allowlist_mode_bars_everything_not_approved() {
    let p = CompiledPolicy::new(Policy {
        mode: Mode::Allowlist,
        allow: vec![AllowEntry {
            matcher: Matcher::package_or_pattern("com.microsoft.*").unwrap(),
            reason: None,
        }],
        ..Policy::builtin()
    });
    let mut i = inv(&[
        "com.microsoft.teams",
        "com.random.game",
        TIKTOK,
        "com.android.chrome",
    ]);
    i.packages[3].system = true;
    let plan = evaluate(&i, &p, &State::new(), &caps("profile-owner"), at(0));
    let found: Vec<(&str, Vec<String>)> = plan
        .findings
        .iter()
        .map(|f| (f.package.as_str(), f.rules.clone()))
        .collect();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0], ("com.random.game", vec!["allowlist".to_string()]));
    assert_eq!(found[1].0, TIKTOK);
    assert_eq!(found[1].1[0], "allowlist");
    assert!(
        found[1].1.iter().any(|r| r.starts_with("bytedance/")),
        "denylist reasons are kept"
    );
    assert!(
        plan.warnings
            .iter()
            .all(|w| w.package.as_deref() != Some("com.android.chrome")),
        "system apps are silently exempt"
    );
}

#[test]
fn signer_rule_catches_a_renamed_copy() {
    let mut i = inv(&["com.example.totally.not.tiktok"]);
    i.packages[0].signing_sha256 = vec![veto_core::CertDigest::parse(
        "9041803e91bcb814b4b4399fb5c85a91640b755e5e8ba76813814bf4cf2ab5ba",
    )
    .unwrap()];
    let plan = evaluate(&i, &builtin(), &State::new(), &caps("profile-owner"), at(0));
    assert_eq!(plan.findings[0].rules, ["bytedance/tiktok-play-signer"]);
    assert_eq!(plan.findings[0].matches[0].matcher, "signer");
}

#[test]
fn expired_policy_still_enforces_but_warns() {
    let p = CompiledPolicy::new(Policy {
        expires: Some(at(1)),
        ..Policy::builtin()
    });
    let plan = evaluate(
        &inv(&[TIKTOK]),
        &p,
        &State::new(),
        &caps("profile-owner"),
        at(2),
    );
    assert_eq!(plan.findings[0].action, Some(Action::Warn));
    assert!(plan
        .warnings
        .iter()
        .any(|w| w.code == "policy_expired" && w.message.contains("keeps enforcing")));
}

#[test]
fn a_package_reinstalled_keeps_its_first_seen_time() {
    let (p, c) = (builtin(), caps("device-owner"));
    let mut s = State::new();
    cycle(&mut s, &inv(&[TIKTOK]), &p, &c, at(0));
    cycle(&mut s, &inv(&[]), &p, &c, at(5)); // removed by the employee
    let back = evaluate(&inv(&[TIKTOK]), &p, &s, &c, at(20));
    assert_eq!(back.findings[0].first_seen, at(0));
    assert_eq!(back.findings[0].action, Some(Action::Suspend));
}

#[test]
fn plan_json_has_the_contract_fields() {
    let plan = evaluate(
        &inv(&[TIKTOK]),
        &builtin(),
        &State::new(),
        &caps("profile-owner"),
        at(0),
    );
    let v: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    let f = &v["findings"][0];
    for key in [
        "package",
        "rules",
        "action",
        "deadline",
        "first_seen",
        "status",
        "next",
        "matches",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }
    assert_eq!(f["action"], "warn");
    assert_eq!(f["deadline"], at(42).to_rfc3339());
    assert!(v["reversals"].is_array() && v["warnings"].is_array() && v["actions"].is_array());
    assert_eq!(Plan::from_json(&plan.to_json()).unwrap(), plan);
}

fn any_caps() -> impl Strategy<Value = Capabilities> {
    prop_oneof![
        Just("device-owner"),
        Just("profile-owner"),
        Just("affiliated-profile-owner"),
        Just("delegate:package-access"),
        Just("delegate:block-uninstall"),
        Just("none"),
    ]
    .prop_map(caps)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    // Whatever the sequence of scan times and capabilities, after a cycle is recorded
    // the same evaluation plans nothing, and no action ever exceeds what the device allows.
    #[test]
    fn idempotent_and_within_capabilities(
        days in proptest::collection::vec(0i64..80, 1..8),
        c in any_caps(),
        present in proptest::collection::vec(any::<bool>(), 4),
    ) {
        let names = [TIKTOK, "com.lemon.lvoverseas", "com.ss.android.ugc.trill", "com.microsoft.teams"];
        let p = builtin();
        let mut s = State::new();
        let mut days = days;
        days.sort();
        for d in days {
            let i = inv(&names.iter().zip(&present).filter(|(_, p)| **p).map(|(n, _)| *n).collect::<Vec<_>>());
            let plan = cycle(&mut s, &i, &p, &c, at(d));
            for a in &plan.actions {
                prop_assert!(c.allows(a.action), "{:?} not allowed for {:?}", a.action, c);
            }
            for f in &plan.findings {
                prop_assert!(f.step <= Action::Uninstall);
                prop_assert!(f.first_seen <= at(d));
            }
            let again = evaluate(&i, &p, &s, &c, at(d));
            prop_assert!(again.actions.is_empty(), "day {}: {:?}", d, again.actions);
        }
    }

    // The step reached never goes down as time passes, and never exceeds the ladder.
    #[test]
    fn escalation_is_monotonic(d1 in 0i64..100, d2 in 0i64..100, c in any_caps()) {
        let (early, late) = (d1.min(d2), d1.max(d2));
        let p = builtin();
        let mut s = State::new();
        let i = inv(&[TIKTOK]);
        cycle(&mut s, &i, &p, &c, at(0));
        let a = evaluate(&i, &p, &s, &c, at(early)).findings[0].step;
        let b = evaluate(&i, &p, &s, &c, at(late)).findings[0].step;
        prop_assert!(a <= b);
    }
}
