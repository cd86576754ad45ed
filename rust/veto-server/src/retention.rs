//! Retention: report history older than `--retention` (90 days by default) is deleted,
//! hourly. Each device's current summary stays (a device silent for months is still worth
//! showing as stale); its full reports, its day-by-day history and expired sessions go.

use crate::clock::DAY_MS;
use crate::db::Db;
use crate::AppState;
use std::time::Duration;

/// What a prune deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    /// Reports.
    pub reports: u64,
    /// Device-day rows.
    pub device_days: u64,
    /// Sessions.
    pub sessions: u64,
}

/// Deletes reports received before `now - retention_ms`, device days and burndown days
/// older than that, and expired sessions.
pub async fn prune(db: &Db, now: i64, retention_ms: i64) -> Result<Pruned, sqlx::Error> {
    let cutoff = now - retention_ms;
    let reports = sqlx::query("DELETE FROM reports WHERE received_at < $1")
        .bind(cutoff)
        .execute(&db.pool)
        .await?
        .rows_affected();
    let day = cutoff.div_euclid(DAY_MS);
    let device_days = sqlx::query("DELETE FROM device_days WHERE day < $1")
        .bind(day)
        .execute(&db.pool)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM daily WHERE day < $1")
        .bind(day)
        .execute(&db.pool)
        .await?;
    let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now)
        .execute(&db.pool)
        .await?
        .rows_affected();
    Ok(Pruned {
        reports,
        device_days,
        sessions,
    })
}

/// Prunes now and then every hour, for as long as the server runs.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        loop {
            match prune(&state.db, state.now(), state.config.retention_ms).await {
                Ok(p) if p.reports > 0 => {
                    eprintln!("veto-server: retention: deleted {} reports older than the retention period", p.reports)
                }
                Ok(_) => {}
                Err(e) => eprintln!("veto-server: retention: {e}"),
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
}
