//! The policy model: which apps are barred, the exceptions, and the enforcement ladder.
//!
//! A policy comes from a JSON document (see `docs/contract.md`), from the flat
//! managed-configuration keys (see [`crate::config`]), or from the built-in catalog.
//! Parsing checks everything that would make the policy ambiguous and names the JSON
//! path; [`Policy::lint`] adds warnings for rules that are legal but probably wrong.

use crate::digest::CertDigest;
use crate::error::{parse_json, Error, ErrorKind, Result};
use crate::inventory::check_package_name;
use crate::pattern::Pattern;
use crate::plan::Warning;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Whether the policy lists what is barred, or what is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Everything may stay except what the rules bar.
    #[default]
    Denylist,
    /// Only what `allow` lists may stay (the Dutch rule for new work phones).
    Allowlist,
}

/// What Veto can do about a package, and the undoing of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Count it in the compliance report; nothing on the phone.
    Report,
    /// Tell the employee, with the reason and the deadline.
    Warn,
    /// `setPackagesSuspended`: the app cannot start.
    Suspend,
    /// `setApplicationHidden`: the app disappears; its data stays.
    Hide,
    /// Remove the app (silent only for a device owner or affiliated profile owner).
    Uninstall,
    /// Undo a suspension Veto made.
    Unsuspend,
    /// Undo a hiding Veto made.
    Unhide,
}

impl Action {
    /// The enforcement actions, weakest first.
    pub const LADDER: [Action; 5] = [
        Action::Report,
        Action::Warn,
        Action::Suspend,
        Action::Hide,
        Action::Uninstall,
    ];

    /// Whether this is a step of the ladder (not an undo).
    pub fn is_enforcement(self) -> bool {
        !matches!(self, Action::Unsuspend | Action::Unhide)
    }

    /// The lower-case name used in JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Action::Report => "report",
            Action::Warn => "warn",
            Action::Suspend => "suspend",
            Action::Hide => "hide",
            Action::Uninstall => "uninstall",
            Action::Unsuspend => "unsuspend",
            Action::Unhide => "unhide",
        }
    }

    /// Parses an enforcement action name.
    pub fn parse_enforcement(s: &str) -> Option<Action> {
        Action::LADDER.into_iter().find(|a| a.name() == s)
    }
}

/// How a rule recognises a package.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Matcher {
    /// The exact package name.
    Package(String),
    /// A package-name pattern with `*` wildcards.
    Pattern(Pattern),
    /// A SHA-256 digest of a signing certificate: catches renamed and repackaged copies.
    Signer(CertDigest),
    /// The installer package (e.g. a side-loading store).
    Installer(String),
}

impl Matcher {
    /// `package`, `pattern`, `signer` or `installer`.
    pub fn kind(&self) -> &'static str {
        match self {
            Matcher::Package(_) => "package",
            Matcher::Pattern(_) => "pattern",
            Matcher::Signer(_) => "signer",
            Matcher::Installer(_) => "installer",
        }
    }

    /// The matcher's value as written in a policy.
    pub fn value(&self) -> String {
        match self {
            Matcher::Package(p) | Matcher::Installer(p) => p.clone(),
            Matcher::Pattern(p) => p.as_str().to_string(),
            Matcher::Signer(d) => d.to_colon_hex(),
        }
    }

    /// Whether this matcher matches a package of this name (signer and installer
    /// matchers never match by name alone).
    pub fn matches_name(&self, name: &str) -> bool {
        match self {
            Matcher::Package(p) => p == name,
            Matcher::Pattern(p) => p.matches(name),
            Matcher::Signer(_) | Matcher::Installer(_) => false,
        }
    }

    /// Package or pattern, from one string: a `*` makes it a pattern.
    pub fn package_or_pattern(s: &str) -> std::result::Result<Matcher, String> {
        let s = s.trim();
        if s.contains('*') {
            Pattern::parse(s).map(Matcher::Pattern)
        } else {
            check_package_name(s).map(|()| Matcher::Package(s.to_string()))
        }
    }
}

/// One rule: how to recognise a barred app, and why it is barred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Unique id, used in plans and reports.
    pub id: String,
    /// How the rule recognises a package.
    pub matcher: Matcher,
    /// Why the app is barred; shown to the employee.
    pub reason: String,
    /// Where the decision or the fact comes from (URL or citation).
    pub source: Option<String>,
}

/// An exception (denylist mode) or an approved app (allowlist mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    /// How the entry recognises a package.
    pub matcher: Matcher,
    /// Why it is allowed, for the audit trail.
    pub reason: Option<String>,
}

/// One step of the enforcement ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What to do.
    pub action: Action,
    /// Days after Veto first saw the package.
    pub after_days: u32,
}

/// A whole policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Monotonic version, for anti-rollback of fetched policies.
    pub version: u64,
    /// Denylist or allowlist.
    pub mode: Mode,
    /// Whether the built-in catalog's default sections apply.
    pub use_builtin_catalog: bool,
    /// Opt-in catalog sections, by id.
    pub include_catalogs: Vec<String>,
    /// The policy's own rules.
    pub rules: Vec<Rule>,
    /// Exceptions / approved apps.
    pub allow: Vec<AllowEntry>,
    /// Packages never acted on, in addition to the built-in protected set.
    pub protected: Vec<Matcher>,
    /// Whether system packages may be acted on.
    pub act_on_system_packages: bool,
    /// The escalation ladder, ordered by `after_days`.
    pub enforcement: Vec<Step>,
    /// After this time every plan warns that the policy is out of date.
    pub expires: Option<Timestamp>,
}

/// Warn on first sight, suspend after two weeks, remove after six (Amsterdam's deadline).
pub const DEFAULT_LADDER: [Step; 3] = [
    Step {
        action: Action::Warn,
        after_days: 0,
    },
    Step {
        action: Action::Suspend,
        after_days: 14,
    },
    Step {
        action: Action::Uninstall,
        after_days: 42,
    },
];

impl Default for Policy {
    fn default() -> Self {
        Policy {
            version: 0,
            mode: Mode::Denylist,
            use_builtin_catalog: true,
            include_catalogs: Vec::new(),
            rules: Vec::new(),
            allow: Vec::new(),
            protected: Vec::new(),
            act_on_system_packages: false,
            enforcement: DEFAULT_LADDER.to_vec(),
            expires: None,
        }
    }
}

// ---- JSON form -------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: u64,
    #[serde(default)]
    mode: Mode,
    #[serde(default = "yes")]
    use_builtin_catalog: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    include_catalogs: Vec<String>,
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    allow: Vec<RawAllow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    protected: Vec<String>,
    #[serde(default)]
    act_on_system_packages: bool,
    #[serde(default)]
    enforcement: Option<RawLadder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires: Option<Timestamp>,
}

fn yes() -> bool {
    true
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMatcher {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    installer: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    #[serde(flatten)]
    matcher: RawMatcher,
    reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum RawAllow {
    Name(String),
    Entry {
        #[serde(flatten)]
        matcher: RawMatcher,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum RawLadder {
    Shorthand(String),
    Steps(Vec<Step>),
}

/// Keys of a policy document (docs/contract.md *Policy*).
pub const POLICY_KEYS: &[&str] = &[
    "version",
    "mode",
    "use_builtin_catalog",
    "include_catalogs",
    "rules",
    "allow",
    "protected",
    "act_on_system_packages",
    "enforcement",
    "expires",
];
const RULE_KEYS: &[&str] = &[
    "id",
    "package",
    "pattern",
    "signer",
    "installer",
    "reason",
    "source",
];
const ALLOW_KEYS: &[&str] = &["package", "pattern", "signer", "installer", "reason"];
const STEP_KEYS: &[&str] = &["action", "after_days"];
const LADDER_ACTIONS: &[&str] = &["report", "warn", "suspend", "hide", "uninstall"];

/// The candidate closest to `word`, when it is close enough to be a slip: the same word in
/// other letter case, or at most two edits away (one for short words).
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                let sub = prev[j] + usize::from(ca != *cb);
                cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
            }
            prev = cur;
        }
        prev[b.len()]
    }
    let lower = word.to_lowercase();
    if let Some(c) = candidates.iter().find(|c| c.to_lowercase() == lower) {
        return Some(c);
    }
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    candidates
        .iter()
        .map(|c| (distance(&lower, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
        // A word with extra parts ("after_day" for "after_days", "enforcement_action").
        .or_else(|| {
            candidates
                .iter()
                .find(|c| lower.starts_with(*c) || c.starts_with(lower.as_str()))
                .copied()
                .filter(|_| lower.len() >= 4)
        })
}

/// " Did you mean \"x\"?" when a candidate is close, else the list of what is allowed.
pub(crate) fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    match closest(word, candidates) {
        Some(c) => format!("did you mean {c:?}?"),
        None => format!("use one of {}", candidates.join(", ")),
    }
}

/// Unknown keys are errors where the document format refuses them (`strict`); elsewhere
/// (ladder steps, allow entries, which always tolerated extra keys) only a near miss of a
/// known key is, since it is a mistake that would otherwise be ignored silently.
fn check_keys(
    obj: &serde_json::Map<String, serde_json::Value>,
    known: &[&str],
    path: &str,
    strict: bool,
) -> Result<()> {
    for key in obj.keys() {
        if !known.contains(&key.as_str()) && (strict || closest(key, known).is_some()) {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            return Err(bad(
                at,
                format!("unknown key; {}", did_you_mean(key, known)),
            ));
        }
    }
    Ok(())
}

fn check_action_name(value: &serde_json::Value, path: &str) -> Result<()> {
    let list = LADDER_ACTIONS.join(", ");
    match value {
        serde_json::Value::String(s) if LADDER_ACTIONS.contains(&s.as_str()) => Ok(()),
        serde_json::Value::String(s) => Err(bad(
            path,
            match closest(s, LADDER_ACTIONS) {
                Some(c) => {
                    format!("found {s:?}; did you mean {c:?}? (actions, in lower case: {list})")
                }
                None => format!("found {s:?}; use one of {list}"),
            },
        )),
        other => Err(bad(
            path,
            format!("expected an action name ({list}), found {other}"),
        )),
    }
}

/// Friendly messages for the mistakes people make most in a policy document.
fn precheck(value: &serde_json::Value) -> Result<()> {
    use serde_json::Value;
    let Value::Object(obj) = value else {
        return Ok(());
    };
    check_keys(obj, POLICY_KEYS, "", true)?;
    match obj.get("version") {
        Some(Value::String(s)) => {
            return Err(bad(
                "version",
                format!("expected a whole number, found the string {s:?}; write it without quotes, e.g. \"version\": {}", s.trim().parse::<u64>().unwrap_or(1)),
            ))
        }
        Some(Value::Number(n)) if n.as_u64().is_none() => {
            return Err(bad("version", format!("expected a whole number of 0 or more, found {n}")))
        }
        _ => {}
    }
    if let Some(Value::String(m)) = obj.get("mode") {
        if m != "denylist" && m != "allowlist" {
            return Err(bad(
                "mode",
                format!(
                    "found {m:?}; {}",
                    did_you_mean(m, &["denylist", "allowlist"])
                ),
            ));
        }
    }
    match obj.get("enforcement") {
        Some(v @ Value::String(_)) => check_action_name(v, "enforcement")?,
        Some(Value::Array(steps)) => {
            for (i, step) in steps.iter().enumerate() {
                let path = format!("enforcement[{i}]");
                let Value::Object(step) = step else {
                    return Err(bad(
                        path,
                        format!("expected a step such as {{\"action\": \"suspend\", \"after_days\": 14}}, found {step}"),
                    ));
                };
                check_keys(step, STEP_KEYS, &path, false)?;
                match step.get("action") {
                    Some(a) => check_action_name(a, &format!("{path}.action"))?,
                    None => return Err(bad(path, "missing \"action\"")),
                }
                match step.get("after_days") {
                    None => return Err(bad(path, "missing \"after_days\" (0 for at once)")),
                    Some(Value::Number(n)) if n.as_u64().is_some_and(|d| d <= u64::from(u32::MAX)) => {}
                    Some(Value::Number(n)) => {
                        return Err(bad(
                            format!("{path}.after_days"),
                            format!("expected 0 or more whole days, found {n}"),
                        ))
                    }
                    Some(Value::String(d)) => {
                        return Err(bad(
                            format!("{path}.after_days"),
                            format!("expected a whole number of days, found the string {d:?}; write it without quotes"),
                        ))
                    }
                    Some(other) => {
                        return Err(bad(
                            format!("{path}.after_days"),
                            format!("expected a whole number of days, found {other}"),
                        ))
                    }
                }
            }
        }
        Some(Value::Object(_)) => {
            return Err(bad(
                "enforcement",
                "expected a list of steps, e.g. [{\"action\": \"warn\", \"after_days\": 0}, {\"action\": \"suspend\", \"after_days\": 14}], or one action name; found an object",
            ))
        }
        _ => {}
    }
    for (list, keys) in [("rules", RULE_KEYS), ("allow", ALLOW_KEYS)] {
        if let Some(Value::Array(items)) = obj.get(list) {
            for (i, item) in items.iter().enumerate() {
                if let Value::Object(item) = item {
                    let path = format!("{list}[{i}]");
                    check_keys(item, keys, &path, list == "rules")?;
                    if list == "rules" {
                        for (field, why) in [
                            ("id", "a short unique name, e.g. \"no-games\""),
                            ("reason", "the employee is shown it"),
                        ] {
                            if !item.contains_key(field) {
                                return Err(bad(path, format!("missing {field:?} ({why})")));
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn bad(path: impl std::fmt::Display, why: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::BadPolicy, format!("policy: {path}: {why}"))
}

impl RawMatcher {
    fn into_matcher(self, path: &str) -> Result<Matcher> {
        let given: Vec<&str> = [
            ("package", self.package.is_some()),
            ("pattern", self.pattern.is_some()),
            ("signer", self.signer.is_some()),
            ("installer", self.installer.is_some()),
        ]
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect();
        if given.len() != 1 {
            return Err(bad(
                path,
                format!(
                    "give exactly one of \"package\", \"pattern\", \"signer\", \"installer\" (found {})",
                    if given.is_empty() { "none".to_string() } else { given.join(", ") }
                ),
            ));
        }
        if let Some(p) = self.package {
            check_package_name(&p).map_err(|e| bad(format!("{path}.package"), e))?;
            Ok(Matcher::Package(p))
        } else if let Some(p) = self.pattern {
            Pattern::parse(&p)
                .map(Matcher::Pattern)
                .map_err(|e| bad(format!("{path}.pattern"), e))
        } else if let Some(s) = self.signer {
            CertDigest::parse(&s)
                .map(Matcher::Signer)
                .map_err(|e| bad(format!("{path}.signer"), e))
        } else {
            let i = self.installer.unwrap_or_default();
            check_package_name(&i).map_err(|e| bad(format!("{path}.installer"), e))?;
            Ok(Matcher::Installer(i))
        }
    }

    fn from_matcher(m: &Matcher) -> RawMatcher {
        let mut raw = RawMatcher::default();
        match m {
            Matcher::Package(p) => raw.package = Some(p.clone()),
            Matcher::Pattern(p) => raw.pattern = Some(p.as_str().to_string()),
            Matcher::Signer(d) => raw.signer = Some(d.to_colon_hex()),
            Matcher::Installer(i) => raw.installer = Some(i.clone()),
        }
        raw
    }
}

impl Policy {
    /// Parses and validates a policy document.
    pub fn from_json(json: &str) -> Result<Policy> {
        // Files saved by PowerShell or Notepad start with a byte-order mark.
        let json = json.strip_prefix('\u{feff}').unwrap_or(json);
        // The common mistakes first, with messages that say what to write instead; serde's
        // own messages ("did not match any variant of untagged enum") cover the rest.
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(json) {
            precheck(&value)?;
        }
        let raw: RawPolicy = parse_json(json, ErrorKind::BadPolicy, "policy")?;
        Policy::from_raw(raw)
    }

    /// The policy as a JSON document that [`Policy::from_json`] reads back unchanged.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_raw()).expect("policy serialises")
    }

    /// The built-in policy: the built-in catalog's default sections on the default ladder.
    pub fn builtin() -> Policy {
        Policy {
            version: u64::from(crate::catalog::Catalog::builtin().version),
            ..Policy::default()
        }
    }

    /// When the policy stops being current.
    pub fn expires(&self) -> Option<Timestamp> {
        self.expires
    }

    /// Whether the policy only reports (its strongest step is `report`).
    pub fn is_report_only(&self) -> bool {
        self.strongest_action() == Action::Report
    }

    /// The strongest action on the ladder.
    pub fn strongest_action(&self) -> Action {
        self.enforcement
            .iter()
            .map(|s| s.action)
            .max()
            .unwrap_or(Action::Report)
    }

    fn from_raw(raw: RawPolicy) -> Result<Policy> {
        let mut rules = Vec::with_capacity(raw.rules.len());
        let mut ids = HashSet::new();
        for (i, r) in raw.rules.into_iter().enumerate() {
            let path = format!("rules[{i}]");
            check_rule_id(&r.id).map_err(|e| bad(format!("{path}.id"), e))?;
            if !ids.insert(r.id.clone()) {
                return Err(bad(
                    format!("{path}.id"),
                    format!("rule id {:?} is used twice; ids must be unique", r.id),
                ));
            }
            if r.reason.trim().is_empty() {
                return Err(bad(
                    format!("{path}.reason"),
                    "a rule needs a reason: the employee is shown it",
                ));
            }
            rules.push(Rule {
                matcher: r.matcher.into_matcher(&path)?,
                id: r.id,
                reason: r.reason,
                source: r.source,
            });
        }
        let mut allow = Vec::with_capacity(raw.allow.len());
        for (i, a) in raw.allow.into_iter().enumerate() {
            let path = format!("allow[{i}]");
            allow.push(match a {
                RawAllow::Name(s) => AllowEntry {
                    matcher: Matcher::package_or_pattern(&s).map_err(|e| bad(&path, e))?,
                    reason: None,
                },
                RawAllow::Entry { matcher, reason } => AllowEntry {
                    matcher: matcher.into_matcher(&path)?,
                    reason,
                },
            });
        }
        let protected = raw
            .protected
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Matcher::package_or_pattern(s).map_err(|e| bad(format!("protected[{i}]"), e))
            })
            .collect::<Result<Vec<_>>>()?;
        let enforcement = match raw.enforcement {
            None => DEFAULT_LADDER.to_vec(),
            Some(RawLadder::Shorthand(s)) => match Action::parse_enforcement(&s) {
                Some(a) => vec![Step {
                    action: a,
                    after_days: 0,
                }],
                None => {
                    return Err(bad(
                        "enforcement",
                        format!("expected a list of steps or one of report, warn, suspend, hide, uninstall; found {s:?}"),
                    ))
                }
            },
            Some(RawLadder::Steps(steps)) => {
                check_ladder(&steps)?;
                steps
            }
        };
        for (i, c) in raw.include_catalogs.iter().enumerate() {
            if crate::catalog::Catalog::builtin().section(c).is_none() {
                return Err(bad(
                    format!("include_catalogs[{i}]"),
                    format!(
                        "no built-in catalog section {c:?}; known sections: {}",
                        crate::catalog::Catalog::builtin().section_ids().join(", ")
                    ),
                ));
            }
        }
        Ok(Policy {
            version: raw.version,
            mode: raw.mode,
            use_builtin_catalog: raw.use_builtin_catalog,
            include_catalogs: raw.include_catalogs,
            rules,
            allow,
            protected,
            act_on_system_packages: raw.act_on_system_packages,
            enforcement,
            expires: raw.expires,
        })
    }

    fn to_raw(&self) -> RawPolicy {
        RawPolicy {
            version: self.version,
            mode: self.mode,
            use_builtin_catalog: self.use_builtin_catalog,
            include_catalogs: self.include_catalogs.clone(),
            rules: self
                .rules
                .iter()
                .map(|r| RawRule {
                    id: r.id.clone(),
                    matcher: RawMatcher::from_matcher(&r.matcher),
                    reason: r.reason.clone(),
                    source: r.source.clone(),
                })
                .collect(),
            allow: self
                .allow
                .iter()
                .map(|a| RawAllow::Entry {
                    matcher: RawMatcher::from_matcher(&a.matcher),
                    reason: a.reason.clone(),
                })
                .collect(),
            protected: self.protected.iter().map(Matcher::value).collect(),
            act_on_system_packages: self.act_on_system_packages,
            enforcement: Some(RawLadder::Steps(self.enforcement.clone())),
            expires: self.expires,
        }
    }

    /// Warnings for rules that are legal but probably not what the author meant:
    /// too broad, hitting a protected package, or duplicating each other.
    pub fn lint(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        let mut seen: std::collections::HashMap<&Matcher, &str> = std::collections::HashMap::new();
        for rule in &self.rules {
            if let Matcher::Pattern(p) = &rule.matcher {
                if p.is_too_broad() {
                    out.push(Warning::for_rule(
                        crate::codes::TOO_BROAD,
                        &rule.id,
                        format!(
                            "rule {:?}: pattern {:?} matches almost every app; name the publisher's prefix (e.g. \"com.ss.android.ugc.*\")",
                            rule.id,
                            p.as_str()
                        ),
                    ));
                }
            }
            if let Some(hit) = crate::protect::BUILTIN_PROTECTED
                .iter()
                .map(|(name, _)| *name)
                .chain(self.protected.iter().filter_map(|m| match m {
                    Matcher::Package(p) => Some(p.as_str()),
                    _ => None,
                }))
                .find(|name| rule.matcher.matches_name(name))
            {
                out.push(Warning::for_rule(
                    crate::codes::PROTECTED_MATCH,
                    &rule.id,
                    format!(
                        "rule {:?} matches protected package {hit:?}; Veto will never act on it",
                        rule.id
                    ),
                ));
            }
            if let Some(first) = seen.insert(&rule.matcher, &rule.id) {
                out.push(Warning::for_rule(
                    crate::codes::DUPLICATE_RULE,
                    &rule.id,
                    format!(
                        "rule {:?} matches the same {} {:?} as rule {first:?}",
                        rule.id,
                        rule.matcher.kind(),
                        rule.matcher.value()
                    ),
                ));
            }
        }
        for a in &self.allow {
            if let Matcher::Pattern(p) = &a.matcher {
                if p.is_too_broad() && self.mode == Mode::Denylist {
                    out.push(Warning::new(
                        crate::codes::TOO_BROAD,
                        format!(
                            "allow entry {:?} exempts almost every app from the denylist",
                            p.as_str()
                        ),
                    ));
                }
            }
        }
        if self.mode == Mode::Allowlist && self.allow.is_empty() {
            out.push(Warning::new(
                crate::codes::EMPTY_ALLOWLIST,
                "allowlist mode with an empty allow list: every non-system app is a finding",
            ));
        }
        out
    }
}

/// Rule ids appear in reports and keyed app states. Generated ids embed a package name or
/// pattern (`managed/com.shady.*`), so '/', ':' and '*' are allowed and the length
/// leaves room for a 255-character package name.
fn check_rule_id(id: &str) -> std::result::Result<(), String> {
    if !id.is_empty()
        && id.len() <= 300
        && id.bytes().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/' | b':' | b'*')
        })
    {
        Ok(())
    } else {
        Err(format!(
            "expected an id of 1 to 300 letters, digits, '-', '_', '.', '/', ':' or '*', found {id:?}"
        ))
    }
}

fn check_ladder(steps: &[Step]) -> Result<()> {
    if steps.is_empty() {
        return Err(bad(
            "enforcement",
            "the ladder is empty; give at least one step, e.g. [{\"action\": \"report\", \"after_days\": 0}]",
        ));
    }
    for (i, s) in steps.iter().enumerate() {
        if !s.action.is_enforcement() {
            return Err(bad(
                format!("enforcement[{i}].action"),
                format!(
                    "{:?} is not a ladder step; use report, warn, suspend, hide or uninstall",
                    s.action.name()
                ),
            ));
        }
        if i > 0 {
            let prev = steps[i - 1];
            if s.after_days <= prev.after_days {
                return Err(bad(
                    format!("enforcement[{i}].after_days"),
                    format!(
                        "steps must come later and later: {} days is not after the previous step's {} days",
                        s.after_days, prev.after_days
                    ),
                ));
            }
            if s.action <= prev.action {
                return Err(bad(
                    format!("enforcement[{i}].action"),
                    format!(
                        "steps must get stronger: {} does not escalate from {} (order: report, warn, suspend, hide, uninstall)",
                        s.action.name(),
                        prev.action.name()
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"{
      "version": 7, "mode": "denylist",
      "rules": [
        {"id": "tiktok", "package": "com.zhiliaoapp.musically", "reason": "Barred", "source": "https://example.org"},
        {"id": "ugc", "pattern": "com.ss.android.ugc.*", "reason": "ByteDance"},
        {"id": "signer", "signer": "90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA", "reason": "TikTok key"},
        {"id": "sideload", "installer": "com.android.packageinstaller", "reason": "Not from a managed store"}
      ],
      "allow": ["nl.rijksoverheid.*", {"package": "com.ss.android.ugc.ok", "reason": "tested"}],
      "protected": ["com.example.emm"],
      "enforcement": [{"action": "warn", "after_days": 0}, {"action": "hide", "after_days": 42}],
      "expires": "2027-06-01T00:00:00Z"
    }"#;

    #[test]
    fn parses_and_round_trips() {
        let p = Policy::from_json(FULL).unwrap();
        assert_eq!(p.version, 7);
        assert_eq!(p.rules.len(), 4);
        assert_eq!(p.rules[2].matcher.kind(), "signer");
        assert_eq!(p.allow.len(), 2);
        assert_eq!(p.strongest_action(), Action::Hide);
        let again = Policy::from_json(&p.to_json()).unwrap();
        assert_eq!(again, p);
    }

    #[test]
    fn shorthand_report_only() {
        let p = Policy::from_json(r#"{"version":1,"enforcement":"report"}"#).unwrap();
        assert!(p.is_report_only());
        assert!(p.use_builtin_catalog);
    }

    #[test]
    fn errors_name_the_path_and_the_fix() {
        let cases = [
            (r#"{"rules":[]}"#, "policy: missing field `version`"),
            (r#"{"version":1,"rules":[{"id":"a","package":"a.b"}]}"#, "policy: rules[0]: missing \"reason\" (the employee is shown it)"),
            (r#"{"version":1,"rules":[{"package":"a.b","reason":"r"}]}"#, "policy: rules[0]: missing \"id\" (a short unique name, e.g. \"no-games\")"),
            (r#"{"version":1,"mode":"blocklist"}"#, "policy: mode: found \"blocklist\"; use one of denylist, allowlist"),
            (r#"{"version":1,"rules":[{"id":"a","reason":"r"}]}"#, "policy: rules[0]: give exactly one of"),
            (r#"{"version":1,"rules":[{"id":"a","package":"x.y","signer":"ab","reason":"r"}]}"#, "policy: rules[0]: give exactly one of \"package\", \"pattern\", \"signer\", \"installer\" (found package, signer)"),
            (r#"{"version":1,"rules":[{"id":"a","package":"x y","reason":"r"}]}"#, "policy: rules[0].package: expected a package name"),
            (r#"{"version":1,"rules":[{"id":"a","signer":"zz","reason":"r"}]}"#, "policy: rules[0].signer: expected a SHA-256 digest"),
            (r#"{"version":1,"rules":[{"id":"a","pattern":"com.(x)","reason":"r"}]}"#, "policy: rules[0].pattern:"),
            (r#"{"version":1,"rules":[{"id":"a","package":"x.y","reason":" "}]}"#, "policy: rules[0].reason: a rule needs a reason"),
            (r#"{"version":1,"rules":[{"id":"a","package":"x.y","reason":"r"},{"id":"a","package":"x.z","reason":"r"}]}"#, "policy: rules[1].id: rule id \"a\" is used twice"),
            (r#"{"version":1,"rules":[{"id":"a","package":"x.y","reason":"r","colour":"red"}]}"#, "policy: rules[0].colour: unknown key; use one of id, package, pattern, signer, installer, reason, source"),
            (r#"{"version":1,"enforcement":[]}"#, "policy: enforcement: the ladder is empty"),
            (r#"{"version":1,"enforcement":[{"action":"suspend","after_days":0},{"action":"warn","after_days":3}]}"#, "policy: enforcement[1].action: steps must get stronger"),
            (r#"{"version":1,"enforcement":[{"action":"warn","after_days":5},{"action":"hide","after_days":5}]}"#, "policy: enforcement[1].after_days: steps must come later"),
            (r#"{"version":1,"enforcement":[{"action":"unhide","after_days":0}]}"#, "policy: enforcement[0].action: found \"unhide\"; did you mean \"hide\"? (actions, in lower case: report, warn, suspend, hide, uninstall)"),
            (r#"{"version":1,"enforcement":"delete"}"#, "policy: enforcement: found \"delete\"; use one of report, warn, suspend, hide, uninstall"),
            (r#"{"version":1,"allow":["bad name"]}"#, "policy: allow[0]: expected a package name"),
            (r#"{"version":1,"protected":[""]}"#, "policy: protected[0]: expected a package name"),
            (r#"{"version":1,"include_catalogs":["nope"]}"#, "policy: include_catalogs[0]: no built-in catalog section \"nope\""),
            (r#"{"version":-1}"#, "policy: version: expected a whole number of 0 or more, found -1"),
            (r#"{"version":1,"expires":"soon"}"#, "policy: expires: expected an RFC 3339 time"),
        ];
        for (json, want) in cases {
            let err = Policy::from_json(json).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadPolicy);
            assert!(
                err.message().starts_with(want),
                "{json}\n got: {err}\nwant: {want}"
            );
        }
    }

    /// The mistakes people made in issue 14, each with the message that says what to write.
    #[test]
    fn common_mistakes_say_what_to_fix() {
        let steps = |step: &str| {
            format!(r#"{{"version":1,"enforcement":[{{"action":"warn","after_days":0}},{step}]}}"#)
        };
        let cases = [
            (steps(r#"{"action":"suspned","after_days":14}"#), "policy: enforcement[1].action: found \"suspned\"; did you mean \"suspend\"? (actions, in lower case: report, warn, suspend, hide, uninstall)"),
            (steps(r#"{"action":"Suspend","after_days":14}"#), "policy: enforcement[1].action: found \"Suspend\"; did you mean \"suspend\"? (actions, in lower case: report, warn, suspend, hide, uninstall)"),
            (steps(r#"{"action":"suspend","after_day":14}"#), "policy: enforcement[1].after_day: unknown key; did you mean \"after_days\"?"),
            (steps(r#"{"action":"suspend","after_days":-14}"#), "policy: enforcement[1].after_days: expected 0 or more whole days, found -14"),
            (steps(r#"{"action":"suspend","after_days":"14"}"#), "policy: enforcement[1].after_days: expected a whole number of days, found the string \"14\"; write it without quotes"),
            (steps(r#"{"action":"suspend"}"#), "policy: enforcement[1]: missing \"after_days\" (0 for at once)"),
            (r#"{"version":"1"}"#.to_string(), "policy: version: expected a whole number, found the string \"1\"; write it without quotes, e.g. \"version\": 1"),
            (r#"{"version":1,"enforcment":"hide"}"#.to_string(), "policy: enforcment: unknown key; did you mean \"enforcement\"?"),
            (r#"{"version":1,"mode":"allowList"}"#.to_string(), "policy: mode: found \"allowList\"; did you mean \"allowlist\"?"),
            (r#"{"version":1,"rules":[{"id":"a","packge":"a.b","reason":"r"}]}"#.to_string(), "policy: rules[0].packge: unknown key; did you mean \"package\"?"),
            (r#"{"version":1,"enforcement":{"action":"hide"}}"#.to_string(), "policy: enforcement: expected a list of steps"),
        ];
        for (json, want) in cases {
            let err = Policy::from_json(&json).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadPolicy);
            assert!(
                err.message().starts_with(want),
                "{json}\n got: {err}\nwant: {want}"
            );
        }
        // Keys that were always tolerated stay tolerated unless they look like a slip.
        assert!(Policy::from_json(r#"{"version":1,"enforcement":[{"action":"warn","after_days":0,"note":"day one"}],"allow":[{"package":"a.b","ticket":"IT-42"}]}"#).is_ok());
        // A byte-order mark is not an error.
        assert_eq!(
            Policy::from_json("\u{feff}{\"version\":7}")
                .unwrap()
                .version,
            7
        );
    }

    #[test]
    fn lint_warns_about_broad_protected_and_duplicate_rules() {
        let p = Policy::from_json(
            r#"{"version":1,"rules":[
            {"id":"all","pattern":"*","reason":"r"},
            {"id":"com","pattern":"com.*","reason":"r"},
            {"id":"store","package":"com.android.vending","reason":"r"},
            {"id":"t1","package":"com.zhiliaoapp.musically","reason":"r"},
            {"id":"t2","package":"com.zhiliaoapp.musically","reason":"r"},
            {"id":"ok","pattern":"com.ss.android.ugc.*","reason":"r"}]}"#,
        )
        .unwrap();
        let w = p.lint();
        let codes: Vec<(&str, Option<&str>)> = w
            .iter()
            .map(|w| (w.code.as_str(), w.rule.as_deref()))
            .collect();
        assert!(codes.contains(&("too_broad", Some("all"))), "{codes:?}");
        assert!(codes.contains(&("too_broad", Some("com"))), "{codes:?}");
        assert!(
            codes.contains(&("protected_match", Some("store"))),
            "{codes:?}"
        );
        assert!(codes.contains(&("duplicate_rule", Some("t2"))), "{codes:?}");
        assert!(!codes.iter().any(|(_, r)| *r == Some("ok")), "{codes:?}");
    }
}
