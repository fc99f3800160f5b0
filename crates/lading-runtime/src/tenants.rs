//! Saving a tenant's sync config with every check `lading tenants add` and the API share: the
//! fields, the mapping file compiles, the product type has an adapter.

use crate::engine::Engine;
use lading_core::config::{RawTenantConfig, TenantConfig};
use lading_store::StoreError;

/// The longest whole-request timeout a tenant may set: an hour.
pub const MAX_TIMEOUT_SECS: u64 = 3600;

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("tenant {tenant}: invalid config: {}", problems.join("; "))]
    Invalid { tenant: String, problems: Vec<String> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a raw config and returns every problem at once, each naming its field.
pub async fn check(engine: &Engine, raw: RawTenantConfig) -> Result<TenantConfig, TenantError> {
    let tenant = raw.tenant_id.clone();
    let mut problems = Vec::new();
    if !raw.mapping_key.trim().is_empty() {
        if let Err(message) = check_mapping_key(&raw.mapping_key) {
            problems.push(message);
        } else if let Err(message) = engine.mappings.get(&raw.mapping_key).await {
            problems.push(format!("mapping_key: {message}"));
        }
    }
    if raw.timeout_secs > MAX_TIMEOUT_SECS {
        problems.push(format!("timeout_secs: {} must be at most {MAX_TIMEOUT_SECS}", raw.timeout_secs));
    }
    if !raw.retry.backoff_rate.is_finite() {
        problems.push("retry.backoff_rate: must be a finite number such as 2.0".into());
    }
    let known = engine.adapters.product_types();
    if !raw.product_type.is_empty() && !known.iter().any(|t| *t == raw.product_type) {
        problems.push(format!("product_type: {:?} has no adapter; known: {}", raw.product_type, known.join(", ")));
    }
    match raw.validate() {
        Ok(config) if problems.is_empty() => Ok(config),
        Ok(_) => Err(TenantError::Invalid { tenant, problems }),
        Err(mut fields) => {
            fields.append(&mut problems);
            Err(TenantError::Invalid { tenant, problems: fields })
        }
    }
}

/// Checks `raw` and stores it, replacing the tenant's config if it had one.
pub async fn save(engine: &Engine, raw: RawTenantConfig) -> Result<TenantConfig, TenantError> {
    let config = check(engine, raw).await?;
    engine.state.put_tenant(&config.raw).await?;
    Ok(config)
}

/// A mapping key names a file, never a path: letters, digits, `.`, `_` and `-`.
fn check_mapping_key(key: &str) -> Result<(), String> {
    let ok = key.len() <= 128
        && !key.starts_with('.')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "mapping_key: {key:?} must be a file name of letters, digits, '.', '_' or '-', such as field-mappings-kong.json"
        ))
    }
}
