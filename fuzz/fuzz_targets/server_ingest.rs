//! The fleet server's report ingestion, end to end in one process: the input is the body of
//! `POST /v1/reports`, sent through veto-server's own router with an ingest token to a
//! SQLite database (in RAM where the machine has /dev/shm), emptied of reports after each
//! accepted one so that every input is judged alone.
//!
//! A refused body is a 400 whose message is exactly `ingest::check`'s and names the field
//! (or the line and column); never a 5xx. An accepted body is a 201 that made the device
//! current, sending it again is a duplicate (200) stored once, and the device as the API
//! reads it back shows the report exactly as sent, with its packages.
#![no_main]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::collections::BTreeSet;
use tokio::runtime::Runtime;
use tower::ServiceExt;
use veto_server::clock::Clock;
use veto_server::{AppState, Config, Inner};

/// 2026-11-22T16:00:00Z: the server's fixed "now".
const NOW: i64 = 1_795_363_200_000;

struct Server {
    runtime: Runtime,
    state: AppState,
    router: axum::Router,
    ingest: String,
}

fn server() -> &'static Server {
    static SERVER: std::sync::OnceLock<Server> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = veto_fuzz::scratch_root().join("server");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let config = Config {
            database: format!("sqlite://{}", dir.join("veto.db").display()),
            // The fuzzer sends far faster than any phone: no rate limit here.
            rate_per_sec: 1e12,
            rate_burst: 1e12,
            ..Config::default()
        };
        let (state, ingest) = runtime.block_on(async {
            let state = Inner::start(config, Clock::fixed(NOW))
                .await
                .expect("server starts");
            let role = veto_server::tokens::Role::parse("ingest").expect("role");
            let (_, secret) = veto_server::tokens::add(&state.db, role, Some("fuzz"), None, NOW)
                .await
                .expect("ingest token");
            (state, secret)
        });
        let router = veto_server::app(state.clone());
        Server {
            runtime,
            state,
            router,
            ingest,
        }
    })
}

/// POSTs `body` as a report; the status and the answer's JSON.
fn post(server: &Server, body: &[u8]) -> (StatusCode, Value) {
    let request = Request::builder()
        .method("POST")
        .uri("/v1/reports")
        .header("authorization", format!("Bearer {}", server.ingest))
        .header("content-type", "application/json")
        .body(Body::from(body.to_vec()))
        .expect("request");
    server.runtime.block_on(async {
        let response = server
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("answer body");
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{status}: the answer is not JSON ({e}): {bytes:?}"));
        (status, json)
    })
}

/// Empties what reports fill (not the tokens), so the next input starts from nothing.
fn forget_reports(server: &Server) {
    server.runtime.block_on(async {
        let mut tx = server.state.db.pool.begin().await.expect("begin");
        for table in [
            "findings",
            "inventory",
            "device_days",
            "daily",
            "reports",
            "devices",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await
                .expect("empty a table");
        }
        tx.commit().await.expect("commit");
    });
}

fn stored_copies(server: &Server, report_id: &str) -> i64 {
    server.runtime.block_on(async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM reports WHERE report_id = $1")
            .bind(report_id)
            .fetch_one(&server.state.db.pool)
            .await
            .expect("count reports")
    })
}

fuzz_target!(|data: &[u8]| {
    let server = server();
    let checked = veto_server::ingest::check(data, None);
    let (status, answer) = post(server, data);
    assert!(
        !status.is_server_error(),
        "a report body made the server fail: {status} {answer}"
    );
    let report = match checked {
        Err(message) => {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
            assert_eq!(answer["error"].as_str(), Some(message.as_str()));
            let rest = message.strip_prefix("report: ").unwrap_or(&message);
            assert!(
                rest == "the body is not UTF-8" || veto_fuzz::names_a_place(rest),
                "the refusal names no field: {message}"
            );
            return;
        }
        Ok(report) => report,
    };
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["status"], "accepted");
    assert_eq!(
        answer["report_id"].as_str(),
        Some(report.report_id.as_str())
    );
    assert_eq!(answer["current"], true, "the only report is not current");

    // At least once, stored once: the phone's retry of the same report is a duplicate.
    let (again, answer) = post(server, data);
    assert_eq!(again, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], "duplicate");
    assert_eq!(stored_copies(server, &report.report_id), 1);

    // What the dashboard and API show is what the phone sent.
    let state = &server.state;
    let detail = server
        .runtime
        .block_on(veto_server::queries::device(
            &state.db,
            &report.device_id,
            "",
            state.now(),
            state.stale_before(),
        ))
        .unwrap_or_else(|e| panic!("reading device {:?} back failed: {e}", report.device_id))
        .unwrap_or_else(|| panic!("device {:?} not found after a 201", report.device_id));
    let sent: Value = serde_json::from_slice(data).expect("an accepted body is JSON");
    assert_eq!(
        detail.report, sent,
        "the stored report differs from the one sent"
    );
    assert_eq!(detail.device.device_id, report.device_id);
    assert_eq!(detail.device.unit, "fuzz");
    assert_eq!(detail.device.compliant, report.compliant);
    let sent_packages: BTreeSet<&str> =
        report.findings.iter().map(|f| f.package.as_str()).collect();
    let shown: BTreeSet<&str> = detail
        .finding_details
        .iter()
        .map(|f| f.package.as_str())
        .collect();
    assert_eq!(shown, sent_packages, "the device page shows other packages");
    forget_reports(server);
});
