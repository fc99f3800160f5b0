//! Product adapters: load mapped records into a target product, one folder per product.
//!
//! Every adapter implements [`ProductAdapter`] and has the same files: `config.rs` (paths,
//! limits, the fix hints its errors give), `client.rs` (the wire: login and requests),
//! `adapter.rs` (the [`ProductAdapter`] impl and its `build` factory), `tests.rs` (fixture
//! tests that need no server). The [`AdapterRegistry`] maps a tenant's `product_type` to a
//! factory; adding a product is one folder and one line in the `builtin_adapters!` list below
//! (see `docs/adapters.md`).

mod registry;
mod token;

/// Declares each built-in adapter's module and registers its factory: one line per adapter.
/// Each module provides `PRODUCT_TYPE` and `build` (see `docs/adapters.md`).
macro_rules! builtin_adapters {
    ($($name:ident),* $(,)?) => {
        $(pub mod $name;)*

        /// Registers every built-in adapter in `registry`.
        fn register_builtin(registry: &mut AdapterRegistry) {
            $(registry.register($name::PRODUCT_TYPE, $name::build);)*
        }
    };
}

builtin_adapters! {
    kong,
    wms,
}

pub use registry::{AdapterFactory, AdapterRegistry};
pub use token::{MAX_RENEWALS, TokenCache};

use crate::error::ConnectError;
use crate::http::ClientSettings;
use async_trait::async_trait;
use lading_core::secret::TargetCredentials;
use lading_core::{TargetRecord, TenantId};
use serde::{Deserialize, Serialize};

/// The most records one `load_batch` call should carry: the targets' bulk limit.
pub const MAX_BATCH: usize = 100;

/// Loads one tenant's records into one target product.
#[async_trait]
pub trait ProductAdapter: Send + Sync {
    /// The registry name: `kong`, `wms`, …
    fn product_type(&self) -> &str;

    /// Loads one batch (≤ [`MAX_BATCH`]); returns one outcome per input record, in input order.
    ///
    /// `idempotency_key` identifies the batch: the same key with the same records is safe to
    /// send again (a resumed run). An `Err` means the batch as a whole did not load (bad
    /// credentials, the target down): none of its outcomes are known.
    async fn load_batch(&self, batch: &[TargetRecord], idempotency_key: &str)
    -> Result<Vec<ItemOutcome>, ConnectError>;

    /// Every external id the target holds for this tenant (for reports: counts, duplicates).
    async fn list_external_ids(&self) -> Result<Vec<String>, ConnectError>;

    /// How many batches the runner may load at once. A bulk target takes a few concurrent
    /// batches; an adapter that already sends a batch's records concurrently says 1, so the
    /// target sees its own bound and no more.
    fn batch_concurrency(&self) -> usize {
        4
    }
}

/// What happened to one record of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemOutcome {
    pub external_id: String,
    pub result: ItemResult,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ItemResult {
    Created,
    Updated,
    Unchanged,
    /// The target refused or could not take the record. `retryable`: sending it again later
    /// may work (the target was unavailable); otherwise the record itself must change.
    Failed {
        reason: String,
        retryable: bool,
    },
}

impl ItemResult {
    pub fn is_loaded(&self) -> bool {
        !matches!(self, ItemResult::Failed { .. })
    }
}

/// What a factory gets to build an adapter for one tenant.
#[derive(Clone, Debug)]
pub struct AdapterContext {
    pub tenant: TenantId,
    /// The target's base URL (`target.base_url`).
    pub base_url: String,
    pub credentials: TargetCredentials,
    pub settings: ClientSettings,
}
