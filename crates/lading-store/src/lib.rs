//! The storage ports of Lading and their embedded backends.
//!
//! A port is a trait the runtime talks to; a backend implements it. The embedded backends here
//! are SQLite for state ([`sqlite::SqliteState`]), a local directory for objects
//! ([`objects::Objects`] over the `object_store` crate) and an encrypted table for secrets
//! ([`secrets::SqliteSecrets`]). The AWS backends (DynamoDB, S3, Secrets Manager) implement the
//! same traits and must pass the same conformance suite, [`conformance`].

pub mod conformance;
pub mod error;
pub mod model;
pub mod objects;
pub mod ports;
pub mod secrets;
pub mod sqlite;

pub use error::StoreError;
pub use model::*;
pub use objects::Objects;
pub use ports::{SecretStore, StateStore};
