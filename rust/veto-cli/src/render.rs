//! Text for people: the audit table, the policy explanation, the explain report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use veto_core::catalog::Catalog;
use veto_core::plan::Finding;
use veto_core::policy::{Matcher, Step};
use veto_core::protect::{builtin_reason, BUILTIN_PROTECTED};
use veto_core::{Capabilities, CompiledPolicy, Mode, Package, Plan, Policy, Warning};

/// What the audit table's header describes.
pub struct AuditContext<'a> {
    pub policy: &'a Policy,
    pub rules_in_force: usize,
    pub policy_origin: &'a str,
    pub caps: &'a Capabilities,
    pub caps_arg: &'a str,
    pub inventory_origin: &'a str,
    pub packages: usize,
    /// For an inventory read over adb: how the scanned user was chosen, in words.
    pub scanned: Option<(u32, crate::adb::ChosenBy, &'a str)>,
}

pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Denylist => "denylist",
        Mode::Allowlist => "allowlist",
    }
}

fn days(n: u32) -> String {
    match n {
        0 => "at once".into(),
        1 => "after 1 day".into(),
        n => format!("after {n} days"),
    }
}

/// The ladder in words: "warn at once, suspend after 14 days, uninstall after 42 days".
pub fn ladder_in_words(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| format!("{} {}", s.action.name(), days(s.after_days)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ladder as this device can carry it out, and why any step is weakened.
fn ladder_here(steps: &[Step], caps: &Capabilities) -> (String, Vec<String>) {
    let mut words = Vec::new();
    let mut notes = Vec::new();
    for s in steps {
        let (chosen, why) = caps.degrade(s.action);
        match why {
            Some(why) => {
                words.push(format!(
                    "{} {} (policy asks {})",
                    chosen.name(),
                    days(s.after_days),
                    s.action.name()
                ));
                notes.push(format!(
                    "{} becomes {}: {why}",
                    s.action.name(),
                    chosen.name()
                ));
            }
            None => words.push(format!("{} {}", s.action.name(), days(s.after_days))),
        }
    }
    (words.join(", "), notes)
}

/// Terminal columns a character takes: 2 for East Asian wide and full-width characters
/// (CJK, Hangul, full-width forms, most emoji), 0 for combining marks and zero-width
/// characters, else 1. A table of Unicode's East Asian Width "W"/"F" blocks, enough to keep
/// the audit table's columns straight for Chinese, Japanese and Korean app labels.
fn char_width(c: char) -> usize {
    let u = c as u32;
    let zero = matches!(u, 0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F | 0x20D0..=0x20FF);
    let wide = matches!(u,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xA960..=0xA97F | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F | 0x1F900..=0x1F9FF | 0x20000..=0x2FFFD | 0x30000..=0x3FFFD);
    if zero {
        0
    } else if wide {
        2
    } else {
        1
    }
}

/// Columns a cell takes in a terminal.
pub fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| display_width(&r[c])).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c + 1 == cols {
                line.push_str(cell);
            } else {
                let pad = widths[c] - display_width(cell);
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn finding_row(f: &Finding) -> Vec<String> {
    let step = match &f.degraded {
        Some(d) => format!("{} (wanted {})", f.step.name(), d.wanted.name()),
        None => f.step.name().to_string(),
    };
    let status = serde_json::to_value(f.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let in_effect = if f.in_effect.is_empty() {
        "-".to_string()
    } else {
        f.in_effect
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(",")
    };
    let next = match &f.next {
        Some(n) => format!("{} on {}", n.action.name(), n.due.to_date()),
        None => "-".into(),
    };
    vec![
        f.package.clone(),
        f.label.clone().unwrap_or_else(|| "-".into()),
        f.rules.join(", "),
        step,
        f.action.map_or("-", |a| a.name()).to_string(),
        status,
        in_effect,
        f.deadline.to_date(),
        next,
    ]
}

fn warning_line(w: &Warning) -> String {
    format!("  [{}] {}\n", w.code, w.message)
}

/// The audit for people.
pub fn audit_table(ctx: &AuditContext, plan: &Plan) -> String {
    let mut out = String::new();
    let p = ctx.policy;
    let _ = writeln!(
        out,
        "Veto audit of {} ({} packages) as of {}",
        ctx.inventory_origin, ctx.packages, plan.generated_at
    );
    let _ = writeln!(
        out,
        "Policy: {}, version {}, {}, {} rules in force{}",
        ctx.policy_origin,
        p.version,
        mode_name(p.mode),
        ctx.rules_in_force,
        p.expires
            .map(|e| format!(", expires {e}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "Device: --capabilities {}: Veto is {}",
        ctx.caps_arg,
        ctx.caps.describe()
    );
    let (words, notes) = ladder_here(&p.enforcement, ctx.caps);
    let _ = writeln!(out, "Ladder on this device: {words}");
    for n in notes {
        let _ = writeln!(out, "  {n}");
    }
    if let Some((user, chosen_by, why)) = ctx.scanned {
        match chosen_by {
            crate::adb::ChosenBy::ManagedProfileFlag => {
                let _ = writeln!(out, "Note: user {user} chosen {why}");
            }
            _ => {
                let _ = writeln!(out, "Work profile: user {user}, {why}");
            }
        }
        let _ = writeln!(
            out,
            "Note: adb does not print signing-certificate SHA-256 digests, so signer rules cannot match this inventory; labels are not shown either."
        );
    }
    out.push('\n');
    if plan.findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        let mut rows = vec![[
            "PACKAGE",
            "LABEL",
            "RULES",
            "STEP",
            "ACTION",
            "STATUS",
            "IN EFFECT",
            "DEADLINE",
            "NEXT",
        ]
        .map(String::from)
        .to_vec()];
        rows.extend(plan.findings.iter().map(finding_row));
        out.push_str(&table(&rows));
    }
    if !plan.reversals.is_empty() {
        out.push_str("\nReversals:\n");
        for r in &plan.reversals {
            let _ = writeln!(out, "  {}: {} ({})", r.package, r.action.name(), r.why);
        }
    }
    if !plan.warnings.is_empty() {
        out.push_str("\nWarnings:\n");
        for w in &plan.warnings {
            out.push_str(&warning_line(w));
        }
    }
    out.push('\n');
    let actions = plan.actions.len();
    let planned = format!(
        "{actions} action{} planned",
        if actions == 1 { "" } else { "s" }
    );
    if plan.compliant {
        let _ = writeln!(out, "Summary: compliant, {planned}");
    } else {
        let n = plan.findings.len();
        let _ = writeln!(
            out,
            "Summary: {n} finding{}, {planned}",
            if n == 1 { "" } else { "s" }
        );
    }
    out
}

fn sections_in_force(p: &Policy) -> Vec<String> {
    Catalog::builtin()
        .sections
        .iter()
        .filter(|s| (s.default && p.use_builtin_catalog) || p.include_catalogs.contains(&s.id))
        .map(|s| {
            let confirmed = s
                .entries
                .iter()
                .filter(|e| e.confidence == "confirmed")
                .count();
            let unconfirmed = s.entries.len() - confirmed;
            if unconfirmed == 0 {
                format!("{} ({} entries)", s.id, s.entries.len())
            } else {
                format!(
                    "{} ({confirmed} entries, plus {unconfirmed} unconfirmed listed for review only)",
                    s.id
                )
            }
        })
        .collect()
}

fn count_by_kind<'a>(matchers: impl Iterator<Item = &'a Matcher>) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for m in matchers {
        *counts.entry(m.kind()).or_default() += 1;
    }
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `veto policy check`: what the policy says, in words.
pub fn policy_report(
    file: &str,
    kind: &str,
    compiled: &CompiledPolicy,
    settings: &[(String, String)],
    warnings: &[Warning],
) -> String {
    let p = compiled.policy();
    let mut out = String::new();
    let _ = writeln!(out, "{file}: valid {kind}");
    let _ = writeln!(out, "  version:     {}", p.version);
    let _ = writeln!(
        out,
        "  mode:        {}{}",
        mode_name(p.mode),
        match p.mode {
            Mode::Denylist => " (apps the rules match are findings)",
            Mode::Allowlist => " (every non-system app not on the allow list is a finding)",
        }
    );
    let _ = writeln!(
        out,
        "  rules:       {} in force: {} ({} own, {} from the catalog)",
        compiled.rules().len(),
        count_by_kind(compiled.rules().iter().map(|r| &r.matcher)),
        p.rules.len(),
        compiled.rules().len() - p.rules.len()
    );
    let sections = sections_in_force(p);
    let _ = writeln!(
        out,
        "  catalog:     {}",
        if sections.is_empty() {
            "none (use_builtin_catalog is off)".to_string()
        } else {
            sections.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "  allow:       {} entr{} ({})",
        p.allow.len(),
        if p.allow.len() == 1 { "y" } else { "ies" },
        count_by_kind(p.allow.iter().map(|a| &a.matcher))
    );
    let _ = writeln!(
        out,
        "  protected:   {} from the policy, plus {} built in",
        p.protected.len(),
        BUILTIN_PROTECTED.len()
    );
    let _ = writeln!(
        out,
        "  system apps: {}",
        if p.act_on_system_packages {
            "acted on when a rule matches"
        } else {
            "never acted on"
        }
    );
    let _ = writeln!(out, "  ladder:      {}", ladder_in_words(&p.enforcement));
    let _ = writeln!(
        out,
        "  expires:     {}",
        p.expires.map_or("never".to_string(), |e| e.to_string())
    );
    for (name, value) in settings {
        let _ = writeln!(out, "  {:<12} {value}", format!("{name}:"));
    }
    if warnings.is_empty() {
        out.push_str("  warnings:    none\n");
    } else {
        let _ = writeln!(out, "  warnings:    {}", warnings.len());
        for w in warnings {
            out.push_str("  ");
            out.push_str(&warning_line(w));
        }
    }
    out
}

/// Why Veto never acts on `pkg`, if it never does.
pub fn protection(pkg: &Package, compiled: &CompiledPolicy) -> Option<String> {
    if let Some(why) = builtin_reason(&pkg.package) {
        Some(format!("built in: {why}"))
    } else if compiled.policy_protects(pkg) {
        Some("listed in the policy's protected packages".into())
    } else if pkg.system && !compiled.policy().act_on_system_packages {
        Some("a system package, and act_on_system_packages is off".into())
    } else {
        None
    }
}

/// `explain`'s verdict: barred, matched_but_protected, allowed or not_barred.
pub fn verdict(pkg: &Package, compiled: &CompiledPolicy, plan: &Plan) -> &'static str {
    if plan.finding(&pkg.package).is_some() {
        "barred"
    } else if protection(pkg, compiled).is_some() && !compiled.matching_rules(pkg).is_empty() {
        "matched_but_protected"
    } else if compiled.allowed_by(pkg).is_some() {
        "allowed"
    } else {
        "not_barred"
    }
}

/// `veto explain`: which rules match a package and why, and what would happen.
pub fn explain(
    pkg: &Package,
    compiled: &CompiledPolicy,
    origin: &str,
    caps: &Capabilities,
    plan: &Plan,
) -> String {
    let p = compiled.policy();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} under the {origin} (version {}, {})",
        pkg.package,
        p.version,
        mode_name(p.mode)
    );
    if !pkg.signing_sha256.is_empty() {
        let signers: Vec<String> = pkg
            .signing_sha256
            .iter()
            .map(|d| d.to_colon_hex())
            .collect();
        let _ = writeln!(out, "  signed by:  {}", signers.join(", "));
    }
    if let Some(i) = &pkg.installer {
        let _ = writeln!(out, "  installer:  {i}");
    }

    let rules = compiled.matching_rules(pkg);
    if rules.is_empty() {
        out.push_str("\nNo rule matches it.\n");
    } else {
        out.push_str("\nMatching rules:\n");
        for r in &rules {
            let _ = writeln!(
                out,
                "  {}  [{} {}]",
                r.id,
                r.matcher.kind(),
                r.matcher.value()
            );
            let _ = writeln!(out, "    reason: {}", r.reason);
            if let Some(s) = &r.source {
                let _ = writeln!(out, "    source: {s}");
            }
        }
    }
    if p.mode == Mode::Allowlist && compiled.allowed_by(pkg).is_none() {
        out.push_str("  allowlist  [not on the allow list]\n    reason: Not on the organisation's list of approved apps\n");
    }

    let allowed = compiled.allowed_by(pkg);
    let _ = writeln!(
        out,
        "\nAllow list: {}",
        match allowed {
            Some(a) => format!(
                "exempted by {} {}{}",
                a.matcher.kind(),
                a.matcher.value(),
                a.reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            None => "no entry exempts it".into(),
        }
    );
    let protected = protection(pkg, compiled);
    let _ = writeln!(out, "Protected:  {}", protected.as_deref().unwrap_or("no"));

    let _ = writeln!(out, "Device:     Veto is {}", caps.describe());
    match (verdict(pkg, compiled, plan), plan.finding(&pkg.package)) {
        ("barred", Some(f)) => {
            let (words, notes) = ladder_here(&p.enforcement, caps);
            let _ = writeln!(
                out,
                "\nVerdict: barred. Counting from the day Veto first sees it: {words}."
            );
            for n in notes {
                let _ = writeln!(out, "  {n}");
            }
            let _ = writeln!(
                out,
                "First action: {}",
                f.action.map_or("none (report only)", |a| a.name())
            );
        }
        ("matched_but_protected", _) => {
            out.push_str("\nVerdict: matched but protected; Veto never acts on it.\n");
        }
        ("allowed", _) => out.push_str("\nVerdict: allowed; Veto leaves it alone.\n"),
        _ => out.push_str("\nVerdict: not barred; Veto leaves it alone.\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_labels_keep_the_columns_straight() {
        assert_eq!(display_width("TikTok"), 6);
        assert_eq!(display_width("抖音"), 4);
        assert_eq!(display_width("ティックトック"), 14);
        assert_eq!(display_width("틱톡"), 4);
        assert_eq!(display_width("Ｔｉｋ"), 6);
        assert_eq!(display_width("e\u{301}"), 1);
        let rows = vec![
            vec!["PACKAGE".to_string(), "LABEL".into(), "X".into()],
            vec!["com.ss.android.ugc.aweme".into(), "抖音".into(), "a".into()],
            vec![
                "com.zhiliaoapp.musically".into(),
                "TikTok".into(),
                "b".into(),
            ],
        ];
        let out = table(&rows);
        // The third column starts at the same terminal column on every line.
        let starts: Vec<usize> = out
            .lines()
            .map(|l| {
                let at = l.rfind(' ').unwrap() + 1;
                display_width(&l[..at])
            })
            .collect();
        assert_eq!(starts, [34, 34, 34], "{out}");
    }
}
