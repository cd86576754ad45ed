//! Veto's core: decides what happens to every app in the work profile.
//!
//! Pure logic: it is handed an inventory, a policy, the state, the device's capabilities
//! and the time, and returns a [`Plan`]. It never touches Android, files or the network.
//!
//! ```
//! use veto_core::{evaluate, Capabilities, CompiledPolicy, Inventory, Policy, State, Timestamp};
//! let inventory = Inventory::from_json(r#"{"packages":[{"package":"com.zhiliaoapp.musically"}]}"#).unwrap();
//! let policy = CompiledPolicy::new(Policy::builtin());
//! let caps = Capabilities::from_cli_list("profile-owner").unwrap();
//! let plan = evaluate(&inventory, &policy, &State::new(), &caps, Timestamp::from_millis(0));
//! assert!(!plan.compliant);
//! assert_eq!(plan.findings[0].action, Some(veto_core::Action::Warn));
//! ```

pub mod capabilities;
pub mod catalog;
pub mod codes;
pub mod config;
pub mod digest;
pub mod engine;
pub mod error;
pub mod inventory;
pub mod matcher;
pub mod pattern;
pub mod plan;
pub mod policy;
pub mod protect;
pub mod report;
pub mod state;
pub mod time;

pub use capabilities::{Capabilities, Role};
pub use catalog::Catalog;
pub use config::{
    parse_managed_config, policy_from_config, settings_from_config, ManagedConfig, Settings,
};
pub use digest::CertDigest;
pub use engine::evaluate;
pub use error::{Error, ErrorKind, Result};
pub use inventory::{Inventory, Package};
pub use matcher::CompiledPolicy;
pub use plan::{Finding, Plan, Status, Warning};
pub use policy::{Action, Mode, Policy};
pub use state::{Outcome, OutcomeResult, Outcomes, State};
pub use time::Timestamp;
