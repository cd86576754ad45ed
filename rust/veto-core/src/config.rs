//! Managed configuration: the flat keys an EMM console sets, mapped into the policy.
//!
//! EMM consoles handle flat keys best (Intune's designer cannot edit bundles), so the
//! everyday settings are flat strings, booleans and integers, and one key, `policy_json`,
//! carries a whole policy document for everything else. `docs/managed-config.md`
//! documents every key; [`KEYS`] is the single list that the docs, the Android
//! `app_restrictions.xml` and the tests are checked against.
//!
//! Flat keys only ever add to or tighten the base policy, except `enforcement_action`,
//! which an administrator sets on purpose: a default value sent by a console never
//! weakens a policy document.

use crate::digest::CertDigest;
use crate::error::{Error, ErrorKind, Result};
use crate::plan::Warning;
use crate::policy::{Action, AllowEntry, Matcher, Mode, Policy, Rule, Step};
use serde_json::Value;
use std::collections::BTreeMap;

/// Restriction values by key, as the shell read them from `RestrictionsManager`.
pub type ManagedConfig = BTreeMap<String, Value>;

/// The type of a managed-configuration key (Android restriction types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// `bool`
    Bool,
    /// `string`
    String,
    /// `integer`
    Integer,
    /// `choice`
    Choice(&'static [&'static str]),
}

/// One managed-configuration key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The key.
    pub name: &'static str,
    /// Its type.
    pub kind: KeyType,
    /// Its default, as Android's restriction XML writes it.
    pub default: &'static str,
    /// What it does.
    pub doc: &'static str,
}

const ACTIONS: &[&str] = &["policy", "report", "warn", "suspend", "hide", "uninstall"];

/// Every key Veto understands.
pub const KEYS: &[Key] = &[
    Key { name: "policy_json", kind: KeyType::String, default: "", doc: "A whole policy document (docs/contract.md). Replaces the built-in policy as the base that the other keys add to." },
    Key { name: "use_builtin_catalog", kind: KeyType::Bool, default: "true", doc: "Apply the built-in TikTok / ByteDance catalog." },
    Key { name: "include_state_actor_catalog", kind: KeyType::Bool, default: "false", doc: "Also apply the opt-in catalog of apps that governments barred, from publishers in countries with offensive cyber programmes." },
    Key { name: "allowlist_mode", kind: KeyType::Bool, default: "false", doc: "Only approved apps (allowed_packages) may stay in the work profile." },
    Key { name: "denied_packages", kind: KeyType::String, default: "", doc: "Barred packages or patterns (com.ss.android.ugc.*), separated by commas or new lines." },
    Key { name: "denied_signers", kind: KeyType::String, default: "", doc: "SHA-256 digests of barred signing certificates, separated by commas or new lines." },
    Key { name: "denied_installers", kind: KeyType::String, default: "", doc: "Barred installer packages (apps installed by them are findings)." },
    Key { name: "allowed_packages", kind: KeyType::String, default: "", doc: "Exceptions to the denylist, or the approved apps in allowlist mode; patterns allowed." },
    Key { name: "protected_packages", kind: KeyType::String, default: "", doc: "Packages Veto never acts on, in addition to the built-in protected set." },
    Key { name: "enforcement_action", kind: KeyType::Choice(ACTIONS), default: "policy", doc: "The strongest action: report, warn, suspend, hide or uninstall. 'policy' keeps the policy's own ladder (warn, suspend after 14 days, uninstall after 42)." },
    Key { name: "grace_period_days", kind: KeyType::Integer, default: "42", doc: "Days between the first warning and enforcement_action (0 acts at once)." },
    Key { name: "act_on_system_packages", kind: KeyType::Bool, default: "false", doc: "Allow actions on system packages that a rule matches." },
    Key { name: "policy_url", kind: KeyType::String, default: "", doc: "HTTPS URL of the signed policy feed." },
    Key { name: "policy_public_key", kind: KeyType::String, default: "", doc: "Ed25519 public key (base64) that signs the policy feed." },
    Key { name: "report_url", kind: KeyType::String, default: "", doc: "HTTPS URL that receives compliance reports." },
    Key { name: "report_token", kind: KeyType::String, default: "", doc: "Bearer token sent with reports." },
    Key { name: "report_inventory", kind: KeyType::Bool, default: "false", doc: "Include the full work-profile inventory in reports (off: violations only)." },
    Key { name: "device_id", kind: KeyType::String, default: "", doc: "Device id in reports; empty: a random id per install." },
];

/// Settings that are not policy: where to fetch the feed and send reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    /// HTTPS URL of the signed policy feed.
    pub policy_url: Option<String>,
    /// The feed's Ed25519 public key, as configured.
    pub policy_public_key: Option<String>,
    /// HTTPS URL for reports.
    pub report_url: Option<String>,
    /// Bearer token for reports.
    pub report_token: Option<String>,
    /// Include the full inventory in reports.
    pub report_inventory: bool,
    /// Device id in reports.
    pub device_id: Option<String>,
}

fn bad(key: &str, why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::BadManagedConfig,
        format!("managed configuration: {key}: {why}"),
    )
}

/// Parses the shell's managed-configuration JSON: one object of key → value.
pub fn parse_managed_config(json: &str) -> Result<ManagedConfig> {
    let value: Value = serde_json::from_str(json).map_err(|e| {
        Error::new(
            ErrorKind::BadManagedConfig,
            format!("managed configuration: not valid JSON: {e}"),
        )
    })?;
    match value {
        Value::Object(map) => Ok(map.into_iter().collect()),
        other => Err(Error::new(
            ErrorKind::BadManagedConfig,
            format!(
                "managed configuration: expected a JSON object of key to value, found {}",
                kind_of(&other)
            ),
        )),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn get_bool(cfg: &ManagedConfig, key: &str) -> Result<Option<bool>> {
    match cfg.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        // Some consoles send every value as a string.
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(bad(key, format!("expected true or false, found {v}"))),
    }
}

fn get_int(cfg: &ManagedConfig, key: &str) -> Result<Option<i64>> {
    match cfg.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
        Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => Ok(s.trim().parse().ok()),
        Some(v) => Err(bad(key, format!("expected a whole number, found {v}"))),
    }
}

fn get_str<'a>(cfg: &'a ManagedConfig, key: &str) -> Result<Option<&'a str>> {
    match cfg.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim())),
        Some(v) => Err(bad(key, format!("expected a string, found {}", kind_of(v)))),
    }
}

/// The items of a list key: comma- or newline-separated text, or a multi-select list.
fn get_list(cfg: &ManagedConfig, key: &str) -> Result<Vec<String>> {
    let items: Vec<String> = match cfg.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split([',', '\n', ';']).map(str::to_string).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(bad(
                    key,
                    format!(
                        "item {}: expected a string, found {}",
                        i + 1,
                        kind_of(other)
                    ),
                )),
            })
            .collect::<Result<_>>()?,
        Some(v) => {
            return Err(bad(
                key,
                format!(
                    "expected text separated by commas or new lines, found {}",
                    kind_of(v)
                ),
            ))
        }
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

fn names(cfg: &ManagedConfig, key: &str) -> Result<Vec<Matcher>> {
    get_list(cfg, key)?
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Matcher::package_or_pattern(s).map_err(|e| bad(key, format!("item {}: {e}", i + 1)))
        })
        .collect()
}

const MANAGED_REASON: &str = "Barred by your organisation's policy";

/// Maps the managed configuration into a policy, with warnings for unknown keys.
pub fn policy_from_config(cfg: &ManagedConfig) -> Result<(Policy, Vec<Warning>)> {
    policy_from_config_with_base(cfg, None)
}

/// Warning code of a plan whose `policy_json` was ignored (defined in [`crate::codes`]).
pub use crate::codes::POLICY_JSON_IGNORED;

/// Like [`policy_from_config`], on top of `base` when one is given: the signed policy
/// feed's last good policy replaces `policy_json` (and the built-in policy) as the base, and
/// the flat keys add to or tighten it exactly as they do any policy document. A
/// `policy_json` that is set anyway is still checked (a broken one is an error, as without
/// a feed) and reported as ignored.
pub fn policy_from_config_with_base(
    cfg: &ManagedConfig,
    base: Option<Policy>,
) -> Result<(Policy, Vec<Warning>)> {
    let mut warnings = Vec::new();
    for key in cfg.keys() {
        if !KEYS.iter().any(|k| k.name == key) {
            let names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
            let hint = match crate::policy::closest(key, &names) {
                Some(c) => format!("; did you mean {c:?}?"),
                None => String::new(),
            };
            warnings.push(Warning::new(
                crate::codes::UNKNOWN_CONFIG_KEY,
                format!("managed configuration: {key}: not a key Veto knows; ignored{hint} (see docs/managed-config.md)"),
            ));
        }
    }
    let document = match get_str(cfg, "policy_json")? {
        Some(doc) => Some(Policy::from_json(doc).map_err(|e| bad("policy_json", e.message()))?),
        None => None,
    };
    let has_document = base.is_some() || document.is_some();
    let mut policy = match (base, document) {
        (Some(base), document) => {
            if document.is_some() {
                warnings.push(Warning::new(
                    POLICY_JSON_IGNORED,
                    format!(
                        "managed configuration: policy_json: ignored while the policy feed \
                         (policy_url) supplies the policy (version {})",
                        base.version
                    ),
                ));
            }
            base
        }
        (None, Some(document)) => document,
        (None, None) => Policy::builtin(),
    };
    if let Some(b) = get_bool(cfg, "use_builtin_catalog")? {
        // Consoles send every key with its default, so with a policy document (or the
        // feed's) the document decides; the key decides only for the built-in base.
        if !has_document {
            policy.use_builtin_catalog = b;
        }
    }
    if get_bool(cfg, "include_state_actor_catalog")? == Some(true)
        && !policy
            .include_catalogs
            .iter()
            .any(|c| c == "state-actor-countries")
    {
        policy.include_catalogs.push("state-actor-countries".into());
    }
    if get_bool(cfg, "allowlist_mode")? == Some(true) {
        policy.mode = Mode::Allowlist;
    }
    if get_bool(cfg, "act_on_system_packages")? == Some(true) {
        policy.act_on_system_packages = true;
    }
    let mut add_rule = |id: String, matcher: Matcher| {
        if !policy.rules.iter().any(|r| r.matcher == matcher) {
            policy.rules.push(Rule {
                id,
                matcher,
                reason: MANAGED_REASON.into(),
                source: Some("managed configuration".into()),
            });
        }
    };
    for m in names(cfg, "denied_packages")? {
        add_rule(format!("managed/{}", m.value()), m);
    }
    for (i, s) in get_list(cfg, "denied_signers")?.iter().enumerate() {
        let d = CertDigest::parse(s)
            .map_err(|e| bad("denied_signers", format!("item {}: {e}", i + 1)))?;
        add_rule(
            format!("managed/signer/{}", &d.to_string()[..16]),
            Matcher::Signer(d),
        );
    }
    for (i, s) in get_list(cfg, "denied_installers")?.iter().enumerate() {
        crate::inventory::check_package_name(s)
            .map_err(|e| bad("denied_installers", format!("item {}: {e}", i + 1)))?;
        add_rule(
            format!("managed/installer/{s}"),
            Matcher::Installer(s.clone()),
        );
    }
    for m in names(cfg, "allowed_packages")? {
        policy.allow.push(AllowEntry {
            matcher: m,
            reason: Some("managed configuration".into()),
        });
    }
    policy.protected.extend(names(cfg, "protected_packages")?);

    let grace = match get_int(cfg, "grace_period_days")? {
        None => 42,
        Some(d) if (0..=3650).contains(&d) => d as u32,
        Some(d) => {
            return Err(bad(
                "grace_period_days",
                format!("expected 0 to 3650 days, found {d}"),
            ))
        }
    };
    let ladder_from_policy = match cfg.get("enforcement_action") {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s == "policy" || s.is_empty(),
        Some(_) => false,
    };
    if ladder_from_policy && grace != 42 {
        warnings.push(Warning::new(
            crate::codes::IGNORED_CONFIG_KEY,
            format!(
                "managed configuration: grace_period_days: {grace} is ignored while enforcement_action is \"policy\" (or not set): the policy's own ladder applies; set enforcement_action to the strongest action (e.g. \"suspend\") for the grace period to count"
            ),
        ));
    }
    match cfg.get("enforcement_action") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == "policy" || s.is_empty() => {}
        Some(Value::String(s)) => {
            let action = Action::parse_enforcement(s).ok_or_else(|| {
                let hint = match crate::policy::closest(s, ACTIONS) {
                    Some(c) => format!("; did you mean {c:?}?"),
                    None => String::new(),
                };
                bad(
                    "enforcement_action",
                    format!("expected one of {}, found {s:?}{hint}", ACTIONS.join(", ")),
                )
            })?;
            policy.enforcement = if action <= Action::Warn || grace == 0 {
                vec![Step {
                    action,
                    after_days: 0,
                }]
            } else {
                vec![
                    Step {
                        action: Action::Warn,
                        after_days: 0,
                    },
                    Step {
                        action,
                        after_days: grace,
                    },
                ]
            };
        }
        Some(v) => {
            return Err(bad(
                "enforcement_action",
                format!("expected a string, found {}", kind_of(v)),
            ))
        }
    }
    Ok((policy, warnings))
}

/// Reads the non-policy settings.
pub fn settings_from_config(cfg: &ManagedConfig) -> Result<Settings> {
    let url = |key: &str| -> Result<Option<String>> {
        match get_str(cfg, key)? {
            None => Ok(None),
            Some(u) if u.starts_with("https://") && u.len() > "https://".len() => Ok(Some(u.to_string())),
            Some(u) => Err(bad(key, format!("expected an https:// URL, found {u:?}; Veto never fetches or reports over plain HTTP"))),
        }
    };
    Ok(Settings {
        policy_url: url("policy_url")?,
        policy_public_key: get_str(cfg, "policy_public_key")?.map(str::to_string),
        report_url: url("report_url")?,
        report_token: get_str(cfg, "report_token")?.map(str::to_string),
        report_inventory: get_bool(cfg, "report_inventory")?.unwrap_or(false),
        device_id: get_str(cfg, "device_id")?.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(json: &str) -> ManagedConfig {
        parse_managed_config(json).unwrap()
    }

    #[test]
    fn empty_config_is_the_builtin_policy() {
        let (p, w) = policy_from_config(&cfg("{}")).unwrap();
        assert_eq!(p, Policy::builtin());
        assert!(w.is_empty());
    }

    #[test]
    fn flat_keys_map_into_the_policy() {
        let (p, _) = policy_from_config(&cfg(r#"{
            "denied_packages": "com.example.bad, com.shady.*\ncom.other.app",
            "denied_signers": "90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA",
            "allowed_packages": ["com.shady.ok"],
            "protected_packages": "com.example.emm",
            "allowlist_mode": "true",
            "include_state_actor_catalog": true,
            "enforcement_action": "hide",
            "grace_period_days": "10"
        }"#)).unwrap();
        assert_eq!(p.rules.len(), 4);
        assert_eq!(p.rules[1].id, "managed/com.shady.*");
        assert_eq!(p.rules[3].id, "managed/signer/9041803e91bcb814");
        assert_eq!(p.mode, Mode::Allowlist);
        assert_eq!(p.allow.len(), 1);
        assert_eq!(p.protected.len(), 1);
        assert_eq!(p.include_catalogs, ["state-actor-countries"]);
        assert_eq!(
            p.enforcement,
            [
                Step {
                    action: Action::Warn,
                    after_days: 0
                },
                Step {
                    action: Action::Hide,
                    after_days: 10
                }
            ]
        );
    }

    /// The shell stores the policy a configuration produced and reads it back when a later
    /// configuration is bad: every generated rule must survive that round trip.
    #[test]
    fn generated_policies_read_back_unchanged() {
        let long = format!("com.{}", "a".repeat(250));
        let json = serde_json::json!({
            "denied_packages": format!("com.shady.*, {long}, *tiktok*"),
            "denied_signers": "90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA",
            "denied_installers": "com.shady.store",
            "allowed_packages": "com.ok.*",
            "protected_packages": "com.emm",
            "enforcement_action": "hide",
        });
        let (p, _) = policy_from_config(&cfg(&json.to_string())).unwrap();
        assert_eq!(p.rules.len(), 5);
        assert_eq!(Policy::from_json(&p.to_json()).unwrap(), p);
    }

    #[test]
    fn grace_zero_acts_at_once_and_report_is_report_only() {
        let (p, _) = policy_from_config(&cfg(
            r#"{"enforcement_action":"suspend","grace_period_days":0}"#,
        ))
        .unwrap();
        assert_eq!(
            p.enforcement,
            [Step {
                action: Action::Suspend,
                after_days: 0
            }]
        );
        let (p, _) = policy_from_config(&cfg(r#"{"enforcement_action":"report"}"#)).unwrap();
        assert!(p.is_report_only());
    }

    #[test]
    fn console_defaults_never_weaken_a_policy_document() {
        let doc = r#"{"version":3,"mode":"allowlist","use_builtin_catalog":false,"allow":["a.b"]}"#;
        let json = serde_json::json!({"policy_json": doc, "allowlist_mode": false, "use_builtin_catalog": true, "enforcement_action": "policy"});
        let (p, _) = policy_from_config(&cfg(&json.to_string())).unwrap();
        assert_eq!(p.mode, Mode::Allowlist);
        assert_eq!(p.version, 3);
        assert!(!p.use_builtin_catalog);
    }

    #[test]
    fn a_feed_base_replaces_policy_json_and_flat_keys_still_add_to_it() {
        let base = Policy::from_json(
            r#"{"version":9,"use_builtin_catalog":false,"rules":[{"id":"feed-game","package":"com.example.game","reason":"feed"}]}"#,
        )
        .unwrap();
        let json = serde_json::json!({
            "policy_json": r#"{"version":3,"rules":[]}"#,
            "use_builtin_catalog": true,
            "denied_packages": "com.example.extra",
            "allowlist_mode": false,
        });
        let (p, w) =
            policy_from_config_with_base(&cfg(&json.to_string()), Some(base.clone())).unwrap();
        assert_eq!(p.version, 9, "the feed's version, not policy_json's");
        assert!(
            !p.use_builtin_catalog,
            "a console default never overrides the feed's document"
        );
        let ids: Vec<&str> = p.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["feed-game", "managed/com.example.extra"]);
        assert_eq!(p.mode, Mode::Denylist);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].code, POLICY_JSON_IGNORED);
        assert!(w[0].message.contains("version 9"), "{}", w[0].message);

        // Without policy_json there is nothing to warn about; without a base nothing changes.
        let (p, w) =
            policy_from_config_with_base(&cfg(r#"{"enforcement_action":"hide"}"#), Some(base))
                .unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(p.enforcement.last().map(|s| s.action), Some(Action::Hide));
        assert_eq!(
            policy_from_config_with_base(&cfg(r#"{"denied_packages":"a.b"}"#), None).unwrap(),
            policy_from_config(&cfg(r#"{"denied_packages":"a.b"}"#)).unwrap()
        );
        // A broken policy_json is still an error, feed or not.
        let err = policy_from_config_with_base(
            &cfg(r#"{"policy_json":"{\"version\":\"x\"}"}"#),
            Some(Policy::builtin()),
        )
        .unwrap_err();
        assert!(
            err.message()
                .starts_with("managed configuration: policy_json:"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_warn() {
        let (_, w) = policy_from_config(&cfg(r#"{"colour":"red"}"#)).unwrap();
        assert_eq!(w[0].code, "unknown_config_key");
        assert_eq!(w[0].message, "managed configuration: colour: not a key Veto knows; ignored (see docs/managed-config.md)");
        let (_, w) = policy_from_config(&cfg(r#"{"enforcment_action":"hide"}"#)).unwrap();
        assert_eq!(w[0].message, "managed configuration: enforcment_action: not a key Veto knows; ignored; did you mean \"enforcement_action\"? (see docs/managed-config.md)");
    }

    #[test]
    fn a_grace_period_without_an_action_is_named_as_ignored() {
        let (p, w) = policy_from_config(&cfg(r#"{"grace_period_days":10}"#)).unwrap();
        assert_eq!(p.enforcement, Policy::builtin().enforcement);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].code, "ignored_config_key");
        assert_eq!(w[0].message, "managed configuration: grace_period_days: 10 is ignored while enforcement_action is \"policy\" (or not set): the policy's own ladder applies; set enforcement_action to the strongest action (e.g. \"suspend\") for the grace period to count");
        // The console default (42) alone says nothing; with an action it counts.
        let (_, w) = policy_from_config(&cfg(
            r#"{"grace_period_days":42,"enforcement_action":"policy"}"#,
        ))
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        let (_, w) = policy_from_config(&cfg(
            r#"{"grace_period_days":10,"enforcement_action":"hide"}"#,
        ))
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn bad_values_name_the_key() {
        let cases = [
            (r#"{"allowlist_mode":"maybe"}"#, "managed configuration: allowlist_mode: expected true or false, found \"maybe\""),
            (r#"{"grace_period_days":"soon"}"#, "managed configuration: grace_period_days: expected a whole number"),
            (r#"{"grace_period_days":-3}"#, "managed configuration: grace_period_days: expected 0 to 3650 days, found -3"),
            (r#"{"enforcement_action":"destroy"}"#, "managed configuration: enforcement_action: expected one of policy, report, warn, suspend, hide, uninstall, found \"destroy\""),
            (r#"{"enforcement_action":"suspned"}"#, "managed configuration: enforcement_action: expected one of policy, report, warn, suspend, hide, uninstall, found \"suspned\"; did you mean \"suspend\"?"),
            (r#"{"denied_packages":"com.ok, not ok"}"#, "managed configuration: denied_packages: item 2: expected a package name"),
            (r#"{"denied_signers":"abcd"}"#, "managed configuration: denied_signers: item 1: expected a SHA-256 digest"),
            (r#"{"denied_packages":7}"#, "managed configuration: denied_packages: expected text separated by commas or new lines, found a number"),
            (r#"{"policy_json":"{\"version\":\"x\"}"}"#, "managed configuration: policy_json: policy: version: expected a whole number, found the string \"x\""),
        ];
        for (json, want) in cases {
            let err = policy_from_config(&cfg(json)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadManagedConfig);
            assert!(
                err.message().starts_with(want),
                "{json}\n got: {err}\nwant: {want}"
            );
        }
        let err = parse_managed_config("[1]").unwrap_err();
        assert!(
            err.message()
                .contains("expected a JSON object of key to value, found a list"),
            "{err}"
        );
        let err = parse_managed_config("{").unwrap_err();
        assert!(
            err.message()
                .starts_with("managed configuration: not valid JSON"),
            "{err}"
        );
    }

    #[test]
    fn settings_require_https() {
        let s = settings_from_config(&cfg(
            r#"{"policy_url":"https://mdm.example/p.json","report_inventory":true}"#,
        ))
        .unwrap();
        assert_eq!(s.policy_url.as_deref(), Some("https://mdm.example/p.json"));
        assert!(s.report_inventory);
        let err = settings_from_config(&cfg(r#"{"report_url":"http://x.example"}"#)).unwrap_err();
        assert!(
            err.message()
                .starts_with("managed configuration: report_url: expected an https:// URL"),
            "{err}"
        );
    }
}

#[cfg(test)]
mod docs_tests {
    use super::*;

    /// docs/managed-config.md documents every key with its type and default, and no other.
    #[test]
    fn the_docs_list_every_key() {
        let doc = include_str!("../../../docs/managed-config.md");
        let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(
            rows.len(),
            KEYS.len(),
            "docs/managed-config.md has {} key rows, the core {}",
            rows.len(),
            KEYS.len()
        );
        for k in KEYS {
            let row = rows
                .iter()
                .find(|r| r.starts_with(&format!("| `{}` |", k.name)))
                .unwrap_or_else(|| panic!("docs/managed-config.md lacks key {}", k.name));
            let ty = match k.kind {
                KeyType::Bool => "bool",
                KeyType::String => "string",
                KeyType::Integer => "integer",
                KeyType::Choice(_) => "choice",
            };
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            assert_eq!(cells[2], ty, "type of {}", k.name);
            let default = if k.default.is_empty() {
                "`\"\"`".to_string()
            } else {
                format!("`{}`", k.default)
            };
            assert_eq!(cells[3], default, "default of {}", k.name);
        }
    }
}

#[cfg(test)]
mod android_restrictions_tests {
    use super::*;

    /// The value of `attr="…"` in one XML element's text.
    fn attr<'a>(element: &'a str, name: &str) -> Option<&'a str> {
        let start = element.find(&format!("{name}=\""))? + name.len() + 2;
        let len = element[start..].find('"')?;
        Some(&element[start..start + len])
    }

    /// The Android app's `app_restrictions.xml` declares exactly the keys the core
    /// understands, with the same types, defaults and choices: the EMM console shows the
    /// administrator what that file declares.
    #[test]
    fn app_restrictions_xml_declares_every_key() {
        let xml = include_str!("../../../android/src/main/res/xml/app_restrictions.xml");
        let arrays = include_str!("../../../android/src/main/res/values/arrays.xml");
        let elements: Vec<&str> = xml
            .split("<restriction")
            .skip(1)
            .filter(|e| !e.starts_with('s'))
            .collect();
        let declared: Vec<&str> = elements
            .iter()
            .filter_map(|e| attr(e, "android:key"))
            .collect();
        let known: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        assert_eq!(
            declared, known,
            "app_restrictions.xml keys differ from veto_core::config::KEYS (same order)"
        );
        for (e, k) in elements.iter().zip(KEYS) {
            let ty = attr(e, "android:restrictionType").unwrap();
            let want = match k.kind {
                KeyType::Bool => "bool",
                KeyType::String => "string",
                KeyType::Integer => "integer",
                KeyType::Choice(_) => "choice",
            };
            assert_eq!(ty, want, "type of {}", k.name);
            assert_eq!(
                attr(e, "android:defaultValue"),
                Some(k.default),
                "default of {}",
                k.name
            );
            if let KeyType::Choice(values) = k.kind {
                let array = attr(e, "android:entryValues")
                    .unwrap()
                    .trim_start_matches("@array/");
                let body = arrays.split(&format!("name=\"{array}\"")).nth(1).unwrap();
                let body = &body[..body.find("</string-array>").unwrap()];
                let items: Vec<&str> = body
                    .split("<item>")
                    .skip(1)
                    .map(|i| &i[..i.find("</item>").unwrap()])
                    .collect();
                assert_eq!(items, values, "choices of {}", k.name);
            }
        }
    }
}
