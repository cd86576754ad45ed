//! Runs the built `veto` binary on the fixtures in `tests/fixtures/` and checks its
//! output, its exit codes and its error messages.

// Test code: a failed unwrap is a failed test; the tests write fixtures and damage files on
// purpose, which veto_store::write_atomic would not show any better.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const NOW: &str = "2026-11-22T16:00:00Z";

use common::fixtures;

fn fx(name: &str) -> String {
    fixtures().join(name).to_string_lossy().into_owned()
}

fn veto(args: &[&str]) -> Output {
    veto_with_path(args, None)
}

fn veto_with_path(args: &[&str], path: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_veto"));
    cmd.args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("ANDROID_HOME")
        .env_remove("ANDROID_SDK_ROOT");
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    cmd.output().expect("veto runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

/// The table row of `package`, if the table has one.
fn row<'a>(out: &'a str, package: &str) -> Option<&'a str> {
    out.lines()
        .find(|l| l.split_whitespace().next() == Some(package))
}

fn audit_json(extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--now", NOW];
    args.extend_from_slice(extra);
    audit_json_of(&fx("sample-inventory.json"), &args)
}

/// `veto audit --inventory INV --format json EXTRA…`: its exit code and JSON.
fn audit_json_of(inv: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["audit", "--inventory", inv, "--format", "json"];
    args.extend_from_slice(extra);
    let o = veto(&args);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    (
        code(&o),
        serde_json::from_str(&stdout(&o)).expect("audit prints JSON"),
    )
}

fn finding<'a>(plan: &'a Value, package: &str) -> Option<&'a Value> {
    plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"] == package)
}

#[test]
fn audit_table_on_the_sample() {
    let o = veto(&[
        "audit",
        "--inventory",
        &fx("sample-inventory.json"),
        "--now",
        NOW,
    ]);
    assert_eq!(code(&o), 1, "findings mean exit 1");
    let out = stdout(&o);
    let tiktok = row(&out, "com.zhiliaoapp.musically").expect("TikTok is found");
    assert!(
        tiktok.contains("bytedance/tiktok, bytedance/tiktok-play-signer"),
        "{tiktok}"
    );
    assert!(tiktok.contains("warn  warn    due"), "{tiktok}");
    assert!(tiktok.contains("suspend on 2026-12-06"), "{tiktok}");
    let repack = row(&out, "com.tok.lite.pro").expect("the repackaged TikTok is found by signer");
    assert!(repack.contains("bytedance/tiktok-play-signer"), "{repack}");
    for lite in ["com.zhiliaoapp.musically.go", "com.lemon.lvoverseas"] {
        assert!(row(&out, lite).is_some(), "{lite} missing:\n{out}");
    }
    let trill = row(&out, "com.ss.android.ugc.trill").unwrap();
    assert!(
        trill.contains("suspend"),
        "already suspended shows in effect: {trill}"
    );
    for never in [
        "com.android.vending",
        "com.google.android.gms",
        "com.microsoft.teams",
    ] {
        assert!(
            row(&out, never).is_none(),
            "{never} must not be a finding:\n{out}"
        );
    }
    assert!(out.contains("Ladder on this device: warn at once, suspend after 14 days, hide after 42 days (policy asks uninstall)"), "{out}");
    assert!(out.contains("uninstall becomes hide: silent uninstall needs a device owner or an affiliated profile owner; Veto is the profile owner (not affiliated)"), "{out}");
    assert!(out.starts_with("Veto audit of "), "{out}");
    assert!(
        out.contains("Policy: built-in policy, version 1, denylist"),
        "{out}"
    );
    assert!(
        out.trim_end()
            .ends_with("Summary: 5 findings, 5 actions planned"),
        "{out}"
    );
}

#[test]
fn audit_json_has_the_contract_fields() {
    let (code, plan) = audit_json(&[]);
    assert_eq!(code, 1);
    for f in plan["findings"].as_array().unwrap() {
        assert!(f["package"].is_string());
        assert!(f["rules"].is_array());
        assert!(f.get("action").is_some());
        assert!(f["deadline"].is_string());
    }
    assert!(plan["reversals"].is_array());
    assert!(plan["warnings"].is_array());
    assert_eq!(plan["compliant"], false);
    assert_eq!(plan["findings"].as_array().unwrap().len(), 5);
    assert!(finding(&plan, "com.android.vending").is_none());
    let repack = finding(&plan, "com.tok.lite.pro").unwrap();
    assert_eq!(repack["rules"][0], "bytedance/tiktok-play-signer");
    assert_eq!(repack["deadline"], "2027-01-03T16:00:00Z");
}

#[test]
fn ladder_with_state_uninstalls_as_device_owner_and_hides_as_profile_owner() {
    let state = fx("sample-state.json");
    // TikTok was first seen 2026-10-01: 52 days before NOW, past the 42-day step.
    let (_, plan) = audit_json(&["--state", &state, "--capabilities", "device-owner"]);
    let t = finding(&plan, "com.zhiliaoapp.musically").unwrap();
    assert_eq!(t["action"], "uninstall");
    assert_eq!(t["degraded"], Value::Null);
    assert!(plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["package"] == "com.zhiliaoapp.musically" && a["action"] == "uninstall"));

    let (_, plan) = audit_json(&["--state", &state]);
    let t = finding(&plan, "com.zhiliaoapp.musically").unwrap();
    assert_eq!(t["action"], "hide");
    assert_eq!(t["degraded"]["wanted"], "uninstall");
    assert!(plan["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["code"] == "degraded"));
    // Warned already (recorded in the state): nothing new for the repackage yet.
    let r = finding(&plan, "com.tok.lite.pro").unwrap();
    assert_eq!(r["action"], Value::Null);
    assert_eq!(r["status"], "enforced");
}

#[test]
fn no_capabilities_plans_only_warnings() {
    let (_, plan) = audit_json(&[
        "--capabilities",
        "none",
        "--state",
        &fx("sample-state.json"),
    ]);
    let actions = plan["actions"].as_array().unwrap();
    assert!(!actions.is_empty());
    assert!(actions.iter().all(|a| a["action"] == "warn"), "{actions:?}");
}

#[test]
fn report_only_config_plans_no_device_actions() {
    let (code, plan) = audit_json(&["--config", &fx("report-only-config.json")]);
    assert_eq!(code, 1, "report-only findings are still non-compliant");
    assert_eq!(plan["actions"].as_array().unwrap().len(), 0);
    let findings = plan["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 5);
    assert!(findings.iter().all(|f| f["status"] == "reported"));
}

#[test]
fn managed_config_adds_its_rules() {
    let (_, plan) = audit_json(&["--config", &fx("managed-config.json")]);
    assert_eq!(
        finding(&plan, "com.whatsapp.w4b").unwrap()["rules"][0],
        "managed/com.whatsapp.w4b"
    );
    assert_eq!(
        finding(&plan, "com.spotify.music").unwrap()["rules"][0],
        "managed/com.spotify.*"
    );
    assert!(finding(&plan, "com.cisco.anyconnect.vpn.android.avf").is_none());
    assert_eq!(
        finding(&plan, "com.zhiliaoapp.musically").unwrap()["deadline"],
        "2026-12-13T16:00:00Z"
    );
}

#[test]
fn allowlist_policy_bars_what_is_not_approved() {
    let (_, plan) = audit_json(&["--policy", &fx("allowlist-policy.json")]);
    assert_eq!(
        finding(&plan, "com.spotify.music").unwrap()["rules"],
        serde_json::json!(["allowlist"])
    );
    assert_eq!(
        finding(&plan, "com.whatsapp.w4b").unwrap()["rules"],
        serde_json::json!(["allowlist"])
    );
    let t = finding(&plan, "com.zhiliaoapp.musically").unwrap();
    assert_eq!(
        t["rules"],
        serde_json::json!([
            "allowlist",
            "bytedance/tiktok",
            "bytedance/tiktok-play-signer"
        ])
    );
    for allowed in [
        "com.microsoft.office.outlook",
        "nl.rijksoverheid.digid",
        "com.adobe.reader",
        "com.android.vending",
        "com.android.chrome",
    ] {
        assert!(finding(&plan, allowed).is_none(), "{allowed}");
    }
    assert_eq!(plan["policy"]["version"], 12);
    assert_eq!(plan["policy"]["mode"], "allowlist");
}

#[test]
fn audit_never_writes() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::copy(fx("sample-state.json"), &state).unwrap();
    let before = std::fs::read(&state).unwrap();
    let o = veto(&[
        "audit",
        "--inventory",
        &fx("sample-inventory.json"),
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(std::fs::read(&state).unwrap(), before);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn policy_check_explains_a_policy() {
    let o = veto(&["policy", "check", &fx("allowlist-policy.json")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("allowlist-policy.json: valid policy document"),
        "{out}"
    );
    assert!(out.contains("  version:     12\n"), "{out}");
    assert!(out.contains("  mode:        allowlist"), "{out}");
    assert!(
        out.contains(
            "  rules:       15 in force: 14 package, 1 signer (0 own, 15 from the catalog)"
        ),
        "{out}"
    );
    assert!(
        out.contains("  catalog:     bytedance (15 entries)"),
        "{out}"
    );
    assert!(
        out.contains("  allow:       6 entries (4 package, 2 pattern)"),
        "{out}"
    );
    assert!(
        out.contains("  ladder:      warn at once, suspend after 7 days, uninstall after 28 days"),
        "{out}"
    );
    assert!(out.contains("  expires:     2027-06-01T00:00:00Z"), "{out}");
    assert!(out.contains("  warnings:    none"), "{out}");
}

#[test]
fn policy_check_reports_lint_warnings_but_passes() {
    let o = veto(&["policy", "check", &fx("lint-policy.json")]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.contains("  warnings:    6\n"), "{out}");
    for w in [
        "[too_broad] rule \"everything-com\": pattern \"com.*\" matches almost every app",
        "[protected_match] rule \"play-store\" matches protected package \"com.android.vending\"",
        "[duplicate_rule] rule \"tiktok-again\" matches the same package \"com.zhiliaoapp.musically\" as rule \"tiktok\"",
        "[too_broad] allow entry \"*\" exempts almost every app from the denylist",
    ] {
        assert!(out.contains(w), "missing {w}:\n{out}");
    }
}

#[test]
fn policy_check_reads_a_managed_config_export() {
    let o = veto(&["policy", "check", &fx("managed-config.json")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("valid managed-configuration export"), "{out}");
    assert!(
        out.contains(
            "state-actor-countries (3 entries, plus 1 unconfirmed listed for review only)"
        ),
        "{out}"
    );
    assert!(
        out.contains("  ladder:      warn at once, hide after 21 days"),
        "{out}"
    );
    assert!(
        out.contains("  protected:   1 from the policy, plus 10 built in"),
        "{out}"
    );
    // Unknown keys are warnings, not errors.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.json");
    std::fs::write(&f, r#"{"denied_packages":"com.a.b","colour":"red"}"#).unwrap();
    let o = veto(&["policy", "check", f.to_str().unwrap()]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o)
            .contains("[unknown_config_key] managed configuration: colour: not a key Veto knows"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn explain_shows_rules_allow_and_protection() {
    let digest = "90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA";
    let o = veto(&[
        "explain",
        "com.tok.lite.pro",
        "--signer",
        &digest.to_lowercase().replace(':', ""),
    ]);
    assert_eq!(code(&o), 1, "barred means exit 1");
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "  bytedance/tiktok-play-signer  [signer {digest}]"
        )),
        "{out}"
    );
    assert!(
        out.contains("    reason: Barred from government work phones"),
        "{out}"
    );
    assert!(out.contains("    source: "), "{out}");
    assert!(out.contains("Allow list: no entry exempts it"), "{out}");
    assert!(out.contains("Protected:  no"), "{out}");
    assert!(out.contains("Verdict: barred."), "{out}");
    assert!(out.contains("uninstall becomes hide"), "{out}");
    assert!(out.contains("First action: warn"), "{out}");

    let o = veto(&[
        "explain",
        "com.android.vending",
        "--policy",
        &fx("lint-policy.json"),
    ]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.contains("  play-store  [package com.android.vending]"),
        "{out}"
    );
    assert!(
        out.contains("Protected:  built in: the Play Store"),
        "{out}"
    );
    assert!(out.contains("Verdict: matched but protected"), "{out}");

    let o = veto(&[
        "explain",
        "com.adobe.reader",
        "--policy",
        &fx("allowlist-policy.json"),
    ]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains(
            "Allow list: exempted by package com.adobe.reader (PDF forms for the permit desk)"
        ),
        "{}",
        stdout(&o)
    );

    let o = veto(&[
        "explain",
        "com.spotify.music",
        "--policy",
        &fx("allowlist-policy.json"),
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("  allowlist  [not on the allow list]"),
        "{}",
        stdout(&o)
    );

    let o = veto(&[
        "explain",
        "com.example.sideload",
        "--installer",
        "com.google.android.packageinstaller",
        "--config",
        &fx("managed-config.json"),
        "--capabilities",
        "device-owner",
    ]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.contains("managed/installer/com.google.android.packageinstaller  [installer com.google.android.packageinstaller]"), "{out}");
    assert!(out.contains("warn at once, hide after 21 days."), "{out}");
}

/// Every class of bad input: exit 2 and one exact line on stderr.
#[test]
fn bad_input_is_one_line_and_exit_2() {
    let inv = fx("sample-inventory.json");
    let bad = |n: &str| fx(&format!("bad/{n}"));
    let mut cases: Vec<(Vec<String>, String)> = vec![
        (vec!["audit".into(), "--inventory".into(), bad("malformed.json")],
         format!("veto: {}: inventory: packages[0]: EOF while parsing a value (line 5, column 0)", bad("malformed.json"))),
        (vec!["audit".into(), "--inventory".into(), bad("missing-package.json")],
         format!("veto: {}: inventory: packages[1]: missing field `package`", bad("missing-package.json"))),
        (vec!["audit".into(), "--inventory".into(), bad("bad-digest.json")],
         format!("veto: {}: inventory: packages[0].signing_sha256[0]: expected a SHA-256 digest (64 hex digits, colons allowed), found \"90:41:80:3E\"", bad("bad-digest.json"))),
        (vec!["audit".into(), "--inventory".into(), bad("wrong-profile.json")],
         format!("veto: {}: inventory: profile: Veto only scans the work profile, found \"personal\"", bad("wrong-profile.json"))),
        (vec!["audit".into(), "--inventory".into(), inv.clone(), "--policy".into(), bad("bad-ladder-policy.json")],
         format!("veto: {}: policy: enforcement[1].action: steps must get stronger: warn does not escalate from suspend (order: report, warn, suspend, hide, uninstall)", bad("bad-ladder-policy.json"))),
        (vec!["audit".into(), "--inventory".into(), inv.clone(), "--config".into(), bad("bad-config-value.json")],
         format!("veto: {}: managed configuration: grace_period_days: expected a whole number, found \"six weeks\"", bad("bad-config-value.json"))),
        (vec!["audit".into(), "--inventory".into(), inv.clone(), "--state".into(), bad("bad-state.json")],
         format!("veto: {}: state: version: this Veto reads state version 1, found 9; was it written by a newer Veto?", bad("bad-state.json"))),
        (vec!["audit".into(), "--inventory".into(), fx("adb")],
         format!("veto: --inventory {}: a folder without *.json files", fx("adb"))),
        (vec!["audit".into(), "--inventory".into(), fx("nope.json")],
         format!("veto: --inventory {}: no such file", fx("nope.json"))),
        (vec!["audit".into(), "--inventory".into(), inv.clone(), "--now".into(), "yesterday".into()],
         "veto: --now: expected an RFC 3339 time like 2026-11-22T16:00:00Z or days from now like +42d, found \"yesterday\"".into()),
        (vec!["audit".into(), "--inventory".into(), inv.clone(), "--capabilities".into(), "root".into()],
         "veto: --capabilities: unknown \"root\"; use device-owner, profile-owner, affiliated-profile-owner, delegate:package-access[,block-uninstall] or none".into()),
        (vec!["policy".into(), "check".into(), bad("bad-ladder-policy.json")],
         format!("veto: {}: policy: enforcement[1].action: steps must get stronger: warn does not escalate from suspend (order: report, warn, suspend, hide, uninstall)", bad("bad-ladder-policy.json"))),
        (vec!["policy".into(), "check".into(), bad("bad-config-value.json")],
         format!("veto: {}: managed configuration: grace_period_days: expected a whole number, found \"six weeks\"", bad("bad-config-value.json"))),
        (vec!["policy".into(), "check".into(), bad("neither.json")],
         format!("veto: {}: neither a policy document (no \"version\") nor a managed configuration: none of its keys (\"colour\") is one Veto knows, such as \"denied_packages\", and it is no Android Management API managedConfiguration or Intune managedProperty list", bad("neither.json"))),
        (vec!["policy".into(), "check".into(), bad("malformed.json")],
         format!("veto: {}: not valid JSON: EOF while parsing a value at line 5 column 0", bad("malformed.json"))),
        (vec!["explain".into(), "not a pkg".into()],
         "veto: PACKAGE \"not a pkg\": expected a package name such as \"com.example.app\", found \"not a pkg\"".into()),
        (vec!["explain".into(), "a.b".into(), "--signer".into(), "12".into()],
         "veto: --signer #1: expected a SHA-256 digest (64 hex digits, colons allowed), found \"12\"".into()),
    ];
    cases.push((
        vec!["audit".into(), "--inventory".into(), bad("not-utf8.json")],
        format!("veto: --inventory {}: not UTF-8 text", bad("not-utf8.json")),
    ));
    for (args, want) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = veto(&args);
        assert_eq!(code(&o), 2, "{args:?}");
        assert_eq!(stderr(&o), format!("{want}\n"), "{args:?}");
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let o = veto(&[
        "audit",
        "--inventory",
        "a",
        "--policy",
        "b",
        "--config",
        "c",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("'--policy <FILE>' cannot be used with '--config <FILE>'"),
        "{}",
        stderr(&o)
    );
    let o = veto(&["audit"]);
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o), "veto: audit: give --inventory FILE (an inventory document) or --adb (read the work profile of a phone connected over adb)\n");
    for option in ["--user", "--serial"] {
        let o = veto(&["audit", option, "10"]);
        assert_eq!(code(&o), 2);
        assert_eq!(stderr(&o), "veto: audit: give --inventory FILE (an inventory document) or --adb (read the work profile of a phone connected over adb)\n", "{option}");
        let o = veto(&[
            "audit",
            "--inventory",
            &fx("sample-inventory.json"),
            option,
            "10",
        ]);
        assert_eq!(code(&o), 2);
        assert_eq!(stderr(&o), format!("veto: {option} chooses the phone or user to read over adb, so it goes with --adb instead of --inventory (an inventory file is already one work profile)\n"));
    }
    let o = veto(&["frobnicate"]);
    assert_eq!(code(&o), 2);
    // Misspelt options and commands get a "did you mean".
    let o = veto(&["audit", "--formt", "json"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("tip: a similar argument exists: '--format'"),
        "{}",
        stderr(&o)
    );
    let o = veto(&["polcy", "check", "x"]);
    assert!(
        stderr(&o).contains("tip: a similar subcommand exists: 'policy'"),
        "{}",
        stderr(&o)
    );
    let o = veto(&["audit", "--help"]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("[default: profile-owner]"),
        "{}",
        stdout(&o)
    );
}

// ---- adb --------------------------------------------------------------------------

#[test]
fn adb_missing_says_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    let o = veto_with_path(&["audit", "--adb"], Some(empty.path().to_str().unwrap()));
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "veto: adb not found on PATH or in $ANDROID_HOME/platform-tools: install Android platform-tools or pass --inventory\n"
    );
}

/// A fake `adb` for the recorded phone, first on PATH.
fn fake_adb(phone: &str) -> (tempfile::TempDir, String) {
    let dir = common::fake_adb(phone);
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (dir, path)
}

fn calls(dir: &tempfile::TempDir) -> Vec<String> {
    std::fs::read_to_string(dir.path().join("calls.log"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn adb_audit_reads_the_work_profile() {
    let (dir, path) = fake_adb("pixel-14-work");
    let o = veto_with_path(&["audit", "--adb", "--now", NOW], Some(&path));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with(
            "Veto audit of adb: the connected phone, user 10 \"Work profile\" (10 packages)"
        ),
        "{out}"
    );
    assert!(
        out.contains("\nWork profile: user 10, the only user of type profile.MANAGED with a profile owner (com.google.android.apps.work.clouddpc)\n"),
        "{out}"
    );
    let t = row(&out, "com.zhiliaoapp.musically").expect("TikTok found over adb");
    assert!(
        t.contains("suspend"),
        "dumpsys showed it suspended in user 10: {t}"
    );
    assert!(
        out.contains("Note: adb does not print signing-certificate SHA-256 digests"),
        "{out}"
    );
    // Without digests the repackage is not found by its signer.
    assert!(row(&out, "com.tok.lite.pro").is_none(), "{out}");
    assert!(row(&out, "com.android.vending").is_none(), "{out}");
    let calls = calls(&dir);
    assert_eq!(
        calls[..5],
        [
            "shell pm list users",
            "shell cmd user list -v",
            "shell dumpsys device_policy",
            "shell pm list packages -i -U --user 10",
            "shell dumpsys package com.microsoft.office.outlook",
        ]
    );
    assert_eq!(calls.len(), 15);
    // Without --serial, adb names the phone for the report.
    assert_eq!(calls[14], "get-serialno");
}

/// `--format json` names the scanned user and how it was chosen.
fn adb_json(phone: &str, extra: &[&str]) -> Value {
    let (_dir, path) = fake_adb(phone);
    let mut args = vec!["audit", "--adb", "--format", "json", "--now", NOW];
    args.extend_from_slice(extra);
    let o = veto_with_path(&args, Some(&path));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn adb_json_names_the_user_and_how_it_was_chosen() {
    let plan = adb_json("samsung-13-work-secure-folder", &[]);
    assert_eq!(
        plan["source"],
        serde_json::json!({
            "kind": "adb",
            "serial": "R5CT20ABCDE",
            "user": 10,
            "user_name": "Work profile",
            "user_type": "profile.MANAGED",
            "profile_owner": "com.microsoft.windowsintune.companyportal",
            "chosen_by": "profile_owner_and_user_type",
            "why": "the only user of type profile.MANAGED with a profile owner (com.microsoft.windowsintune.companyportal)"
        })
    );
    // The plan's own fields are unchanged beside it.
    assert_eq!(plan["compliant"], false);
    assert!(finding(&plan, "com.zhiliaoapp.musically").is_some());

    let plan = adb_json("clone-space-12-work", &[]);
    assert_eq!(plan["source"]["user"], 11);
    assert_eq!(plan["source"]["profile_owner"], "com.airwatch.androidagent");

    let plan = adb_json("lineage-6-no-dpm", &[]);
    assert_eq!(plan["source"]["user"], 10);
    assert_eq!(plan["source"]["chosen_by"], "managed_profile_flag");
    assert_eq!(plan["source"]["user_type"], Value::Null);

    let plan = adb_json(
        "two-work-profiles",
        &["--serial", "R58M123", "--user", "12"],
    );
    assert_eq!(
        plan["source"],
        serde_json::json!({
            "kind": "adb", "serial": "R58M123", "user": 12, "user_name": null,
            "user_type": null, "profile_owner": null, "chosen_by": "user_option",
            "why": "given with --user"
        })
    );

    // An inventory file names itself.
    let (_, plan) = audit_json(&[]);
    assert_eq!(
        plan["source"],
        serde_json::json!({"kind": "file", "file": fx("sample-inventory.json")})
    );
}

#[test]
fn adb_flag_fallback_is_said_in_the_table() {
    let (_dir, path) = fake_adb("lineage-6-no-dpm");
    let o = veto_with_path(&["audit", "--adb", "--now", NOW], Some(&path));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("\nNote: user 10 chosen by the managed-profile flag (0x20) alone: this phone printed neither user types (cmd user list -v) nor profile owners (dumpsys device_policy), and vendors set that flag on other spaces too (Secure Folder, app clones); check the name, or pass --user N\n"), "{}", stdout(&o));
}

#[test]
fn adb_with_serial_and_user_skips_the_user_lookup() {
    let (dir, path) = fake_adb("samsung-9-secure-folder-only");
    let o = veto_with_path(
        &[
            "audit", "--adb", "--serial", "R58M123", "--user", "10", "--format", "json",
        ],
        Some(&path),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let plan: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        finding(&plan, "com.zhiliaoapp.musically").unwrap()["in_effect"],
        serde_json::json!(["suspend"])
    );
    assert_eq!(
        calls(&dir)[0],
        "-s R58M123 shell pm list packages -i -U --user 10"
    );
}

/// Every way of not finding one work profile: exit 2 and one exact line.
#[test]
fn adb_user_choice_errors_are_exact() {
    let cases = [
        ("samsung-9-secure-folder-only", "veto: adb: this phone has no work profile (no managed profile with a profile owner) among users 0 \"Owner\" (flags 0x13, no profile owner), 150 \"Secure Folder\" (flags 0x10061030, no profile owner); pass --user N to scan another user"),
        ("two-work-profiles", "veto: adb: cannot tell which user is the work profile: 10 \"Work profile\" (type profile.MANAGED, profile owner com.google.android.apps.work.clouddpc), 12 \"Werkprofiel\" (type profile.MANAGED, profile owner com.afwsamples.testdpc); pass --user N to choose one"),
        ("fully-managed-14", "veto: adb: this phone has no work profile (no user of type profile.MANAGED with a profile owner) among users 0 \"Owner\" (type full.SYSTEM, no profile owner); user 0 has a device owner (com.google.android.apps.work.clouddpc): on a fully managed phone pass --user 0 to scan it"),
        ("two-phones", "veto: adb: more than one device/emulator is attached; pass --serial S with one of the serials `adb devices` lists"),
        ("unauthorized", "veto: adb: the phone has not authorised this computer; unlock it and accept the \"Allow USB debugging?\" dialog. adb said: adb: device unauthorized. This adb server's $ADB_VENDOR_KEYS is not set Try 'adb kill-server' if that seems wrong. Otherwise check for a confirmation dialog on your device."),
    ];
    for (phone, want) in cases {
        let (_dir, path) = fake_adb(phone);
        let o = veto_with_path(&["audit", "--adb"], Some(&path));
        assert_eq!(code(&o), 2, "{phone}");
        assert_eq!(stderr(&o), format!("{want}\n"), "{phone}");
        assert!(stdout(&o).is_empty(), "{phone}");
    }
}

#[test]
fn a_work_profile_that_refuses_the_shell_says_why_and_what_to_do() {
    let advice = ". The work profile (user 11) refuses adb: its EMM policy disallows debugging features there (user restriction no_debugging_features). Either allow debugging in the work profile through the EMM for the time of the check (Android Management API: advancedSecurityOverrides.developerSettings DEVELOPER_SETTINGS_ALLOWED), or scan on the device itself: the Veto app in the work profile evaluates it and reports to your Veto server";
    for (phone, status) in [("refused-255", 255), ("refused-exit-0", 0)] {
        let (_dir, path) = fake_adb(phone);
        let o = veto_with_path(&["audit", "--adb", "--format", "json"], Some(&path));
        assert_eq!(
            code(&o),
            2,
            "{phone}: an empty list must not pass as compliant"
        );
        assert_eq!(
            stderr(&o),
            format!("veto: adb shell pm list packages -i -U --user 11 failed (exit status {status}): java.lang.SecurityException: Shell does not have permission to access user 11{advice}\n"),
            "{phone}"
        );
        assert!(stdout(&o).is_empty());
    }
}

// ---- feed keys and signed policies ---------------------------------------------------

fn keygen(dir: &Path, name: &str) -> String {
    let key = dir.join(name);
    let o = veto(&["keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    out.lines()
        .find_map(|l| l.strip_prefix("policy_public_key: "))
        .expect("keygen prints the public key")
        .trim()
        .to_string()
}

/// Signs `policy` with a new key made in `dir`: the public key, the secret key file and
/// the envelope file.
fn sign_with_new_key(dir: &Path, policy: &str) -> (String, std::path::PathBuf, std::path::PathBuf) {
    let public = keygen(dir, "feed.key");
    let key = dir.join("feed.key");
    let signed = dir.join("signed.json");
    let o = veto(&[
        "policy",
        "sign",
        "--key",
        key.to_str().unwrap(),
        policy,
        "--out",
        signed.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    (public, key, signed)
}

#[test]
fn keygen_sign_and_verify_round_trip() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let public = keygen(dir.path(), "feed.key");
    let key = dir.path().join("feed.key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let signed = dir.path().join("signed.json");
    let o = veto(&[
        "policy",
        "sign",
        "--key",
        key.to_str().unwrap(),
        &fx("allowlist-policy.json"),
        "--out",
        signed.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = veto(&[
        "policy",
        "verify",
        "--key",
        &public,
        signed.to_str().unwrap(),
        "--now",
        NOW,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains(": good signature: policy version 12 (allowlist,"),
        "{}",
        stdout(&o)
    );

    // Signed to standard output, the same envelope verifies too.
    let o = veto(&[
        "policy",
        "sign",
        "--key",
        key.to_str().unwrap(),
        &fx("allowlist-policy.json"),
    ]);
    assert_eq!(code(&o), 0);
    let envelope: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(envelope["format"], "veto-signed-policy/1");

    // After its expiry a device refuses it, and so does verify.
    let o = veto(&[
        "policy",
        "verify",
        "--key",
        &public,
        signed.to_str().unwrap(),
        "--now",
        "2027-07-01T00:00:00Z",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("refused policy version 12: it expired at 2027-06-01T00:00:00Z"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn verify_refuses_other_keys_and_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let (public, key, signed) = sign_with_new_key(dir.path(), &fx("allowlist-policy.json"));
    let other = keygen(dir.path(), "other.key");

    let o = veto(&[
        "policy",
        "verify",
        "--key",
        &other,
        signed.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("veto: {}: ", signed.display())),
        "{err}"
    );
    assert!(err.contains("wrong key"), "{err}");
    assert_eq!(err.lines().count(), 1);

    // Change the signed payload: the right key no longer verifies it.
    let mut env: Value = serde_json::from_str(&std::fs::read_to_string(&signed).unwrap()).unwrap();
    let payload = env["payload"].as_str().unwrap();
    let first = if payload.starts_with('e') { "f" } else { "e" };
    env["payload"] = Value::String(format!("{first}{}", &payload[1..]));
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, env.to_string()).unwrap();
    let o = veto(&[
        "policy",
        "verify",
        "--key",
        &public,
        tampered.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).starts_with(&format!("veto: {}: ", tampered.display())),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());

    // keygen never overwrites a key.
    let o = veto(&["keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        format!(
            "veto: {}: already exists; refusing to overwrite a secret key\n",
            key.display()
        )
    );
}

#[test]
fn sign_refuses_an_invalid_policy() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "feed.key");
    let key = dir.path().join("feed.key");
    let o = veto(&[
        "policy",
        "sign",
        "--key",
        key.to_str().unwrap(),
        &fx("bad/bad-ladder-policy.json"),
    ]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        format!("veto: {}: policy: enforcement[1].action: steps must get stronger: warn does not escalate from suspend (order: report, warn, suspend, hide, uninstall)\n", fx("bad/bad-ladder-policy.json"))
    );
    assert!(stdout(&o).is_empty());
}

#[test]
fn a_compliant_profile_exits_0() {
    let o = veto(&[
        "audit",
        "--inventory",
        &fx("compliant-inventory.json"),
        "--now",
        NOW,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("No findings."), "{out}");
    assert!(
        out.trim_end()
            .ends_with("Summary: compliant, 0 actions planned"),
        "{out}"
    );
    let o = veto(&["explain", "com.microsoft.teams"]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("Verdict: not barred; Veto leaves it alone."),
        "{}",
        stdout(&o)
    );
}

// ---- provisioning ---------------------------------------------------------------------

#[test]
fn provision_qr_prints_the_payload_with_the_certificate_checksum() {
    let o = veto(&[
        "provision",
        "qr",
        "--apk",
        &fx("apk/signed-v2-v3.apk"),
        "--url",
        "https://mdm.example.org/veto.apk",
        "--skip-encryption",
        "--leave-system-apps-enabled",
        "--wifi-ssid",
        "Gemeente-Gast",
        "--wifi-security",
        "wpa",
        "--wifi-password",
        "s3cret",
        "--extra",
        "policy_url=https://feed.example.org/policy.json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).is_empty());
    let p: Value = serde_json::from_str(&stdout(&o)).unwrap();
    // apksigner verify --print-certs: 2b1d1564…46e5dc (tests/fixtures/apk/README.md).
    assert_eq!(
        p,
        serde_json::json!({
            "android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME": "app.veto/app.veto.trigger.VetoAdminReceiver",
            "android.app.extra.PROVISIONING_DEVICE_ADMIN_PACKAGE_DOWNLOAD_LOCATION": "https://mdm.example.org/veto.apk",
            "android.app.extra.PROVISIONING_DEVICE_ADMIN_SIGNATURE_CHECKSUM": "Kx0VZGvKwaOCQsqkwZJLAZECwshhS9WvVOx_bIhG5dw",
            "android.app.extra.PROVISIONING_SKIP_ENCRYPTION": true,
            "android.app.extra.PROVISIONING_LEAVE_ALL_SYSTEM_APPS_ENABLED": true,
            "android.app.extra.PROVISIONING_WIFI_SSID": "Gemeente-Gast",
            "android.app.extra.PROVISIONING_WIFI_SECURITY_TYPE": "WPA",
            "android.app.extra.PROVISIONING_WIFI_PASSWORD": "s3cret",
            "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": {
                "policy_url": "https://feed.example.org/policy.json"
            }
        })
    );
    // Only the three required keys without options.
    let o = veto(&[
        "provision",
        "qr",
        "--apk",
        &fx("apk/signed-v2-v3.apk"),
        "--url",
        "https://mdm.example.org/veto.apk",
    ]);
    let p: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(p.as_object().unwrap().len(), 3);
}

#[test]
fn provision_qr_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let extras = dir.path().join("extras.json");
    std::fs::write(&extras, r#"{"a": "b", "nested": {"x": 1}}"#).unwrap();
    let url = "https://mdm.example.org/veto.apk";
    let signed = fx("apk/signed-v2-v3.apk");
    let cases: Vec<(Vec<String>, String)> = vec![
        (vec!["--apk".into(), fx("apk/signed-v1-only.apk"), "--url".into(), url.into()],
         format!("veto: --apk {}: signed with v1 (JAR signing) only (META-INF/KEY.RSA); the QR checksum is read from an APK Signature Scheme v2 or v3 signature: sign it with apksigner (v2 and v3 are on by default)", fx("apk/signed-v1-only.apk"))),
        (vec!["--apk".into(), fx("apk/unsigned.apk"), "--url".into(), url.into()],
         format!("veto: --apk {}: not signed with APK Signature Scheme v2 or v3 (no APK Signing Block before the ZIP central directory): sign it with apksigner", fx("apk/unsigned.apk"))),
        (vec!["--apk".into(), fx("sample-inventory.json"), "--url".into(), url.into()],
         format!("veto: --apk {}: not an APK: no ZIP end-of-central-directory record (an APK is a ZIP archive)", fx("sample-inventory.json"))),
        (vec!["--apk".into(), fx("apk/nope.apk"), "--url".into(), url.into()],
         format!("veto: --apk {}: no such file", fx("apk/nope.apk"))),
        (vec!["--apk".into(), signed.clone(), "--url".into(), "http://mdm.example.org/veto.apk".into()],
         "veto: --url: the phone downloads Veto from this address during setup and needs https://, found \"http://mdm.example.org/veto.apk\"".into()),
        (vec!["--apk".into(), signed.clone(), "--url".into(), url.into(), "--extra".into(), "novalue".into()],
         "veto: --extra \"novalue\": expected KEY=VALUE".into()),
        (vec!["--apk".into(), signed.clone(), "--url".into(), url.into(), "--extras".into(), extras.display().to_string()],
         format!("veto: --extras {}: nested: expected a string, a whole number or true/false, found {{\"x\":1}}", extras.display())),
    ];
    for (args, want) in cases {
        let mut full = vec!["provision".to_string(), "qr".to_string()];
        full.extend(args);
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        let o = veto(&full);
        assert_eq!(code(&o), 2, "{full:?}");
        assert_eq!(stderr(&o), format!("{want}\n"), "{full:?}");
        assert!(stdout(&o).is_empty());
    }
}

// ---- EMM consoles ---------------------------------------------------------------------

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn policy_export_prints_each_console_shape_and_the_tool_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let policy = fx("allowlist-policy.json");
    for (format, kind) in [
        (
            "amapi",
            "managed configuration (Android Management API application)",
        ),
        ("intune", "managed configuration (Intune managedProperty)"),
        ("flat", "managed-configuration export"),
    ] {
        let o = veto(&["policy", "export", "--as", format, &policy]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let exported = write(dir.path(), &format!("{format}.json"), &stdout(&o));
        let o = veto(&["policy", "check", &exported]);
        assert_eq!(code(&o), 0, "{format}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(
            out.starts_with(&format!("{exported}: valid {kind}\n")),
            "{out}"
        );
        assert!(out.contains("  version:     12\n"), "{out}");
        assert!(out.contains("  mode:        allowlist"), "{out}");
        // The same plan as from the document itself.
        let (_, from_doc) = audit_json(&["--policy", &policy]);
        let (_, from_console) = audit_json(&["--config", &exported]);
        assert_eq!(from_doc["findings"], from_console["findings"], "{format}");
    }
    let o = veto(&["policy", "export", "--as", "intune", &policy]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["productId"], "app:app.veto");
    assert_eq!(v["managedProperty"][0]["key"], "policy_json");
    let o = veto(&["policy", "export", "--as", "amapi", &policy]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["packageName"], "app.veto");
    assert!(v["managedConfiguration"]["policy_json"]
        .as_str()
        .unwrap()
        .starts_with("{\"version\":12,\"mode\":\"allowlist\""));
}

#[test]
fn a_document_of_the_wrong_kind_is_refused_with_the_right_command() {
    let dir = tempfile::tempdir().unwrap();
    let inv = fx("sample-inventory.json");
    let doc = fx("allowlist-policy.json");
    let config = fx("managed-config.json");
    let o = veto(&["audit", "--inventory", &inv, "--config", &doc]);
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o), format!("veto: --config {doc}: this is a policy document (it has \"version\"), not a managed configuration; pass it with --policy {doc}, or make a configuration of it with `veto policy export --as flat {doc}`\n"));
    let o = veto(&["explain", "com.spotify.music", "--config", &doc]);
    assert_eq!(
        code(&o),
        2,
        "explain no longer drops a document's rules silently"
    );
    let o = veto(&["audit", "--inventory", &inv, "--policy", &config]);
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o), format!("veto: --policy {config}: this is a managed configuration (managed-configuration export), not a policy document; pass it with --config {config}\n"));
    let o = veto(&["policy", "export", "--as", "flat", &config]);
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o), format!("veto: {config}: this is already a managed configuration (managed-configuration export); export takes a policy document (check a configuration with `veto policy check {config}`)\n"));
    // A whole AMAPI policy without Veto in it.
    let amapi = write(
        dir.path(),
        "amapi.json",
        r#"{"name":"enterprises/LC0/policies/work","applications":[{"packageName":"com.microsoft.teams"}]}"#,
    );
    let o = veto(&["policy", "check", &amapi]);
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o), format!("veto: {amapi}: an Android Management API policy without an application with packageName \"app.veto\"\n"));
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fx("allowlist-policy.json")).unwrap();
    let bom = write(dir.path(), "bom.json", &format!("\u{feff}{text}"));
    let o = veto(&["policy", "check", &bom]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = veto(&[
        "audit",
        "--inventory",
        &fx("sample-inventory.json"),
        "--policy",
        &bom,
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
}

#[test]
fn sign_and_verify_show_lint_enforce_the_phone_limit_and_count_rules_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let public = keygen(dir.path(), "feed.key");
    let key = dir.path().join("feed.key");
    let key = key.to_str().unwrap();
    let signed = dir.path().join("signed.json");
    let o = veto(&[
        "policy",
        "sign",
        "--key",
        key,
        &fx("lint-policy.json"),
        "--out",
        signed.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "signed {} into {}\n",
            fx("lint-policy.json"),
            signed.display()
        )
    );
    let err = stderr(&o);
    assert!(err.contains("veto: warning: [too_broad] rule \"everything-com\": pattern \"com.*\" matches almost every app"), "{err}");
    assert_eq!(err.lines().count(), 6, "{err}");

    let o = veto(&[
        "policy",
        "verify",
        "--key",
        &public,
        signed.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains(": good signature: policy version 3 (denylist, 19 rules in force: 4 own, 15 from the catalog, no expiry)"),
        "{}",
        stdout(&o)
    );
    assert_eq!(stderr(&o).lines().count(), 6, "{}", stderr(&o));

    // A file where the key is expected.
    let o = veto(&["policy", "verify", "--key", key, signed.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o), format!("veto: --key {key:?}: looks like a file name; --key takes the public key itself (the policy_public_key value `veto keygen` printed), e.g. --key Ks8cr/uG1IRk0O+chdwJ5Uyr2cbjrfrUN6TFeZ1Vybo=\n"));

    // 12,000 rules: a valid policy, but no phone takes the envelope.
    let rules: Vec<Value> = (0..12_000)
        .map(|i| {
            serde_json::json!({"id": format!("r{i}"), "package": format!("com.example.unwanted.app{i}"), "reason": "Not approved for work phones"})
        })
        .collect();
    let big = dir.path().join("big.json");
    std::fs::write(
        &big,
        serde_json::json!({"version": 2, "rules": rules}).to_string(),
    )
    .unwrap();
    let o = veto(&["policy", "sign", "--key", key, big.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("veto: {}: the signed envelope is ", big.display())),
        "{err}"
    );
    assert!(err.ends_with(" bytes; phones refuse feed documents over 1048576 bytes (1 MiB) and keep their last good policy: use patterns, signers and the catalog instead of listing every package\n"), "{err}");
    assert!(stdout(&o).is_empty());
}

/// Issue 14's "messages that don't say what to fix" and "silent acceptance", through the CLI.
#[test]
fn messages_say_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["policy".into(), "check".into(), write(d, "ladder.json", r#"{"version":1,"enforcement":[{"action":"warn","after_days":0},{"action":"suspned","after_days":14}]}"#)],
            format!("veto: {}: policy: enforcement[1].action: found \"suspned\"; did you mean \"suspend\"? (actions, in lower case: report, warn, suspend, hide, uninstall)", d.join("ladder.json").display()),
        ),
        (
            vec!["policy".into(), "check".into(), write(d, "version.json", r#"{"version":"1"}"#)],
            format!("veto: {}: policy: version: expected a whole number, found the string \"1\"; write it without quotes, e.g. \"version\": 1", d.join("version.json").display()),
        ),
        (
            vec!["policy".into(), "check".into(), write(d, "http.json", r#"{"policy_url":"http://feed.example.org/p.json","policy_public_key":"Ks8cr/uG1IRk0O+chdwJ5Uyr2cbjrfrUN6TFeZ1Vybo="}"#)],
            format!("veto: {}: managed configuration: policy_url: expected an https:// URL, found \"http://feed.example.org/p.json\"; Veto never fetches or reports over plain HTTP", d.join("http.json").display()),
        ),
        (
            vec!["policy".into(), "check".into(), write(d, "report.json", r#"{"report_url":"http://c.example.org/r"}"#)],
            format!("veto: {}: managed configuration: report_url: expected an https:// URL, found \"http://c.example.org/r\"; Veto never fetches or reports over plain HTTP", d.join("report.json").display()),
        ),
        (
            vec!["policy".into(), "check".into(), write(d, "key.json", r#"{"policy_url":"https://feed.example.org/p.json","policy_public_key":"abc"}"#)],
            format!("veto: {}: managed configuration: policy_public_key: ", d.join("key.json").display()),
        ),
        (
            vec!["policy".into(), "check".into(), write(d, "nokey.json", r#"{"policy_url":"https://feed.example.org/p.json"}"#)],
            format!("veto: {}: managed configuration: policy_url is set but policy_public_key is empty; Veto only accepts signed policies (`veto keygen` prints the key)", d.join("nokey.json").display()),
        ),
        (
            vec!["policy".into(), "check".into(), write(d, "signed.json", r#"{"format":"veto-signed-policy/1","key_id":"00","payload":"e30=","signature":"AAAA"}"#)],
            format!("veto: {}: this is a signed policy envelope (veto-signed-policy/1), not a policy document; check it as a phone would with `veto policy verify --key PUBLIC_KEY FILE`", d.join("signed.json").display()),
        ),
        (
            vec!["keygen".into(), "--out".into(), d.display().to_string()],
            format!("veto: --out {}: is a folder; give the file to write the secret key to, e.g. --out {}", d.display(), d.join("feed.key").display()),
        ),
    ];
    for (args, want) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = veto(&args);
        assert_eq!(code(&o), 2, "{args:?}");
        let err = stderr(&o);
        assert!(
            err.starts_with(&want),
            "{args:?}\n got: {err}\nwant: {want}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn check_warns_about_misspelt_keys_ignored_keys_and_cancelled_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = write(
        d,
        "c.json",
        r#"{"enforcment_action":"hide","grace_period_days":14,"report_url":"https://c.example.org/r"}"#,
    );
    let o = veto(&["policy", "check", &cfg]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("[unknown_config_key] managed configuration: enforcment_action: not a key Veto knows; ignored; did you mean \"enforcement_action\"? (see docs/managed-config.md)"), "{out}");
    assert!(out.contains("[report_without_token] managed configuration: report_url is set but report_token is empty; Veto's server (veto-server) refuses reports without a token, so set the token it issued"), "{out}");
    assert!(
        out.contains("  reports:     https://c.example.org/r (violations only, no token)\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "  feed:        none (policy_url is empty: the configuration itself is the policy)\n"
        ),
        "{out}"
    );
    assert!(out.contains("[ignored_config_key] managed configuration: grace_period_days: 14 is ignored while enforcement_action is \"policy\""), "{out}");
    let policy = write(
        d,
        "p.json",
        r#"{"version":2,"rules":[{"id":"game","package":"com.example.game","reason":"no games"}],"allow":["com.example.*","com.zhiliaoapp.musically"]}"#,
    );
    let o = veto(&["policy", "check", &policy]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("[allow_cancels_rule] allow entry pattern \"com.example.*\" exempts what rule \"game\" bars: that rule never applies; remove the entry or narrow it\n"), "{out}");
    assert!(out.contains("[allow_cancels_rule] allow entry package \"com.zhiliaoapp.musically\" exempts what rule \"bytedance/tiktok\" bars: that rule never applies"), "{out}");
}

// ---- CI mode ----------------------------------------------------------------------------

#[test]
fn check_verify_and_explain_speak_json_and_strict_fails_on_warnings() {
    let o = veto(&[
        "policy",
        "check",
        &fx("lint-policy.json"),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["kind"], "policy document");
    assert_eq!(v["policy"]["rules_in_force"], 19);
    assert_eq!(v["policy"]["own_rules"], 4);
    assert_eq!(v["policy"]["rules_by_matcher"]["pattern"], 1);
    assert_eq!(v["policy"]["ladder"][1]["action"], "suspend");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 6);
    assert_eq!(v["warnings"][0]["code"], "too_broad");
    // --strict: warnings get their own exit code; a clean policy still passes.
    let o = veto(&["policy", "check", &fx("lint-policy.json"), "--strict"]);
    assert_eq!(code(&o), 3);
    let o = veto(&["policy", "check", &fx("allowlist-policy.json"), "--strict"]);
    assert_eq!(code(&o), 0);

    let dir = tempfile::tempdir().unwrap();
    let (public, _, signed) = sign_with_new_key(dir.path(), &fx("lint-policy.json"));
    let o = veto(&[
        "policy",
        "verify",
        "--key",
        &public,
        signed.to_str().unwrap(),
        "--format",
        "json",
        "--strict",
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["good_signature"], true);
    assert_eq!(v["policy"]["version"], 3);
    assert_eq!(v["policy"]["rules_in_force"], 19);
    assert_eq!(v["key_id"].as_str().unwrap().len(), 16);

    let o = veto(&[
        "explain",
        "com.spotify.music",
        "--policy",
        &fx("allowlist-policy.json"),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verdict"], "barred");
    assert_eq!(v["finding"]["rules"], serde_json::json!(["allowlist"]));
    let o = veto(&[
        "explain",
        "com.android.vending",
        "--policy",
        &fx("lint-policy.json"),
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verdict"], "matched_but_protected");
    assert_eq!(v["matching_rules"][1]["id"], "play-store");
    assert!(v["protected"]
        .as_str()
        .unwrap()
        .starts_with("built in: the Play Store"));
    assert_eq!(v["allowed_by"]["value"], "*");
}

#[test]
fn several_inventories_give_a_result_each_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["sample-inventory.json", "compliant-inventory.json"] {
        std::fs::copy(fx(f), dir.path().join(f)).unwrap();
    }
    write(dir.path(), "z-bad.json", r#"{"packages":[{}]}"#);
    write(dir.path(), "notes.txt", "not an inventory");
    let folder = dir.path().to_str().unwrap();
    let o = veto(&[
        "audit",
        "--inventory",
        folder,
        "--format",
        "json",
        "--now",
        NOW,
    ]);
    assert_eq!(code(&o), 2, "an unreadable inventory is bad input");
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["summary"],
        serde_json::json!({"audited": 3, "compliant": 1, "with_findings": 1, "unreadable": 1, "with_warnings": 0})
    );
    let inv = v["inventories"].as_array().unwrap();
    assert_eq!(
        inv[0]["source"]["file"],
        format!("{folder}/compliant-inventory.json")
    );
    assert_eq!(inv[0]["compliant"], true);
    assert_eq!(inv[1]["findings"].as_array().unwrap().len(), 5);
    assert_eq!(
        inv[2]["error"],
        format!("{folder}/z-bad.json: inventory: packages[0]: missing field `package`")
    );
    // Files listed one by one; the table ends with the summary line.
    let o = veto(&[
        "audit",
        "--inventory",
        &fx("sample-inventory.json"),
        "--inventory",
        &fx("compliant-inventory.json"),
        "--now",
        NOW,
    ]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert_eq!(out.matches("Veto audit of ").count(), 2, "{out}");
    assert!(
        out.trim_end()
            .ends_with("Inventories: 2 audited: 1 compliant, 1 with findings, 0 unreadable"),
        "{out}"
    );
}

#[test]
fn now_takes_days_from_now() {
    let generated_at = |now: &str| {
        let (_, plan) = audit_json_of(&fx("sample-inventory.json"), &["--now", now]);
        let at = plan["generated_at"].as_str().unwrap().to_string();
        veto_core::Timestamp::parse_rfc3339(&at).unwrap().millis()
    };
    // -3d and +3d are six days apart (give or take the seconds between the two runs).
    let apart = generated_at("+3d") - generated_at("-3d");
    assert!((apart - 6 * 86_400_000).abs() < 60_000, "{apart}");
    let o = veto(&[
        "audit",
        "--inventory",
        &fx("sample-inventory.json"),
        "--now",
        "+42x",
    ]);
    assert_eq!(code(&o), 2);
}

// ---- the small things ---------------------------------------------------------------------

#[test]
fn adb_exe_and_the_sdk_folder_are_found_too() {
    use std::os::unix::fs::PermissionsExt;
    // adb.exe on PATH (Windows, WSL): the phone answers like the Pixel.
    let fake = common::fake_adb("pixel-14-work");
    std::fs::rename(fake.path().join("adb"), fake.path().join("adb.exe")).unwrap();
    let path = format!(
        "{}:{}",
        fake.path().display(),
        std::env::var("PATH").unwrap()
    );
    let o = veto_with_path(&["audit", "--adb", "--now", NOW], Some(&path));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // $ANDROID_HOME/platform-tools/adb when PATH has none.
    let sdk = tempfile::tempdir().unwrap();
    let tools = sdk.path().join("platform-tools");
    std::fs::create_dir(&tools).unwrap();
    std::fs::write(
        tools.join("adb"),
        "#!/bin/sh\necho 'adb: no devices/emulators found' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(tools.join("adb"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_veto"))
        .args(["audit", "--adb"])
        .env("PATH", tempfile::tempdir().unwrap().path())
        .env("ANDROID_HOME", sdk.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o), "veto: adb: no devices/emulators found; connect the phone with USB debugging on and check that `adb devices` lists it\n");
}

#[test]
fn init_catalog_key_and_version() {
    for template in ["--denylist", "--allowlist"] {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.json");
        let o = veto(&["policy", "init", template, "--out", f.to_str().unwrap()]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let o = veto(&["policy", "check", f.to_str().unwrap(), "--strict"]);
        assert_eq!(code(&o), 0, "{template}: {}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).contains(
            "  ladder:      warn at once, suspend after 14 days, uninstall after 42 days"
        ));
        let o = veto(&["policy", "init", template, "--out", f.to_str().unwrap()]);
        assert_eq!(code(&o), 2, "never overwritten");
    }
    let o = veto(&["policy", "init", "--allowlist"]);
    assert!(
        stdout(&o).contains("\"mode\": \"allowlist\""),
        "{}",
        stdout(&o)
    );

    let o = veto(&["catalog", "list"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.starts_with(
            "Built-in catalog version 1 (updated 2026-11-22): 19 entries in 2 sections"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "\nbytedance (TikTok and other ByteDance apps; on with use_builtin_catalog): 15\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "  tiktok  com.zhiliaoapp.musically  TikTok (TikTok (ByteDance))\n    source: "
        ),
        "{out}"
    );
    assert!(
        out.contains("[unconfirmed: listed for review only]"),
        "{out}"
    );
    let o = veto(&["catalog", "list", "--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["sections"][0]["entries"][0]["package"],
        "com.zhiliaoapp.musically"
    );
    assert!(v["sections"][0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["source"].as_str().is_some_and(|s| !s.is_empty())));

    let dir = tempfile::tempdir().unwrap();
    let public = keygen(dir.path(), "feed.key");
    let o = veto(&[
        "key",
        "public",
        dir.path().join("feed.key").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).starts_with(&format!("policy_public_key: {public}\nkey id:            ")),
        "{}",
        stdout(&o)
    );

    let o = veto(&["--version"]);
    assert_eq!(code(&o), 0);
    assert_eq!(
        stdout(&o),
        format!(
            "veto {} (built-in catalog version 1, updated 2026-11-22)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn diff_names_the_changes_and_checks_the_version() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(
        dir.path(),
        "old.json",
        r#"{"version":4,"rules":[{"id":"game","package":"com.example.game","reason":"no games"},{"id":"chat","package":"com.example.chat","reason":"no chat"}],"allow":["com.example.ok"]}"#,
    );
    let new = write(
        dir.path(),
        "new.json",
        r#"{"version":4,"rules":[{"id":"game","pattern":"com.example.game*","reason":"no games"},{"id":"shop","package":"com.example.shop","reason":"no shopping"}],"enforcement":"hide","include_catalogs":["state-actor-countries"]}"#,
    );
    let o = veto(&["policy", "diff", &old, &new]);
    assert_eq!(code(&o), 1, "same version, other content");
    assert_eq!(
        stdout(&o),
        format!(
            "{old} (version 4) -> {new} (version 4): 6 changes
  + catalog section state-actor-countries
  ~ rule game: [package com.example.game] -> [pattern com.example.game*]
  + rule shop [package com.example.shop]: no shopping
  - rule chat [package com.example.chat]
  - allow [package com.example.ok]
  ladder: warn at once, suspend after 14 days, uninstall after 42 days -> hide at once
version 4 is unchanged but the content differs: phones refuse it from the policy feed; raise it to 5
"
        )
    );
    let newer = write(
        dir.path(),
        "newer.json",
        &std::fs::read_to_string(&new)
            .unwrap()
            .replace("\"version\":4", "\"version\":5"),
    );
    let o = veto(&["policy", "diff", &old, &newer]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).ends_with("version: 4 -> 5, phones will take it\n"),
        "{}",
        stdout(&o)
    );
    let o = veto(&["policy", "diff", &newer, &old]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).ends_with("version 4 is lower than 5: phones refuse it from the policy feed as a rollback; publish it as version 6\n"), "{}", stdout(&o));
}

#[test]
fn completions_and_the_man_page_come_from_the_clap_definitions() {
    let o = veto(&["completions", "bash"]);
    assert_eq!(code(&o), 0);
    let script = stdout(&o);
    for word in [
        "audit",
        "policy",
        "export",
        "provision",
        "--inventory",
        "--strict",
    ] {
        assert!(script.contains(word), "bash completion lacks {word}");
    }
    // The script is valid bash.
    let check = Command::new("bash")
        .args(["-n", "-c", &script])
        .output()
        .expect("bash runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let o = veto(&["completions", shell]);
        assert_eq!(code(&o), 0, "{shell}");
        assert!(stdout(&o).contains("veto"), "{shell}");
    }
    let o = veto(&["man"]);
    assert_eq!(code(&o), 0);
    let page = stdout(&o);
    assert!(page.starts_with(".ie"), "{page}");
    assert!(page.contains(".TH veto 1"), "{page}");
    for section in [
        "VETO AUDIT",
        "VETO POLICY INIT",
        "VETO POLICY CHECK",
        "VETO POLICY SIGN",
        "VETO POLICY DIFF",
        "VETO POLICY EXPORT",
        "VETO POLICY VERIFY",
        "VETO EXPLAIN",
        "VETO CATALOG LIST",
        "VETO KEY PUBLIC",
        "VETO KEYGEN",
        "VETO PROVISION QR",
    ] {
        assert!(
            page.contains(&format!(".SH \"{section}\"\n")),
            "man page lacks {section}"
        );
    }
    assert!(page.contains("\\-\\-strict"), "options are listed");
    assert!(page.is_ascii(), "plain ASCII roff renders everywhere");
}
