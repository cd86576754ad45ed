//! The report queue against a loopback HTTPS server: reports are written before sending,
//! removed only after a 2xx, retried with jittered backoff, and counted when dropped.

// Test code: a failed unwrap is a failed test; the tests write fixtures and damage files on
// purpose, which veto_store::write_atomic would not show any better.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::{Reply, TestServer};
use std::net::TcpListener;
use veto_core::config::Settings;
use veto_core::inventory::Inventory;
use veto_core::plan::Plan;
use veto_core::report::Report;
use veto_core::time::Timestamp;
use veto_core::{evaluate, Capabilities, CompiledPolicy, Policy, State};
use veto_net::queue::{backoff_delay_ms, ReportQueue, BACKOFF_BASE_MS, DEFAULT_CAPACITY};
use veto_net::reporting::{device_id, flush_reports, queue_report, send_report, INSTALL_ID_FILE};

/// 2026-11-22T16:00:00Z
const NOW: i64 = 1_795_363_200_000;

fn at(offset_ms: i64) -> Timestamp {
    Timestamp::from_millis(NOW + offset_ms)
}

fn inventory() -> Inventory {
    Inventory::from_json(
        r#"{"packages":[{"package":"com.zhiliaoapp.musically","label":"TikTok"},{"package":"com.example.mail"}]}"#,
    )
    .unwrap()
}

fn plan() -> Plan {
    evaluate(
        &inventory(),
        &CompiledPolicy::new(Policy::builtin()),
        &State::new(),
        &Capabilities::from_cli_list("profile-owner").unwrap(),
        at(0),
    )
}

fn settings(url: &str) -> Settings {
    Settings {
        report_url: Some(url.to_string()),
        report_token: Some("s3cret".to_string()),
        ..Settings::default()
    }
}

/// A loopback port with nothing listening (the receiver is offline).
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("https://127.0.0.1:{port}/reports")
}

fn queued(dir: &std::path::Path) -> Vec<veto_net::queue::QueuedReport> {
    ReportQueue::new(dir).entries().unwrap()
}

fn received_reports(server: &TestServer) -> Vec<Report> {
    server
        .requests()
        .iter()
        .map(|r| Report::from_json(std::str::from_utf8(&r.body).unwrap()).unwrap())
        .collect()
}

#[test]
fn a_report_is_posted_with_the_token_and_removed_after_2xx() {
    let server = TestServer::start(|_| Reply::status(202));
    let dir = tempfile::tempdir().unwrap();
    let s = settings(&server.url("/reports"));
    let q = queue_report(&plan(), &inventory(), &s, None, dir.path(), at(0))
        .unwrap()
        .unwrap();
    assert_eq!(queued(dir.path()).len(), 1, "written before sending");
    let summary = flush_reports(&s, dir.path(), at(0), &server.net()).unwrap();
    assert_eq!(summary.sent, vec![q.report_id.clone()]);
    assert_eq!(summary.remaining, 0);
    assert!(summary.failed.is_none());
    assert!(queued(dir.path()).is_empty());

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/reports");
    assert_eq!(r.header("Authorization"), Some("Bearer s3cret"));
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.header("Idempotency-Key"), Some(q.report_id.as_str()));
    let report = &received_reports(&server)[0];
    assert_eq!(report.report_id, q.report_id);
    assert!(!report.compliant);
    assert_eq!(report.findings[0].package, "com.zhiliaoapp.musically");
    assert_eq!(report.device_id, device_id(&s, dir.path()).unwrap());
    assert_eq!(report.veto_version, env!("CARGO_PKG_VERSION"));
    // Data minimisation: the rest of the work profile stays on the device.
    assert!(report.inventory.is_none());
    assert!(!std::str::from_utf8(&r.body)
        .unwrap()
        .contains("com.example.mail"));
}

#[test]
fn the_inventory_is_sent_only_when_enabled() {
    let server = TestServer::start(|_| Reply::status(200));
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(&server.url("/reports"));
    s.report_inventory = true;
    s.device_id = Some("amsterdam-0042".to_string());
    queue_report(&plan(), &inventory(), &s, None, dir.path(), at(0)).unwrap();
    flush_reports(&s, dir.path(), at(0), &server.net()).unwrap();
    let report = &received_reports(&server)[0];
    assert_eq!(report.device_id, "amsterdam-0042");
    let packages = report.inventory.as_ref().unwrap();
    assert!(packages.iter().any(|p| p.package == "com.example.mail"));
}

#[test]
fn offline_reports_stay_queued_with_backoff_then_go_out() {
    let dir = tempfile::tempdir().unwrap();
    let offline = settings(&closed_port_url());
    let server = TestServer::start(|_| Reply::status(200));
    let q = queue_report(&plan(), &inventory(), &offline, None, dir.path(), at(0))
        .unwrap()
        .unwrap();
    let summary = flush_reports(&offline, dir.path(), at(0), &server.net()).unwrap();
    assert!(summary.sent.is_empty());
    let failed = summary.failed.as_ref().unwrap();
    assert_eq!(failed.report_id, q.report_id);
    assert_eq!(failed.attempts, 1);
    assert!(
        failed
            .error
            .message()
            .starts_with("report: POST https://127.0.0.1:"),
        "{}",
        failed.error
    );
    assert!(
        failed.error.message().contains(": connection failed"),
        "{}",
        failed.error
    );
    let entry = &queued(dir.path())[0];
    assert_eq!(entry.attempts, 1);
    let wait = entry.next_attempt_at.millis() - NOW;
    assert!(
        (BACKOFF_BASE_MS / 2..=BACKOFF_BASE_MS).contains(&wait),
        "{wait}"
    );
    assert_eq!(summary.next_attempt_at, Some(entry.next_attempt_at));
    assert_eq!(entry.last_error.as_deref(), Some(failed.error.message()));

    // Not due yet: nothing is tried, even with the receiver back.
    let online = settings(&server.url("/reports"));
    let summary = flush_reports(&online, dir.path(), at(wait - 1), &server.net()).unwrap();
    assert!(summary.sent.is_empty() && summary.failed.is_none());
    assert_eq!(summary.remaining, 1);
    assert!(server.requests().is_empty());

    let summary = flush_reports(&online, dir.path(), at(wait), &server.net()).unwrap();
    assert_eq!(summary.sent, vec![q.report_id.clone()]);
    assert!(queued(dir.path()).is_empty());
    assert_eq!(received_reports(&server)[0].report_id, q.report_id);
}

#[test]
fn non_2xx_answers_keep_the_report() {
    let server = TestServer::start(|_| Reply::status(500));
    let dir = tempfile::tempdir().unwrap();
    let s = settings(&server.url("/reports"));
    queue_report(&plan(), &inventory(), &s, None, dir.path(), at(0)).unwrap();
    let summary = flush_reports(&s, dir.path(), at(0), &server.net()).unwrap();
    assert_eq!(
        summary.failed.unwrap().error.message(),
        format!("report: POST {}: answered HTTP 500", server.url("/reports"))
    );
    server.set_handler(|_| Reply::status(401));
    let next = queued(dir.path())[0].next_attempt_at;
    let summary = flush_reports(&s, dir.path(), next, &server.net()).unwrap();
    assert_eq!(summary.failed.as_ref().unwrap().attempts, 2);
    assert_eq!(queued(dir.path()).len(), 1);
    let json: serde_json::Value = serde_json::from_str(&summary.to_json()).unwrap();
    assert_eq!(json["sent"], 0);
    assert_eq!(json["remaining"], 1);
    assert_eq!(json["error"]["kind"], "feed");
}

#[test]
fn a_crash_between_send_and_delete_sends_the_same_report_again() {
    let server = TestServer::start(|_| Reply::status(200));
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/reports");
    let s = settings(&url);
    queue_report(&plan(), &inventory(), &s, None, dir.path(), at(0)).unwrap();
    // The process sends, the receiver accepts, and the process "dies" before deleting.
    {
        let queue = ReportQueue::new(dir.path());
        let due = queue.due(at(0)).unwrap();
        send_report(&server.net(), &url, Some("s3cret"), &due[0]).unwrap();
    }
    assert_eq!(queued(dir.path()).len(), 1, "the file survived the crash");
    // After restart the report goes again, with the same id and the same bytes.
    let summary = flush_reports(&s, dir.path(), at(1_000), &server.net()).unwrap();
    assert_eq!(summary.sent.len(), 1);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
    let reports = received_reports(&server);
    assert_eq!(reports[0].report_id, reports[1].report_id);
    assert!(queued(dir.path()).is_empty());
}

#[test]
fn a_full_queue_drops_the_oldest_and_the_next_report_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let offline = settings(&closed_port_url());
    let mut ids = Vec::new();
    for i in 0..=DEFAULT_CAPACITY {
        let q = queue_report(
            &plan(),
            &inventory(),
            &offline,
            None,
            dir.path(),
            at(i as i64),
        )
        .unwrap()
        .unwrap();
        assert_eq!(q.dropped_now, usize::from(i == DEFAULT_CAPACITY));
        ids.push(q.report_id);
    }
    let left = queued(dir.path());
    assert_eq!(left.len(), DEFAULT_CAPACITY);
    assert_eq!(left[0].report_id, ids[1], "the oldest was dropped");
    assert!(left.iter().all(|e| e.report_id != ids[0]));
    let queue = ReportQueue::new(dir.path());
    assert_eq!(queue.dropped_pending().unwrap(), 1);

    // The next report carries the count; the queue drops one more to make room for it,
    // and that one is counted for the report after.
    let q = queue_report(&plan(), &inventory(), &offline, None, dir.path(), at(1_000))
        .unwrap()
        .unwrap();
    let entry = queued(dir.path())
        .into_iter()
        .find(|e| e.report_id == q.report_id)
        .unwrap();
    assert_eq!(entry.dropped_reports, 1);
    assert_eq!(Report::from_json(&entry.body).unwrap().dropped_reports, 1);
    assert_eq!(queue.dropped_pending().unwrap(), 1);
}

#[test]
fn a_dropped_report_hands_its_own_count_on() {
    let dir = tempfile::tempdir().unwrap();
    let queue = ReportQueue::new(dir.path()).with_capacity(2);
    assert_eq!(queue.enqueue("a", "{}", 0, at(0)).unwrap(), 0);
    assert_eq!(queue.enqueue("b", "{}", 0, at(1)).unwrap(), 0);
    assert_eq!(queue.enqueue("c", "{}", 0, at(2)).unwrap(), 1); // drops a
    assert_eq!(queue.dropped_pending().unwrap(), 1);
    // d carries that 1, and drops b.
    assert_eq!(queue.enqueue("d", "{}", 1, at(3)).unwrap(), 1);
    assert_eq!(queue.dropped_pending().unwrap(), 1);
    // e carries 1 and drops c; then f drops d, which carried 1: a, b, c, d are all counted.
    assert_eq!(queue.enqueue("e", "{}", 1, at(4)).unwrap(), 1);
    assert_eq!(queue.enqueue("f", "{}", 0, at(5)).unwrap(), 1);
    assert_eq!(queue.dropped_pending().unwrap(), 3);
    let ids: Vec<String> = queue
        .entries()
        .unwrap()
        .into_iter()
        .map(|e| e.report_id)
        .collect();
    assert_eq!(ids, ["e", "f"]);
    let err = queue.enqueue("../x", "{}", 0, at(6)).unwrap_err();
    assert_eq!(
        err.message(),
        "report queue: report id \"../x\" must be letters, digits, '-' or '_'"
    );
}

#[test]
fn a_corrupt_queue_file_is_moved_aside_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let queue = ReportQueue::new(dir.path());
    queue.enqueue("a", "{}", 0, at(0)).unwrap();
    queue.enqueue("b", "{}", 0, at(1)).unwrap();
    let first = std::fs::read_dir(queue.dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".report.json"))
        .min()
        .unwrap();
    std::fs::write(&first, b"{ half a rep").unwrap();
    let ids: Vec<String> = queue
        .entries()
        .unwrap()
        .into_iter()
        .map(|e| e.report_id)
        .collect();
    assert_eq!(ids, ["b"]);
    assert_eq!(queue.dropped_pending().unwrap(), 1);
    assert!(std::path::PathBuf::from(format!("{}.corrupt-1", first.display())).exists());
}

#[test]
fn backoff_grows_and_is_jittered_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let offline = settings(&closed_port_url());
    let server = TestServer::start(|_| Reply::status(200));
    queue_report(&plan(), &inventory(), &offline, None, dir.path(), at(0)).unwrap();
    let mut now = at(0);
    let mut waits = Vec::new();
    for attempt in 1..=6u32 {
        let summary = flush_reports(&offline, dir.path(), now, &server.net()).unwrap();
        assert_eq!(summary.failed.as_ref().unwrap().attempts, attempt);
        let next = queued(dir.path())[0].next_attempt_at;
        let wait = next.millis() - now.millis();
        let nominal = BACKOFF_BASE_MS << (attempt - 1);
        assert!(
            (nominal / 2..=nominal).contains(&wait),
            "attempt {attempt}: {wait}"
        );
        waits.push(wait);
        now = next;
    }
    // With the delay drawn from the upper half of a doubling nominal delay, each wait is
    // at least as long as the one before.
    for pair in waits.windows(2) {
        assert!(pair[1] >= pair[0], "{waits:?}");
    }
    // Jitter is applied: the chance that six real draws all hit the bottom is ~1e-27.
    let bottoms = (1..=6u32).map(|a| (BACKOFF_BASE_MS << (a - 1)) / 2);
    assert!(waits.iter().zip(bottoms).any(|(w, b)| *w != b), "{waits:?}");
    // Pure function: bounds and cap over many draws.
    for attempt in 1..=40u32 {
        let nominal = (BACKOFF_BASE_MS << (attempt - 1).min(30)).min(6 * 3_600_000);
        for r in [0u64, 1, 7, u64::MAX / 3, u64::MAX - 1, u64::MAX] {
            let d = backoff_delay_ms(attempt, r);
            assert!((nominal / 2..=nominal).contains(&d), "{attempt} {r} {d}");
        }
    }
    assert_eq!(backoff_delay_ms(1, 0), BACKOFF_BASE_MS / 2);
    assert_eq!(
        backoff_delay_ms(1, (BACKOFF_BASE_MS / 2) as u64),
        BACKOFF_BASE_MS
    );
    assert_eq!(backoff_delay_ms(100, 0), 3 * 3_600_000);
}

#[test]
fn no_report_url_queues_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let got = queue_report(
        &plan(),
        &inventory(),
        &Settings::default(),
        None,
        dir.path(),
        at(0),
    )
    .unwrap();
    assert_eq!(got, None);
    assert!(queued(dir.path()).is_empty());
    let server = TestServer::start(|_| Reply::status(200));
    let summary = flush_reports(&Settings::default(), dir.path(), at(0), &server.net()).unwrap();
    assert_eq!(summary.remaining, 0);
    assert!(server.requests().is_empty());
}

#[test]
fn a_plain_http_report_url_is_refused_and_the_report_kept() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(|_| Reply::status(200));
    let http_url = format!("http://127.0.0.1:{}/reports", server.port);
    let s = settings(&http_url);
    queue_report(&plan(), &inventory(), &s, None, dir.path(), at(0)).unwrap();
    let err = flush_reports(&s, dir.path(), at(0), &server.net()).unwrap_err();
    assert_eq!(
        err.message(),
        format!("report_url: must be an https:// URL, found \"{http_url}\"")
    );
    assert_eq!(queued(dir.path()).len(), 1);
    assert!(server.requests().is_empty());
}

#[test]
fn the_install_id_is_random_once_and_then_stable() {
    let dir = tempfile::tempdir().unwrap();
    let a = device_id(&Settings::default(), dir.path()).unwrap();
    let b = device_id(&Settings::default(), dir.path()).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 36);
    assert!(dir.path().join(INSTALL_ID_FILE).exists());
    let other = tempfile::tempdir().unwrap();
    assert_ne!(device_id(&Settings::default(), other.path()).unwrap(), a);
    let chosen = Settings {
        device_id: Some(" desk-7 ".to_string()),
        ..Settings::default()
    };
    assert_eq!(device_id(&chosen, dir.path()).unwrap(), "desk-7");
}
