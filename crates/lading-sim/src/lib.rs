//! Simulated Siesa Connekta (source ERP), Kong (RFID platform) and WMS (target) servers with
//! deterministic data and fault injection, as awkward as the real systems.
//!
//! Each simulator is an axum server on a local port, speaking the wire format of
//! `docs/wire-contract.md` on its own: it shares no types with `lading-connect`, so a drift
//! between the two is caught by tests. The same seed and configuration give the same catalogue
//! and the same fault sequence. Every simulator also answers `/_sim/*` controls (no auth) so a
//! simulator running as its own process can be steered over HTTP.

mod fault_engine;
pub mod faults;
pub mod gtin;
mod http;
pub mod kong;
pub mod sap;
mod seed;
pub mod siesa;
pub mod wms;
