//! A report queue file after anything. The queue lists what parses and moves the rest aside,
//! counting it as dropped (never deleted, never half-sent). A listed report round-trips, and
//! removing it after a 2xx removes exactly the file it was read from: otherwise it would be
//! sent again at every flush.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_fuzz::{fresh_dir, names_in};
use veto_net::queue::{QueuedReport, ReportQueue};

const NAME: &str = "0001700000000000-r1.report.json";

fuzz_target!(|data: &[u8]| {
    let state_dir = fresh_dir();
    let queue = ReportQueue::new(&state_dir);
    std::fs::create_dir_all(queue.dir()).unwrap();
    std::fs::write(queue.dir().join(NAME), data).unwrap();
    let entries = queue.entries().expect("listing never fails on content");
    match entries.as_slice() {
        [entry] => {
            let again = serde_json::to_string(entry).unwrap();
            let reparsed: QueuedReport = serde_json::from_str(&again).unwrap();
            assert_eq!(&reparsed, entry);
            assert_eq!(queue.dropped_pending().unwrap(), 0);
            queue.remove(entry).expect("remove");
            assert!(
                queue.entries().unwrap().is_empty(),
                "removing report {:?} left {NAME} in the queue: it would be sent again at every flush",
                entry.report_id
            );
        }
        [] => {
            assert_eq!(
                queue.dropped_pending().unwrap(),
                1,
                "an unreadable report is counted as dropped"
            );
            assert!(
                names_in(queue.dir()).contains(&format!("{NAME}.corrupt-1")),
                "moved aside, not deleted"
            );
        }
        more => panic!("one file listed as {} reports", more.len()),
    }
});
