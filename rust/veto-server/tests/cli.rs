//! The command line: tokens (add, list, revoke), option errors that name the option, and
//! `serve` without TLS (the reverse-proxy mode) answering plain HTTP on loopback.

// Test and benchmark code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_veto-server"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn tokens_are_added_listed_and_revoked() {
    let db = test_db().await;
    let (ok, secret, err) = run(&[
        "token",
        "add",
        "--role",
        "viewer",
        "--unit",
        "noord",
        "--label",
        "ops",
        "--database",
        &db.url,
    ]);
    assert!(ok, "{err}");
    assert!(
        secret.trim().starts_with("veto_") && secret.trim().len() == 48,
        "{secret}"
    );
    let id = err.split_whitespace().nth(1).unwrap().to_string();
    assert!(
        err.contains("(viewer, unit noord) made; it is shown only now"),
        "{err}"
    );
    let (_, list, _) = run(&["token", "list", "--database", &db.url]);
    let line = list
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        line.contains("viewer")
            && line.contains("noord")
            && line.contains("active")
            && line.ends_with("ops"),
        "{line}"
    );
    assert!(
        !list.contains(secret.trim()),
        "the secret is never shown again"
    );
    let (ok, _, err) = run(&["token", "revoke", &id, "--database", &db.url]);
    assert!(ok, "{err}");
    let (_, list, _) = run(&["token", "list", "--database", &db.url]);
    assert!(
        list.lines()
            .any(|l| l.starts_with(&id) && l.contains("revoked")),
        "{list}"
    );
    let (ok, _, err) = run(&["token", "revoke", &id, "--database", &db.url]);
    assert!(!ok);
    assert_eq!(
        err.trim(),
        format!("veto-server: token {id}: no such active token")
    );
    let (ok, _, err) = run(&["token", "add", "--role", "ingest", "--database", &db.url]);
    assert!(!ok);
    assert!(
        err.contains("--unit: an ingest token needs a unit"),
        "{err}"
    );
}

#[test]
fn bad_options_are_named() {
    let (ok, _, err) = run(&["serve", "--stale-after", "2w"]);
    assert!(!ok);
    assert_eq!(
        err.trim(),
        "veto-server: --stale-after: unknown unit \"w\" in \"2w\" (use ms, s, m, h or d)"
    );
    let (_, _, err) = run(&["serve", "--tls-cert", "x.pem"]);
    assert_eq!(
        err.trim(),
        "veto-server: --tls-cert and --tls-key go together"
    );
    let (_, _, err) = run(&["serve", "--database", "mysql://x"]);
    assert_eq!(
        err.trim(),
        "veto-server: --database: expected a sqlite:// or postgres:// URL, found scheme \"mysql\""
    );
    let (_, _, err) = run(&["serve", "--colour", "red"]);
    assert!(
        err.starts_with("veto-server: --colour: unknown option here"),
        "{err}"
    );
    let (_, _, err) = run(&["serve", "--feed-public-key", "abc"]);
    assert_eq!(
        err.trim(),
        "veto-server: --feed-public-key: an Ed25519 key is 32 bytes, this one decodes to 2 bytes"
    );
    let (_, _, err) = run(&["launch"]);
    assert!(
        err.starts_with("veto-server: unknown command \"launch\""),
        "{err}"
    );
}

#[tokio::test]
async fn without_tls_it_serves_plain_http_for_a_reverse_proxy() {
    let db = test_db().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_veto-server"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db.url])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let answer = tokio::task::spawn_blocking(move || {
        let mut r = agent.get(&format!("http://{addr}/healthz")).call().unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    })
    .await
    .unwrap();
    assert_eq!(answer.0, 200);
    assert!(answer.1.contains("\"status\":\"ok\""), "{}", answer.1);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success(), "SIGTERM ends it cleanly");
}
