//! WMS: JWT login, then one `POST /products` per record, `PATCH /products/{id}` on a duplicate.
//!
//! The WMS has no bulk endpoint, so a batch runs its records with bounded concurrency
//! ([`IN_FLIGHT`]). A 409 on create means the `external_id` exists: the adapter finds its id
//! (`GET /products?external_id__eq=…`) and patches it. Ids learned from creates, lookups and
//! listings are cached, so a known record is patched directly. The WMS sits behind an API
//! gateway: 429 without `Retry-After`, 504 on timeouts — both retried by the HTTP client.

mod adapter;
mod client;
mod config;
#[cfg(test)]
mod tests;

pub use adapter::{WmsAdapter, build};
pub use config::{AUTH_PATH, IN_FLIGHT, LIST_LIMIT, PRODUCT_TYPE, PRODUCTS_PATH};
