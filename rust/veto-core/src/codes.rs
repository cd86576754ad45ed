//! Every warning code Veto can put in a plan, a `record` summary or a report: their one home.
//!
//! A warning's `code` is stable: the shell, EMM consoles and the fleet server match on it. Each
//! code is defined once here, with one line saying what it means; code elsewhere uses the
//! constant, never a string literal (a test scans the sources for that), and
//! `docs/contract.md` lists every code (a test checks that too). Error kinds, the other codes
//! that cross the boundary, live in [`crate::error::ErrorKind`] (see [`error_codes`]); the two
//! are separate name spaces (`bad_managed_config` is both a warning and an error kind).

use crate::error::ErrorKind;

/// A code and the one line that says what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeDoc {
    /// The code as it appears in documents.
    pub code: &'static str,
    /// What it means, in one line.
    pub meaning: &'static str,
}

macro_rules! warning_codes {
    ($( #[doc = $doc:literal] $name:ident = $code:literal; )*) => {
        $( #[doc = $doc] pub const $name: &str = $code; )*
        /// Every warning code, in the order they are defined here.
        pub const WARNING_CODES: &[CodeDoc] = &[ $( CodeDoc { code: $code, meaning: $doc.trim_ascii() } ),* ];
    };
}

warning_codes! {
    // The engine (`veto_core::engine`).
    /// The policy's `expires` time has passed; Veto keeps enforcing it until a newer one arrives.
    POLICY_EXPIRED = "policy_expired";
    /// A rule matches a protected package (Veto itself, the DPC, Play, system); Veto never acts on it.
    PROTECTED_MATCH = "protected_match";
    /// The ladder asks for more than the device allows; the strongest permitted action applies.
    DEGRADED = "degraded";
    /// Veto should undo its own suspension or hiding but its role no longer allows it.
    CANNOT_REVERSE = "cannot_reverse";
    // The policy's lint (`veto_core::policy`).
    /// A pattern matches almost every app (a rule), or exempts almost every app (an allow entry).
    TOO_BROAD = "too_broad";
    /// Two rules match the same package, pattern, signer or installer.
    DUPLICATE_RULE = "duplicate_rule";
    /// Allowlist mode with an empty allow list: every non-system app is a finding.
    EMPTY_ALLOWLIST = "empty_allowlist";
    // The managed configuration (`veto_core::config`).
    /// A managed configuration key Veto does not know; it is ignored.
    UNKNOWN_CONFIG_KEY = "unknown_config_key";
    /// `policy_json` is set but ignored, because the policy feed supplies the policy.
    POLICY_JSON_IGNORED = "policy_json_ignored";
    /// A managed configuration key Veto knows is set but has no effect in this combination (e.g. `grace_period_days` while the policy's ladder applies).
    IGNORED_CONFIG_KEY = "ignored_config_key";
    // The CLI's policy check (`veto policy check`, `sign`).
    /// An allow entry exempts every package a rule bars, so that rule never applies.
    ALLOW_CANCELS_RULE = "allow_cancels_rule";
    /// `report_url` is set without `report_token`; the fleet server refuses reports without a token.
    REPORT_WITHOUT_TOKEN = "report_without_token";
    // Write-ahead (`veto_core::state`).
    /// After a restart a pending suspend or hide shows applied, but as a delegate Veto cannot tell it did it: not claimed, never undone.
    PENDING_UNATTRIBUTED = "pending_unattributed";
    // The state file (`veto_store`).
    /// `state.json` is missing; its backup is used.
    STATE_MISSING = "state_missing";
    /// `state.json` was unreadable and moved aside; its backup is used.
    STATE_QUARANTINED = "state_quarantined";
    /// No usable state or backup: grace periods start again from now.
    STATE_LOST = "state_lost";
    // The device run (`veto_agent`).
    /// The managed configuration is invalid; the last good (or built-in) policy is enforced.
    BAD_MANAGED_CONFIG = "bad_managed_config";
    /// The saved last good policy was unreadable (moved aside); the built-in policy is enforced.
    BAD_LAST_GOOD_POLICY = "bad_last_good_policy";
    /// `policy_url` is set but the feed has not delivered a verified policy yet.
    FEED_PENDING = "feed_pending";
    /// The stored feed policy was unreadable (moved aside); the policy in force is kept.
    BAD_FEED_STATE = "bad_feed_state";
    /// A feed or report setting (`policy_url`, `report_url`, …) is invalid; the policy applies, the feed and reports wait.
    BAD_NETWORK_SETTINGS = "bad_network_settings";
    /// `record` recorded the outcomes but could not queue the compliance report.
    REPORT_NOT_QUEUED = "report_not_queued";
}

/// Every error kind's code (`VetoException.kind` in the shell) with its meaning.
pub fn error_codes() -> Vec<CodeDoc> {
    ErrorKind::ALL
        .iter()
        .map(|kind| CodeDoc {
            code: kind.code(),
            meaning: kind.meaning(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_documented() {
        for list in [WARNING_CODES.to_vec(), error_codes()] {
            let mut seen = std::collections::HashSet::new();
            for doc in list {
                assert!(seen.insert(doc.code), "{} defined twice", doc.code);
                assert!(
                    doc.code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{}",
                    doc.code
                );
                assert!(
                    doc.meaning.len() > 10 && !doc.meaning.contains('\n'),
                    "{}",
                    doc.code
                );
            }
        }
        assert_eq!(WARNING_CODES.len(), 22);
        assert_eq!(error_codes().len(), 9);
    }
}
