//! Newtypes for identifiers, parsed once at the edge.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A tenant id: lowercase letters, digits, `-` and `_`, 1 to 64 characters.
///
/// It is part of every key, log line, metric label and secret name, so it must be safe in all
/// of them: no `/`, no spaces, no upper case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(raw: &str) -> Result<TenantId, String> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if raw.is_empty() || raw.len() > 64 || !raw.chars().all(ok_char) {
            return Err(format!("invalid tenant id {raw:?}: use 1 to 64 characters of a-z, 0-9, '-' or '_'"));
        }
        Ok(TenantId(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TenantId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        TenantId::parse(&value)
    }
}

impl From<TenantId> for String {
    fn from(value: TenantId) -> String {
        value.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A run id: time-ordered (UUID v7 text), so listing by id lists by start time.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub String);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_checked() {
        assert!(TenantId::parse("acme-retail_1").is_ok());
        for bad in ["", "Acme", "a/b", "a b", &"x".repeat(65)] {
            let err = TenantId::parse(bad).unwrap_err();
            assert!(err.contains("invalid tenant id"), "{err}");
        }
    }
}
