//! The JSON API (`Authorization: Bearer <token>`), the feed, `/metrics` and `/healthz`.
//!
//! Errors are `{"error": "..."}` naming the problem: 400 bad input (naming the field), 401
//! no or unknown token, 403 wrong role (or a device of another unit), 404, 409 (feed
//! rollback), 413 body too large, 429 too many requests from one token, 503 database
//! unavailable (devices retry).

use crate::queries::{self, DeviceFilter};
use crate::tokens::{Caller, Role};
use crate::{AppState, Refusal};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

/// An error answer: a status and a message for `{"error": …}`.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// What went wrong.
    pub message: String,
}

impl ApiError {
    /// Any status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    fn db(e: sqlx::Error) -> ApiError {
        eprintln!("veto-server: database error: {e}");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable; try again later",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({"error": self.message}))).into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/reports", post(post_report))
        .route("/v1/summary", get(summary))
        .route("/v1/devices", get(devices))
        .route("/v1/devices/{id}", get(device))
        .route("/v1/census", get(census))
        .route("/v1/feed", get(feed_info).put(put_feed))
        .route("/v1/feed/policy", get(get_feed_policy))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The caller of an API request: a bearer token, or else a dashboard session cookie (read
/// endpoints only; SameSite=Strict keeps other sites from using it). Applies the
/// per-token rate limit.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    allow_session: bool,
) -> ApiResult<Caller> {
    let caller = match bearer(headers) {
        Some(secret) => state.caller(secret).await.map_err(ApiError::db)?,
        None if allow_session => crate::web::session(state, headers)
            .await
            .map_err(ApiError::db)?
            .map(|s| s.caller),
        None => None,
    };
    let Some(caller) = caller else {
        let message = if headers.contains_key(header::AUTHORIZATION) {
            "unknown or revoked token"
        } else {
            "missing token: send Authorization: Bearer <token>"
        };
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, message));
    };
    if !state.allow(&caller.token_id) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many requests for this token (limit {} per second); retry later",
                state.config.rate_per_sec
            ),
        ));
    }
    Ok(caller)
}

fn require(caller: &Caller, roles: &[Role], what: &str) -> ApiResult<()> {
    if roles.contains(&caller.role) {
        Ok(())
    } else {
        let names: Vec<&str> = roles.iter().map(|r| r.name()).collect();
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "{what} needs a token with role {}; this token has role {}",
                names.join(" or "),
                caller.role.name()
            ),
        ))
    }
}

const READERS: &[Role] = &[Role::Viewer, Role::Admin];

fn refusal_of(status: StatusCode) -> Refusal {
    match status {
        StatusCode::BAD_REQUEST => Refusal::BadRequest,
        StatusCode::UNAUTHORIZED => Refusal::Unauthorized,
        StatusCode::FORBIDDEN => Refusal::Forbidden,
        StatusCode::PAYLOAD_TOO_LARGE => Refusal::TooLarge,
        StatusCode::TOO_MANY_REQUESTS => Refusal::RateLimited,
        _ => Refusal::Unavailable,
    }
}

async fn post_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match ingest_report(&state, &headers, body).await {
        Ok(response) => response,
        Err((e, why)) => {
            state
                .metrics
                .refuse(why.unwrap_or_else(|| refusal_of(e.status)));
            e.into_response()
        }
    }
}

async fn ingest_report(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, (ApiError, Option<Refusal>)> {
    let caller = authenticate(state, headers, false)
        .await
        .map_err(|e| (e, None))?;
    require(&caller, &[Role::Ingest], "POST /v1/reports").map_err(|e| (e, None))?;
    let body = body.map_err(|rejection| {
        let e = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the report is larger than the {}-byte limit",
                    state.config.max_body
                ),
            )
        } else {
            ApiError::bad(format!("report: cannot read the body: {rejection}"))
        };
        (e, None)
    })?;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let report = crate::ingest::check(&body, key).map_err(|m| (ApiError::bad(m), None))?;
    // An ingest token always has a unit (`token add` refuses one without).
    let unit = caller.unit.clone().unwrap_or_default();
    let report_id = report.report_id.clone();
    let device_id = report.device_id.clone();
    let outcome = state
        .writer
        .store(crate::ingest::Accepted {
            report,
            body: String::from_utf8_lossy(&body).into_owned(),
            unit: unit.clone(),
            received_at: state.now(),
        })
        .await
        .map_err(|e| {
            eprintln!("veto-server: {e}");
            (
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database unavailable; the report was not stored, retry later",
                ),
                None,
            )
        })?;
    match outcome {
        crate::ingest::Outcome::Stored { current } => {
            state.metrics.accepted.fetch_add(1, Ordering::Relaxed);
            Ok((
                StatusCode::CREATED,
                Json(json!({"status": "accepted", "report_id": report_id, "current": current})),
            )
                .into_response())
        }
        crate::ingest::Outcome::Duplicate => {
            state.metrics.duplicates.fetch_add(1, Ordering::Relaxed);
            Ok((
                StatusCode::OK,
                Json(json!({"status": "duplicate", "report_id": report_id})),
            )
                .into_response())
        }
        crate::ingest::Outcome::WrongUnit(other) => Err((
            ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "device_id: device \"{device_id}\" belongs to unit \"{other}\"; this token files reports into unit \"{unit}\""
                ),
            ),
            Some(Refusal::WrongUnit),
        )),
    }
}

fn only_params(params: &HashMap<String, String>, allowed: &[&str]) -> ApiResult<()> {
    for key in params.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(ApiError::bad(format!(
                "{key}: unknown parameter (allowed: {})",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

fn non_empty(params: &HashMap<String, String>, key: &str) -> Option<String> {
    params
        .get(key)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

async fn summary(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<queries::Summary>> {
    let caller = authenticate(&state, &headers, true).await?;
    require(&caller, READERS, "GET /v1/summary")?;
    only_params(&params, &["unit"])?;
    let unit = caller.scope(non_empty(&params, "unit").as_deref());
    let s = queries::summary(&state.db, &unit, state.now(), state.stale_before())
        .await
        .map_err(ApiError::db)?;
    Ok(Json(s))
}

/// Parses the device-list filters; errors name the parameter.
pub fn device_filter(caller: &Caller, params: &HashMap<String, String>) -> ApiResult<DeviceFilter> {
    let status = non_empty(params, "status");
    if let Some(s) = &status {
        if !queries::STATUSES.contains(&s.as_str()) {
            return Err(ApiError::bad(format!(
                "status: expected one of {}, found \"{s}\"",
                queries::STATUSES.join(", ")
            )));
        }
    }
    let stale = match non_empty(params, "stale").as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::bad(format!(
                "stale: expected true or false, found \"{other}\""
            )))
        }
    };
    Ok(DeviceFilter {
        unit: caller.scope(non_empty(params, "unit").as_deref()),
        package: non_empty(params, "package"),
        status,
        stale,
    })
}

fn number(params: &HashMap<String, String>, key: &str, default: i64, max: i64) -> ApiResult<i64> {
    match non_empty(params, key) {
        None => Ok(default),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (0..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad(format!(
                "{key}: expected a number from 0 to {max}, found \"{s}\""
            ))),
        },
    }
}

/// The device list as CSV (one header line, then one line per device).
pub fn devices_csv(page: &queries::DevicePage) -> String {
    let mut out = String::from(
        "device_id,unit,compliant,findings,packages,past_deadline,earliest_deadline,stale,last_seen,evaluated_at,policy_version,veto_version\n",
    );
    for d in &page.devices {
        let fields = [
            d.device_id.clone(),
            d.unit.clone(),
            d.compliant.to_string(),
            d.findings.to_string(),
            d.packages.join(" "),
            d.past_deadline.to_string(),
            d.earliest_deadline.clone().unwrap_or_default(),
            d.stale.to_string(),
            d.last_seen.clone(),
            d.evaluated_at.clone(),
            d.policy_version.to_string(),
            d.veto_version.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

fn csv_field(s: &str) -> String {
    // Quote when needed, and defuse spreadsheet formulas (a device id is device input).
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

async fn devices(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let caller = authenticate(&state, &headers, true).await?;
    require(&caller, READERS, "GET /v1/devices")?;
    only_params(
        &params,
        &[
            "unit", "package", "status", "stale", "format", "limit", "offset",
        ],
    )?;
    let filter = device_filter(&caller, &params)?;
    let csv = match non_empty(&params, "format").as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::bad(format!(
                "format: expected json or csv, found \"{other}\""
            )))
        }
    };
    let limit = if csv {
        None
    } else {
        Some(number(&params, "limit", 100, 10_000)?)
    };
    let offset = number(&params, "offset", 0, i64::MAX)?;
    let page = queries::devices(
        &state.db,
        &filter,
        limit,
        offset,
        state.now(),
        state.stale_before(),
    )
    .await
    .map_err(ApiError::db)?;
    if csv {
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"veto-devices.csv\"",
                ),
            ],
            devices_csv(&page),
        )
            .into_response())
    } else {
        Ok(Json(page).into_response())
    }
}

async fn device(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<queries::DeviceDetail>> {
    let caller = authenticate(&state, &headers, true).await?;
    require(&caller, READERS, "GET /v1/devices/{id}")?;
    let unit = caller.scope(None);
    match queries::device(&state.db, &id, &unit, state.now(), state.stale_before())
        .await
        .map_err(ApiError::db)?
    {
        Some(d) => Ok(Json(d)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("device \"{id}\": not found"),
        )),
    }
}

/// The hosted policy, compiled, if there is one (for the census).
pub async fn hosted_policy(
    state: &AppState,
) -> Result<Option<veto_core::CompiledPolicy>, sqlx::Error> {
    let json: Option<String> = sqlx::query_scalar("SELECT policy_json FROM feed WHERE id = 1")
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(json
        .and_then(|j| veto_core::Policy::from_json(&j).ok())
        .map(veto_core::CompiledPolicy::new))
}

async fn census(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<serde_json::Value>> {
    let caller = authenticate(&state, &headers, true).await?;
    require(&caller, READERS, "GET /v1/census")?;
    only_params(&params, &["unit"])?;
    let unit = caller.scope(non_empty(&params, "unit").as_deref());
    let policy = hosted_policy(&state).await.map_err(ApiError::db)?;
    let apps = queries::census(&state.db, &unit, policy.as_ref())
        .await
        .map_err(ApiError::db)?;
    Ok(Json(json!({"apps": apps})))
}

async fn feed_info(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    let caller = authenticate(&state, &headers, true).await?;
    require(&caller, READERS, "GET /v1/feed")?;
    let row = sqlx::query("SELECT version, sha256, key_id, updated_at FROM feed WHERE id = 1")
        .fetch_optional(&state.db.pool)
        .await
        .map_err(ApiError::db)?;
    use sqlx::Row;
    Ok(Json(match row {
        None => json!({"version": null}),
        Some(r) => json!({
            "version": r.try_get::<i64, _>(0).unwrap_or_default(),
            "sha256": r.try_get::<String, _>(1).unwrap_or_default(),
            "key_id": r.try_get::<String, _>(2).unwrap_or_default(),
            "updated_at": crate::clock::rfc3339(r.try_get::<i64, _>(3).unwrap_or_default()),
        }),
    }))
}

async fn put_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let caller = authenticate(&state, &headers, false).await?;
    require(&caller, &[Role::Admin], "PUT /v1/feed")?;
    let body = body.map_err(|r| ApiError::new(r.status(), format!("envelope: {r}")))?;
    let Some(key) = state.config.feed_public_key.clone() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "this server has no --feed-public-key: it cannot check a signed policy, so it hosts none",
        ));
    };
    // Exactly what a phone does with a fetched document: envelope, strict signature,
    // then the policy's own validation, then expiry.
    let verified = veto_net::feed::verify_signed_policy(
        &body,
        &key,
        Some(veto_core::Timestamp::from_millis(state.now())),
    )
    .map_err(|e| ApiError::bad(e.message().to_string()))?;
    let public_key = veto_net::keys::parse_public_key(&key, "--feed-public-key")
        .map(|k| veto_net::keys::encode_key(k.as_bytes()))
        .map_err(|e| ApiError::bad(e.message().to_string()))?;
    use sqlx::Row;
    let last = sqlx::query("SELECT version, sha256, public_key FROM feed WHERE id = 1")
        .fetch_optional(&state.db.pool)
        .await
        .map_err(ApiError::db)?;
    if let Some(row) = &last {
        let (version, sha, stored_key): (i64, String, String) = (
            row.try_get(0).map_err(ApiError::db)?,
            row.try_get(1).map_err(ApiError::db)?,
            row.try_get(2).map_err(ApiError::db)?,
        );
        // Rollback protection is per key, as on phones.
        if stored_key == public_key {
            match veto_net::feed::check_succession(version as u64, &sha, &verified) {
                Err(e) => return Err(ApiError::new(StatusCode::CONFLICT, e.message().to_string())),
                Ok(veto_net::feed::Succession::Same) => {
                    return Ok(Json(json!({"status": "unchanged", "version": version})));
                }
                Ok(veto_net::feed::Succession::Newer) => {}
            }
        }
    }
    let version = verified.policy.version as i64;
    let stored = sqlx::query(
        "INSERT INTO feed (id, envelope, version, sha256, key_id, public_key, policy_json, updated_at) \
         VALUES (1, $1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (id) DO UPDATE SET envelope = excluded.envelope, version = excluded.version, \
         sha256 = excluded.sha256, key_id = excluded.key_id, public_key = excluded.public_key, \
         policy_json = excluded.policy_json, updated_at = excluded.updated_at \
         WHERE feed.public_key <> excluded.public_key OR feed.version < excluded.version",
    )
    .bind(String::from_utf8_lossy(&body).into_owned())
    .bind(version)
    .bind(&verified.sha256)
    .bind(&verified.key_id)
    .bind(&public_key)
    .bind(&verified.policy_json)
    .bind(state.now())
    .execute(&state.db.pool)
    .await
    .map_err(ApiError::db)?;
    if stored.rows_affected() == 0 {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("policy version {version}: another upload of the same or a newer version won; fetch GET /v1/feed"),
        ));
    }
    eprintln!(
        "veto-server: feed updated to policy version {version} by token {}",
        caller.token_id
    );
    Ok(Json(json!({
        "status": "updated",
        "version": version,
        "previous": last.and_then(|r| sqlx::Row::try_get::<i64, _>(&r, 0).ok()),
        "summary": verified.summary(),
    })))
}

/// The ETag of an envelope: its SHA-256, quoted.
pub fn etag_of(envelope: &str) -> String {
    format!("\"{}\"", &crate::tokens::sha256_hex(envelope)[..32])
}

async fn get_feed_policy(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let envelope: Option<String> = sqlx::query_scalar("SELECT envelope FROM feed WHERE id = 1")
        .fetch_optional(&state.db.pool)
        .await
        .map_err(ApiError::db)?;
    let Some(envelope) = envelope else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no signed policy has been published (PUT /v1/feed)",
        ));
    };
    let etag = etag_of(&envelope);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let common = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "no-cache".to_string()),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((
        StatusCode::OK,
        common,
        [(header::CONTENT_TYPE, "application/json")],
        envelope,
    )
        .into_response())
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let caller = authenticate(&state, &headers, false).await?;
    require(&caller, READERS, "GET /metrics")?;
    let s = queries::summary(
        &state.db,
        &caller.scope(None),
        state.now(),
        state.stale_before(),
    )
    .await
    .map_err(ApiError::db)?;
    let m = &state.metrics;
    let mut out = String::new();
    out.push_str("# HELP veto_devices Devices by the state of their current report.\n# TYPE veto_devices gauge\n");
    for (label, n) in [
        ("compliant", s.compliant),
        ("non_compliant", s.non_compliant),
        ("stale", s.stale),
        ("past_deadline", s.past_deadline),
    ] {
        out.push_str(&format!("veto_devices{{state=\"{label}\"}} {n}\n"));
    }
    out.push_str("# HELP veto_reports_accepted_total Reports stored since this instance started.\n# TYPE veto_reports_accepted_total counter\n");
    out.push_str(&format!(
        "veto_reports_accepted_total {}\n",
        m.accepted.load(Ordering::Relaxed)
    ));
    out.push_str("# HELP veto_reports_duplicate_total Reports received again (same report_id), answered 2xx, not counted twice.\n# TYPE veto_reports_duplicate_total counter\n");
    out.push_str(&format!(
        "veto_reports_duplicate_total {}\n",
        m.duplicates.load(Ordering::Relaxed)
    ));
    out.push_str("# HELP veto_reports_refused_total Reports refused, by reason.\n# TYPE veto_reports_refused_total counter\n");
    for r in crate::Refusal::ALL {
        out.push_str(&format!(
            "veto_reports_refused_total{{reason=\"{}\"}} {}\n",
            r.name(),
            m.refused(r)
        ));
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}

async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(&state.db.pool).await {
        Ok(_) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "schema": crate::db::SCHEMA_VERSION})),
        )
            .into_response(),
        Err(e) => {
            eprintln!("veto-server: health check: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "database unavailable"})),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}
