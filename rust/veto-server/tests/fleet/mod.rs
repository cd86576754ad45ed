//! A simulated fleet that reports through veto-net's real queue and HTTPS client.
//!
//! The seam: [`Fleet`] says what each device has installed in each round and what the
//! generator itself expects the server to count. [`Generated`] is a small deterministic
//! generator; `veto simulate` (veto-agent) can implement [`Fleet`] and replace it without
//! touching the delivery code ([`SimDevice`]), which is what a phone runs: evaluate, queue
//! the report (written before any send), flush with retries, remove only after a 2xx.

// Test and benchmark code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use veto_core::config::Settings;
use veto_core::{
    evaluate, Capabilities, CompiledPolicy, Inventory, Package, Policy, State, Timestamp,
};
use veto_net::{Net, Tls};

/// What the server should show for a round, by the fleet's own count.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expected {
    /// Devices.
    pub devices: i64,
    /// Devices with a barred app.
    pub non_compliant: i64,
    /// Barred package → devices that have it.
    pub packages: BTreeMap<String, i64>,
}

/// A fleet: devices and their inventories, round by round.
pub trait Fleet {
    /// Device ids.
    fn device_ids(&self) -> Vec<String>;
    /// The work-profile inventory of `device` in `round`.
    fn inventory(&self, device: &str, round: u32) -> Inventory;
    /// What the server should count after every device delivered `round`.
    fn expected(&self, round: u32) -> Expected;
}

/// Barred packages the generator hands out (all in the built-in catalog's default section).
pub const BARRED: [&str; 3] = [
    "com.zhiliaoapp.musically",
    "com.ss.android.ugc.trill",
    "com.lemon.lvoverseas",
];

/// A deterministic fleet: device `i` has barred app `k` in round `r` when a small hash of
/// (i, k) is below a share that falls each round (the burndown).
pub struct Generated {
    pub size: usize,
    pub prefix: String,
}

impl Generated {
    fn has(&self, i: usize, k: usize, round: u32) -> bool {
        let h = (i as u64)
            .wrapping_mul(2_654_435_761)
            .wrapping_add(k as u64 * 40_503)
            % 100;
        let share = [30u64, 15, 10, 5, 2][round.min(4) as usize];
        h < share / (k as u64 + 1)
    }
}

impl Fleet for Generated {
    fn device_ids(&self) -> Vec<String> {
        (0..self.size)
            .map(|i| format!("{}-{i:05}", self.prefix))
            .collect()
    }

    fn inventory(&self, device: &str, round: u32) -> Inventory {
        let i: usize = device.rsplit('-').next().unwrap().parse().unwrap();
        let mut packages = vec![
            Package {
                label: Some("Mail".into()),
                ..Package::named("com.example.mail")
            },
            Package::named("com.example.calendar"),
        ];
        for (k, p) in BARRED.iter().enumerate() {
            if self.has(i, k, round) {
                packages.push(Package::named(p));
            }
        }
        Inventory {
            profile: "work".into(),
            captured_at: None,
            packages,
        }
    }

    fn expected(&self, round: u32) -> Expected {
        let mut e = Expected {
            devices: self.size as i64,
            ..Expected::default()
        };
        for i in 0..self.size {
            let mut any = false;
            for (k, p) in BARRED.iter().enumerate() {
                if self.has(i, k, round) {
                    any = true;
                    *e.packages.entry(p.to_string()).or_default() += 1;
                }
            }
            e.non_compliant += i64::from(any);
        }
        e
    }
}

/// One simulated phone: its state directory (queue, install id) and settings.
pub struct SimDevice {
    pub id: String,
    pub state_dir: PathBuf,
    pub settings: Settings,
}

impl SimDevice {
    pub fn new(root: &Path, id: &str, report_url: &str, token: &str) -> SimDevice {
        let state_dir = root.join(id);
        std::fs::create_dir_all(&state_dir).unwrap();
        SimDevice {
            id: id.to_string(),
            state_dir,
            settings: Settings {
                report_url: Some(report_url.to_string()),
                report_token: Some(token.to_string()),
                report_inventory: true,
                device_id: Some(id.to_string()),
                ..Settings::default()
            },
        }
    }

    /// Evaluates the inventory with the built-in policy and queues the report.
    pub fn evaluate_and_queue(&self, inventory: &Inventory, now: Timestamp) {
        let policy = CompiledPolicy::new(Policy::builtin());
        let caps = Capabilities::from_cli_list("profile-owner").unwrap();
        let plan = evaluate(inventory, &policy, &State::new(), &caps, now);
        veto_net::reporting::queue_report(
            &plan,
            inventory,
            &self.settings,
            None,
            &self.state_dir,
            now,
        )
        .unwrap()
        .expect("report_url is set");
    }

    /// Flushes the queue; returns (sent, remaining).
    pub fn flush(&self, now: Timestamp, net: &Net) -> (usize, usize) {
        let s =
            veto_net::reporting::flush_reports(&self.settings, &self.state_dir, now, net).unwrap();
        (s.sent.len(), s.remaining)
    }

    pub fn point_to(&mut self, report_url: &str) {
        self.settings.report_url = Some(report_url.to_string());
    }

    pub fn queue_dir(&self) -> PathBuf {
        self.state_dir.join(veto_net::queue::QUEUE_DIR)
    }
}

pub fn net(ca_der: &[u8]) -> Net {
    Net::new(Tls::Roots(vec![ca_der.to_vec()]))
}
