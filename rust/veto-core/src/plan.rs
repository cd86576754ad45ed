//! The plan: what the core decided, for the shell to carry out and for people to read.
//!
//! Its JSON form is the contract in `docs/contract.md`.

use crate::error::{parse_json, ErrorKind, Result};
use crate::policy::{Action, Mode};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Everything the core decided in one evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The `now` the plan was made for.
    pub generated_at: Timestamp,
    /// Which policy it applied.
    pub policy: PolicySummary,
    /// True when no finding remains (report-only findings count as non-compliant).
    pub compliant: bool,
    /// Every package that the policy bars, sorted by package name.
    pub findings: Vec<Finding>,
    /// Enforcement that Veto applied earlier and must now undo.
    pub reversals: Vec<Reversal>,
    /// The executor's to-do list: every finding's due action, then every reversal.
    pub actions: Vec<PlannedAction>,
    /// Things people should know: protected packages hit, degraded actions, an old policy.
    pub warnings: Vec<Warning>,
}

/// The policy a plan applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicySummary {
    /// Its version.
    pub version: u64,
    /// Denylist or allowlist.
    pub mode: Mode,
    /// When it expires.
    pub expires: Option<Timestamp>,
}

/// One barred package and what happens to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Package name.
    pub package: String,
    /// The label the employee sees, when known.
    pub label: Option<String>,
    /// Ids of the rules that matched.
    pub rules: Vec<String>,
    /// The rules that matched, with their reasons and sources.
    pub matches: Vec<RuleMatch>,
    /// When Veto first saw it barred (the ladder counts from here).
    pub first_seen: Timestamp,
    /// The ladder step reached, after degradation to what the device allows.
    pub step: Action,
    /// What to do now; `None` when nothing new is needed.
    pub action: Option<Action>,
    /// What Veto has in effect on it.
    pub in_effect: Vec<Action>,
    /// Where it stands.
    pub status: Status,
    /// The next step of the ladder, if any.
    pub next: Option<NextStep>,
    /// When the strongest step applies.
    pub deadline: Timestamp,
    /// Why the step is weaker than the policy asks, if it is.
    pub degraded: Option<Degradation>,
    /// The app is archived (Android 15): still a finding, because one tap restores it.
    /// Written only when true; absent reads as false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
}

/// Where a finding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// An action is planned now.
    Due,
    /// The step is in effect.
    Enforced,
    /// The last attempt failed; retried after a day.
    Failed,
    /// Report only: the policy or the device allows nothing more.
    Reported,
}

/// A rule that matched, as the plan shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleMatch {
    /// Rule id.
    pub rule: String,
    /// `package`, `pattern`, `signer`, `installer` or `allowlist`.
    pub matcher: String,
    /// Why the app is barred.
    pub reason: String,
    /// Where the decision comes from.
    pub source: Option<String>,
}

/// The next step of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NextStep {
    /// What will happen.
    pub action: Action,
    /// When.
    pub due: Timestamp,
}

/// A step weakened to what the device allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Degradation {
    /// What the policy asks for.
    pub wanted: Action,
    /// The strongest action the device allows that does not exceed it.
    pub chosen: Action,
    /// Why.
    pub why: String,
}

/// Enforcement to undo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reversal {
    /// Package name.
    pub package: String,
    /// `unsuspend` or `unhide`.
    pub action: Action,
    /// Why it is undone.
    pub why: String,
}

/// One entry of the executor's to-do list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedAction {
    /// Package name.
    pub package: String,
    /// What to do.
    pub action: Action,
    /// Label for the employee's notice.
    pub label: Option<String>,
    /// The reason to show the employee.
    pub reason: Option<String>,
    /// When the strongest step applies (for the notice).
    pub deadline: Option<Timestamp>,
}

/// Something people should know about a plan or a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// A stable code: `protected_match`, `degraded`, `policy_expired`, `too_broad`, ...
    pub code: String,
    /// What happened and what to do.
    pub message: String,
    /// The package concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The rule concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl Warning {
    /// A warning about nothing in particular.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Warning {
            code: code.to_string(),
            message: message.into(),
            package: None,
            rule: None,
        }
    }

    /// A warning about one rule.
    pub fn for_rule(code: &str, rule: &str, message: impl Into<String>) -> Self {
        Warning {
            rule: Some(rule.to_string()),
            ..Warning::new(code, message)
        }
    }

    /// A warning about one package.
    pub fn for_package(code: &str, package: &str, message: impl Into<String>) -> Self {
        Warning {
            package: Some(package.to_string()),
            ..Warning::new(code, message)
        }
    }
}

impl Plan {
    /// The plan as JSON (the contract in `docs/contract.md`).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plan serialises")
    }

    /// Reads a plan back (tools and tests).
    pub fn from_json(json: &str) -> Result<Plan> {
        parse_json(json, ErrorKind::BadOutcomes, "plan")
    }

    /// The finding for `package`, if any.
    pub fn finding(&self, package: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.package == package)
    }
}
