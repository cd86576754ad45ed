//! The entry points as libveto.so exposes them, on JSON text: each parses its documents as
//! veto-jni does, calls the `Device`, and returns the JSON the shell receives. So these tests
//! check the same documents the shell sees.

#![allow(dead_code)]

use std::path::Path;

use veto_agent::Device;
use veto_core::{Capabilities, Inventory, Outcomes, Result, Timestamp};
use veto_net::Net;

pub fn evaluate(
    inventory_json: &str,
    managed_config_json: &str,
    capabilities_json: &str,
    state_dir: &Path,
    now: Timestamp,
) -> Result<String> {
    let inventory = Inventory::from_json(inventory_json)?;
    let capabilities = Capabilities::from_json(capabilities_json)?;
    Ok(Device::new(state_dir)
        .evaluate(&inventory, managed_config_json, &capabilities, now)?
        .to_json())
}

pub fn record(outcomes_json: &str, state_dir: &Path, now: Timestamp) -> Result<String> {
    let outcomes = Outcomes::from_json(outcomes_json)?;
    Ok(Device::new(state_dir).record(&outcomes, now)?.to_json())
}

pub fn sync_policy(
    managed_config_json: &str,
    state_dir: &Path,
    now: Timestamp,
    net: impl FnOnce() -> Result<Net>,
) -> Result<String> {
    Ok(Device::new(state_dir)
        .sync_policy(managed_config_json, now, net)?
        .to_json())
}

pub fn flush_reports(
    managed_config_json: &str,
    state_dir: &Path,
    now: Timestamp,
    net: impl FnOnce() -> Result<Net>,
) -> Result<String> {
    Ok(Device::new(state_dir)
        .flush_reports(managed_config_json, now, net)?
        .to_json())
}
