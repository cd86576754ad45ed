//! A crash at every write (issue 12): the state, the last good policy, the feed policy and
//! the report queue, each stopped at every point of every write and removal (before the
//! temporary file, after creating it, after writing it, after its fsync, after the rename,
//! after the directory fsync; before and after a removal), as a killed process and as a
//! power cut, then restarted from what is on disk:
//! - nothing accepted is lost (what a call reported as saved is there after the restart);
//! - nothing is half-read (no file is quarantined, every load gives a whole old or new value);
//! - no grace period restarts (first-seen times survive);
//! - no report is sent twice under two ids, and every queued report is sent.
//!
//! The points and the harness (`at_every_point`, with a killed process and a power cut at
//! each) come from veto-store's test-only `crash-points` feature.

// Test code: a failed unwrap is a failed test; tests write and damage files on purpose.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::{Reply, TestServer};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use veto_core::config::Settings;
use veto_core::policy::Policy;
use veto_core::state::{Outcome, OutcomeResult, Outcomes};
use veto_core::time::{Timestamp, DAY_MS};
use veto_core::{evaluate, Action, Capabilities, CompiledPolicy, Inventory, Package, State};
use veto_net::feed::{last_good, sign_policy, sync_policy, LAST_GOOD_FILE};
use veto_net::queue::ReportQueue;
use veto_store::crash::harness::{assert_nothing_quarantined, at_every_point};
use veto_store::crash::{self, Point};
use veto_store::{load_or_quarantine, write_atomic, Loaded, StateStore};

const T0: i64 = 1_795_363_200_000;
const TIKTOK: &str = "com.zhiliaoapp.musically";

fn day(n: i64) -> Timestamp {
    Timestamp::from_millis(T0 + n * DAY_MS)
}

// ---- the state ---------------------------------------------------------------------

struct StateRun {
    dir: tempfile::TempDir,
    /// States whose save returned Ok, in order.
    accepted: RefCell<Vec<State>>,
    /// The state being saved when the crash came.
    in_flight: RefCell<Option<State>>,
}

fn scan() -> (Inventory, CompiledPolicy, Capabilities) {
    let inventory = Inventory {
        profile: "work".into(),
        captured_at: None,
        packages: vec![
            Package::named(TIKTOK),
            Package::named("com.lemon.lvoverseas"),
        ],
    };
    let policy = CompiledPolicy::new(Policy::builtin());
    (
        inventory,
        policy,
        Capabilities::from_cli_list("profile-owner").unwrap(),
    )
}

fn all_done(plan: &veto_core::Plan) -> Outcomes {
    Outcomes {
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

/// One cycle as the agent runs it: load, evaluate, note, save; record, save.
fn cycle(run: &StateRun, now: Timestamp) -> veto_core::Result<()> {
    let store = StateStore::new(run.dir.path());
    let (inventory, policy, caps) = scan();
    let (mut state, _) = store.load()?;
    let plan = evaluate(&inventory, &policy, &state, &caps, now);
    state.note_plan(&plan, &inventory, now);
    *run.in_flight.borrow_mut() = Some(state.clone());
    store.save(&state)?;
    run.accepted.borrow_mut().push(state.clone());
    state.record(&all_done(&plan), now);
    *run.in_flight.borrow_mut() = Some(state.clone());
    store.save(&state)?;
    run.accepted.borrow_mut().push(state);
    Ok(())
}

#[test]
fn the_state_survives_a_crash_at_every_point_without_restarting_grace_periods() {
    let checked = at_every_point(
        || {
            let run = StateRun {
                dir: tempfile::tempdir().unwrap(),
                accepted: RefCell::new(Vec::new()),
                in_flight: RefCell::new(None),
            };
            cycle(&run, day(0)).unwrap();
            run.accepted.borrow_mut().clear();
            run
        },
        |run| {
            // Two weeks later, the suspension is due: crash somewhere in this cycle.
            let _ = cycle(run, day(14));
        },
        |run, crash| {
            let store = StateStore::new(run.dir.path());
            let (state, warnings) = store.load().unwrap();
            assert!(warnings.is_empty(), "{crash:?}: {warnings:?}");
            assert_nothing_quarantined(run.dir.path(), crash);
            // Nothing accepted lost: the last accepted state or the one in flight, whole.
            let mut allowed: Vec<State> =
                run.accepted.borrow().last().cloned().into_iter().collect();
            allowed.extend(run.in_flight.borrow().clone());
            if run.accepted.borrow().is_empty() {
                // Nothing of this cycle accepted yet: day 0's final state is also fine.
                let day0 = StateRun {
                    dir: tempfile::tempdir().unwrap(),
                    accepted: RefCell::new(Vec::new()),
                    in_flight: RefCell::new(None),
                };
                crash::restart();
                cycle(&day0, day(0)).unwrap();
                allowed.extend(day0.accepted.borrow().last().cloned());
            }
            assert!(allowed.contains(&state), "{crash:?}: loaded {state:?}");
            // No grace period restarts: first seen stays day 0.
            assert_eq!(
                state.package(TIKTOK).unwrap().first_seen,
                day(0),
                "{crash:?}"
            );
            // The agent runs again and reaches the suspension, counted from day 0.
            cycle(run, day(14)).unwrap();
            let (state, warnings) = store.load().unwrap();
            assert!(warnings.is_empty(), "{crash:?}: {warnings:?}");
            let (inventory, policy, caps) = scan();
            let plan = evaluate(&inventory, &policy, &state, &caps, day(14));
            let f = plan.finding(TIKTOK).unwrap();
            assert_eq!(
                (f.first_seen, f.step),
                (day(0), Action::Suspend),
                "{crash:?}"
            );
            assert!(plan.actions.is_empty(), "{crash:?}: {:?}", plan.actions);
        },
    );
    // Two saves, each a backup write and a state write, six points each, two modes.
    assert_eq!(checked, 2 * 2 * 6 * 2, "crash points checked");
}

// ---- the last good policy of the managed configuration ---------------------------------

/// The same calls veto-jni's remember_policy / fallback_policy make on
/// `last-good-policy.json`: write_atomic of the policy JSON, load_or_quarantine to read it.
#[test]
fn the_last_good_policy_survives_a_crash_at_every_point() {
    let v1 = Policy::from_json(r#"{"version": 1, "enforcement": "warn"}"#).unwrap();
    let v2 = Policy::from_json(
        r#"{"version": 2, "rules": [{"id": "x", "package": "com.x", "reason": "r"}]}"#,
    )
    .unwrap();
    let checked = at_every_point(
        || {
            let dir = tempfile::tempdir().unwrap();
            write_atomic(
                &dir.path().join("last-good-policy.json"),
                v1.to_json().as_bytes(),
            )
            .unwrap();
            (dir, RefCell::new(false))
        },
        |(dir, accepted)| {
            let ok = write_atomic(
                &dir.path().join("last-good-policy.json"),
                v2.to_json().as_bytes(),
            )
            .is_ok();
            *accepted.borrow_mut() = ok;
        },
        |(dir, accepted), crash| {
            let path = dir.path().join("last-good-policy.json");
            match load_or_quarantine(&path, Policy::from_json).unwrap() {
                Loaded::Found(p) => {
                    assert!(p == v1 || p == v2, "{crash:?}: {p:?}");
                    if *accepted.borrow() {
                        assert_eq!(p, v2, "{crash:?}: an accepted policy was lost");
                    }
                }
                other => panic!("{crash:?}: {other:?}"),
            }
            assert_nothing_quarantined(dir.path(), crash);
        },
    );
    assert_eq!(checked, 6 * 2);
}

// ---- the feed policy ----------------------------------------------------------------

fn feed_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[5; 32])
}

fn signed_policy(version: u64) -> Vec<u8> {
    let json = format!(
        r#"{{"version": {version}, "rules": [{{"id": "t", "package": "{TIKTOK}", "reason": "Barred"}}]}}"#
    );
    sign_policy(json.as_bytes(), &feed_key())
        .unwrap()
        .into_bytes()
}

#[test]
fn the_feed_policy_survives_a_crash_at_every_point() {
    let server = TestServer::start(|_| Reply::status(500));
    let settings = Settings {
        policy_url: Some(server.url("/policy")),
        policy_public_key: Some(veto_net::keys::encode_key(
            feed_key().verifying_key().as_bytes(),
        )),
        ..Settings::default()
    };
    let v1 = signed_policy(1);
    let v2 = signed_policy(2);
    let serve = |body: Vec<u8>, etag: &'static str| {
        server.set_handler(move |_| Reply::ok(body.clone()).with_header("ETag", etag));
    };
    let checked = at_every_point(
        || {
            let dir = tempfile::tempdir().unwrap();
            serve(v1.clone(), "\"v1\"");
            let report = sync_policy(&settings, dir.path(), day(0), &server.net());
            assert!(report.result.is_ok(), "{:?}", report.result);
            serve(v2.clone(), "\"v2\"");
            (dir, RefCell::new(false))
        },
        |(dir, accepted)| {
            let report = sync_policy(&settings, dir.path(), day(1), &server.net());
            *accepted.borrow_mut() = report.result.is_ok();
        },
        |(dir, accepted), crash| {
            // At the next evaluation (no network): the old or the new policy, whole.
            let good = last_good(dir.path())
                .unwrap_or_else(|e| panic!("{crash:?}: {e}"))
                .unwrap_or_else(|| panic!("{crash:?}: the last good policy is gone"));
            assert!(matches!(good.version, 1 | 2), "{crash:?}");
            if *accepted.borrow() {
                assert_eq!(good.version, 2, "{crash:?}");
            }
            assert_nothing_quarantined(dir.path(), crash);
            // The next sync completes.
            let report = sync_policy(&settings, dir.path(), day(2), &server.net());
            assert!(report.result.is_ok(), "{crash:?}: {:?}", report.result);
            assert_eq!(
                last_good(dir.path()).unwrap().unwrap().version,
                2,
                "{crash:?}"
            );
            let stored = std::fs::read(dir.path().join(LAST_GOOD_FILE)).unwrap();
            assert!(!stored.is_empty());
        },
    );
    // feed-last-good.json and feed-status.json, six points each, two modes.
    assert_eq!(checked, 2 * 6 * 2);
}

// ---- the report queue ---------------------------------------------------------------

/// The receiver outlives every crash: what it got, by report id.
type Received = RefCell<Vec<(String, String, u64)>>;

struct QueueRun {
    dir: tempfile::TempDir,
    capacity: usize,
    /// Ids whose enqueue returned Ok.
    accepted: RefCell<Vec<String>>,
    received: Received,
}

fn queue_of(run: &QueueRun) -> ReportQueue {
    ReportQueue::new(run.dir.path()).with_capacity(run.capacity)
}

fn enqueue(run: &QueueRun, id: &str, now: Timestamp) -> veto_core::Result<()> {
    let queue = queue_of(run);
    let dropped = queue.dropped_pending()?;
    queue.enqueue(id, &format!("{{\"report\": \"{id}\"}}"), dropped, now)?;
    run.accepted.borrow_mut().push(id.to_string());
    Ok(())
}

fn flush(run: &QueueRun, now: Timestamp) -> veto_core::Result<()> {
    queue_of(run).flush(now, |entry| {
        run.received.borrow_mut().push((
            entry.report_id.clone(),
            entry.body.clone(),
            entry.dropped_reports,
        ));
        Ok(())
    })?;
    Ok(())
}

fn queue_scenario(capacity: usize) -> usize {
    at_every_point(
        || {
            let run = QueueRun {
                dir: tempfile::tempdir().unwrap(),
                capacity,
                accepted: RefCell::new(Vec::new()),
                received: RefCell::new(Vec::new()),
            };
            enqueue(&run, "r1", day(0)).unwrap();
            run
        },
        |run| {
            let _ = enqueue(run, "r2", day(1))
                .and_then(|()| enqueue(run, "r3", day(2)))
                .and_then(|()| flush(run, day(3)));
        },
        |run, crash| {
            let queue = queue_of(run);
            assert_nothing_quarantined(run.dir.path(), crash);
            // The agent runs again: the same reports are queued anew only if they never were
            // (the caller retries what did not return Ok), then the queue is flushed.
            let queued: BTreeSet<String> = queue
                .entries()
                .unwrap()
                .into_iter()
                .map(|e| e.report_id)
                .collect();
            for (id, at) in [("r2", 1), ("r3", 2)] {
                let sent = run.received.borrow().iter().any(|(r, _, _)| r == id);
                if !run.accepted.borrow().iter().any(|a| a == id) && !queued.contains(id) && !sent {
                    enqueue(run, id, day(at)).unwrap();
                }
            }
            flush(run, day(4)).unwrap();
            assert!(
                queue.entries().unwrap().is_empty(),
                "{crash:?}: reports left after a good flush"
            );

            let received = run.received.borrow();
            // No report sent twice under two ids: one id per body.
            let mut ids_by_body: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for (id, body, _) in received.iter() {
                ids_by_body.entry(body).or_default().insert(id);
                assert!(
                    body.contains(id.as_str()),
                    "{crash:?}: {id} sent with {body}"
                );
            }
            for (body, ids) in &ids_by_body {
                assert_eq!(ids.len(), 1, "{crash:?}: {body} sent under {ids:?}");
            }
            // Nothing accepted lost: every report is received, or dropped for room and
            // counted (in a later report's dropped_reports or the pending counter).
            let got: BTreeSet<&str> = received.iter().map(|(id, _, _)| id.as_str()).collect();
            let missing = ["r1", "r2", "r3"]
                .iter()
                .filter(|id| !got.contains(*id))
                .count() as u64;
            let mut counted: BTreeMap<&str, u64> = BTreeMap::new();
            for (id, _, dropped) in received.iter() {
                counted.insert(id, *dropped);
            }
            let counted: u64 = counted.values().sum::<u64>() + queue.dropped_pending().unwrap();
            // Known gap (docs/reliability.md): a crash after the oldest report is removed for
            // room and before the drop counter is saved loses that one count. Never more, and
            // never a count for a report that was sent.
            let gap = matches!(
                crash.point,
                Point::Removed
                    | Point::BeforeTemp
                    | Point::TempCreated
                    | Point::TempWritten
                    | Point::TempSynced
                    | Point::Renamed
            ) && missing == counted + 1;
            assert!(
                counted == missing || gap,
                "{crash:?}: {missing} reports dropped, {counted} counted; received {received:?}"
            );
        },
    )
}

#[test]
fn the_report_queue_survives_a_crash_at_every_point() {
    let checked = queue_scenario(10);
    eprintln!("report queue: {checked} crashes checked");
    assert!(checked >= 2 * 6 * 2, "{checked}");
}

#[test]
fn a_full_report_queue_counts_what_it_drops_across_a_crash_at_every_point() {
    let checked = queue_scenario(2);
    eprintln!("full report queue: {checked} crashes checked");
    assert!(checked >= 2 * 6 * 2, "{checked}");
}
