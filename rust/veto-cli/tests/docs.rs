//! Runs every console example in docs/cli.md (a ```console block: `$ veto …` lines, the
//! output they print, `$ echo $?` and the exit code) with the built `veto`, and fails when
//! the output or the exit code differs: the docs stay in step with the tool.
//!
//! Conventions a block may use:
//! - `<!-- doc-test: adb=PHONE -->` on the line before the block: a fake `adb` answering
//!   like tests/fixtures/adb/phones/PHONE is on PATH (otherwise no `adb` is).
//! - A last output line `…`: only the lines before it are compared (a shortened output).
//! - `/tmp/cli-doc` stands for a fresh temporary folder.
//! - `veto keygen` prints a new key each run: the printed `policy_public_key:` and `key id:`
//!   values stand for whatever this run printed, in later commands and outputs too.

// Test code: a failed unwrap is a failed test; the docs test writes its own fixtures.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

struct Step {
    line: usize,
    command: String,
    output: Vec<String>,
    exit: Option<i32>,
}

struct Block {
    line: usize,
    adb: Option<String>,
    steps: Vec<Step>,
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut annotation: Option<String> = None;
    let mut current: Option<Block> = None;
    let mut expect_exit = false;
    for (i, line) in doc.lines().enumerate() {
        let n = i + 1;
        if let Some(b) = current.as_mut() {
            if line == "```" {
                out.push(current.take().unwrap());
                continue;
            }
            if expect_exit {
                let step = b.steps.last_mut().expect("echo $? follows a command");
                step.exit = Some(line.trim().parse().unwrap_or_else(|_| {
                    panic!("docs/cli.md:{n}: expected an exit code after `echo $?`")
                }));
                expect_exit = false;
            } else if line == "$ echo $?" {
                expect_exit = true;
            } else if let Some(cmd) = line.strip_prefix("$ ") {
                b.steps.push(Step {
                    line: n,
                    command: cmd.to_string(),
                    output: Vec::new(),
                    exit: None,
                });
            } else {
                b.steps
                    .last_mut()
                    .unwrap_or_else(|| panic!("docs/cli.md:{n}: output before any command"))
                    .output
                    .push(line.to_string());
            }
        } else if line == "```console" {
            current = Some(Block {
                line: n,
                adb: annotation
                    .take()
                    .and_then(|a| a.strip_prefix("adb=").map(str::to_string)),
                steps: Vec::new(),
            });
        } else if let Some(a) = line
            .strip_prefix("<!-- doc-test: ")
            .and_then(|l| l.strip_suffix(" -->"))
        {
            annotation = Some(a.to_string());
        } else if !line.trim().is_empty() {
            annotation = None;
        }
    }
    assert!(
        current.is_none(),
        "docs/cli.md: a console block is not closed"
    );
    out
}

/// Splits a command line as a POSIX shell would for the quoting the docs use.
fn split(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in cmd.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn replace_all(s: &str, subs: &BTreeMap<String, String>) -> String {
    subs.iter()
        .fold(s.to_string(), |acc, (from, to)| acc.replace(from, to))
}

/// The value after `prefix` on the line that starts with it.
fn value_after<'a>(lines: &'a [String], prefix: &str) -> Option<&'a str> {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .map(str::trim)
}

#[test]
fn every_console_example_in_docs_cli_md_reproduces() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/cli.md")).unwrap();
    let blocks = blocks(&doc);
    assert!(blocks.len() >= 10, "found only {} blocks", blocks.len());
    let tmp = tempfile::tempdir().unwrap();
    let no_adb = tempfile::tempdir().unwrap();
    let mut subs = BTreeMap::new();
    subs.insert("/tmp/cli-doc".to_string(), tmp.path().display().to_string());
    let mut failures = Vec::new();
    let mut ran = 0;
    for block in &blocks {
        let fake = block.adb.as_deref().map(common::fake_adb);
        // The fake adb is a shell script and needs the system's tools after it.
        let path = match &fake {
            Some(d) => format!(
                "{}:{}",
                d.path().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
            None => no_adb.path().display().to_string(),
        };
        for step in &block.steps {
            let words = split(&replace_all(&step.command, &subs));
            let args = match words.first().map(String::as_str) {
                Some("veto") => &words[1..],
                _ => panic!(
                    "docs/cli.md:{}: a console example runs {:?}; only `veto …` and `echo $?` can be checked (use a ```sh block for other commands)",
                    step.line, step.command
                ),
            };
            let o = Command::new(env!("CARGO_BIN_EXE_veto"))
                .args(args)
                .current_dir(&root)
                .env("PATH", &path)
                .env_remove("ANDROID_HOME")
                .env_remove("ANDROID_SDK_ROOT")
                .env_remove("RUST_BACKTRACE")
                .output()
                .unwrap();
            ran += 1;
            let actual: Vec<String> = String::from_utf8_lossy(&o.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&o.stderr).lines())
                .map(str::to_string)
                .collect();
            // A new key each run: map the documented values to this run's.
            if args.first().map(String::as_str) == Some("keygen") {
                for prefix in ["policy_public_key:", "key id:"] {
                    if let (Some(doc_v), Some(run_v)) = (
                        value_after(&step.output, prefix),
                        value_after(&actual, prefix),
                    ) {
                        subs.insert(doc_v.to_string(), run_v.to_string());
                    }
                }
            }
            let mut want: Vec<String> = step.output.iter().map(|l| replace_all(l, &subs)).collect();
            let shortened = want.last().map(String::as_str) == Some("…");
            let got: Vec<String> = if shortened {
                want.pop();
                actual.iter().take(want.len()).cloned().collect()
            } else {
                actual.clone()
            };
            if got != want {
                failures.push(format!(
                    "docs/cli.md:{} (block at line {}): `{}` printed:\n{}\n--- the docs show:\n{}",
                    step.line,
                    block.line,
                    step.command,
                    got.join("\n"),
                    want.join("\n")
                ));
            }
            if let Some(code) = step.exit {
                if o.status.code() != Some(code) {
                    failures.push(format!(
                        "docs/cli.md:{}: `{}` exited {:?}, the docs say {code}",
                        step.line,
                        step.command,
                        o.status.code()
                    ));
                }
            }
        }
    }
    assert!(ran >= 20, "ran only {ran} commands");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_splitter_and_parser_read_the_docs_conventions() {
    assert_eq!(
        split(r#"veto explain "a b" --x 'c d'"#),
        ["veto", "explain", "a b", "--x", "c d"]
    );
    let doc = "<!-- doc-test: adb=pixel-14-work -->\n```console\n$ veto a\nout\n…\n$ echo $?\n1\n```\n\n```console\n$ veto b\n```\n";
    let b = blocks(doc);
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].adb.as_deref(), Some("pixel-14-work"));
    assert_eq!(b[0].steps[0].output, ["out", "…"]);
    assert_eq!(b[0].steps[0].exit, Some(1));
    assert_eq!(b[1].adb, None);
    assert!(b[1].steps[0].output.is_empty());
}

/// Every JSON example in docs/managed-config.md is a configuration `veto policy check`
/// accepts, in whichever console shape it is written.
#[test]
fn every_json_example_in_docs_managed_config_md_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/managed-config.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut lines = doc.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        if line != "```json" {
            continue;
        }
        let body: Vec<&str> = lines
            .by_ref()
            .map(|(_, l)| l)
            .take_while(|l| *l != "```")
            .collect();
        let file = dir.path().join(format!("example-{}.json", i + 1));
        std::fs::write(&file, body.join("\n")).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_veto"))
            .args(["policy", "check", file.to_str().unwrap()])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "docs/managed-config.md:{}: {}",
            i + 1,
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            out.contains(": valid managed"),
            "docs/managed-config.md:{}: not read as a configuration: {out}",
            i + 1
        );
        assert!(
            out.contains("  warnings:    none"),
            "docs/managed-config.md:{}: {out}",
            i + 1
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} JSON examples");
}

/// The state file example in docs/cli.md (marked `<!-- doc-test: state -->`) is one the
/// audit reads, and the ladder counts from its first_seen.
#[test]
fn the_state_file_example_in_docs_cli_md_is_read() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/cli.md")).unwrap();
    let after = doc
        .split("<!-- doc-test: state -->\n```json\n")
        .nth(1)
        .expect("docs/cli.md has the state example");
    let json = &after[..after.find("\n```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(&state, json).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_veto"))
        .args([
            "audit",
            "--inventory",
            "tests/fixtures/sample-inventory.json",
            "--format",
            "json",
            "--now",
            "2026-11-22T16:00:00Z",
            "--capabilities",
            "device-owner",
            "--state",
        ])
        .arg(&state)
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tiktok = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"] == "com.zhiliaoapp.musically")
        .unwrap();
    assert_eq!(tiktok["first_seen"], "2026-10-01T09:00:00Z");
    assert_eq!(tiktok["step"], "uninstall", "52 days on: {tiktok}");
}
