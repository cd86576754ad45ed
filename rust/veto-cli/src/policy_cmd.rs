//! `veto policy check|export|sign|verify` and `veto keygen`: policy documents, their
//! console forms, and the signed feed.

use crate::input::*;
use crate::{console, render};
use crate::{Fail, Outcome};
use std::path::Path;
use veto_core::{CompiledPolicy, Policy, Warning};

/// A policy's summary for scripts (what `policy check` prints for people).
fn policy_json(compiled: &CompiledPolicy) -> serde_json::Value {
    let p = compiled.policy();
    let mut by_kind = serde_json::Map::new();
    for r in compiled.rules() {
        let n = by_kind
            .get(r.matcher.kind())
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        by_kind.insert(r.matcher.kind().to_string(), (n + 1).into());
    }
    serde_json::json!({
        "version": p.version,
        "mode": render::mode_name(p.mode),
        "rules_in_force": compiled.rules().len(),
        "own_rules": p.rules.len(),
        "catalog_rules": compiled.rules().len() - p.rules.len(),
        "rules_by_matcher": by_kind,
        "use_builtin_catalog": p.use_builtin_catalog,
        "include_catalogs": p.include_catalogs,
        "allow_entries": p.allow.len(),
        "protected_entries": p.protected.len(),
        "act_on_system_packages": p.act_on_system_packages,
        "ladder": p.enforcement,
        "expires": p.expires,
    })
}

fn exit_for(warnings: &[Warning], strict: bool) -> u8 {
    if strict && !warnings.is_empty() {
        3
    } else {
        0
    }
}

/// The feed and report settings of a configuration, in words (already checked by
/// `config_from_flat`).
fn settings_lines(flat: &serde_json::Map<String, serde_json::Value>) -> Vec<(String, String)> {
    let text = serde_json::Value::Object(flat.clone()).to_string();
    let Some(s) = veto_core::parse_managed_config(&text)
        .ok()
        .and_then(|cfg| veto_core::config::settings_from_config(&cfg).ok())
    else {
        return Vec::new();
    };
    let feed = match (&s.policy_url, &s.policy_public_key) {
        (Some(url), Some(key)) => {
            let id = veto_net::keys::parse_public_key(key, "policy_public_key")
                .map(|k| veto_net::keys::key_id(&k))
                .unwrap_or_default();
            format!("{url}, signed by key id {id}")
        }
        _ => "none (policy_url is empty: the configuration itself is the policy)".into(),
    };
    let reports = match &s.report_url {
        Some(url) => format!(
            "{url} ({}{})",
            if s.report_inventory {
                "violations and the full inventory"
            } else {
                "violations only"
            },
            if s.report_token.is_some() {
                ", with a token"
            } else {
                ", no token"
            }
        ),
        None => "none (report_url is empty)".into(),
    };
    vec![("feed".into(), feed), ("reports".into(), reports)]
}

pub(crate) fn policy_check(file: &Path, format: Format, strict: bool) -> Outcome {
    let text = read_text(file, "policy check:")?;
    let shown = file.display();
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{shown}: not valid JSON: {e}"))?;
    let mut settings = Vec::new();
    let (policy, mut warnings, kind) = match console::shape(&value) {
        console::Shape::Policy => {
            let p = Policy::from_json(&text).map_err(|e| format!("{shown}: {e}"))?;
            (p, Vec::new(), "policy document".to_string())
        }
        console::Shape::Config(flat, kind) => {
            settings = settings_lines(&flat);
            let (p, w) = config_from_flat(&shown.to_string(), flat)?;
            let kind = if kind == "managed-configuration export" {
                kind.to_string()
            } else {
                format!("managed configuration ({kind})")
            };
            (p, w, kind)
        }
        console::Shape::Neither(why) => return Err(format!("{shown}: {why}").into()),
    };
    let compiled = CompiledPolicy::new(policy);
    warnings.extend(lint(&compiled));
    match format {
        Format::Table => print!(
            "{}",
            render::policy_report(&shown.to_string(), &kind, &compiled, &settings, &warnings)
        ),
        Format::Json => {
            let out = serde_json::json!({
                "file": shown.to_string(),
                "kind": kind,
                "valid": true,
                "policy": policy_json(&compiled),
                "warnings": warnings,
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
    }
    Ok(exit_for(&warnings, strict))
}

pub(crate) fn policy_export(file: &Path, format: console::ExportAs) -> Outcome {
    let text = read_text(file, "policy export:")?;
    let shown = file.display();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        if let console::Shape::Config(_, kind) = console::shape(&value) {
            return Err(format!(
                "{shown}: this is already a managed configuration ({kind}); export takes a policy document (check a configuration with `veto policy check {shown}`)"
            )
            .into());
        }
    }
    let policy = Policy::from_json(&text).map_err(|e| format!("{shown}: {e}"))?;
    let flat = console::flat_config(&policy, &text);
    let json = serde_json::to_string_pretty(&console::export(flat, format))
        .map_err(|e| format!("cannot write JSON: {e}"))?;
    println!("{json}");
    Ok(0)
}

pub(crate) fn keygen(out: &Path) -> Outcome {
    if out.is_dir() {
        return Err(format!(
            "--out {}: is a folder; give the file to write the secret key to, e.g. --out {}",
            out.display(),
            out.join("feed.key").display()
        )
        .into());
    }
    let key = veto_net::keys::keygen(out).map_err(|e| e.message().to_string())?;
    println!("secret key:        {} (mode 0600; keep it offline, and back it up: devices refuse policies signed by any other key)", key.secret_key_path.display());
    println!("policy_public_key: {}", key.public_key);
    println!("key id:            {}", key.key_id);
    Ok(0)
}

/// The largest feed document a phone accepts (veto-net's body limit).
pub(crate) const PHONE_BODY_LIMIT: u64 = veto_net::http::DEFAULT_MAX_BODY;

pub(crate) fn check_body_limit(shown: &str, what: &str, len: usize) -> Result<(), Fail> {
    if len as u64 > PHONE_BODY_LIMIT {
        return Err(format!(
            "{shown}: {what} is {len} bytes; phones refuse feed documents over {PHONE_BODY_LIMIT} bytes (1 MiB) and keep their last good policy: use patterns, signers and the catalog instead of listing every package"
        )
        .into());
    }
    Ok(())
}

/// Lint warnings on standard error: not errors, but worth a look before rollout.
pub(crate) fn print_lint(policy: &Policy) {
    let compiled = CompiledPolicy::new(policy.clone());
    for w in lint(&compiled) {
        eprintln!("veto: warning: [{}] {}", w.code, w.message);
    }
}

pub(crate) fn policy_sign(key: &Path, file: &Path, out: Option<&Path>) -> Outcome {
    if key.is_dir() {
        return Err(format!("--key {}: is a directory, not a file", key.display()).into());
    }
    let secret = veto_net::keys::read_secret_key(key).map_err(|e| e.message().to_string())?;
    let text = read_text(file, "policy")?;
    let shown = file.display().to_string();
    let envelope = veto_net::feed::sign_policy(text.as_bytes(), &secret)
        .map_err(|e| format!("{shown}: {e}"))?;
    check_body_limit(&shown, "the signed envelope", envelope.len())?;
    if let Ok(policy) = Policy::from_json(&text) {
        print_lint(&policy);
    }
    match out {
        Some(path) => {
            veto_store::write_atomic(path, envelope.as_bytes())
                .map_err(|e| e.message().to_string())?;
            println!("signed {shown} into {}", path.display());
        }
        None => println!("{envelope}"),
    }
    Ok(0)
}

pub(crate) fn policy_verify(
    key: &str,
    file: &Path,
    at: Option<&str>,
    format: Format,
    strict: bool,
) -> Outcome {
    let now = parse_now(at)?;
    let shown = file.display().to_string();
    if file.is_dir() {
        return Err(format!("{shown}: is a directory, not a file").into());
    }
    if Path::new(key).is_file() || key.contains('.') {
        return Err(format!(
            "--key {key:?}: looks like a file name; --key takes the public key itself (the policy_public_key value `veto keygen` printed), e.g. --key Ks8cr/uG1IRk0O+chdwJ5Uyr2cbjrfrUN6TFeZ1Vybo="
        )
        .into());
    }
    let bytes = std::fs::read(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{shown}: no such file"),
        _ => format!("{shown}: cannot read: {e}"),
    })?;
    check_body_limit(&shown, "this envelope", bytes.len())?;
    let verified = veto_net::feed::verify_signed_policy(&bytes, key, Some(now))
        .map_err(|e| format!("{shown}: {}", e.message()))?;
    let p = &verified.policy;
    let compiled = CompiledPolicy::new(p.clone());
    let warnings = lint(&compiled);
    if let Format::Json = format {
        let out = serde_json::json!({
            "file": shown,
            "good_signature": true,
            "key_id": verified.key_id,
            "sha256": verified.sha256,
            "policy": policy_json(&compiled),
            "warnings": warnings,
        });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Ok(exit_for(&warnings, strict));
    }
    println!(
        "{shown}: good signature: policy version {} ({}, {} rules in force: {} own, {} from the catalog, {}), signed by key id {}, sha256 {}",
        p.version,
        render::mode_name(p.mode),
        compiled.rules().len(),
        p.rules.len(),
        compiled.rules().len() - p.rules.len(),
        p.expires.map_or("no expiry".to_string(), |e| format!("expires {e}")),
        verified.key_id,
        verified.sha256
    );
    for w in &warnings {
        eprintln!("veto: warning: [{}] {}", w.code, w.message);
    }
    Ok(exit_for(&warnings, strict))
}

/// `veto policy init`: a starting policy, valid and free of lint warnings.
pub(crate) fn policy_init(allowlist: bool, out: Option<&Path>) -> Outcome {
    let template = if allowlist {
        serde_json::json!({
            "version": 1,
            "mode": "allowlist",
            "use_builtin_catalog": true,
            "allow": [
                "com.microsoft.office.outlook",
                "com.microsoft.teams",
                {"pattern": "com.microsoft.*", "reason": "Microsoft 365 apps"}
            ],
            "rules": [],
            "enforcement": [
                {"action": "warn", "after_days": 0},
                {"action": "suspend", "after_days": 14},
                {"action": "uninstall", "after_days": 42}
            ]
        })
    } else {
        serde_json::json!({
            "version": 1,
            "mode": "denylist",
            "use_builtin_catalog": true,
            "rules": [
                {"id": "example-game", "package": "com.example.game", "reason": "Games are not allowed on work phones"}
            ],
            "allow": [],
            "enforcement": [
                {"action": "warn", "after_days": 0},
                {"action": "suspend", "after_days": 14},
                {"action": "uninstall", "after_days": 42}
            ]
        })
    };
    let text = format!(
        "{}\n",
        serde_json::to_string_pretty(&template).unwrap_or_default()
    );
    // The template must itself be a valid policy.
    Policy::from_json(&text).map_err(|e| format!("template: {e}"))?;
    match out {
        Some(path) => {
            if path.exists() {
                return Err(format!(
                    "--out {}: already exists; refusing to overwrite it",
                    path.display()
                )
                .into());
            }
            veto_store::write_atomic(path, text.as_bytes()).map_err(|e| e.message().to_string())?;
            println!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(0)
}

/// `veto key public FILE`: the public key (and its id) of a secret key file, for
/// `policy_public_key` when the output of `veto keygen` is lost.
pub(crate) fn key_public(file: &Path) -> Outcome {
    if file.is_dir() {
        return Err(format!("{}: is a folder, not a secret key file", file.display()).into());
    }
    let secret = veto_net::keys::read_secret_key(file).map_err(|e| e.message().to_string())?;
    let public = secret.verifying_key();
    println!(
        "policy_public_key: {}",
        veto_net::keys::encode_key(public.as_bytes())
    );
    println!("key id:            {}", veto_net::keys::key_id(&public));
    Ok(0)
}

/// A policy document or a configuration in any console's shape, as the policy it gives.
fn read_any_policy(file: &Path) -> Result<Policy, Fail> {
    let text = read_text(file, "policy diff:")?;
    let shown = file.display().to_string();
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{shown}: not valid JSON: {e}"))?;
    match console::shape(&value) {
        console::Shape::Policy => {
            Ok(Policy::from_json(&text).map_err(|e| format!("{shown}: {e}"))?)
        }
        console::Shape::Config(flat, _) => Ok(config_from_flat(&shown, flat)?.0),
        console::Shape::Neither(why) => Err(format!("{shown}: {why}").into()),
    }
}

/// `veto policy diff OLD NEW`: what a new policy changes, and whether phones will take it
/// (a changed policy needs a higher version; phones refuse the same version with other
/// content, and older versions).
pub(crate) fn policy_diff(old_file: &Path, new_file: &Path) -> Outcome {
    use std::fmt::Write as _;
    let old = read_any_policy(old_file)?;
    let new = read_any_policy(new_file)?;
    let mut out = String::new();
    let mut changes = 0;
    let mut line = |out: &mut String, text: String| {
        changes += 1;
        let _ = writeln!(out, "  {text}");
    };
    let matcher = |m: &veto_core::policy::Matcher| format!("{} {}", m.kind(), m.value());
    if old.mode != new.mode {
        line(
            &mut out,
            format!(
                "mode: {} -> {}",
                render::mode_name(old.mode),
                render::mode_name(new.mode)
            ),
        );
    }
    if old.use_builtin_catalog != new.use_builtin_catalog {
        line(
            &mut out,
            format!(
                "use_builtin_catalog: {} -> {}",
                old.use_builtin_catalog, new.use_builtin_catalog
            ),
        );
    }
    for c in new
        .include_catalogs
        .iter()
        .filter(|c| !old.include_catalogs.contains(c))
    {
        line(&mut out, format!("+ catalog section {c}"));
    }
    for c in old
        .include_catalogs
        .iter()
        .filter(|c| !new.include_catalogs.contains(c))
    {
        line(&mut out, format!("- catalog section {c}"));
    }
    for r in &new.rules {
        match old.rules.iter().find(|o| o.id == r.id) {
            None => line(
                &mut out,
                format!("+ rule {} [{}]: {}", r.id, matcher(&r.matcher), r.reason),
            ),
            Some(o) if o.matcher != r.matcher => line(
                &mut out,
                format!(
                    "~ rule {}: [{}] -> [{}]",
                    r.id,
                    matcher(&o.matcher),
                    matcher(&r.matcher)
                ),
            ),
            Some(o) if o.reason != r.reason || o.source != r.source => line(
                &mut out,
                format!("~ rule {}: reason or source changed", r.id),
            ),
            Some(_) => {}
        }
    }
    for o in old
        .rules
        .iter()
        .filter(|o| !new.rules.iter().any(|r| r.id == o.id))
    {
        line(
            &mut out,
            format!("- rule {} [{}]", o.id, matcher(&o.matcher)),
        );
    }
    for a in new
        .allow
        .iter()
        .filter(|a| !old.allow.iter().any(|o| o.matcher == a.matcher))
    {
        line(&mut out, format!("+ allow [{}]", matcher(&a.matcher)));
    }
    for o in old
        .allow
        .iter()
        .filter(|o| !new.allow.iter().any(|a| a.matcher == o.matcher))
    {
        line(&mut out, format!("- allow [{}]", matcher(&o.matcher)));
    }
    for p in new.protected.iter().filter(|p| !old.protected.contains(p)) {
        line(&mut out, format!("+ protected [{}]", matcher(p)));
    }
    for p in old.protected.iter().filter(|p| !new.protected.contains(p)) {
        line(&mut out, format!("- protected [{}]", matcher(p)));
    }
    if old.enforcement != new.enforcement {
        line(
            &mut out,
            format!(
                "ladder: {} -> {}",
                render::ladder_in_words(&old.enforcement),
                render::ladder_in_words(&new.enforcement)
            ),
        );
    }
    if old.act_on_system_packages != new.act_on_system_packages {
        line(
            &mut out,
            format!(
                "act_on_system_packages: {} -> {}",
                old.act_on_system_packages, new.act_on_system_packages
            ),
        );
    }
    if old.expires != new.expires {
        let show =
            |e: Option<veto_core::Timestamp>| e.map_or("never".to_string(), |t| t.to_string());
        line(
            &mut out,
            format!("expires: {} -> {}", show(old.expires), show(new.expires)),
        );
    }
    println!(
        "{} (version {}) -> {} (version {}): {}",
        old_file.display(),
        old.version,
        new_file.display(),
        new.version,
        match changes {
            0 => "no changes".to_string(),
            1 => "1 change".to_string(),
            n => format!("{n} changes"),
        }
    );
    print!("{out}");
    let (ok, verdict) = match (changes, new.version.cmp(&old.version)) {
        (_, std::cmp::Ordering::Less) => (false, format!("version {} is lower than {}: phones refuse it from the policy feed as a rollback; publish it as version {}", new.version, old.version, old.version + 1)),
        (0, _) => (true, "version: nothing to publish".to_string()),
        (_, std::cmp::Ordering::Equal) => (false, format!("version {} is unchanged but the content differs: phones refuse it from the policy feed; raise it to {}", new.version, old.version + 1)),
        (_, std::cmp::Ordering::Greater) => (true, format!("version: {} -> {}, phones will take it", old.version, new.version)),
    };
    println!("{verdict}");
    Ok(if ok { 0 } else { 1 })
}
