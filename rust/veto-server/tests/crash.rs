//! Crash safety: the server process is killed (SIGKILL) in the middle of a burst of
//! concurrent reports; after a restart, every report that was answered 2xx is stored.

// Test and benchmark code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_report_survives_a_kill() {
    let db = test_db().await;
    let certs = certs();
    let (ingest, viewer) = ingest_and_viewer_tokens(&db.url, "u");
    let ca = certs.ca_der.clone();
    let db_url = db.url.clone();
    let acked = tokio::task::spawn_blocking(move || {
        let server = Process::start(&db_url, &certs, &["--rate-limit", "100000"], 0);
        let acked = Arc::new(Mutex::new(HashSet::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let url = server.url("/v1/reports");
        let workers: Vec<_> = (0..8)
            .map(|w| {
                let (acked, stop, url, ingest, ca) = (
                    acked.clone(),
                    stop.clone(),
                    url.clone(),
                    ingest.clone(),
                    ca.clone(),
                );
                std::thread::spawn(move || {
                    let agent = https_agent(&ca);
                    let mut n = 0;
                    while !stop.load(Ordering::SeqCst) {
                        let id = format!("w{w}-r{n}");
                        let body =
                            report(&id, &format!("dev-{w}-{}", n % 50), T0 + n, vec![]).to_string();
                        n += 1;
                        match agent
                            .post(&url)
                            .header("Authorization", &format!("Bearer {ingest}"))
                            .header("Content-Type", "application/json")
                            .send(body.as_bytes())
                        {
                            Ok(r) if r.status().is_success() => {
                                acked.lock().unwrap().insert(id);
                            }
                            // The server is gone: stop.
                            _ => return,
                        }
                    }
                })
            })
            .collect();
        // Let the burst run, then kill the server without warning.
        let started = Instant::now();
        while acked.lock().unwrap().len() < 300 && started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(20));
        }
        server.kill();
        stop.store(true, Ordering::SeqCst);
        for w in workers {
            w.join().unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        assert!(
            acked.len() >= 300,
            "only {} reports were acknowledged before the kill",
            acked.len()
        );
        // Restart on the same database and ask it.
        let server = Process::start(&db_url, &certs, &[], 0);
        let agent = https_agent(&ca);
        let mut r = agent.get(&server.url("/healthz")).call().unwrap();
        assert_eq!(
            r.status(),
            200,
            "{}",
            r.body_mut().read_to_string().unwrap()
        );
        let mut r = agent
            .get(&server.url("/v1/summary"))
            .header("Authorization", &format!("Bearer {viewer}"))
            .call()
            .unwrap();
        let s: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        assert!(s["devices"].as_i64().unwrap() >= 50, "{s}");
        server.stop();
        acked
    })
    .await
    .unwrap();
    let state_db = veto_server::db::Db::open(&db.url).await.unwrap();
    let stored: HashSet<String> = sqlx::query_scalar::<_, String>("SELECT report_id FROM reports")
        .fetch_all(&state_db.pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let lost: Vec<&String> = acked.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged reports lost, e.g. {:?}",
        lost.len(),
        lost.iter().take(5).collect::<Vec<_>>()
    );
}
