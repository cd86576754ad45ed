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

pub(crate) fn policy_check(file: &Path, format: Format, strict: bool) -> Outcome {
    let text = read_text(file, "policy check:")?;
    let shown = file.display();
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{shown}: not valid JSON: {e}"))?;
    let (policy, mut warnings, kind) = match console::shape(&value) {
        console::Shape::Policy => {
            let p = Policy::from_json(&text).map_err(|e| format!("{shown}: {e}"))?;
            (p, Vec::new(), "policy document".to_string())
        }
        console::Shape::Config(flat, kind) => {
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
            render::policy_report(&shown.to_string(), &kind, &compiled, &warnings)
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
