//! The JNI entry point `VetoNative.evaluate`'s string inputs, through `veto-agent` exactly as
//! `veto-jni` calls it: the input is split into inventory, managed configuration and
//! capabilities (separated by a 0x1E byte). Whatever the managed configuration holds, an
//! evaluation of a parsed inventory and capabilities succeeds (a bad configuration falls back
//! and is a warning, never an error: Veto never weakens enforcement on bad input), never plans
//! an action on Veto itself or the DPC, and its document reads back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_agent::Device;
use veto_core::report::Evaluation;
use veto_core::{Capabilities, Inventory, Timestamp};
use veto_fuzz::fresh_dir;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\u{1e}');
    let (Some(inventory), Some(config), Some(capabilities)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    // The core parsers themselves are fuzzed by `inventory` and `capabilities`.
    let (Ok(inventory), Ok(capabilities)) = (
        Inventory::from_json(inventory),
        Capabilities::from_json(capabilities),
    ) else {
        return;
    };
    let device = Device::new(fresh_dir());
    let now = Timestamp::from_millis(1_795_363_200_000);
    let evaluation = device
        .evaluate(&inventory, config, &capabilities, now)
        .unwrap_or_else(|e| panic!("evaluate refused a parsed inventory and capabilities: {e}"));
    for action in &evaluation.plan.actions {
        for protected in [&capabilities.self_package, &capabilities.dpc_package]
            .into_iter()
            .flatten()
        {
            assert_ne!(&action.package, protected, "planned {:?}", action.action);
        }
    }
    let json = evaluation.to_json();
    let again = Evaluation::from_json(&json)
        .unwrap_or_else(|e| panic!("the evaluation does not read back: {e}\n{json}"));
    assert_eq!(again, evaluation);
});
