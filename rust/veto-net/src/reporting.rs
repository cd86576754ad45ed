//! Compliance reporting: build a report from a plan, queue it, and send the queue.
//!
//! The report itself is built by `veto_core::report` (pure); this module supplies what
//! needs the outside world: a random report id, the install id, the queue on disk and
//! HTTPS.

use crate::http::{self, Net};
use crate::queue::{FlushSummary, QueuedReport, ReportQueue};
use std::path::Path;
use veto_core::config::Settings;
use veto_core::error::{Error, ErrorKind, Result};
use veto_core::inventory::Inventory;
use veto_core::plan::Plan;
use veto_core::report::{build_report, FeedStatus, ReportInput};
use veto_core::time::Timestamp;
use veto_store::Loaded;

/// The file in the state directory that holds this install's random id.
pub const INSTALL_ID_FILE: &str = "install-id";

/// Veto's version, as reports carry it.
pub const VETO_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The id reports carry: the administrator's `device_id` if set, otherwise a random id
/// made once per install and kept in `<state_dir>/install-id`.
pub fn device_id(settings: &Settings, state_dir: &Path) -> Result<String> {
    if let Some(id) = settings.device_id.as_deref().map(str::trim) {
        if !id.is_empty() {
            return Ok(id.to_string());
        }
    }
    let path = state_dir.join(INSTALL_ID_FILE);
    let parse = |text: &str| {
        let id = text.trim();
        if id.is_empty() || id.len() > 100 {
            Err(Error::new(
                ErrorKind::BadState,
                format!("{INSTALL_ID_FILE}: not an id"),
            ))
        } else {
            Ok(id.to_string())
        }
    };
    match veto_store::load_or_quarantine(&path, parse)? {
        Loaded::Found(id) => Ok(id),
        Loaded::Missing | Loaded::Quarantined { .. } => {
            let id = crate::random::random_id()?;
            veto_store::write_atomic(&path, format!("{id}\n").as_bytes())?;
            Ok(id)
        }
    }
}

/// A report that was queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// Its id.
    pub report_id: String,
    /// Older reports dropped to make room.
    pub dropped_now: usize,
}

/// Builds the report for `plan` and writes it to the queue (before any attempt to send).
/// Returns `None` when `report_url` is not set: nothing is queued that could never leave.
/// The inventory goes into the report only when `report_inventory` is enabled.
pub fn queue_report(
    plan: &Plan,
    inventory: &Inventory,
    settings: &Settings,
    feed: Option<&FeedStatus>,
    state_dir: &Path,
    now: Timestamp,
) -> Result<Option<Queued>> {
    if settings
        .report_url
        .as_deref()
        .is_none_or(|u| u.trim().is_empty())
    {
        return Ok(None);
    }
    let queue = ReportQueue::new(state_dir);
    let dropped = queue.dropped_pending()?;
    let report_id = crate::random::random_id()?;
    let device = device_id(settings, state_dir)?;
    let report = build_report(
        plan,
        &ReportInput {
            report_id: &report_id,
            device_id: &device,
            veto_version: VETO_VERSION,
            created_at: now,
            dropped_reports: dropped,
            feed,
            inventory: settings.report_inventory.then_some(inventory),
        },
    );
    let dropped_now = queue.enqueue(&report_id, &report.to_json(), dropped, now)?;
    Ok(Some(Queued {
        report_id,
        dropped_now,
    }))
}

/// POSTs one queued report to `url` (with `Authorization: Bearer <token>` when a token is
/// set, and the report id as `Idempotency-Key`). Ok only for a 2xx answer.
pub fn send_report(net: &Net, url: &str, token: Option<&str>, entry: &QueuedReport) -> Result<()> {
    http::require_https(url, "report_url")?;
    http::post_json(
        net,
        url,
        entry.body.as_bytes(),
        token,
        Some(&entry.report_id),
    )
    .map(|_| ())
    .map_err(|e| Error::new(ErrorKind::Feed, format!("report: {}", e.message())))
}

/// Sends the queued reports that are due at `now` to `report_url`, oldest first; see
/// [`ReportQueue::flush`]. With no `report_url`, sends nothing and leaves the queue as is.
pub fn flush_reports(
    settings: &Settings,
    state_dir: &Path,
    now: Timestamp,
    net: &Net,
) -> Result<FlushSummary> {
    let queue = ReportQueue::new(state_dir);
    let Some(url) = settings
        .report_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    else {
        let rest = queue.entries()?;
        return Ok(FlushSummary {
            remaining: rest.len(),
            next_attempt_at: rest.iter().map(|e| e.next_attempt_at).min(),
            ..FlushSummary::default()
        });
    };
    http::require_https(url, "report_url")?;
    let token = settings
        .report_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    queue.flush(now, |entry| send_report(net, url, token, entry))
}
