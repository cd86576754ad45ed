//! The organisation's proxy: the feed fetch and the report flush tunnel through an HTTP
//! `CONNECT` proxy (here a small one on loopback that the test starts), TLS still running end
//! to end with the server; a host on the exclusion list is reached directly.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Reply, TestServer};
use ed25519_dalek::SigningKey;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use veto_core::config::Settings;
use veto_core::time::Timestamp;
use veto_core::{evaluate, Capabilities, CompiledPolicy, Inventory, Policy, State};
use veto_net::feed::{sign_policy, sync_policy, Change};
use veto_net::http::Proxy;
use veto_net::keys::encode_key;
use veto_net::reporting::{flush_reports, queue_report};

/// 2026-11-22T16:00:00Z
const NOW: i64 = 1_795_363_200_000;

/// A one-purpose HTTP CONNECT proxy: logs each CONNECT target, connects to it, answers 200
/// and relays bytes both ways until either side closes. Every thread it starts is joined
/// when it is dropped (connections are bounded by the test, and shut down on drop).
struct ConnectProxy {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ConnectProxy {
    fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (thread_seen, thread_stop) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut tunnels = Vec::new();
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while !thread_stop.load(std::sync::atomic::Ordering::SeqCst)
                && std::time::Instant::now() < deadline
            {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let seen = thread_seen.clone();
                        tunnels.push(std::thread::spawn(move || tunnel(client, &seen)));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            for t in tunnels {
                let _ = t.join();
            }
        });
        ConnectProxy {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn tunnel(client: TcpStream, seen: &Mutex<Vec<String>>) {
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Skip the headers up to the blank line.
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = request_line.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        let _ = (&client).write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n");
        return;
    };
    seen.lock().unwrap().push(target.to_string());
    let Ok(upstream) = TcpStream::connect(target) else {
        let _ = (&client).write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
        return;
    };
    (&client)
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .unwrap();
    upstream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Bytes the reader buffered past the headers belong to the tunnel.
    let buffered = reader.buffer().to_vec();
    (&upstream).write_all(&buffered).unwrap();
    let (mut from_client, mut to_upstream) = (reader, upstream.try_clone().unwrap());
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_upstream);
        let _ = to_upstream.shutdown(Shutdown::Write);
    });
    let (mut from_upstream, mut to_client) = (upstream, client);
    let _ = std::io::copy(&mut from_upstream, &mut to_client);
    let _ = to_client.shutdown(Shutdown::Both);
    let _ = up.join();
}

fn proxied(server: &TestServer, proxy: &ConnectProxy, exclude: &[&str]) -> veto_net::Net {
    let exclude: Vec<String> = exclude.iter().map(|s| format!("\"{s}\"")).collect();
    let json = format!(
        r#"{{"url": "{}", "exclude": [{}]}}"#,
        proxy.url(),
        exclude.join(",")
    );
    veto_net::Net {
        proxy: Proxy::from_json(&json).unwrap(),
        ..server.net()
    }
}

fn feed_settings(url: &str) -> Settings {
    let key = SigningKey::from_bytes(&[3; 32]);
    Settings {
        policy_url: Some(url.to_string()),
        policy_public_key: Some(encode_key(key.verifying_key().as_bytes())),
        ..Settings::default()
    }
}

fn signed_policy() -> Vec<u8> {
    let key = SigningKey::from_bytes(&[3; 32]);
    let policy = r#"{"version": 4, "rules": [{"id": "tiktok", "package": "com.zhiliaoapp.musically", "reason": "Barred"}]}"#;
    sign_policy(policy.as_bytes(), &key).unwrap().into_bytes()
}

fn queue_one(dir: &std::path::Path, url: &str) {
    let inventory =
        Inventory::from_json(r#"{"packages":[{"package":"com.zhiliaoapp.musically"}]}"#).unwrap();
    let plan = evaluate(
        &inventory,
        &CompiledPolicy::new(Policy::builtin()),
        &State::new(),
        &Capabilities::from_cli_list("profile-owner").unwrap(),
        Timestamp::from_millis(NOW),
    );
    let settings = Settings {
        report_url: Some(url.to_string()),
        ..Settings::default()
    };
    queue_report(
        &plan,
        &inventory,
        &settings,
        None,
        dir,
        Timestamp::from_millis(NOW),
    )
    .unwrap()
    .unwrap();
}

#[test]
fn the_feed_and_the_reports_go_through_the_proxy() {
    let body = signed_policy();
    let server = TestServer::start(move |request| {
        if request.method == "GET" {
            Reply::ok(body.clone())
        } else {
            Reply::status(202)
        }
    });
    let proxy = ConnectProxy::start();
    let net = proxied(&server, &proxy, &["localhost", "*.corp.example"]);
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::from_millis(NOW);

    let synced = sync_policy(
        &feed_settings(&server.url("/policy")),
        dir.path(),
        now,
        &net,
    );
    assert_eq!(
        synced.result.unwrap(),
        Change::Updated {
            previous: None,
            version: 4
        }
    );
    let target = format!("127.0.0.1:{}", server.port);
    assert_eq!(
        proxy.seen(),
        std::slice::from_ref(&target),
        "the feed fetch tunnelled"
    );

    queue_one(dir.path(), &server.url("/reports"));
    let settings = Settings {
        report_url: Some(server.url("/reports")),
        ..Settings::default()
    };
    let summary = flush_reports(&settings, dir.path(), now, &net).unwrap();
    assert_eq!(summary.sent.len(), 1, "{summary:?}");
    assert_eq!(
        proxy.seen(),
        [target.clone(), target],
        "the report tunnelled"
    );
    let methods: Vec<String> = server.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["GET", "POST"], "the server got both, end to end");
}

#[test]
fn an_excluded_host_is_reached_directly() {
    let body = signed_policy();
    let server = TestServer::start(move |_| Reply::ok(body.clone()));
    let proxy = ConnectProxy::start();
    let net = proxied(&server, &proxy, &["*.corp.example", "127.0.0.*"]);
    let dir = tempfile::tempdir().unwrap();
    let synced = sync_policy(
        &feed_settings(&server.url("/policy")),
        dir.path(),
        Timestamp::from_millis(NOW),
        &net,
    );
    assert!(synced.result.is_ok(), "{:?}", synced.result);
    assert!(proxy.seen().is_empty(), "bypassed: {:?}", proxy.seen());
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_proxy_that_is_down_is_a_feed_error_naming_the_request() {
    let server = TestServer::start(|_| Reply::status(500));
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let net = veto_net::Net {
        proxy: Proxy::from_json(&format!(r#"{{"url": "http://127.0.0.1:{closed}"}}"#)).unwrap(),
        ..server.net()
    };
    let dir = tempfile::tempdir().unwrap();
    let synced = sync_policy(
        &feed_settings(&server.url("/policy")),
        dir.path(),
        Timestamp::from_millis(NOW),
        &net,
    );
    let error = synced.result.unwrap_err();
    assert_eq!(error.kind(), veto_core::ErrorKind::Feed);
    let via = format!("(via proxy http://127.0.0.1:{closed}): connection failed");
    assert!(
        error.message().contains(&format!("/policy {via}")),
        "{error}"
    );
    assert!(server.requests().is_empty(), "nothing reached the server");
}
