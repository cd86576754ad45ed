//! Write-ahead (docs/contract.md, "Write-ahead"): the plan's device actions are noted as
//! pending before the shell acts, `record` settles them, and the next evaluation reconciles
//! whatever a process death left pending against what the scan shows. Also archived apps.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use veto_core::state::{Outcome, OutcomeResult, PENDING_UNATTRIBUTED};
use veto_core::time::DAY_MS;
use veto_core::{
    evaluate, Action, Capabilities, CompiledPolicy, Inventory, Outcomes, Package, Plan, Policy,
    State, Status, Timestamp,
};

const APP: &str = "com.example.timewaster";
const T0: i64 = 1_700_000_000_000;

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millis(T0 + minutes * 60_000)
}

fn caps(s: &str) -> Capabilities {
    Capabilities::from_cli_list(s).unwrap()
}

/// A policy that suspends `APP` at once (or, with `barred` false, bars nothing).
fn policy(barred: bool) -> CompiledPolicy {
    let rules = if barred {
        format!(r#"[{{"id": "game", "package": "{APP}", "reason": "Barred"}}]"#)
    } else {
        "[]".to_string()
    };
    CompiledPolicy::new(
        Policy::from_json(&format!(
            r#"{{"version": 1, "use_builtin_catalog": false, "rules": {rules},
                "enforcement": [{{"action": "suspend", "after_days": 0}}]}}"#
        ))
        .unwrap(),
    )
}

fn scan(suspended: bool) -> Inventory {
    Inventory {
        profile: "work".into(),
        captured_at: None,
        packages: vec![Package {
            suspended,
            ..Package::named(APP)
        }],
    }
}

/// What `evaluate` does with the state, in order: reconcile, decide, note, write ahead.
fn evaluate_with_state(
    state: &mut State,
    inventory: &Inventory,
    policy: &CompiledPolicy,
    caps: &Capabilities,
    now: Timestamp,
) -> Plan {
    let warnings = state.reconcile(inventory, caps, now);
    let mut plan = evaluate(inventory, policy, state, caps, now);
    plan.warnings.extend(warnings);
    state.note_plan(&plan, inventory, now);
    state.note_pending(&plan, caps, now);
    plan
}

fn actions(plan: &Plan) -> Vec<(&str, Action)> {
    plan.actions
        .iter()
        .map(|a| (a.package.as_str(), a.action))
        .collect()
}

fn pending(state: &State) -> Vec<Action> {
    state
        .package(APP)
        .map(|p| p.pending.keys().copied().collect())
        .unwrap_or_default()
}

fn done(action: Action) -> Outcomes {
    Outcomes {
        outcomes: vec![Outcome {
            package: APP.into(),
            action,
            result: OutcomeResult::Done,
            detail: None,
        }],
    }
}

#[test]
fn evaluate_notes_device_actions_as_pending_and_record_settles_them() {
    let mut state = State::new();
    let owner = caps("profile-owner");
    let plan = evaluate_with_state(&mut state, &scan(false), &policy(true), &owner, at(0));
    assert_eq!(actions(&plan), [(APP, Action::Suspend)]);
    assert_eq!(pending(&state), [Action::Suspend]);
    let json = state.to_json();
    assert!(json.contains("\"pending\""), "{json}");
    assert_eq!(
        State::from_json(&json).unwrap(),
        state,
        "pending round-trips"
    );

    state.record(&done(Action::Suspend), at(1));
    assert!(pending(&state).is_empty());
    assert!(
        !state.to_json().contains("\"pending\""),
        "a settled state is written without the field, as before write-ahead"
    );
}

#[test]
fn a_death_after_the_dpm_call_is_recorded_as_vetos_own_and_reversed_later() {
    let mut state = State::new();
    let owner = caps("profile-owner");
    evaluate_with_state(&mut state, &scan(false), &policy(true), &owner, at(0));
    // The shell suspended the app, then the process died before `record`.
    let next = evaluate_with_state(&mut state, &scan(true), &policy(true), &owner, at(30));
    assert!(actions(&next).is_empty(), "{:?}", next.actions);
    assert_eq!(next.findings[0].status, Status::Enforced);
    assert!(next.warnings.is_empty(), "{:?}", next.warnings);
    let applied = &state.package(APP).unwrap().applied[&Action::Suspend];
    assert_eq!(applied.result, OutcomeResult::Done);
    assert!(
        applied
            .detail
            .as_deref()
            .unwrap()
            .contains("after a restart"),
        "{applied:?}"
    );
    assert!(pending(&state).is_empty());
    // The rule is lifted: Veto undoes what it now knows it did.
    let lifted = evaluate_with_state(&mut state, &scan(true), &policy(false), &owner, at(60));
    assert_eq!(actions(&lifted), [(APP, Action::Unsuspend)]);
}

#[test]
fn a_death_before_the_dpm_call_plans_the_action_again() {
    let mut state = State::new();
    let owner = caps("profile-owner");
    evaluate_with_state(&mut state, &scan(false), &policy(true), &owner, at(0));
    let next = evaluate_with_state(&mut state, &scan(false), &policy(true), &owner, at(30));
    assert_eq!(actions(&next), [(APP, Action::Suspend)], "retried at once");
    assert!(!state
        .package(APP)
        .unwrap()
        .applied
        .contains_key(&Action::Suspend));
    assert_eq!(pending(&state), [Action::Suspend], "written ahead again");
    // Nothing Veto did is in effect, so lifting the rule reverses nothing.
    let lifted = evaluate_with_state(&mut state, &scan(false), &policy(false), &owner, at(60));
    assert!(actions(&lifted).is_empty(), "{:?}", lifted.actions);
}

#[test]
fn a_delegate_does_not_claim_a_suspension_the_dpc_may_have_made() {
    // Veto as a delegate plans a suspension and dies; meanwhile the EMM (the DPC) suspends the
    // app itself. The flag cannot tell the two calls apart, so Veto must not count it as its
    // own: otherwise lifting Veto's rule would undo the EMM's suspension.
    let mut state = State::new();
    let delegate = caps("delegate:package-access");
    evaluate_with_state(&mut state, &scan(false), &policy(true), &delegate, at(0));
    let next = evaluate_with_state(&mut state, &scan(true), &policy(true), &delegate, at(30));
    assert!(
        actions(&next).is_empty(),
        "observed suspended: nothing to do"
    );
    let warning = next
        .warnings
        .iter()
        .find(|w| w.code == PENDING_UNATTRIBUTED)
        .expect("the plan says why Veto does not count it as its own");
    assert_eq!(warning.package.as_deref(), Some(APP));
    assert!(
        warning.message.contains("never undo it"),
        "{}",
        warning.message
    );
    assert!(next.findings[0].in_effect.contains(&Action::Suspend));
    assert!(!state
        .package(APP)
        .unwrap()
        .applied
        .contains_key(&Action::Suspend));
    let lifted = evaluate_with_state(&mut state, &scan(true), &policy(false), &delegate, at(60));
    assert!(
        actions(&lifted).is_empty(),
        "Veto never reverses what it did not record: {:?}",
        lifted.actions
    );
    // A role change in between (owner when planned, delegate now) is just as ambiguous.
    let mut state = State::new();
    evaluate_with_state(
        &mut state,
        &scan(false),
        &policy(true),
        &caps("profile-owner"),
        at(0),
    );
    let next = evaluate_with_state(&mut state, &scan(true), &policy(true), &delegate, at(30));
    assert!(next.warnings.iter().any(|w| w.code == PENDING_UNATTRIBUTED));
}

#[test]
fn pending_reversals_are_reconciled_too() {
    let mut state = State::new();
    let owner = caps("device-owner");
    evaluate_with_state(&mut state, &scan(false), &policy(true), &owner, at(0));
    state.record(&done(Action::Suspend), at(1));
    let lifted = evaluate_with_state(&mut state, &scan(true), &policy(false), &owner, at(60));
    assert_eq!(actions(&lifted), [(APP, Action::Unsuspend)]);
    assert_eq!(pending(&state), [Action::Unsuspend]);
    // Died before the unsuspend: planned again.
    let again = evaluate_with_state(&mut state, &scan(true), &policy(false), &owner, at(90));
    assert_eq!(actions(&again), [(APP, Action::Unsuspend)]);
    // Died after it: Veto's record of the suspension is cleared, nothing more to undo.
    let after = evaluate_with_state(&mut state, &scan(false), &policy(false), &owner, at(120));
    assert!(actions(&after).is_empty(), "{:?}", after.actions);
    assert!(state.package(APP).is_none(), "nothing of Veto's is left");
}

#[test]
fn a_pending_uninstall_is_done_when_the_app_is_gone() {
    let mut state = State::new();
    let owner = caps("device-owner");
    let uninstall = CompiledPolicy::new(
        Policy::from_json(&format!(
            r#"{{"version": 1, "use_builtin_catalog": false,
                "rules": [{{"id": "game", "package": "{APP}", "reason": "Barred"}}],
                "enforcement": [{{"action": "uninstall", "after_days": 0}}]}}"#
        ))
        .unwrap(),
    );
    let plan = evaluate_with_state(&mut state, &scan(false), &uninstall, &owner, at(0));
    assert_eq!(actions(&plan), [(APP, Action::Uninstall)]);
    let gone = Inventory {
        packages: vec![],
        ..scan(false)
    };
    evaluate_with_state(&mut state, &gone, &uninstall, &owner, at(30));
    assert_eq!(
        state.package(APP).unwrap().applied[&Action::Uninstall].result,
        OutcomeResult::Done
    );
    // Still there after the restart instead: planned again.
    let mut state = State::new();
    evaluate_with_state(&mut state, &scan(false), &uninstall, &owner, at(0));
    let again = evaluate_with_state(&mut state, &scan(false), &uninstall, &owner, at(30));
    assert_eq!(actions(&again), [(APP, Action::Uninstall)]);
}

#[test]
fn a_state_file_from_before_write_ahead_still_reads() {
    let old = r#"{
      "version": 1,
      "packages": {
        "com.example.timewaster": {
          "first_seen": "2026-11-01T09:00:00Z",
          "last_seen": "2026-11-20T09:00:00Z",
          "applied": {"suspend": {"result": "done", "at": "2026-11-15T09:00:00Z"}}
        }
      }
    }"#;
    let state = State::from_json(old).expect("an old state file reads");
    let package = state.package(APP).unwrap();
    assert!(package.pending.is_empty());
    assert_eq!(
        package.applied[&Action::Suspend].result,
        OutcomeResult::Done
    );
}

#[test]
fn an_archived_barred_app_is_a_finding_and_gets_the_strongest_permitted_action() {
    let inventory = Inventory::from_json(&format!(
        r#"{{"packages": [{{"package": "{APP}", "archived": true}}]}}"#
    ))
    .unwrap();
    assert!(inventory.packages[0].archived);
    let plan = evaluate(
        &inventory,
        &policy(true),
        &State::new(),
        &caps("profile-owner"),
        Timestamp::from_millis(T0 + DAY_MS),
    );
    assert!(!plan.compliant);
    let finding = &plan.findings[0];
    assert!(finding.archived);
    assert_eq!(finding.action, Some(Action::Suspend));
    let json = plan.to_json();
    assert!(json.contains(r#""archived":true"#), "{json}");
    let states = veto_core::report::keyed_states(&plan, None);
    assert!(
        states.iter().any(|s| s.message.contains("archived")),
        "{states:?}"
    );
    // Not archived: the field is left out, as before.
    let plain = evaluate(
        &scan(false),
        &policy(true),
        &State::new(),
        &caps("profile-owner"),
        Timestamp::from_millis(T0),
    );
    assert!(!plain.to_json().contains("archived"));
}
