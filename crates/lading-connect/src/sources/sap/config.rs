//! Where a tenant's SAP lives, who we are there, and the secret that says so.

use lading_core::{Secret, TenantId};
use serde::{Deserialize, Serialize};

/// What the secret `sap-integration/{tenant}/sap` holds, as JSON: `{"username", "password"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SapCredentials {
    pub username: String,
    pub password: Secret,
}

/// The name of a tenant's SAP secret: `sap-integration/{tenant}/sap`.
pub fn sap_secret_name(tenant: &TenantId) -> String {
    format!("sap-integration/{tenant}/sap")
}

/// One tenant's SAP endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct SapEndpoint {
    /// E.g. `https://sap.example.com`; `/sap/rfc/{FM}` is appended.
    pub base_url: String,
    /// The SAP client (mandant), sent as the `sap-client` query parameter, e.g. `100`.
    pub client: String,
    /// Rows asked per call (`I_MAXROWS`); the wire contract allows 1 to 5,000.
    pub page_size: usize,
    pub credentials: SapCredentials,
    /// The secret the credentials came from, named in errors so the operator knows what to
    /// fix: `sap-integration/{tenant}/sap`.
    pub secret_name: String,
}

impl SapEndpoint {
    /// What an operator fixes when SAP refuses the credentials.
    pub(crate) fn credentials_fix(&self) -> String {
        format!("check username/password (and the sap client {}) in secret {}", self.client, self.secret_name)
    }
}
