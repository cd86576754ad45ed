//! Codes have one home each (`veto_core::codes`, `veto_core::error::ErrorKind`) and one line in
//! docs/contract.md each: these tests keep the three in step.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use veto_core::codes::{error_codes, CodeDoc, WARNING_CODES};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn contract() -> String {
    std::fs::read_to_string(repo().join("docs/contract.md")).expect("docs/contract.md")
}

/// The rows `| `code` | meaning |` of the table under `heading` in docs/contract.md.
fn table_rows(contract: &str, heading: &str) -> Vec<(String, String)> {
    let start = contract
        .find(heading)
        .unwrap_or_else(|| panic!("docs/contract.md has no {heading:?}"));
    contract[start + heading.len()..]
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
            let code = cells.first()?.trim().strip_prefix('`')?.strip_suffix('`')?;
            Some((code.to_owned(), cells.get(1)?.trim().to_owned()))
        })
        .collect()
}

fn assert_listed(rows: &[(String, String)], codes: &[CodeDoc], what: &str) {
    for doc in codes {
        let row = rows.iter().find(|(code, _)| code == doc.code);
        let Some((_, meaning)) = row else {
            panic!(
                "docs/contract.md, {what}: add the row | `{}` | {} |",
                doc.code, doc.meaning
            )
        };
        assert_eq!(
            meaning, doc.meaning,
            "docs/contract.md, {what}: the meaning of `{}` differs from its home",
            doc.code
        );
    }
    for (code, _) in rows {
        assert!(
            codes.iter().any(|doc| doc.code == code),
            "docs/contract.md, {what}: `{code}` is not a code Veto has"
        );
    }
}

#[test]
fn the_contract_lists_every_warning_code_with_its_meaning() {
    let rows = table_rows(&contract(), "### Warning codes");
    assert_listed(&rows, WARNING_CODES, "Warning codes");
}

#[test]
fn the_contract_lists_every_error_kind_with_its_meaning() {
    let rows = table_rows(&contract(), "### Error kinds");
    assert_listed(&rows, &error_codes(), "Error kinds");
}

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("readable source tree")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_warning_is_made_from_a_string_literal_outside_the_codes_module() {
    let mut files = Vec::new();
    rust_sources(&repo().join("rust"), &mut files);
    assert!(files.len() > 20, "found only {files:?}");
    let mut offenders = Vec::new();
    let this_file = Path::new(file!()).file_name();
    for file in files {
        if file.ends_with("veto-core/tests/codes.rs")
            || file.file_name() == this_file && file.ends_with("tests/codes.rs")
        {
            continue; // the patterns below
        }
        let text = std::fs::read_to_string(&file).expect("readable source");
        for call in [
            "Warning::new(",
            "Warning::for_package(",
            "Warning::for_rule(",
        ] {
            for (at, _) in text.match_indices(call) {
                let after = text[at + call.len()..].trim_start();
                if after.starts_with('"') {
                    let line = text[..at].lines().count() + 1;
                    offenders.push(format!("{}:{line}", file.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "warning codes belong in veto_core::codes, not literals: {offenders:?}"
    );
}
