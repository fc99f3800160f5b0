//! Kong RFID stock platform: token login, then bulk upserts of SKUs keyed by `external_id`.
//!
//! `POST /inventory/skus/bulk/` takes at most 100 items and an `Idempotency-Key`; it answers
//! 200, or 207 with per-item results when some failed. Items failed with code `unavailable`
//! are sent again (only them, under the derived key `{key}-r{n}`, with backoff, bounded by the
//! retry policy); items failed with code `invalid` are returned as permanent failures.

mod adapter;
mod client;
mod config;
#[cfg(test)]
mod tests;

pub use adapter::{KongAdapter, build};
pub use config::{BULK_PATH, LOGIN_PATH, MAX_BULK_ITEMS, PRODUCT_TYPE, SKUS_PATH};
