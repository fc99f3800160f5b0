//! Secrets in a type that never prints its value, and the credentials a tenant's secret holds.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A secret string. `Debug` and `Display` print `***`; read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that must send it (a header, a login body).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What the secret `siesa-integration/{tenant}/{product_type}` holds, as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSecrets {
    pub siesa: SiesaCredentials,
    pub target: TargetCredentials,
}

/// Siesa Connekta's static headers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiesaCredentials {
    pub conni_key: Secret,
    pub conni_token: Secret,
}

/// A target product's login (Kong token login, WMS JWT login).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetCredentials {
    pub username: String,
    pub password: Secret,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secrets = TenantSecrets {
            siesa: SiesaCredentials { conni_key: Secret::new("k-123"), conni_token: Secret::new("t-456") },
            target: TargetCredentials { username: "ops".into(), password: Secret::new("hunter2") },
        };
        let printed = format!("{secrets:?} {}", secrets.target.password);
        for value in ["k-123", "t-456", "hunter2"] {
            assert!(!printed.contains(value), "{printed}");
        }
        assert!(printed.contains("ops"));
    }
}
