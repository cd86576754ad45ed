//! The database: connecting to SQLite or PostgreSQL through sqlx's `Any` driver, and the
//! schema migrations applied at start.
//!
//! SQLite runs in WAL mode with `synchronous = FULL`: a report is answered 2xx only after
//! the transaction holding it is committed and synced, so a crash (or power loss) never
//! loses an accepted report. Every query is written once, with `$N` parameters, which both
//! drivers accept.

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};
use std::str::FromStr;
use std::time::Duration;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://path` (the embedded default).
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

impl Backend {
    /// The backend a database URL names, or an error naming the URL's scheme.
    pub fn of(url: &str) -> Result<Backend, String> {
        let scheme = url.split(':').next().unwrap_or("");
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(format!(
                "--database: expected a sqlite:// or postgres:// URL, found scheme \"{scheme}\""
            )),
        }
    }
}

/// A connection pool and the backend behind it.
#[derive(Debug, Clone)]
pub struct Db {
    /// The pool.
    pub pool: AnyPool,
    /// SQLite or PostgreSQL.
    pub backend: Backend,
}

/// The migrations, in order. Version 1 is the whole schema; later versions append here.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("schema.sql"))];

/// The schema version this build expects.
pub const SCHEMA_VERSION: i64 = 1;

fn statements(sql: &str) -> impl Iterator<Item = String> + '_ {
    sql.split("\n;")
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|s| !s.trim().is_empty())
}

impl Db {
    /// Connects (creating a SQLite file if needed) and applies pending migrations.
    pub async fn open(url: &str) -> Result<Db, String> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url)?;
        let mut url = url.to_string();
        if backend == Backend::Sqlite && !url.contains("mode=") {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str("mode=rwc");
        }
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| format!("--database: {}: {e}", redact(&url)))?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Per connection: wait for the writer instead of failing, sync every
                        // commit, enforce nothing else.
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| format!("database {}: cannot connect: {e}", redact(&url)))?;
        let db = Db { pool, backend };
        if backend == Backend::Sqlite {
            // Persistent in the file: readers never block the writer.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&db.pool)
                .await
                .map_err(|e| format!("database: cannot switch to WAL: {e}"))?;
        }
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), String> {
        let err = |e: sqlx::Error| format!("database: migration failed: {e}");
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.pool)
        .await
        .map_err(err)?;
        let mut conn = self.pool.acquire().await.map_err(err)?;
        let mut tx = conn.begin().await.map_err(err)?;
        if self.backend == Backend::Postgres {
            // Several instances may start at once on one database: one migrates, the
            // others wait and then find nothing to do.
            sqlx::query("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .map_err(err)?;
        }
        let current: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&mut *tx)
            .await
            .map_err(err)?;
        let current = current.unwrap_or(0);
        if current > SCHEMA_VERSION {
            return Err(format!(
                "database: schema version {current} is newer than this veto-server ({SCHEMA_VERSION}); upgrade veto-server"
            ));
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            for statement in statements(sql) {
                sqlx::query(&statement)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| format!("database: migration {version} failed: {e}"))?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(crate::clock::system_now())
                .execute(&mut *tx)
                .await
                .map_err(err)?;
        }
        tx.commit().await.map_err(err)?;
        Ok(())
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_are_named_by_scheme() {
        assert_eq!(
            Backend::of("sqlite:///var/lib/veto.db"),
            Ok(Backend::Sqlite)
        );
        assert_eq!(Backend::of("postgres://u@h/db"), Ok(Backend::Postgres));
        assert_eq!(Backend::of("postgresql://u@h/db"), Ok(Backend::Postgres));
        assert_eq!(
            Backend::of("mysql://x").unwrap_err(),
            "--database: expected a sqlite:// or postgres:// URL, found scheme \"mysql\""
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://veto:s3cret@db:5432/veto"),
            "postgres://veto:***@db:5432/veto"
        );
        assert_eq!(redact("sqlite:///x.db"), "sqlite:///x.db");
    }

    #[test]
    fn the_schema_splits_into_statements() {
        let all: Vec<String> = statements(include_str!("schema.sql")).collect();
        assert!(
            all.iter().all(|s| s.trim_start().starts_with("CREATE")),
            "{all:?}"
        );
        assert_eq!(all.iter().filter(|s| s.contains("CREATE TABLE")).count(), 9);
    }
}
