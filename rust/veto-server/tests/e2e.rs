//! End to end: a simulated fleet reports through veto-net's real queue and HTTPS client
//! into a `veto-server` process over TLS; the server is killed and restarted in the
//! middle, and reports are delivered twice; the summary still matches the fleet's own
//! count exactly. A phone's feed sync (veto-net) accepts what the server hosts and gets
//! 304 the second time.

// Test and benchmark code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;
mod fleet;

use common::*;
use fleet::{Fleet, Generated, SimDevice};
use serde_json::Value;
use veto_core::Timestamp;

fn summary(agent: &ureq::Agent, p: &Process, viewer: &str) -> Value {
    let mut r = agent
        .get(&p.url("/v1/summary"))
        .header("Authorization", &format!("Bearer {viewer}"))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
}

fn assert_matches(s: &Value, e: &fleet::Expected) {
    assert_eq!(s["devices"], e.devices, "{s}");
    assert_eq!(s["non_compliant"], e.non_compliant, "{s}");
    assert_eq!(s["compliant"], e.devices - e.non_compliant, "{s}");
    let got: std::collections::BTreeMap<String, i64> = s["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["package"].as_str().unwrap().to_string(),
                p["devices"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, e.packages, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_reports_through_the_real_queue_across_a_restart_and_duplicates() {
    let db = test_db().await;
    let certs = certs();
    let (ingest, viewer) = ingest_and_viewer_tokens(&db.url, "amsterdam");
    let root = tempfile::tempdir().unwrap();
    let ca = certs.ca_der.clone();
    let db_url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let agent = https_agent(&ca);
        let net = fleet::net(&ca);
        let fleet = Generated {
            size: 40,
            prefix: "ams".into(),
        };
        let mut server = Process::start(&db_url, &certs, &[], 0);
        let url = server.url("/v1/reports");
        let mut devices: Vec<SimDevice> = fleet
            .device_ids()
            .iter()
            .map(|id| SimDevice::new(root.path(), id, &url, &ingest))
            .collect();
        let t = veto_server::clock::system_now();
        let at = |minutes: i64| Timestamp::from_millis(t + minutes * 60_000);

        // Round 0: everyone reports.
        for d in &devices {
            d.evaluate_and_queue(&fleet.inventory(&d.id, 0), at(0));
            assert_eq!(d.flush(at(0), &net), (1, 0));
        }
        assert_matches(&summary(&agent, &server, &viewer), &fleet.expected(0));

        // Round 1: half deliver, the server dies (SIGKILL), the rest fail and keep their
        // reports queued; a new server process on the same database takes over.
        for d in &devices {
            d.evaluate_and_queue(&fleet.inventory(&d.id, 1), at(10));
        }
        for d in &devices[..20] {
            assert_eq!(d.flush(at(10), &net), (1, 0));
        }
        server.kill();
        for d in &devices[20..] {
            assert_eq!(
                d.flush(at(10), &net),
                (0, 1),
                "the report stays queued while the server is down"
            );
        }
        server = Process::start(&db_url, &certs, &[], 0);
        let url = server.url("/v1/reports");
        for d in devices.iter_mut() {
            d.point_to(&url);
        }
        // Past the retry back-off.
        for d in &devices[20..] {
            assert_eq!(d.flush(at(10 + 7 * 60), &net), (1, 0));
        }
        assert_matches(&summary(&agent, &server, &viewer), &fleet.expected(1));

        // Round 2, with duplicate deliveries: a third of the devices "crash" after the
        // server's 2xx but before removing the report, so they send the same bytes again.
        let mut copies = Vec::new();
        for d in &devices {
            d.evaluate_and_queue(&fleet.inventory(&d.id, 2), at(20 + 7 * 60));
        }
        for (i, d) in devices.iter().enumerate() {
            if i % 3 == 0 {
                let saved = tempfile::tempdir().unwrap();
                for entry in std::fs::read_dir(d.queue_dir()).unwrap() {
                    let entry = entry.unwrap();
                    std::fs::copy(entry.path(), saved.path().join(entry.file_name())).unwrap();
                }
                copies.push((i, saved));
            }
            assert_eq!(d.flush(at(20 + 7 * 60), &net), (1, 0));
        }
        let duplicates_before = metric(&agent, &server, &viewer, "veto_reports_duplicate_total");
        for (i, saved) in &copies {
            for entry in std::fs::read_dir(saved.path()).unwrap() {
                let entry = entry.unwrap();
                std::fs::copy(
                    entry.path(),
                    devices[*i].queue_dir().join(entry.file_name()),
                )
                .unwrap();
            }
            assert_eq!(devices[*i].flush(at(21 + 7 * 60), &net), (1, 0));
        }
        let duplicates =
            metric(&agent, &server, &viewer, "veto_reports_duplicate_total") - duplicates_before;
        assert_eq!(duplicates, copies.len() as i64);
        assert_matches(&summary(&agent, &server, &viewer), &fleet.expected(2));
        // History: every device has exactly three reports, duplicates not among them.
        let mut r = agent
            .get(&server.url("/v1/devices/ams-00000"))
            .header("Authorization", &format!("Bearer {viewer}"))
            .call()
            .unwrap();
        let d: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(d["history"].as_array().unwrap().len(), 3);
        server.stop();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_accepts_the_hosted_feed_and_gets_304_next_time() {
    let db = test_db().await;
    let certs = certs();
    let admin = cli(&["token", "add", "--role", "admin"], &db.url)
        .trim()
        .to_string();
    let key = ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]);
    let public = veto_net::keys::encode_key(key.verifying_key().as_bytes());
    let ca = certs.ca_der.clone();
    let db_url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let server = Process::start(&db_url, &certs, &["--feed-public-key", &public], 0);
        let agent = https_agent(&ca);
        let envelope =
            veto_net::feed::sign_policy(br#"{"version": 4, "rules": []}"#, &key).unwrap();
        let r = agent
            .put(&server.url("/v1/feed"))
            .header("Authorization", &format!("Bearer {admin}"))
            .send(envelope.as_bytes())
            .unwrap();
        assert_eq!(r.status(), 200);
        let phone = tempfile::tempdir().unwrap();
        let settings = veto_core::config::Settings {
            policy_url: Some(server.url("/v1/feed/policy")),
            policy_public_key: Some(public.clone()),
            ..Default::default()
        };
        let net = fleet::net(&ca);
        let now = Timestamp::from_millis(veto_server::clock::system_now());
        let first = veto_net::feed::sync_policy(&settings, phone.path(), now, &net);
        assert!(
            matches!(
                first.result,
                Ok(veto_net::feed::Change::Updated { version: 4, .. })
            ),
            "{:?}",
            first.result
        );
        let second = veto_net::feed::sync_policy(&settings, phone.path(), now, &net);
        assert!(
            matches!(
                second.result,
                Ok(veto_net::feed::Change::NotModified { version: 4 })
            ),
            "{:?}",
            second.result
        );
    })
    .await
    .unwrap();
}
