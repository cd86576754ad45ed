//! Helpers shared by the CLI tests and the docs test.

use std::path::{Path, PathBuf};

/// The repository's `tests/fixtures`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// A folder holding a fake `adb` (put it first on PATH). It answers like the recorded phone in
/// tests/fixtures/adb/phones/PHONE (see the README there) and logs its arguments.
pub fn fake_adb(phone: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let adb_dir = fixtures().join("adb");
    let phone_dir = adb_dir.join("phones").join(phone);
    assert!(phone_dir.is_dir(), "{}", phone_dir.display());
    let log = dir.path().join("calls.log");
    let script = format!(
        r#"#!/bin/sh
echo "$*" >> '{log}'
p='{phone}'
if [ -f "$p/adb.err" ]; then cat "$p/adb.err" >&2; exit "$(cat "$p/adb.rc")"; fi
[ "$1" = "-s" ] && shift 2
if [ "$1" = "get-serialno" ]; then
  if [ -f "$p/serial" ]; then cat "$p/serial"; else echo unknown; fi
  exit 0
fi
shift # "shell"
case "$*" in
  "pm list users") b=pm-list-users ;;
  "cmd user list -v") b=cmd-user-list-v ;;
  "dumpsys device_policy") b=dumpsys-device_policy ;;
  "pm list packages -i -U --user "*) b="pm-list-packages-user-$7" ;;
  "dumpsys package "*) f='{adb}/dumpsys-package-'"$3"'.txt'; [ -f "$f" ] && cat "$f"; exit 0 ;;
  *) echo "fake adb: unexpected $*" >&2; exit 1 ;;
esac
if [ -e "$p/$b.out" ] || [ -e "$p/$b.err" ] || [ -e "$p/$b.rc" ]; then
  [ -f "$p/$b.out" ] && cat "$p/$b.out"
  [ -f "$p/$b.err" ] && cat "$p/$b.err" >&2
  if [ -f "$p/$b.rc" ]; then exit "$(cat "$p/$b.rc")"; fi
  exit 0
fi
case "$b" in pm-list-packages-user-*) cat '{adb}/pm-list-packages.txt'; exit 0 ;; esac
echo "fake adb: no recording $b" >&2
exit 1
"#,
        log = log.display(),
        adb = adb_dir.display(),
        phone = phone_dir.display(),
    );
    let adb = dir.path().join("adb");
    std::fs::write(&adb, script).unwrap();
    std::fs::set_permissions(&adb, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}
