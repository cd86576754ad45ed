//! The inventory the shell builds (on any OEM's firmware): parse, or refuse naming the place;
//! what parses serialises back to the same inventory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veto_core::{ErrorKind, Inventory};
use veto_fuzz::assert_names_a_place;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Inventory::from_json(text) {
        Ok(inventory) => {
            let again = serde_json::to_string(&inventory).expect("an inventory serialises");
            let reparsed = Inventory::from_json(&again).unwrap_or_else(|e| {
                panic!("the serialised inventory does not parse: {e}\n{again}")
            });
            assert_eq!(reparsed, inventory);
        }
        Err(e) => assert_names_a_place(&e, ErrorKind::BadInventory, "inventory"),
    }
});
