//! The device run end to end through the state directory, as the shell drives it through
//! libveto.so: policy choice (managed configuration, signed feed, last good policy), evaluate
//! and record with the state and write-ahead, the kept plan and the report queue, sync and
//! flush without a network. (Moved from veto-jni's `ops.rs` with the code.)

// Test code: a failed unwrap is a failed test; the tests write fixtures and damage files on
// purpose, which veto_store::write_atomic would not show any better.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::path::Path;

use common::{evaluate, flush_reports, record, sync_policy};
use veto_agent::choice::{choose_policy, Choice, LAST_GOOD_POLICY_FILE};
use veto_agent::reporting::PENDING_REPORT_FILE;
use veto_agent::testing::store_feed_policy_for_test;
use veto_agent::version;
use veto_core::codes::{
    BAD_FEED_STATE, BAD_LAST_GOOD_POLICY, BAD_MANAGED_CONFIG, BAD_NETWORK_SETTINGS, FEED_PENDING,
    REPORT_NOT_QUEUED,
};
use veto_core::{Error, ErrorKind, Policy, Result, Timestamp, Warning};
use veto_net::Net;

const TIKTOK: &str = "com.zhiliaoapp.musically";
const GAME: &str = "com.example.timewaster";
const TIKTOK_SIGNER: &str =
    "90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA";
const PROFILE_OWNER: &str = r#"{"role": "profile_owner", "self_package": "app.veto"}"#;
const NOW: i64 = 1_795_000_000_000;

fn inventory(packages: &[&str]) -> String {
    let packages: Vec<_> = packages
        .iter()
        .map(|p| serde_json::json!({"package": p}))
        .collect();
    serde_json::json!({"profile": "work", "packages": packages}).to_string()
}

fn plan(json: &str) -> serde_json::Value {
    serde_json::from_str(json).expect("the plan is JSON")
}

fn actions_for<'a>(plan: &'a serde_json::Value, package: &str) -> Vec<&'a serde_json::Value> {
    plan["actions"]
        .as_array()
        .expect("actions is an array")
        .iter()
        .filter(|action| action["package"] == package)
        .collect()
}

fn warning_codes(warnings: &[Warning]) -> Vec<&str> {
    warnings
        .iter()
        .map(|warning| warning.code.as_str())
        .collect()
}

#[test]
fn a_valid_configuration_is_used_and_remembered() {
    let dir = tempfile::tempdir().unwrap();
    // Every kind of managed rule, so that the saved file is known to read back for each.
    let config = serde_json::json!({
        "denied_packages": format!("{GAME}, com.ss.android.ugc.*"),
        "denied_signers": TIKTOK_SIGNER,
        "denied_installers": "com.example.sideloader",
        "allowed_packages": "com.example.allowed.*",
        "protected_packages": "com.example.emm",
    })
    .to_string();
    let Choice {
        policy, warnings, ..
    } = choose_policy(&config, dir.path()).unwrap();
    assert!(warning_codes(&warnings).is_empty(), "{warnings:?}");
    let saved = std::fs::read_to_string(dir.path().join(LAST_GOOD_POLICY_FILE)).unwrap();
    assert_eq!(saved, policy.to_json());
    let read_back = Policy::from_json(&saved).expect("the saved policy reads back");
    assert_eq!(read_back, policy);
    assert_ne!(
        saved,
        Policy::builtin().to_json(),
        "the test needs a non-default policy"
    );
}

#[test]
fn a_bad_configuration_without_a_last_good_one_falls_back_to_the_builtin_policy() {
    let dir = tempfile::tempdir().unwrap();
    let Choice {
        policy, warnings, ..
    } = choose_policy(r#"{"grace_period_days": "soon"}"#, dir.path()).unwrap();
    assert_eq!(policy.to_json(), Policy::builtin().to_json());
    assert_eq!(warning_codes(&warnings), [BAD_MANAGED_CONFIG]);
    assert!(
        warnings[0].message.contains("grace_period_days"),
        "{}",
        warnings[0].message
    );
    assert!(
        warnings[0].message.contains("the built-in policy"),
        "{}",
        warnings[0].message
    );
    assert!(
        !dir.path().join(LAST_GOOD_POLICY_FILE).exists(),
        "a bad configuration is never saved"
    );
}

#[test]
fn a_bad_configuration_keeps_the_last_good_policy() {
    let dir = tempfile::tempdir().unwrap();
    let Choice { policy: good, .. } =
        choose_policy(&format!(r#"{{"denied_packages": "{GAME}"}}"#), dir.path()).unwrap();
    let Choice {
        policy, warnings, ..
    } = choose_policy("{not json", dir.path()).unwrap();
    assert_eq!(policy.to_json(), good.to_json());
    assert_eq!(warning_codes(&warnings), [BAD_MANAGED_CONFIG]);
    assert!(
        warnings[0].message.contains("the last good policy"),
        "{}",
        warnings[0].message
    );
    assert!(
        warnings[0].message.contains("managed configuration"),
        "{}",
        warnings[0].message
    );
}

#[test]
fn an_unreadable_last_good_policy_is_quarantined_and_the_builtin_one_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(LAST_GOOD_POLICY_FILE), "{ torn write").unwrap();
    let Choice {
        policy, warnings, ..
    } = choose_policy(r#"{"denied_packages": 17}"#, dir.path()).unwrap();
    assert_eq!(policy.to_json(), Policy::builtin().to_json());
    assert_eq!(
        warning_codes(&warnings),
        [BAD_MANAGED_CONFIG, BAD_LAST_GOOD_POLICY]
    );
    assert!(
        warnings[1].message.contains("moved to"),
        "{}",
        warnings[1].message
    );
    assert!(
        !dir.path().join(LAST_GOOD_POLICY_FILE).exists(),
        "the bad file was moved away"
    );
}

#[test]
fn evaluate_record_evaluate_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("state");
    let inventory = inventory(&[TIKTOK, "com.example.mail"]);
    let now = Timestamp::from_millis(NOW);
    let first = plan(&evaluate(&inventory, "{}", PROFILE_OWNER, &state_dir, now).unwrap());
    let actions = actions_for(&first, TIKTOK);
    assert!(!actions.is_empty(), "{first:#}");
    assert!(
        actions_for(&first, "com.example.mail").is_empty(),
        "{first:#}"
    );

    let outcomes: Vec<_> = first["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| serde_json::json!({"package": a["package"], "action": a["action"], "result": "done"}))
        .collect();
    let outcomes = serde_json::json!({ "outcomes": outcomes }).to_string();
    let summary = plan(&record(&outcomes, &state_dir, Timestamp::from_millis(NOW + 1)).unwrap());
    assert_eq!(
        summary["recorded"],
        first["actions"].as_array().unwrap().len()
    );

    let second = plan(&evaluate(&inventory, "{}", PROFILE_OWNER, &state_dir, now).unwrap());
    assert_eq!(second["actions"], serde_json::json!([]), "{second:#}");
}

const SUSPEND_NOW: &str = r#"{"enforcement_action": "suspend", "grace_period_days": 0}"#;

fn tiktok_scan(suspended: bool) -> String {
    serde_json::json!({"packages": [{"package": TIKTOK, "suspended": suspended}]}).to_string()
}

fn state_json(state_dir: &Path) -> serde_json::Value {
    plan(&std::fs::read_to_string(state_dir.join("state.json")).unwrap())
}

#[test]
fn write_ahead_a_death_after_the_dpm_call_is_recorded_as_vetos_own() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);
    let first = plan(
        &evaluate(
            &tiktok_scan(false),
            SUSPEND_NOW,
            PROFILE_OWNER,
            dir.path(),
            now,
        )
        .unwrap(),
    );
    assert_eq!(
        actions_for(&first, TIKTOK)[0]["action"],
        "suspend",
        "{first:#}"
    );
    // On disk before the plan reached the shell.
    let state = state_json(dir.path());
    assert!(
        state["packages"][TIKTOK]["pending"]["suspend"].is_object(),
        "{state:#}"
    );

    // The shell suspended TikTok and the process died before `record`.
    let later = Timestamp::from_millis(NOW + 600_000);
    let second = plan(
        &evaluate(
            &tiktok_scan(true),
            SUSPEND_NOW,
            PROFILE_OWNER,
            dir.path(),
            later,
        )
        .unwrap(),
    );
    assert!(actions_for(&second, TIKTOK).is_empty(), "{second:#}");
    let state = state_json(dir.path());
    assert_eq!(
        state["packages"][TIKTOK]["applied"]["suspend"]["result"], "done",
        "{state:#}"
    );
    assert!(
        state["packages"][TIKTOK].get("pending").is_none(),
        "{state:#}"
    );

    // The rule is lifted (TikTok allowed): Veto undoes its own suspension.
    let allowed = format!(r#"{{"allowed_packages": "{TIKTOK}"}}"#);
    let third = plan(
        &evaluate(
            &tiktok_scan(true),
            &allowed,
            PROFILE_OWNER,
            dir.path(),
            later,
        )
        .unwrap(),
    );
    assert_eq!(
        actions_for(&third, TIKTOK)[0]["action"],
        "unsuspend",
        "{third:#}"
    );
}

#[test]
fn write_ahead_a_death_before_the_dpm_call_plans_the_action_again() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);
    evaluate(
        &tiktok_scan(false),
        SUSPEND_NOW,
        PROFILE_OWNER,
        dir.path(),
        now,
    )
    .unwrap();
    let later = Timestamp::from_millis(NOW + 600_000);
    let second = plan(
        &evaluate(
            &tiktok_scan(false),
            SUSPEND_NOW,
            PROFILE_OWNER,
            dir.path(),
            later,
        )
        .unwrap(),
    );
    assert_eq!(
        actions_for(&second, TIKTOK)[0]["action"],
        "suspend",
        "{second:#}"
    );
    // Recorded this time: settled, and nothing more is planned.
    record(&all_done(&second, "done"), dir.path(), later).unwrap();
    let state = state_json(dir.path());
    assert!(
        state["packages"][TIKTOK].get("pending").is_none(),
        "{state:#}"
    );
    let third = plan(
        &evaluate(
            &tiktok_scan(true),
            SUSPEND_NOW,
            PROFILE_OWNER,
            dir.path(),
            later,
        )
        .unwrap(),
    );
    assert!(third["actions"].as_array().unwrap().is_empty(), "{third:#}");
}

#[test]
fn write_ahead_an_old_state_file_without_pending_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("state.json"),
        format!(
            r#"{{"version": 1, "packages": {{"{TIKTOK}": {{"first_seen": "2026-11-01T09:00:00Z",
                "last_seen": "2026-11-02T09:00:00Z",
                "applied": {{"warn": {{"result": "done", "at": "2026-11-01T09:00:00Z"}}}}}}}}}}"#
        ),
    )
    .unwrap();
    let plan = plan(
        &evaluate(
            &tiktok_scan(false),
            "{}",
            PROFILE_OWNER,
            dir.path(),
            Timestamp::from_millis(NOW),
        )
        .unwrap(),
    );
    assert!(codes(&plan).is_empty(), "read, not quarantined: {plan:#}");
    assert_eq!(
        plan["findings"][0]["first_seen"], "2026-11-01T09:00:00Z",
        "{plan:#}"
    );
}

#[test]
fn write_ahead_a_delegate_does_not_claim_what_the_emm_suspended_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let delegate = r#"{"role": "delegate", "delegated_scopes": ["delegation-package-access"]}"#;
    let now = Timestamp::from_millis(NOW);
    evaluate(&tiktok_scan(false), SUSPEND_NOW, delegate, dir.path(), now).unwrap();
    // Died before the DPM call; meanwhile the EMM suspended TikTok itself.
    let later = Timestamp::from_millis(NOW + 600_000);
    let second =
        plan(&evaluate(&tiktok_scan(true), SUSPEND_NOW, delegate, dir.path(), later).unwrap());
    assert_eq!(
        codes(&second),
        [veto_core::state::PENDING_UNATTRIBUTED],
        "{second:#}"
    );
    let allowed = format!(r#"{{"allowed_packages": "{TIKTOK}"}}"#);
    let third = plan(&evaluate(&tiktok_scan(true), &allowed, delegate, dir.path(), later).unwrap());
    assert!(
        third["actions"].as_array().unwrap().is_empty(),
        "the EMM's suspension stays: {third:#}"
    );
}

#[test]
fn bad_documents_are_errors_of_their_kind_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("state");
    let now = Timestamp::from_millis(NOW);
    let error = evaluate(
        r#"{"packages": [{}]}"#,
        "{}",
        PROFILE_OWNER,
        &state_dir,
        now,
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadInventory);
    assert!(error.message().contains("packages[0]"), "{error}");
    let error = evaluate(&inventory(&[TIKTOK]), "{}", "[]", &state_dir, now).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadCapabilities);
    let error = record(r#"{"outcomes": 3}"#, &state_dir, now).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadOutcomes);
    assert!(!state_dir.exists(), "nothing is written for bad input");
}

#[test]
fn a_bad_configuration_still_enforces_and_the_plan_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);
    let json = evaluate(
        &inventory(&[TIKTOK]),
        "[1, 2]",
        PROFILE_OWNER,
        dir.path(),
        now,
    )
    .unwrap();
    let plan = plan(&json);
    assert!(!actions_for(&plan, TIKTOK).is_empty(), "{plan:#}");
    let codes: Vec<_> = plan["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["code"])
        .collect();
    assert!(
        codes.contains(&&serde_json::json!(BAD_MANAGED_CONFIG)),
        "{plan:#}"
    );
}

#[test]
fn version_reports_the_crate_and_the_catalog() {
    let version = plan(&version().to_json());
    assert_eq!(version["veto"], env!("CARGO_PKG_VERSION"));
    assert!(
        version["catalog"]["entries"].as_u64().unwrap() > 0,
        "{version}"
    );
    assert!(version["catalog"]["version"].is_u64(), "{version}");
}

const FEED_POLICY: &str = r#"{"version": 5, "use_builtin_catalog": false,
    "rules": [{"id": "feed-game", "package": "com.example.timewaster", "reason": "Barred by the feed"}]}"#;

fn feed_config(public_key: &str, extra: serde_json::Value) -> String {
    let mut config = serde_json::json!({
        "policy_url": "https://feed.example/policy.json",
        "policy_public_key": public_key,
    });
    for (key, value) in extra.as_object().unwrap() {
        config[key] = value.clone();
    }
    config.to_string()
}

fn codes(plan: &serde_json::Value) -> Vec<String> {
    plan["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_string())
        .collect()
}

fn finding_packages(plan: &serde_json::Value) -> Vec<&str> {
    plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["package"].as_str().unwrap())
        .collect()
}

fn queued_reports(state_dir: &Path) -> Vec<serde_json::Value> {
    veto_net::queue::ReportQueue::new(state_dir)
        .entries()
        .unwrap()
        .iter()
        .map(|entry| serde_json::from_str(&entry.body).unwrap())
        .collect()
}

fn all_done(plan: &serde_json::Value, result: &str) -> String {
    let outcomes: Vec<_> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| serde_json::json!({"package": a["package"], "action": a["action"], "result": result, "detail": "test"}))
        .collect();
    serde_json::json!({ "outcomes": outcomes }).to_string()
}

#[test]
fn the_feed_policy_is_the_base_and_flat_keys_add_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);
    let key = store_feed_policy_for_test(dir.path(), FEED_POLICY, now).unwrap();
    let config = feed_config(
        &key,
        serde_json::json!({"denied_packages": "com.example.extra", "use_builtin_catalog": true,
            "policy_json": r#"{"version": 99, "rules": []}"#}),
    );
    let inventory = inventory(&[GAME, "com.example.extra", TIKTOK]);
    let plan = plan(&evaluate(&inventory, &config, PROFILE_OWNER, dir.path(), now).unwrap());
    assert_eq!(plan["policy"]["version"], 5, "{plan:#}");
    assert_eq!(
        finding_packages(&plan),
        ["com.example.extra", GAME],
        "the feed turned the built-in catalog off (no TikTok); the flat key added a rule"
    );
    assert_eq!(
        codes(&plan),
        [veto_core::config::POLICY_JSON_IGNORED],
        "{plan:#}"
    );
}

#[test]
fn before_the_feed_delivers_the_configuration_policy_applies_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);
    let config = feed_config("ignored-until-sync", serde_json::json!({}));
    let plan = plan(
        &evaluate(
            &inventory(&[TIKTOK]),
            &config,
            PROFILE_OWNER,
            dir.path(),
            now,
        )
        .unwrap(),
    );
    assert_eq!(
        finding_packages(&plan),
        [TIKTOK],
        "the built-in policy applies"
    );
    assert_eq!(codes(&plan), [FEED_PENDING]);
    let message = plan["warnings"][0]["message"].as_str().unwrap();
    assert!(message.contains("has not delivered"), "{message}");
}

#[test]
fn a_damaged_feed_file_is_moved_aside_and_the_policy_in_force_kept() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);
    let key = store_feed_policy_for_test(dir.path(), FEED_POLICY, now).unwrap();
    let config = feed_config(&key, serde_json::json!({}));
    let inv = inventory(&[TIKTOK, GAME]);
    // The feed's policy is in force ...
    let first = plan(&evaluate(&inv, &config, PROFILE_OWNER, dir.path(), now).unwrap());
    assert_eq!(finding_packages(&first), [GAME]);
    // ... when its stored copy is damaged.
    let path = dir.path().join(veto_net::feed::LAST_GOOD_FILE);
    let damaged = std::fs::read_to_string(&path)
        .unwrap()
        .replace("timewaster", "timewasted");
    std::fs::write(&path, damaged).unwrap();
    let after = plan(&evaluate(&inv, &config, PROFILE_OWNER, dir.path(), now).unwrap());
    assert_eq!(codes(&after), [BAD_FEED_STATE], "{after:#}");
    let message = after["warnings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("enforcing the last good policy (version 5")
            && message.ends_with("until a sync stores a verified policy again"),
        "{message}"
    );
    assert_eq!(
        finding_packages(&after),
        [GAME],
        "the feed's policy stays in force, not the weaker built-in one"
    );
    assert!(!path.exists(), "the damaged file was moved aside");
    // Without any policy in force before, the built-in policy applies.
    let fresh = tempfile::tempdir().unwrap();
    let key = store_feed_policy_for_test(fresh.path(), FEED_POLICY, now).unwrap();
    let path = fresh.path().join(veto_net::feed::LAST_GOOD_FILE);
    std::fs::write(&path, b"{").unwrap();
    let config = feed_config(&key, serde_json::json!({}));
    let plan = plan(&evaluate(&inv, &config, PROFILE_OWNER, fresh.path(), now).unwrap());
    assert_eq!(codes(&plan), [BAD_FEED_STATE], "{plan:#}");
    assert_eq!(
        finding_packages(&plan),
        [TIKTOK],
        "the built-in policy applies"
    );
}

#[test]
fn without_policy_url_a_stored_feed_policy_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);
    store_feed_policy_for_test(dir.path(), FEED_POLICY, now).unwrap();
    let plan = plan(
        &evaluate(
            &inventory(&[TIKTOK, GAME]),
            "{}",
            PROFILE_OWNER,
            dir.path(),
            now,
        )
        .unwrap(),
    );
    assert_eq!(finding_packages(&plan), [TIKTOK]);
    assert!(codes(&plan).is_empty(), "{plan:#}");
}

#[test]
fn bad_network_settings_warn_and_the_policy_still_applies() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        serde_json::json!({"report_url": "http://reports.example", "denied_packages": GAME})
            .to_string();
    let plan = plan(
        &evaluate(
            &inventory(&[GAME]),
            &config,
            PROFILE_OWNER,
            dir.path(),
            Timestamp::from_millis(NOW),
        )
        .unwrap(),
    );
    assert_eq!(finding_packages(&plan), [GAME]);
    assert_eq!(codes(&plan), [BAD_NETWORK_SETTINGS]);
    let message = plan["warnings"][0]["message"].as_str().unwrap();
    assert!(message.contains("report_url"), "{message}");
    assert!(!dir.path().join(PENDING_REPORT_FILE).exists());
}

#[test]
fn evaluate_returns_keyed_states_and_the_plan_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let json = evaluate(
        &inventory(&[TIKTOK]),
        "{}",
        PROFILE_OWNER,
        dir.path(),
        Timestamp::from_millis(NOW),
    )
    .unwrap();
    let plan = plan(&json);
    let states = plan["keyed_states"]
        .as_array()
        .expect("keyed_states is an array");
    assert_eq!(states[0]["key"], "compliance");
    assert_eq!(states[0]["severity"], "ERROR");
    assert!(
        states
            .iter()
            .any(|s| s["key"] == format!("finding:{TIKTOK}")),
        "{states:?}"
    );
    assert!(
        states.iter().all(|s| s["key"] != "policy_feed"),
        "no feed configured"
    );
    let read = veto_core::Plan::from_json(&json).expect("the extra field is ignored");
    assert_eq!(read.findings[0].package, TIKTOK);
}

#[test]
fn a_feed_adds_the_policy_feed_state() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);
    let key = store_feed_policy_for_test(dir.path(), FEED_POLICY, now).unwrap();
    let plan = plan(
        &evaluate(
            &inventory(&[GAME]),
            &feed_config(&key, serde_json::json!({})),
            PROFILE_OWNER,
            dir.path(),
            now,
        )
        .unwrap(),
    );
    let feed = plan["keyed_states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "policy_feed")
        .cloned()
        .expect("policy_feed state");
    assert_eq!(feed["severity"], "INFO", "{feed}");
    assert!(
        feed["message"].as_str().unwrap().contains("version 5"),
        "{feed}"
    );
}

#[test]
fn record_queues_the_report_of_the_kept_plan_with_the_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);
    let config = serde_json::json!({"report_url": "https://reports.example/in", "device_id": "amsterdam-0042"}).to_string();
    let first = plan(
        &evaluate(
            &inventory(&[TIKTOK, "com.example.mail"]),
            &config,
            PROFILE_OWNER,
            dir.path(),
            now,
        )
        .unwrap(),
    );
    let kept = dir.path().join(PENDING_REPORT_FILE);
    let kept_text = std::fs::read_to_string(&kept).unwrap();
    assert!(
        !kept_text.contains("com.example.mail"),
        "no inventory kept without report_inventory"
    );

    let summary = plan(
        &record(
            &all_done(&first, "done"),
            dir.path(),
            Timestamp::from_millis(NOW + 1),
        )
        .unwrap(),
    );
    assert!(summary["report"]["report_id"].is_string(), "{summary}");
    assert!(!kept.exists(), "the kept plan is used once");
    let reports = queued_reports(dir.path());
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report["device_id"], "amsterdam-0042");
    assert_eq!(report["findings"][0]["package"], TIKTOK);
    assert_eq!(report["findings"][0]["status"], "enforced", "{report:#}");
    assert_eq!(report["findings"][0]["action"], serde_json::Value::Null);
    assert!(report.get("inventory").is_none(), "{report:#}");

    // What the report says is what the next evaluation sees.
    let second = plan(
        &evaluate(
            &inventory(&[TIKTOK, "com.example.mail"]),
            &config,
            PROFILE_OWNER,
            dir.path(),
            Timestamp::from_millis(NOW + 2),
        )
        .unwrap(),
    );
    assert_eq!(
        second["findings"][0]["status"],
        report["findings"][0]["status"]
    );
    assert_eq!(
        second["findings"][0]["in_effect"],
        report["findings"][0]["in_effect"]
    );

    // A record without a kept plan queues nothing more.
    record(
        r#"{"outcomes": []}"#,
        dir.path(),
        Timestamp::from_millis(NOW + 3),
    )
    .unwrap();
    let summary = plan(
        &record(
            r#"{"outcomes": []}"#,
            dir.path(),
            Timestamp::from_millis(NOW + 4),
        )
        .unwrap(),
    );
    assert_eq!(summary["report"], serde_json::Value::Null);
    // The second run's picture equals the first one's: it is not queued again
    // (HEARTBEAT_MS), so one report in all.
    assert_eq!(queued_reports(dir.path()).len(), 1);
}

#[test]
fn failed_outcomes_are_reported_as_failed_like_the_next_evaluation_says() {
    let dir = tempfile::tempdir().unwrap();
    let config = serde_json::json!({"report_url": "https://reports.example/in"}).to_string();
    let inv = inventory(&[TIKTOK]);
    let first = plan(
        &evaluate(
            &inv,
            &config,
            PROFILE_OWNER,
            dir.path(),
            Timestamp::from_millis(NOW),
        )
        .unwrap(),
    );
    record(
        &all_done(&first, "failed"),
        dir.path(),
        Timestamp::from_millis(NOW + 1),
    )
    .unwrap();
    let report = queued_reports(dir.path()).remove(0);
    assert_eq!(report["findings"][0]["status"], "failed", "{report:#}");
    assert_eq!(report["counts"]["failed"], 1);
    let second = plan(
        &evaluate(
            &inv,
            &config,
            PROFILE_OWNER,
            dir.path(),
            Timestamp::from_millis(NOW + 2),
        )
        .unwrap(),
    );
    assert_eq!(second["findings"][0]["status"], "failed");
}

#[test]
fn report_inventory_puts_the_whole_inventory_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        serde_json::json!({"report_url": "https://reports.example/in", "report_inventory": true})
            .to_string();
    let first = plan(
        &evaluate(
            &inventory(&[TIKTOK, "com.example.mail"]),
            &config,
            PROFILE_OWNER,
            dir.path(),
            Timestamp::from_millis(NOW),
        )
        .unwrap(),
    );
    record(
        &all_done(&first, "done"),
        dir.path(),
        Timestamp::from_millis(NOW + 1),
    )
    .unwrap();
    let report = queued_reports(dir.path()).remove(0);
    let packages: Vec<&str> = report["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["package"].as_str().unwrap())
        .collect();
    assert_eq!(packages, [TIKTOK, "com.example.mail"]);
}

#[test]
fn without_report_url_nothing_is_kept_or_queued() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(PENDING_REPORT_FILE), "{}").unwrap();
    let first = plan(
        &evaluate(
            &inventory(&[TIKTOK]),
            "{}",
            PROFILE_OWNER,
            dir.path(),
            Timestamp::from_millis(NOW),
        )
        .unwrap(),
    );
    assert!(
        !dir.path().join(PENDING_REPORT_FILE).exists(),
        "a stale kept plan is removed"
    );
    let summary = plan(
        &record(
            &all_done(&first, "done"),
            dir.path(),
            Timestamp::from_millis(NOW + 1),
        )
        .unwrap(),
    );
    assert_eq!(summary["report"], serde_json::Value::Null);
    assert!(queued_reports(dir.path()).is_empty());
}

#[test]
fn an_unreadable_kept_plan_is_a_warning_and_the_outcomes_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let config = serde_json::json!({"report_url": "https://reports.example/in"}).to_string();
    let first = plan(
        &evaluate(
            &inventory(&[TIKTOK]),
            &config,
            PROFILE_OWNER,
            dir.path(),
            Timestamp::from_millis(NOW),
        )
        .unwrap(),
    );
    std::fs::write(dir.path().join(PENDING_REPORT_FILE), "{ torn").unwrap();
    let summary = plan(
        &record(
            &all_done(&first, "done"),
            dir.path(),
            Timestamp::from_millis(NOW + 1),
        )
        .unwrap(),
    );
    assert_eq!(
        summary["recorded"],
        first["actions"].as_array().unwrap().len()
    );
    let warning = &summary["warnings"][0];
    assert_eq!(warning["code"], REPORT_NOT_QUEUED, "{summary}");
    assert!(
        warning["message"].as_str().unwrap().contains("moved to"),
        "{summary}"
    );
    let second = plan(
        &evaluate(
            &inventory(&[TIKTOK]),
            &config,
            PROFILE_OWNER,
            dir.path(),
            Timestamp::from_millis(NOW + 2),
        )
        .unwrap(),
    );
    assert_eq!(
        second["actions"],
        serde_json::json!([]),
        "the outcomes were recorded"
    );
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
    // Dropped here: nothing listens on the port any more.
}

fn test_net() -> Result<Net> {
    Ok(Net {
        connect_timeout: std::time::Duration::from_secs(2),
        timeout: std::time::Duration::from_secs(5),
        ..Net::new(veto_net::Tls::WebPki)
    })
}

#[test]
fn sync_without_policy_url_is_not_configured() {
    let dir = tempfile::tempdir().unwrap();
    let status =
        plan(&sync_policy("{}", dir.path(), Timestamp::from_millis(NOW), test_net).unwrap());
    assert_eq!(status["status"], "not_configured", "{status}");
    assert_eq!(status["error"], serde_json::Value::Null);
}

#[test]
fn sync_refuses_plain_http_as_a_bad_managed_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let config = r#"{"policy_url": "http://feed.example/policy.json", "policy_public_key": "x"}"#;
    let error = sync_policy(config, dir.path(), Timestamp::from_millis(NOW), test_net).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadManagedConfig);
    assert!(error.message().contains("policy_url"), "{error}");
    let error = flush_reports(
        r#"{"report_url": "http://x.example"}"#,
        dir.path(),
        Timestamp::from_millis(NOW),
        test_net,
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadManagedConfig);
    assert!(error.message().contains("report_url"), "{error}");
}

#[test]
fn a_failed_sync_is_a_status_and_keeps_the_last_good_policy() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);
    let key = store_feed_policy_for_test(dir.path(), FEED_POLICY, now).unwrap();
    let path = dir.path().join(veto_net::feed::LAST_GOOD_FILE);
    let before = std::fs::read(&path).unwrap();
    let mut config: serde_json::Value =
        serde_json::from_str(&feed_config(&key, serde_json::json!({}))).unwrap();
    config["policy_url"] = format!("https://127.0.0.1:{}/policy.json", closed_port()).into();
    let status = plan(&sync_policy(&config.to_string(), dir.path(), now, test_net).unwrap());
    assert_eq!(status["status"], "error", "{status}");
    assert_eq!(status["version"], 5, "{status}");
    assert_eq!(status["error"]["kind"], "feed", "{status}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the last good policy is untouched"
    );
    // The failure shows in the next plan's policy_feed state, and the feed policy still applies.
    let plan = plan(
        &evaluate(
            &inventory(&[GAME]),
            &config.to_string(),
            PROFILE_OWNER,
            dir.path(),
            now,
        )
        .unwrap(),
    );
    assert_eq!(plan["policy"]["version"], 5);
    let feed = plan["keyed_states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "policy_feed")
        .cloned()
        .unwrap();
    assert_eq!(feed["severity"], "ERROR", "{feed}");
}

#[test]
fn without_urls_no_transport_is_needed() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);
    let refuse = || -> Result<Net> { Err(Error::new(ErrorKind::Internal, "TLS is not set up")) };
    let status = plan(&sync_policy("{}", dir.path(), now, refuse).unwrap());
    assert_eq!(status["status"], "not_configured");
    let summary = plan(&flush_reports("{}", dir.path(), now, refuse).unwrap());
    assert_eq!(summary["sent"], 0);
    // With a URL the transport's problem is the caller's error.
    let config = r#"{"report_url": "https://reports.example/in"}"#;
    let error = flush_reports(config, dir.path(), now, refuse).unwrap_err();
    assert_eq!(error.message(), "TLS is not set up");
}

#[test]
fn flushing_an_empty_queue_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = r#"{"report_url": "https://reports.example/in"}"#;
    let summary =
        plan(&flush_reports(config, dir.path(), Timestamp::from_millis(NOW), test_net).unwrap());
    assert_eq!(summary["sent"], 0);
    assert_eq!(summary["remaining"], 0);
    assert_eq!(summary["error"], serde_json::Value::Null);
}
