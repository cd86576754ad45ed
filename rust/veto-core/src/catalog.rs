//! The built-in catalog: barred apps, each with the public source it rests on.
//!
//! It is compiled into Veto from `catalog/builtin.json` and versioned. A false positive
//! removes a civil servant's working tool, so every entry names exactly one package or
//! signing certificate (no patterns) and cites its source; `docs/catalog.md` lists them.

use crate::digest::CertDigest;
use crate::policy::{Matcher, Policy, Rule};
use serde::Deserialize;
use std::sync::OnceLock;

const BUILTIN_JSON: &str = include_str!("../catalog/builtin.json");

/// A versioned catalog of barred apps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Bumped whenever an entry changes.
    pub version: u32,
    /// Date of the last change.
    pub updated: String,
    /// Groups of entries that a policy switches on as a whole.
    pub sections: Vec<Section>,
}

/// A group of entries with one reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Id used in `include_catalogs`.
    pub id: String,
    /// Title for people.
    pub title: String,
    /// Whether `use_builtin_catalog` switches it on (otherwise opt-in by id).
    pub default: bool,
    /// Reason shown to the employee.
    pub reason: String,
    /// The public decisions the section rests on.
    pub basis: String,
    /// The entries.
    pub entries: Vec<Entry>,
}

/// One barred package or signing certificate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Unique id within the catalog.
    pub id: String,
    /// Exact package name.
    #[serde(default)]
    pub package: Option<String>,
    /// SHA-256 of the signing certificate.
    #[serde(default)]
    pub signer: Option<CertDigest>,
    /// The app's name.
    pub name: String,
    /// Its publisher.
    pub publisher: String,
    /// Where the package name or digest is published.
    pub source: String,
    /// Where the ban is published, for entries that are not in the section's basis.
    #[serde(default)]
    pub ban_source: Option<String>,
    /// `confirmed` or `unconfirmed`.
    pub confidence: String,
}

impl Catalog {
    /// The catalog compiled into this build.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            // Checked by the `builtin_catalog_is_valid` test; cannot fail at run time.
            serde_json::from_str(BUILTIN_JSON).expect("built-in catalog is valid JSON")
        })
    }

    /// The section with this id.
    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    /// Every section id.
    pub fn section_ids(&self) -> Vec<&str> {
        self.sections.iter().map(|s| s.id.as_str()).collect()
    }

    /// Number of entries in all sections.
    pub fn entry_count(&self) -> usize {
        self.sections.iter().map(|s| s.entries.len()).sum()
    }

    /// The rules a policy takes from this catalog: the default sections when
    /// `use_builtin_catalog` is on, plus every section it includes by id.
    pub fn rules_for(&self, policy: &Policy) -> Vec<Rule> {
        self.sections
            .iter()
            .filter(|s| {
                (s.default && policy.use_builtin_catalog) || policy.include_catalogs.contains(&s.id)
            })
            // An unconfirmed entry is listed for review only: it never acts on a phone.
            .flat_map(|s| {
                s.entries
                    .iter()
                    .filter(|e| e.confidence == "confirmed")
                    .filter_map(move |e| e.rule(s))
            })
            .collect()
    }
}

impl Entry {
    fn rule(&self, section: &Section) -> Option<Rule> {
        let matcher = match (&self.package, &self.signer) {
            (Some(p), None) => Matcher::Package(p.clone()),
            (None, Some(d)) => Matcher::Signer(*d),
            _ => return None,
        };
        Some(Rule {
            id: format!("{}/{}", section.id, self.id),
            matcher,
            reason: section.reason.clone(),
            source: Some(match &self.ban_source {
                Some(ban) => format!("{} (ban: {ban})", self.source),
                None => self.source.clone(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::check_package_name;
    use std::collections::HashSet;

    #[test]
    fn builtin_catalog_is_valid() {
        let c: Catalog = serde_json::from_str(BUILTIN_JSON).unwrap();
        assert!(c.version >= 1);
        let mut ids = HashSet::new();
        for s in &c.sections {
            assert!(
                !s.reason.trim().is_empty(),
                "section {} has no reason",
                s.id
            );
            for e in &s.entries {
                assert!(ids.insert(&e.id), "entry id {} twice", e.id);
                assert!(
                    e.package.is_some() != e.signer.is_some(),
                    "entry {} needs exactly one of package, signer",
                    e.id
                );
                if let Some(p) = &e.package {
                    check_package_name(p).unwrap();
                    assert!(!p.contains('*'), "entry {} is a pattern", e.id);
                }
                assert!(e.source.len() > 10, "entry {} cites no source", e.id);
                assert!(
                    matches!(e.confidence.as_str(), "confirmed" | "unconfirmed"),
                    "entry {}: confidence {:?}",
                    e.id,
                    e.confidence
                );
            }
        }
    }

    #[test]
    fn default_sections_cover_the_tiktok_family() {
        let c = Catalog::builtin();
        let rules = c.rules_for(&Policy::default());
        let names: HashSet<String> = rules
            .iter()
            .filter_map(|r| match &r.matcher {
                Matcher::Package(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        // Every package listed in shared/CONTEXT.md.
        for p in [
            "com.zhiliaoapp.musically",
            "com.ss.android.ugc.trill",
            "com.zhiliaoapp.musically.go",
            "com.ss.android.ugc.tiktok.lite",
            "com.ss.android.ugc.now",
            "com.ss.android.tt.creator",
            "com.tiktokshop.seller",
            "com.ss.android.ugc.aweme",
            "com.ss.android.ugc.aweme.lite",
            "com.lemon.lvoverseas",
            "com.bd.nproject",
            "com.moonvideo.android.resso",
        ] {
            assert!(names.contains(p), "{p} missing from the default catalog");
        }
        let tiktok_key = CertDigest::parse(
            "90:41:80:3E:91:BC:B8:14:B4:B4:39:9F:B5:C8:5A:91:64:0B:75:5E:5E:8B:A7:68:13:81:4B:F4:CF:2A:B5:BA",
        )
        .unwrap();
        assert!(rules
            .iter()
            .any(|r| r.matcher == Matcher::Signer(tiktok_key)));
        assert!(rules.iter().all(|r| r.id.starts_with("bytedance/")));
    }

    #[test]
    fn opt_in_section_only_when_included() {
        let c = Catalog::builtin();
        let off = c.rules_for(&Policy::default());
        let on = c.rules_for(&Policy {
            include_catalogs: vec!["state-actor-countries".into()],
            ..Policy::default()
        });
        assert!(on.len() > off.len());
        let none = c.rules_for(&Policy {
            use_builtin_catalog: false,
            ..Policy::default()
        });
        assert!(none.is_empty());
        let unconfirmed: Vec<&Entry> = c
            .sections
            .iter()
            .flat_map(|s| &s.entries)
            .filter(|e| e.confidence != "confirmed")
            .collect();
        for e in unconfirmed {
            assert!(
                !on.iter().any(|r| r.id.ends_with(&format!("/{}", e.id))),
                "unconfirmed entry {} must not become a rule",
                e.id
            );
        }
    }
}
