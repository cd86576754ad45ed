//! Crash points: where a test can stop a write as a crash or a power cut would (feature
//! `crash-points`, test-only; without it [`reached`] is an empty inline function).
//!
//! A test installs a hook for its thread with [`set_hook`]; every write and removal of this
//! crate calls it at each [`Point`]. When the hook answers `true` the operation stops there,
//! with no clean-up (a dead process cleans nothing), and the thread counts as dead: every
//! later write or removal fails at once without touching the disk, until [`restart`]. The
//! hook may itself change the files first, to model what a power cut leaves (data that was
//! not yet fsynced lost, a rename that did not reach the disk undone).

/// A point in a write or removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Point {
    /// Before anything: not even the directory is created.
    BeforeTemp,
    /// The temporary file exists, empty.
    TempCreated,
    /// The bytes are written to the temporary file, not yet fsynced.
    TempWritten,
    /// The temporary file is fsynced, not yet renamed.
    TempSynced,
    /// Renamed over the target; the directory is not yet fsynced.
    Renamed,
    /// The directory is fsynced: the write is complete (the crash comes before the caller
    /// learns it).
    DirSynced,
    /// Before a file is removed.
    BeforeRemove,
    /// After a file was removed.
    Removed,
    /// Before a damaged file is moved aside.
    BeforeQuarantine,
}

#[cfg(feature = "crash-points")]
mod hook {
    use super::Point;
    use std::cell::RefCell;
    use std::path::Path;

    /// Called at every point with the file concerned (for a write, the target, not the
    /// temporary file); `true` stops the operation there.
    pub type Hook = Box<dyn FnMut(Point, &Path) -> bool>;

    thread_local! {
        static HOOK: RefCell<Option<Hook>> = RefCell::new(None);
        static DEAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Installs `hook` for this thread (and clears a previous crash).
    pub fn set_hook(hook: Hook) {
        HOOK.with(|h| *h.borrow_mut() = Some(hook));
        DEAD.with(|d| d.set(false));
    }

    /// A restart: no hook, not dead.
    pub fn restart() {
        HOOK.with(|h| *h.borrow_mut() = None);
        DEAD.with(|d| d.set(false));
    }

    /// Whether this thread has crashed since the hook was set.
    pub fn crashed() -> bool {
        DEAD.with(|d| d.get())
    }

    pub(crate) fn reached(point: Point, path: &Path) -> std::io::Result<()> {
        let crash =
            crashed() || HOOK.with(|h| h.borrow_mut().as_mut().is_some_and(|f| f(point, path)));
        if crash {
            DEAD.with(|d| d.set(true));
            return Err(std::io::Error::other(format!(
                "simulated crash at {point:?}"
            )));
        }
        Ok(())
    }
}

#[cfg(feature = "crash-points")]
pub use hook::{crashed, restart, set_hook, Hook};

#[cfg(feature = "crash-points")]
pub mod harness;

#[cfg(feature = "crash-points")]
pub(crate) use hook::reached;

/// Without the feature: nothing, compiled away.
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub(crate) fn reached(_point: Point, _path: &std::path::Path) -> std::io::Result<()> {
    Ok(())
}

/// Without the feature nothing ever crashes.
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub(crate) fn crashed() -> bool {
    false
}
