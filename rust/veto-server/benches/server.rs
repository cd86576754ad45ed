//! veto-server's benchmark: sustained ingest over HTTPS with concurrent devices, an
//! 18,000-device burst with nothing lost, and summary/device-list latency at 100,000
//! devices with 30 days of history. On SQLite, and on PostgreSQL when VETO_BENCH_POSTGRES
//! names a server (scripts/server/postgres.sh prints one).
//!
//! `cargo bench -p veto-server --bench server` runs the full sizes (minutes);
//! `cargo test` runs it once at a small size so CI keeps it working. The server is the
//! release-built `veto-server` binary in its own process; the simulated devices are
//! threads of this process, on the same machine (they compete for the same cores).

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

/// Fills a database with `fleet` devices and `days` daily reports each, straight through
/// SQL (the ingest path is measured above; this only builds the state to query).
async fn seed(url: &str, fleet: usize, days: i64) -> f64 {
    let db = veto_server::db::Db::open(url).await.unwrap();
    let started = Instant::now();
    let now = veto_server::clock::system_now();
    let first = now - days * DAY;
    let units = [
        "centrum",
        "noord",
        "oost",
        "zuid",
        "west",
        "nieuw-west",
        "zuidoost",
        "stadhuis",
    ];
    let chunk = 500;
    for start in (0..fleet).step_by(chunk) {
        let ids: Vec<usize> = (start..(start + chunk).min(fleet)).collect();
        let mut tx = db.pool.begin().await.unwrap();
        // Whether device i still has the app on day d: fewer every day.
        let barred =
            |i: usize, d: i64| (i * 7919 % 100) as i64 * days < (30 - 25 * d / days.max(1)) * days;
        for d in 0..days {
            let evaluated = first + d * DAY + (start as i64 % 3_600_000);
            let mut sql = String::from("INSERT INTO reports (report_id, device_id, unit, evaluated_at, received_at, compliant, findings, policy_version, body) VALUES ");
            let mut q_args: Vec<(String, String, String, i64, i64, String)> = Vec::new();
            for (n, &i) in ids.iter().enumerate() {
                if n > 0 {
                    sql.push_str(", ");
                }
                let b = n * 8;
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, 7, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8
                ));
                let device = format!("dev-{i:06}");
                let id = format!("seed-{d}-{i}");
                let bar = barred(i, d);
                q_args.push((
                    id.clone(),
                    device.clone(),
                    units[i % units.len()].to_string(),
                    evaluated,
                    i64::from(!bar),
                    body(&id, &device, evaluated, bar),
                ));
            }
            let mut q = sqlx::query(&sql);
            for (id, device, unit, evaluated, compliant, text) in &q_args {
                q = q
                    .bind(id)
                    .bind(device)
                    .bind(unit)
                    .bind(*evaluated)
                    .bind(*evaluated)
                    .bind(*compliant)
                    .bind(1 - *compliant)
                    .bind(text);
            }
            q.execute(&mut *tx).await.unwrap();
            let mut sql = String::from(
                "INSERT INTO device_days (day, device_id, unit, evaluated_at, barred) VALUES ",
            );
            for n in 0..ids.len() {
                if n > 0 {
                    sql.push_str(", ");
                }
                let b = n * 5;
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                ));
            }
            let mut q = sqlx::query(&sql);
            for &i in &ids {
                q = q
                    .bind(evaluated / DAY)
                    .bind(format!("dev-{i:06}"))
                    .bind(units[i % units.len()])
                    .bind(evaluated)
                    .bind(i64::from(barred(i, d)));
            }
            q.execute(&mut *tx).await.unwrap();
        }
        let last = days - 1;
        let evaluated = first + last * DAY;
        for &i in &ids {
            let device = format!("dev-{i:06}");
            let bar = barred(i, last);
            // Some devices went silent days ago: stale.
            let seen = if i % 50 == 0 {
                evaluated - 3 * DAY
            } else {
                now - 3_600_000
            };
            let deadline = if i % 2 == 0 { now - DAY } else { now + 5 * DAY };
            sqlx::query(
                "INSERT INTO devices (device_id, unit, report_id, evaluated_at, first_seen, last_seen, compliant, findings, earliest_deadline, policy_version, veto_version, feed_error, warnings, dropped_reports) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 7, '0.1.0', NULL, 0, 0)",
            )
            .bind(&device)
            .bind(units[i % units.len()])
            .bind(format!("seed-{last}-{i}"))
            .bind(evaluated)
            .bind(first)
            .bind(seen)
            .bind(i64::from(!bar))
            .bind(i64::from(bar))
            .bind(if bar { Some(deadline) } else { None })
            .execute(&mut *tx)
            .await
            .unwrap();
            if bar {
                sqlx::query("INSERT INTO findings (device_id, package, unit, label, state, status, deadline, first_seen, present) VALUES ($1, 'com.zhiliaoapp.musically', $2, 'TikTok', 'suspended', 'enforced', $3, $4, 1)")
                    .bind(&device)
                    .bind(units[i % units.len()])
                    .bind(deadline)
                    .bind(first)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
        }
        tx.commit().await.unwrap();
    }
    // The burndown table, from the day rows just written.
    sqlx::query("INSERT INTO daily (day, unit, devices, barred) SELECT day, unit, COUNT(*), SUM(barred) FROM device_days GROUP BY day, unit")
        .execute(&db.pool)
        .await
        .unwrap();
    // Fresh planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would give.
    sqlx::query("ANALYZE").execute(&db.pool).await.unwrap();
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
    let threads = if full { 32 } else { 8 };

    // 1 and 2: ingest.
    let (url, backend, _dir) = runtime.block_on(database("ingest"));
    let ingest_token = cli(
        &["token", "add", "--role", "ingest", "--unit", "bench"],
        &url,
    )
    .trim()
    .to_string();
    let viewer = cli(&["token", "add", "--role", "viewer"], &url)
        .trim()
        .to_string();
    let server = Process::start(&url, &certs, &["--rate-limit", "1000000"], 0);
    let report_url = server.url("/v1/reports");
    println!(
        "veto-server benchmark on {backend} ({} mode)",
        if full { "full" } else { "quick" }
    );
    let (secs, ok) = ingest(&Load {
        url: &report_url,
        token: &ingest_token,
        ca: &certs.ca_der,
        n: sizes.keepalive_reports,
        threads,
        fresh: false,
        tag: "keep",
        devices: 5_000,
    });
    assert_eq!(ok, sizes.keepalive_reports, "every report must be accepted");
    println!("sustained ingest, {threads} devices, keep-alive HTTPS: {ok} reports in {secs:.2} s = {:.0} reports/s", ok as f64 / secs);
    let (secs, ok) = ingest(&Load {
        url: &report_url,
        token: &ingest_token,
        ca: &certs.ca_der,
        n: sizes.phone_reports,
        threads,
        fresh: true,
        tag: "phone",
        devices: 5_000,
    });
    assert_eq!(ok, sizes.phone_reports);
    println!("sustained ingest, {threads} devices, veto-net client (new TLS connection per report): {ok} reports in {secs:.2} s = {:.0} reports/s", ok as f64 / secs);
    let burst_threads = if full { 64 } else { 8 };
    let (secs, ok) = ingest(&Load {
        url: &report_url,
        token: &ingest_token,
        ca: &certs.ca_der,
        n: sizes.burst_devices,
        threads: burst_threads,
        fresh: true,
        tag: "burst",
        devices: sizes.burst_devices,
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
        "burst: {ok} devices reporting at once ({burst_threads} concurrent, veto-net client) absorbed in {secs:.2} s ({:.0} reports/s), 0 lost: the server counts {stored} devices",
        ok as f64 / secs
    );
    server.stop();

    // 3: latency at fleet size.
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
    let server = Process::start(&url, &certs, &["--rate-limit", "1000000"], 0);
    let s = get_json(&agent, &server.url("/v1/summary"), &viewer);
    assert_eq!(s["devices"], sizes.fleet as i64);
    for (what, path) in [
        ("summary", "/v1/summary".to_string()),
        ("summary, one unit", "/v1/summary?unit=noord".to_string()),
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
            "/v1/devices?limit=100&stale=true&unit=oost".to_string(),
        ),
        ("device history", "/v1/devices/dev-000123".to_string()),
    ] {
        let (median, p95) = latency(&agent, &server.url(&path), &viewer, sizes.runs);
        println!(
            "latency at {} devices, {what}: median {median:.1} ms, p95 {p95:.1} ms",
            sizes.fleet
        );
    }
    server.stop();
}
