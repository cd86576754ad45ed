//! veto-server: the organisation's side of Veto. It collects the `veto-report/1` reports
//! phones send, hosts the signed policy feed, and shows the fleet on a server-rendered
//! dashboard. `docs/server.md` is the operator's guide.
//!
//! Layout: [`db`] connects and migrates (SQLite or PostgreSQL, one schema); [`tokens`]
//! holds bearer tokens (hashed); [`ingest`] checks and stores reports (group commit);
//! [`queries`] reads what the API and dashboard show; [`api`] is the JSON API, [`web`]
//! the dashboard; [`tls`] serves HTTPS; [`retention`] prunes old history.

pub mod api;
pub mod clock;
pub mod db;
pub mod i18n;
pub mod ingest;
pub mod queries;
pub mod retention;
pub mod tls;
pub mod tokens;
pub mod web;

use crate::clock::Clock;
use crate::db::Db;
use crate::tokens::Caller;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How the server runs (`veto-server serve` options).
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…`.
    pub database: String,
    /// A device with no report received for this long is stale (ms).
    pub stale_after_ms: i64,
    /// The Ed25519 public key that signs the feed (base64 or hex); no feed without it.
    pub feed_public_key: Option<String>,
    /// Certificate chain and private key (PEM) to serve HTTPS; None: plain HTTP behind a
    /// TLS-terminating reverse proxy.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Largest request body (bytes).
    pub max_body: usize,
    /// Requests per second allowed per token (sustained).
    pub rate_per_sec: f64,
    /// Requests allowed per token in a burst.
    pub rate_burst: f64,
    /// Report history is kept this long (ms).
    pub retention_ms: i64,
    /// Mark the session cookie `Secure` (always under TLS; set it behind an HTTPS proxy).
    pub secure_cookies: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            database: "sqlite://veto-server.db".to_string(),
            stale_after_ms: 24 * 3_600_000,
            feed_public_key: None,
            tls: None,
            max_body: 1024 * 1024,
            rate_per_sec: 2000.0,
            rate_burst: 4000.0,
            retention_ms: 90 * clock::DAY_MS,
            secure_cookies: false,
        }
    }
}

/// Why a request was refused, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 400.
    BadRequest,
    /// 401.
    Unauthorized,
    /// 403 (role).
    Forbidden,
    /// 403 (device of another unit).
    WrongUnit,
    /// 413.
    TooLarge,
    /// 429.
    RateLimited,
    /// 503.
    Unavailable,
}

impl Refusal {
    /// Every reason, in `/metrics` order.
    pub const ALL: [Refusal; 7] = [
        Refusal::BadRequest,
        Refusal::Unauthorized,
        Refusal::Forbidden,
        Refusal::WrongUnit,
        Refusal::TooLarge,
        Refusal::RateLimited,
        Refusal::Unavailable,
    ];

    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            Refusal::BadRequest => "bad_request",
            Refusal::Unauthorized => "unauthorized",
            Refusal::Forbidden => "forbidden",
            Refusal::WrongUnit => "wrong_unit",
            Refusal::TooLarge => "too_large",
            Refusal::RateLimited => "rate_limited",
            Refusal::Unavailable => "unavailable",
        }
    }
}

/// Counters since start (per instance).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Reports stored.
    pub accepted: AtomicU64,
    /// Reports seen before (answered 2xx, not counted again).
    pub duplicates: AtomicU64,
    refused: [AtomicU64; 7],
}

impl Metrics {
    /// Counts a refused report.
    pub fn refuse(&self, why: Refusal) {
        let i = Refusal::ALL.iter().position(|r| *r == why).unwrap_or(0);
        self.refused[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Refused reports for a reason.
    pub fn refused(&self, why: Refusal) -> u64 {
        let i = Refusal::ALL.iter().position(|r| *r == why).unwrap_or(0);
        self.refused[i].load(Ordering::Relaxed)
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Everything a request handler needs.
pub struct Inner {
    /// The database.
    pub db: Db,
    /// The report writer.
    pub writer: ingest::Writer,
    /// Options.
    pub config: Config,
    /// Time.
    pub clock: Clock,
    /// Counters.
    pub metrics: Metrics,
    token_cache: Mutex<HashMap<String, (Caller, Instant)>>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Shared state.
pub type AppState = Arc<Inner>;

/// How long a token lookup is trusted before the database is asked again (so a revoked
/// token stops working within this time).
pub const TOKEN_CACHE_SECS: u64 = 5;

impl Inner {
    /// Opens the database (migrating it) and starts the writer.
    pub async fn start(config: Config, clock: Clock) -> Result<AppState, String> {
        if let Some(key) = &config.feed_public_key {
            veto_net::keys::parse_public_key(key, "--feed-public-key")
                .map_err(|e| e.message().to_string())?;
        }
        let db = Db::open(&config.database).await?;
        let writer = ingest::Writer::start(db.clone());
        Ok(Arc::new(Inner {
            db,
            writer,
            config,
            clock,
            metrics: Metrics::default(),
            token_cache: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
        }))
    }

    /// Now (ms).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Reports received before this are stale.
    pub fn stale_before(&self) -> i64 {
        self.now() - self.config.stale_after_ms
    }

    /// The caller a bearer secret belongs to (cached for [`TOKEN_CACHE_SECS`]).
    pub async fn caller(&self, secret: &str) -> Result<Option<Caller>, sqlx::Error> {
        let hash = tokens::sha256_hex(secret);
        if let Some((caller, at)) = self
            .token_cache
            .lock()
            .map_err(|_| sqlx::Error::PoolClosed)?
            .get(&hash)
        {
            if at.elapsed().as_secs() < TOKEN_CACHE_SECS {
                return Ok(Some(caller.clone()));
            }
        }
        let found = tokens::lookup(&self.db, secret).await?;
        let mut cache = self
            .token_cache
            .lock()
            .map_err(|_| sqlx::Error::PoolClosed)?;
        match &found {
            Some(c) => {
                if cache.len() > 10_000 {
                    cache.clear();
                }
                cache.insert(hash, (c.clone(), Instant::now()));
            }
            None => {
                cache.remove(&hash);
            }
        }
        Ok(found)
    }

    /// Takes one request from the token's bucket; false when it is empty (429).
    pub fn allow(&self, token_id: &str) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        let now = Instant::now();
        let (rate, burst) = (self.config.rate_per_sec, self.config.rate_burst);
        let b = buckets.entry(token_id.to_string()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The whole application: API, feed, metrics, health and dashboard.
pub fn app(state: AppState) -> axum::Router {
    api::routes()
        .merge(web::routes())
        .layer(axum::extract::DefaultBodyLimit::max(state.config.max_body))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, then finishes requests in flight. `ready` receives the
/// address actually bound (useful with port 0).
pub async fn serve(state: AppState, ready: impl FnOnce(SocketAddr)) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(state.config.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", state.config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    retention::spawn(state.clone());
    let router = app(state.clone());
    let service = router.into_make_service();
    match &state.config.tls {
        Some((cert, key)) => {
            let tls_listener = tls::TlsListener::new(listener, tls::server_config(cert, key)?);
            ready(addr);
            axum::serve(tls_listener, service)
                .with_graceful_shutdown(shutdown())
                .await
        }
        None => {
            ready(addr);
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown())
                .await
        }
    }
    .map_err(|e| format!("server: {e}"))
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
