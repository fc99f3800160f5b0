//! Records as they move through a pipeline: from a source, after mapping, and their problems.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One record as a source connector produced it: its stable key and its raw fields.
///
/// For Siesa the key is `f120_id` and the fields are the joined `API_v2_Items` row plus
/// `barcode`, `epc`, `barcodes` and `f122_factor` (see `lading-connect`'s Siesa source).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceRecord {
    pub key: String,
    pub fields: Map<String, Value>,
}

/// One record mapped for a target: the target's external id and the target's own fields.
///
/// `fields` holds the target field names; `custom:` mappings land in `fields["properties"]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetRecord {
    pub external_id: String,
    pub fields: Map<String, Value>,
}

impl TargetRecord {
    /// A stable hash of the record's content, used by incremental sync to skip unchanged
    /// records. Field order does not matter: keys are hashed sorted.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(self.external_id.as_bytes());
        hasher.update([0]);
        hash_value(&mut hasher, &Value::Object(self.fields.clone()));
        hex::encode(&hasher.finalize()[..16])
    }
}

fn hash_value(hasher: &mut sha2::Sha256, value: &Value) {
    use sha2::Digest;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            hasher.update(b"{");
            for key in keys {
                hasher.update(key.as_bytes());
                hasher.update(b":");
                hash_value(hasher, &map[key]);
                hasher.update(b",");
            }
            hasher.update(b"}");
        }
        Value::Array(items) => {
            hasher.update(b"[");
            for item in items {
                hash_value(hasher, item);
                hasher.update(b",");
            }
            hasher.update(b"]");
        }
        other => hasher.update(other.to_string().as_bytes()),
    }
}

/// One problem of one record: which field, a machine-readable code, and what to fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl Issue {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue { field: field.into(), code: code.into(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(value: Value) -> TargetRecord {
        TargetRecord { external_id: "1".into(), fields: value.as_object().unwrap().clone() }
    }

    #[test]
    fn content_hash_ignores_key_order_but_not_values() {
        let a = record(json!({"name": "A", "properties": {"x": 1, "y": 2}}));
        let b = record(json!({"properties": {"y": 2, "x": 1}, "name": "A"}));
        let c = record(json!({"name": "A", "properties": {"x": 1, "y": 3}}));
        assert_eq!(a.content_hash(), b.content_hash());
        assert_ne!(a.content_hash(), c.content_hash());
    }
}
