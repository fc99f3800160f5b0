//! Field-mapping files by key: the object store's `config/{key}` first, then the files
//! shipped with Lading. Compiled once per key and cached.

use lading_core::mapping::Mapping;
use lading_store::Objects;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The mapping files built into the binary, by key.
pub const BUILTIN: &[(&str, &str)] = &[
    ("field-mappings-kong.json", include_str!("../../../config/field-mappings-kong.json")),
    ("field-mappings-wms.json", include_str!("../../../config/field-mappings-wms.json")),
];

pub struct MappingCatalog {
    objects: Objects,
    cache: Mutex<HashMap<String, Arc<Mapping>>>,
}

impl MappingCatalog {
    pub fn new(objects: Objects) -> MappingCatalog {
        MappingCatalog { objects, cache: Mutex::new(HashMap::new()) }
    }

    /// The object key a tenant's own mapping file is read from.
    pub fn object_key(key: &str) -> String {
        format!("config/{key}")
    }

    pub async fn get(&self, key: &str) -> Result<Arc<Mapping>, String> {
        if let Some(found) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(key) {
            return Ok(found.clone());
        }
        let object_key = Self::object_key(key);
        let text = if self.objects.exists(&object_key).await.map_err(|e| e.to_string())? {
            let bytes = self.objects.get(&object_key).await.map_err(|e| e.to_string())?;
            String::from_utf8(bytes.to_vec()).map_err(|_| format!("mapping file {key} is not UTF-8"))?
        } else if let Some((_, text)) = BUILTIN.iter().find(|(name, _)| *name == key) {
            (*text).to_string()
        } else {
            let known: Vec<&str> = BUILTIN.iter().map(|(name, _)| *name).collect();
            return Err(format!(
                "mapping file {key} not found: put it in the object store at {object_key} or use one of {}",
                known.join(", ")
            ));
        };
        let mapping = Arc::new(Mapping::from_json(&text).map_err(|e| format!("mapping file {key}: {e}"))?);
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string(), mapping.clone());
        Ok(mapping)
    }
}
