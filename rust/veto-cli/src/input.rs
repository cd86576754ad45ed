//! What several commands read: text files (a byte-order mark accepted), the policy to
//! apply (`--policy`, `--config` in any console's shape, or the built-in one), the device's
//! capabilities, `--now`, and the lint every policy gets.

use crate::{console, Fail};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use veto_core::{
    parse_managed_config, policy_from_config, Capabilities, CompiledPolicy, Package, Policy,
    Timestamp, Warning,
};

#[derive(Args)]
pub(crate) struct PolicySource {
    /// Policy JSON document (default: the built-in policy).
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    pub(crate) policy: Option<PathBuf>,
    /// Managed configuration instead: flat key-to-value JSON, an Android Management API
    /// application or policy, or an Intune managedProperty list.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct CapabilityArg {
    /// What Veto may do on the device: device-owner, profile-owner,
    /// affiliated-profile-owner, delegate:package-access[,block-uninstall], none.
    #[arg(long, value_name = "LIST", default_value = "profile-owner")]
    pub(crate) capabilities: String,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
}

/// Reads a text file, with errors that name it and say what it should have been.
pub(crate) fn read_text(path: &Path, what: &str) -> Result<String, Fail> {
    let shown = path.display();
    if path.is_dir() {
        return Err(format!("{what} {shown}: is a directory, not a file").into());
    }
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{what} {shown}: no such file"),
        _ => format!("{what} {shown}: cannot read: {e}"),
    })?;
    let text =
        String::from_utf8(bytes).map_err(|_| Fail(format!("{what} {shown}: not UTF-8 text")))?;
    // PowerShell and Notepad start files with a byte-order mark; JSON parsers refuse it.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// The policy to apply, its origin in words, and warnings from mapping a config.
pub(crate) struct LoadedPolicy {
    pub(crate) policy: Policy,
    pub(crate) origin: String,
    pub(crate) warnings: Vec<Warning>,
}

pub(crate) fn load_policy(source: &PolicySource) -> Result<LoadedPolicy, Fail> {
    if let Some(path) = &source.policy {
        let text = read_text(path, "--policy")?;
        let shown = path.display();
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
            if let console::Shape::Config(_, kind) = console::shape(&value) {
                return Err(format!(
                    "--policy {shown}: this is a managed configuration ({kind}), not a policy document; pass it with --config {shown}"
                )
                .into());
            }
        }
        let policy = Policy::from_json(&text).map_err(|e| format!("{shown}: {e}"))?;
        return Ok(LoadedPolicy {
            policy,
            origin: format!("policy {shown}"),
            warnings: Vec::new(),
        });
    }
    if let Some(path) = &source.config {
        let text = read_text(path, "--config")?;
        let (policy, warnings, _) = read_config(path, &text)?;
        return Ok(LoadedPolicy {
            policy,
            origin: format!("managed configuration {}", path.display()),
            warnings,
        });
    }
    Ok(LoadedPolicy {
        policy: Policy::builtin(),
        origin: "built-in policy".into(),
        warnings: Vec::new(),
    })
}

/// A managed configuration in any console's shape, mapped as the phone maps it; a policy
/// document here is refused with the option it belongs to.
pub(crate) fn read_config(
    path: &Path,
    text: &str,
) -> Result<(Policy, Vec<Warning>, &'static str), Fail> {
    let shown = path.display();
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        // The core's parser words JSON errors for configurations.
        Err(e) => {
            let why = config_policy(text)
                .err()
                .map_or_else(|| format!("not valid JSON: {e}"), |c| c.to_string());
            return Err(format!("{shown}: {why}").into());
        }
    };
    match console::shape(&value) {
        console::Shape::Config(flat, kind) => {
            let (p, w) = config_from_flat(&shown.to_string(), flat)?;
            Ok((p, w, kind))
        }
        console::Shape::Policy => Err(format!(
            "--config {shown}: this is a policy document (it has \"version\"), not a managed configuration; pass it with --policy {shown}, or make a configuration of it with `veto policy export --as flat {shown}`"
        )
        .into()),
        console::Shape::Neither(why) => Err(format!("{shown}: {why}").into()),
    }
}

/// Maps flat keys as the phone does, and checks the feed and report settings as the phone
/// will when it syncs: a configuration the phone would refuse is refused here.
pub(crate) fn config_from_flat(
    shown: &str,
    flat: serde_json::Map<String, serde_json::Value>,
) -> Result<(Policy, Vec<Warning>), Fail> {
    let text = serde_json::Value::Object(flat).to_string();
    let cfg = parse_managed_config(&text).map_err(|e| format!("{shown}: {e}"))?;
    let mapped = policy_from_config(&cfg).map_err(|e| format!("{shown}: {e}"))?;
    let settings =
        veto_core::config::settings_from_config(&cfg).map_err(|e| format!("{shown}: {e}"))?;
    match (&settings.policy_url, &settings.policy_public_key) {
        (Some(_), None) => {
            return Err(format!(
                "{shown}: managed configuration: policy_url is set but policy_public_key is empty; Veto only accepts signed policies (`veto keygen` prints the key)"
            )
            .into())
        }
        (_, Some(key)) => {
            veto_net::keys::parse_public_key(key, "managed configuration: policy_public_key")
                .map_err(|e| format!("{shown}: {}", e.message()))?;
        }
        (None, None) => {}
    }
    let (policy, mut warnings) = mapped;
    if settings.report_url.is_some() && settings.report_token.is_none() {
        warnings.push(Warning::new(
            veto_core::codes::REPORT_WITHOUT_TOKEN,
            "managed configuration: report_url is set but report_token is empty; Veto's server (veto-server) refuses reports without a token, so set the token it issued",
        ));
    }
    Ok((policy, warnings))
}

/// The core's lint, and allow entries that cancel rules outright (one warning per entry).
pub(crate) fn lint(compiled: &CompiledPolicy) -> Vec<Warning> {
    let mut warnings = compiled.lint().to_vec();
    let mut cancelled: Vec<(String, Vec<String>)> = Vec::new();
    for rule in compiled.rules() {
        let veto_core::policy::Matcher::Package(name) = &rule.matcher else {
            continue;
        };
        if let Some(a) = compiled.allowed_by(&Package::named(name)) {
            let entry = format!("{} {:?}", a.matcher.kind(), a.matcher.value());
            match cancelled.iter_mut().find(|(e, _)| *e == entry) {
                Some((_, rules)) => rules.push(rule.id.clone()),
                None => cancelled.push((entry, vec![rule.id.clone()])),
            }
        }
    }
    for (entry, rules) in cancelled {
        let shown: Vec<String> = rules.iter().take(3).map(|r| format!("{r:?}")).collect();
        let more = match rules.len() {
            n if n > 3 => format!(" and {} more", n - 3),
            _ => String::new(),
        };
        warnings.push(Warning::new(
            veto_core::codes::ALLOW_CANCELS_RULE,
            format!(
                "allow entry {entry} exempts what rule{} {}{more} bar{}: {} never appl{}; remove the entry or narrow it",
                if rules.len() == 1 { "" } else { "s" },
                shown.join(", "),
                if rules.len() == 1 { "s" } else { "" },
                if rules.len() == 1 { "that rule" } else { "those rules" },
                if rules.len() == 1 { "ies" } else { "y" },
            ),
        ));
    }
    warnings
}

pub(crate) fn config_policy(text: &str) -> veto_core::Result<(Policy, Vec<Warning>)> {
    policy_from_config(&parse_managed_config(text)?)
}

pub(crate) fn capabilities(list: &str) -> Result<Capabilities, Fail> {
    Capabilities::from_cli_list(list).map_err(|e| {
        let why = e.message();
        Fail(format!(
            "--capabilities: {}",
            why.strip_prefix("capabilities: ").unwrap_or(why)
        ))
    })
}

pub(crate) fn parse_now(arg: Option<&str>) -> Result<Timestamp, Fail> {
    let Some(s) = arg else {
        return Ok(now());
    };
    // "+42d" / "-7d": days from now, to see the ladder weeks on without a calendar.
    let relative = s
        .strip_suffix('d')
        .filter(|n| n.starts_with(['+', '-']))
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|d| d.abs() <= 36_500);
    if let Some(days) = relative {
        return Ok(Timestamp::from_millis(now().millis() + days * 86_400_000));
    }
    Timestamp::parse_rfc3339(s).ok_or_else(|| {
        Fail(format!(
            "--now: expected an RFC 3339 time like 2026-11-22T16:00:00Z or days from now like +42d, found {s:?}"
        ))
    })
}

pub(crate) fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp::from_millis(ms)
}
