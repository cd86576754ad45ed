//! Inputs the fuzz targets in `fuzz/` found, kept as regression tests (docs/reliability.md).

// Test code: a failed unwrap is a failed test; tests write and damage files on purpose.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use veto_core::time::Timestamp;
use veto_net::queue::ReportQueue;

/// fuzz/report_queue: one changed digit in a queued report's `created_at` (a bit flip on
/// flash) made the queue list a report that `remove` could never remove (it removes the file
/// its fields name), so the report was sent again at every flush. Now the file is refused,
/// moved aside and counted as dropped.
#[test]
fn a_queued_report_whose_fields_do_not_match_its_file_name_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let queue = ReportQueue::new(dir.path());
    queue
        .enqueue(
            "r1",
            "{\"report_id\": \"r1\"}",
            0,
            Timestamp::from_millis(1_700_000_000_000),
        )
        .unwrap();
    let name = "0001700000000000-r1.report.json";
    let path = queue.dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\"created_at\": \"2023-11-14T22:13:20Z\""),
        "{text}"
    );
    std::fs::write(
        &path,
        text.replace("2023-11-14T22:13:20Z", "4014-11-14T22:13:20Z"),
    )
    .unwrap();

    assert!(queue.entries().unwrap().is_empty());
    assert_eq!(queue.dropped_pending().unwrap(), 1);
    assert!(queue.dir().join(format!("{name}.corrupt-1")).exists());

    // A file that matches its name is listed, and removing it removes it.
    queue
        .enqueue(
            "r2",
            "{\"report_id\": \"r2\"}",
            0,
            Timestamp::from_millis(5),
        )
        .unwrap();
    let entries = queue.entries().unwrap();
    assert_eq!(entries.len(), 1);
    queue.remove(&entries[0]).unwrap();
    assert!(queue.entries().unwrap().is_empty());
}
