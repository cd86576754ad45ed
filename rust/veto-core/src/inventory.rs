//! The inventory: one scan of the work profile's packages, as the shell observed it.

use crate::digest::CertDigest;
use crate::error::{parse_json, Error, ErrorKind, Result};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One scan of the work profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Which profile was scanned; Veto only accepts `"work"`.
    #[serde(default = "work")]
    pub profile: String,
    /// When the shell took the scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<Timestamp>,
    /// Every package in the profile, hidden ones included.
    pub packages: Vec<Package>,
}

fn work() -> String {
    "work".to_string()
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Package {
    /// The package name (application id), e.g. `com.zhiliaoapp.musically`.
    pub package: String,
    /// The label the employee sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `versionCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_code: Option<i64>,
    /// `versionName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_name: Option<String>,
    /// The package that installed it (`com.android.vending` for Play).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installer: Option<String>,
    /// SHA-256 digests of its signing certificates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signing_sha256: Vec<CertDigest>,
    /// Part of the system image.
    #[serde(default)]
    pub system: bool,
    /// Currently hidden by a device policy.
    #[serde(default)]
    pub hidden: bool,
    /// Currently suspended by a device policy.
    #[serde(default)]
    pub suspended: bool,
    /// Archived (Android 15, `ApplicationInfo.isArchived`): the code is gone but the icon and
    /// data stay, and one tap restores the app. Veto counts an archived app as present: a
    /// barred archived app is a finding like any other.
    #[serde(default)]
    pub archived: bool,
}

impl Package {
    /// A package with only its name set.
    pub fn named(name: &str) -> Self {
        Package {
            package: name.to_string(),
            ..Package::default()
        }
    }

    /// The label, or the package name when the shell could not read one.
    pub fn display_name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.package)
    }
}

impl Inventory {
    /// Parses and checks an inventory document.
    pub fn from_json(json: &str) -> Result<Inventory> {
        let inv: Inventory = parse_json(json, ErrorKind::BadInventory, "inventory")?;
        inv.check()?;
        Ok(inv)
    }

    fn check(&self) -> Result<()> {
        if self.profile != "work" {
            return Err(Error::new(
                ErrorKind::BadInventory,
                format!(
                    "inventory: profile: Veto only scans the work profile, found {:?}",
                    self.profile
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, p) in self.packages.iter().enumerate() {
            if let Err(why) = check_package_name(&p.package) {
                return Err(Error::new(
                    ErrorKind::BadInventory,
                    format!("inventory: packages[{i}].package: {why}"),
                ));
            }
            if !seen.insert(p.package.as_str()) {
                return Err(Error::new(
                    ErrorKind::BadInventory,
                    format!(
                        "inventory: packages[{i}].package: {:?} is listed twice",
                        p.package
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Android package names: dot-separated segments of letters, digits and underscores.
pub(crate) fn check_package_name(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name.split('.').all(|seg| {
            !seg.is_empty() && seg.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected a package name such as \"com.example.app\", found {name:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_entries_and_unknown_fields() {
        let inv = Inventory::from_json(
            r#"{"packages":[{"package":"com.a"},{"package":"com.b","future_field":[1,2],
                "signing_sha256":["90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA"]}]}"#,
        )
        .unwrap();
        assert_eq!(inv.profile, "work");
        assert_eq!(inv.packages.len(), 2);
        assert_eq!(inv.packages[1].signing_sha256.len(), 1);
    }

    #[test]
    fn errors_name_the_path() {
        let cases = [
            (
                r#"{"packages":[{"label":"x"}]}"#,
                "inventory: packages[0]: missing field `package`",
            ),
            (
                r#"{"packages":[{"package":"com.a","signing_sha256":["abc"]}]}"#,
                "inventory: packages[0].signing_sha256[0]: expected a SHA-256 digest",
            ),
            (
                r#"{"packages":[{"package":"com.a","system":"yes"}]}"#,
                "inventory: packages[0].system: invalid type: string \"yes\", expected a boolean",
            ),
            (
                r#"{"packages":[{"package":"not a name"}]}"#,
                "inventory: packages[0].package: expected a package name",
            ),
            (
                r#"{"packages":[{"package":"a.b"},{"package":"a.b"}]}"#,
                "inventory: packages[1].package: \"a.b\" is listed twice",
            ),
            (
                r#"{"profile":"personal","packages":[]}"#,
                "inventory: profile: Veto only scans the work profile",
            ),
            (
                r#"{"packages":[],"captured_at":"noon"}"#,
                "inventory: captured_at: expected an RFC 3339 time",
            ),
            (r#"[1,2]"#, "inventory: expected a JSON object"),
            ("", "inventory: the document is empty"),
            (
                "{\"packages\": [",
                "inventory: packages: EOF while parsing a list (line 1, column 14)",
            ),
        ];
        for (json, want) in cases {
            let err = Inventory::from_json(json).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadInventory);
            assert!(
                err.message().starts_with(want),
                "{json}\n got: {err}\nwant: {want}"
            );
        }
    }
}
