//! Errors of the storage layer.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("unknown tenant {0:?}: add it with `lading tenants add` or check the spelling")]
    UnknownTenant(String),
    #[error("unknown run {0:?}: list runs with `lading runs list`")]
    UnknownRun(String),
    #[error("state database {path}: {message}")]
    Database { path: String, message: String },
    #[error("object {key}: {message}")]
    Object { key: String, message: String },
    #[error("secret {name}: {message}")]
    Secret { name: String, message: String },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn object(key: &str, err: impl std::fmt::Display) -> StoreError {
        StoreError::Object { key: key.to_string(), message: err.to_string() }
    }
}
