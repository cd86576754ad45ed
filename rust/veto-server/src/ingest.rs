//! Taking reports in: checking a `veto-report/1` document and storing it.
//!
//! Reports are written by a writer task that commits them in small batches (group
//! commit): each request waits until the transaction holding its report is committed,
//! and only then is answered 2xx. A report is kept in full in `reports`; the device's
//! current state (the report with the latest `evaluated_at`) is summarised in `devices`
//! and `findings`, its inventory (when sent) in `inventory`, and its day in `device_days`
//! and `daily` (the burndown). A `report_id` seen before is a duplicate: accepted again,
//! counted once.

use crate::clock::DAY_MS;
use crate::db::{Backend, Db};
use sqlx::{Any, Connection, Row, Transaction};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};
use veto_core::plan::Status;
use veto_core::report::{Report, ReportedFinding, FORMAT};
use veto_core::Action;

/// A report that passed the checks, ready to store.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The parsed report.
    pub report: Report,
    /// The exact bytes received (kept as the record).
    pub body: String,
    /// The unit of the ingest token it came with.
    pub unit: String,
    /// When it arrived (ms).
    pub received_at: i64,
}

/// What storing a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored; `current` when it is now the device's current report.
    Stored {
        /// It became the device's current report.
        current: bool,
    },
    /// A report with this id was stored before; nothing changed.
    Duplicate,
    /// The device belongs to another unit (named): refused.
    WrongUnit(String),
}

/// Checks a report body; the error names the field.
pub fn check(body: &[u8], idempotency_key: Option<&str>) -> Result<Report, String> {
    let text =
        std::str::from_utf8(body).map_err(|_| "report: the body is not UTF-8".to_string())?;
    let report = Report::from_json(text).map_err(|e| e.message().to_string())?;
    // The body is kept as sent and read back as JSON for the device page and the API: what
    // the report reader skips (a field it does not know) must read as JSON too. A number
    // out of range there was stored and then showed as no report (found by the
    // server_ingest fuzz target).
    if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
        let detail = e.to_string();
        let detail = detail
            .rsplit_once(" at line ")
            .map_or(detail.as_str(), |(d, _)| d);
        return Err(format!(
            "report: {detail} (line {}, column {})",
            e.line(),
            e.column()
        ));
    }
    if report.format != FORMAT {
        return Err(format!(
            "format: expected \"{FORMAT}\", found \"{}\"",
            report.format.chars().take(40).collect::<String>()
        ));
    }
    check_id(&report.report_id, "report_id")?;
    check_id(&report.device_id, "device_id")?;
    for (i, f) in report.findings.iter().enumerate() {
        if f.package.is_empty() || f.package.len() > 255 {
            return Err(format!("findings[{i}].package: must be 1-255 characters"));
        }
    }
    if let Some(key) = idempotency_key {
        if key != report.report_id {
            return Err(format!(
                "Idempotency-Key: \"{}\" does not match report_id \"{}\"",
                key.chars().take(100).collect::<String>(),
                report.report_id
            ));
        }
    }
    Ok(report)
}

fn check_id(id: &str, field: &str) -> Result<(), String> {
    if id.is_empty() || id.chars().count() > 100 || id.chars().any(char::is_control) {
        Err(format!(
            "{field}: must be 1-100 characters without control characters"
        ))
    } else {
        Ok(())
    }
}

/// How a finding shows on the dashboard: `failed`, `report_only`, else the strongest
/// action in effect (`removing`, `hidden`, `suspended`, `warned`), else `pending`.
/// Packages that left a device's current report are `removed` (see `findings.present`).
pub fn finding_state(f: &ReportedFinding) -> &'static str {
    match f.status {
        Status::Failed => return "failed",
        Status::Reported => return "report_only",
        Status::Due | Status::Enforced => {}
    }
    let has = |a: Action| f.in_effect.contains(&a);
    if has(Action::Uninstall) {
        "removing"
    } else if has(Action::Hide) {
        "hidden"
    } else if has(Action::Suspend) {
        "suspended"
    } else if has(Action::Warn) {
        "warned"
    } else {
        "pending"
    }
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Due => "due",
        Status::Enforced => "enforced",
        Status::Failed => "failed",
        Status::Reported => "reported",
    }
}

type Tx<'c> = Transaction<'c, Any>;

async fn store_one(
    tx: &mut Tx<'_>,
    a: &Accepted,
    known_unit: Option<String>,
) -> Result<Outcome, sqlx::Error> {
    let r = &a.report;
    // A device's unit never changes once stored, so a unit seen in a committed
    // transaction can be trusted without asking again.
    let existing: Option<String> = match known_unit {
        Some(unit) => Some(unit),
        None => {
            sqlx::query_scalar("SELECT unit FROM devices WHERE device_id = $1")
                .bind(&r.device_id)
                .fetch_optional(&mut **tx)
                .await?
        }
    };
    if let Some(unit) = existing {
        if unit != a.unit {
            return Ok(Outcome::WrongUnit(unit));
        }
    }
    let evaluated = r.evaluated_at.millis();
    let compliant = i64::from(r.compliant);
    let findings = r.findings.len() as i64;
    let inserted = sqlx::query(
        "INSERT INTO reports (report_id, device_id, unit, evaluated_at, received_at, compliant, findings, policy_version, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (report_id) DO NOTHING",
    )
    .bind(&r.report_id)
    .bind(&r.device_id)
    .bind(&a.unit)
    .bind(evaluated)
    .bind(a.received_at)
    .bind(compliant)
    .bind(findings)
    .bind(r.policy.version as i64)
    .bind(&a.body)
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(Outcome::Duplicate);
    }
    let earliest = r.findings.iter().map(|f| f.deadline.millis()).min();
    let current = sqlx::query(
        "INSERT INTO devices (device_id, unit, report_id, evaluated_at, first_seen, last_seen, compliant, findings, \
         earliest_deadline, policy_version, veto_version, feed_error, warnings, dropped_reports) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (device_id) DO UPDATE SET report_id = excluded.report_id, evaluated_at = excluded.evaluated_at, \
         last_seen = excluded.last_seen, compliant = excluded.compliant, findings = excluded.findings, \
         earliest_deadline = excluded.earliest_deadline, policy_version = excluded.policy_version, \
         veto_version = excluded.veto_version, feed_error = excluded.feed_error, warnings = excluded.warnings, \
         dropped_reports = excluded.dropped_reports \
         WHERE devices.evaluated_at < excluded.evaluated_at \
         OR (devices.evaluated_at = excluded.evaluated_at AND devices.report_id < excluded.report_id)",
    )
    .bind(&r.device_id)
    .bind(&a.unit)
    .bind(&r.report_id)
    .bind(evaluated)
    .bind(a.received_at)
    .bind(compliant)
    .bind(findings)
    .bind(earliest)
    .bind(r.policy.version as i64)
    .bind(&r.veto_version)
    .bind(r.feed.as_ref().and_then(|f| f.error.clone()))
    .bind(r.warnings.len() as i64)
    .bind(r.dropped_reports as i64)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0;
    if current {
        replace_findings(tx, a).await?;
        replace_inventory(tx, a).await?;
    } else {
        // An older report that arrived late: history only, but the device is alive.
        sqlx::query("UPDATE devices SET last_seen = $2 WHERE device_id = $1 AND last_seen < $2")
            .bind(&r.device_id)
            .bind(a.received_at)
            .execute(&mut **tx)
            .await?;
    }
    record_day(tx, a).await?;
    Ok(Outcome::Stored { current })
}

async fn replace_findings(tx: &mut Tx<'_>, a: &Accepted) -> Result<(), sqlx::Error> {
    let r = &a.report;
    // Everything the device had is marked removed, then what the report holds is
    // present again: one statement however many findings there were.
    sqlx::query(
        "UPDATE findings SET present = 0, state = 'removed' WHERE device_id = $1 AND present = 1",
    )
    .bind(&r.device_id)
    .execute(&mut **tx)
    .await?;
    for f in &r.findings {
        sqlx::query(
            "INSERT INTO findings (device_id, package, unit, label, state, status, deadline, first_seen, present) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) \
             ON CONFLICT (device_id, package) DO UPDATE SET unit = excluded.unit, label = excluded.label, \
             state = excluded.state, status = excluded.status, deadline = excluded.deadline, \
             first_seen = excluded.first_seen, present = 1",
        )
        .bind(&r.device_id)
        .bind(&f.package)
        .bind(&a.unit)
        .bind(f.label.clone())
        .bind(finding_state(f))
        .bind(status_name(f.status))
        .bind(f.deadline.millis())
        .bind(f.first_seen.millis())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn replace_inventory(tx: &mut Tx<'_>, a: &Accepted) -> Result<(), sqlx::Error> {
    let r = &a.report;
    sqlx::query("DELETE FROM inventory WHERE device_id = $1")
        .bind(&r.device_id)
        .execute(&mut **tx)
        .await?;
    let Some(packages) = &r.inventory else {
        // report_inventory is off (again): nothing about this device's other apps is kept.
        return Ok(());
    };
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<_> = packages
        .iter()
        .filter(|p| seen.insert(p.package.as_str()))
        .collect();
    for chunk in unique.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO inventory (device_id, package, unit, label, installer, signers) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 6;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            ));
        }
        let mut q = sqlx::query(&sql);
        for p in chunk {
            let signers: Vec<String> = p.signing_sha256.iter().map(|d| d.to_colon_hex()).collect();
            q = q
                .bind(&r.device_id)
                .bind(&p.package)
                .bind(&a.unit)
                .bind(p.label.clone())
                .bind(p.installer.clone())
                .bind(signers.join(" "));
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn record_day(tx: &mut Tx<'_>, a: &Accepted) -> Result<(), sqlx::Error> {
    let r = &a.report;
    let evaluated = r.evaluated_at.millis();
    let day = evaluated.div_euclid(DAY_MS);
    let barred = i64::from(!r.compliant);
    let inserted = sqlx::query(
        "INSERT INTO device_days (day, device_id, unit, evaluated_at, barred) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (day, device_id) DO NOTHING",
    )
    .bind(day)
    .bind(&r.device_id)
    .bind(&a.unit)
    .bind(evaluated)
    .bind(barred)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0;
    let (devices_delta, barred_delta) = if inserted {
        (1, barred)
    } else {
        let row = sqlx::query(
            "SELECT evaluated_at, barred FROM device_days WHERE day = $1 AND device_id = $2",
        )
        .bind(day)
        .bind(&r.device_id)
        .fetch_one(&mut **tx)
        .await?;
        let (old_eval, old_barred): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if evaluated <= old_eval {
            return Ok(());
        }
        sqlx::query("UPDATE device_days SET evaluated_at = $3, barred = $4 WHERE day = $1 AND device_id = $2")
            .bind(day)
            .bind(&r.device_id)
            .bind(evaluated)
            .bind(barred)
            .execute(&mut **tx)
            .await?;
        (0, barred - old_barred)
    };
    if devices_delta == 0 && barred_delta == 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO daily (day, unit, devices, barred) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (day, unit) DO UPDATE SET devices = daily.devices + excluded.devices, \
         barred = daily.barred + excluded.barred",
    )
    .bind(day)
    .bind(&a.unit)
    .bind(devices_delta)
    .bind(barred_delta)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores reports in one transaction; the outcomes are in the same order.
pub async fn store_batch(db: &Db, batch: &[&Accepted]) -> Result<Vec<Outcome>, sqlx::Error> {
    store_batch_known(db, batch, &UnitCache::default()).await
}

/// Devices' units seen in committed transactions (a unit never changes once stored).
#[derive(Default, Clone)]
pub struct UnitCache(Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>);

impl UnitCache {
    fn get(&self, device: &str) -> Option<String> {
        self.0.lock().ok()?.get(device).cloned()
    }
    fn remember(&self, device: &str, unit: &str) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= 1_000_000 {
                map.clear();
            }
            map.insert(device.to_string(), unit.to_string());
        }
    }
}

async fn store_batch_known(
    db: &Db,
    batch: &[&Accepted],
    units: &UnitCache,
) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut conn = db.pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for a in batch {
        let known = units.get(&a.report.device_id);
        outcomes.push(store_one(&mut tx, a, known).await?);
    }
    tx.commit().await?;
    for (a, outcome) in batch.iter().zip(&outcomes) {
        if matches!(outcome, Outcome::Stored { .. } | Outcome::Duplicate) {
            units.remember(&a.report.device_id, &a.unit);
        }
    }
    Ok(outcomes)
}

struct Job {
    accepted: Accepted,
    reply: oneshot::Sender<Result<Outcome, String>>,
}

/// The handle requests use to have a report stored.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

/// Most reports committed in one transaction.
const MAX_BATCH: usize = 256;

impl Writer {
    /// Starts the writer tasks: one for SQLite (it has a single writer anyway), four for
    /// PostgreSQL.
    pub fn start(db: Db) -> Writer {
        let (tx, rx) = mpsc::channel::<Job>(4096);
        let rx = Arc::new(Mutex::new(rx));
        let units = UnitCache::default();
        let tasks = match db.backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 4,
        };
        for _ in 0..tasks {
            let db = db.clone();
            let rx = rx.clone();
            let units = units.clone();
            tokio::spawn(async move {
                loop {
                    let mut batch = Vec::new();
                    {
                        let mut rx = rx.lock().await;
                        match rx.recv().await {
                            Some(job) => batch.push(job),
                            None => return,
                        }
                        while batch.len() < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(job) => batch.push(job),
                                Err(_) => break,
                            }
                        }
                    }
                    // A consistent order keeps concurrent PostgreSQL writers from deadlocking.
                    batch.sort_by(|a, b| {
                        a.accepted
                            .report
                            .device_id
                            .cmp(&b.accepted.report.device_id)
                    });
                    write(&db, batch, &units).await;
                }
            });
        }
        Writer { tx }
    }

    /// Stores one report; returns once it is committed (or failed).
    pub async fn store(&self, accepted: Accepted) -> Result<Outcome, String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { accepted, reply })
            .await
            .map_err(|_| "the writer has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the writer has stopped".to_string())?
    }
}

async fn write(db: &Db, batch: Vec<Job>, units: &UnitCache) {
    let items: Vec<&Accepted> = batch.iter().map(|j| &j.accepted).collect();
    match store_batch_known(db, &items, units).await {
        Ok(outcomes) => {
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(_) if batch.len() > 1 => {
            // One bad report (or a deadlock) must not fail the others: one by one.
            for job in batch {
                let result = store_batch_known(db, &[&job.accepted], units)
                    .await
                    .map(|mut o| o.remove(0))
                    .map_err(|e| format!("database: {e}"));
                let _ = job.reply.send(result);
            }
        }
        Err(e) => {
            for job in batch {
                let _ = job.reply.send(Err(format!("database: {e}")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"{"format":"veto-report/1","report_id":"r1","device_id":"d1","veto_version":"0.1.0",
      "created_at":"2026-11-22T16:00:05Z","evaluated_at":"2026-11-22T16:00:00Z",
      "policy":{"version":7,"mode":"denylist","expires":null},"compliant":true,
      "counts":{"findings":0,"due":0,"enforced":0,"failed":0,"reported":0,"reversals":0,"warnings":0},
      "findings":[],"reversals":[],"warnings":[],"feed":null,"dropped_reports":0}"#;

    #[test]
    fn a_valid_report_passes() {
        let r = check(REPORT.as_bytes(), Some("r1")).unwrap();
        assert_eq!(r.device_id, "d1");
    }

    #[test]
    fn errors_name_the_field() {
        let bad = REPORT.replace(
            "\"evaluated_at\":\"2026-11-22T16:00:00Z\"",
            "\"evaluated_at\":5",
        );
        let err = check(bad.as_bytes(), None).unwrap_err();
        assert!(err.starts_with("report: evaluated_at"), "{err}");
        let bad = REPORT.replace("veto-report/1", "veto-report/9");
        assert_eq!(
            check(bad.as_bytes(), None).unwrap_err(),
            "format: expected \"veto-report/1\", found \"veto-report/9\""
        );
        let bad = REPORT.replace("\"device_id\":\"d1\"", "\"device_id\":\"\"");
        assert_eq!(
            check(bad.as_bytes(), None).unwrap_err(),
            "device_id: must be 1-100 characters without control characters"
        );
        assert_eq!(
            check(REPORT.as_bytes(), Some("other")).unwrap_err(),
            "Idempotency-Key: \"other\" does not match report_id \"r1\""
        );
        assert_eq!(
            check(b"\xff", None).unwrap_err(),
            "report: the body is not UTF-8"
        );
        // A field the report reader skips must still be JSON the server can read back.
        let bad = REPORT.replace(
            "\"dropped_reports\":0",
            "\"dropped_reports\":0,\"x\":56e02190",
        );
        assert_eq!(
            check(bad.as_bytes(), None).unwrap_err(),
            "report: number out of range (line 5, column 93)"
        );
    }
}
