//! veto-server's benchmark: sustained ingest over HTTPS with concurrent devices, an
//! 18,000-device burst with nothing lost, and summary/device-list latency at 100,000
//! devices with 30 days of history. On SQLite, and on PostgreSQL when VETO_BENCH_POSTGRES
//! names a server (scripts/server/postgres.sh prints one).
//!
//! `cargo bench -p veto-server --bench server` runs the full sizes (minutes);
//! `cargo test` runs it once at a small size so CI keeps it working. The server is the
//! release-built `veto-server` binary in its own process; the simulated devices are
//! threads of this process, on the same machine (they compete for the same cores).

// Test and benchmark code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use veto_net::queue::QueuedReport;
use veto_net::{Net, Tls};

struct Sizes {
    keepalive_reports: usize,
    phone_reports: usize,
    burst_devices: usize,
    fleet: usize,
    days: i64,
    runs: usize,
}

const FULL: Sizes = Sizes {
    keepalive_reports: 40_000,
    phone_reports: 10_000,
    burst_devices: 18_000,
    fleet: 100_000,
    days: 30,
    runs: 30,
};
const QUICK: Sizes = Sizes {
    keepalive_reports: 400,
    phone_reports: 100,
    burst_devices: 300,
    fleet: 1_000,
    days: 3,
    runs: 3,
};

fn body(id: &str, device: &str, evaluated_at: i64, barred: bool) -> String {
    let findings = if barred {
        vec![finding(
            "com.zhiliaoapp.musically",
            "enforced",
            &["warn", "suspend"],
            evaluated_at + 5 * DAY,
        )]
    } else {
        vec![]
    };
    report(id, device, evaluated_at, findings).to_string()
}

/// Sends `n` reports from `threads` devices; `fresh` uses veto-net's client exactly as a
/// phone does (a new TLS connection per report), else one keep-alive connection per thread.
/// One ingest run.
struct Load<'a> {
    url: &'a str,
    token: &'a str,
    ca: &'a [u8],
    /// Reports to send.
    n: usize,
    /// Concurrent devices.
    threads: usize,
    /// veto-net's client, a new TLS connection per report (as phones send); else one
    /// keep-alive connection per device thread.
    fresh: bool,
    /// Prefix of report and device ids.
    tag: &'a str,
    /// Distinct devices the reports come from.
    devices: usize,
}

fn ingest(load: &Load) -> (f64, usize) {
    let Load {
        url,
        token,
        ca,
        n,
        threads,
        fresh,
        tag,
        devices,
    } = *load;
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    let now = veto_server::clock::system_now();
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (next, ok, url, token, ca, tag) = (
                next.clone(),
                ok.clone(),
                url.to_string(),
                token.to_string(),
                ca.to_vec(),
                tag.to_string(),
            );
            std::thread::spawn(move || {
                let agent = https_agent(&ca);
                let net = Net::new(Tls::Roots(vec![ca.clone()]));
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return;
                    }
                    let id = format!("{tag}-{i}");
                    let text = body(
                        &id,
                        &format!("{tag}-dev-{:06}", i % devices),
                        now + i as i64,
                        i % 3 == 0,
                    );
                    let delivered = if fresh {
                        let entry = QueuedReport {
                            format: veto_net::queue::QUEUED_FORMAT.to_string(),
                            report_id: id.clone(),
                            created_at: veto_core::Timestamp::from_millis(now),
                            attempts: 0,
                            next_attempt_at: veto_core::Timestamp::from_millis(now),
                            last_error: None,
                            dropped_reports: 0,
                            body: text,
                        };
                        veto_net::reporting::send_report(&net, &url, Some(&token), &entry).is_ok()
                    } else {
                        agent
                            .post(&url)
                            .header("Authorization", &format!("Bearer {token}"))
                            .header("Content-Type", "application/json")
                            .send(text.as_bytes())
                            .is_ok_and(|r| r.status().is_success())
                    };
                    if delivered {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    (started.elapsed().as_secs_f64(), ok.load(Ordering::Relaxed))
}

/// CPU seconds (user + system) a process has used so far, from /proc (Linux; 0 elsewhere).
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime, in clock ticks of 1/100 s.
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs `f`, returning its result and the CPU microseconds per report the server process
/// and this process (the simulated devices) used.
fn with_cpu<T>(server_pid: u32, reports: usize, f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (s0, c0) = (cpu_secs(&server_pid.to_string()), cpu_secs("self"));
    let out = f();
    let (s1, c1) = (cpu_secs(&server_pid.to_string()), cpu_secs("self"));
    let per = |a: f64, b: f64| (b - a) * 1e6 / reports.max(1) as f64;
    (out, per(s0, s1), per(c0, c1))
}

fn get_json(agent: &ureq::Agent, url: &str, token: &str) -> Value {
    let mut r = agent
        .get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Milliseconds: median and 95th percentile of `runs` GETs.
fn latency(agent: &ureq::Agent, url: &str, token: &str, runs: usize) -> (f64, f64) {
    get_json(agent, url, token); // warm the connection and the caches
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let mut r = agent
                .get(url)
                .header("Authorization", &format!("Bearer {token}"))
                .call()
                .unwrap();
            let _ = r.body_mut().read_to_string().unwrap();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (percentile(&times, 0.5), percentile(&times, 0.95))
}

/// Fills a database with `fleet` devices and `days` daily reports each, generated by the
/// database itself (one statement per table; the ingest path is measured above, this only
/// builds the state to query). Device `i` still has the barred app on day `d` while
/// `(i * 7919) % 100 < 30 - 25 * d / days` (30 % at the start, 5 % at the end); every
/// second barred device is past its deadline; one device in 50 went silent 3 days ago.
async fn seed(url: &str, fleet: usize, days: i64) -> f64 {
    let db = veto_server::db::Db::open(url).await.unwrap();
    let started = Instant::now();
    let now = veto_server::clock::system_now();
    let first = now - days * DAY;
    let (fleet, last) = (fleet as i64, days - 1);
    let series =
        "WITH RECURSIVE n(i) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1), \
                  d(day) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT day + 1 FROM d WHERE day < $2 - 1) ";
    let barred = "((i * 7919) % 100 < 30 - 25 * day / $2)";
    let body = "'{\"format\":\"veto-report/1\",\"report_id\":\"seed-' || CAST(day AS TEXT) || '-' || CAST(i AS TEXT) || \
                '\",\"device_id\":\"dev-' || CAST(i AS TEXT) || '\",\"veto_version\":\"0.1.0\",\"created_at\":\"2026-11-22T16:00:05Z\",\
                \"evaluated_at\":\"2026-11-22T16:00:00Z\",\"policy\":{\"version\":7,\"mode\":\"denylist\",\"expires\":null},\
                \"compliant\":true,\"counts\":{\"findings\":0,\"due\":0,\"enforced\":0,\"failed\":0,\"reported\":0,\"reversals\":0,\
                \"warnings\":0},\"findings\":[],\"reversals\":[],\"warnings\":[],\"feed\":null,\"dropped_reports\":0}'";
    let statements = [
        format!(
            "{series}INSERT INTO reports (report_id, device_id, unit, evaluated_at, received_at, compliant, findings, policy_version, body) \
             SELECT 'seed-' || CAST(day AS TEXT) || '-' || CAST(i AS TEXT), 'dev-' || CAST(i AS TEXT), 'unit-' || CAST(i % 8 AS TEXT), \
             $3 + day * 86400000, $3 + day * 86400000 + 60000, CASE WHEN {barred} THEN 0 ELSE 1 END, \
             CASE WHEN {barred} THEN 1 ELSE 0 END, 7, {body} FROM n CROSS JOIN d"
        ),
        format!(
            "{series}INSERT INTO device_days (day, device_id, unit, evaluated_at, barred) \
             SELECT ($3 + day * 86400000) / 86400000, 'dev-' || CAST(i AS TEXT), 'unit-' || CAST(i % 8 AS TEXT), \
             $3 + day * 86400000, CASE WHEN {barred} THEN 1 ELSE 0 END FROM n CROSS JOIN d"
        ),
        format!(
            "{series}INSERT INTO devices (device_id, unit, report_id, evaluated_at, first_seen, last_seen, compliant, findings, \
             earliest_deadline, policy_version, veto_version, feed_error, warnings, dropped_reports) \
             SELECT 'dev-' || CAST(i AS TEXT), 'unit-' || CAST(i % 8 AS TEXT), 'seed-' || CAST(day AS TEXT) || '-' || CAST(i AS TEXT), \
             $3 + day * 86400000, $3, CASE WHEN i % 50 = 0 THEN $4 - 3 * 86400000 ELSE $4 - 3600000 END, \
             CASE WHEN {barred} THEN 0 ELSE 1 END, CASE WHEN {barred} THEN 1 ELSE 0 END, \
             CASE WHEN {barred} THEN (CASE WHEN i % 2 = 0 THEN $4 - 86400000 ELSE $4 + 5 * 86400000 END) ELSE NULL END, \
             7, '0.1.0', NULL, 0, 0 FROM n CROSS JOIN d WHERE day = $2 - 1"
        ),
        format!(
            "{series}INSERT INTO findings (device_id, package, unit, label, state, status, deadline, first_seen, present) \
             SELECT 'dev-' || CAST(i AS TEXT), 'com.zhiliaoapp.musically', 'unit-' || CAST(i % 8 AS TEXT), 'TikTok', \
             CASE WHEN i % 3 = 0 THEN 'warned' ELSE 'suspended' END, 'enforced', \
             CASE WHEN i % 2 = 0 THEN $4 - 86400000 ELSE $4 + 5 * 86400000 END, $3, 1 \
             FROM n CROSS JOIN d WHERE day = $2 - 1 AND {barred}"
        ),
        "INSERT INTO daily (day, unit, devices, barred) SELECT day, unit, COUNT(*), SUM(barred) FROM device_days GROUP BY day, unit"
            .to_string(),
        // Fresh planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would give.
        "ANALYZE".to_string(),
    ];
    let _ = last;
    for sql in &statements {
        let mut q = sqlx::query(sql);
        if sql.starts_with("WITH") {
            q = q.bind(fleet).bind(days).bind(first).bind(now);
        }
        q.execute(&db.pool)
            .await
            .unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
    db.pool.close().await;
    started.elapsed().as_secs_f64()
}

async fn database(name: &str) -> (String, &'static str, Option<tempfile::TempDir>) {
    match std::env::var("VETO_BENCH_POSTGRES") {
        Ok(admin) if !admin.is_empty() => {
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                .await
                .unwrap();
            let db = format!("veto_bench_{name}_{}", std::process::id());
            sqlx::query(&format!("CREATE DATABASE {db}"))
                .execute(&mut conn)
                .await
                .unwrap();
            (
                format!("{}/{db}", admin.rsplit_once('/').unwrap().0),
                "PostgreSQL",
                None,
            )
        }
        _ => {
            let dir = tempfile::tempdir_in(
                std::env::var("VETO_BENCH_DIR")
                    .unwrap_or_else(|_| std::env::temp_dir().display().to_string()),
            )
            .unwrap();
            (
                format!("sqlite://{}", dir.path().join("bench.db").display()),
                "SQLite",
                Some(dir),
            )
        }
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes = if full { FULL } else { QUICK };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let certs = certs();

    // VETO_BENCH_ONLY=ingest or =fleet runs one half.
    let only = std::env::var("VETO_BENCH_ONLY").unwrap_or_default();
    if only != "fleet" {
        ingest_phase(&runtime, &certs, &sizes, full);
    }
    if only != "ingest" {
        fleet_phase(&runtime, &certs, &sizes);
    }
}

fn ingest_phase(runtime: &tokio::runtime::Runtime, certs: &Certs, sizes: &Sizes, full: bool) {
    let threads = if full { 32 } else { 8 };
    let (url, backend, _dir) = runtime.block_on(database("ingest"));
    println!(
        "veto-server benchmark on {backend} ({} mode)",
        if full { "full" } else { "quick" }
    );
    let ingest_token = cli(
        &["token", "add", "--role", "ingest", "--unit", "bench"],
        &url,
    )
    .trim()
    .to_string();
    let viewer = cli(&["token", "add", "--role", "viewer"], &url)
        .trim()
        .to_string();
    let server = Process::start(&url, certs, &["--rate-limit", "1000000"], 0);
    let report_url = server.url("/v1/reports");

    let ((secs, ok), server_us, client_us) =
        with_cpu(server.child.id(), sizes.keepalive_reports, || {
            ingest(&Load {
                url: &report_url,
                token: &ingest_token,
                ca: &certs.ca_der,
                n: sizes.keepalive_reports,
                threads,
                fresh: false,
                tag: "keep",
                devices: 5_000,
            })
        });
    assert_eq!(ok, sizes.keepalive_reports, "every report must be accepted");
    println!("sustained ingest, {threads} devices, keep-alive HTTPS: {ok} reports in {secs:.2} s = {:.0} reports/s (CPU per report: server {server_us:.0} µs, devices {client_us:.0} µs)", ok as f64 / secs);
    let ((secs, ok), server_us, client_us) =
        with_cpu(server.child.id(), sizes.phone_reports, || {
            ingest(&Load {
                url: &report_url,
                token: &ingest_token,
                ca: &certs.ca_der,
                n: sizes.phone_reports,
                threads,
                fresh: true,
                tag: "phone",
                devices: 5_000,
            })
        });
    assert_eq!(ok, sizes.phone_reports);
    println!("sustained ingest, {threads} devices, veto-net client (new TLS connection per report): {ok} reports in {secs:.2} s = {:.0} reports/s (CPU per report: server {server_us:.0} µs, devices {client_us:.0} µs)", ok as f64 / secs);
    let burst_threads = if full { 64 } else { 8 };
    let ((secs, ok), server_us, client_us) =
        with_cpu(server.child.id(), sizes.burst_devices, || {
            ingest(&Load {
                url: &report_url,
                token: &ingest_token,
                ca: &certs.ca_der,
                n: sizes.burst_devices,
                threads: burst_threads,
                fresh: true,
                tag: "burst",
                devices: sizes.burst_devices,
            })
        });
    let agent = https_agent(&certs.ca_der);
    let stored = get_json(&agent, &server.url("/v1/devices?limit=1"), &viewer)["total"]
        .as_i64()
        .unwrap();
    assert_eq!(
        ok, sizes.burst_devices,
        "every burst report must be accepted"
    );
    let expected =
        sizes.burst_devices + 5_000.min(sizes.keepalive_reports) + 5_000.min(sizes.phone_reports);
    assert_eq!(stored, expected as i64, "devices stored after the burst");
    println!(
        "burst: {ok} devices reporting at once ({burst_threads} concurrent, veto-net client) absorbed in {secs:.2} s ({:.0} reports/s; CPU per report: server {server_us:.0} µs, devices {client_us:.0} µs), 0 lost: the server counts {stored} devices",
        ok as f64 / secs
    );
    server.stop();
}

fn fleet_phase(runtime: &tokio::runtime::Runtime, certs: &Certs, sizes: &Sizes) {
    let agent = https_agent(&certs.ca_der);
    let (url, _, _dir2) = runtime.block_on(database("fleet"));
    let seeded = runtime.block_on(seed(&url, sizes.fleet, sizes.days));
    println!(
        "seeded {} devices x {} days of history ({} reports) in {seeded:.1} s",
        sizes.fleet,
        sizes.days,
        sizes.fleet as i64 * sizes.days
    );
    let viewer = cli(&["token", "add", "--role", "viewer"], &url)
        .trim()
        .to_string();
    let server = Process::start(&url, certs, &["--rate-limit", "1000000"], 0);
    let s = get_json(&agent, &server.url("/v1/summary"), &viewer);
    assert_eq!(s["devices"], sizes.fleet as i64);
    for (what, path) in [
        ("summary", "/v1/summary".to_string()),
        ("summary, one unit", "/v1/summary?unit=unit-1".to_string()),
        (
            "device list, first 100",
            "/v1/devices?limit=100".to_string(),
        ),
        (
            "device list, package filter",
            "/v1/devices?limit=100&package=com.zhiliaoapp.musically".to_string(),
        ),
        (
            "device list, past deadline",
            "/v1/devices?limit=100&status=past_deadline".to_string(),
        ),
        (
            "device list, stale, one unit",
            "/v1/devices?limit=100&stale=true&unit=unit-2".to_string(),
        ),
        ("device history", "/v1/devices/dev-123".to_string()),
    ] {
        let (median, p95) = latency(&agent, &server.url(&path), &viewer, sizes.runs);
        println!(
            "latency at {} devices, {what}: median {median:.1} ms, p95 {p95:.1} ms",
            sizes.fleet
        );
    }
    server.stop();
}
