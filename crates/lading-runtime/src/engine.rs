//! The engine: the backends a run needs, wired once.

use crate::mappings::MappingCatalog;
use crate::notify::{LogNotifier, Notifier};
use lading_connect::adapters::AdapterRegistry;
use lading_core::TenantId;
use lading_core::config::{RawTenantConfig, TenantConfig};
use lading_core::secret::TenantSecrets;
use lading_store::secrets::{SecretKey, SqliteSecrets};
use lading_store::sqlite::SqliteState;
use lading_store::{Objects, SecretStore, StateStore, StoreError};
use std::path::Path;
use std::sync::Arc;

#[derive(Clone)]
pub struct Engine {
    pub state: Arc<dyn StateStore>,
    pub secrets: Arc<dyn SecretStore>,
    pub objects: Objects,
    pub notifier: Arc<dyn Notifier>,
    pub adapters: Arc<AdapterRegistry>,
    pub mappings: Arc<MappingCatalog>,
}

impl Engine {
    /// The embedded engine over a data directory: `state.db` (SQLite, secrets encrypted in it
    /// with the key from `LADING_SECRET_KEY` or `secret.key`) and `objects/`.
    pub fn embedded(data_dir: &Path) -> Result<Engine, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::Database {
            path: data_dir.display().to_string(),
            message: format!("cannot create the data directory: {e}"),
        })?;
        let state = Arc::new(SqliteState::open(&data_dir.join("state.db"))?);
        let key = SecretKey::from_env_or_file(&data_dir.join("secret.key"))?;
        let secrets = Arc::new(SqliteSecrets::new(state.clone(), &key));
        let objects = Objects::local(&data_dir.join("objects"))?;
        Ok(Engine {
            state,
            secrets,
            mappings: Arc::new(MappingCatalog::new(objects.clone())),
            objects,
            notifier: Arc::new(LogNotifier),
            adapters: Arc::new(AdapterRegistry::builtin()),
        })
    }

    /// A tenant's checked config; an unknown tenant or an invalid stored config is an error
    /// that says what to do.
    pub async fn tenant(&self, tenant: &TenantId) -> Result<TenantConfig, EngineError> {
        let raw = self.state.get_tenant(tenant).await?.ok_or_else(|| StoreError::UnknownTenant(tenant.to_string()))?;
        validate_tenant(raw)
    }

    /// The tenant's credentials from `siesa-integration/{tenant}/{product_type}`.
    pub async fn tenant_secrets(&self, tenant: &TenantConfig) -> Result<TenantSecrets, EngineError> {
        let name = tenant.secret_name();
        let secret = self
            .secrets
            .get_secret(&name)
            .await?
            .ok_or_else(|| EngineError::MissingSecret { tenant: tenant.tenant_id.to_string(), name: name.clone() })?;
        serde_json::from_str(secret.expose()).map_err(|e| EngineError::BadSecret {
            tenant: tenant.tenant_id.to_string(),
            name,
            // serde's message can quote the offending value; keep only its position.
            message: format!("not the expected JSON at line {} column {}", e.line(), e.column()),
        })
    }
}

pub fn validate_tenant(raw: RawTenantConfig) -> Result<TenantConfig, EngineError> {
    let tenant = raw.tenant_id.clone();
    raw.validate().map_err(|problems| EngineError::InvalidConfig { tenant, problems })
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("tenant {tenant}: invalid config: {}", problems.join("; "))]
    InvalidConfig { tenant: String, problems: Vec<String> },
    #[error("tenant {tenant}: no secret {name}; set it with `lading secrets set --tenant {tenant}`")]
    MissingSecret { tenant: String, name: String },
    #[error(
        "tenant {tenant}: secret {name} is {message}; it must hold {{\"siesa\": {{\"conni_key\", \"conni_token\"}}, \"target\": {{\"username\", \"password\"}}}}"
    )]
    BadSecret { tenant: String, name: String, message: String },
}
