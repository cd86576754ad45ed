//! The crash-at-every-point harness the crash tests share (feature `crash-points`, test
//! support only): it learns every point an operation passes, then, for each point and for a
//! killed process and a power cut, runs the operation again on a fresh setup, crashes it
//! there, restarts, and hands over to the test's checks.
//!
//! A power cut is modelled at each point by what the disk may lose there: the contents of a
//! temporary file not yet fsynced, a rename whose directory was not yet fsynced, a removal
//! not yet made durable by a later directory fsync.

// Test support: a failed unwrap or assertion here is a failed test, and modelling a power
// cut means writing files directly, below the atomic writes it is testing.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use super::{restart, set_hook, Point};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// How the crash comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The process is killed: what it wrote is in the page cache and survives.
    Kill,
    /// The power fails: what was not yet made durable is lost.
    PowerCut,
}

/// Where one run crashed; tests print it (Debug) in every assertion message.
#[derive(Debug, Clone)]
pub struct Crash {
    /// The point's place among all points the operation passes.
    pub index: usize,
    /// The point.
    pub point: Point,
    /// The file being written or removed there.
    pub file: String,
    /// Killed or a power cut.
    pub mode: Mode,
}

#[derive(Default)]
struct Tracker {
    events: Vec<(Point, PathBuf)>,
    /// Contents of each target before its write began (`None`: it did not exist).
    before_write: BTreeMap<PathBuf, Option<Vec<u8>>>,
    /// Removed files whose removal no directory fsync has made durable yet.
    unsynced_removals: Vec<(PathBuf, Vec<u8>)>,
}

/// Installs a hook that records every point and crashes at `crash_at` (never if `None`),
/// first changing the disk as `mode` says the crash would leave it.
fn install(crash_at: Option<(usize, Mode)>) -> Rc<RefCell<Tracker>> {
    let tracker = Rc::new(RefCell::new(Tracker::default()));
    let t = tracker.clone();
    set_hook(Box::new(move |point, path| {
        let mut t = t.borrow_mut();
        let index = t.events.len();
        t.events.push((point, path.to_path_buf()));
        match point {
            Point::BeforeTemp => {
                let old = std::fs::read(path).ok();
                t.before_write.insert(path.to_path_buf(), old);
            }
            Point::BeforeRemove => {
                if let Ok(bytes) = std::fs::read(path) {
                    t.unsynced_removals.push((path.to_path_buf(), bytes));
                }
            }
            Point::DirSynced => {
                let dir = path.parent().unwrap().to_path_buf();
                t.unsynced_removals
                    .retain(|(p, _)| p.parent() != Some(dir.as_path()));
            }
            _ => {}
        }
        let Some((at, mode)) = crash_at else {
            return false;
        };
        if index != at {
            return false;
        }
        if mode == Mode::PowerCut {
            let temp = crate::temp_path(path);
            match point {
                // Written but not fsynced: the temporary file may be empty after reboot.
                Point::TempCreated | Point::TempWritten => {
                    std::fs::write(&temp, b"").unwrap();
                }
                // Renamed but the directory not fsynced: the rename may be undone.
                Point::Renamed => {
                    std::fs::rename(path, &temp).unwrap();
                    if let Some(Some(old)) = t.before_write.get(path) {
                        std::fs::write(path, old).unwrap();
                    }
                }
                _ => {}
            }
            // Removals not yet made durable come back.
            for (p, bytes) in &t.unsynced_removals {
                std::fs::write(p, bytes).unwrap();
            }
        }
        true
    }));
    tracker
}

/// Runs `op` once to learn its points, then, for every point and both modes, on a fresh
/// `setup`: runs `op` with a crash there, restarts, and hands the context and the crash to
/// `check`. Returns how many crashes were checked.
pub fn at_every_point<C>(
    setup: impl Fn() -> C,
    op: impl Fn(&C),
    check: impl Fn(&C, &Crash),
) -> usize {
    let ctx = setup();
    let events = learn(|| op(&ctx));
    assert!(!events.is_empty(), "the operation wrote nothing");
    let mut checked = 0;
    for (index, (point, path)) in events.iter().enumerate() {
        for mode in [Mode::Kill, Mode::PowerCut] {
            let ctx = setup();
            let tracker = install(Some((index, mode)));
            op(&ctx);
            assert!(
                super::crashed(),
                "run {index} did not reach its crash point"
            );
            restart();
            drop(tracker);
            let crash = Crash {
                index,
                point: *point,
                file: path.file_name().unwrap().to_string_lossy().into_owned(),
                mode,
            };
            check(&ctx, &crash);
            checked += 1;
        }
    }
    checked
}

/// The points `op` passes, in order, with the file of each (no crash).
pub fn points_of(op: impl FnOnce()) -> Vec<(Point, String)> {
    learn(op)
        .into_iter()
        .map(|(p, path)| (p, path.file_name().unwrap().to_string_lossy().into_owned()))
        .collect()
}

/// Runs `op` without a crash and returns the points it passed, with the file of each.
fn learn(op: impl FnOnce()) -> Vec<(Point, PathBuf)> {
    let tracker = install(None);
    op();
    restart();
    let events = tracker.borrow().events.clone();
    events
}

/// Panics unless no file under `dir` was moved aside as damaged.
pub fn assert_nothing_quarantined(dir: &Path, crash: &Crash) {
    for entry in walk(dir) {
        assert!(
            !entry.to_string_lossy().contains(".corrupt-"),
            "{crash:?}: {} was quarantined",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}
