//! Matching packages against thousands of rules in microseconds.
//!
//! A policy is compiled once into hash indexes: exact names, signer digests and
//! installers are single lookups; patterns are filed under the part of their literal
//! prefix that ends at a dot, so a package name is looked up once per dot it contains
//! and only the patterns filed there are tried.

use crate::catalog::Catalog;
use crate::inventory::Package;
use crate::pattern::Pattern;
use crate::plan::Warning;
use crate::policy::{Matcher, Policy, Rule};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A multiply-rotate hasher (the one rustc uses): much faster than SipHash on short
/// package names, and the keys come from the administrator's own policy.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        for b in chunks.remainder() {
            self.add(u64::from(*b));
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// An index over a list of matchers, answering "which of them match this package".
#[derive(Debug, Default)]
pub(crate) struct Index {
    exact: FxMap<Box<str>, Vec<u32>>,
    patterns: FxMap<Box<str>, Vec<(Pattern, u32)>>,
    signers: FxMap<[u8; 32], Vec<u32>>,
    installers: FxMap<Box<str>, Vec<u32>>,
}

impl Index {
    pub(crate) fn new<'a>(matchers: impl IntoIterator<Item = &'a Matcher>) -> Index {
        let mut ix = Index::default();
        for (i, m) in matchers.into_iter().enumerate() {
            let i = i as u32;
            match m {
                Matcher::Package(p) => ix.exact.entry(p.as_str().into()).or_default().push(i),
                Matcher::Installer(p) => {
                    ix.installers.entry(p.as_str().into()).or_default().push(i)
                }
                Matcher::Signer(d) => ix.signers.entry(*d.bytes()).or_default().push(i),
                Matcher::Pattern(p) => {
                    let lit = p.literal_prefix();
                    let key = &lit[..lit.rfind('.').map_or(0, |d| d + 1)];
                    ix.patterns
                        .entry(key.into())
                        .or_default()
                        .push((p.clone(), i));
                }
            }
        }
        ix
    }

    /// Indices of every matcher that matches `pkg`, ascending, without duplicates.
    pub(crate) fn matches(&self, pkg: &Package) -> Vec<u32> {
        let mut out = Vec::new();
        let name = pkg.package.as_str();
        if let Some(v) = self.exact.get(name) {
            out.extend_from_slice(v);
        }
        if !self.patterns.is_empty() {
            let mut try_key = |key: &str| {
                if let Some(v) = self.patterns.get(key) {
                    out.extend(v.iter().filter(|(p, _)| p.matches(name)).map(|(_, i)| *i));
                }
            };
            try_key("");
            for (i, _) in name.match_indices('.') {
                try_key(&name[..=i]);
            }
        }
        if !self.signers.is_empty() {
            for d in &pkg.signing_sha256 {
                if let Some(v) = self.signers.get(d.bytes()) {
                    out.extend_from_slice(v);
                }
            }
        }
        if let (Some(inst), false) = (&pkg.installer, self.installers.is_empty()) {
            if let Some(v) = self.installers.get(inst.as_str()) {
                out.extend_from_slice(v);
            }
        }
        if out.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
        out
    }

    /// Whether any matcher matches `pkg`.
    pub(crate) fn any(&self, pkg: &Package) -> bool {
        !self.matches(pkg).is_empty()
    }
}

/// A policy made ready for fast evaluation: its own rules plus the catalog's, indexed.
#[derive(Debug)]
pub struct CompiledPolicy {
    policy: Policy,
    rules: Vec<Rule>,
    deny: Index,
    allow: Index,
    protected: Index,
    lint: Vec<Warning>,
}

impl CompiledPolicy {
    /// Compiles `policy`, pulling in the built-in catalog sections it asks for.
    pub fn new(policy: Policy) -> Self {
        let mut rules = policy.rules.clone();
        rules.extend(Catalog::builtin().rules_for(&policy));
        let deny = Index::new(rules.iter().map(|r| &r.matcher));
        let allow = Index::new(policy.allow.iter().map(|a| &a.matcher));
        let protected = Index::new(policy.protected.iter());
        let lint = policy.lint();
        CompiledPolicy {
            policy,
            rules,
            deny,
            allow,
            protected,
            lint,
        }
    }

    /// The policy it was compiled from.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Every rule in force: the policy's, then the catalog's.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules that match `pkg` (before exceptions and protection).
    pub fn matching_rules(&self, pkg: &Package) -> Vec<&Rule> {
        self.deny
            .matches(pkg)
            .into_iter()
            .map(|i| &self.rules[i as usize])
            .collect()
    }

    /// The allow entry that matches `pkg`, if any.
    pub fn allowed_by(&self, pkg: &Package) -> Option<&crate::policy::AllowEntry> {
        self.allow
            .matches(pkg)
            .first()
            .map(|i| &self.policy.allow[*i as usize])
    }

    /// Whether the policy's own `protected` list covers `pkg`.
    pub fn policy_protects(&self, pkg: &Package) -> bool {
        self.protected.any(pkg)
    }

    /// The policy's lint warnings, computed once.
    pub fn lint(&self) -> &[Warning] {
        &self.lint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::CertDigest;
    use proptest::prelude::*;

    fn rule(id: &str, m: Matcher) -> Rule {
        Rule {
            id: id.into(),
            matcher: m,
            reason: "r".into(),
            source: None,
        }
    }

    fn pkg(name: &str) -> Package {
        Package::named(name)
    }

    #[test]
    fn each_matcher_kind() {
        let d = CertDigest::parse(&"ab".repeat(32)).unwrap();
        let policy = Policy {
            use_builtin_catalog: false,
            rules: vec![
                rule("exact", Matcher::Package("com.a.b".into())),
                rule("prefix", Matcher::package_or_pattern("com.a.*").unwrap()),
                rule("mid", Matcher::package_or_pattern("com.a*").unwrap()),
                rule("inner", Matcher::package_or_pattern("*.lite").unwrap()),
                rule("signer", Matcher::Signer(d)),
                rule("installer", Matcher::Installer("com.shady.store".into())),
            ],
            ..Policy::default()
        };
        let cp = CompiledPolicy::new(policy);
        let ids = |p: &Package| {
            cp.matching_rules(p)
                .iter()
                .map(|r| r.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&pkg("com.a.b")), ["exact", "prefix", "mid"]);
        assert_eq!(ids(&pkg("com.ab")), ["mid"]);
        assert_eq!(ids(&pkg("com.a")), ["mid"]);
        assert_eq!(ids(&pkg("org.x.lite")), ["inner"]);
        let mut signed = pkg("org.renamed");
        signed.signing_sha256 = vec![d];
        signed.installer = Some("com.shady.store".into());
        assert_eq!(ids(&signed), ["signer", "installer"]);
        assert!(ids(&pkg("org.other")).is_empty());
    }

    fn reference(rules: &[Rule], p: &Package) -> Vec<String> {
        let mut v: Vec<String> = rules
            .iter()
            .filter(|r| match &r.matcher {
                Matcher::Signer(d) => p.signing_sha256.contains(d),
                Matcher::Installer(i) => p.installer.as_deref() == Some(i.as_str()),
                m => m.matches_name(&p.package),
            })
            .map(|r| r.id.clone())
            .collect();
        v.sort();
        v
    }

    proptest! {
        // The index finds exactly what a loop over every rule finds.
        #[test]
        fn index_agrees_with_a_plain_loop(
            specs in proptest::collection::vec(("[ab]{1,2}(\\.[ab]{1,2}){0,3}", 0u8..4), 0..30),
            names in proptest::collection::vec("[ab]{1,2}(\\.[ab]{1,2}){0,3}", 1..20),
        ) {
            let rules: Vec<Rule> = specs.iter().enumerate().map(|(i, (s, kind))| {
                let m = match kind {
                    0 => Matcher::Package(s.clone()),
                    1 => Matcher::package_or_pattern(&format!("{s}.*")).unwrap(),
                    2 => Matcher::package_or_pattern(&format!("{s}*")).unwrap(),
                    _ => Matcher::package_or_pattern(&format!("*{s}")).unwrap(),
                };
                rule(&format!("r{i}"), m)
            }).collect();
            let cp = CompiledPolicy::new(Policy { use_builtin_catalog: false, rules: rules.clone(), ..Policy::default() });
            for n in &names {
                let p = pkg(n);
                let mut got: Vec<String> = cp.matching_rules(&p).iter().map(|r| r.id.clone()).collect();
                got.sort();
                prop_assert_eq!(got, reference(&rules, &p));
            }
        }
    }
}
