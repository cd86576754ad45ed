//! `veto simulate` and `veto device`, run as the built binary: the simulated fleet is
//! deterministic for a seed, its per-day counts agree with what each device's own state says
//! (read back with `veto device`), roles bound what happens, reports reach a loopback HTTPS
//! server through the real queue (retries keep their report id), and bad arguments and
//! damaged state directories get one clear line.

// Test code: a failed unwrap is a failed test; the tests write their own fixtures.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

// veto-net's loopback HTTPS test server (rcgen CA, rustls), shared rather than copied.
#[path = "../../veto-net/tests/common/mod.rs"]
mod tls_server;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use tls_server::{Reply, TestServer};

fn veto(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_veto"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .unwrap()
}

fn json_of(o: &Output) -> Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn simulate(args: &[&str]) -> Value {
    let mut all = vec!["simulate", "--format", "json"];
    all.extend_from_slice(args);
    json_of(&veto(&all))
}

fn sum(doc: &Value, field: &str) -> u64 {
    doc["per_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d[field].as_u64().unwrap())
        .sum()
}

fn last_day(doc: &Value) -> &Value {
    doc["per_day"].as_array().unwrap().last().unwrap()
}

#[test]
fn the_same_seed_gives_the_same_fleet_and_another_seed_another() {
    let run = |seed: &str, jobs: &str| {
        let o = veto(&[
            "simulate",
            "--devices",
            "60",
            "--days",
            "30",
            "--seed",
            seed,
            "--jobs",
            jobs,
            "--format",
            "json",
        ]);
        assert_eq!(o.status.code(), Some(0));
        // Progress goes to a terminal only.
        assert!(
            o.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    };
    let a = run("7", "1");
    assert_eq!(a, run("7", "1"), "same seed, same table");
    assert_eq!(a, run("7", "2"), "threads do not change the result");
    assert_ne!(a, run("8", "1"), "another seed, another fleet");
    let doc: Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(doc["format"], "veto-simulate/1");
    assert_eq!(doc["per_day"].as_array().unwrap().len(), 30);
    assert_eq!(doc["per_day"][0]["date"], "2026-11-23");
    for day in doc["per_day"].as_array().unwrap() {
        assert_eq!(
            day["compliant"].as_u64().unwrap() + day["non_compliant"].as_u64().unwrap(),
            60
        );
    }
    // Something happens in 30 days of 60 devices with the default mix.
    assert!(sum(&doc, "installed_barred") > 0, "{doc}");
    assert!(sum(&doc, "removed_by_employee") > 0, "{doc}");
    assert!(last_day(&doc)["suspended"].as_u64().unwrap() > 0, "{doc}");
}

/// The last day's counts, tallied again from each device's own state directory by
/// `veto device` (the agent's code on the kept state, the simulated profile and the role).
#[test]
fn the_per_day_counts_agree_with_the_devices_own_state() {
    let root = tempfile::tempdir().unwrap();
    let root_path = root.path().join("fleet");
    let doc = simulate(&[
        "--devices",
        "40",
        "--days",
        "50",
        "--seed",
        "11",
        "--barred-share",
        "0.5",
        "--clone-share",
        "0.2",
        "--roles",
        "profile-owner=2,affiliated-profile-owner=1,delegate=1,none=1",
        "--state-root",
        root_path.to_str().unwrap(),
    ]);
    let fleet: Value =
        serde_json::from_str(&std::fs::read_to_string(root_path.join("fleet.json")).unwrap())
            .unwrap();
    let devices = fleet["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 40);
    // 2026-11-23 + 50 days, the last millisecond of the last simulated day.
    let end = "2027-01-11T23:59:59.999Z";
    let (mut compliant, mut findings, mut suspended, mut hidden, mut warned, mut late) =
        (0, 0, 0, 0, 0, 0);
    for d in devices {
        let at = |key: &str| root_path.join(d[key].as_str().unwrap());
        let o = veto(&[
            "device",
            "--state-dir",
            at("state_dir").to_str().unwrap(),
            "--managed-config",
            at("managed_config").to_str().unwrap(),
            "--inventory",
            at("inventory").to_str().unwrap(),
            "--capabilities",
            d["capabilities"].as_str().unwrap(),
            "--now",
            end,
            "--format",
            "json",
        ]);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let view: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            view["policy"]["source"],
            "the built-in policy with the managed configuration's keys"
        );
        let list = view["findings"].as_array().unwrap();
        if list.is_empty() {
            compliant += 1;
        }
        findings += list.len();
        if list.iter().any(|f| f["deadline"].as_str().unwrap() <= end) {
            late += 1;
        }
        for f in list {
            let effect: Vec<&str> = f["in_effect"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            if effect.contains(&"hide") || effect.contains(&"uninstall") {
                hidden += 1;
            } else if effect.contains(&"suspend") {
                suspended += 1;
            } else if effect.contains(&"warn") {
                warned += 1;
            }
            if d["role"] == "none" {
                assert!(!effect.contains(&"suspend"), "{f}");
            }
        }
    }
    let last = last_day(&doc);
    assert_eq!(last["compliant"], compliant, "{last}");
    assert_eq!(last["findings"], findings, "{last}");
    assert_eq!(last["suspended"], suspended, "{last}");
    assert_eq!(last["hidden"], hidden, "{last}");
    assert_eq!(last["warned"], warned, "{last}");
    assert_eq!(last["past_deadline"], late, "{last}");
    assert!(findings > 0 && suspended + hidden > 0, "{last}");
}

#[test]
fn roles_bound_what_happens() {
    let base = [
        "--devices",
        "30",
        "--days",
        "30",
        "--barred-share",
        "1",
        "--remove-share",
        "0",
    ];
    let unprivileged = simulate(&[&base[..], &["--roles", "none=1"]].concat());
    for day in unprivileged["per_day"].as_array().unwrap() {
        assert_eq!(day["suspended"], 0, "{day}");
        assert_eq!(day["hidden"], 0, "{day}");
        assert_eq!(day["uninstalled_by_veto"], 0, "{day}");
    }
    assert!(last_day(&unprivileged)["warned"].as_u64().unwrap() >= 30);
    // The same fleet with a profile owner suspends after the 14 days of warning.
    let owner = simulate(&[&base[..], &["--roles", "profile-owner=1"]].concat());
    assert!(
        last_day(&owner)["suspended"].as_u64().unwrap() > 0,
        "{owner}"
    );
    assert_eq!(sum(&owner, "uninstalled_by_veto"), 0, "not affiliated");
    // Past 42 days an affiliated profile owner uninstalls; the devices become compliant.
    let affiliated = simulate(&[
        "--devices",
        "20",
        "--days",
        "45",
        "--barred-share",
        "1",
        "--remove-share",
        "0",
        "--roles",
        "affiliated-profile-owner=1",
    ]);
    assert!(sum(&affiliated, "uninstalled_by_veto") > 0, "{affiliated}");
    assert_eq!(sum(&affiliated, "actions_failed"), 0);
}

fn ca_file(server: &TestServer, dir: &Path) -> String {
    let path = dir.join("ca.der");
    std::fs::write(&path, &server.ca_der).unwrap();
    path.to_str().unwrap().to_string()
}

fn report_id(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap();
    v["report_id"].as_str().unwrap().to_string()
}

#[test]
fn reports_reach_an_https_server_through_the_queue_and_retries_keep_their_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut answered = 0;
    // The first three sends fail: those reports stay queued and go again later, same id.
    let server = TestServer::start(move |_| {
        answered += 1;
        if answered <= 3 {
            Reply::status(500)
        } else {
            Reply::status(202)
        }
    });
    let url = server.url("/veto/reports");
    let doc = simulate(&[
        "--devices",
        "6",
        "--days",
        "4",
        "--seed",
        "3",
        "--report-url",
        &url,
        "--report-token",
        "s3cret",
        "--ca-file",
        &ca_file(&server, dir.path()),
    ]);
    let requests = server.requests();
    let queued = sum(&doc, "reports_queued");
    let sent = sum(&doc, "reports_sent");
    let waiting = last_day(&doc)["reports_waiting"].as_u64().unwrap();
    assert!(queued >= 6, "{doc}");
    assert_eq!(sum(&doc, "send_failures"), 3, "{doc}");
    assert_eq!(requests.len() as u64, sent + 3, "every request is a send");
    assert_eq!(queued, sent + waiting, "nothing lost: {doc}");
    for r in &requests {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/veto/reports");
        assert_eq!(r.header("authorization"), Some("Bearer s3cret"));
        assert_eq!(r.header("idempotency-key").unwrap(), report_id(&r.body));
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(body["device_id"]
            .as_str()
            .unwrap()
            .starts_with("device-0000"));
    }
    // The failed reports were sent again with the same id (a receiver drops duplicates).
    let failed: Vec<String> = requests[..3].iter().map(|r| report_id(&r.body)).collect();
    for id in &failed {
        let later = requests[3..]
            .iter()
            .filter(|r| report_id(&r.body) == *id)
            .count();
        assert!(later <= 1, "{id} sent {later} times after failing");
    }
    assert!(
        failed
            .iter()
            .any(|id| requests[3..].iter().any(|r| report_id(&r.body) == *id)),
        "a failed report was retried with its id"
    );
}

#[test]
fn a_server_that_is_down_leaves_the_reports_queued() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(|_| Reply::status(202));
    // Every connection is closed before TLS: the server is down.
    server.set_reset(true);
    let root = dir.path().join("fleet");
    let doc = simulate(&[
        "--devices",
        "4",
        "--days",
        "3",
        "--report-url",
        &server.url("/r"),
        "--report-token",
        "s3cret",
        "--ca-file",
        &ca_file(&server, dir.path()),
        "--state-root",
        root.to_str().unwrap(),
    ]);
    assert_eq!(sum(&doc, "reports_sent"), 0, "{doc}");
    let queued = sum(&doc, "reports_queued");
    assert!(queued > 0);
    assert_eq!(last_day(&doc)["reports_waiting"].as_u64().unwrap(), queued);
    // The queue on disk holds them, with the failed attempts counted.
    let mut on_disk = 0;
    for i in 1..=4 {
        let reports = root.join(format!("device-{i:05}/reports"));
        for entry in std::fs::read_dir(reports).unwrap() {
            let path = entry.unwrap().path();
            if path.to_str().unwrap().ends_with(".report.json") {
                let q: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                assert_eq!(q["format"], "veto-queued-report/1");
                on_disk += 1;
            }
        }
    }
    assert_eq!(on_disk, queued);
    // The kept configuration has everything but the secret.
    let config = std::fs::read_to_string(root.join("device-00001.config.json")).unwrap();
    let config: Value = serde_json::from_str(&config).unwrap();
    assert_eq!(config["device_id"], "device-00001");
    assert!(config["report_url"].as_str().unwrap().ends_with("/r"));
    assert!(config.get("report_token").is_none(), "{config}");
}

#[test]
fn bad_arguments_get_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x"), "x").unwrap();
    let not_empty = dir.path().to_str().unwrap().to_string();
    let missing = dir.path().join("nope.pem");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--devices", "0", "--days", "3"],
            "veto: --devices: give at least 1 device".into(),
        ),
        (
            vec!["--devices", "3", "--days", "3", "--roles", "boss=1"],
            "veto: --roles: unknown role \"boss\"; use profile-owner, affiliated-profile-owner, device-owner, delegate or none".into(),
        ),
        (
            vec!["--devices", "3", "--days", "3", "--roles", "none=0"],
            "veto: --roles: the weights add up to 0 in \"none=0\"; give at least one role a weight".into(),
        ),
        (
            vec!["--devices", "3", "--days", "3", "--barred-share", "2"],
            "veto: --barred-share: expected a share between 0 and 1 (such as 0.25), found \"2\"".into(),
        ),
        (
            vec!["--devices", "3", "--days", "3", "--report-url", "http://reports.example/"],
            "veto: --report-url: must be an https:// URL, found \"http://reports.example/\"".into(),
        ),
        (
            vec!["--devices", "3", "--days", "3", "--state-root", &not_empty],
            format!("veto: --state-root {not_empty}: not empty; give a new or empty folder (the simulated devices start from nothing)"),
        ),
        (
            vec!["--devices", "3", "--days", "3", "--report-url", "https://r.example/", "--ca-file", missing.to_str().unwrap()],
            format!("veto: --ca-file {}: no such file", missing.display()),
        ),
        (
            vec!["--devices", "3", "--days", "3", "--start", "monday"],
            "veto: --start: expected an RFC 3339 time like 2026-11-23T00:00:00Z, found \"monday\"".into(),
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["simulate"];
        all.extend(args.iter().copied());
        let o = veto(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).trim_end(),
            want,
            "{args:?}"
        );
        assert!(o.stdout.is_empty());
    }
    // The parser's own errors for what it checks.
    let o = veto(&["simulate", "--devices", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--days <D>"));
}

fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_of(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn veto_device_shows_policy_ladder_and_findings_without_touching_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("fleet");
    simulate(&[
        "--devices",
        "3",
        "--days",
        "20",
        "--barred-share",
        "1",
        "--remove-share",
        "0",
        "--roles",
        "profile-owner=1",
        "--state-root",
        root.to_str().unwrap(),
    ]);
    let state_dir = root.join("device-00001");
    let before = files_of(&state_dir);
    let o = veto(&[
        "device",
        "--state-dir",
        state_dir.to_str().unwrap(),
        "--now",
        "2026-12-12T23:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "findings: exit 1");
    let view: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(files_of(&state_dir), before, "the state dir is untouched");
    assert!(view["policy"]["source"]
        .as_str()
        .unwrap()
        .starts_with("the last good policy ("));
    assert_eq!(view["policy"]["ladder"][1]["action"], "suspend");
    assert_eq!(view["policy"]["ladder"][1]["after_days"], 14);
    let finding = &view["findings"][0];
    assert!(finding["first_seen"].as_str().unwrap() < "2026-12-12");
    assert_eq!(finding["in_effect"][0], "warn");
    // The table names the same things.
    let o = veto(&[
        "device",
        "--state-dir",
        state_dir.to_str().unwrap(),
        "--now",
        "2026-12-12T23:00:00Z",
    ]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("ladder:      warn at once, suspend after 14 days, uninstall after 42 days"),
        "{table}"
    );
    assert!(
        table.contains(finding["package"].as_str().unwrap()),
        "{table}"
    );
    assert!(table.contains("    first seen: "), "{table}");
    assert!(table.contains("    next:       "), "{table}");
    // A managed configuration that shortens the ladder is what the device would enforce.
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        r#"{"enforcement_action": "suspend", "grace_period_days": "3"}"#,
    )
    .unwrap();
    let o = veto(&[
        "device",
        "--state-dir",
        state_dir.to_str().unwrap(),
        "--managed-config",
        config.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let view: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        view["policy"]["source"],
        "the built-in policy with the managed configuration's keys"
    );
    assert_eq!(view["policy"]["ladder"][1]["after_days"], 3);
    assert_eq!(files_of(&state_dir), before);
    // A configuration the device cannot use: it keeps its last good policy, and says why.
    std::fs::write(&config, r#"{"grace_period_days": "six weeks"}"#).unwrap();
    let o = veto(&[
        "device",
        "--state-dir",
        state_dir.to_str().unwrap(),
        "--managed-config",
        config.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let view: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        view["policy"]["source"],
        format!(
            "fallback: managed configuration: grace_period_days: expected a whole number, found \"six weeks\"; enforcing the last good policy (version 1, {}) until the managed configuration is fixed",
            state_dir.join("last-good-policy.json").display()
        )
    );
    assert_eq!(view["policy"]["ladder"][1]["after_days"], 14);
    assert_eq!(files_of(&state_dir), before);
}

#[test]
fn veto_device_names_a_missing_or_damaged_state_dir() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let o = veto(&["device", "--state-dir", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim_end(),
        format!("veto: --state-dir {}: no such folder", missing.display())
    );
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let o = veto(&["device", "--state-dir", file.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim_end(),
        format!(
            "veto: --state-dir {}: is a file, not a folder",
            file.display()
        )
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = veto(&["device", "--state-dir", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).trim_end(),
        format!(
            "veto: --state-dir {}: no state.json: not a Veto state directory, or the device has not swept yet",
            empty.display()
        )
    );
    // A damaged state with no backup: the device would start its grace periods again.
    let damaged = dir.path().join("damaged");
    std::fs::create_dir(&damaged).unwrap();
    std::fs::write(damaged.join("state.json"), "{\"version\": 9}").unwrap();
    let o = veto(&["device", "--state-dir", damaged.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with(&format!(
            "veto: --state-dir {}: damaged state: state.json: state: version: this Veto reads state version 1, found 9",
            damaged.display()
        )),
        "{err}"
    );
    assert!(err.contains("starts counting grace periods again"), "{err}");
    // The device's own files stay as they were (only the copy was moved aside).
    assert_eq!(
        std::fs::read_to_string(damaged.join("state.json")).unwrap(),
        "{\"version\": 9}"
    );
    // A damaged state with a good backup: the device goes on with the backup, and says so.
    std::fs::write(
        damaged.join("state.json.bak"),
        r#"{"version": 1, "packages": {"com.zhiliaoapp.musically": {"first_seen": "2026-11-01T09:00:00Z", "last_seen": "2026-11-20T09:00:00Z"}}}"#,
    )
    .unwrap();
    let o = veto(&[
        "device",
        "--state-dir",
        damaged.to_str().unwrap(),
        "--now",
        "2026-11-21T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let view: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(view["findings"][0]["package"], "com.zhiliaoapp.musically");
    assert_eq!(view["findings"][0]["first_seen"], "2026-11-01T09:00:00Z");
    assert_eq!(view["findings"][0]["step"], "suspend");
    let codes: Vec<&str> = view["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"state_quarantined"), "{codes:?}");
}

/// With `--policy-url`, devices sync the signed feed (a loopback HTTPS server) and enforce
/// it: from day 2 on the fleet is exactly the fleet given the same policy as `policy_json`.
#[test]
fn devices_sync_the_signed_feed_and_enforce_it() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("feed.key");
    let o = veto(&["keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let printed = String::from_utf8_lossy(&o.stdout).to_string();
    let public_key = printed
        .lines()
        .find_map(|l| l.strip_prefix("policy_public_key:"))
        .unwrap()
        .trim()
        .to_string();
    // Spotify is an ordinary app of the pool; this policy bars it too.
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"version": 7, "rules": [{"id": "no-spotify", "package": "com.spotify.music", "reason": "Not for work phones."}]}"#,
    )
    .unwrap();
    let envelope = dir.path().join("signed.json");
    let o = veto(&[
        "policy",
        "sign",
        "--key",
        key.to_str().unwrap(),
        policy.to_str().unwrap(),
        "--out",
        envelope.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let body = std::fs::read(&envelope).unwrap();
    let server = TestServer::start(move |_| Reply::ok(body.clone()));
    let common = [
        "--devices",
        "30",
        "--days",
        "3",
        "--seed",
        "5",
        "--barred-share",
        "0",
        "--clone-share",
        "0",
        "--sideload-share",
        "0",
    ];
    let url = server.url("/policy.json");
    let ca = ca_file(&server, dir.path());
    let fed = simulate(
        &[
            &common[..],
            &[
                "--policy-url",
                &url,
                "--policy-public-key",
                &public_key,
                "--ca-file",
                &ca,
            ],
        ]
        .concat(),
    );
    let given = simulate(&[&common[..], &["--policy", policy.to_str().unwrap()]].concat());
    let builtin = simulate(&common);
    assert_eq!(fed["policy"], format!("signed feed {url}"));
    assert_eq!(fed["per_day"][1], given["per_day"][1]);
    assert_eq!(fed["per_day"][2], given["per_day"][2]);
    assert!(
        given["per_day"][2]["findings"].as_u64().unwrap() > 0,
        "{given}"
    );
    assert_eq!(builtin["per_day"][2]["findings"], 0, "{builtin}");
    // One GET per device and simulated day.
    let gets = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/policy.json")
        .count();
    assert_eq!(gets, 30 * 3);
}
