//! Any bytes as a landed SAP page: `rows_of` gives its rows or says what is wrong with its
//! shape, never panics. (The live Siesa and SAP answer parsers are fuzzed through HTTP by the
//! proptest target `crates/lading-connect/tests/fuzz_sources.rs`.)
#![no_main]

use lading_connect::sources::sap::rows_of;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(page) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    for table in ["ET_MATERIAL", "ET_RETURN", "et_customs"] {
        if let Err(message) = rows_of(&page, table) {
            assert!(!message.is_empty());
        }
    }
});
