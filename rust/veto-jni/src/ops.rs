//! What the entry points do, as plain Rust on strings and paths (no JNI), so that it can be
//! tested without a JVM: parse, choose the policy, evaluate, keep the state.

use std::path::Path;

use veto_core::{
    engine, parse_managed_config, policy_from_config, Capabilities, Catalog, CompiledPolicy, Error,
    ErrorKind, Inventory, Outcomes, Policy, Result, Timestamp, Warning,
};
use veto_store::{load_or_quarantine, write_atomic, Loaded, StateStore};

/// The policy of the last managed configuration that parsed, kept in the state directory so
/// that a broken configuration never weakens enforcement.
pub const LAST_GOOD_POLICY_FILE: &str = "last-good-policy.json";

/// Warning code of a plan made while the managed configuration is invalid.
pub const BAD_MANAGED_CONFIG: &str = "bad_managed_config";

/// Warning code of a plan made while the saved last good policy was unreadable.
pub const BAD_LAST_GOOD_POLICY: &str = "bad_last_good_policy";

/// `VetoNative.evaluate`: returns the plan JSON and updates the state in `state_dir`.
pub fn evaluate(
    inventory_json: &str,
    managed_config_json: &str,
    capabilities_json: &str,
    state_dir: &Path,
    now: Timestamp,
) -> Result<String> {
    let inventory = Inventory::from_json(inventory_json)?;
    let capabilities = Capabilities::from_json(capabilities_json)?;
    ensure_dir(state_dir)?;
    let (policy, mut warnings) = choose_policy(managed_config_json, state_dir)?;
    let store = StateStore::new(state_dir);
    let (mut state, state_warnings) = store.load()?;
    warnings.extend(state_warnings);

    let policy = CompiledPolicy::new(policy);
    let mut plan = engine::evaluate(&inventory, &policy, &state, &capabilities, now);
    plan.warnings.extend(warnings);
    state.note_plan(&plan, &inventory, now);
    store.save(&state)?;
    Ok(plan.to_json())
}

/// `VetoNative.record`: stores the executor's outcomes; returns `{"recorded": N, "warnings": [...]}`.
pub fn record(outcomes_json: &str, state_dir: &Path, now: Timestamp) -> Result<String> {
    let outcomes = Outcomes::from_json(outcomes_json)?;
    ensure_dir(state_dir)?;
    let store = StateStore::new(state_dir);
    let (mut state, warnings) = store.load()?;
    state.record(&outcomes, now);
    store.save(&state)?;
    let summary = serde_json::json!({
        "recorded": outcomes.outcomes.len(),
        "warnings": warnings,
    });
    Ok(summary.to_string())
}

/// `VetoNative.version`: the library's version and the built-in catalog's.
pub fn version() -> String {
    let catalog = Catalog::builtin();
    serde_json::json!({
        "veto": env!("CARGO_PKG_VERSION"),
        "catalog": {"version": catalog.version, "entries": catalog.entry_count()},
    })
    .to_string()
}

/// The policy to enforce, and warnings for the plan.
///
/// A valid managed configuration gives the policy and is remembered as the last good one. An
/// invalid one is reported as a `bad_managed_config` warning and the last good policy (or,
/// without one, the built-in policy) is enforced instead: a typo in the EMM console must not
/// switch enforcement off.
pub fn choose_policy(
    managed_config_json: &str,
    state_dir: &Path,
) -> Result<(Policy, Vec<Warning>)> {
    let last_good = state_dir.join(LAST_GOOD_POLICY_FILE);
    match parse_managed_config(managed_config_json).and_then(|config| policy_from_config(&config)) {
        Ok((policy, warnings)) => {
            remember_policy(&last_good, &policy)?;
            Ok((policy, warnings))
        }
        Err(problem) => Ok(fallback_policy(&problem, &last_good)),
    }
}

/// Writes `policy` to `path` unless the file already holds exactly that policy (no needless
/// flash writes on every evaluation).
fn remember_policy(path: &Path, policy: &Policy) -> Result<()> {
    let json = policy.to_json();
    if std::fs::read_to_string(path).is_ok_and(|saved| saved == json) {
        return Ok(());
    }
    write_atomic(path, json.as_bytes())
}

/// The policy enforced while the managed configuration is invalid, with the warnings that say so.
fn fallback_policy(problem: &Error, last_good: &Path) -> (Policy, Vec<Warning>) {
    let mut warnings = Vec::new();
    let (policy, enforcing) = match load_or_quarantine(last_good, Policy::from_json) {
        Ok(Loaded::Found(policy)) => {
            let enforcing = format!(
                "the last good policy (version {}, {})",
                policy.version,
                last_good.display()
            );
            (policy, enforcing)
        }
        Ok(Loaded::Missing) => (Policy::builtin(), "the built-in policy".to_owned()),
        Ok(Loaded::Quarantined { moved_to, problem }) => {
            warnings.push(Warning::new(
                BAD_LAST_GOOD_POLICY,
                format!(
                    "the saved last good policy was unreadable ({problem}); moved to {}",
                    moved_to.display()
                ),
            ));
            (Policy::builtin(), "the built-in policy".to_owned())
        }
        Err(error) => {
            warnings.push(Warning::new(
                BAD_LAST_GOOD_POLICY,
                format!("the saved last good policy could not be read ({error})"),
            ));
            (Policy::builtin(), "the built-in policy".to_owned())
        }
    };
    warnings.insert(
        0,
        Warning::new(
            BAD_MANAGED_CONFIG,
            format!("{problem}; enforcing {enforcing} until the managed configuration is fixed"),
        ),
    );
    (policy, warnings)
}

/// Creates the state directory on first use (the shell passes its files dir + a subdirectory).
fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|error| {
        Error::new(
            ErrorKind::Io,
            format!(
                "state directory {}: cannot create it: {error}",
                dir.display()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let (policy, warnings) = choose_policy(&config, dir.path()).unwrap();
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
        let (policy, warnings) =
            choose_policy(r#"{"grace_period_days": "soon"}"#, dir.path()).unwrap();
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
        let (good, _) =
            choose_policy(&format!(r#"{{"denied_packages": "{GAME}"}}"#), dir.path()).unwrap();
        let (policy, warnings) = choose_policy("{not json", dir.path()).unwrap();
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
        let (policy, warnings) = choose_policy(r#"{"denied_packages": 17}"#, dir.path()).unwrap();
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
        let summary =
            plan(&record(&outcomes, &state_dir, Timestamp::from_millis(NOW + 1)).unwrap());
        assert_eq!(
            summary["recorded"],
            first["actions"].as_array().unwrap().len()
        );

        let second = plan(&evaluate(&inventory, "{}", PROFILE_OWNER, &state_dir, now).unwrap());
        assert_eq!(second["actions"], serde_json::json!([]), "{second:#}");
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
        let version = plan(&version());
        assert_eq!(version["veto"], env!("CARGO_PKG_VERSION"));
        assert!(
            version["catalog"]["entries"].as_u64().unwrap() > 0,
            "{version}"
        );
        assert!(version["catalog"]["version"].is_u64(), "{version}");
    }
}
