//! `veto-server`: the command line. `serve` runs the collector, feed host and dashboard;
//! `token` manages bearer tokens; `prune` applies retention once; `dev-ca` makes a local CA
//! and certificate for trying HTTPS out. See docs/server.md.

use std::path::PathBuf;
use std::process::ExitCode;
use veto_server::clock::{parse_duration, Clock};
use veto_server::db::Db;
use veto_server::tokens::{self, Role};
use veto_server::{Config, Inner};

const USAGE: &str = "usage:
  veto-server serve [--listen ADDR] [--database URL] [--stale-after DURATION]
                    [--feed-public-key KEY] [--tls-cert FILE --tls-key FILE]
                    [--max-body BYTES] [--rate-limit N] [--retention DURATION] [--cookie-secure]
  veto-server token add --role ingest|viewer|admin [--unit NAME] [--label TEXT] [--database URL]
  veto-server token list [--database URL]
  veto-server token revoke ID [--database URL]
  veto-server prune [--retention DURATION] [--database URL]
  veto-server dev-ca --out DIR [--host NAME]...

--database defaults to $VETO_DATABASE_URL, else sqlite://veto-server.db.";

struct Args {
    words: Vec<String>,
    options: Vec<(String, Option<String>)>,
}

const FLAGS: &[&str] = &["--cookie-secure", "--help"];

fn parse(args: &[String]) -> Result<Args, String> {
    let mut words = Vec::new();
    let mut options = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if let Some(name) = a.strip_prefix("--") {
            if let Some((k, v)) = name.split_once('=') {
                options.push((format!("--{k}"), Some(v.to_string())));
            } else if FLAGS.contains(&a.as_str()) {
                options.push((a.clone(), None));
            } else {
                let value = args
                    .get(i + 1)
                    .ok_or_else(|| format!("{a}: needs a value"))?;
                options.push((a.clone(), Some(value.clone())));
                i += 1;
            }
        } else {
            words.push(a.clone());
        }
        i += 1;
    }
    Ok(Args { words, options })
}

impl Args {
    fn get(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.options
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.clone())
            .collect()
    }
    fn flag(&self, name: &str) -> bool {
        self.options.iter().any(|(k, _)| k == name)
    }
    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        for (k, _) in &self.options {
            if !allowed.contains(&k.as_str()) {
                return Err(format!(
                    "{k}: unknown option here (allowed: {})",
                    allowed.join(", ")
                ));
            }
        }
        Ok(())
    }
    fn database(&self) -> String {
        self.get("--database")
            .map(str::to_string)
            .or_else(|| {
                std::env::var("VETO_DATABASE_URL")
                    .ok()
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or_else(|| "sqlite://veto-server.db".to_string())
    }
}

fn serve_config(a: &Args) -> Result<Config, String> {
    a.only(&[
        "--listen",
        "--database",
        "--stale-after",
        "--feed-public-key",
        "--tls-cert",
        "--tls-key",
        "--max-body",
        "--rate-limit",
        "--retention",
        "--cookie-secure",
    ])?;
    let mut c = Config {
        database: a.database(),
        secure_cookies: a.flag("--cookie-secure"),
        ..Config::default()
    };
    if let Some(l) = a.get("--listen") {
        c.listen = l.parse().map_err(|_| {
            format!("--listen: expected an address such as 0.0.0.0:8443, found \"{l}\"")
        })?;
    }
    if let Some(d) = a.get("--stale-after") {
        c.stale_after_ms = parse_duration(d, "--stale-after")?;
    }
    if let Some(d) = a.get("--retention") {
        c.retention_ms = parse_duration(d, "--retention")?;
    }
    c.feed_public_key = a.get("--feed-public-key").map(str::to_string);
    c.tls = match (a.get("--tls-cert"), a.get("--tls-key")) {
        (Some(cert), Some(key)) => Some((PathBuf::from(cert), PathBuf::from(key))),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".to_string()),
    };
    if let Some(m) = a.get("--max-body") {
        c.max_body = m.parse().ok().filter(|n| *n >= 1024).ok_or_else(|| {
            format!("--max-body: expected a number of bytes (at least 1024), found \"{m}\"")
        })?;
    }
    if let Some(r) = a.get("--rate-limit") {
        let n: f64 = r.parse().ok().filter(|n: &f64| *n >= 1.0).ok_or_else(|| {
            format!(
                "--rate-limit: expected requests per second per token (at least 1), found \"{r}\""
            )
        })?;
        c.rate_per_sec = n;
        c.rate_burst = n * 2.0;
    }
    Ok(c)
}

async fn run(args: Vec<String>) -> Result<(), String> {
    let a = parse(&args)?;
    let words: Vec<&str> = a.words.iter().map(String::as_str).collect();
    if a.flag("--help") {
        println!("{USAGE}");
        return Ok(());
    }
    match words.as_slice() {
        ["serve"] => {
            let config = serve_config(&a)?;
            let tls = config.tls.is_some();
            let database = veto_server::db::redact(&config.database);
            let state = Inner::start(config, Clock::system()).await?;
            veto_server::serve(state, |addr| {
                let scheme = if tls { "https" } else { "http" };
                eprintln!("veto-server: listening on {scheme}://{addr} (database {database})");
            })
            .await
        }
        ["token", "add"] => {
            a.only(&["--role", "--unit", "--label", "--database"])?;
            let role = Role::parse(
                a.get("--role")
                    .ok_or("--role: required (ingest, viewer or admin)")?,
            )?;
            let db = Db::open(&a.database()).await?;
            let (id, secret) = tokens::add(
                &db,
                role,
                a.get("--unit"),
                a.get("--label"),
                veto_server::clock::system_now(),
            )
            .await?;
            eprintln!(
                "token {id} ({}{}) made; it is shown only now:",
                role.name(),
                a.get("--unit")
                    .map(|u| format!(", unit {u}"))
                    .unwrap_or_default()
            );
            println!("{secret}");
            Ok(())
        }
        ["token", "list"] => {
            a.only(&["--database"])?;
            let db = Db::open(&a.database()).await?;
            println!(
                "{:<16} {:<7} {:<20} {:<20} {:<10} label",
                "id", "role", "unit", "created", "state"
            );
            for t in tokens::list(&db).await? {
                println!(
                    "{:<16} {:<7} {:<20} {:<20} {:<10} {}",
                    t.id,
                    t.role.name(),
                    t.unit.as_deref().unwrap_or("(all)"),
                    veto_server::clock::rfc3339(t.created_at),
                    if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    },
                    t.label.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
        ["token", "revoke", id] => {
            a.only(&["--database"])?;
            let db = Db::open(&a.database()).await?;
            tokens::revoke(&db, id, veto_server::clock::system_now()).await?;
            eprintln!("token {id} revoked (and its dashboard sessions ended)");
            Ok(())
        }
        ["prune"] => {
            a.only(&["--retention", "--database"])?;
            let retention = match a.get("--retention") {
                Some(d) => parse_duration(d, "--retention")?,
                None => Config::default().retention_ms,
            };
            let db = Db::open(&a.database()).await?;
            let p = veto_server::retention::prune(&db, veto_server::clock::system_now(), retention)
                .await
                .map_err(|e| format!("database: {e}"))?;
            println!(
                "deleted {} reports, {} device days, {} sessions",
                p.reports, p.device_days, p.sessions
            );
            Ok(())
        }
        ["dev-ca"] => {
            a.only(&["--out", "--host"])?;
            let out = PathBuf::from(a.get("--out").ok_or("--out: required (a directory)")?);
            let mut hosts = a.all("--host");
            if hosts.is_empty() {
                hosts = vec!["localhost".to_string(), "127.0.0.1".to_string()];
            }
            veto_server::tls::dev_ca(&out, &hosts)?;
            eprintln!(
                "wrote {0}/ca.pem (install on test devices), {0}/server.pem and {0}/server.key for {1}",
                out.display(),
                hosts.join(", ")
            );
            Ok(())
        }
        _ => Err(format!("unknown command \"{}\"\n{USAGE}", words.join(" "))),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("veto-server: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("veto-server: {e}");
            ExitCode::from(2)
        }
    }
}
