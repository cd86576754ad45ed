//! `veto explain PACKAGE`: which rules match a package and why, and what would happen.

use crate::input::*;
use crate::render;
use crate::Outcome;
use clap::Args;
use veto_core::{evaluate, CompiledPolicy, Inventory, Package, State};

#[derive(Args)]
pub(crate) struct ExplainArgs {
    /// The package name.
    pub(crate) package: String,
    #[command(flatten)]
    pub(crate) source: PolicySource,
    /// SHA-256 of a signing certificate of the app (repeatable).
    #[arg(long, value_name = "SHA256")]
    pub(crate) signer: Vec<String>,
    /// The package that installed the app.
    #[arg(long, value_name = "PKG")]
    pub(crate) installer: Option<String>,
    /// Treat it as a system package.
    #[arg(long)]
    pub(crate) system: bool,
    #[command(flatten)]
    pub(crate) caps: CapabilityArg,
    /// Output: a report for people, or JSON for scripts.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: Format,
}

pub(crate) fn explain(e: ExplainArgs) -> Outcome {
    let caps = capabilities(&e.caps.capabilities)?;
    let loaded = load_policy(&e.source)?;
    let mut pkg = Package::named(&e.package);
    pkg.system = e.system;
    pkg.installer = e.installer.clone();
    for (i, s) in e.signer.iter().enumerate() {
        pkg.signing_sha256.push(
            veto_core::CertDigest::parse(s).map_err(|why| format!("--signer #{}: {why}", i + 1))?,
        );
    }
    // Validate through the same checks an inventory gets, so names are judged alike.
    let inventory_json = serde_json::json!({"packages": [pkg]}).to_string();
    let inventory = Inventory::from_json(&inventory_json).map_err(|err| {
        let why = err.message();
        let why = why
            .strip_prefix("inventory: packages[0].package: ")
            .unwrap_or(why);
        format!("PACKAGE {:?}: {why}", e.package)
    })?;
    let compiled = CompiledPolicy::new(loaded.policy);
    let at = now();
    let plan = evaluate(&inventory, &compiled, &State::new(), &caps, at);
    let pkg = &inventory.packages[0];
    match e.format {
        Format::Table => print!(
            "{}",
            render::explain(pkg, &compiled, &loaded.origin, &caps, &plan)
        ),
        Format::Json => {
            let rules: Vec<serde_json::Value> = compiled
                .matching_rules(pkg)
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "matcher": r.matcher.kind(), "value": r.matcher.value(),
                        "reason": r.reason, "source": r.source,
                    })
                })
                .collect();
            let allowed = compiled.allowed_by(pkg).map(|a| {
                serde_json::json!({"matcher": a.matcher.kind(), "value": a.matcher.value(), "reason": a.reason})
            });
            let out = serde_json::json!({
                "package": pkg.package,
                "policy": loaded.origin,
                "matching_rules": rules,
                "allowed_by": allowed,
                "protected": render::protection(pkg, &compiled),
                "verdict": render::verdict(pkg, &compiled, &plan),
                "finding": plan.finding(&pkg.package),
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
    }
    Ok(if plan.compliant { 0 } else { 1 })
}
