//! Source connectors: each extracts one tenant's records from an ERP into `SourceRecord`s.
//!
//! One folder per source, the same files each time: `config.rs` (where and how to reach it),
//! `client.rs` (the wire: requests, pages, end of data), `source.rs` (the extract), `join.rs`
//! when the source needs one, and `tests.rs` (fixture tests that need no server).

pub mod sap;
pub mod siesa;
