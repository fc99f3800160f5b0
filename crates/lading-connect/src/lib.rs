//! HTTP IO of Lading: the shared client, source connectors and product adapters.
//!
//! - [`http`]: the one HTTP client every connector uses (timeouts, safe retries with backoff and
//!   full jitter, `Retry-After`, a per-tenant rate limit) and its typed [`ConnectError`].
//! - [`sources`]: source connectors that extract [`lading_core::SourceRecord`]s (Siesa).
//! - [`adapters`]: product adapters that load [`lading_core::TargetRecord`]s (Kong, WMS), and the
//!   [`AdapterRegistry`] that maps a tenant's `product_type` to one of them.
//!
//! Secrets travel as [`lading_core::Secret`] and are exposed only where a header or a login body
//! needs them; no error or log line carries a secret value.

pub mod adapters;
pub mod error;
pub mod http;
pub mod sources;

pub use adapters::{AdapterContext, AdapterFactory, AdapterRegistry, ItemOutcome, ItemResult, ProductAdapter};
pub use error::{ConnectError, ErrorKind};
pub use http::{ApiRequest, ApiResponse, ClientSettings, ClientStats, HttpClient};
pub use sources::siesa::{RawPage, SiesaEndpoint, SiesaExtract, SiesaSource, SiesaStats};
