//! SAP function-module source (importer of record): `POST {base}/sap/rfc/{FM}`, paged, checked.
//!
//! The wire is `docs/wire-contract.md`, section "SAP function modules": HTTP Basic auth, a JSON
//! body of import parameters, paging with `I_MAXROWS` / `I_SKIP` until `E_TOTAL` rows are read,
//! business errors as HTTP 200 with an `E` or `A` row in `ET_RETURN`, and through the
//! middleware a one-row table that may arrive as an object. [`SapClient::read`] returns every
//! page as received (for the raw landing zone) and the rows of each table.
//!
//! These function modules only read, so their POSTs are marked safe to repeat: the shared
//! client retries API Gateway's 429 (without `Retry-After`), 502 and 504 with backoff.

mod client;
mod config;
#[cfg(test)]
mod tests;

pub use client::{
    DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGES, RFC_PATH, SapClient, SapMessage, SapPage, SapRead, rows_of,
};
pub use config::{SapCredentials, SapEndpoint, sap_secret_name};

/// The name this source gives its [`crate::HttpClient`]s and errors.
pub const SYSTEM: &str = "sap";
