//! Test support: a fresh database per test (SQLite by default; PostgreSQL when
//! `VETO_TEST_POSTGRES` names a server, e.g. `postgres://veto@127.0.0.1:55432/postgres`, as
//! scripts/server/postgres.sh prints), in-process requests, report documents, and a
//! spawned `veto-server` process for the end-to-end and crash tests.

// Test and benchmark code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use sqlx::Connection;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use tower::ServiceExt;
use veto_server::clock::Clock;
use veto_server::{AppState, Config, Inner};

/// 2026-11-22T16:00:00Z.
pub const T0: i64 = 1_795_363_200_000;
pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 86_400_000;

pub struct TestDb {
    pub url: String,
    _dir: tempfile::TempDir,
}

/// A new, empty database for one test.
pub async fn test_db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = match std::env::var("VETO_TEST_POSTGRES") {
        Ok(admin) if !admin.is_empty() => {
            sqlx::any::install_default_drivers();
            let random = veto_server::tokens::random_bytes::<10>();
            let name = format!(
                "veto_t_{}",
                veto_server::tokens::sha256_hex(&veto_server::tokens::b64url(&random))[..20]
                    .to_owned()
            );
            let mut conn = sqlx::AnyConnection::connect(&admin)
                .await
                .expect("connect to VETO_TEST_POSTGRES");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
            let base = admin.rsplit_once('/').unwrap().0;
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", dir.path().join("veto.db").display()),
    };
    TestDb { url, _dir: dir }
}

pub fn is_postgres() -> bool {
    std::env::var("VETO_TEST_POSTGRES").is_ok_and(|s| !s.is_empty())
}

pub struct App {
    pub state: AppState,
    pub router: Router,
    pub clock: Clock,
    pub db: TestDb,
}

pub async fn app_with(config: impl FnOnce(&mut Config)) -> App {
    let db = test_db().await;
    let mut c = Config {
        database: db.url.clone(),
        ..Config::default()
    };
    config(&mut c);
    let clock = Clock::fixed(T0);
    let state = Inner::start(c, clock.clone()).await.unwrap();
    let router = veto_server::app(state.clone());
    App {
        state,
        router,
        clock,
        db,
    }
}

pub async fn app() -> App {
    app_with(|_| {}).await
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or("").to_string()
    }
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

impl App {
    pub async fn token(&self, role: &str, unit: Option<&str>) -> String {
        let role = veto_server::tokens::Role::parse(role).unwrap();
        veto_server::tokens::add(&self.state.db, role, unit, None, T0)
            .await
            .unwrap()
            .1
    }

    pub async fn request(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Answer {
        let mut r = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let response = self
            .router
            .clone()
            .oneshot(r.body(body.into()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, uri: &str, token: &str) -> Answer {
        self.request("GET", uri, Some(token), &[], Body::empty())
            .await
    }

    pub async fn post_report(&self, token: &str, report: &Value) -> Answer {
        self.request(
            "POST",
            "/v1/reports",
            Some(token),
            &[("content-type", "application/json")],
            report.to_string(),
        )
        .await
    }
}

pub fn rfc(ms: i64) -> String {
    veto_server::clock::rfc3339(ms)
}

/// A finding: package, status, actions in effect, deadline.
pub fn finding(package: &str, status: &str, in_effect: &[&str], deadline: i64) -> Value {
    json!({
        "package": package, "label": null, "rules": ["r"], "step": "suspend", "action": null,
        "status": status, "in_effect": in_effect, "first_seen": rfc(T0 - 10 * DAY),
        "deadline": rfc(deadline), "degraded": false
    })
}

/// A `veto-report/1` document.
pub fn report(report_id: &str, device: &str, evaluated_at: i64, findings: Vec<Value>) -> Value {
    json!({
        "format": "veto-report/1",
        "report_id": report_id,
        "device_id": device,
        "veto_version": "0.1.0",
        "created_at": rfc(evaluated_at + 5_000),
        "evaluated_at": rfc(evaluated_at),
        "policy": {"version": 7, "mode": "denylist", "expires": null},
        "compliant": findings.is_empty(),
        "counts": {"findings": findings.len(), "due": 0, "enforced": 0, "failed": 0, "reported": 0, "reversals": 0, "warnings": 0},
        "findings": findings,
        "reversals": [],
        "warnings": [],
        "feed": null,
        "dropped_reports": 0
    })
}

/// A CA and a server certificate for 127.0.0.1 made by `veto-server dev-ca`.
pub struct Certs {
    pub dir: tempfile::TempDir,
    pub ca_der: Vec<u8>,
}

pub fn certs() -> Certs {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tls");
    let status = Command::new(env!("CARGO_BIN_EXE_veto-server"))
        .args([
            "dev-ca",
            "--out",
            out.to_str().unwrap(),
            "--host",
            "127.0.0.1",
            "--host",
            "localhost",
        ])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    use rustls::pki_types::pem::PemObject;
    let ca_der = rustls::pki_types::CertificateDer::from_pem_file(out.join("ca.pem"))
        .unwrap()
        .to_vec();
    Certs { dir, ca_der }
}

impl Certs {
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("tls/server.pem")
    }
    pub fn key(&self) -> PathBuf {
        self.dir.path().join("tls/server.key")
    }
}

/// A new ingest token for `unit` and a new organisation-wide viewer token, made with
/// `veto-server token add` as an administrator would.
pub fn ingest_and_viewer_tokens(database: &str, unit: &str) -> (String, String) {
    let ingest = cli(
        &["token", "add", "--role", "ingest", "--unit", unit],
        database,
    )
    .trim()
    .to_string();
    let viewer = cli(&["token", "add", "--role", "viewer"], database)
        .trim()
        .to_string();
    (ingest, viewer)
}

/// Runs a `veto-server` subcommand and returns its stdout.
pub fn cli(args: &[&str], database: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_veto-server"))
        .args(args)
        .args(["--database", database])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A `veto-server serve` process on a loopback port.
pub struct Process {
    pub child: Child,
    pub port: u16,
}

impl Process {
    pub fn start(database: &str, certs: &Certs, extra: &[&str], port: u16) -> Process {
        let listen = format!("127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_veto-server"))
            .args(["serve", "--listen", &listen, "--database", database])
            .args([
                "--tls-cert",
                certs.cert().to_str().unwrap(),
                "--tls-key",
                certs.key().to_str().unwrap(),
            ])
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let first = lines.next().unwrap().unwrap();
        let addr = first
            .split("https://")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .unwrap_or_else(|| panic!("unexpected first line: {first}"));
        let port = addr.rsplit(':').next().unwrap().parse().unwrap();
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Process { child, port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then wait.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.child.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn https_agent(ca_der: &[u8]) -> ureq::Agent {
    use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::from(vec![
            Certificate::from_der(ca_der).to_owned()
        ]))
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(tls)
        .build()
        .new_agent()
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A counter from `GET /metrics`.
pub fn metric(agent: &ureq::Agent, p: &Process, token: &str, name: &str) -> i64 {
    let mut r = agent
        .get(&p.url("/metrics"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let text = r.body_mut().read_to_string().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} not in {text}"))
        .parse()
        .unwrap()
}
