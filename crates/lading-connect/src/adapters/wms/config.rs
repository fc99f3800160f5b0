//! The WMS's paths and limits, and one tenant's WMS endpoint.

use crate::adapters::AdapterContext;
use lading_core::config::secret_name;
use lading_core::secret::TargetCredentials;

/// The registry name of this adapter.
pub const PRODUCT_TYPE: &str = "wms";
pub const AUTH_PATH: &str = "/auth";
pub const PRODUCTS_PATH: &str = "/products";
/// Records of one batch in flight at once.
pub const IN_FLIGHT: usize = 8;
/// Products asked per list page.
pub const LIST_LIMIT: usize = 100;

/// One tenant's WMS: where and who.
#[derive(Clone, Debug)]
pub(crate) struct WmsConfig {
    pub(crate) base_url: String,
    pub(crate) credentials: TargetCredentials,
    pub(crate) secret_name: String,
}

impl WmsConfig {
    pub(crate) fn from_context(context: &AdapterContext) -> WmsConfig {
        WmsConfig {
            base_url: context.base_url.trim_end_matches('/').to_string(),
            credentials: context.credentials.clone(),
            secret_name: secret_name(&context.tenant, PRODUCT_TYPE),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// What an operator fixes when the WMS refuses the login.
    pub(crate) fn credentials_fix(&self) -> String {
        format!("check username/password in secret {}", self.secret_name)
    }
}
