//! Which policy a device enforces: the managed configuration's, built on the signed feed's
//! last good policy when a feed is configured, or, when something is wrong, the last good
//! policy. Bad input never weakens enforcement (docs/decisions/0001).

use std::path::Path;

use veto_core::codes::{
    BAD_FEED_STATE, BAD_LAST_GOOD_POLICY, BAD_MANAGED_CONFIG, BAD_NETWORK_SETTINGS, FEED_PENDING,
};
use veto_core::config::policy_from_config_with_base;
use veto_core::{
    parse_managed_config, settings_from_config, Error, ManagedConfig, Policy, Result, Settings,
    Warning,
};
use veto_store::{load_or_quarantine, write_atomic, Loaded};

/// The policy of the last managed configuration that parsed, kept in the state directory so
/// that a broken configuration never weakens enforcement.
pub const LAST_GOOD_POLICY_FILE: &str = "last-good-policy.json";

/// The policy to enforce, the warnings for the plan, and the feed and report settings.
#[derive(Debug)]
pub struct Choice {
    /// The policy to enforce.
    pub policy: Policy,
    /// Warnings for the plan.
    pub warnings: Vec<Warning>,
    /// The feed and report settings, when the managed configuration's are valid.
    pub settings: Option<Settings>,
}

/// The policy to enforce, and warnings for the plan.
///
/// A valid managed configuration gives the policy and is remembered as the last good one. With
/// `policy_url` set, the feed's last good (verified) policy is the base instead of
/// `policy_json` or the built-in policy, and the flat keys add to it; before the feed has
/// delivered, the configuration's own policy applies and a `feed_pending` warning says so. An
/// invalid configuration is reported as a `bad_managed_config` warning and the last good
/// policy (or, without one, the built-in policy) is enforced instead: a typo in the EMM
/// console must not switch enforcement off.
pub fn choose_policy(managed_config_json: &str, state_dir: &Path) -> Result<Choice> {
    let last_good = state_dir.join(LAST_GOOD_POLICY_FILE);
    let config = match parse_managed_config(managed_config_json) {
        Ok(config) => config,
        Err(problem) => {
            return Ok(fallback_choice(
                BAD_MANAGED_CONFIG,
                &problem,
                MANAGED_CONFIG_FIXED,
                &last_good,
                Vec::new(),
                None,
            ))
        }
    };
    let mut warnings = Vec::new();
    let settings = match settings_from_config(&config) {
        Ok(settings) => Some(settings),
        Err(problem) => {
            warnings.push(Warning::new(
                BAD_NETWORK_SETTINGS,
                format!("{problem}; the policy feed and reports wait until it is fixed"),
            ));
            None
        }
    };
    let base = if feed_configured(&config) {
        match feed_base(state_dir) {
            FeedBase::Delivered(policy) => Some(policy),
            FeedBase::Pending(warning) => {
                warnings.push(warning);
                None
            }
            // The policy in force was built on the feed's: keep enforcing it, not the
            // weaker configuration or built-in policy, until a sync stores one again.
            FeedBase::Damaged(problem) => {
                return Ok(fallback_choice(
                    BAD_FEED_STATE,
                    &problem,
                    "a sync stores a verified policy again",
                    &last_good,
                    warnings,
                    settings,
                ))
            }
        }
    } else {
        None
    };
    match policy_from_config_with_base(&config, base) {
        Ok((policy, policy_warnings)) => {
            remember_policy(&last_good, &policy)?;
            warnings.extend(policy_warnings);
            Ok(Choice {
                policy,
                warnings,
                settings,
            })
        }
        Err(problem) => Ok(fallback_choice(
            BAD_MANAGED_CONFIG,
            &problem,
            MANAGED_CONFIG_FIXED,
            &last_good,
            warnings,
            settings,
        )),
    }
}

/// True when the configuration names a policy feed, valid or not: then the feed's last good
/// policy stays the base even while the URL itself is broken (never weaken).
fn feed_configured(config: &ManagedConfig) -> bool {
    config
        .get("policy_url")
        .and_then(|value| value.as_str())
        .is_some_and(|url| !url.trim().is_empty())
}

/// Whether the feed has a verified policy to serve as the base.
enum FeedBase {
    Delivered(Policy),
    /// Nothing delivered yet: the configuration's own policy applies, with this warning.
    Pending(Warning),
    /// The stored feed policy was damaged (and moved aside).
    Damaged(Error),
}

fn feed_base(state_dir: &Path) -> FeedBase {
    match veto_net::feed::last_good(state_dir)
        .and_then(|found| found.map(|l| l.policy()).transpose())
    {
        Ok(Some(policy)) => FeedBase::Delivered(policy),
        Ok(None) => FeedBase::Pending(Warning::new(
            FEED_PENDING,
            "policy_url is set but the policy feed has not delivered a verified policy yet; \
             enforcing the managed configuration's policy (or the built-in one) until a sync \
             stores a verified policy",
        )),
        Err(problem) => FeedBase::Damaged(problem),
    }
}

/// [`fallback_policy`] as a [`Choice`], after the warnings collected so far.
fn fallback_choice(
    code: &str,
    problem: &Error,
    until: &str,
    last_good: &Path,
    mut warnings: Vec<Warning>,
    settings: Option<Settings>,
) -> Choice {
    let (policy, fallback_warnings) = fallback_policy(code, problem, until, last_good);
    warnings.splice(0..0, fallback_warnings);
    Choice {
        policy,
        warnings,
        settings,
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

const MANAGED_CONFIG_FIXED: &str = "the managed configuration is fixed";

/// The policy enforced while the usual one cannot be built (the managed configuration is
/// invalid, or the stored feed policy is damaged), with the warnings that say so: the
/// warning `code` names the cause, `until` what ends it.
fn fallback_policy(
    code: &str,
    problem: &Error,
    until: &str,
    last_good: &Path,
) -> (Policy, Vec<Warning>) {
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
            code,
            format!("{problem}; enforcing {enforcing} until {until}"),
        ),
    );
    (policy, warnings)
}
