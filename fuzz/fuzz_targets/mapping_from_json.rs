//! Any bytes as a mapping file: it loads or is refused, never panics; a mapping that loads maps
//! the benchmark's Siesa rows to records or issues.
#![no_main]

use lading_core::mapping::Mapping;
use lading_core::mapping::bench_support::siesa_item_row;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // A jq program can loop forever by design (docs/mappings.md): leave jq out of this target.
    if text.contains("\"jq\"") {
        return;
    }
    if let Ok(mapping) = Mapping::from_json(text) {
        for row in 0..8 {
            if let Ok(target) = mapping.apply(&siesa_item_row(row)) {
                assert!(!target.external_id.is_empty());
            }
        }
    }
});
