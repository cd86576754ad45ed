//! End to end with the real simulator: `veto simulate` (the `veto` binary, a separate
//! process) runs a fleet of phones that queue their reports and send them through veto-net's
//! real queue and HTTPS client into a `veto-server` process over TLS. The server is killed
//! (SIGKILL) while the simulator runs and restarted on the same port and database; the
//! reports that could not be delivered stay queued on the simulated devices and arrive later.
//! Afterwards reports captured from the server's own store are delivered again. The server's
//! summary must equal the simulator's own count for the last day exactly, and the server must
//! hold each report exactly once.
//!
//! The simulator's table has no per-package count; that count is taken from its devices'
//! final work profiles (`--state-root`, fleet.json), evaluated against the policy they ran,
//! and cross-checked with the table's `non_compliant`.
//!
//! `veto simulate` cannot continue a fleet across two runs (`--state-root` must be new or
//! empty), so the restart happens during one run, timed by the first reports arriving.

// Test and benchmark code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEVICES: usize = 30;
const DAYS: u32 = 8;

/// The `veto` binary. Cargo gives integration tests only their own package's binaries
/// (`CARGO_BIN_EXE_*`), and guessing `target/debug/veto` next to the test executable would
/// run a stale binary whenever veto-cli changed since it was last built. So the test asks
/// Cargo itself (the same `cargo` that built it, with the same environment and so the same
/// target directory and flags) to build `veto`, and takes the executable's path from Cargo's
/// JSON messages: correct for any target directory, and a no-op when it is up to date.
fn veto_binary() -> PathBuf {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args([
        "build",
        "--locked",
        "-p",
        "veto-cli",
        "--bin",
        "veto",
        "--message-format=json-render-diagnostics",
    ])
    .current_dir(env!("CARGO_MANIFEST_DIR"))
    .stderr(Stdio::inherit());
    // Cargo gives this test process the variables it sets for building veto-server
    // (CARGO_MANIFEST_DIR, CARGO_PKG_*, ...). Passed on, build scripts that watch them (ring)
    // would see a change and rebuild on every run, here and in the next `cargo test`.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if [
            "CARGO_MANIFEST_",
            "CARGO_PKG_",
            "CARGO_CRATE_",
            "CARGO_BIN_EXE_",
        ]
        .iter()
        .any(|p| name.starts_with(p))
            || ["CARGO_TARGET_TMPDIR", "CARGO_PRIMARY_PACKAGE", "OUT_DIR"].contains(&&*name)
        {
            cmd.env_remove(&*name);
        }
    }
    if !cfg!(debug_assertions) {
        // A `--release` test run: build the release `veto` beside it.
        cmd.arg("--release");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "cargo build -p veto-cli failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "veto")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo named no executable for veto")
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

/// Barred package → devices whose final work profile has it, by evaluating each simulated
/// device's profile at the end (written by `--state-root`, fleet.json) against the built-in
/// policy the devices ran; and the number of devices with any finding.
fn final_findings(root: &Path) -> (BTreeMap<String, i64>, usize) {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("fleet.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "veto-simulate-fleet/1");
    let policy = veto_core::CompiledPolicy::new(veto_core::Policy::builtin());
    let mut packages = BTreeMap::new();
    let mut non_compliant = 0;
    let devices = manifest["devices"].as_array().unwrap();
    assert_eq!(devices.len(), DEVICES);
    for d in devices {
        let text = std::fs::read_to_string(root.join(d["inventory"].as_str().unwrap())).unwrap();
        let inventory = veto_core::Inventory::from_json(&text).unwrap();
        let caps =
            veto_core::Capabilities::from_cli_list(d["capabilities"].as_str().unwrap()).unwrap();
        let plan = veto_core::evaluate(
            &inventory,
            &policy,
            &veto_core::State::new(),
            &caps,
            veto_core::Timestamp::from_millis(0),
        );
        non_compliant += usize::from(!plan.findings.is_empty());
        for f in &plan.findings {
            *packages.entry(f.package.clone()).or_default() += 1;
        }
    }
    (packages, non_compliant)
}

fn sum(rows: &[Value], field: &str) -> i64 {
    rows.iter().map(|r| r[field].as_i64().unwrap()).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn veto_simulate_matches_the_summary_across_a_restart_and_duplicates() {
    let db = test_db().await;
    let certs = certs();
    let (ingest, viewer) = ingest_and_viewer_tokens(&db.url, "sim");
    let work = tempfile::tempdir().unwrap();
    let state_root = work.path().join("fleet");
    let ca_file = certs.dir.path().join("tls/ca.pem");
    let ca = certs.ca_der.clone();
    let db_url = db.url.clone();
    let ingest_token = ingest.clone();
    let viewer_run = viewer.clone();

    // The run, with the server killed and restarted while it goes on.
    let (server, table, certs) = tokio::task::spawn_blocking(move || {
        let veto = veto_binary();
        let agent = https_agent(&ca);
        let server = Process::start(&db_url, &certs, &[], 0);
        let port = server.port;
        let mut sim = Command::new(veto)
            .args(["simulate", "--format", "json", "--seed", "7", "--jobs", "2"])
            .args([
                "--devices",
                &DEVICES.to_string(),
                "--days",
                &DAYS.to_string(),
            ])
            .args(["--report-url", &server.url("/v1/reports")])
            .args(["--report-token", &ingest])
            .arg("--ca-file")
            .arg(&ca_file)
            .arg("--state-root")
            .arg(&state_root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read both pipes while it runs, so it never blocks on a full one.
        let mut stdout = sim.stdout.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            stdout.read_to_string(&mut s).unwrap();
            s
        });
        let mut stderr = sim.stderr.take().unwrap();
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            stderr.read_to_string(&mut s).unwrap();
            s
        });

        // Wait for the first reports (about the first simulated day), then kill the server
        // without warning, in the middle of whatever it is doing.
        let started = Instant::now();
        while metric(&agent, &server, &viewer_run, "veto_reports_accepted_total") < DEVICES as i64 {
            assert!(
                sim.try_wait().unwrap().is_none(),
                "veto simulate ended before the first {DEVICES} reports arrived"
            );
            assert!(started.elapsed() < Duration::from_secs(120), "no reports");
            std::thread::sleep(Duration::from_millis(10));
        }
        server.kill();
        assert!(
            sim.try_wait().unwrap().is_none(),
            "the restart must fall in the middle of the run"
        );
        // Down long enough for many devices' flushes to fail.
        std::thread::sleep(Duration::from_millis(500));
        let server = Process::start(&db_url, &certs, &[], port);
        assert_eq!(server.port, port);

        let status = sim.wait().unwrap();
        let (out, err) = (out.join().unwrap(), err.join().unwrap());
        assert!(status.success(), "veto simulate failed: {err}");
        let table: Value = serde_json::from_str(&out).unwrap();
        (server, table, certs)
    })
    .await
    .unwrap();

    assert_eq!(table["format"], "veto-simulate/1");
    let rows = table["per_day"].as_array().unwrap().clone();
    assert_eq!(rows.len(), DAYS as usize);
    let last = rows.last().unwrap().clone();
    // The restart was felt: flushes failed and reports waited in the devices' queues ...
    assert!(sum(&rows, "send_failures") > 0, "{rows:?}");
    // ... and by the end every queued report was delivered.
    assert_eq!(last["reports_waiting"], 0, "{last}");
    let sent = sum(&rows, "reports_sent");
    assert_eq!(sent, sum(&rows, "reports_queued"));

    // The simulator's own per-package count, from its devices' final profiles; it agrees
    // with its table.
    let (packages, non_compliant) = final_findings(&work.path().join("fleet"));
    assert_eq!(
        non_compliant as i64,
        last["non_compliant"].as_i64().unwrap()
    );
    assert!(!packages.is_empty(), "the fleet should keep a barred app");

    let ca = certs.ca_der.clone();
    let viewer2 = viewer.clone();
    let (server, before) = tokio::task::spawn_blocking(move || {
        let agent = https_agent(&ca);
        let s = get_json(&agent, &server.url("/v1/summary"), &viewer2);
        (server, s)
    })
    .await
    .unwrap();
    let check = |s: &Value| {
        assert_eq!(s["devices"], DEVICES as i64, "{s}");
        assert_eq!(s["compliant"], last["compliant"], "{s}\nsimulator: {last}");
        assert_eq!(
            s["non_compliant"], last["non_compliant"],
            "{s}\nsimulator: {last}"
        );
        let got: BTreeMap<String, i64> = s["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["package"].as_str().unwrap().to_string(),
                    p["devices"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, packages, "{s}");
    };
    check(&before);

    // Each report is stored once: as many as the simulator saw acknowledged, even though
    // reports in flight at the kill were sent again.
    let store = veto_server::db::Db::open(&db.url).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(stored, sent);
    // Duplicates: every device's current report and some older ones, exactly as stored,
    // delivered again (as a phone does when the 2xx is lost).
    let again: Vec<(String, String)> = sqlx::query_as(
        "SELECT report_id, body FROM reports WHERE device_id IN ('device-00001', 'device-00002', 'device-00003') OR report_id IN (SELECT report_id FROM devices)",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let ca = certs.ca_der.clone();
    let after = tokio::task::spawn_blocking(move || {
        let agent = https_agent(&ca);
        let dup_before = metric(&agent, &server, &viewer, "veto_reports_duplicate_total");
        assert!(again.len() > 3, "{} reports to send again", again.len());
        for (id, body) in &again {
            let r = agent
                .post(&server.url("/v1/reports"))
                .header("Authorization", &format!("Bearer {ingest_token}"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", id)
                .send(body.as_bytes())
                .unwrap();
            assert!(r.status().is_success(), "{id}: {}", r.status());
        }
        let dups = metric(&agent, &server, &viewer, "veto_reports_duplicate_total") - dup_before;
        assert_eq!(dups, again.len() as i64);
        let s = get_json(&agent, &server.url("/v1/summary"), &viewer);
        server.stop();
        s
    })
    .await
    .unwrap();
    check(&after);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(stored, sent, "duplicates were stored again");
}
