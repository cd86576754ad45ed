//! Packages Veto never acts on, whatever a policy says.
//!
//! Acting on any of these would cut the device off from its management, from app
//! updates, or from its own settings; acting on Veto would disarm it.

/// Package name and why it is protected.
pub const BUILTIN_PROTECTED: &[(&str, &str)] = &[
    ("app.veto", "Veto itself"),
    (
        "com.android.vending",
        "the Play Store: managed Google Play installs and updates apps",
    ),
    ("com.google.android.gms", "Google Play services"),
    ("com.google.android.gsf", "Google services framework"),
    ("com.android.settings", "Settings"),
    (
        "com.google.android.apps.work.clouddpc",
        "Android Device Policy, the EMM agent",
    ),
    (
        "com.microsoft.windowsintune.companyportal",
        "Intune Company Portal, the EMM agent",
    ),
    ("com.microsoft.intune", "Microsoft Intune, the EMM agent"),
    (
        "com.airwatch.androidagent",
        "Workspace ONE Intelligent Hub, the EMM agent",
    ),
    ("com.mobileiron", "Ivanti Mobile@Work, the EMM agent"),
];

/// Why `name` is protected by the built-in list, if it is.
pub fn builtin_reason(name: &str) -> Option<&'static str> {
    BUILTIN_PROTECTED
        .iter()
        .find(|(p, _)| *p == name)
        .map(|(_, why)| *why)
}
