//! The pure core of Lading: the data every other crate exchanges, and the rules that need no IO.
//!
//! Nothing here touches the network, the disk or an async runtime, so every rule is testable
//! with plain values.

pub mod config;
pub mod identifiers;
pub mod ids;
pub mod mapping;
pub mod record;
pub mod retry;
pub mod secret;

pub use ids::{RunId, TenantId};
pub use record::{Issue, SourceRecord, TargetRecord};
pub use secret::Secret;
