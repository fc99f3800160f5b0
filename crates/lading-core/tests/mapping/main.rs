//! Specs of lading-core's identifiers and field-mapping engine, through the public API only.
//!
//! One test binary (this folder) rather than one per file: it links once.

mod adversarial;
mod conversions;
mod file_format;
mod identifiers;
mod rules;
mod siesa;

use lading_core::SourceRecord;
use lading_core::mapping::Mapping;
use serde_json::Value;

pub const KONG: &str = include_str!("../../../../config/field-mappings-kong.json");
pub const WMS: &str = include_str!("../../../../config/field-mappings-wms.json");

pub fn kong() -> Mapping {
    Mapping::from_json(KONG).unwrap_or_else(|e| panic!("the Kong mapping must load:\n{e}"))
}

pub fn wms() -> Mapping {
    Mapping::from_json(WMS).unwrap_or_else(|e| panic!("the WMS mapping must load:\n{e}"))
}

/// A source record from a JSON object of fields; the key is `f120_id` when there is one.
pub fn record(fields: Value) -> SourceRecord {
    let Value::Object(fields) = fields else { panic!("a record is a JSON object") };
    let key = match fields.get("f120_id") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(other) => other.to_string(),
        None => "1".to_string(),
    };
    SourceRecord { key, fields }
}
