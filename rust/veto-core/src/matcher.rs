//! Matching packages against thousands of rules in microseconds.
//!
//! A policy is compiled once into hash indexes: exact names, signer digests and
//! installers are single lookups. A pattern is filed under the part of its literal
//! prefix that ends at a dot (`com.ss.android.ugc.*` under `com.ss.android.ugc.`), so a
//! package name is looked up once per dot it contains; a pattern without such a prefix
//! but with a dotted literal suffix (`*.lite`) is filed under the last segment it
//! requires. Only the few patterns with neither (`*tiktok*`) are tried on every package.

use crate::catalog::Catalog;
use crate::inventory::Package;
use crate::pattern::Pattern;
use crate::plan::Warning;
use crate::policy::{Matcher, Policy, Rule};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Keys of the index tables are 64-bit hashes of names, computed in one pass over a
/// package name: each dot-terminated prefix, the last segment and the whole name fall out
/// of the same loop. A hit is always verified against the real text, so a collision
/// costs a comparison, never a wrong match.
const SEED: u64 = 0xcbf2_9ce4_8422_2325;

#[inline]
fn step(h: u64, byte: u8) -> u64 {
    (h ^ u64::from(byte)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Spreads the bits so that the table's bucket bits and tag bits both vary.
#[inline]
fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

fn hash_str(s: &str) -> u64 {
    finish(s.bytes().fold(SEED, step))
}

/// The keys are already hashes: pass them through.
#[derive(Default, Clone, Copy)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are used; fold anything else in rather than lose it.
        for b in bytes {
            self.0 = step(self.0, *b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type HashKeyed<V> = HashMap<u64, Vec<V>, BuildHasherDefault<PassThrough>>;

/// An index over a list of matchers, answering "which of them match this package".
#[derive(Debug, Default)]
pub(crate) struct Index {
    exact: HashKeyed<(Box<str>, u32)>,
    /// Patterns by their literal prefix up to its last dot (`com.ss.android.ugc.*`
    /// under `com.ss.android.ugc.`; `*tiktok*` under the empty prefix).
    by_prefix: HashKeyed<(Pattern, u32)>,
    /// Patterns with no dotted prefix but a dotted suffix (`*.lite`), by the last
    /// segment they require.
    by_last_segment: HashKeyed<(Pattern, u32)>,
    signers: HashKeyed<([u8; 32], u32)>,
    installers: HashKeyed<(Box<str>, u32)>,
    len: usize,
}

fn file<V>(table: &mut HashKeyed<V>, key: u64, value: V) {
    table.entry(key).or_default().push(value);
}

impl Index {
    pub(crate) fn new<'a>(matchers: impl IntoIterator<Item = &'a Matcher>) -> Index {
        let mut ix = Index::default();
        for (i, m) in matchers.into_iter().enumerate() {
            let i = i as u32;
            ix.len += 1;
            match m {
                Matcher::Package(p) => file(&mut ix.exact, hash_str(p), (p.as_str().into(), i)),
                Matcher::Installer(p) => {
                    file(&mut ix.installers, hash_str(p), (p.as_str().into(), i))
                }
                Matcher::Signer(d) => {
                    let key = u64::from_le_bytes(d.bytes()[..8].try_into().expect("8 bytes"));
                    file(&mut ix.signers, finish(key), (*d.bytes(), i))
                }
                Matcher::Pattern(p) => {
                    let prefix = p.literal_prefix();
                    let suffix = &p.as_str()[p.as_str().rfind('*').map_or(0, |s| s + 1)..];
                    match (prefix.rfind('.'), suffix.rfind('.')) {
                        (None, Some(dot)) if dot + 1 < suffix.len() => file(
                            &mut ix.by_last_segment,
                            hash_str(&suffix[dot + 1..]),
                            (p.clone(), i),
                        ),
                        (dot, _) => file(
                            &mut ix.by_prefix,
                            hash_str(&prefix[..dot.map_or(0, |d| d + 1)]),
                            (p.clone(), i),
                        ),
                    }
                }
            }
        }
        ix
    }

    /// Indices of every matcher that matches `pkg`, ascending, without duplicates.
    pub(crate) fn matches(&self, pkg: &Package) -> Vec<u32> {
        let mut out = Vec::new();
        if self.len == 0 {
            return out;
        }
        let name = pkg.package.as_str();
        let try_patterns = |table: &HashKeyed<(Pattern, u32)>, key: u64, out: &mut Vec<u32>| {
            if let Some(v) = table.get(&key) {
                out.extend(v.iter().filter(|(p, _)| p.matches(name)).map(|(_, i)| *i));
            }
        };
        let prefixes = !self.by_prefix.is_empty();
        if prefixes {
            try_patterns(&self.by_prefix, finish(SEED), &mut out);
        }
        let (mut whole, mut segment) = (SEED, SEED);
        for b in name.bytes() {
            whole = step(whole, b);
            if b == b'.' {
                segment = SEED;
                if prefixes {
                    try_patterns(&self.by_prefix, finish(whole), &mut out);
                }
            } else {
                segment = step(segment, b);
            }
        }
        if let Some(v) = self.exact.get(&finish(whole)) {
            out.extend(v.iter().filter(|(n, _)| **n == *name).map(|(_, i)| *i));
        }
        if !self.by_last_segment.is_empty() {
            try_patterns(&self.by_last_segment, finish(segment), &mut out);
        }
        if !self.signers.is_empty() {
            for d in &pkg.signing_sha256 {
                let key = u64::from_le_bytes(d.bytes()[..8].try_into().expect("8 bytes"));
                if let Some(v) = self.signers.get(&finish(key)) {
                    out.extend(
                        v.iter()
                            .filter(|(full, _)| full == d.bytes())
                            .map(|(_, i)| *i),
                    );
                }
            }
        }
        if let (Some(inst), false) = (&pkg.installer, self.installers.is_empty()) {
            if let Some(v) = self.installers.get(&hash_str(inst)) {
                out.extend(v.iter().filter(|(n, _)| **n == **inst).map(|(_, i)| *i));
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
        self.len != 0 && !self.matches(pkg).is_empty()
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
            specs in proptest::collection::vec(("[ab]{1,2}(\\.[ab]{1,2}){0,3}", 0u8..5), 0..30),
            names in proptest::collection::vec("[ab]{1,2}(\\.[ab]{1,2}){0,3}", 1..20),
        ) {
            let rules: Vec<Rule> = specs.iter().enumerate().map(|(i, (s, kind))| {
                let m = match kind {
                    0 => Matcher::Package(s.clone()),
                    1 => Matcher::package_or_pattern(&format!("{s}.*")).unwrap(),
                    2 => Matcher::package_or_pattern(&format!("{s}*")).unwrap(),
                    3 => Matcher::package_or_pattern(&format!("*.{s}")).unwrap(),
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
