//! `veto`: the administrator's tool. Tries a policy against a work profile before rollout.
//!
//! Exit codes: 0 compliant / valid, 1 non-compliant (findings), 2 bad input or usage.
//! Every error is one line on stderr, `veto: <what is wrong, naming the file/key/path>`.

mod adb;
mod apk;
mod console;
mod provision;
mod render;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use veto_core::{
    evaluate, parse_managed_config, policy_from_config, Capabilities, CompiledPolicy, Inventory,
    Package, Policy, State, Timestamp, Warning,
};

/// Veto's administrator tool: try a policy against a work profile before rollout.
///
/// Exit codes: 0 compliant or valid, 1 non-compliant (findings), 2 bad input or usage.
#[derive(Parser)]
#[command(name = "veto", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the findings and planned actions for an inventory (never writes anything).
    Audit(AuditArgs),
    /// Work with policy documents.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Show which rules match a package, and why, and what the ladder would do.
    Explain(ExplainArgs),
    /// Set phones up with Veto as their device policy controller.
    #[command(subcommand)]
    Provision(ProvisionCommand),
    /// Generate an Ed25519 key pair for signing the policy feed.
    Keygen {
        /// Where to write the secret key (mode 0600; never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ProvisionCommand {
    /// Print the Android Enterprise QR-code provisioning payload (JSON) for Veto.
    Qr(provision::QrArgs),
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy document or a managed-configuration export and explain it.
    Check {
        /// A policy JSON document, or a managed-configuration export (flat key → value).
        file: PathBuf,
    },
    /// Sign a policy document for the feed (checks it first); prints the envelope.
    Sign {
        /// The secret key file written by `veto keygen`.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The policy JSON document; exactly these bytes are signed.
        file: PathBuf,
        /// Write the envelope to this file (atomically) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print a policy as a managed configuration ready to paste into an EMM console.
    Export {
        /// The console: amapi (Android Management API), intune (managedProperty), flat.
        #[arg(long = "as", value_enum, value_name = "CONSOLE")]
        format: console::ExportAs,
        /// The policy JSON document.
        file: PathBuf,
    },
    /// Verify a signed policy envelope as a device would, and summarise the policy.
    Verify {
        /// The feed's public key (base64 or hex), as set in policy_public_key.
        #[arg(long, value_name = "PUBLIC_KEY")]
        key: String,
        /// The signed envelope.
        file: PathBuf,
        /// Refuse an expired policy as of this time (RFC 3339; default: now).
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
    },
}

#[derive(Args)]
struct PolicySource {
    /// Policy JSON document (default: the built-in policy).
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    policy: Option<PathBuf>,
    /// Managed-configuration export: a flat JSON object of key → value.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct CapabilityArg {
    /// What Veto may do on the device: device-owner, profile-owner,
    /// affiliated-profile-owner, delegate:package-access[,block-uninstall], none.
    #[arg(long, value_name = "LIST", default_value = "profile-owner")]
    capabilities: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Args)]
struct AuditArgs {
    /// Inventory JSON of the work profile (docs/contract.md).
    #[arg(long, value_name = "FILE", conflicts_with = "adb")]
    inventory: Option<PathBuf>,
    /// Read the inventory from a phone connected over adb (its work profile).
    #[arg(long)]
    adb: bool,
    /// adb device serial (with --adb).
    #[arg(long, value_name = "S")]
    serial: Option<String>,
    /// Android user id to scan (with --adb; default: the work profile, the user of type
    /// profile.MANAGED that has a profile owner).
    #[arg(long, value_name = "N")]
    user: Option<u32>,
    #[command(flatten)]
    source: PolicySource,
    /// Veto state file (first-seen times, actions taken); read only.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    #[command(flatten)]
    caps: CapabilityArg,
    /// Output: a table for people, or the plan as JSON.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Evaluate as of this time (RFC 3339), e.g. to see the ladder 42 days on.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
}

#[derive(Args)]
struct ExplainArgs {
    /// The package name.
    package: String,
    #[command(flatten)]
    source: PolicySource,
    /// SHA-256 of a signing certificate of the app (repeatable).
    #[arg(long, value_name = "SHA256")]
    signer: Vec<String>,
    /// The package that installed the app.
    #[arg(long, value_name = "PKG")]
    installer: Option<String>,
    /// Treat it as a system package.
    #[arg(long)]
    system: bool,
    #[command(flatten)]
    caps: CapabilityArg,
}

/// Where an audit's inventory came from, as `veto audit --format json` names it.
#[derive(serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Source {
    /// `--inventory FILE`.
    File { file: String },
    /// `--adb`: the phone, the user scanned and how that user was chosen.
    Adb {
        serial: Option<String>,
        user: u32,
        user_name: Option<String>,
        user_type: Option<String>,
        profile_owner: Option<String>,
        chosen_by: adb::ChosenBy,
        why: String,
    },
}

/// `veto audit --format json`: the core's plan, then where its inventory came from.
#[derive(serde::Serialize)]
struct AuditJson<'a> {
    #[serde(flatten)]
    plan: &'a veto_core::Plan,
    source: &'a Source,
}

/// An error that ends the run with exit code 2.
struct Fail(String);

impl<T: Into<String>> From<T> for Fail {
    fn from(s: T) -> Self {
        Fail(s.into())
    }
}

type Outcome = Result<u8, Fail>;

fn main() -> ExitCode {
    // A bug must still end in one readable line, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        eprintln!("veto: internal error (a bug in veto, please report it): {what}");
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Audit(a) => audit(a),
        Command::Policy(PolicyCommand::Check { file }) => policy_check(&file),
        Command::Explain(e) => explain(e),
        Command::Keygen { out } => keygen(&out),
        Command::Provision(ProvisionCommand::Qr(q)) => provision_qr(&q),
        Command::Policy(PolicyCommand::Sign { key, file, out }) => {
            policy_sign(&key, &file, out.as_deref())
        }
        Command::Policy(PolicyCommand::Export { format, file }) => policy_export(&file, format),
        Command::Policy(PolicyCommand::Verify { key, file, now }) => {
            policy_verify(&key, &file, now.as_deref())
        }
    });
    match result {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(Fail(msg))) => {
            eprintln!("veto: {msg}");
            ExitCode::from(2)
        }
        // The panic hook already printed the one-line message.
        Err(_) => ExitCode::from(2),
    }
}

/// Reads a text file, with errors that name it and say what it should have been.
fn read_text(path: &Path, what: &str) -> Result<String, Fail> {
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
struct LoadedPolicy {
    policy: Policy,
    origin: String,
    warnings: Vec<Warning>,
}

fn load_policy(source: &PolicySource) -> Result<LoadedPolicy, Fail> {
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
fn read_config(path: &Path, text: &str) -> Result<(Policy, Vec<Warning>, &'static str), Fail> {
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
fn config_from_flat(
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
    Ok(mapped)
}

/// The core's lint, and allow entries that cancel rules outright (one warning per entry).
fn lint(compiled: &CompiledPolicy) -> Vec<Warning> {
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
            "allow_cancels_rule",
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

fn config_policy(text: &str) -> veto_core::Result<(Policy, Vec<Warning>)> {
    policy_from_config(&parse_managed_config(text)?)
}

fn capabilities(list: &str) -> Result<Capabilities, Fail> {
    Capabilities::from_cli_list(list).map_err(|e| {
        let why = e.message();
        Fail(format!(
            "--capabilities: {}",
            why.strip_prefix("capabilities: ").unwrap_or(why)
        ))
    })
}

fn audit(a: AuditArgs) -> Outcome {
    if a.inventory.is_none() && !a.adb {
        return Err("audit: give --inventory FILE (an inventory document) or --adb (read the work profile of a phone connected over adb)".into());
    }
    if a.inventory.is_some() {
        for (given, option) in [
            (a.serial.is_some(), "--serial"),
            (a.user.is_some(), "--user"),
        ] {
            if given {
                return Err(format!(
                    "{option} chooses the phone or user to read over adb, so it goes with --adb instead of --inventory (an inventory file is already one work profile)"
                )
                .into());
            }
        }
    }
    let caps = capabilities(&a.caps.capabilities)?;
    let now = parse_now(a.now.as_deref())?;
    let loaded = load_policy(&a.source)?;
    let state = match &a.state {
        Some(path) => {
            let text = read_text(path, "--state")?;
            State::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => State::new(),
    };
    let (inventory, origin, source) = match &a.inventory {
        Some(path) => {
            let text = read_text(path, "--inventory")?;
            let inv =
                Inventory::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let shown = path.display().to_string();
            (inv, shown.clone(), Source::File { file: shown })
        }
        None => {
            let target = adb::Target {
                serial: a.serial.as_deref(),
                user: a.user,
            };
            let (inv, scanned) = adb::inventory_from_device(&target)?;
            let device = a.serial.as_deref().unwrap_or("the connected phone");
            let name = scanned
                .name
                .as_ref()
                .map(|n| format!(" {n:?}"))
                .unwrap_or_default();
            (
                inv,
                format!("adb: {device}, user {}{name}", scanned.id),
                Source::Adb {
                    serial: a.serial.clone(),
                    user: scanned.id,
                    user_name: scanned.name.clone(),
                    user_type: scanned.user_type.clone(),
                    profile_owner: scanned.profile_owner.clone(),
                    chosen_by: scanned.chosen_by,
                    why: scanned.why.clone(),
                },
            )
        }
    };
    let compiled = CompiledPolicy::new(loaded.policy);
    let mut plan = evaluate(&inventory, &compiled, &state, &caps, now);
    let mut warnings = loaded.warnings;
    warnings.append(&mut plan.warnings);
    plan.warnings = warnings;
    match a.format {
        Format::Json => {
            let out = AuditJson {
                plan: &plan,
                source: &source,
            };
            let json = serde_json::to_string_pretty(&out)
                .map_err(|e| format!("cannot write the plan as JSON: {e}"))?;
            println!("{json}");
        }
        Format::Table => {
            let scanned = match &source {
                Source::Adb {
                    user,
                    chosen_by,
                    why,
                    ..
                } => Some((*user, *chosen_by, why.as_str())),
                Source::File { .. } => None,
            };
            let ctx = render::AuditContext {
                policy: compiled.policy(),
                rules_in_force: compiled.rules().len(),
                policy_origin: &loaded.origin,
                caps: &caps,
                caps_arg: &a.caps.capabilities,
                inventory_origin: &origin,
                packages: inventory.packages.len(),
                scanned,
            };
            print!("{}", render::audit_table(&ctx, &plan));
        }
    }
    Ok(if plan.compliant { 0 } else { 1 })
}

fn parse_now(arg: Option<&str>) -> Result<Timestamp, Fail> {
    match arg {
        Some(s) => Timestamp::parse_rfc3339(s).ok_or_else(|| {
            Fail(format!(
                "--now: expected an RFC 3339 time like 2026-11-22T16:00:00Z, found {s:?}"
            ))
        }),
        None => Ok(now()),
    }
}

fn provision_qr(args: &provision::QrArgs) -> Outcome {
    let payload = provision::qr_payload(args)?;
    let json = serde_json::to_string_pretty(&payload)
        .map_err(|e| format!("cannot write the payload as JSON: {e}"))?;
    println!("{json}");
    Ok(0)
}

fn keygen(out: &Path) -> Outcome {
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
const PHONE_BODY_LIMIT: u64 = veto_net::http::DEFAULT_MAX_BODY;

fn check_body_limit(shown: &str, what: &str, len: usize) -> Result<(), Fail> {
    if len as u64 > PHONE_BODY_LIMIT {
        return Err(format!(
            "{shown}: {what} is {len} bytes; phones refuse feed documents over {PHONE_BODY_LIMIT} bytes (1 MiB) and keep their last good policy: use patterns, signers and the catalog instead of listing every package"
        )
        .into());
    }
    Ok(())
}

/// Lint warnings on standard error: not errors, but worth a look before rollout.
fn print_lint(policy: &Policy) {
    let compiled = CompiledPolicy::new(policy.clone());
    for w in lint(&compiled) {
        eprintln!("veto: warning: [{}] {}", w.code, w.message);
    }
}

fn policy_sign(key: &Path, file: &Path, out: Option<&Path>) -> Outcome {
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

fn policy_verify(key: &str, file: &Path, at: Option<&str>) -> Outcome {
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
    print_lint(p);
    Ok(0)
}

fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp::from_millis(ms)
}

fn policy_check(file: &Path) -> Outcome {
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
    print!(
        "{}",
        render::policy_report(&shown.to_string(), &kind, &compiled, &warnings)
    );
    Ok(0)
}

fn policy_export(file: &Path, format: console::ExportAs) -> Outcome {
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

fn explain(e: ExplainArgs) -> Outcome {
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
