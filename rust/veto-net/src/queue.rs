//! The report queue: a bounded directory of reports waiting to be sent, one file each.
//!
//! A report is written (atomically) before any attempt to send it and removed only after
//! the receiver answers 2xx, so a crash at any point sends a report again rather than
//! losing it; receivers drop duplicates by `report_id`. Failed sends are retried with
//! exponential backoff and jitter; each file stores its next attempt time, and the caller
//! passes `now`. When the queue is full the oldest report is dropped and counted; the
//! count travels in the next report. Calls on one state directory must not run
//! concurrently (the shell serialises them).

use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
use veto_core::error::{Error, ErrorKind, Result};
use veto_core::time::Timestamp;
use veto_store::Loaded;

/// The queue's directory inside the state directory.
pub const QUEUE_DIR: &str = "reports";
/// How many reports the queue keeps by default.
pub const DEFAULT_CAPACITY: usize = 50;
/// The value of a queued file's `format` field.
pub const QUEUED_FORMAT: &str = "veto-queued-report/1";
/// First retry delay (before jitter).
pub const BACKOFF_BASE_MS: i64 = 60_000;
/// Longest retry delay (before jitter): 6 hours.
pub const BACKOFF_CAP_MS: i64 = 6 * 3_600_000;

const SUFFIX: &str = ".report.json";
const DROPPED_FILE: &str = "dropped.json";

/// One queued report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedReport {
    /// Always [`QUEUED_FORMAT`].
    pub format: String,
    /// The report's id (also inside `body`).
    pub report_id: String,
    /// When it was queued.
    pub created_at: Timestamp,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not sent before this time.
    pub next_attempt_at: Timestamp,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The dropped-report count this report carries (added back if it is dropped too).
    pub dropped_reports: u64,
    /// The exact JSON body, the same bytes on every attempt.
    pub body: String,
}

#[derive(Serialize, Deserialize, Default)]
struct Dropped {
    dropped: u64,
}

/// The delay before the next attempt after `attempts` failures: the base delay doubles
/// with each failure up to [`BACKOFF_CAP_MS`], and the result is drawn uniformly from its
/// upper half using `random` ("equal jitter"), so devices that failed together do not
/// retry together while every retry still waits at least half the nominal delay.
pub fn backoff_delay_ms(attempts: u32, random: u64) -> i64 {
    let exponent = attempts.saturating_sub(1).min(30);
    let nominal = BACKOFF_BASE_MS
        .saturating_mul(1i64 << exponent)
        .min(BACKOFF_CAP_MS);
    let half = nominal / 2;
    half + (random % (half as u64 + 1)) as i64
}

/// A report queue in `<state_dir>/reports`.
#[derive(Debug, Clone)]
pub struct ReportQueue {
    dir: PathBuf,
    capacity: usize,
}

fn io_err(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{}: {what}: {e}", path.display()))
}

impl ReportQueue {
    /// The queue of `state_dir`, holding at most [`DEFAULT_CAPACITY`] reports.
    pub fn new(state_dir: &Path) -> Self {
        ReportQueue {
            dir: state_dir.join(QUEUE_DIR),
            capacity: DEFAULT_CAPACITY,
        }
    }

    /// The same queue with another capacity (at least 1).
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// The queue's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn dropped_path(&self) -> PathBuf {
        self.dir.join(DROPPED_FILE)
    }

    /// Reports dropped and not yet counted in a queued report.
    pub fn dropped_pending(&self) -> Result<u64> {
        let parse = |text: &str| {
            serde_json::from_str::<Dropped>(text)
                .map_err(|e| Error::new(ErrorKind::BadState, format!("{DROPPED_FILE}: {e}")))
        };
        match veto_store::load_or_quarantine(&self.dropped_path(), parse)? {
            Loaded::Found(d) => Ok(d.dropped),
            // A lost counter undercounts drops; it never blocks reporting.
            Loaded::Missing | Loaded::Quarantined { .. } => Ok(0),
        }
    }

    fn set_dropped(&self, dropped: u64) -> Result<()> {
        let text = serde_json::to_string(&Dropped { dropped }).unwrap_or_default();
        veto_store::write_atomic(&self.dropped_path(), text.as_bytes())
    }

    fn file_for(&self, entry: &QueuedReport) -> PathBuf {
        let millis = entry.created_at.millis().max(0);
        self.dir
            .join(format!("{millis:016}-{}{SUFFIX}", entry.report_id))
    }

    /// Every queued report, oldest first. Unreadable files are moved aside and counted as
    /// dropped.
    pub fn entries(&self) -> Result<Vec<QueuedReport>> {
        let mut names: Vec<PathBuf> = match fs::read_dir(&self.dir) {
            Ok(dir) => dir
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(SUFFIX) && !n.starts_with('.'))
                })
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&self.dir, "cannot list the report queue", e)),
        };
        names.sort();
        let mut entries = Vec::with_capacity(names.len());
        let mut lost = 0u64;
        for path in names {
            let parse = |text: &str| parse_entry(text, &path);
            match veto_store::load_or_quarantine(&path, parse)? {
                Loaded::Found(entry) => entries.push(entry),
                Loaded::Missing => {}
                Loaded::Quarantined { .. } => lost += 1,
            }
        }
        if lost > 0 {
            self.set_dropped(self.dropped_pending()?.saturating_add(lost))?;
        }
        Ok(entries)
    }

    /// Queues a report body. `dropped_reports` is the count the body carries (read with
    /// [`ReportQueue::dropped_pending`] before building it). If the queue is then over
    /// capacity, the oldest reports are dropped and counted. Returns how many were dropped.
    pub fn enqueue(
        &self,
        report_id: &str,
        body: &str,
        dropped_reports: u64,
        now: Timestamp,
    ) -> Result<usize> {
        if report_id.is_empty()
            || !report_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::new(
                ErrorKind::Internal,
                format!(
                    "report queue: report id {report_id:?} must be letters, digits, '-' or '_'"
                ),
            ));
        }
        let entry = QueuedReport {
            format: QUEUED_FORMAT.to_string(),
            report_id: report_id.to_string(),
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            dropped_reports,
            body: body.to_string(),
        };
        self.write(&entry)?;
        // Listing first: it may count unreadable files into the stored counter.
        let mut entries = self.entries()?;
        // The new report now carries these drops; count only the rest from here on.
        let mut pending = self.dropped_pending()?.saturating_sub(dropped_reports);
        let mut dropped_now = 0;
        while entries.len() > self.capacity {
            let oldest = entries.remove(0);
            self.remove(&oldest)?;
            pending = pending
                .saturating_add(1)
                .saturating_add(oldest.dropped_reports);
            dropped_now += 1;
        }
        self.set_dropped(pending)?;
        Ok(dropped_now)
    }

    fn write(&self, entry: &QueuedReport) -> Result<()> {
        let text = serde_json::to_string_pretty(entry).map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("cannot serialise a queued report: {e}"),
            )
        })?;
        veto_store::write_atomic(&self.file_for(entry), text.as_bytes())
    }

    /// Reports whose next attempt is due at `now`, oldest first.
    pub fn due(&self, now: Timestamp) -> Result<Vec<QueuedReport>> {
        Ok(self
            .entries()?
            .into_iter()
            .filter(|e| e.next_attempt_at <= now)
            .collect())
    }

    /// Removes a report: call only after the receiver answered 2xx.
    pub fn remove(&self, entry: &QueuedReport) -> Result<()> {
        veto_store::remove_if_present(&self.file_for(entry), "cannot remove a sent report")
    }

    /// Records a failed attempt: one more attempt, and the next one after the backoff.
    pub fn record_failure(
        &self,
        entry: &QueuedReport,
        now: Timestamp,
        error: &Error,
        random: u64,
    ) -> Result<QueuedReport> {
        let attempts = entry.attempts.saturating_add(1);
        let updated = QueuedReport {
            attempts,
            next_attempt_at: now.plus_millis(backoff_delay_ms(attempts, random)),
            last_error: Some(error.message().to_string()),
            ..entry.clone()
        };
        self.write(&updated)?;
        Ok(updated)
    }

    /// Sends every due report, oldest first, with `send`; removes each one `send` accepts.
    /// Stops at the first failure (the receiver is likely down), which is recorded with its
    /// backoff.
    pub fn flush(
        &self,
        now: Timestamp,
        mut send: impl FnMut(&QueuedReport) -> Result<()>,
    ) -> Result<FlushSummary> {
        let mut summary = FlushSummary::default();
        for entry in self.due(now)? {
            match send(&entry) {
                Ok(()) => {
                    self.remove(&entry)?;
                    summary.sent.push(entry.report_id);
                }
                Err(error) => {
                    let updated =
                        self.record_failure(&entry, now, &error, crate::random::random_u64()?)?;
                    summary.failed = Some(FailedSend {
                        report_id: updated.report_id,
                        attempts: updated.attempts,
                        next_attempt_at: updated.next_attempt_at,
                        error,
                    });
                    break;
                }
            }
        }
        let rest = self.entries()?;
        summary.remaining = rest.len();
        summary.next_attempt_at = rest.iter().map(|e| e.next_attempt_at).min();
        Ok(summary)
    }
}

fn parse_entry(text: &str, path: &Path) -> Result<QueuedReport> {
    let bad = |why: String| {
        Error::new(
            ErrorKind::BadState,
            format!(
                "{}: {why}",
                path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
            ),
        )
    };
    let entry: QueuedReport = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    if entry.format != QUEUED_FORMAT {
        return Err(bad(format!(
            "format is {:?}, expected {QUEUED_FORMAT:?}",
            entry.format
        )));
    }
    // The file is removed (after a 2xx) and rewritten (after a failure) under the name its
    // report_id and created_at give; a file under another name (a damaged field) could never
    // be removed and would be sent at every flush. Found by fuzzing (fuzz/report_queue).
    let expected = format!(
        "{:016}-{}{SUFFIX}",
        entry.created_at.millis().max(0),
        entry.report_id
    );
    if path.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
        return Err(bad(format!(
            "report_id and created_at do not match the file name (they give {expected:?})"
        )));
    }
    Ok(entry)
}

/// A send that failed during a flush.
#[derive(Debug, Clone)]
pub struct FailedSend {
    /// Which report.
    pub report_id: String,
    /// Failed attempts so far.
    pub attempts: u32,
    /// When it will be tried again.
    pub next_attempt_at: Timestamp,
    /// Why it failed.
    pub error: Error,
}

/// What a flush did.
#[derive(Debug, Clone, Default)]
pub struct FlushSummary {
    /// Ids of the reports the receiver accepted, in order.
    pub sent: Vec<String>,
    /// The send that failed and stopped the flush, if any.
    pub failed: Option<FailedSend>,
    /// Reports still queued.
    pub remaining: usize,
    /// The earliest next attempt among them: when to schedule the next flush.
    pub next_attempt_at: Option<Timestamp>,
}

impl FlushSummary {
    /// `{"sent": n, "remaining": n, "next_attempt_at": "…" | null, "error": {"kind",
    /// "message"} | null}` for the shell.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "sent": self.sent.len(),
            "remaining": self.remaining,
            "next_attempt_at": self.next_attempt_at,
            "error": self.failed.as_ref().map(|f| serde_json::json!({
                "kind": f.error.kind().code(),
                "message": f.error.message(),
            })),
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_minute_to_a_six_hour_cap_with_equal_jitter() {
        assert_eq!(backoff_delay_ms(1, 0), 30_000);
        assert_eq!(backoff_delay_ms(1, 30_000), 60_000);
        assert_eq!(backoff_delay_ms(1, 30_001), 30_000);
        assert_eq!(backoff_delay_ms(2, 60_000), 120_000);
        assert_eq!(backoff_delay_ms(3, 0), 120_000);
        assert_eq!(backoff_delay_ms(9, 0), 60_000 * 256 / 2);
        assert_eq!(backoff_delay_ms(10, 0), BACKOFF_CAP_MS / 2);
        assert_eq!(
            backoff_delay_ms(u32::MAX, u64::MAX),
            BACKOFF_CAP_MS / 2 + (u64::MAX % (BACKOFF_CAP_MS as u64 / 2 + 1)) as i64
        );
        // Attempt 0 (never failed) is treated like the first failure.
        assert_eq!(backoff_delay_ms(0, 0), 30_000);
    }

    #[test]
    fn queued_files_round_trip_and_name_their_problem() {
        let dir = tempfile::tempdir().unwrap();
        let queue = ReportQueue::new(dir.path());
        queue
            .enqueue("r1", "{\"x\":1}", 2, Timestamp::from_millis(5))
            .unwrap();
        let entries = queue.entries().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].body, "{\"x\":1}");
        assert_eq!(entries[0].dropped_reports, 2);
        assert_eq!(entries[0].next_attempt_at, Timestamp::from_millis(5));
        let err = parse_entry("{\"format\":\"other\"}", Path::new("/q/x.report.json")).unwrap_err();
        assert!(err.message().starts_with("x.report.json: "), "{err}");
        let mut e = entries[0].clone();
        e.format = "veto-queued-report/0".into();
        let text = serde_json::to_string(&e).unwrap();
        let err = parse_entry(&text, Path::new("x.report.json")).unwrap_err();
        assert_eq!(
            err.message(),
            "x.report.json: format is \"veto-queued-report/0\", expected \"veto-queued-report/1\""
        );
    }
}
