//! Drift test between build files: every crate of the workspace takes its lints from
//! `[workspace.lints]` and every dependency's version from `[workspace.dependencies]` (root
//! `Cargo.toml`), so there is one version of each dependency and one set of lints.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::path::Path;

/// The sections of a manifest that list dependencies.
fn is_dependency_section(header: &str) -> bool {
    header.ends_with("dependencies]")
}

#[test]
fn every_crate_uses_the_workspace_lints_and_dependencies() {
    let rust = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut crates = 0;
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&rust).unwrap().flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        crates += 1;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !text.contains("[lints]\nworkspace = true") {
            problems.push(format!("{name}: add `[lints]\\nworkspace = true`"));
        }
        let mut section = String::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                section = line.to_owned();
                continue;
            }
            if !is_dependency_section(&section) || line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (dep, spec) = line.split_once('=').unwrap_or((line, ""));
            let dep = dep.trim();
            let own = dep == "veto-agent" && spec.contains("path = \".\"");
            if !(dep.ends_with(".workspace") || spec.contains("workspace = true") || own) {
                problems.push(format!(
                    "{name} {section}: {dep}: take the version from [workspace.dependencies] \
                     (`{dep}.workspace = true`, adding features if needed)"
                ));
            }
        }
    }
    assert!(
        crates >= 6,
        "found {crates} crates under {}",
        rust.display()
    );
    assert!(problems.is_empty(), "{problems:#?}");
}
