//! `veto catalog list`: what the built-in catalog bars, section by section, with the
//! source of every entry (a catalog entry always cites where its name or digest is published).

use crate::Outcome;
use std::fmt::Write as _;
use veto_core::catalog::Catalog;

/// The built-in catalog for people, or as JSON.
pub(crate) fn list(format: crate::input::Format) -> Outcome {
    let c = Catalog::builtin();
    match format {
        crate::input::Format::Json => {
            let sections: Vec<serde_json::Value> = c
                .sections
                .iter()
                .map(|s| {
                    let entries: Vec<serde_json::Value> = s
                        .entries
                        .iter()
                        .map(|e| {
                            serde_json::json!({
                                "id": e.id, "package": e.package,
                                "signer": e.signer.as_ref().map(|d| d.to_colon_hex()),
                                "name": e.name, "publisher": e.publisher,
                                "confidence": e.confidence, "source": e.source,
                                "ban_source": e.ban_source,
                            })
                        })
                        .collect();
                    serde_json::json!({
                        "id": s.id, "title": s.title, "default": s.default,
                        "reason": s.reason, "basis": s.basis, "entries": entries,
                    })
                })
                .collect();
            let out = serde_json::json!({"version": c.version, "updated": c.updated, "sections": sections});
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        crate::input::Format::Table => print!("{}", table(c)),
    }
    Ok(0)
}

fn table(c: &Catalog) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Built-in catalog version {} (updated {}): {} entries in {} sections",
        c.version,
        c.updated,
        c.entry_count(),
        c.sections.len()
    );
    for s in &c.sections {
        let _ = writeln!(
            out,
            "\n{} ({}; {}): {}",
            s.id,
            s.title,
            if s.default {
                "on with use_builtin_catalog"
            } else {
                "opt in with include_catalogs"
            },
            s.entries.len()
        );
        let _ = writeln!(out, "  reason: {}", s.reason);
        let _ = writeln!(out, "  basis:  {}", s.basis);
        for e in &s.entries {
            let what = match (&e.package, &e.signer) {
                (Some(p), _) => p.clone(),
                (None, Some(d)) => format!("signer {}", d.to_colon_hex()),
                (None, None) => "-".into(),
            };
            let unconfirmed = if e.confidence == "confirmed" {
                ""
            } else {
                " [unconfirmed: listed for review only]"
            };
            let _ = writeln!(
                out,
                "  {}  {what}  {} ({}){unconfirmed}",
                e.id, e.name, e.publisher
            );
            let _ = writeln!(out, "    source: {}", e.source);
        }
    }
    out
}
