//! Compliance reports and keyed app states built from a plan.
//!
//! Pure: the caller passes the report id, the device id, the time, the feed status and the
//! count of dropped reports, so the same plan and inputs always give the same report. The
//! report carries what an administrator needs to judge compliance and nothing more: the
//! full inventory only when `report_inventory` is enabled (data minimisation).
//!
//! Keyed app states follow `androidx.enterprise.feedback.KeyedAppState`: key ≤ 100,
//! message ≤ 1000, data ≤ 1000 characters, severity `INFO` or `ERROR`. Android counts
//! characters as UTF-16 code units (`String.length()`), so the limits are applied in those
//! units and never split a character.

use crate::error::{parse_json, ErrorKind, Result};
use crate::inventory::{Inventory, Package};
use crate::plan::{Finding, Plan, PolicySummary, Reversal, Status, Warning};
use crate::policy::Action;
use crate::state::{OutcomeResult, Outcomes};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The value of a report's `format` field.
pub const FORMAT: &str = "veto-report/1";
/// Longest keyed-state key, in UTF-16 code units.
pub const MAX_KEY: usize = 100;
/// Longest keyed-state message, in UTF-16 code units.
pub const MAX_MESSAGE: usize = 1000;
/// Longest keyed-state data, in UTF-16 code units.
pub const MAX_DATA: usize = 1000;
/// At most this many per-finding states: EMM consoles list states one by one, and the
/// `compliance` state already counts everything.
pub const MAX_FINDING_STATES: usize = 20;

/// The policy feed's state, for reports and keyed states. Absent when no feed is set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedStatus {
    /// The feed policy version in force, if any document ever passed the checks.
    pub version: Option<u64>,
    /// Why the last sync failed, if it did (the last good policy stays in force).
    pub error: Option<String>,
    /// When the feed was last checked, if ever.
    #[serde(default)]
    pub checked_at: Option<Timestamp>,
}

/// Everything a report needs besides the plan.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    /// Random id of this report, so a receiver can drop duplicates of a retried report.
    pub report_id: &'a str,
    /// The administrator's `device_id`, or the random id of this install.
    pub device_id: &'a str,
    /// Veto's version.
    pub veto_version: &'a str,
    /// When the report was made.
    pub created_at: Timestamp,
    /// Reports dropped from the full queue since the last report that counted them.
    pub dropped_reports: u64,
    /// The feed's state, when a feed is configured.
    pub feed: Option<&'a FeedStatus>,
    /// The work-profile inventory; pass it only when `report_inventory` is enabled.
    pub inventory: Option<&'a Inventory>,
}

/// How many of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Findings (barred packages present).
    pub findings: usize,
    /// Findings with an action due now.
    pub due: usize,
    /// Findings whose step is in effect.
    pub enforced: usize,
    /// Findings whose last action failed.
    pub failed: usize,
    /// Findings only reported.
    pub reported: usize,
    /// Enforcement being undone.
    pub reversals: usize,
    /// Warnings.
    pub warnings: usize,
}

/// One finding as reported: what and why, not the full rule texts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportedFinding {
    /// Package name.
    pub package: String,
    /// Label, when known.
    pub label: Option<String>,
    /// Rule ids that matched.
    pub rules: Vec<String>,
    /// Ladder step reached.
    pub step: Action,
    /// Action due now, if any.
    pub action: Option<Action>,
    /// Status of that action.
    pub status: Status,
    /// What Veto has in effect on the package.
    pub in_effect: Vec<Action>,
    /// When Veto first saw it.
    pub first_seen: Timestamp,
    /// When the strongest step applies.
    pub deadline: Timestamp,
    /// True when the device could not do what the policy asks.
    pub degraded: bool,
    /// True when the app is archived (Android 15); written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
}

/// A compliance report (`format` `veto-report/1`); `docs/reporting.md` is its reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`FORMAT`].
    pub format: String,
    /// Random id; the same on every retry of this report.
    pub report_id: String,
    /// Device or install id.
    pub device_id: String,
    /// Veto's version.
    pub veto_version: String,
    /// When the report was made.
    pub created_at: Timestamp,
    /// When the plan was made.
    pub evaluated_at: Timestamp,
    /// The policy applied.
    pub policy: PolicySummary,
    /// True when no finding remains.
    pub compliant: bool,
    /// Counts.
    pub counts: Counts,
    /// Findings.
    pub findings: Vec<ReportedFinding>,
    /// Enforcement being undone.
    pub reversals: Vec<Reversal>,
    /// Warnings from the plan.
    pub warnings: Vec<Warning>,
    /// The policy feed's state, when a feed is configured.
    pub feed: Option<FeedStatus>,
    /// Reports lost because the queue was full, since the last report that counted them.
    pub dropped_reports: u64,
    /// The whole work-profile inventory; present only when `report_inventory` is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Vec<Package>>,
}

impl Report {
    /// The report as compact JSON (what is sent).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("report serialises")
    }

    /// Reads a report back (receivers, tools and tests).
    pub fn from_json(json: &str) -> Result<Report> {
        parse_json(json, ErrorKind::Internal, "report")
    }
}

/// Counts the plan's findings by status, its reversals and its warnings.
pub fn counts(plan: &Plan) -> Counts {
    let by = |s: Status| plan.findings.iter().filter(|f| f.status == s).count();
    Counts {
        findings: plan.findings.len(),
        due: by(Status::Due),
        enforced: by(Status::Enforced),
        failed: by(Status::Failed),
        reported: by(Status::Reported),
        reversals: plan.reversals.len(),
        warnings: plan.warnings.len(),
    }
}

/// Builds the report for `plan`.
pub fn build_report(plan: &Plan, input: &ReportInput<'_>) -> Report {
    Report {
        format: FORMAT.to_string(),
        report_id: input.report_id.to_string(),
        device_id: input.device_id.to_string(),
        veto_version: input.veto_version.to_string(),
        created_at: input.created_at,
        evaluated_at: plan.generated_at,
        policy: plan.policy.clone(),
        compliant: plan.compliant,
        counts: counts(plan),
        findings: plan.findings.iter().map(reported_finding).collect(),
        reversals: plan.reversals.clone(),
        warnings: plan.warnings.clone(),
        feed: input.feed.cloned(),
        dropped_reports: input.dropped_reports,
        inventory: input.inventory.map(|inv| inv.packages.clone()),
    }
}

fn reported_finding(f: &Finding) -> ReportedFinding {
    ReportedFinding {
        package: f.package.clone(),
        label: f.label.clone(),
        rules: f.rules.clone(),
        step: f.step,
        action: f.action,
        status: f.status,
        in_effect: f.in_effect.clone(),
        first_seen: f.first_seen,
        deadline: f.deadline,
        degraded: f.degraded.is_some(),
        archived: f.archived,
    }
}

/// A device whose compliance does not change still reports this often, so the organisation can
/// tell a quiet device from a dead one. Sweeps run every 15 minutes or more often; queueing each
/// would flood the bounded queue with identical reports.
pub const HEARTBEAT_MS: i64 = 6 * 3_600_000;

/// What `evaluate` returns to the shell: the plan and, as one more top-level field, the keyed
/// app states for the EMM. One typed document (docs/decisions/0002): its JSON is the plan's
/// fields followed by `keyed_states`, so readers of the plan that ignore unknown fields read it
/// as a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The plan.
    #[serde(flatten)]
    pub plan: Plan,
    /// The keyed app states ([`keyed_states`]).
    pub keyed_states: Vec<KeyedState>,
}

impl Evaluation {
    /// The document as JSON (docs/contract.md, "JNI").
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("evaluation serialises")
    }

    /// Reads the document back (tools and tests).
    pub fn from_json(json: &str) -> Result<Evaluation> {
        parse_json(json, ErrorKind::BadOutcomes, "evaluation")
    }
}

/// The part of a plan a report's reader cares about: if it is unchanged, a new report says
/// nothing new.
pub fn compliance_summary(plan: &Plan) -> serde_json::Value {
    summary_of(
        plan.policy.version,
        plan.compliant,
        plan.findings.iter().map(|f| {
            (
                f.package.as_str(),
                f.rules.as_slice(),
                f.step,
                f.status,
                f.in_effect.as_slice(),
            )
        }),
        &plan.reversals,
        &plan.warnings,
    )
}

/// The same summary read from a report already built: equal to [`compliance_summary`] of
/// the plan it was built from, so a report found in the queue after a crash tells whether
/// the next one would say anything new.
pub fn report_summary(report: &Report) -> serde_json::Value {
    summary_of(
        report.policy.version,
        report.compliant,
        report.findings.iter().map(|f| {
            (
                f.package.as_str(),
                f.rules.as_slice(),
                f.step,
                f.status,
                f.in_effect.as_slice(),
            )
        }),
        &report.reversals,
        &report.warnings,
    )
}

/// One finding as the summary sees it: package, rule ids, ladder step, status, actions in
/// effect (a plan's finding and a report's carry the same).
type SummaryFinding<'a> = (&'a str, &'a [String], Action, Status, &'a [Action]);

fn summary_of<'a>(
    policy: u64,
    compliant: bool,
    findings: impl Iterator<Item = SummaryFinding<'a>>,
    reversals: &[Reversal],
    warnings: &[Warning],
) -> serde_json::Value {
    let findings: Vec<serde_json::Value> = findings
        .map(|(package, rules, step, status, in_effect)| {
            serde_json::json!([package, rules, step, status, in_effect])
        })
        .collect();
    let reversals: Vec<(&str, Action)> = reversals
        .iter()
        .map(|r| (r.package.as_str(), r.action))
        .collect();
    let mut warnings: Vec<&str> = warnings.iter().map(|w| w.code.as_str()).collect();
    warnings.sort_unstable();
    warnings.dedup();
    serde_json::json!({
        "policy": policy,
        "compliant": compliant,
        "findings": findings,
        "reversals": reversals,
        "warnings": warnings,
    })
}

/// Whether a report of `summary` ([`compliance_summary`]) is worth queueing at `now`, given the
/// summary and time of the last report queued (`None`: never, or its record was lost, which
/// costs one extra report): when the summary changed, or after [`HEARTBEAT_MS`].
pub fn worth_reporting(
    last: Option<(&serde_json::Value, Timestamp)>,
    summary: &serde_json::Value,
    now: Timestamp,
) -> bool {
    match last {
        Some((last, at)) => last != summary || now.millis() - at.millis() >= HEARTBEAT_MS,
        None => true,
    }
}

/// What the executor's outcomes change in a plan, as the next evaluation would see it: a
/// finding whose due action was done is `enforced` (the action in effect), one whose action
/// failed or waits for the user is `failed`; a reversal that was done is gone. Actions with an
/// outcome leave the to-do list.
pub fn apply_outcomes(plan: &mut Plan, outcomes: &Outcomes) {
    let result_of = |package: &str, action: Action| {
        outcomes
            .outcomes
            .iter()
            .find(|o| o.package == package && o.action == action)
            .map(|o| o.result)
    };
    for finding in &mut plan.findings {
        let Some(action) = finding.action else {
            continue;
        };
        match result_of(&finding.package, action) {
            Some(OutcomeResult::Done) => {
                finding.action = None;
                finding.status = Status::Enforced;
                if action != Action::Report && !finding.in_effect.contains(&action) {
                    finding.in_effect.push(action);
                    finding.in_effect.sort();
                }
            }
            Some(OutcomeResult::Failed | OutcomeResult::PendingUser) => {
                finding.action = None;
                finding.status = Status::Failed;
            }
            None => {}
        }
    }
    plan.reversals
        .retain(|r| result_of(&r.package, r.action) != Some(OutcomeResult::Done));
    plan.actions
        .retain(|a| result_of(&a.package, a.action).is_none());
}

/// Severity of a keyed app state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// Informational.
    Info,
    /// Needs the administrator's attention; EMM consoles surface these.
    Error,
}

/// One keyed app state, within the platform's limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedState {
    /// Key (≤ [`MAX_KEY`]).
    pub key: String,
    /// Severity.
    pub severity: Severity,
    /// Message for people (≤ [`MAX_MESSAGE`]).
    pub message: String,
    /// Machine-readable data (≤ [`MAX_DATA`]), compact JSON when it fits.
    pub data: Option<String>,
}

impl KeyedState {
    fn new(key: &str, severity: Severity, message: &str, data: Option<String>) -> Self {
        KeyedState {
            key: truncate_utf16(key, MAX_KEY),
            severity,
            message: truncate_utf16(message, MAX_MESSAGE),
            data: data.map(|d| truncate_utf16(&d, MAX_DATA)),
        }
    }
}

/// `s` cut to at most `max` UTF-16 code units, never inside a character; a cut string ends
/// with `…` (which counts toward the limit).
pub fn truncate_utf16(s: &str, max: usize) -> String {
    if s.encode_utf16().count() <= max {
        return s.to_string();
    }
    let budget = max.saturating_sub(1);
    let mut used = 0;
    let mut out = String::new();
    for c in s.chars() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

fn display(f: &Finding) -> String {
    match &f.label {
        Some(label) if !label.is_empty() && label != &f.package => {
            format!("{label} ({})", f.package)
        }
        _ => f.package.clone(),
    }
}

fn finding_message(f: &Finding) -> String {
    let rules = f.rules.join(", ");
    let now = match (f.status, f.action) {
        (Status::Due, Some(action)) => format!("{} due now", action.name()),
        (Status::Enforced, _) => format!("{} in effect", f.step.name()),
        (Status::Failed, Some(action)) => format!("{} failed, retried daily", action.name()),
        (Status::Failed, None) => format!("{} failed, retried daily", f.step.name()),
        (Status::Reported, _) | (Status::Due, None) => "reported".to_string(),
    };
    let next = match &f.next {
        Some(next) => format!("; {} from {}", next.action.name(), next.due),
        None => String::new(),
    };
    let archived = if f.archived {
        " (archived: one tap restores it)"
    } else {
        ""
    };
    format!(
        "{}{archived} is barred (rules: {rules}): {now}{next}.",
        display(f)
    )
}

fn finding_data(f: &Finding) -> String {
    let full = serde_json::json!({
        "package": f.package,
        "rules": f.rules,
        "step": f.step,
        "action": f.action,
        "status": f.status,
        "deadline": f.deadline,
    })
    .to_string();
    if full.encode_utf16().count() <= MAX_DATA {
        return full;
    }
    // Too many rule ids: keep valid JSON by counting them instead.
    serde_json::json!({
        "package": f.package,
        "rule_count": f.rules.len(),
        "step": f.step,
        "action": f.action,
        "status": f.status,
        "deadline": f.deadline,
    })
    .to_string()
}

/// The keyed app states for the EMM, always in this order:
/// `compliance` (ERROR when not compliant), `policy_feed` (only when a feed is configured;
/// ERROR when the last sync failed), `warnings` (INFO), then one `finding:<package>` per
/// finding (ERROR; at most [`MAX_FINDING_STATES`]) and one per reversal (INFO, so a
/// console's earlier ERROR for that key is replaced).
pub fn keyed_states(plan: &Plan, feed: Option<&FeedStatus>) -> Vec<KeyedState> {
    let c = counts(plan);
    let version = plan.policy.version;
    let mut states = Vec::new();

    let compliance_message = if plan.compliant {
        format!("Compliant with policy version {version}: no barred apps in the work profile.")
    } else {
        let names: Vec<String> = plan.findings.iter().take(10).map(display).collect();
        let more = match plan.findings.len().saturating_sub(names.len()) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        format!(
            "Not compliant with policy version {version}: {} barred app{} in the work profile: {}{more}.",
            c.findings,
            if c.findings == 1 { "" } else { "s" },
            names.join(", ")
        )
    };
    let compliance_data = serde_json::json!({
        "compliant": plan.compliant,
        "policy_version": version,
        "findings": c.findings,
        "due": c.due,
        "enforced": c.enforced,
        "failed": c.failed,
        "reported": c.reported,
        "reversals": c.reversals,
        "warnings": c.warnings,
    })
    .to_string();
    states.push(KeyedState::new(
        "compliance",
        if plan.compliant {
            Severity::Info
        } else {
            Severity::Error
        },
        &compliance_message,
        Some(compliance_data),
    ));

    if let Some(feed) = feed {
        let in_force = match feed.version {
            Some(v) => format!("policy version {v} from the feed is in force"),
            None => "no feed policy has been accepted yet".to_string(),
        };
        let (severity, message) = match &feed.error {
            Some(error) => (
                Severity::Error,
                format!("Policy feed failed; {in_force}. {error}"),
            ),
            None => (Severity::Info, format!("Policy feed OK; {in_force}.")),
        };
        let data = serde_json::json!({"version": feed.version, "ok": feed.error.is_none()});
        states.push(KeyedState::new(
            "policy_feed",
            severity,
            &message,
            Some(data.to_string()),
        ));
    }

    let warnings_message = if plan.warnings.is_empty() {
        "No warnings.".to_string()
    } else {
        let list: Vec<String> = plan
            .warnings
            .iter()
            .map(|w| format!("{}: {}", w.code, w.message))
            .collect();
        format!("{} warning(s). {}", plan.warnings.len(), list.join(" | "))
    };
    let codes: Vec<&str> = plan.warnings.iter().map(|w| w.code.as_str()).collect();
    let mut warnings_data = serde_json::json!({"codes": codes}).to_string();
    if warnings_data.encode_utf16().count() > MAX_DATA {
        warnings_data = serde_json::json!({"count": codes.len()}).to_string();
    }
    states.push(KeyedState::new(
        "warnings",
        Severity::Info,
        &warnings_message,
        Some(warnings_data),
    ));

    for f in plan.findings.iter().take(MAX_FINDING_STATES) {
        states.push(KeyedState::new(
            &format!("finding:{}", f.package),
            Severity::Error,
            &finding_message(f),
            Some(finding_data(f)),
        ));
    }
    for r in &plan.reversals {
        let message = format!(
            "{} is no longer barred ({}): {}.",
            r.package,
            r.why,
            r.action.name()
        );
        let data = serde_json::json!({"package": r.package, "action": r.action}).to_string();
        states.push(KeyedState::new(
            &format!("finding:{}", r.package),
            Severity::Info,
            &message,
            Some(data),
        ));
    }
    states
}

/// The keyed states as a JSON array (what the shell hands to `KeyedAppStatesReporter`).
pub fn keyed_states_json(states: &[KeyedState]) -> String {
    serde_json::to_string(states).expect("keyed states serialise")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::NextStep;
    use crate::policy::Mode;

    fn finding(package: &str, status: Status, action: Option<Action>) -> Finding {
        Finding {
            package: package.to_string(),
            label: Some("TikTok".to_string()),
            rules: vec!["tiktok".to_string(), "tiktok-signer".to_string()],
            matches: vec![],
            first_seen: Timestamp::from_millis(0),
            step: Action::Suspend,
            action,
            in_effect: vec![Action::Warn],
            status,
            next: Some(NextStep {
                action: Action::Uninstall,
                due: Timestamp::from_millis(86_400_000),
            }),
            deadline: Timestamp::from_millis(86_400_000),
            degraded: None,
            archived: false,
        }
    }

    fn plan(findings: Vec<Finding>) -> Plan {
        Plan {
            generated_at: Timestamp::from_millis(1_000),
            policy: PolicySummary {
                version: 7,
                mode: Mode::Denylist,
                expires: None,
            },
            compliant: findings.is_empty(),
            findings,
            reversals: vec![],
            actions: vec![],
            warnings: vec![],
        }
    }

    fn input<'a>(
        feed: Option<&'a FeedStatus>,
        inventory: Option<&'a Inventory>,
    ) -> ReportInput<'a> {
        ReportInput {
            report_id: "r-1",
            device_id: "dev-1",
            veto_version: "0.1.0",
            created_at: Timestamp::from_millis(2_000),
            dropped_reports: 3,
            feed,
            inventory,
        }
    }

    #[test]
    fn reports_carry_ids_counts_and_findings_but_no_inventory_by_default() {
        let p = plan(vec![
            finding(
                "com.zhiliaoapp.musically",
                Status::Due,
                Some(Action::Suspend),
            ),
            finding("com.ss.android.ugc.trill", Status::Enforced, None),
        ]);
        let report = build_report(&p, &input(None, None));
        assert_eq!(report.format, FORMAT);
        assert_eq!(report.report_id, "r-1");
        assert_eq!(report.device_id, "dev-1");
        assert_eq!(report.dropped_reports, 3);
        assert!(!report.compliant);
        assert_eq!(report.counts.findings, 2);
        assert_eq!(report.counts.due, 1);
        assert_eq!(report.counts.enforced, 1);
        assert_eq!(report.findings[0].rules, ["tiktok", "tiktok-signer"]);
        assert_eq!(report.findings[0].action, Some(Action::Suspend));
        let json = report.to_json();
        assert!(!json.contains("\"inventory\""), "{json}");
        assert!(json.contains("\"status\":\"due\""), "{json}");
        assert!(
            json.contains("\"created_at\":\"1970-01-01T00:00:02Z\""),
            "{json}"
        );
        assert_eq!(Report::from_json(&json).unwrap(), report);
    }

    #[test]
    fn the_inventory_is_included_only_when_passed() {
        let inventory = Inventory::from_json(
            r#"{"packages":[{"package":"com.example.mail"},{"package":"com.zhiliaoapp.musically"}]}"#,
        )
        .unwrap();
        let report = build_report(&plan(vec![]), &input(None, Some(&inventory)));
        let packages = report.inventory.as_ref().unwrap();
        assert_eq!(packages.len(), 2);
        assert!(report.to_json().contains("com.example.mail"));
    }

    #[test]
    fn compliance_state_is_error_when_not_compliant() {
        let states = keyed_states(
            &plan(vec![finding(
                "com.zhiliaoapp.musically",
                Status::Due,
                Some(Action::Suspend),
            )]),
            None,
        );
        assert_eq!(states[0].key, "compliance");
        assert_eq!(states[0].severity, Severity::Error);
        assert_eq!(
            states[0].message,
            "Not compliant with policy version 7: 1 barred app in the work profile: \
             TikTok (com.zhiliaoapp.musically)."
        );
        let keys: Vec<&str> = states.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            ["compliance", "warnings", "finding:com.zhiliaoapp.musically"]
        );
        assert_eq!(states[2].severity, Severity::Error);
        assert_eq!(
            states[2].message,
            "TikTok (com.zhiliaoapp.musically) is barred (rules: tiktok, tiktok-signer): \
             suspend due now; uninstall from 1970-01-02T00:00:00Z."
        );
        let data: serde_json::Value =
            serde_json::from_str(states[2].data.as_ref().unwrap()).unwrap();
        assert_eq!(data["status"], "due");

        let ok = keyed_states(&plan(vec![]), None);
        assert_eq!(ok[0].severity, Severity::Info);
        assert!(
            ok[0].message.starts_with("Compliant with policy version 7"),
            "{}",
            ok[0].message
        );
    }

    #[test]
    fn feed_state_reports_errors_and_recovery() {
        let failing = FeedStatus {
            version: Some(6),
            error: Some("policy feed: GET https://x/: answered HTTP 500".to_string()),
            checked_at: Some(Timestamp::from_millis(0)),
        };
        let states = keyed_states(&plan(vec![]), Some(&failing));
        let feed = states.iter().find(|s| s.key == "policy_feed").unwrap();
        assert_eq!(feed.severity, Severity::Error);
        assert_eq!(
            feed.message,
            "Policy feed failed; policy version 6 from the feed is in force. \
             policy feed: GET https://x/: answered HTTP 500"
        );
        let fine = FeedStatus {
            version: Some(7),
            error: None,
            checked_at: None,
        };
        let states = keyed_states(&plan(vec![]), Some(&fine));
        let feed = states.iter().find(|s| s.key == "policy_feed").unwrap();
        assert_eq!(feed.severity, Severity::Info);
        assert_eq!(feed.data.as_deref(), Some(r#"{"ok":true,"version":7}"#));
    }

    #[test]
    fn reversals_clear_a_finding_state_and_many_findings_are_capped() {
        let mut p = plan(
            (0..30)
                .map(|i| finding(&format!("com.example.app{i:02}"), Status::Enforced, None))
                .collect(),
        );
        p.reversals.push(Reversal {
            package: "com.example.old".to_string(),
            action: Action::Unsuspend,
            why: "no rule matches it any more".to_string(),
        });
        let states = keyed_states(&p, None);
        let findings = states
            .iter()
            .filter(|s| s.severity == Severity::Error && s.key.starts_with("finding:"));
        assert_eq!(findings.count(), MAX_FINDING_STATES);
        let last = states.last().unwrap();
        assert_eq!(last.key, "finding:com.example.old");
        assert_eq!(last.severity, Severity::Info);
        assert!(
            states[0].message.ends_with(" and 20 more."),
            "{}",
            states[0].message
        );
    }

    #[test]
    fn every_state_respects_the_platform_limits() {
        let long_package = format!("com.{}", "a".repeat(300));
        let mut f = finding(&long_package, Status::Due, Some(Action::Warn));
        f.label = Some("😀".repeat(700));
        f.rules = (0..200).map(|i| format!("rule-number-{i}")).collect();
        let mut p = plan(vec![f]);
        p.warnings = (0..100)
            .map(|i| Warning::new(&format!("code_{i}"), "é".repeat(50)))
            .collect();
        let feed = FeedStatus {
            version: None,
            error: Some("x".repeat(5000)),
            checked_at: None,
        };
        for s in keyed_states(&p, Some(&feed)) {
            assert!(s.key.encode_utf16().count() <= MAX_KEY, "{}", s.key);
            assert!(s.message.encode_utf16().count() <= MAX_MESSAGE, "{}", s.key);
            let data = s.data.as_deref().unwrap_or("");
            assert!(data.encode_utf16().count() <= MAX_DATA, "{}", s.key);
            // Data that had to shrink is still JSON, not a cut-off string.
            serde_json::from_str::<serde_json::Value>(data).unwrap();
        }
    }

    #[test]
    fn truncation_counts_utf16_units_and_never_splits_a_character() {
        assert_eq!(truncate_utf16("abc", 3), "abc");
        assert_eq!(truncate_utf16("abcd", 3), "ab…");
        let exact = "a".repeat(MAX_KEY);
        assert_eq!(truncate_utf16(&exact, MAX_KEY), exact);
        let over = "a".repeat(MAX_KEY + 1);
        let cut = truncate_utf16(&over, MAX_KEY);
        assert_eq!(cut.encode_utf16().count(), MAX_KEY);
        assert!(cut.ends_with('…'));
        // An emoji is two UTF-16 units: four of them (8 units) do not fit in 7.
        let emoji = "😀😀😀😀";
        let cut = truncate_utf16(emoji, 7);
        assert_eq!(cut, "😀😀😀…");
        assert_eq!(cut.encode_utf16().count(), 7);
        let cut = truncate_utf16(emoji, 6);
        assert_eq!(cut, "😀😀…");
        assert_eq!(truncate_utf16("😀", 1), "…");
        assert_eq!(truncate_utf16("abc", 0), "");
    }

    #[test]
    fn end_to_end_from_an_evaluated_plan() {
        use crate::{evaluate, Capabilities, CompiledPolicy, Policy, State};
        let inventory =
            Inventory::from_json(r#"{"packages":[{"package":"com.zhiliaoapp.musically"}]}"#)
                .unwrap();
        let plan = evaluate(
            &inventory,
            &CompiledPolicy::new(Policy::builtin()),
            &State::new(),
            &Capabilities::from_cli_list("profile-owner").unwrap(),
            Timestamp::from_millis(0),
        );
        let report = build_report(&plan, &input(None, None));
        assert_eq!(report.counts.findings, 1);
        assert_eq!(report.findings[0].package, "com.zhiliaoapp.musically");
        let states = keyed_states(&plan, None);
        assert_eq!(states[0].severity, Severity::Error);
        assert!(states
            .iter()
            .any(|s| s.key == "finding:com.zhiliaoapp.musically"));
    }

    fn plan_for_outcomes() -> Plan {
        Plan::from_json(
            r#"{"generated_at": "2026-11-22T16:00:00Z",
                "policy": {"version": 7, "mode": "denylist", "expires": null},
                "compliant": false,
                "findings": [
                  {"package": "a.suspend", "label": null, "rules": ["r"], "matches": [],
                   "first_seen": "2026-11-01T09:00:00Z", "step": "suspend", "action": "suspend",
                   "in_effect": ["warn"], "status": "due", "next": null,
                   "deadline": "2026-12-13T09:00:00Z", "degraded": null},
                  {"package": "b.uninstall", "label": null, "rules": ["r"], "matches": [],
                   "first_seen": "2026-11-01T09:00:00Z", "step": "uninstall", "action": "uninstall",
                   "in_effect": [], "status": "due", "next": null,
                   "deadline": "2026-12-13T09:00:00Z", "degraded": null},
                  {"package": "c.untouched", "label": null, "rules": ["r"], "matches": [],
                   "first_seen": "2026-11-01T09:00:00Z", "step": "hide", "action": "hide",
                   "in_effect": [], "status": "due", "next": null,
                   "deadline": "2026-12-13T09:00:00Z", "degraded": null}],
                "reversals": [
                  {"package": "d.undone", "action": "unsuspend", "why": "allowed now"},
                  {"package": "e.kept", "action": "unhide", "why": "allowed now"}],
                "actions": [
                  {"package": "a.suspend", "action": "suspend", "label": null, "reason": null, "deadline": null},
                  {"package": "b.uninstall", "action": "uninstall", "label": null, "reason": null, "deadline": null},
                  {"package": "c.untouched", "action": "hide", "label": null, "reason": null, "deadline": null},
                  {"package": "d.undone", "action": "unsuspend", "label": null, "reason": null, "deadline": null},
                  {"package": "e.kept", "action": "unhide", "label": null, "reason": null, "deadline": null}],
                "warnings": []}"#,
        )
        .unwrap()
    }

    #[test]
    fn outcomes_change_statuses_as_the_next_evaluation_would() {
        let mut plan = plan_for_outcomes();
        let outcomes = Outcomes::from_json(
            r#"{"outcomes": [
                {"package": "a.suspend", "action": "suspend", "result": "done"},
                {"package": "b.uninstall", "action": "uninstall", "result": "pending_user"},
                {"package": "d.undone", "action": "unsuspend", "result": "done"},
                {"package": "e.kept", "action": "unhide", "result": "failed", "detail": "refused"}]}"#,
        )
        .unwrap();
        apply_outcomes(&mut plan, &outcomes);

        let a = plan.finding("a.suspend").unwrap();
        assert_eq!((a.status, a.action), (Status::Enforced, None));
        assert_eq!(a.in_effect, [Action::Warn, Action::Suspend]);
        let b = plan.finding("b.uninstall").unwrap();
        assert_eq!((b.status, b.action), (Status::Failed, None));
        assert!(b.in_effect.is_empty());
        let c = plan.finding("c.untouched").unwrap();
        assert_eq!(
            (c.status, c.action),
            (Status::Due, Some(Action::Hide)),
            "no outcome, no change"
        );
        let reversals: Vec<&str> = plan.reversals.iter().map(|r| r.package.as_str()).collect();
        assert_eq!(reversals, ["e.kept"], "a failed undo is still to do");
        let actions: Vec<&str> = plan.actions.iter().map(|a| a.package.as_str()).collect();
        assert_eq!(actions, ["c.untouched"]);
        assert!(
            !plan.compliant,
            "findings stay findings until a scan shows them gone"
        );
    }

    #[test]
    fn unchanged_compliance_is_worth_reporting_only_after_the_heartbeat_or_a_loss() {
        let summary = compliance_summary(&plan_for_outcomes());
        let at = Timestamp::from_millis(0);
        assert!(!worth_reporting(
            Some((&summary, at)),
            &summary,
            Timestamp::from_millis(1)
        ));
        assert!(worth_reporting(
            Some((&summary, at)),
            &summary,
            Timestamp::from_millis(HEARTBEAT_MS)
        ));
        assert!(
            worth_reporting(None, &summary, Timestamp::from_millis(1)),
            "a lost record costs one extra report"
        );
        let mut changed = plan_for_outcomes();
        changed.findings.pop();
        assert!(worth_reporting(
            Some((&summary, at)),
            &compliance_summary(&changed),
            Timestamp::from_millis(1)
        ));
    }

    #[test]
    fn the_evaluation_document_is_the_plan_plus_keyed_states() {
        let plan = plan_for_outcomes();
        let evaluation = Evaluation {
            keyed_states: keyed_states(&plan, None),
            plan: plan.clone(),
        };
        let json = evaluation.to_json();
        assert!(
            json.starts_with(&plan.to_json()[..plan.to_json().len() - 1]),
            "{json}"
        );
        assert!(
            json.ends_with("]}") && json.contains(",\"keyed_states\":[{"),
            "{json}"
        );
        assert_eq!(Plan::from_json(&json).unwrap(), plan, "read as a plan");
        assert_eq!(Evaluation::from_json(&json).unwrap(), evaluation);
    }
}
