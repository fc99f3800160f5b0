//! Decoded copies of large tables, kept until the store says the table changed, so pages and
//! list endpoints do not decode 100,000 customs lines per request.

use lading_core::TenantId;
use lading_customs::model::CustomsLine;
use lading_runtime::engine::Engine;
use lading_runtime::ior_daily::CUSTOMS_LINES;
use lading_store::StoreError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Cache {
    customs_lines: Mutex<HashMap<String, (u64, Arc<Vec<CustomsLine>>)>>,
}

impl Cache {
    /// A tenant's generated customs lines in key order (entry, line).
    pub async fn customs_lines(&self, engine: &Engine, tenant: &TenantId) -> Result<Arc<Vec<CustomsLine>>, StoreError> {
        let version = engine.state.table_version(tenant, CUSTOMS_LINES).await?;
        if let Some((cached, lines)) = self.lock().get(tenant.as_str()) {
            if *cached == version {
                return Ok(lines.clone());
            }
        }
        let rows = engine.state.get_table(tenant, CUSTOMS_LINES).await?;
        let lines = rows
            .into_iter()
            .map(|(key, value)| {
                serde_json::from_value::<CustomsLine>(value)
                    .map_err(|e| StoreError::Corrupt(format!("customs line {key} of tenant {tenant}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let lines = Arc::new(lines);
        self.lock().insert(tenant.to_string(), (version, lines.clone()));
        Ok(lines)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, Arc<Vec<CustomsLine>>)>> {
        self.customs_lines.lock().unwrap_or_else(|p| p.into_inner())
    }
}
