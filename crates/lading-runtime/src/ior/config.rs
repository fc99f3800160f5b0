//! Where a tenant's IOR config and SAP credentials live, and the SAP client built from them.
//!
//! The config is the JSON of a [`RawIorConfig`] in the per-tenant state table `ior_config`,
//! key `config`; it is validated when stored and again when read. The SAP user is the secret
//! `sap-integration/{tenant}/sap`: `{"username", "password"}`.

use super::IorError;
use crate::engine::Engine;
use lading_connect::http::{ClientSettings, HttpClient};
use lading_connect::sources::sap::{SYSTEM, SapClient, SapCredentials, SapEndpoint};
use lading_core::TenantId;
use lading_customs::config::{IorConfig, RawIorConfig};

/// The state table holding each tenant's IOR config.
pub const CONFIG_TABLE: &str = "ior_config";
/// The key of the config in [`CONFIG_TABLE`].
pub const CONFIG_KEY: &str = "config";

/// Validates and stores a tenant's IOR config; every problem is reported at once.
pub async fn put_config(engine: &Engine, raw: RawIorConfig) -> Result<IorConfig, IorError> {
    let tenant = raw.tenant_id.clone();
    let config = raw.validate().map_err(|problems| IorError::InvalidConfig { tenant, problems })?;
    let value = serde_json::to_value(&config.raw)
        .map_err(|e| IorError::Corrupt { tenant: config.tenant_id.to_string(), message: e.to_string() })?;
    engine.state.replace_table(&config.tenant_id, CONFIG_TABLE, &[(CONFIG_KEY.to_string(), value)]).await?;
    Ok(config)
}

/// A tenant's checked IOR config.
pub async fn load_config(engine: &Engine, tenant: &TenantId) -> Result<IorConfig, IorError> {
    let value = engine
        .state
        .get_row(tenant, CONFIG_TABLE, CONFIG_KEY)
        .await?
        .ok_or_else(|| IorError::NoConfig { tenant: tenant.to_string() })?;
    let raw: RawIorConfig = serde_json::from_value(value).map_err(|e| IorError::InvalidConfig {
        tenant: tenant.to_string(),
        problems: vec![format!("the stored config does not read: {e}")],
    })?;
    if raw.tenant_id != tenant.as_str() {
        return Err(IorError::InvalidConfig {
            tenant: tenant.to_string(),
            problems: vec![format!("tenant_id: the stored config names tenant {:?}", raw.tenant_id)],
        });
    }
    raw.validate().map_err(|problems| IorError::InvalidConfig { tenant: tenant.to_string(), problems })
}

/// The SAP user from `sap-integration/{tenant}/sap`.
pub async fn sap_credentials(engine: &Engine, config: &IorConfig) -> Result<SapCredentials, IorError> {
    let name = config.secret_name();
    let tenant = config.tenant_id.to_string();
    let secret = engine
        .secrets
        .get_secret(&name)
        .await?
        .ok_or_else(|| IorError::MissingSecret { tenant: tenant.clone(), name: name.clone() })?;
    serde_json::from_str(secret.expose()).map_err(|e| IorError::BadSecret {
        tenant,
        name,
        // serde's message can quote the offending value; keep only its position.
        message: format!("not the expected JSON at line {} column {}", e.line(), e.column()),
    })
}

/// The HTTP settings of a tenant's SAP calls.
pub fn client_settings(config: &IorConfig) -> ClientSettings {
    ClientSettings::from_parts(config.raw.timeout_secs, &config.raw.retry, config.raw.rate_limit_per_sec)
}

/// The tenant's SAP client: its own HTTP client (pool, rate limit) and its credentials.
pub async fn sap_client(engine: &Engine, config: &IorConfig) -> Result<SapClient, IorError> {
    let credentials = sap_credentials(engine, config).await?;
    let http = HttpClient::new(&config.tenant_id, SYSTEM, client_settings(config))?;
    let endpoint = SapEndpoint {
        base_url: config.raw.sap.base_url.clone(),
        client: config.raw.sap.client.clone(),
        page_size: config.raw.sap.page_size,
        credentials,
        secret_name: config.secret_name(),
    };
    Ok(SapClient::new(http, endpoint)?)
}
