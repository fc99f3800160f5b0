//! Where a tenant's Siesa lives and how to reach it.

use lading_core::config::TenantConfig;
use lading_core::secret::SiesaCredentials;

/// One tenant's Connekta endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct SiesaEndpoint {
    /// E.g. `https://connekta.example.com`; the query path is appended.
    pub base_url: String,
    /// Siesa's `idCompania`.
    pub company_id: String,
    /// Rows asked per page (`tamPag`); the server may cap it lower.
    pub page_size: usize,
    /// The static `ConniKey` / `ConniToken` headers.
    pub credentials: SiesaCredentials,
    /// The secret the credentials came from, named in errors so the operator knows what to
    /// fix: `siesa-integration/{tenant}/{product_type}`.
    pub secret_name: String,
}

impl SiesaEndpoint {
    /// The endpoint of a checked tenant config (`source.*`), with the tenant's credentials.
    pub fn from_config(config: &TenantConfig, credentials: SiesaCredentials) -> SiesaEndpoint {
        SiesaEndpoint {
            base_url: config.raw.source.base_url.clone(),
            company_id: config.raw.source.company_id.clone(),
            page_size: config.raw.source.page_size,
            credentials,
            secret_name: config.secret_name(),
        }
    }
}
