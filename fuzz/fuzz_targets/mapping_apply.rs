//! Any JSON object as a Siesa record through the shipped Kong and WMS mappings: a target record
//! with its external id, or issues; never a panic.
#![no_main]

use lading_core::SourceRecord;
use lading_core::mapping::Mapping;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn mappings() -> &'static [Mapping; 2] {
    static MAPPINGS: OnceLock<[Mapping; 2]> = OnceLock::new();
    MAPPINGS.get_or_init(|| {
        let load = |text: &str| Mapping::from_json(text).expect("the shipped mappings load");
        [
            load(include_str!("../../config/field-mappings-kong.json")),
            load(include_str!("../../config/field-mappings-wms.json")),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(data) else { return };
    let record = SourceRecord { key: "fuzz".into(), fields };
    for mapping in mappings() {
        match mapping.apply(&record) {
            Ok(target) => assert!(!target.external_id.is_empty()),
            Err(issues) => assert!(!issues.is_empty()),
        }
    }
});
