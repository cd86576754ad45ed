//! `veto`: the administrator's tool. Tries a policy against a work profile before rollout.
//!
//! Exit codes: 0 compliant / valid, 1 non-compliant (findings), 2 bad input or usage,
//! 3 warnings under `--strict`.
//! Every error is one line on stderr, `veto: <what is wrong, naming the file/key/path>`.

mod apk;
mod audit;
mod catalog_cmd;
mod console;
mod device;
mod explain;
mod input;
mod policy_cmd;
mod provision;
// The adb parsers live in the library half (src/lib.rs) so that the fuzz targets reach them.
use veto_cli::adb;
mod render;
mod simulate;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Veto's administrator tool: try a policy against a work profile before rollout.
///
/// Exit codes: 0 compliant or valid, 1 non-compliant (findings), 2 bad input or usage,
/// 3 warnings under --strict.
#[derive(Parser)]
#[command(name = "veto", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the findings and planned actions for an inventory (never writes anything).
    Audit(audit::AuditArgs),
    /// Work with policy documents.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Show which rules match a package, and why, and what the ladder would do.
    Explain(explain::ExplainArgs),
    /// The built-in catalog of barred apps.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Feed keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `veto man > veto.1`.
    Man,
    /// Set phones up with Veto as their device policy controller.
    #[command(subcommand)]
    Provision(ProvisionCommand),
    /// Generate an Ed25519 key pair for signing the policy feed.
    Keygen {
        /// Where to write the secret key (mode 0600; never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Run many simulated devices on this host (the agent's own code) and print the fleet's
    /// compliance per simulated day.
    Simulate(simulate::SimulateArgs),
    /// What a device with this state directory would enforce now, and why.
    Device(device::DeviceArgs),
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// List the catalog's sections and entries, with the source of each.
    List {
        /// Output: a list for people, or JSON.
        #[arg(long, value_enum, default_value = "table")]
        format: input::Format,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print the public key (policy_public_key) and key id of a secret key file.
    Public {
        /// The secret key file written by `veto keygen`.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum ProvisionCommand {
    /// Print the Android Enterprise QR-code provisioning payload (JSON) for Veto.
    Qr(provision::QrArgs),
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Print a starting policy document (warn, suspend after 14 days, uninstall after 42).
    Init {
        /// Only approved apps may stay.
        #[arg(long, conflicts_with = "denylist")]
        allowlist: bool,
        /// Everything may stay except what the rules and the catalog bar (the default).
        #[arg(long)]
        denylist: bool,
        /// Write it to this file (never overwritten) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Validate a policy document or a managed configuration (any console's shape) and
    /// explain it.
    Check {
        /// A policy JSON document, or a managed configuration (flat, Android Management
        /// API or Intune managedProperty).
        file: PathBuf,
        /// Output: a report for people, or JSON for scripts.
        #[arg(long, value_enum, default_value = "table")]
        format: input::Format,
        /// Warnings fail the check with exit code 3.
        #[arg(long)]
        strict: bool,
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
    /// What NEW changes from OLD (rules, allow, ladder, catalogs), and whether its version
    /// is raised as phones require.
    Diff {
        /// The policy in force (a document, or a configuration in any console's shape).
        old: PathBuf,
        /// The policy to publish.
        new: PathBuf,
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
        /// Refuse an expired policy as of this time (RFC 3339 or +42d; default: now).
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        now: Option<String>,
        /// Output: a line for people, or JSON for scripts.
        #[arg(long, value_enum, default_value = "table")]
        format: input::Format,
        /// Warnings fail the check with exit code 3.
        #[arg(long)]
        strict: bool,
    },
}

/// An error that ends the run with exit code 2.
struct Fail(String);

impl<T: Into<String>> From<T> for Fail {
    fn from(s: T) -> Self {
        Fail(s.into())
    }
}

type Outcome = Result<u8, Fail>;

/// The clap definition, with `--version` naming the catalog too (what a build bars depends
/// on it). Completions and the man page are generated from exactly this.
fn cli_command() -> clap::Command {
    let catalog = veto_core::catalog::Catalog::builtin();
    let version: &'static str = Box::leak(
        format!(
            "{} (built-in catalog version {}, updated {})",
            env!("CARGO_PKG_VERSION"),
            catalog.version,
            catalog.updated
        )
        .into_boxed_str(),
    );
    Cli::command().version(version)
}

fn completions(shell: clap_complete::Shell) -> Outcome {
    clap_complete::generate(shell, &mut cli_command(), "veto", &mut std::io::stdout());
    Ok(0)
}

fn man_page() -> Outcome {
    let mut out = Vec::new();
    let cmd = cli_command();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut out)
        .map_err(|e| format!("cannot write the man page: {e}"))?;
    // One page for the whole tool: every subcommand's section follows.
    for sub in cmd.get_subcommands() {
        render_sub(&mut out, sub, "veto")?;
    }
    use std::io::Write as _;
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| format!("cannot write the man page: {e}"))?;
    Ok(0)
}

fn render_sub(out: &mut Vec<u8>, cmd: &clap::Command, parent: &str) -> Result<(), Fail> {
    let name = format!("{parent} {}", cmd.get_name());
    if cmd.has_subcommands() {
        for sub in cmd.get_subcommands() {
            render_sub(out, sub, &name)?;
        }
        return Ok(());
    }
    // clap names are &'static str without its `string` feature; this runs once per command.
    let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
    let cmd = cmd.clone().name(leaked).bin_name(leaked);
    let man = clap_mangen::Man::new(cmd);
    let mut page = Vec::new();
    man.render_synopsis_section(&mut page)
        .and_then(|_| man.render_description_section(&mut page))
        .and_then(|_| man.render_options_section(&mut page))
        .map_err(|e| format!("cannot write the man page: {e}"))?;
    // Under the command's own section heading, its parts are subsections.
    let page = String::from_utf8_lossy(&page).replace(".SH ", ".SS ");
    out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
    out.extend_from_slice(page.as_bytes());
    Ok(())
}

fn main() -> ExitCode {
    // A bug must still end in one readable line, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        // `veto … | head` closes the pipe early: not a bug, and nothing left to say.
        if what.contains("Broken pipe") {
            return;
        }
        eprintln!("veto: internal error (a bug in veto, please report it): {what}");
    }));
    let parsed = cli_command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Audit(a) => audit::audit(a),
        Command::Policy(PolicyCommand::Check {
            file,
            format,
            strict,
        }) => policy_cmd::policy_check(&file, format, strict),
        Command::Explain(e) => explain::explain(e),
        Command::Simulate(s) => simulate::simulate(s),
        Command::Device(d) => device::device(d),
        Command::Keygen { out } => policy_cmd::keygen(&out),
        Command::Completions { shell } => completions(shell),
        Command::Man => man_page(),
        Command::Catalog(CatalogCommand::List { format }) => catalog_cmd::list(format),
        Command::Policy(PolicyCommand::Diff { old, new }) => policy_cmd::policy_diff(&old, &new),
        Command::Key(KeyCommand::Public { file }) => policy_cmd::key_public(&file),
        Command::Policy(PolicyCommand::Init { allowlist, out, .. }) => {
            policy_cmd::policy_init(allowlist, out.as_deref())
        }
        Command::Provision(ProvisionCommand::Qr(q)) => provision_qr(&q),
        Command::Policy(PolicyCommand::Sign { key, file, out }) => {
            policy_cmd::policy_sign(&key, &file, out.as_deref())
        }
        Command::Policy(PolicyCommand::Export { format, file }) => {
            policy_cmd::policy_export(&file, format)
        }
        Command::Policy(PolicyCommand::Verify {
            key,
            file,
            now,
            format,
            strict,
        }) => policy_cmd::policy_verify(&key, &file, now.as_deref(), format, strict),
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

fn provision_qr(args: &provision::QrArgs) -> Outcome {
    let payload = provision::qr_payload(args)?;
    let json = serde_json::to_string_pretty(&payload)
        .map_err(|e| format!("cannot write the payload as JSON: {e}"))?;
    println!("{json}");
    Ok(0)
}
