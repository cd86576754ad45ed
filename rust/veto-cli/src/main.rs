//! `veto`: the administrator's tool. Tries a policy against a work profile before rollout.
//!
//! Exit codes: 0 compliant / valid, 1 non-compliant (findings), 2 bad input or usage.
//! Every error is one line on stderr, `veto: <what is wrong, naming the file/key/path>`.

use veto_cli::adb;
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
    /// Generate an Ed25519 key pair for signing the policy feed.
    Keygen {
        /// Where to write the secret key (mode 0600; never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
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
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "adb",
        conflicts_with = "adb"
    )]
    inventory: Option<PathBuf>,
    /// Read the inventory from a phone connected over adb (its work profile).
    #[arg(long)]
    adb: bool,
    /// adb device serial (with --adb).
    #[arg(long, value_name = "S", requires = "adb")]
    serial: Option<String>,
    /// Android user id of the work profile (with --adb; default: the managed profile).
    #[arg(long, value_name = "N", requires = "adb")]
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
        Command::Policy(PolicyCommand::Sign { key, file, out }) => {
            policy_sign(&key, &file, out.as_deref())
        }
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
    String::from_utf8(bytes).map_err(|_| format!("{what} {shown}: not UTF-8 text").into())
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
        let policy = Policy::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(LoadedPolicy {
            policy,
            origin: format!("policy {}", path.display()),
            warnings: Vec::new(),
        });
    }
    if let Some(path) = &source.config {
        let text = read_text(path, "--config")?;
        let (policy, warnings) =
            config_policy(&text).map_err(|e| format!("{}: {e}", path.display()))?;
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
    let (inventory, origin, from_adb) = match &a.inventory {
        Some(path) => {
            let text = read_text(path, "--inventory")?;
            let inv =
                Inventory::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            (inv, path.display().to_string(), false)
        }
        None => {
            let target = adb::Target {
                serial: a.serial.as_deref(),
                user: a.user,
            };
            let (inv, user) = adb::inventory_from_device(&target)?;
            let device = a.serial.as_deref().unwrap_or("the connected phone");
            (inv, format!("adb: {device}, user {user}"), true)
        }
    };
    let compiled = CompiledPolicy::new(loaded.policy);
    let mut plan = evaluate(&inventory, &compiled, &state, &caps, now);
    let mut warnings = loaded.warnings;
    warnings.append(&mut plan.warnings);
    plan.warnings = warnings;
    match a.format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&plan)
                .map_err(|e| format!("cannot write the plan as JSON: {e}"))?;
            println!("{json}");
        }
        Format::Table => {
            let ctx = render::AuditContext {
                policy: compiled.policy(),
                rules_in_force: compiled.rules().len(),
                policy_origin: &loaded.origin,
                caps: &caps,
                caps_arg: &a.caps.capabilities,
                inventory_origin: &origin,
                packages: inventory.packages.len(),
                from_adb,
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

fn keygen(out: &Path) -> Outcome {
    let key = veto_net::keys::keygen(out).map_err(|e| e.message().to_string())?;
    println!("secret key:        {} (mode 0600; keep it offline, and back it up: devices refuse policies signed by any other key)", key.secret_key_path.display());
    println!("policy_public_key: {}", key.public_key);
    println!("key id:            {}", key.key_id);
    Ok(0)
}

fn policy_sign(key: &Path, file: &Path, out: Option<&Path>) -> Outcome {
    if key.is_dir() {
        return Err(format!("--key {}: is a directory, not a file", key.display()).into());
    }
    let secret = veto_net::keys::read_secret_key(key).map_err(|e| e.message().to_string())?;
    let text = read_text(file, "policy")?;
    let envelope = veto_net::feed::sign_policy(text.as_bytes(), &secret)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    match out {
        Some(path) => {
            veto_store::write_atomic(path, envelope.as_bytes())
                .map_err(|e| e.message().to_string())?;
            eprintln!("veto: signed {} into {}", file.display(), path.display());
        }
        None => println!("{envelope}"),
    }
    Ok(0)
}

fn policy_verify(key: &str, file: &Path, at: Option<&str>) -> Outcome {
    let now = parse_now(at)?;
    if file.is_dir() {
        return Err(format!("{}: is a directory, not a file", file.display()).into());
    }
    let bytes = std::fs::read(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{}: no such file", file.display()),
        _ => format!("{}: cannot read: {e}", file.display()),
    })?;
    let verified = veto_net::feed::verify_signed_policy(&bytes, key, Some(now))
        .map_err(|e| format!("{}: {}", file.display(), e.message()))?;
    println!("{}: good signature: {}", file.display(), verified.summary());
    Ok(0)
}

fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp::from_millis(ms)
}

/// Config keys Veto knows, for telling a config export from a policy document.
fn is_config_key(key: &str) -> bool {
    veto_core::config::KEYS.iter().any(|k| k.name == key)
}

fn policy_check(file: &Path) -> Outcome {
    let text = read_text(file, "policy check:")?;
    let shown = file.display();
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{shown}: not valid JSON: {e}"))?;
    let Some(obj) = value.as_object() else {
        return Err(format!(
            "{shown}: expected a JSON object (a policy document or a managed-configuration export)"
        )
        .into());
    };
    let (policy, mut warnings, kind) = if obj.contains_key("version") {
        let p = Policy::from_json(&text).map_err(|e| format!("{shown}: {e}"))?;
        (p, Vec::new(), "policy document")
    } else if obj.is_empty() || obj.keys().any(|k| is_config_key(k)) {
        let (p, w) = config_policy(&text).map_err(|e| format!("{shown}: {e}"))?;
        (p, w, "managed-configuration export")
    } else {
        return Err(format!(
            "{shown}: neither a policy document (no \"version\") nor a managed-configuration export (no key Veto knows, e.g. \"denied_packages\")"
        )
        .into());
    };
    let compiled = CompiledPolicy::new(policy);
    warnings.extend(compiled.lint().iter().cloned());
    print!(
        "{}",
        render::policy_report(&shown.to_string(), kind, &compiled, &warnings)
    );
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
