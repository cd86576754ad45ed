//! Builds an inventory from a connected phone's work profile through `adb`.
//!
//! The parsers are pure functions over the text that `pm` and `dumpsys` print, tested on
//! recorded output in `tests/fixtures/adb/`; [`inventory_from_device`] runs the commands.
//!
//! What the shell tools print (Android's `PackageManagerShellCommand` and the package
//! manager's dump):
//! - `pm list packages -i -U --user N`: `package:<name>  installer=<pkg or null> uid:<uid>`.
//! - `pm list users`: `UserInfo{<id>:<name>:<flags in hex>} [running]`. A work profile has
//!   `FLAG_MANAGED_PROFILE` (0x20) set, but so do some vendor spaces (Samsung Secure Folder,
//!   app clones), so the flag alone decides only when nothing better answers.
//! - `cmd user list -v` (Android 11+): `N: id=10, name=…, type=profile.MANAGED, flags=…`.
//! - `dumpsys device_policy`: `Profile Owner (User N): ` blocks with `package=`.
//! - A refused command prints a `java.lang.…Exception` on stderr (exit 255, or 0 on some
//!   builds).
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
    /// Whether this user carries `FLAG_MANAGED_PROFILE`. Vendors set it on other spaces
    /// too (Samsung Secure Folder, app-clone spaces), so it only decides as a last resort.
    pub fn has_managed_profile_flag(&self) -> bool {
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
        let inner = inner.rsplit_once('}').map_or(inner, |(a, _)| a);
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

/// One user as `cmd user list -v` prints it (Android 11 and later):
/// `1: id=10, name=Work profile, type=profile.MANAGED, flags=INITIALIZED|MANAGED_PROFILE|PROFILE (parentId=0) (running)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedUser {
    /// User id.
    pub id: u32,
    /// The user type without its `android.os.usertype.` prefix, e.g. `profile.MANAGED`.
    pub user_type: String,
    /// The line says ` (profile-owner)` (Android 14 and later print it).
    pub profile_owner: bool,
}

/// The user type of a work profile, as `cmd user list -v` prints it.
pub const MANAGED_PROFILE_TYPE: &str = "profile.MANAGED";

/// Parses `cmd user list -v`. `None` when the output is not the verbose layout: releases
/// before Android 11 ignore `-v` and print the short list, Android 6 has no `cmd`.
pub fn parse_typed_users(text: &str) -> Option<Vec<TypedUser>> {
    let mut users = Vec::new();
    for line in text.lines() {
        let Some((_, rest)) = line.split_once(": id=") else {
            continue;
        };
        let (id, rest) = rest.split_once(", ")?;
        let type_at = rest.find(", type=")?;
        let after = &rest[type_at + ", type=".len()..];
        let user_type = after.split(", flags=").next()?.trim();
        users.push(TypedUser {
            id: id.trim().parse().ok()?,
            user_type: user_type
                .strip_prefix("android.os.usertype.")
                .unwrap_or(user_type)
                .to_string(),
            profile_owner: line.contains(" (profile-owner)"),
        });
    }
    (!users.is_empty()).then_some(users)
}

/// The owners `dumpsys device_policy` names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Owners {
    /// The device owner's package and its user.
    pub device_owner: Option<(String, u32)>,
    /// Profile owners: user id and package.
    pub profile_owners: Vec<(u32, String)>,
}

impl Owners {
    /// The profile owner's package of `user`, if it has one.
    pub fn profile_owner(&self, user: u32) -> Option<&str> {
        self.profile_owners
            .iter()
            .find(|(u, _)| *u == user)
            .map(|(_, p)| p.as_str())
    }
}

/// Parses `dumpsys device_policy`: its `Device Owner:` and `Profile Owner (User N):` blocks.
/// `None` when the output is not a device policy dump (no such service on the phone).
pub fn parse_device_policy(text: &str) -> Option<Owners> {
    if !text.contains("Device Policy Manager state") {
        return None;
    }
    enum Block {
        None,
        Device,
        Profile(u32),
    }
    let mut owners = Owners::default();
    let mut block = Block::None;
    let mut device_pkg: Option<String> = None;
    let mut device_user: Option<u32> = None;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("Device Owner:") {
            block = Block::Device;
        } else if let Some(rest) = t.strip_prefix("Profile Owner (User ") {
            block = match rest.split(')').next().and_then(|u| u.trim().parse().ok()) {
                Some(u) => Block::Profile(u),
                None => Block::None,
            };
        } else if t.is_empty() || t.ends_with(':') {
            block = Block::None;
        } else if let Some(pkg) = t.strip_prefix("package=") {
            match block {
                Block::Device => device_pkg = Some(pkg.to_string()),
                Block::Profile(u) => owners.profile_owners.push((u, pkg.to_string())),
                Block::None => {}
            }
        } else if let (Block::Device, Some(u)) = (&block, t.strip_prefix("User ID: ")) {
            device_user = u.trim().parse().ok();
        }
    }
    if let Some(pkg) = device_pkg {
        owners.device_owner = Some((pkg, device_user.unwrap_or(0)));
    }
    Some(owners)
}

/// How the scanned user was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChosenBy {
    /// `--user N`.
    UserOption,
    /// The only user of type `profile.MANAGED` that has a profile owner.
    ProfileOwnerAndUserType,
    /// The only user with a profile owner and the managed-profile flag (no user types on
    /// this Android release).
    ProfileOwnerAndFlag,
    /// The only user of type `profile.MANAGED` (the phone printed no owners).
    UserType,
    /// The only user with the managed-profile flag: neither types nor owners were available.
    ManagedProfileFlag,
}

/// The user `veto audit --adb` scans, and why that one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    /// User id.
    pub id: u32,
    /// Its name, when known.
    pub name: Option<String>,
    /// Its user type, when the phone printed one.
    pub user_type: Option<String>,
    /// The package of its profile owner, when the phone printed one.
    pub profile_owner: Option<String>,
    /// How it was chosen.
    pub chosen_by: ChosenBy,
    /// The same in words, for people.
    pub why: String,
}

/// Everything the phone said about its users.
pub struct UserFacts<'a> {
    /// `pm list users`.
    pub users: &'a [User],
    /// `cmd user list -v`, when the phone printed the verbose layout.
    pub types: Option<&'a [TypedUser]>,
    /// `dumpsys device_policy`, when the phone has a device policy service.
    pub owners: Option<&'a Owners>,
}

impl UserFacts<'_> {
    fn user_type(&self, id: u32) -> Option<&str> {
        self.types?
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.user_type.as_str())
    }

    fn profile_owner(&self, id: u32) -> Option<&str> {
        self.owners?.profile_owner(id)
    }

    /// `10 "Work profile" (profile.MANAGED, profile owner com.example.dpc)`.
    fn describe(&self, u: &User) -> String {
        let mut facts = Vec::new();
        match self.user_type(u.id) {
            Some(t) => facts.push(format!("type {t}")),
            None => facts.push(format!("flags 0x{:x}", u.flags)),
        }
        match (self.owners, self.profile_owner(u.id)) {
            (_, Some(p)) => facts.push(format!("profile owner {p}")),
            (Some(_), None) => facts.push("no profile owner".into()),
            (None, None) => {}
        }
        format!("{} {:?} ({})", u.id, u.name, facts.join(", "))
    }
}

/// Chooses the work profile: the user that has a profile owner (`dumpsys device_policy`)
/// and, where the phone prints user types (`cmd user list -v`), is of type
/// `profile.MANAGED`. The managed-profile flag decides alone only when the phone printed
/// neither, and the choice says so. Ambiguity is an error listing the candidates.
pub fn choose_work_profile(facts: &UserFacts) -> Result<Scanned, String> {
    if facts.users.is_empty() {
        return Err("adb: `pm list users` listed no users; is the phone still starting up?".into());
    }
    let typed = |u: &&User| facts.user_type(u.id) == Some(MANAGED_PROFILE_TYPE);
    let owned = |u: &&User| facts.profile_owner(u.id).is_some();
    let flagged = |u: &&User| u.has_managed_profile_flag();
    let all = facts.users.iter();
    let (candidates, chosen_by): (Vec<&User>, ChosenBy) = match (facts.types, facts.owners) {
        (Some(_), Some(_)) => (
            all.filter(typed).filter(owned).collect(),
            ChosenBy::ProfileOwnerAndUserType,
        ),
        (None, Some(_)) => (
            all.filter(owned).filter(flagged).collect(),
            ChosenBy::ProfileOwnerAndFlag,
        ),
        (Some(_), None) => (all.filter(typed).collect(), ChosenBy::UserType),
        (None, None) => (all.filter(flagged).collect(), ChosenBy::ManagedProfileFlag),
    };
    let listed = |users: &[&User]| {
        users
            .iter()
            .map(|u| facts.describe(u))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match candidates.as_slice() {
        [one] => {
            let owner = facts.profile_owner(one.id).map(str::to_string);
            let why = match chosen_by {
                ChosenBy::ProfileOwnerAndUserType => format!(
                    "the only user of type {MANAGED_PROFILE_TYPE} with a profile owner ({})",
                    owner.as_deref().unwrap_or_default()
                ),
                ChosenBy::ProfileOwnerAndFlag => format!(
                    "the only user with a profile owner ({}) and the managed-profile flag (this Android prints no user types)",
                    owner.as_deref().unwrap_or_default()
                ),
                ChosenBy::UserType => format!(
                    "the only user of type {MANAGED_PROFILE_TYPE} (dumpsys device_policy named no owners, so the profile owner was not checked)"
                ),
                ChosenBy::ManagedProfileFlag | ChosenBy::UserOption => "by the managed-profile flag (0x20) alone: this phone printed neither user types (cmd user list -v) nor profile owners (dumpsys device_policy), and vendors set that flag on other spaces too (Secure Folder, app clones); check the name, or pass --user N".to_string(),
            };
            Ok(Scanned {
                id: one.id,
                name: Some(one.name.clone()),
                user_type: facts.user_type(one.id).map(str::to_string),
                profile_owner: owner,
                chosen_by,
                why,
            })
        }
        [] => {
            let mut msg = format!(
                "adb: this phone has no work profile (no {}) among users {}",
                match chosen_by {
                    ChosenBy::ProfileOwnerAndUserType =>
                        "user of type profile.MANAGED with a profile owner",
                    ChosenBy::ProfileOwnerAndFlag => "managed profile with a profile owner",
                    ChosenBy::UserType => "user of type profile.MANAGED",
                    _ => "user with the managed-profile flag",
                },
                listed(&facts.users.iter().collect::<Vec<_>>())
            );
            match facts.owners.and_then(|o| o.device_owner.as_ref()) {
                Some((pkg, user)) => msg.push_str(&format!(
                    "; user {user} has a device owner ({pkg}): on a fully managed phone pass --user {user} to scan it"
                )),
                None => msg.push_str("; pass --user N to scan another user"),
            }
            Err(msg)
        }
        several => Err(format!(
            "adb: cannot tell which user is the work profile: {}; pass --user N to choose one",
            listed(several)
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
    /// Android user id of the work profile; chosen with [`choose_work_profile`] when absent.
    pub user: Option<u32>,
}

/// The `adb` to run: on `PATH` (`adb`, or `adb.exe` on Windows and under WSL), else in the
/// SDK's `platform-tools` named by `ANDROID_HOME` or `ANDROID_SDK_ROOT`.
pub fn find_adb() -> Option<PathBuf> {
    let names = ["adb", "adb.exe"];
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .flat_map(|dir| names.map(|n| dir.join(n)))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        ["ANDROID_HOME", "ANDROID_SDK_ROOT"]
            .iter()
            .filter_map(std::env::var_os)
            .flat_map(|sdk| names.map(|n| PathBuf::from(&sdk).join("platform-tools").join(n)))
            .find(|p| p.is_file())
    })
}

/// What one `adb shell` command printed.
struct Ran {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

fn run_raw(adb: &Path, target: &Target, args: &[&str]) -> Result<Ran, String> {
    let mut cmd = Command::new(adb);
    if let Some(s) = target.serial {
        cmd.args(["-s", s]);
    }
    cmd.arg("shell").args(args);
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", adb.display()))?;
    Ok(Ran {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    })
}

/// Runs a command that must succeed. Some builds print a refusal on standard error and
/// still exit 0, so an exception or `Error:` on standard error is a failure too: an empty
/// package list must never pass for a compliant profile.
fn run(adb: &Path, target: &Target, args: &[&str]) -> Result<String, String> {
    let ran = run_raw(adb, target, args)?;
    if ran.code != Some(0) || stderr_reports_error(&ran.stderr) {
        return Err(failure_message(&args.join(" "), ran.code, &ran.stderr));
    }
    Ok(ran.stdout)
}

fn stderr_reports_error(stderr: &str) -> bool {
    stderr.lines().map(str::trim).any(|l| {
        l.starts_with("Error:")
            || l.starts_with("Exception occurred")
            || l.starts_with("java.lang.")
            || l.starts_with("adb: ")
            || l.starts_with("error: ")
    })
}

/// The one-line error for a failed `adb shell <shown>`: the cause (the exception line,
/// not only the first line), and what the administrator can do about it.
pub fn failure_message(shown: &str, code: Option<i32>, stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let status = match code {
        Some(c) => format!("exit status {c}"),
        None => "killed by a signal".to_string(),
    };
    // The exception itself, e.g. "java.lang.SecurityException: Shell does not have …".
    let exception = lines
        .iter()
        .map(|l| l.strip_prefix("Error: ").unwrap_or(l))
        .find(|l| {
            l.split(':')
                .next()
                .is_some_and(|head| head.ends_with("Exception") && !head.contains(' '))
        });
    let text = lines.join(" ");
    // adb's own errors come before the shell ever runs.
    if text.contains("more than one device/emulator") {
        return "adb: more than one device/emulator is attached; pass --serial S with one of the serials `adb devices` lists".to_string();
    }
    if text.contains("unauthorized") {
        return format!(
            "adb: the phone has not authorised this computer; unlock it and accept the \"Allow USB debugging?\" dialog. adb said: {text}"
        );
    }
    if text.contains("no devices/emulators found") || text.contains("device offline") {
        return format!(
            "adb: {}; connect the phone with USB debugging on and check that `adb devices` lists it",
            lines.first().map_or("no phone", |l| l.trim_start_matches("adb: ").trim_start_matches("error: "))
        );
    }
    let cause = exception
        .or_else(|| lines.first().copied())
        .unwrap_or("no message");
    let mut msg = format!("adb shell {shown} failed ({status}): {cause}");
    if let Some(user) = cause
        .split("does not have permission to access user ")
        .nth(1)
    {
        let user = user.split_whitespace().next().unwrap_or(user);
        msg.push_str(&format!(
            ". The work profile (user {user}) refuses adb: its EMM policy disallows debugging features there (user restriction no_debugging_features). Either allow debugging in the work profile through the EMM for the time of the check (Android Management API: advancedSecurityOverrides.developerSettings DEVELOPER_SETTINGS_ALLOWED), or scan on the device itself: the Veto app in the work profile evaluates it and reports to your Veto server"
        ));
    }
    msg
}

/// The serial of the one attached phone (`adb get-serialno`), to name it in reports.
fn serial_of_attached(adb: &Path) -> Option<String> {
    let out = Command::new(adb).arg("get-serialno").output().ok()?;
    let serial = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !serial.is_empty() && serial != "unknown").then_some(serial)
}

/// What `veto audit --adb` read: the inventory, the phone's serial (given, or asked of
/// adb) and the user it scanned, with how that user was chosen.
pub struct FromDevice {
    /// The work profile's packages.
    pub inventory: Inventory,
    /// The phone's serial, when known.
    pub serial: Option<String>,
    /// The user scanned.
    pub scanned: Scanned,
}

/// Reads the work profile's packages from the phone.
pub fn inventory_from_device(target: &Target) -> Result<FromDevice, String> {
    let adb =
        find_adb().ok_or("adb not found on PATH or in $ANDROID_HOME/platform-tools: install Android platform-tools or pass --inventory")?;
    let scanned = match target.user {
        Some(u) => Scanned {
            id: u,
            name: None,
            user_type: None,
            profile_owner: None,
            chosen_by: ChosenBy::UserOption,
            why: "given with --user".into(),
        },
        None => {
            let users = parse_users(&run(&adb, target, &["pm", "list", "users"])?)?;
            // Both are optional: older phones lack them, and the choice says what it used.
            let typed = run_raw(&adb, target, &["cmd", "user", "list", "-v"])?;
            let types = (typed.code == Some(0))
                .then(|| parse_typed_users(&typed.stdout))
                .flatten();
            let dpm = run_raw(&adb, target, &["dumpsys", "device_policy"])?;
            let owners = (dpm.code == Some(0))
                .then(|| parse_device_policy(&dpm.stdout))
                .flatten();
            choose_work_profile(&UserFacts {
                users: &users,
                types: types.as_deref(),
                owners: owners.as_ref(),
            })?
        }
    };
    let user_arg = scanned.id.to_string();
    let listed = parse_package_list(&run(
        &adb,
        target,
        &["pm", "list", "packages", "-i", "-U", "--user", &user_arg],
    )?)?;
    let mut packages = Vec::with_capacity(listed.len());
    for l in listed {
        let dump = run(&adb, target, &["dumpsys", "package", &l.package])?;
        let d = parse_dumpsys(&dump, &l.package, scanned.id).unwrap_or_default();
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
    let serial = match target.serial {
        Some(s) => Some(s.to_string()),
        None => serial_of_attached(&adb),
    };
    Ok(FromDevice {
        inventory: Inventory {
            profile: "work".into(),
            captured_at: None,
            packages,
        },
        serial,
        scanned,
    })
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
        assert!(!users[0].has_managed_profile_flag());
        let facts = UserFacts {
            users: &users,
            types: None,
            owners: None,
        };
        let work = choose_work_profile(&facts).unwrap();
        assert_eq!((work.id, work.name.as_deref()), (10, Some("Work profile")));
        assert_eq!(work.chosen_by, ChosenBy::ManagedProfileFlag);

        let users = parse_users(USERS_NO_WORK).unwrap();
        let err = choose_work_profile(&UserFacts {
            users: &users,
            types: None,
            owners: None,
        })
        .unwrap_err();
        assert_eq!(err, "adb: this phone has no work profile (no user with the managed-profile flag) among users 0 \"Owner\" (flags 0xc13); pass --user N to scan another user");

        let err = parse_users("Users:\n\tUserInfo{x:y}\n").unwrap_err();
        assert!(err.starts_with("pm list users: line 2:"), "{err}");
    }

    /// What a recorded phone (tests/fixtures/adb/phones/NAME) says about its users.
    struct Phone {
        users: Vec<User>,
        types: Option<Vec<TypedUser>>,
        owners: Option<Owners>,
    }

    fn phone(name: &str) -> Phone {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/adb/phones")
            .join(name);
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
        let ok = |base: &str| {
            let rc = read(&format!("{base}.rc")).map_or(0, |r| r.trim().parse().unwrap());
            (rc == 0).then(|| read(&format!("{base}.out")).unwrap_or_default())
        };
        Phone {
            users: parse_users(&read("pm-list-users.out").unwrap()).unwrap(),
            types: ok("cmd-user-list-v").and_then(|t| parse_typed_users(&t)),
            owners: ok("dumpsys-device_policy").and_then(|t| parse_device_policy(&t)),
        }
    }

    fn choose(name: &str) -> Result<Scanned, String> {
        let p = phone(name);
        choose_work_profile(&UserFacts {
            users: &p.users,
            types: p.types.as_deref(),
            owners: p.owners.as_ref(),
        })
    }

    #[test]
    fn verbose_user_list_and_device_policy_dump_parse() {
        let p = phone("pixel-14-work");
        let types = p.types.unwrap();
        assert_eq!(types.len(), 2);
        assert_eq!(types[0].user_type, "full.SYSTEM");
        assert_eq!(
            (
                types[1].id,
                types[1].user_type.as_str(),
                types[1].profile_owner
            ),
            (10, "profile.MANAGED", true)
        );
        let owners = p.owners.unwrap();
        assert_eq!(
            owners.profile_owners,
            vec![(10, "com.google.android.apps.work.clouddpc".to_string())]
        );
        assert_eq!(owners.device_owner, None);
        // Android 9 ignores -v and prints the short list: no types.
        assert_eq!(phone("samsung-9-secure-folder-only").types, None);
        // No device policy service, no `cmd`: neither is known.
        let old = phone("lineage-6-no-dpm");
        assert_eq!((old.types, old.owners), (None, None));
        let dm = phone("fully-managed-14").owners.unwrap();
        assert_eq!(
            dm.device_owner,
            Some(("com.google.android.apps.work.clouddpc".to_string(), 0))
        );
        assert!(dm.profile_owners.is_empty());
    }

    #[test]
    fn pixel_work_profile_is_chosen_by_owner_and_type() {
        let s = choose("pixel-14-work").unwrap();
        assert_eq!(s.id, 10);
        assert_eq!(s.chosen_by, ChosenBy::ProfileOwnerAndUserType);
        assert_eq!(s.user_type.as_deref(), Some("profile.MANAGED"));
        assert_eq!(
            s.why,
            "the only user of type profile.MANAGED with a profile owner (com.google.android.apps.work.clouddpc)"
        );
    }

    #[test]
    fn secure_folder_and_dual_messenger_are_not_the_work_profile() {
        // The Secure Folder carries the flag and the managed type but has no profile owner.
        let s = choose("samsung-13-work-secure-folder").unwrap();
        assert_eq!((s.id, s.chosen_by), (10, ChosenBy::ProfileOwnerAndUserType));
        assert_eq!(
            s.profile_owner.as_deref(),
            Some("com.microsoft.windowsintune.companyportal")
        );
    }

    #[test]
    fn a_secure_folder_alone_is_no_work_profile() {
        // The old rule (the flag) scanned the Secure Folder here.
        assert_eq!(
            choose("samsung-9-secure-folder-only").unwrap_err(),
            "adb: this phone has no work profile (no managed profile with a profile owner) among users 0 \"Owner\" (flags 0x13, no profile owner), 150 \"Secure Folder\" (flags 0x10061030, no profile owner); pass --user N to scan another user"
        );
    }

    #[test]
    fn a_clone_space_with_the_flag_is_not_the_work_profile() {
        let s = choose("clone-space-12-work").unwrap();
        assert_eq!((s.id, s.chosen_by), (11, ChosenBy::ProfileOwnerAndUserType));
        // A vendor space with its own profile owner is told apart by its type.
        let p = phone("clone-space-12-work");
        let mut owners = p.owners.clone().unwrap();
        owners
            .profile_owners
            .push((999, "com.vendor.dualapp".into()));
        let s = choose_work_profile(&UserFacts {
            users: &p.users,
            types: p.types.as_deref(),
            owners: Some(&owners),
        })
        .unwrap();
        assert_eq!(s.id, 11);
        // Without types (older Android) both have owners and the flag: ambiguous.
        let err = choose_work_profile(&UserFacts {
            users: &p.users,
            types: None,
            owners: Some(&owners),
        })
        .unwrap_err();
        assert_eq!(err, "adb: cannot tell which user is the work profile: 11 \"Work profile\" (flags 0x1030, profile owner com.airwatch.androidagent), 999 \"Multi-App\" (flags 0x4000030, profile owner com.vendor.dualapp); pass --user N to choose one");
    }

    #[test]
    fn the_flag_decides_alone_only_when_nothing_else_answers_and_says_so() {
        let s = choose("lineage-6-no-dpm").unwrap();
        assert_eq!((s.id, s.chosen_by), (10, ChosenBy::ManagedProfileFlag));
        assert!(
            s.why.starts_with("by the managed-profile flag (0x20) alone: this phone printed neither user types (cmd user list -v) nor profile owners (dumpsys device_policy)"),
            "{}",
            s.why
        );
    }

    #[test]
    fn each_source_decides_alone_when_the_other_is_missing() {
        // Android 9: no user types, but the device policy dump names the owner.
        let p = phone("samsung-13-work-secure-folder");
        let s = choose_work_profile(&UserFacts {
            users: &p.users,
            types: None,
            owners: p.owners.as_ref(),
        })
        .unwrap();
        assert_eq!((s.id, s.chosen_by), (10, ChosenBy::ProfileOwnerAndFlag));
        assert_eq!(s.why, "the only user with a profile owner (com.microsoft.windowsintune.companyportal) and the managed-profile flag (this Android prints no user types)");
        // Types without owners (dumpsys device_policy refused): the type decides, and the
        // Secure Folder typed as managed makes it ambiguous rather than a guess.
        let err = choose_work_profile(&UserFacts {
            users: &p.users,
            types: p.types.as_deref(),
            owners: None,
        })
        .unwrap_err();
        assert_eq!(err, "adb: cannot tell which user is the work profile: 10 \"Work profile\" (type profile.MANAGED), 150 \"Secure Folder\" (type profile.MANAGED); pass --user N to choose one");
        let p = phone("clone-space-12-work");
        let s = choose_work_profile(&UserFacts {
            users: &p.users,
            types: p.types.as_deref(),
            owners: None,
        })
        .unwrap();
        assert_eq!((s.id, s.chosen_by), (11, ChosenBy::UserType));
    }

    #[test]
    fn two_owned_managed_profiles_are_ambiguous() {
        assert_eq!(
            choose("two-work-profiles").unwrap_err(),
            "adb: cannot tell which user is the work profile: 10 \"Work profile\" (type profile.MANAGED, profile owner com.google.android.apps.work.clouddpc), 12 \"Werkprofiel\" (type profile.MANAGED, profile owner com.afwsamples.testdpc); pass --user N to choose one"
        );
    }

    #[test]
    fn a_fully_managed_phone_points_at_its_device_owner() {
        assert_eq!(
            choose("fully-managed-14").unwrap_err(),
            "adb: this phone has no work profile (no user of type profile.MANAGED with a profile owner) among users 0 \"Owner\" (type full.SYSTEM, no profile owner); user 0 has a device owner (com.google.android.apps.work.clouddpc): on a fully managed phone pass --user 0 to scan it"
        );
    }

    const REFUSAL_ADVICE: &str = ". The work profile (user 11) refuses adb: its EMM policy disallows debugging features there (user restriction no_debugging_features). Either allow debugging in the work profile through the EMM for the time of the check (Android Management API: advancedSecurityOverrides.developerSettings DEVELOPER_SETTINGS_ALLOWED), or scan on the device itself: the Veto app in the work profile evaluates it and reports to your Veto server";

    #[test]
    fn a_refused_shell_shows_the_cause_and_what_to_do() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/adb/phones");
        let err255 =
            std::fs::read_to_string(dir.join("refused-255/pm-list-packages-user-11.err")).unwrap();
        assert!(stderr_reports_error(&err255));
        assert_eq!(
            failure_message("pm list packages -i -U --user 11", Some(255), &err255),
            format!("adb shell pm list packages -i -U --user 11 failed (exit status 255): java.lang.SecurityException: Shell does not have permission to access user 11{REFUSAL_ADVICE}")
        );
        let err0 = std::fs::read_to_string(dir.join("refused-exit-0/pm-list-packages-user-11.err"))
            .unwrap();
        assert!(
            stderr_reports_error(&err0),
            "exit 0 with an exception is a failure"
        );
        assert_eq!(
            failure_message("pm list packages -i -U --user 11", Some(0), &err0),
            format!("adb shell pm list packages -i -U --user 11 failed (exit status 0): java.lang.SecurityException: Shell does not have permission to access user 11{REFUSAL_ADVICE}")
        );
        // Other failures keep their first line.
        assert_eq!(
            failure_message("pm list users", Some(1), "\nsomething odd\nmore\n"),
            "adb shell pm list users failed (exit status 1): something odd"
        );
        assert!(!stderr_reports_error(""));
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
