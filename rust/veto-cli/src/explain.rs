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
    print!(
        "{}",
        render::explain(
            &inventory.packages[0],
            &compiled,
            &loaded.origin,
            &caps,
            &plan
        )
    );
    Ok(if plan.compliant { 0 } else { 1 })
}
