//! The API against a real database (SQLite, or PostgreSQL with VETO_TEST_POSTGRES): status
//! codes, duplicates, current state, filters, CSV, history, census, feed, metrics,
//! retention, tokens and units.

// Test and benchmark code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use axum::body::Body;
use common::*;
use serde_json::{json, Value};

const TIKTOK: &str = "com.zhiliaoapp.musically";
const CAPCUT: &str = "com.lemon.lvoverseas";

#[tokio::test]
async fn reports_make_the_summary() {
    let app = app().await;
    let ingest = app.token("ingest", Some("north")).await;
    let viewer = app.token("viewer", None).await;
    let past = T0 - DAY;
    let future = T0 + 10 * DAY;
    for (id, device, findings) in [
        ("r1", "d1", vec![]),
        (
            "r2",
            "d2",
            vec![finding(TIKTOK, "enforced", &["warn", "suspend"], past)],
        ),
        (
            "r3",
            "d3",
            vec![
                finding(TIKTOK, "due", &["warn"], future),
                finding(CAPCUT, "failed", &["warn"], past),
            ],
        ),
    ] {
        let a = app
            .post_report(&ingest, &report(id, device, T0 - HOUR, findings))
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
        assert_eq!(a.json()["status"], "accepted");
    }
    let s = app.get("/v1/summary", &viewer).await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(
        s.json(),
        json!({"devices": 3, "compliant": 1, "non_compliant": 2, "stale": 0, "past_deadline": 2,
               "packages": [{"package": TIKTOK, "devices": 2, "past_deadline": 1},
                            {"package": CAPCUT, "devices": 1, "past_deadline": 1}]})
    );
    // A day and more later without reports, every device is stale (default 24 h).
    app.clock.set(T0 + 25 * HOUR);
    assert_eq!(app.get("/v1/summary", &viewer).await.json()["stale"], 3);
}

#[tokio::test]
async fn duplicates_are_accepted_and_counted_once() {
    let app = app().await;
    let ingest = app.token("ingest", Some("north")).await;
    let viewer = app.token("viewer", None).await;
    let r = report(
        "same-id",
        "d1",
        T0,
        vec![finding(TIKTOK, "due", &[], T0 + DAY)],
    );
    assert_eq!(app.post_report(&ingest, &r).await.status, 201);
    let again = app.post_report(&ingest, &r).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["status"], "duplicate");
    let s = app.get("/v1/summary", &viewer).await.json();
    assert_eq!(s["devices"], 1);
    assert_eq!(s["packages"][0]["devices"], 1);
    let d = app.get("/v1/devices/d1", &viewer).await.json();
    assert_eq!(d["history"].as_array().unwrap().len(), 1);
    let m = app.get("/metrics", &viewer).await.body;
    assert!(m.contains("veto_reports_accepted_total 1\n"), "{m}");
    assert!(m.contains("veto_reports_duplicate_total 1\n"), "{m}");
}

#[tokio::test]
async fn the_latest_evaluation_is_current_and_late_reports_go_to_history() {
    let app = app().await;
    let ingest = app.token("ingest", Some("north")).await;
    let viewer = app.token("viewer", None).await;
    let newer = report("new", "d1", T0, vec![]);
    let older = report(
        "old",
        "d1",
        T0 - 6 * HOUR,
        vec![finding(TIKTOK, "due", &[], T0 + DAY)],
    );
    assert_eq!(
        app.post_report(&ingest, &newer).await.json()["current"],
        true
    );
    let late = app.post_report(&ingest, &older).await;
    assert_eq!(late.status, 201);
    assert_eq!(late.json()["current"], false);
    let s = app.get("/v1/summary", &viewer).await.json();
    assert_eq!(
        (s["compliant"].clone(), s["non_compliant"].clone()),
        (json!(1), json!(0))
    );
    let d = app.get("/v1/devices/d1", &viewer).await.json();
    let history = d["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["report_id"], "new");
    assert_eq!(history[0]["current"], true);
    assert_eq!(history[1]["report_id"], "old");
    assert_eq!(d["report"]["report_id"], "new");
    // The app leaves the device: it shows as removed, no longer counted.
    let with = report(
        "r3",
        "d2",
        T0,
        vec![finding(TIKTOK, "enforced", &["suspend"], T0 + DAY)],
    );
    let without = report("r4", "d2", T0 + HOUR, vec![]);
    app.post_report(&ingest, &with).await;
    app.post_report(&ingest, &without).await;
    let d2 = app.get("/v1/devices/d2", &viewer).await.json();
    assert_eq!(d2["finding_details"][0]["state"], "removed");
    assert_eq!(
        app.get("/v1/summary", &viewer).await.json()["packages"],
        json!([])
    );
}

#[tokio::test]
async fn bad_requests_name_the_problem() {
    let app = app_with(|c| c.max_body = 4096).await;
    let ingest = app.token("ingest", Some("north")).await;
    let viewer = app.token("viewer", None).await;
    let good = report("r1", "d1", T0, vec![]);

    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("device_id");
    let a = app.post_report(&ingest, &missing).await;
    assert_eq!(a.status, 400);
    assert!(a.error().contains("device_id"), "{}", a.error());

    let mut wrong = good.clone();
    wrong["findings"] = json!([{"package": 5}]);
    let a = app.post_report(&ingest, &wrong).await;
    assert_eq!(a.status, 400);
    assert!(
        a.error().starts_with("report: findings[0].package"),
        "{}",
        a.error()
    );

    let a = app
        .request("POST", "/v1/reports", Some(&ingest), &[], "{not json")
        .await;
    assert_eq!(a.status, 400);
    assert!(a.error().starts_with("report:"), "{}", a.error());

    let a = app
        .request("POST", "/v1/reports", None, &[], good.to_string())
        .await;
    assert_eq!(a.status, 401);
    assert_eq!(
        a.error(),
        "missing token: send Authorization: Bearer <token>"
    );
    let a = app.post_report("veto_not-a-token", &good).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.error(), "unknown or revoked token");

    let a = app.post_report(&viewer, &good).await;
    assert_eq!(a.status, 403);
    assert_eq!(
        a.error(),
        "POST /v1/reports needs a token with role ingest; this token has role viewer"
    );
    let a = app.get("/v1/summary", &ingest).await;
    assert_eq!(a.status, 403);

    let mut big = good.clone();
    big["warnings"] = json!([{"code": "x", "message": "y".repeat(5000)}]);
    let a = app.post_report(&ingest, &big).await;
    assert_eq!(a.status, 413);
    assert_eq!(a.error(), "the report is larger than the 4096-byte limit");

    let a = app
        .request(
            "POST",
            "/v1/reports",
            Some(&ingest),
            &[("idempotency-key", "other")],
            good.to_string(),
        )
        .await;
    assert_eq!(a.status, 400);
    assert!(a.error().starts_with("Idempotency-Key:"), "{}", a.error());

    let a = app.get("/v1/devices?status=broken", &viewer).await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.error(),
        "status: expected one of compliant, non_compliant, past_deadline, found \"broken\""
    );
    let a = app.get("/v1/devices?stale=maybe", &viewer).await;
    assert_eq!(a.error(), "stale: expected true or false, found \"maybe\"");
    let a = app.get("/v1/summary?colour=red", &viewer).await;
    assert_eq!(a.error(), "colour: unknown parameter (allowed: unit)");

    let m = app.get("/metrics", &viewer).await.body;
    assert!(
        m.contains("veto_reports_refused_total{reason=\"bad_request\"} 4\n"),
        "{m}"
    );
    assert!(
        m.contains("veto_reports_refused_total{reason=\"unauthorized\"} 2\n"),
        "{m}"
    );
    assert!(
        m.contains("veto_reports_refused_total{reason=\"forbidden\"} 1\n"),
        "{m}"
    );
    assert!(
        m.contains("veto_reports_refused_total{reason=\"too_large\"} 1\n"),
        "{m}"
    );
}

/// Found by the server_ingest fuzz target (docs/reliability.md): a body with more after the
/// report (here the tail of another one, as a botched retry or proxy could send) was accepted
/// and stored, and the device page then showed no report at all.
#[tokio::test]
async fn a_report_with_anything_after_it_is_refused_and_not_stored() {
    let app = app().await;
    let ingest = app.token("ingest", Some("north")).await;
    let viewer = app.token("viewer", None).await;
    let good = report("r1", "d1", T0, vec![]).to_string();
    let body = format!("{good}reated_at\": \"2026-11-22T16:00:05Z\"}}");
    let a = app
        .request("POST", "/v1/reports", Some(&ingest), &[], body)
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.error(),
        format!(
            "report: unexpected characters after the document (line 1, column {})",
            good.len() + 1
        )
    );
    assert_eq!(app.get("/v1/devices/d1", &viewer).await.status, 404);
    // The same report alone is accepted: only what followed it was wrong.
    let a = app
        .request("POST", "/v1/reports", Some(&ingest), &[], good)
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(app.get("/v1/devices/d1", &viewer).await.status, 200);
}

#[tokio::test]
async fn too_many_requests_from_one_token_get_429() {
    let app = app_with(|c| {
        c.rate_per_sec = 1.0;
        c.rate_burst = 3.0;
    })
    .await;
    let ingest = app.token("ingest", Some("north")).await;
    let other = app.token("ingest", Some("north")).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(
            app.post_report(&ingest, &report(&format!("r{i}"), "d1", T0 + i, vec![]))
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    let a = app
        .post_report(&ingest, &report("r9", "d1", T0 + 9, vec![]))
        .await;
    assert_eq!(a.headers.get("retry-after").unwrap(), "1");
    assert!(
        a.error().starts_with("too many requests for this token"),
        "{}",
        a.error()
    );
    // Another token has its own allowance.
    assert_eq!(
        app.post_report(&other, &report("r10", "d2", T0, vec![]))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn units_fix_where_devices_report_and_what_viewers_see() {
    let app = app().await;
    let north = app.token("ingest", Some("north")).await;
    let south = app.token("ingest", Some("south")).await;
    let north_viewer = app.token("viewer", Some("north")).await;
    let admin = app.token("admin", None).await;
    app.post_report(
        &north,
        &report("r1", "d1", T0, vec![finding(TIKTOK, "due", &[], T0 + DAY)]),
    )
    .await;
    app.post_report(&south, &report("r2", "d2", T0, vec![]))
        .await;
    let a = app
        .post_report(&south, &report("r3", "d1", T0 + HOUR, vec![]))
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(
        a.error(),
        "device_id: device \"d1\" belongs to unit \"north\"; this token files reports into unit \"south\""
    );
    assert_eq!(app.get("/v1/summary", &admin).await.json()["devices"], 2);
    assert_eq!(
        app.get("/v1/summary?unit=south", &admin).await.json()["devices"],
        1
    );
    // A unit viewer sees its unit whatever it asks for.
    let s = app
        .get("/v1/summary?unit=south", &north_viewer)
        .await
        .json();
    assert_eq!(
        (s["devices"].clone(), s["non_compliant"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(app.get("/v1/devices/d2", &north_viewer).await.status, 404);
    assert_eq!(app.get("/v1/devices/d1", &north_viewer).await.status, 200);
}

#[tokio::test]
async fn the_device_list_filters_and_downloads_as_csv() {
    let app = app().await;
    let ingest = app.token("ingest", Some("north")).await;
    let viewer = app.token("viewer", None).await;
    app.post_report(&ingest, &report("r1", "d1", T0, vec![]))
        .await;
    app.post_report(
        &ingest,
        &report("r2", "d2", T0, vec![finding(TIKTOK, "due", &[], T0 - DAY)]),
    )
    .await;
    app.post_report(
        &ingest,
        &report("r3", "d3", T0, vec![finding(CAPCUT, "due", &[], T0 + DAY)]),
    )
    .await;
    app.clock.set(T0 + 2 * HOUR);
    app.post_report(&ingest, &report("r4", "=d4", T0 + HOUR, vec![]))
        .await;
    let ids = |v: Value| -> Vec<String> {
        v["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["device_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(app.get("/v1/devices", &viewer).await.json()),
        ["=d4", "d1", "d2", "d3"]
    );
    assert_eq!(
        ids(app
            .get(&format!("/v1/devices?package={TIKTOK}"), &viewer)
            .await
            .json()),
        ["d2"]
    );
    assert_eq!(
        ids(app
            .get("/v1/devices?status=non_compliant", &viewer)
            .await
            .json()),
        ["d2", "d3"]
    );
    assert_eq!(
        ids(app
            .get("/v1/devices?status=past_deadline", &viewer)
            .await
            .json()),
        ["d2"]
    );
    let page = app
        .get("/v1/devices?limit=2&offset=1", &viewer)
        .await
        .json();
    assert_eq!(page["total"], 4);
    assert_eq!(ids(page), ["d1", "d2"]);
    let csv = app
        .get("/v1/devices?format=csv&status=non_compliant", &viewer)
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.headers.get("content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 3, "{}", csv.body);
    assert!(lines[0].starts_with("device_id,unit,compliant,findings,packages,past_deadline"));
    assert!(
        lines[1].starts_with(&format!("d2,north,false,1,{TIKTOK},true,")),
        "{}",
        lines[1]
    );
    let all = app.get("/v1/devices?format=csv", &viewer).await.body;
    assert!(all.contains("\n'=d4,north,true,0,,false,"), "{all}");
    // Stale: nothing heard for more than --stale-after.
    app.clock.set(T0 + 25 * HOUR);
    assert_eq!(
        ids(app.get("/v1/devices?stale=true", &viewer).await.json()),
        ["d1", "d2", "d3"]
    );
    assert_eq!(
        ids(app.get("/v1/devices?stale=false", &viewer).await.json()),
        ["=d4"]
    );
    assert_eq!(app.get("/v1/devices/nope", &viewer).await.status, 404);
}

fn inventory_report(id: &str, device: &str, packages: Value) -> Value {
    let mut r = report(id, device, T0, vec![]);
    r["inventory"] = packages;
    r
}

#[tokio::test]
async fn the_census_lists_inventories_with_catalog_and_policy_matches() {
    let app = app_with(|c| c.feed_public_key = Some(feed_public())).await;
    let ingest = app.token("ingest", Some("north")).await;
    let viewer = app.token("viewer", None).await;
    let admin = app.token("admin", None).await;
    let mail =
        json!({"package": "com.example.mail", "label": "Mail", "installer": "com.android.vending"});
    let tiktok = json!({"package": TIKTOK, "label": "TikTok", "installer": "com.android.vending"});
    let odd = json!({"package": "com.example.odd", "installer": "com.sideload",
        "signing_sha256": ["90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA"]});
    app.post_report(
        &ingest,
        &inventory_report("r1", "d1", json!([mail, tiktok])),
    )
    .await;
    app.post_report(&ingest, &inventory_report("r2", "d2", json!([mail, odd])))
        .await;
    app.post_report(&ingest, &report("r3", "d3", T0, vec![]))
        .await;
    let put = app
        .request("PUT", "/v1/feed", Some(&admin), &[], signed(POLICY_V2))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let c = app.get("/v1/census", &viewer).await.json();
    let apps = c["apps"].as_array().unwrap();
    let names: Vec<&str> = apps
        .iter()
        .map(|a| a["package"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["com.example.mail", "com.example.odd", TIKTOK]);
    assert_eq!(apps[0]["devices"], 2);
    assert_eq!(apps[0]["installers"], json!({"com.android.vending": 2}));
    assert_eq!(apps[0]["catalog"], json!([]));
    assert_eq!(apps[0]["policy_rules"], json!(["mail"]));
    let odd_entry = &apps[1];
    assert!(
        !odd_entry["catalog"].as_array().unwrap().is_empty(),
        "signer matches TikTok's catalog entry: {odd_entry}"
    );
    assert!(
        !apps[2]["catalog"].as_array().unwrap().is_empty(),
        "{}",
        apps[2]
    );
    // report_inventory switched off on d1: its inventory is no longer kept.
    let mut r = report("r4", "d1", T0 + HOUR, vec![]);
    r.as_object_mut().unwrap().remove("inventory");
    app.post_report(&ingest, &r).await;
    let c = app.get("/v1/census", &viewer).await.json();
    assert_eq!(c["apps"][0]["devices"], 1);
    assert_eq!(c["apps"].as_array().unwrap().len(), 2);
}

const POLICY_V2: &str =
    r#"{"version": 2, "rules": [{"id": "mail", "package": "com.example.mail", "reason": "test"}]}"#;
const POLICY_V1: &str = r#"{"version": 1, "rules": []}"#;

fn feed_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[7u8; 32])
}

fn feed_public() -> String {
    veto_net::keys::encode_key(feed_key().verifying_key().as_bytes())
}

fn signed(policy: &str) -> String {
    veto_net::feed::sign_policy(policy.as_bytes(), &feed_key()).unwrap()
}

#[tokio::test]
async fn the_feed_is_verified_like_a_phone_and_served_with_etags() {
    let app = app_with(|c| c.feed_public_key = Some(feed_public())).await;
    let admin = app.token("admin", None).await;
    let viewer = app.token("viewer", None).await;
    let a = app
        .request("GET", "/v1/feed/policy", None, &[], Body::empty())
        .await;
    assert_eq!(a.status, 404);
    let a = app
        .request("PUT", "/v1/feed", Some(&viewer), &[], signed(POLICY_V2))
        .await;
    assert_eq!(a.status, 403);
    let envelope = signed(POLICY_V2);
    let a = app
        .request("PUT", "/v1/feed", Some(&admin), &[], envelope.clone())
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["status"], "updated");
    assert_eq!(a.json()["version"], 2);
    // Served without a token, byte for byte, with an ETag that answers 304.
    let g = app
        .request("GET", "/v1/feed/policy", None, &[], Body::empty())
        .await;
    assert_eq!(g.status, 200);
    assert_eq!(g.body, envelope);
    let etag = g.headers.get("etag").unwrap().to_str().unwrap().to_string();
    let g = app
        .request(
            "GET",
            "/v1/feed/policy",
            None,
            &[("if-none-match", &etag)],
            Body::empty(),
        )
        .await;
    assert_eq!(g.status, 304);
    assert!(g.body.is_empty());
    // The same bytes again: unchanged. Older: rollback. Same version, new bytes: refused.
    let a = app
        .request("PUT", "/v1/feed", Some(&admin), &[], envelope.clone())
        .await;
    assert_eq!(a.json()["status"], "unchanged");
    let a = app
        .request("PUT", "/v1/feed", Some(&admin), &[], signed(POLICY_V1))
        .await;
    assert_eq!(a.status, 409);
    assert_eq!(
        a.error(),
        "policy feed: refused policy version 1: older than the last good version 2 (rollback)"
    );
    let a = app
        .request(
            "PUT",
            "/v1/feed",
            Some(&admin),
            &[],
            signed(&POLICY_V2.replace("test", "changed")),
        )
        .await;
    assert_eq!(a.status, 409);
    assert!(
        a.error()
            .contains("same version as the last good policy but different content"),
        "{}",
        a.error()
    );
    // Another key's signature: refused before the payload is read.
    let other = ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]);
    let forged = veto_net::feed::sign_policy(br#"{"version": 9, "rules": []}"#, &other).unwrap();
    let a = app
        .request("PUT", "/v1/feed", Some(&admin), &[], forged)
        .await;
    assert_eq!(a.status, 400);
    assert!(
        a.error()
            .starts_with("policy feed: envelope: signed with key id"),
        "{}",
        a.error()
    );
    let a = app
        .request("PUT", "/v1/feed", Some(&admin), &[], "<html>")
        .await;
    assert_eq!(a.status, 400);
    assert!(
        a.error()
            .starts_with("policy feed: envelope: not a signed policy envelope"),
        "{}",
        a.error()
    );
    let expired = signed(r#"{"version": 5, "rules": [], "expires": "2020-01-01T00:00:00Z"}"#);
    let a = app
        .request("PUT", "/v1/feed", Some(&admin), &[], expired)
        .await;
    assert_eq!(a.status, 400);
    assert!(
        a.error().contains("it expired at 2020-01-01T00:00:00Z"),
        "{}",
        a.error()
    );
    let info = app.get("/v1/feed", &viewer).await.json();
    assert_eq!(info["version"], 2);
}

#[tokio::test]
async fn without_a_feed_key_the_server_hosts_no_feed() {
    let app = app().await;
    let admin = app.token("admin", None).await;
    let a = app
        .request("PUT", "/v1/feed", Some(&admin), &[], signed(POLICY_V2))
        .await;
    assert_eq!(a.status, 409);
    assert!(
        a.error()
            .starts_with("this server has no --feed-public-key"),
        "{}",
        a.error()
    );
}

#[tokio::test]
async fn health_needs_no_token_and_metrics_count_devices() {
    let app = app().await;
    let ingest = app.token("ingest", Some("north")).await;
    let viewer = app.token("viewer", None).await;
    let h = app
        .request("GET", "/healthz", None, &[], Body::empty())
        .await;
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["status"], "ok");
    assert_eq!(
        app.request("GET", "/metrics", None, &[], Body::empty())
            .await
            .status,
        401
    );
    app.post_report(
        &ingest,
        &report("r1", "d1", T0, vec![finding(TIKTOK, "due", &[], T0 - 1)]),
    )
    .await;
    let m = app.get("/metrics", &viewer).await.body;
    assert!(
        m.contains("veto_devices{state=\"non_compliant\"} 1\n"),
        "{m}"
    );
    assert!(
        m.contains("veto_devices{state=\"past_deadline\"} 1\n"),
        "{m}"
    );
    assert!(m.contains("veto_devices{state=\"compliant\"} 0\n"), "{m}");
}

#[tokio::test]
async fn retention_prunes_history_but_keeps_the_device() {
    let app = app().await;
    let ingest = app.token("ingest", Some("north")).await;
    let viewer = app.token("viewer", None).await;
    app.post_report(&ingest, &report("old", "d1", T0, vec![]))
        .await;
    app.clock.set(T0 + 91 * DAY);
    app.post_report(&ingest, &report("new", "d1", T0 + 91 * DAY, vec![]))
        .await;
    let p = veto_server::retention::prune(&app.state.db, app.clock.now(), 90 * DAY)
        .await
        .unwrap();
    assert_eq!(p.reports, 1);
    let d = app.get("/v1/devices/d1", &viewer).await.json();
    let history: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["report_id"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["new"]);
    assert_eq!(app.get("/v1/summary", &viewer).await.json()["devices"], 1);
}

#[tokio::test]
async fn revoked_tokens_stop_working_and_secrets_are_stored_hashed() {
    let app = app().await;
    let (id, secret) = veto_server::tokens::add(
        &app.state.db,
        veto_server::tokens::Role::Viewer,
        None,
        Some("ops"),
        T0,
    )
    .await
    .unwrap();
    let hash: String = sqlx::query_scalar("SELECT hash FROM tokens WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(hash, veto_server::tokens::sha256_hex(&secret));
    assert!(!hash.contains(&secret));
    veto_server::tokens::revoke(&app.state.db, &id, T0)
        .await
        .unwrap();
    assert_eq!(app.get("/v1/summary", &secret).await.status, 401);
    let err = veto_server::tokens::revoke(&app.state.db, &id, T0)
        .await
        .unwrap_err();
    assert_eq!(err, format!("token {id}: no such active token"));
    let err = veto_server::tokens::add(
        &app.state.db,
        veto_server::tokens::Role::Ingest,
        None,
        None,
        T0,
    )
    .await
    .unwrap_err();
    assert!(
        err.starts_with("--unit: an ingest token needs a unit"),
        "{err}"
    );
    let list = veto_server::tokens::list(&app.state.db).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].label.as_deref(), Some("ops"));
    assert!(list[0].revoked_at.is_some());
}

#[tokio::test]
async fn the_burndown_counts_devices_with_barred_apps_per_day() {
    let app = app().await;
    let ingest = app.token("ingest", Some("north")).await;
    let tik = || vec![finding(TIKTOK, "due", &[], T0 + 30 * DAY)];
    // Day 0: both devices have it (d1 twice that day; only its latest counts).
    app.post_report(&ingest, &report("a", "d1", T0, tik()))
        .await;
    app.post_report(&ingest, &report("b", "d2", T0, tik()))
        .await;
    app.post_report(&ingest, &report("c", "d1", T0 + HOUR, tik()))
        .await;
    // Day 1: d1 removed it; later that day an older report arrives late (ignored).
    app.post_report(&ingest, &report("d", "d1", T0 + DAY, vec![]))
        .await;
    app.post_report(&ingest, &report("e", "d2", T0 + DAY, tik()))
        .await;
    app.post_report(&ingest, &report("f", "d1", T0 + DAY - HOUR, tik()))
        .await;
    // Day 2: both clean.
    app.post_report(&ingest, &report("g", "d1", T0 + 2 * DAY, vec![]))
        .await;
    app.post_report(&ingest, &report("h", "d2", T0 + 2 * DAY, vec![]))
        .await;
    let (days, deadline) = veto_server::queries::burndown(&app.state.db, "")
        .await
        .unwrap();
    let counts: Vec<(i64, i64)> = days.iter().map(|d| (d.devices, d.barred)).collect();
    let day0 = T0 / DAY;
    assert_eq!(days[0].day, day0);
    assert_eq!(counts, [(2, 2), (2, 1), (2, 0)]);
    assert_eq!(deadline, Some(T0 + 30 * DAY));
}

#[tokio::test]
async fn dashboard_cookies_csrf_and_languages() {
    let app = app_with(|c| c.secure_cookies = true).await;
    let viewer = app.token("viewer", None).await;
    let ingest = app.token("ingest", Some("north")).await;
    app.post_report(
        &ingest,
        &report(
            "r1",
            "d1",
            T0,
            vec![finding(TIKTOK, "enforced", &["warn", "suspend"], T0 - DAY)],
        ),
    )
    .await;
    // No session: the dashboard redirects, the API refuses.
    let a = app
        .request("GET", "/dashboard", None, &[], Body::empty())
        .await;
    assert_eq!(a.status, 303);
    assert_eq!(a.headers.get("location").unwrap(), "/login");
    let form = app.request("GET", "/login", None, &[], Body::empty()).await;
    let csrf_cookie = form
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("veto_login_csrf="))
        .unwrap();
    let csrf = csrf_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("veto_login_csrf=")
        .to_string();
    assert!(form
        .body
        .contains(&format!("name=\"csrf\" value=\"{csrf}\"")));
    let a = &app;
    let post = |token: &str, csrf: &str, cookie: &str| {
        let body = format!("token={}&csrf={}", token, csrf);
        let cookie = cookie.to_string();
        async move {
            a.request(
                "POST",
                "/login",
                None,
                &[
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("cookie", &cookie),
                ],
                body,
            )
            .await
        }
    };
    // No CSRF cookie: refused.
    assert_eq!(post(&viewer, &csrf, "").await.status, 403);
    // Ingest tokens are for devices.
    assert_eq!(
        post(&ingest, &csrf, &format!("veto_login_csrf={csrf}"))
            .await
            .status,
        403
    );
    assert_eq!(
        post("veto_wrong", &csrf, &format!("veto_login_csrf={csrf}"))
            .await
            .status,
        401
    );
    let ok = post(&viewer, &csrf, &format!("veto_login_csrf={csrf}")).await;
    assert_eq!(ok.status, 303);
    let session = ok
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("veto_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Strict")
            && session.contains("Secure"),
        "{session}"
    );
    let cookie = session.split(';').next().unwrap().to_string();
    let page = app
        .request(
            "GET",
            "/dashboard",
            None,
            &[("cookie", &cookie)],
            Body::empty(),
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<span class=\"n\" id=\"hl-devices\">1</span>"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("<span class=\"n\" id=\"hl-past_deadline\">1</span>"));
    assert!(page.body.contains("<svg id=\"burndown\""));
    assert!(page
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    assert!(!page.body.contains("<script"));
    let nl = app
        .request(
            "GET",
            "/dashboard?lang=nl",
            None,
            &[("cookie", &cookie)],
            Body::empty(),
        )
        .await;
    assert!(nl.body.contains("Voldoet niet"), "{}", nl.body);
    assert!(nl.cookies().iter().any(|c| c.starts_with("veto_lang=nl")));
    let csv = app
        .request(
            "GET",
            "/v1/devices?format=csv",
            None,
            &[("cookie", &cookie)],
            Body::empty(),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains(TIKTOK));
    for path in [
        "/dashboard/devices?package=com.zhiliaoapp.musically",
        "/dashboard/devices/d1",
        "/dashboard/census",
    ] {
        let p = app
            .request("GET", path, None, &[("cookie", &cookie)], Body::empty())
            .await;
        assert_eq!(p.status, 200, "{path}");
    }
    // Sign-out needs the session's CSRF token.
    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("cookie", cookie.as_str()),
    ];
    assert_eq!(
        app.request("POST", "/logout", None, &form, "csrf=wrong")
            .await
            .status,
        403
    );
    let session_csrf = page
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let out = app
        .request(
            "POST",
            "/logout",
            None,
            &form,
            format!("csrf={session_csrf}"),
        )
        .await;
    assert_eq!(out.status, 303);
    let after = app
        .request(
            "GET",
            "/dashboard",
            None,
            &[("cookie", &cookie)],
            Body::empty(),
        )
        .await;
    assert_eq!(after.status, 303);
}
