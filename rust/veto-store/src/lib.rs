//! Veto's files: atomic writes, the state file, and quarantine of corrupt files.
//!
//! Nothing is lost: every file is written to a temporary file in the same directory,
//! fsynced, renamed over the old one, and the directory is fsynced. The state file keeps
//! one previous generation (`state.json.bak`), so a state file damaged after it was
//! written does not restart every grace period. A file that cannot be read is moved
//! aside (never deleted) and the problem is reported.

// This crate is the one place that writes files (clippy.toml, disallowed-methods): it does so
// atomically, and everything else calls it.
#![allow(clippy::disallowed_methods)]

pub mod crash;

use crash::Point;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use veto_core::{codes, Error, ErrorKind, Result, State, Warning};

fn io_err(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{}: {what}: {e}", path.display()))
}

/// The temporary file a write of `path` goes through: hidden, in the same directory (so
/// the rename is atomic), named by process.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    dir_of(path).join(format!(".{name}.tmp-{}", std::process::id()))
}

/// The directory `path` is in (`.` for a bare file name).
fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to `path` atomically: readers see the old file or the new one, whole.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let point = |at| crash::reached(at, path).map_err(|e| io_err(path, "cannot write", e));
    point(Point::BeforeTemp)?;
    let dir = dir_of(path);
    fs::create_dir_all(dir).map_err(|e| io_err(dir, "cannot create the directory", e))?;
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| io_err(&tmp, "cannot create", e))?;
        point(Point::TempCreated)?;
        f.write_all(bytes)
            .map_err(|e| io_err(&tmp, "cannot write", e))?;
        point(Point::TempWritten)?;
        f.sync_all()
            .map_err(|e| io_err(&tmp, "cannot flush to disk", e))?;
        point(Point::TempSynced)?;
        drop(f);
        fs::rename(&tmp, path).map_err(|e| io_err(path, "cannot replace", e))?;
        point(Point::Renamed)?;
        sync_dir(dir);
        point(Point::DirSynced)?;
        Ok(())
    })();
    // A crashed process cleans nothing up (crash points are test-only).
    if result.is_err() && !crash::crashed() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes `path`; a file that is already gone is no error (a crash may have come between
/// the work and the removal). `what` starts the message of any other failure.
pub fn remove_if_present(path: &Path, what: &str) -> Result<()> {
    crash::reached(Point::BeforeRemove, path).map_err(|e| io_err(path, what, e))?;
    match fs::remove_file(path) {
        Ok(()) => crash::reached(Point::Removed, path).map_err(|e| io_err(path, what, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(path, what, e)),
    }
}

/// Makes the rename itself durable. Best effort: some file systems refuse to open a
/// directory for syncing, and the data is already safe in the renamed file.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The result of loading a file that might be missing or damaged.
#[derive(Debug)]
pub enum Loaded<T> {
    /// There is no such file (a new install).
    Missing,
    /// The file was read.
    Found(T),
    /// The file could not be parsed and was moved to `moved_to`.
    Quarantined {
        /// Where the damaged file now is.
        moved_to: PathBuf,
        /// What was wrong with it.
        problem: Error,
    },
}

/// Reads and parses `path`; a file that does not parse is renamed to
/// `<name>.corrupt-<n>` so that it can be inspected, and reported.
pub fn load_or_quarantine<T>(
    path: &Path,
    parse: impl FnOnce(&str) -> Result<T>,
) -> Result<Loaded<T>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::Missing),
        Err(e) => return Err(io_err(path, "cannot read", e)),
    };
    let parsed = match String::from_utf8(bytes) {
        Ok(text) => parse(&text),
        Err(_) => Err(Error::new(
            ErrorKind::BadState,
            "the file is not UTF-8 text",
        )),
    };
    match parsed {
        Ok(v) => Ok(Loaded::Found(v)),
        Err(problem) => {
            let moved_to = quarantine_name(path);
            crash::reached(Point::BeforeQuarantine, path)
                .map_err(|e| io_err(path, "cannot move the damaged file aside", e))?;
            fs::rename(path, &moved_to)
                .map_err(|e| io_err(path, "cannot move the damaged file aside", e))?;
            Ok(Loaded::Quarantined {
                moved_to,
                problem: problem.context(path.display()),
            })
        }
    }
}

fn quarantine_name(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    (1..)
        .map(|n| path.with_file_name(format!("{name}.corrupt-{n}")))
        .find(|p| !p.exists())
        .expect("some name is free")
}

/// The state file `state.json` in Veto's directory, with one backup generation.
#[derive(Debug, Clone)]
pub struct StateStore {
    path: PathBuf,
    backup: PathBuf,
}

impl StateStore {
    /// The store in `dir`.
    pub fn new(dir: &Path) -> Self {
        StateStore {
            path: dir.join("state.json"),
            backup: dir.join("state.json.bak"),
        }
    }

    /// The state file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the state. A damaged file is moved aside and its backup used; if both are
    /// unusable Veto starts afresh, and the returned warnings (code `state_lost`) say so
    /// loudly, so the report shows that grace periods restarted.
    pub fn load(&self) -> Result<(State, Vec<Warning>)> {
        let mut warnings = Vec::new();
        match load_or_quarantine(&self.path, State::from_json)? {
            Loaded::Found(s) => return Ok((s, warnings)),
            Loaded::Missing => {
                if !self.backup.exists() {
                    return Ok((State::new(), warnings));
                }
                warnings.push(Warning::new(
                    codes::STATE_MISSING,
                    format!("{} is missing; using its backup", self.path.display()),
                ));
            }
            Loaded::Quarantined { moved_to, problem } => warnings.push(Warning::new(
                codes::STATE_QUARANTINED,
                format!(
                    "{problem}; moved to {}; using the backup",
                    moved_to.display()
                ),
            )),
        }
        match load_or_quarantine(&self.backup, State::from_json)? {
            Loaded::Found(s) => Ok((s, warnings)),
            Loaded::Missing => {
                warnings.push(Warning::new(
                    codes::STATE_LOST,
                    "no usable state or backup: Veto starts counting grace periods again from now",
                ));
                Ok((State::new(), warnings))
            }
            Loaded::Quarantined { moved_to, problem } => {
                warnings.push(Warning::new(
                    codes::STATE_LOST,
                    format!(
                        "{problem}; moved to {}; no usable state: Veto starts counting grace periods again from now",
                        moved_to.display()
                    ),
                ));
                Ok((State::new(), warnings))
            }
        }
    }

    /// Saves the state atomically, keeping the previous file as the backup.
    pub fn save(&self, state: &State) -> Result<()> {
        if self.path.exists() {
            // Copy, not rename: state.json must exist at every moment.
            let old = fs::read(&self.path).map_err(|e| io_err(&self.path, "cannot read", e))?;
            if State::from_json(&String::from_utf8_lossy(&old)).is_ok() {
                write_atomic(&self.backup, &old)?;
            }
        }
        write_atomic(&self.path, state.to_json().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use veto_core::{Outcomes, Timestamp};

    fn some_state(ms: i64) -> State {
        let mut s = State::new();
        s.record(
            &Outcomes::from_json(
                r#"{"outcomes":[{"package":"com.a","action":"suspend","result":"done"}]}"#,
            )
            .unwrap(),
            Timestamp::from_millis(ms),
        );
        s
    }

    #[test]
    fn write_atomic_replaces_whole_files_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/x.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["x.json"]);
    }

    #[test]
    fn remove_if_present_ignores_a_missing_file_and_names_other_failures() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        write_atomic(&p, b"1").unwrap();
        remove_if_present(&p, "cannot remove").unwrap();
        assert!(!p.exists());
        remove_if_present(&p, "cannot remove").unwrap();
        let sub = dir.path().join("sub");
        write_atomic(&sub.join("y"), b"1").unwrap();
        let err = remove_if_present(&sub, "cannot remove the thing").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(
            err.message().contains("sub: cannot remove the thing: "),
            "{err}"
        );
    }

    #[test]
    fn write_atomic_reports_where_it_failed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("file"), b"").unwrap();
        let err = write_atomic(&dir.path().join("file/inner.json"), b"x").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(
            err.message().contains("cannot create the directory"),
            "{err}"
        );
    }

    #[test]
    fn state_round_trips_with_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path());
        assert_eq!(store.load().unwrap(), (State::new(), vec![]));
        store.save(&some_state(1)).unwrap();
        store.save(&some_state(2)).unwrap();
        let (s, w) = store.load().unwrap();
        assert_eq!(s, some_state(2));
        assert!(w.is_empty());
        assert_eq!(
            State::from_json(&fs::read_to_string(dir.path().join("state.json.bak")).unwrap())
                .unwrap(),
            some_state(1)
        );
    }

    #[test]
    fn corrupt_state_is_moved_aside_and_the_backup_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path());
        store.save(&some_state(1)).unwrap();
        store.save(&some_state(2)).unwrap();
        fs::write(store.path(), b"{\"version\": 1, \"packages\": {").unwrap();
        let (s, w) = store.load().unwrap();
        assert_eq!(s, some_state(1), "falls back to the previous generation");
        assert_eq!(w[0].code, "state_quarantined");
        assert!(
            w[0].message.contains("state.json: state: "),
            "{}",
            w[0].message
        );
        assert!(dir.path().join("state.json.corrupt-1").exists());
    }

    #[test]
    fn unknown_version_and_no_backup_is_reported_as_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path());
        fs::write(store.path(), br#"{"version": 7, "packages": {}}"#).unwrap();
        let (s, w) = store.load().unwrap();
        assert_eq!(s, State::new());
        let codes: Vec<&str> = w.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(codes, ["state_quarantined", "state_lost"]);
        assert!(
            w[0].message.contains("reads state version 1, found 7"),
            "{}",
            w[0].message
        );
        assert!(dir.path().join("state.json.corrupt-1").exists());
        // A second damaged file gets a fresh name; nothing is overwritten.
        fs::write(store.path(), b"not json").unwrap();
        store.load().unwrap();
        assert!(dir.path().join("state.json.corrupt-2").exists());
    }
}
