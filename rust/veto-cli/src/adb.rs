//! Builds an inventory from a connected phone's work profile through `adb`.
//!
//! The parsers are pure functions over the text that `pm` and `dumpsys` print, tested on
//! recorded output in `tests/fixtures/adb/`; [`inventory_from_device`] runs the commands.
//!
//! What the shell tools print (Android's `PackageManagerShellCommand` and the package
//! manager's dump):
//! - `pm list packages -i -U --user N`: `package:<name>  installer=<pkg or null> uid:<uid>`.
//! - `pm list users`: `UserInfo{<id>:<name>:<flags in hex>} [running]`; a managed (work)
//!   profile has `FLAG_MANAGED_PROFILE` (0x20) set.
//! - `dumpsys package <name>`: `versionCode=`, `versionName=`, `pkgFlags=[ SYSTEM … ]` and a
//!   `User <id>: … installed= hidden= suspended= …` line per user. Its `signatures=` field
//!   holds Java hash codes of the certificates, not their SHA-256, so `signing_sha256`
//!   stays empty for inventories read over adb.

use std::path::{Path, PathBuf};
use std::process::Command;
use veto_core::{Inventory, Package};

/// `UserInfo.FLAG_MANAGED_PROFILE`.
const FLAG_MANAGED_PROFILE: u32 = 0x20;

/// One line of `pm list packages -i -U`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Package name.
    pub package: String,
    /// The installer, when `pm` knows one (it prints `null` otherwise).
    pub installer: Option<String>,
    /// The app's uid in that user.
    pub uid: Option<u32>,
}

/// Parses `pm list packages [-i] [-U]` output.
pub fn parse_package_list(text: &str) -> Result<Vec<Listed>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(rest) = line.strip_prefix("package:") else {
            return Err(format!(
                "pm list packages: line {}: expected \"package:<name>\", found {line:?}",
                i + 1
            ));
        };
        let mut words = rest.split_whitespace();
        let package = words.next().unwrap_or_default().to_string();
        if package.is_empty() {
            return Err(format!("pm list packages: line {}: no package name", i + 1));
        }
        let mut listed = Listed {
            package,
            installer: None,
            uid: None,
        };
        for word in words {
            if let Some(inst) = word.strip_prefix("installer=") {
                if inst != "null" && !inst.is_empty() {
                    listed.installer = Some(inst.to_string());
                }
            } else if let Some(uid) = word.strip_prefix("uid:") {
                // Shared uids print as "uid:10123,10124"; the first is the app's.
                listed.uid = uid.split(',').next().and_then(|u| u.parse().ok());
            }
        }
        out.push(listed);
    }
    Ok(out)
}

/// One Android user, from `pm list users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User id (`--user`).
    pub id: u32,
    /// Its name, e.g. "Work profile".
    pub name: String,
    /// `UserInfo` flags.
    pub flags: u32,
}

impl User {
    /// Whether this user is a managed (work) profile.
    pub fn is_managed_profile(&self) -> bool {
        self.flags & FLAG_MANAGED_PROFILE != 0
    }
}

/// Parses `pm list users` output.
pub fn parse_users(text: &str) -> Result<Vec<User>, String> {
    let mut users = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(start) = line.find("UserInfo{") else {
            continue;
        };
        let inner = &line[start + "UserInfo{".len()..];
        let inner = inner.split('}').next().unwrap_or_default();
        let parsed = (|| {
            let (id, rest) = inner.split_once(':')?;
            let (name, flags) = rest.rsplit_once(':')?;
            Some(User {
                id: id.trim().parse().ok()?,
                name: name.to_string(),
                flags: u32::from_str_radix(flags.trim(), 16).ok()?,
            })
        })();
        match parsed {
            Some(u) => users.push(u),
            None => {
                return Err(format!(
                    "pm list users: line {}: expected UserInfo{{<id>:<name>:<flags>}}, found {:?}",
                    i + 1,
                    line.trim()
                ))
            }
        }
    }
    Ok(users)
}

/// The work profile among `users`.
pub fn work_profile(users: &[User]) -> Result<&User, String> {
    let managed: Vec<&User> = users.iter().filter(|u| u.is_managed_profile()).collect();
    match managed.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "adb: this phone has no work profile (no managed profile among users {}); pass --user N to scan another user",
            users
                .iter()
                .map(|u| format!("{} {:?}", u.id, u.name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        several => Err(format!(
            "adb: several managed profiles ({}); pass --user N to choose one",
            several
                .iter()
                .map(|u| u.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// What `dumpsys package <name>` says about a package in one user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dumped {
    /// `versionCode`.
    pub version_code: Option<i64>,
    /// `versionName`.
    pub version_name: Option<String>,
    /// `pkgFlags` contains `SYSTEM`.
    pub system: bool,
    /// `hidden=true` for the user.
    pub hidden: bool,
    /// `suspended=true` for the user.
    pub suspended: bool,
    /// `installerPackageName`, when printed.
    pub installer: Option<String>,
}

/// Parses the block for `package` in `dumpsys package <package>` output, for `user`.
/// Returns `None` when the output has no such package.
pub fn parse_dumpsys(text: &str, package: &str, user: u32) -> Option<Dumped> {
    let header = format!("Package [{package}]");
    let mut lines = text.lines().skip_while(|l| !l.contains(&header));
    lines.next()?;
    let user_prefix = format!("User {user}:");
    let mut d = Dumped::default();
    for line in lines {
        // The block ends at the next package or at the next top-level section.
        if line.contains("Package [") || (!line.is_empty() && !line.starts_with(' ')) {
            break;
        }
        let line = line.trim();
        for word in line.split_whitespace() {
            if let Some(v) = word.strip_prefix("versionCode=") {
                d.version_code = d.version_code.or_else(|| v.parse().ok());
            } else if let Some(v) = word.strip_prefix("installerPackageName=") {
                if v != "null" {
                    d.installer = Some(v.to_string());
                }
            }
        }
        if let Some(v) = line.strip_prefix("versionName=") {
            d.version_name = Some(v.to_string());
        } else if let Some(flags) = line.strip_prefix("pkgFlags=[") {
            d.system = flags.split_whitespace().any(|f| f == "SYSTEM");
        } else if let Some(rest) = line.strip_prefix(&user_prefix) {
            for word in rest.split_whitespace() {
                match word {
                    "hidden=true" => d.hidden = true,
                    "suspended=true" => d.suspended = true,
                    _ => {}
                }
            }
        }
    }
    Some(d)
}

/// Where to find the phone.
pub struct Target<'a> {
    /// `adb -s` serial.
    pub serial: Option<&'a str>,
    /// Android user id of the work profile; found with `pm list users` when absent.
    pub user: Option<u32>,
}

/// The `adb` on `PATH`, if any.
pub fn find_adb() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("adb"))
        .find(|p| p.is_file())
}

fn run(adb: &Path, target: &Target, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new(adb);
    if let Some(s) = target.serial {
        cmd.args(["-s", s]);
    }
    cmd.arg("shell").args(args);
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", adb.display()))?;
    let shown = args.join(" ");
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!(
            "adb shell {shown} failed ({}): {}",
            out.status,
            first.trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|_| format!("adb shell {shown}: output is not UTF-8"))
}

/// Reads the work profile's packages from the phone and returns the inventory and the
/// user id it scanned.
pub fn inventory_from_device(target: &Target) -> Result<(Inventory, u32), String> {
    let adb =
        find_adb().ok_or("adb not found: install Android platform-tools or pass --inventory")?;
    let user = match target.user {
        Some(u) => u,
        None => {
            let users = parse_users(&run(&adb, target, &["pm", "list", "users"])?)?;
            work_profile(&users)?.id
        }
    };
    let user_arg = user.to_string();
    let listed = parse_package_list(&run(
        &adb,
        target,
        &["pm", "list", "packages", "-i", "-U", "--user", &user_arg],
    )?)?;
    let mut packages = Vec::with_capacity(listed.len());
    for l in listed {
        let dump = run(&adb, target, &["dumpsys", "package", &l.package])?;
        let d = parse_dumpsys(&dump, &l.package, user).unwrap_or_default();
        packages.push(Package {
            version_code: d.version_code,
            version_name: d.version_name,
            installer: l.installer.or(d.installer),
            system: d.system,
            hidden: d.hidden,
            suspended: d.suspended,
            ..Package::named(&l.package)
        });
    }
    Ok((
        Inventory {
            profile: "work".into(),
            captured_at: None,
            packages,
        },
        user,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKAGES: &str = include_str!("../../../tests/fixtures/adb/pm-list-packages.txt");
    const USERS: &str = include_str!("../../../tests/fixtures/adb/pm-list-users.txt");
    const USERS_NO_WORK: &str =
        include_str!("../../../tests/fixtures/adb/pm-list-users-no-work.txt");
    const DUMPSYS: &str =
        include_str!("../../../tests/fixtures/adb/dumpsys-package-com.zhiliaoapp.musically.txt");
    const DUMPSYS_SYSTEM: &str =
        include_str!("../../../tests/fixtures/adb/dumpsys-package-com.android.vending.txt");

    #[test]
    fn package_list_gives_names_installers_and_uids() {
        let l = parse_package_list(PACKAGES).unwrap();
        let tiktok = l
            .iter()
            .find(|p| p.package == "com.zhiliaoapp.musically")
            .unwrap();
        assert_eq!(tiktok.installer.as_deref(), Some("com.android.vending"));
        assert_eq!(tiktok.uid, Some(1_010_245));
        let sideloaded = l.iter().find(|p| p.package == "com.tok.lite.pro").unwrap();
        assert_eq!(
            sideloaded.installer.as_deref(),
            Some("com.google.android.packageinstaller")
        );
        let no_installer = l
            .iter()
            .find(|p| p.package == "com.android.settings")
            .unwrap();
        assert_eq!(no_installer.installer, None);
        assert_eq!(l.len(), PACKAGES.lines().filter(|x| !x.is_empty()).count());
    }

    #[test]
    fn package_list_errors_name_the_line() {
        let err = parse_package_list("package:a.b\nError: unknown user 12\n").unwrap_err();
        assert_eq!(
            err,
            "pm list packages: line 2: expected \"package:<name>\", found \"Error: unknown user 12\""
        );
    }

    #[test]
    fn users_and_the_work_profile() {
        let users = parse_users(USERS).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].id, 0);
        assert!(!users[0].is_managed_profile());
        let work = work_profile(&users).unwrap();
        assert_eq!((work.id, work.name.as_str()), (10, "Work profile"));

        let users = parse_users(USERS_NO_WORK).unwrap();
        let err = work_profile(&users).unwrap_err();
        assert!(
            err.starts_with("adb: this phone has no work profile"),
            "{err}"
        );
        assert!(err.contains("0 \"Owner\""), "{err}");

        let err = parse_users("Users:\n\tUserInfo{x:y}\n").unwrap_err();
        assert!(err.starts_with("pm list users: line 2:"), "{err}");
    }

    #[test]
    fn dumpsys_gives_version_flags_and_per_user_state() {
        let d = parse_dumpsys(DUMPSYS, "com.zhiliaoapp.musically", 10).unwrap();
        assert_eq!(d.version_code, Some(2_023_708_030));
        assert_eq!(d.version_name.as_deref(), Some("37.8.3"));
        assert!(!d.system);
        assert!(d.suspended);
        assert!(!d.hidden);
        // User 0 (the personal side) has it neither installed nor suspended.
        let personal = parse_dumpsys(DUMPSYS, "com.zhiliaoapp.musically", 0).unwrap();
        assert!(!personal.suspended);

        let s = parse_dumpsys(DUMPSYS_SYSTEM, "com.android.vending", 10).unwrap();
        assert!(s.system);
        assert_eq!(s.version_code, Some(84_021_630));
        assert_eq!(parse_dumpsys(DUMPSYS, "com.other.app", 10), None);
    }
}
