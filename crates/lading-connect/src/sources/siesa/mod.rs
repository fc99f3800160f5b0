//! Siesa Connekta source: three standard queries, paged, joined by `f120_id` into one record per item.
//!
//! `API_v2_Items` gives the items, `API_v2_ItemsBarras` their barcodes and RFID EPCs,
//! `API_v2_ItemsUnidadesMedida` their unit factors. The record follows `docs/wire-contract.md`:
//! key = `f120_id` as text; fields = the Items row as received plus `barcode`, `epc`,
//! `barcodes` and `f122_factor`.

mod client;
mod config;
mod join;
mod source;
#[cfg(test)]
mod tests;

pub use client::{BARCODES_QUERY, ITEMS_QUERY, MAX_PAGES, QUERY_PATH, UNITS_QUERY};
pub use config::SiesaEndpoint;
pub use source::{QueryStats, RawPage, SiesaExtract, SiesaSource, SiesaStats};

/// The name this source gives its [`crate::HttpClient`]s and errors.
pub const SYSTEM: &str = "siesa";
