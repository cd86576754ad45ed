//! What this device lets Veto do, and how a wanted action degrades to what it allows.

use crate::error::{parse_json, Error, ErrorKind, Result};
use crate::policy::Action;
use serde::{Deserialize, Serialize};

/// Android's `DevicePolicyManager.DELEGATION_PACKAGE_ACCESS`.
pub const SCOPE_PACKAGE_ACCESS: &str = "delegation-package-access";
/// Android's `DevicePolicyManager.DELEGATION_BLOCK_UNINSTALL`.
pub const SCOPE_BLOCK_UNINSTALL: &str = "delegation-block-uninstall";

/// Veto's standing on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Veto is the device owner.
    DeviceOwner,
    /// Veto is the work profile's owner (the DPC).
    ProfileOwner,
    /// Another app is the DPC and delegated scopes to Veto.
    Delegate,
    /// No privilege: Veto can only report and notify.
    None,
}

/// What the shell observed about Veto's privileges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Veto's role.
    pub role: Role,
    /// For a profile owner: whether the profile is affiliated with the device owner.
    #[serde(default)]
    pub affiliated: bool,
    /// Scopes delegated to Veto (`getDelegatedScopes`).
    #[serde(default)]
    pub delegated_scopes: Vec<String>,
    /// Veto's own package: never acted on.
    #[serde(default)]
    pub self_package: Option<String>,
    /// The DPC's package, when it is not Veto: never acted on.
    #[serde(default)]
    pub dpc_package: Option<String>,
}

impl Capabilities {
    /// A device with the given role and nothing else known.
    pub fn with_role(role: Role) -> Self {
        Capabilities {
            role,
            affiliated: false,
            delegated_scopes: Vec::new(),
            self_package: None,
            dpc_package: None,
        }
    }

    /// Parses the shell's capabilities JSON.
    pub fn from_json(json: &str) -> Result<Self> {
        parse_json(json, ErrorKind::BadCapabilities, "capabilities")
    }

    /// Parses the CLI's short form: `device-owner`, `profile-owner`,
    /// `affiliated-profile-owner`, `delegate:package-access[,block-uninstall]`, `none`.
    pub fn from_cli_list(s: &str) -> Result<Self> {
        let s = s.trim();
        let caps = match s {
            "device-owner" => Capabilities::with_role(Role::DeviceOwner),
            "profile-owner" => Capabilities::with_role(Role::ProfileOwner),
            "affiliated-profile-owner" => Capabilities {
                affiliated: true,
                ..Capabilities::with_role(Role::ProfileOwner)
            },
            "none" => Capabilities::with_role(Role::None),
            _ => match s.strip_prefix("delegate") {
                Some(rest) if rest.is_empty() || rest.starts_with(':') => {
                    let mut scopes = Vec::new();
                    for scope in rest.trim_start_matches(':').split(',').filter(|x| !x.is_empty()) {
                        scopes.push(match scope.trim() {
                            "package-access" => SCOPE_PACKAGE_ACCESS.to_string(),
                            "block-uninstall" => SCOPE_BLOCK_UNINSTALL.to_string(),
                            other => {
                                return Err(Error::new(
                                    ErrorKind::BadCapabilities,
                                    format!("capabilities: unknown delegated scope {other:?}; use package-access or block-uninstall"),
                                ))
                            }
                        });
                    }
                    Capabilities {
                        delegated_scopes: scopes,
                        ..Capabilities::with_role(Role::Delegate)
                    }
                }
                _ => {
                    return Err(Error::new(
                        ErrorKind::BadCapabilities,
                        format!("capabilities: unknown {s:?}; use device-owner, profile-owner, affiliated-profile-owner, delegate:package-access[,block-uninstall] or none"),
                    ))
                }
            },
        };
        Ok(caps)
    }

    fn has_scope(&self, scope: &str) -> bool {
        self.delegated_scopes.iter().any(|s| s == scope)
    }

    /// Whether this device lets Veto take `action` (or undo it).
    pub fn allows(&self, action: Action) -> bool {
        match action {
            Action::Report | Action::Warn => true,
            Action::Suspend | Action::Hide | Action::Unsuspend | Action::Unhide => {
                match self.role {
                    Role::DeviceOwner | Role::ProfileOwner => true,
                    Role::Delegate => self.has_scope(SCOPE_PACKAGE_ACCESS),
                    Role::None => false,
                }
            }
            Action::Uninstall => {
                self.role == Role::DeviceOwner
                    || (self.role == Role::ProfileOwner && self.affiliated)
            }
        }
    }

    /// The strongest enforcement action allowed here that does not exceed `wanted`,
    /// and, when that is weaker than `wanted`, why.
    pub fn degrade(&self, wanted: Action) -> (Action, Option<String>) {
        let chosen = Action::LADDER
            .into_iter()
            .rev()
            .find(|a| *a <= wanted && self.allows(*a))
            .unwrap_or(Action::Report);
        if chosen == wanted {
            return (chosen, None);
        }
        let why = match wanted {
            Action::Uninstall => format!(
                "silent uninstall needs a device owner or an affiliated profile owner; Veto is {}",
                self.describe()
            ),
            _ => format!(
                "{} needs a device or profile owner, or the delegated scope {SCOPE_PACKAGE_ACCESS}; Veto is {}",
                wanted.name(),
                self.describe()
            ),
        };
        (chosen, Some(why))
    }

    /// Veto's standing, in words.
    pub fn describe(&self) -> String {
        match self.role {
            Role::DeviceOwner => "the device owner".into(),
            Role::ProfileOwner if self.affiliated => "an affiliated profile owner".into(),
            Role::ProfileOwner => "the profile owner (not affiliated)".into(),
            Role::Delegate if self.delegated_scopes.is_empty() => {
                "a delegate with no scopes".into()
            }
            Role::Delegate => format!(
                "a delegate with scopes {}",
                self.delegated_scopes.join(", ")
            ),
            Role::None => "an ordinary app with no device-policy privilege".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degradation_table() {
        let cases = [
            ("device-owner", Action::Uninstall, Action::Uninstall),
            (
                "affiliated-profile-owner",
                Action::Uninstall,
                Action::Uninstall,
            ),
            ("profile-owner", Action::Uninstall, Action::Hide),
            ("delegate:package-access", Action::Uninstall, Action::Hide),
            ("delegate:package-access", Action::Suspend, Action::Suspend),
            ("delegate:block-uninstall", Action::Suspend, Action::Warn),
            ("none", Action::Hide, Action::Warn),
            ("none", Action::Report, Action::Report),
        ];
        for (caps, wanted, chosen) in cases {
            let c = Capabilities::from_cli_list(caps).unwrap();
            let (got, why) = c.degrade(wanted);
            assert_eq!(got, chosen, "{caps} {wanted:?}");
            assert_eq!(why.is_some(), got != wanted, "{caps} {wanted:?}");
        }
        let (_, why) = Capabilities::from_cli_list("profile-owner")
            .unwrap()
            .degrade(Action::Uninstall);
        assert!(why.unwrap().contains("the profile owner (not affiliated)"));
    }

    #[test]
    fn json_form() {
        let c = Capabilities::from_json(
            r#"{"role":"delegate","delegated_scopes":["delegation-package-access"],"self_package":"app.veto"}"#,
        )
        .unwrap();
        assert!(c.allows(Action::Hide));
        assert!(!c.allows(Action::Uninstall));
        let err = Capabilities::from_json(r#"{"role":"admin"}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadCapabilities);
        assert!(
            err.message()
                .starts_with("capabilities: role: unknown variant `admin`"),
            "{err}"
        );
    }

    #[test]
    fn cli_errors_say_what_is_accepted() {
        let err = Capabilities::from_cli_list("root").unwrap_err();
        assert!(
            err.message().contains("use device-owner, profile-owner"),
            "{err}"
        );
        let err = Capabilities::from_cli_list("delegate:everything").unwrap_err();
        assert!(
            err.message()
                .contains("unknown delegated scope \"everything\""),
            "{err}"
        );
    }
}
