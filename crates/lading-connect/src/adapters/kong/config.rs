//! Kong's paths and limits, and one tenant's Kong endpoint.

use crate::adapters::AdapterContext;
use lading_core::config::secret_name;
use lading_core::retry::RetryPolicy;
use lading_core::secret::TargetCredentials;

/// The registry name of this adapter.
pub const PRODUCT_TYPE: &str = "kong";
pub const LOGIN_PATH: &str = "/auth/token/login/";
pub const BULK_PATH: &str = "/inventory/skus/bulk/";
pub const SKUS_PATH: &str = "/inventory/skus/";
/// Kong refuses bulk requests of more items (400).
pub const MAX_BULK_ITEMS: usize = 100;

/// One tenant's Kong: where, who, and how patient to be with unavailable items.
#[derive(Clone, Debug)]
pub(crate) struct KongConfig {
    pub(crate) base_url: String,
    pub(crate) credentials: TargetCredentials,
    pub(crate) secret_name: String,
    pub(crate) retry: RetryPolicy,
}

impl KongConfig {
    pub(crate) fn from_context(context: &AdapterContext) -> KongConfig {
        KongConfig {
            base_url: context.base_url.trim_end_matches('/').to_string(),
            credentials: context.credentials.clone(),
            secret_name: secret_name(&context.tenant, PRODUCT_TYPE),
            retry: context.settings.retry.clone(),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// What an operator fixes when Kong refuses the login.
    pub(crate) fn credentials_fix(&self) -> String {
        format!("check username/password in secret {}", self.secret_name)
    }
}
