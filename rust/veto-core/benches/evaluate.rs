//! One evaluation of a 1,000-package inventory against a 10,000-rule policy (exact
//! names, patterns and signers mixed), against a straightforward reference that loops
//! over every rule for every package, measured in the same run.
//!
//! Run: `cargo bench -p veto-core --bench evaluate`. After criterion's report the bench
//! prints the ratio reference / indexed from criterion's own estimates.

// Benchmark set-up: an unwrap that fails stops the benchmark where the set-up is wrong.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, BenchmarkId, Criterion};
use std::hint::black_box;
use veto_core::policy::{Matcher, Rule};
use veto_core::{
    evaluate, Capabilities, CertDigest, CompiledPolicy, Inventory, Package, Policy, State,
    Timestamp,
};

/// A small deterministic generator, so every run measures the same data.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn word(&mut self) -> String {
        let len = 3 + self.next() % 6;
        (0..len)
            .map(|_| (b'a' + (self.next() % 26) as u8) as char)
            .collect()
    }
    fn name(&mut self) -> String {
        let segs = 3 + self.next() % 3;
        (0..segs).map(|_| self.word()).collect::<Vec<_>>().join(".")
    }
    fn digest(&mut self) -> CertDigest {
        let hex: String = (0..4)
            .map(|_| format!("{:016x}", self.next() ^ (self.next() << 31)))
            .collect();
        CertDigest::parse(&hex).unwrap()
    }
}

fn workload() -> (Policy, Inventory) {
    let mut g = Lcg(42);
    let mut rules = Vec::with_capacity(10_000);
    let mut barred_names = Vec::new();
    let mut barred_signers = Vec::new();
    for i in 0..10_000 {
        let matcher = match i % 10 {
            0..=4 => {
                let n = g.name();
                barred_names.push(n.clone());
                Matcher::Package(n)
            }
            5..=6 => {
                Matcher::package_or_pattern(&format!("com.{}.{}.*", g.word(), g.word())).unwrap()
            }
            7 => Matcher::package_or_pattern(&format!("*.{}{}", g.word(), g.word())).unwrap(),
            _ => {
                let d = g.digest();
                barred_signers.push(d);
                Matcher::Signer(d)
            }
        };
        rules.push(Rule {
            id: format!("r{i}"),
            matcher,
            reason: "barred".into(),
            source: None,
        });
    }
    let packages = (0..1_000)
        .map(|i| {
            let mut p = Package::named(&match i % 50 {
                0 => barred_names[i % barred_names.len()].clone(),
                _ => format!("com.{}", g.name()),
            });
            p.signing_sha256 = vec![if i % 50 == 1 {
                barred_signers[i % barred_signers.len()]
            } else {
                g.digest()
            }];
            p.installer = Some("com.android.vending".into());
            p
        })
        .collect();
    let policy = Policy {
        rules,
        use_builtin_catalog: true,
        ..Policy::builtin()
    };
    (
        policy,
        Inventory {
            profile: "work".into(),
            captured_at: None,
            packages,
        },
    )
}

/// The reference: every rule against every package.
fn reference(rules: &[Rule], inventory: &Inventory) -> Vec<(usize, usize)> {
    let mut hits = Vec::new();
    for (pi, p) in inventory.packages.iter().enumerate() {
        for (ri, r) in rules.iter().enumerate() {
            let hit = match &r.matcher {
                Matcher::Signer(d) => p.signing_sha256.contains(d),
                Matcher::Installer(i) => p.installer.as_deref() == Some(i.as_str()),
                m => m.matches_name(&p.package),
            };
            if hit {
                hits.push((pi, ri));
            }
        }
    }
    hits
}

fn bench(c: &mut Criterion) {
    let (policy, inventory) = workload();
    let compiled = CompiledPolicy::new(policy.clone());
    let caps = Capabilities::from_cli_list("profile-owner").unwrap();
    let state = State::new();
    let now = Timestamp::from_millis(1_700_000_000_000);
    // Both find the same packages: the comparison is fair.
    let plan = evaluate(&inventory, &compiled, &state, &caps, now);
    let mut ref_pkgs: Vec<usize> = reference(compiled.rules(), &inventory)
        .iter()
        .map(|h| h.0)
        .collect();
    ref_pkgs.dedup();
    assert_eq!(plan.findings.len(), ref_pkgs.len());
    assert!(
        plan.findings.len() >= 40,
        "the workload must contain findings"
    );

    let mut g = c.benchmark_group("evaluate");
    g.bench_function(BenchmarkId::new("indexed", "1000x10000"), |b| {
        b.iter(|| evaluate(black_box(&inventory), &compiled, &state, &caps, now))
    });
    g.bench_function(BenchmarkId::new("reference", "1000x10000"), |b| {
        b.iter(|| reference(black_box(compiled.rules()), black_box(&inventory)))
    });
    g.bench_function(BenchmarkId::new("compile", "10000"), |b| {
        b.iter(|| CompiledPolicy::new(black_box(policy.clone())))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}

fn estimate_ns(dir: &std::path::Path, id: &str) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join(id).join("new/estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "../../target".into());
    let dir = std::path::Path::new(&target).join("criterion/evaluate");
    if let (Some(ix), Some(rf)) = (
        estimate_ns(&dir, "indexed/1000x10000"),
        estimate_ns(&dir, "reference/1000x10000"),
    ) {
        println!(
            "ratio: indexed evaluation {:.1} µs, reference {:.1} µs: {:.0}x faster (goal: >= 50x, <= 200 µs)",
            ix / 1e3,
            rf / 1e3,
            rf / ix
        );
    }
}
