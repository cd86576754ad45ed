//! The dashboard: server-rendered HTML, no JavaScript at all (not even inline), so the
//! Content-Security-Policy forbids scripts outright.
//!
//! Sign-in takes a viewer or admin token and opens a session: a random cookie value
//! (`veto_session`, HttpOnly, SameSite=Strict, Secure under TLS or `--cookie-secure`) whose
//! SHA-256 is stored with the token id, a CSRF token and an expiry (12 hours). Every form
//! that changes something (sign in, sign out) carries a CSRF token: the sign-in form a
//! double-submit cookie, the sign-out form the session's token. Filter forms are GET
//! forms that change nothing.

use crate::api::{device_filter, ApiError};
use crate::i18n::{t, Lang};
use crate::queries::{self, Day};
use crate::tokens::{self, Caller, Role};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sqlx::Row;
use std::collections::HashMap;
use std::fmt::Write;

/// How long a dashboard session lasts.
pub const SESSION_MS: i64 = 12 * 3_600_000;
const SESSION_COOKIE: &str = "veto_session";
const LOGIN_CSRF_COOKIE: &str = "veto_login_csrf";
const LANG_COOKIE: &str = "veto_lang";

/// A signed-in dashboard user.
#[derive(Debug, Clone)]
pub struct Session {
    /// The token they signed in with.
    pub caller: Caller,
    /// The CSRF token their forms must carry.
    pub csrf: String,
}

/// The dashboard routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/dashboard", get(overview))
        .route("/dashboard/devices", get(devices_page))
        .route("/dashboard/devices/{id}", get(device_page))
        .route("/dashboard/census", get(census_page))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such page or endpoint") })
}

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The session of a request, if it carries a valid one.
pub async fn session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Session>, sqlx::Error> {
    let Some(value) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let row = sqlx::query(
        "SELECT t.id, t.role, t.unit, s.csrf FROM sessions s JOIN tokens t ON t.id = s.token_id \
         WHERE s.hash = $1 AND s.expires_at > $2 AND t.revoked_at IS NULL",
    )
    .bind(tokens::sha256_hex(&value))
    .bind(state.now())
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(row.and_then(|r| {
        let caller = tokens::caller_from_row(&r)?;
        let csrf: String = r.try_get(3).ok()?;
        Some(Session { caller, csrf })
    }))
}

fn cookie_header(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict");
    if state.config.secure_cookies || state.config.tls.is_some() {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `&`, `<`, `>`, `"` and `'` escaped for HTML text and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn url_enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `2026-11-22T16:00:05.123Z` → `2026-11-22 16:00:05` (UTC, as every time on the pages).
fn when(rfc3339: &str) -> String {
    let text = rfc3339.replace('T', " ");
    let text = text.trim_end_matches('Z');
    text.split('.').next().unwrap_or(text).to_string()
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1b1f24;background:#f5f6f8}\
header{display:flex;gap:1.5rem;align-items:center;background:#14375e;color:#fff;padding:.6rem 1.5rem}\
header a{color:#fff;text-decoration:none;margin-right:1rem}header .lang{margin-left:auto}\
header form{margin:0}header button{background:none;border:1px solid #fff;color:#fff;border-radius:4px;padding:.2rem .6rem;cursor:pointer}\
main{padding:1rem 1.5rem;max-width:1200px}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}\
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{background:#fff;border-radius:6px;padding:.8rem 1.2rem;min-width:140px;box-shadow:0 1px 2px #0002;text-decoration:none;color:inherit}\
.card .n{font-size:2rem;font-weight:600;display:block}.card.bad .n{color:#b42318}.card.good .n{color:#067647}.card.warn .n{color:#b54708}\
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002;margin-top:.5rem}th,td{padding:.35rem .7rem;border-bottom:1px solid #e4e7ec;text-align:left;font-size:.9rem}\
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#667085}.units a{margin-right:.8rem}\
form.filters{display:flex;gap:.8rem;align-items:end;flex-wrap:wrap;background:#fff;padding:.7rem;border-radius:6px}label{display:flex;flex-direction:column;font-size:.8rem}\
.err{color:#b42318}.ok{color:#067647}svg{background:#fff;box-shadow:0 1px 2px #0002;border-radius:6px}";

fn page(
    state: &AppState,
    lang: Lang,
    title: &str,
    session: Option<&Session>,
    body: &str,
) -> Response {
    let mut html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{} · Veto</title><style>{STYLE}</style></head><body><header><strong>Veto</strong>",
        lang.code(),
        esc(title)
    );
    if let Some(s) = session {
        let _ = write!(
            html,
            "<nav><a href=\"/dashboard\">{}</a><a href=\"/dashboard/devices\">{}</a><a href=\"/dashboard/census\">{}</a></nav>",
            t(lang, "overview"),
            t(lang, "devices"),
            t(lang, "census")
        );
        let _ = write!(
            html,
            "<span class=\"lang\"><a href=\"?lang=en\">EN</a> <a href=\"?lang=nl\">NL</a></span><span class=\"muted\">{}</span><form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button id=\"logout\">{}</button></form>",
            esc(&match &s.caller.unit {
                Some(u) => format!("{} · {u}", s.caller.role.name()),
                None => s.caller.role.name().to_string(),
            }),
            esc(&s.csrf),
            t(lang, "logout")
        );
    } else {
        html.push_str(
            "<span class=\"lang\"><a href=\"?lang=en\">EN</a> <a href=\"?lang=nl\">NL</a></span>",
        );
    }
    html.push_str("</header><main>");
    html.push_str(body);
    html.push_str("</main></body></html>");
    let mut response = (StatusCode::OK, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let _ = state;
    response
}

/// The language of a request: `?lang=`, else the cookie, else `Accept-Language`. Returns
/// a cookie to set when `?lang=` chose it.
fn language(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> (Lang, Option<HeaderValue>) {
    if let Some(l) = params.get("lang").and_then(|s| Lang::parse(s)) {
        return (
            l,
            Some(cookie_header(
                state,
                LANG_COOKIE,
                l.code(),
                "/",
                Some(365 * 86_400),
            )),
        );
    }
    if let Some(l) = cookie(headers, LANG_COOKIE).and_then(|s| Lang::parse(&s)) {
        return (l, None);
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    (Lang::from_accept(accept), None)
}

fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// The unit a page shows: `?unit=` when given and not empty, within what the caller's token
/// may see (a unit token always sees its own unit).
fn unit_in_scope(s: &Session, params: &HashMap<String, String>) -> String {
    s.caller.scope(
        params
            .get("unit")
            .map(String::as_str)
            .filter(|u| !u.is_empty()),
    )
}

/// The session, or a redirect to the sign-in page.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    match session(state, headers).await {
        Ok(Some(s)) => {
            if !state.allow(&s.caller.token_id) {
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many requests; retry later",
                )
                .into_response());
            }
            Ok(s)
        }
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unavailable: {e}"),
        )
        .into_response()),
    }
}

fn db_page(e: sqlx::Error) -> Response {
    eprintln!("veto-server: database error: {e}");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "database unavailable; try again later",
    )
    .into_response()
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let (lang, lang_cookie) = language(&state, &headers, &params);
    login_form(&state, lang, lang_cookie, None)
}

fn login_form(
    state: &AppState,
    lang: Lang,
    lang_cookie: Option<HeaderValue>,
    error: Option<&str>,
) -> Response {
    let csrf = tokens::b64url(&tokens::random_bytes::<24>());
    let error = error
        .map(|e| format!("<p class=\"err\" id=\"login-error\">{}</p>", esc(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>{}</h1><p>{}</p>{error}<form method=\"post\" action=\"/login\" class=\"filters\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><label>{}<input type=\"password\" name=\"token\" id=\"token\" size=\"60\" autocomplete=\"off\" required></label><button type=\"submit\" id=\"login\">{}</button></form>",
        t(lang, "title"),
        t(lang, "login_note"),
        t(lang, "token"),
        t(lang, "login")
    );
    let response = page(state, lang, t(lang, "login"), None, &body);
    let mut response = with_cookie(response, lang_cookie);
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(state, LOGIN_CSRF_COOKIE, &csrf, "/login", Some(3600)),
    );
    response
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (lang, _) = language(&state, &headers, &HashMap::new());
    let sent = form.get("csrf").map(String::as_str).unwrap_or("");
    if sent.is_empty() || cookie(&headers, LOGIN_CSRF_COOKIE).as_deref() != Some(sent) {
        let mut r = login_form(&state, lang, None, Some(t(lang, "login_csrf")));
        *r.status_mut() = StatusCode::FORBIDDEN;
        return r;
    }
    let secret = form.get("token").map(|s| s.trim()).unwrap_or("");
    let caller = match tokens::lookup(&state.db, secret).await {
        Ok(c) => c,
        Err(e) => return db_page(e),
    };
    let caller = match caller {
        Some(c) if c.role == Role::Ingest => {
            let mut r = login_form(&state, lang, None, Some(t(lang, "login_ingest")));
            *r.status_mut() = StatusCode::FORBIDDEN;
            return r;
        }
        Some(c) => c,
        None => {
            let mut r = login_form(&state, lang, None, Some(t(lang, "login_failed")));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            return r;
        }
    };
    let value = tokens::b64url(&tokens::random_bytes::<32>());
    let csrf = tokens::b64url(&tokens::random_bytes::<24>());
    let now = state.now();
    if let Err(e) = sqlx::query("INSERT INTO sessions (hash, token_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(tokens::sha256_hex(&value))
        .bind(&caller.token_id)
        .bind(&csrf)
        .bind(now)
        .bind(now + SESSION_MS)
        .execute(&state.db.pool)
        .await
    {
        return db_page(e);
    }
    let mut r = Redirect::to("/dashboard").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(&state, SESSION_COOKIE, &value, "/", Some(SESSION_MS / 1000)),
    );
    r.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(&state, LOGIN_CSRF_COOKIE, "", "/login", Some(0)),
    );
    r
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let s = match session(&state, &headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return db_page(e),
    };
    if form.get("csrf") != Some(&s.csrf) {
        return ApiError::new(StatusCode::FORBIDDEN, "csrf: missing or wrong CSRF token")
            .into_response();
    }
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = sqlx::query("DELETE FROM sessions WHERE hash = $1")
            .bind(tokens::sha256_hex(&value))
            .execute(&state.db.pool)
            .await
        {
            return db_page(e);
        }
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(&state, SESSION_COOKIE, "", "/", Some(0)),
    );
    r
}

fn card(id: &str, label: &str, n: i64, class: &str, href: &str) -> String {
    format!(
        "<a class=\"card {class}\" href=\"{}\"><span class=\"n\" id=\"hl-{id}\">{n}</span>{}</a>",
        esc(href),
        esc(label)
    )
}

fn unit_query(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!("&unit={}", url_enc(unit))
    }
}

const STATES: &[&str] = &[
    "warned",
    "suspended",
    "hidden",
    "removing",
    "pending",
    "failed",
    "report_only",
    "removed",
];

async fn overview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (lang, lang_cookie) = language(&state, &headers, &params);
    let unit = unit_in_scope(&s, &params);
    let (now, stale_before) = (state.now(), state.stale_before());
    let summary = match queries::summary(&state.db, &unit, now, stale_before).await {
        Ok(x) => x,
        Err(e) => return db_page(e),
    };
    let units = match queries::units(&state.db, &s.caller.scope(None), now, stale_before).await {
        Ok(x) => x,
        Err(e) => return db_page(e),
    };
    let apps = match queries::package_states(&state.db, &unit, now).await {
        Ok(x) => x,
        Err(e) => return db_page(e),
    };
    let (days, deadline) = match queries::burndown(&state.db, &unit).await {
        Ok(x) => x,
        Err(e) => return db_page(e),
    };
    let filter = queries::DeviceFilter {
        unit: unit.clone(),
        stale: Some(true),
        ..Default::default()
    };
    let stale = match queries::devices(&state.db, &filter, Some(20), 0, now, stale_before).await {
        Ok(x) => x,
        Err(e) => return db_page(e),
    };
    let uq = unit_query(&unit);
    let mut b = String::new();
    let _ = write!(
        b,
        "<h1>{}{}</h1><p class=\"muted\">{}</p>",
        t(lang, "title"),
        if unit.is_empty() {
            String::new()
        } else {
            format!(" · {}", esc(&unit))
        },
        t(lang, "times_utc")
    );
    if s.caller.unit.is_none() && units.len() > 1 {
        let _ = write!(
            b,
            "<p class=\"units\"><a href=\"/dashboard\">{}</a>",
            t(lang, "all_units")
        );
        for u in &units {
            let _ = write!(
                b,
                "<a href=\"/dashboard?unit={}\">{}</a>",
                url_enc(&u.unit),
                esc(&u.unit)
            );
        }
        b.push_str("</p>");
    }
    b.push_str("<div class=\"cards\">");
    b.push_str(&card(
        "devices",
        t(lang, "devices"),
        summary.devices,
        "",
        &format!("/dashboard/devices?{uq}"),
    ));
    b.push_str(&card(
        "compliant",
        t(lang, "compliant"),
        summary.compliant,
        "good",
        &format!("/dashboard/devices?status=compliant{uq}"),
    ));
    b.push_str(&card(
        "non_compliant",
        t(lang, "non_compliant"),
        summary.non_compliant,
        "bad",
        &format!("/dashboard/devices?status=non_compliant{uq}"),
    ));
    b.push_str(&card(
        "past_deadline",
        t(lang, "past_deadline"),
        summary.past_deadline,
        "bad",
        &format!("/dashboard/devices?status=past_deadline{uq}"),
    ));
    b.push_str(&card(
        "stale",
        t(lang, "stale"),
        summary.stale,
        "warn",
        &format!("/dashboard/devices?stale=true{uq}"),
    ));
    b.push_str("</div>");
    if units.len() > 1 || (!units.is_empty() && unit.is_empty()) {
        let _ = write!(
            b,
            "<h2>{}</h2><table id=\"units\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t(lang, "per_unit"),
            t(lang, "unit"),
            t(lang, "devices"),
            t(lang, "compliant"),
            t(lang, "non_compliant"),
            t(lang, "past_deadline"),
            t(lang, "stale")
        );
        for u in &units {
            let _ = write!(
                b,
                "<tr><td><a href=\"/dashboard?unit={}\">{}</a></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                url_enc(&u.unit),
                esc(&u.unit),
                u.devices,
                u.compliant,
                u.non_compliant,
                u.past_deadline,
                u.stale
            );
        }
        b.push_str("</table>");
    }
    let _ = write!(b, "<h2>{}</h2>", t(lang, "barred_apps"));
    if apps.is_empty() {
        let _ = write!(b, "<p class=\"muted\">{}</p>", t(lang, "no_data"));
    } else {
        let _ = write!(
            b,
            "<table id=\"apps\"><tr><th>{}</th><th>{}</th>",
            t(lang, "app"),
            t(lang, "have_it")
        );
        for st in STATES {
            let _ = write!(b, "<th>{}</th>", t(lang, st));
        }
        let _ = write!(b, "<th>{}</th></tr>", t(lang, "past_deadline"));
        for a in &apps {
            let name = match &a.label {
                Some(l) => format!(
                    "{} <span class=\"muted\">{}</span>",
                    esc(l),
                    esc(&a.package)
                ),
                None => esc(&a.package),
            };
            let _ = write!(
                b,
                "<tr><td><a href=\"/dashboard/devices?package={}{uq}\">{name}</a></td><td class=\"num\">{}</td>",
                url_enc(&a.package),
                a.devices
            );
            for st in STATES {
                let _ = write!(
                    b,
                    "<td class=\"num\">{}</td>",
                    a.states.get(*st).copied().unwrap_or(0)
                );
            }
            let _ = write!(b, "<td class=\"num\">{}</td></tr>", a.past_deadline);
        }
        b.push_str("</table>");
    }
    let _ = write!(b, "<h2>{}</h2>", t(lang, "burndown"));
    b.push_str(&burndown_svg(&days, deadline, lang));
    let _ = write!(b, "<h2>{}</h2>", t(lang, "stale_devices"));
    if stale.devices.is_empty() {
        let _ = write!(b, "<p class=\"muted\">0</p>");
    } else {
        b.push_str(&device_table(lang, &stale.devices));
        let _ = write!(
            b,
            "<p><a href=\"/dashboard/devices?stale=true{uq}\">{} ({})</a></p>",
            t(lang, "all_stale"),
            stale.total
        );
    }
    with_cookie(
        page(&state, lang, t(lang, "overview"), Some(&s), &b),
        lang_cookie,
    )
}

fn device_table(lang: Lang, devices: &[queries::DeviceRow]) -> String {
    let mut b = format!(
        "<table class=\"devices\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "device"),
        t(lang, "unit"),
        t(lang, "status"),
        t(lang, "findings"),
        t(lang, "deadline"),
        t(lang, "last_seen"),
        t(lang, "policy")
    );
    for d in devices {
        let status = if d.compliant {
            format!("<span class=\"ok\">{}</span>", t(lang, "compliant"))
        } else {
            format!("<span class=\"err\">{}</span>", t(lang, "non_compliant"))
        };
        let stale = if d.stale {
            format!(" · {}", t(lang, "stale"))
        } else {
            String::new()
        };
        let deadline = match &d.earliest_deadline {
            Some(dl) if d.past_deadline => format!("<span class=\"err\">{}</span>", esc(&when(dl))),
            Some(dl) => esc(&when(dl)),
            None => String::new(),
        };
        let _ = write!(
            b,
            "<tr><td><a href=\"/dashboard/devices/{}\">{}</a></td><td>{}</td><td>{status}{stale}</td><td>{}</td><td>{deadline}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            url_enc(&d.device_id),
            esc(&d.device_id),
            esc(&d.unit),
            esc(&d.packages.join(", ")),
            esc(&when(&d.last_seen)),
            d.policy_version
        );
    }
    b.push_str("</table>");
    b
}

/// Devices per page on the dashboard.
const PAGE: i64 = 50;

async fn devices_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (lang, lang_cookie) = language(&state, &headers, &params);
    let filter = match device_filter(&s.caller, &params) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let offset: i64 = params
        .get("offset")
        .and_then(|o| o.parse().ok())
        .filter(|o| *o >= 0)
        .unwrap_or(0);
    let page_data = match queries::devices(
        &state.db,
        &filter,
        Some(PAGE),
        offset,
        state.now(),
        state.stale_before(),
    )
    .await
    {
        Ok(x) => x,
        Err(e) => return db_page(e),
    };
    let mut q = Vec::new();
    if !filter.unit.is_empty() && s.caller.unit.is_none() {
        q.push(format!("unit={}", url_enc(&filter.unit)));
    }
    if let Some(p) = &filter.package {
        q.push(format!("package={}", url_enc(p)));
    }
    if let Some(st) = &filter.status {
        q.push(format!("status={}", url_enc(st)));
    }
    if let Some(st) = filter.stale {
        q.push(format!("stale={st}"));
    }
    let query = q.join("&");
    let mut b = format!("<h1>{}</h1>", t(lang, "devices"));
    let selected = |cur: Option<&str>, v: &str| if cur == Some(v) { " selected" } else { "" };
    let _ = write!(
        b,
        "<form class=\"filters\" method=\"get\" action=\"/dashboard/devices\" id=\"filters\">"
    );
    if s.caller.unit.is_none() {
        let _ = write!(
            b,
            "<label>{}<input name=\"unit\" value=\"{}\"></label>",
            t(lang, "unit"),
            esc(&filter.unit)
        );
    }
    let _ = write!(
        b,
        "<label>{}<input name=\"package\" value=\"{}\"></label>",
        t(lang, "package"),
        esc(filter.package.as_deref().unwrap_or(""))
    );
    let st = filter.status.as_deref();
    let _ = write!(
        b,
        "<label>{}<select name=\"status\"><option value=\"\">{}</option><option value=\"compliant\"{}>{}</option><option value=\"non_compliant\"{}>{}</option><option value=\"past_deadline\"{}>{}</option></select></label>",
        t(lang, "status"),
        t(lang, "any"),
        selected(st, "compliant"),
        t(lang, "compliant"),
        selected(st, "non_compliant"),
        t(lang, "non_compliant"),
        selected(st, "past_deadline"),
        t(lang, "past_deadline")
    );
    let stale_v = filter.stale.map(|b| if b { "true" } else { "false" });
    let _ = write!(
        b,
        "<label>{}<select name=\"stale\"><option value=\"\">{}</option><option value=\"true\"{}>{}</option><option value=\"false\"{}>{}</option></select></label><button type=\"submit\" id=\"apply\">{}</button></form>",
        t(lang, "stale"),
        t(lang, "any"),
        selected(stale_v, "true"),
        t(lang, "stale"),
        selected(stale_v, "false"),
        t(lang, "fresh"),
        t(lang, "filter")
    );
    let _ = write!(
        b,
        "<p><span id=\"total\">{}</span> {} · <a id=\"csv\" href=\"/v1/devices?format=csv{}{}\">{}</a></p>",
        page_data.total,
        t(lang, "devices").to_lowercase(),
        if query.is_empty() { "" } else { "&" },
        esc(&query),
        t(lang, "download_csv")
    );
    b.push_str(&device_table(lang, &page_data.devices));
    let sep = if query.is_empty() { "" } else { "&" };
    if offset > 0 {
        let _ = write!(
            b,
            " <a href=\"/dashboard/devices?{}{sep}offset={}\">{}</a>",
            esc(&query),
            (offset - PAGE).max(0),
            t(lang, "previous")
        );
    }
    if offset + PAGE < page_data.total {
        let _ = write!(
            b,
            " <a id=\"next\" href=\"/dashboard/devices?{}{sep}offset={}\">{}</a>",
            esc(&query),
            offset + PAGE,
            t(lang, "next")
        );
    }
    with_cookie(
        page(&state, lang, t(lang, "devices"), Some(&s), &b),
        lang_cookie,
    )
}

async fn device_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (lang, lang_cookie) = language(&state, &headers, &params);
    let d = match queries::device(
        &state.db,
        &id,
        &s.caller.scope(None),
        state.now(),
        state.stale_before(),
    )
    .await
    {
        Ok(Some(d)) => d,
        Ok(None) => {
            let mut r = page(
                &state,
                lang,
                t(lang, "not_found"),
                Some(&s),
                &format!("<p>{}</p>", t(lang, "not_found")),
            );
            *r.status_mut() = StatusCode::NOT_FOUND;
            return r;
        }
        Err(e) => return db_page(e),
    };
    let mut b = format!(
        "<h1>{} {}</h1>",
        t(lang, "device"),
        esc(&d.device.device_id)
    );
    b.push_str(&device_table(lang, std::slice::from_ref(&d.device)));
    let _ = write!(
        b,
        "<h2>{}</h2><table id=\"findings\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "findings"),
        t(lang, "app"),
        t(lang, "state"),
        t(lang, "status"),
        t(lang, "first_seen"),
        t(lang, "deadline")
    );
    for f in &d.finding_details {
        let name = match &f.label {
            Some(l) => format!(
                "{} <span class=\"muted\">{}</span>",
                esc(l),
                esc(&f.package)
            ),
            None => esc(&f.package),
        };
        let deadline = if f.past_deadline {
            format!("<span class=\"err\">{}</span>", esc(&when(&f.deadline)))
        } else {
            esc(&when(&f.deadline))
        };
        let _ = write!(
            b,
            "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{deadline}</td></tr>",
            t(lang, &f.state),
            esc(&f.status),
            esc(&when(&f.first_seen))
        );
    }
    b.push_str("</table>");
    let _ = write!(
        b,
        "<h2>{}</h2><table id=\"history\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "history"),
        t(lang, "evaluated"),
        t(lang, "received"),
        t(lang, "status"),
        t(lang, "findings"),
        t(lang, "policy"),
        t(lang, "report")
    );
    for h in &d.history {
        let status = if h.compliant {
            t(lang, "compliant")
        } else {
            t(lang, "non_compliant")
        };
        let current = if h.current {
            format!(" <strong>({})</strong>", t(lang, "current"))
        } else {
            String::new()
        };
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{status}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"muted\">{}{current}</td></tr>",
            esc(&when(&h.evaluated_at)),
            esc(&when(&h.received_at)),
            h.findings,
            h.policy_version,
            esc(&h.report_id)
        );
    }
    b.push_str("</table>");
    with_cookie(
        page(&state, lang, &d.device.device_id, Some(&s), &b),
        lang_cookie,
    )
}

async fn census_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (lang, lang_cookie) = language(&state, &headers, &params);
    let unit = unit_in_scope(&s, &params);
    let policy = match crate::api::hosted_policy(&state).await {
        Ok(p) => p,
        Err(e) => return db_page(e),
    };
    let apps = match queries::census(&state.db, &unit, policy.as_ref()).await {
        Ok(x) => x,
        Err(e) => return db_page(e),
    };
    let mut b = format!(
        "<h1>{}</h1><p class=\"muted\">{}</p>",
        t(lang, "census"),
        t(lang, "census_note")
    );
    let _ = write!(
        b,
        "<table id=\"census\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "package"),
        t(lang, "label"),
        t(lang, "devices"),
        t(lang, "installers"),
        t(lang, "signers"),
        t(lang, "catalog"),
        t(lang, "policy_rule")
    );
    for a in &apps {
        let installers: Vec<String> = a
            .installers
            .iter()
            .map(|(k, n)| format!("{} ({n})", esc(k)))
            .collect();
        let signers: Vec<String> = a
            .signers
            .iter()
            .map(|(k, n)| {
                format!(
                    "<span title=\"{}\">{}…</span> ({n})",
                    esc(k),
                    esc(&k.chars().take(11).collect::<String>())
                )
            })
            .collect();
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"err\">{}</td><td class=\"err\">{}</td></tr>",
            esc(&a.package),
            esc(a.label.as_deref().unwrap_or("")),
            a.devices,
            installers.join("<br>"),
            signers.join("<br>"),
            esc(&a.catalog.join(", ")),
            esc(&a.policy_rules.join(", "))
        );
    }
    b.push_str("</table>");
    with_cookie(
        page(&state, lang, t(lang, "census"), Some(&s), &b),
        lang_cookie,
    )
}

/// The burndown chart: devices with a barred app per day (red), the straight line from
/// the first day to zero at the deadline (dashed), and the deadline itself.
pub fn burndown_svg(days: &[Day], deadline: Option<i64>, lang: Lang) -> String {
    const W: f64 = 760.0;
    const H: f64 = 260.0;
    const L: f64 = 56.0;
    const R: f64 = 20.0;
    const T: f64 = 20.0;
    const B: f64 = 40.0;
    let Some(first) = days.first() else {
        return format!(
            "<p class=\"muted\" id=\"burndown\">{}</p>",
            t(lang, "no_data")
        );
    };
    let deadline_day = deadline.map(|d| d.div_euclid(crate::clock::DAY_MS));
    let last_day = days
        .last()
        .map(|d| d.day)
        .unwrap_or(first.day)
        .max(deadline_day.unwrap_or(i64::MIN));
    let span = (last_day - first.day).max(1) as f64;
    let max_y = days.iter().map(|d| d.barred).max().unwrap_or(0).max(1) as f64;
    let x = |day: i64| L + (day - first.day) as f64 / span * (W - L - R);
    let y = |v: i64| T + (1.0 - v as f64 / max_y) * (H - T - B);
    let date = |day: i64| veto_core::Timestamp::from_millis(day * crate::clock::DAY_MS).to_date();
    let mut s = format!(
        "<svg id=\"burndown\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
        esc(t(lang, "burndown"))
    );
    let _ = write!(
        s,
        "<line x1=\"{L}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#98a2b3\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{}\" stroke=\"#98a2b3\"/>",
        H - B,
        W - R,
        H - B,
        H - B
    );
    for v in [0, max_y as i64 / 2, max_y as i64] {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">{v}</text><line x1=\"{L}\" y1=\"{:.1}\" x2=\"{}\" y2=\"{:.1}\" stroke=\"#eaecf0\"/>",
            L - 6.0,
            y(v) + 4.0,
            y(v),
            W - R,
            y(v)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{L}\" y=\"{}\" font-size=\"11\" fill=\"#475467\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#475467\">{}</text>",
        H - B + 16.0,
        date(first.day),
        W - R,
        H - B + 16.0,
        date(last_day)
    );
    if let Some(dd) = deadline_day {
        let _ = write!(
            s,
            "<line x1=\"{0:.1}\" y1=\"{T}\" x2=\"{0:.1}\" y2=\"{1}\" stroke=\"#b42318\" stroke-dasharray=\"4 3\"/><text x=\"{0:.1}\" y=\"{2}\" font-size=\"11\" text-anchor=\"end\" fill=\"#b42318\">{3} {4}</text>",
            x(dd),
            H - B,
            T + 10.0,
            t(lang, "deadline"),
            date(dd)
        );
        let _ = write!(
            s,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#98a2b3\" stroke-dasharray=\"6 4\"/>",
            x(first.day),
            y(first.barred),
            x(dd),
            y(0)
        );
    }
    let points: Vec<String> = days
        .iter()
        .map(|d| format!("{:.1},{:.1}", x(d.day), y(d.barred)))
        .collect();
    let _ = write!(
        s,
        "<polyline fill=\"none\" stroke=\"#b42318\" stroke-width=\"2.5\" points=\"{}\"/>",
        points.join(" ")
    );
    for d in days {
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#b42318\"><title>{}: {} / {} {}</title></circle>",
            x(d.day),
            y(d.barred),
            date(d.day),
            d.barred,
            d.devices,
            t(lang, "reporting").to_lowercase()
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_the_pages_use_is_translated() {
        let src = include_str!("web.rs");
        let keys: Vec<&str> = crate::i18n::keys().collect();
        let mut rest = src;
        while let Some(i) = rest.find("t(lang, \"") {
            rest = &rest[i + 9..];
            let key = &rest[..rest.find('"').unwrap()];
            assert!(keys.contains(&key), "missing translation key {key}");
        }
        for st in STATES {
            assert!(keys.contains(st), "missing state {st}");
        }
    }

    #[test]
    fn html_and_urls_are_escaped() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(url_enc("a b/c&d"), "a%20b%2Fc%26d");
    }

    #[test]
    fn the_burndown_draws_days_and_the_deadline() {
        let days = vec![
            Day {
                day: 20_000,
                devices: 10,
                barred: 8,
            },
            Day {
                day: 20_001,
                devices: 10,
                barred: 5,
            },
            Day {
                day: 20_002,
                devices: 9,
                barred: 2,
            },
        ];
        let svg = burndown_svg(&days, Some(20_010 * crate::clock::DAY_MS), Lang::En);
        assert!(svg.starts_with("<svg id=\"burndown\""), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("Deadline 2024-10-14"), "{svg}");
        assert!(svg.contains("2024-10-04"), "{svg}");
        let empty = burndown_svg(&[], None, Lang::Nl);
        assert!(empty.contains("Nog geen meldingen."), "{empty}");
    }
}
