//! Source connectors: each extracts one tenant's records from an ERP into `SourceRecord`s.
//!
//! One folder per source, the same files each time: `config.rs` (where and how to reach it),
//! `client.rs` (the wire: requests, pages, end of data), `source.rs` (the extract), `join.rs`
//! when the source needs one, and `tests.rs` (fixture tests that need no server).

pub mod sap;
pub mod siesa;

/// What kind of JSON value a source sent where it should not have, for messages.
fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
