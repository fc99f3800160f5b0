//! Tenant configuration: a raw serde shape, then a checked `TenantConfig`.
//!
//! Raw configs come from files, the CLI or (later) DynamoDB; `RawTenantConfig::validate`
//! returns every problem at once, each naming the field and what to fix.

use crate::ids::TenantId;
use crate::retry::RetryPolicy;
use serde::{Deserialize, Serialize};

/// The config version this build reads.
pub const TENANT_CONFIG_VERSION: u32 = 1;

/// A tenant's sync configuration as stored: one source, one target product.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTenantConfig {
    pub version: u32,
    pub tenant_id: String,
    /// Which product adapter loads this tenant's records: `kong`, `wms`, …
    pub product_type: String,
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The field-mapping file for this tenant, e.g. `field-mappings-kong.json`.
    pub mapping_key: String,
    pub source: SourceEndpoint,
    pub target: TargetEndpoint,
    /// Cron expression (`sec min hour day month weekday`), or none for manual runs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Requests per second this tenant may send to each external system.
    #[serde(default = "default_rate_limit")]
    pub rate_limit_per_sec: u32,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    #[serde(default)]
    pub retry: RetryPolicy,
    /// A run fails when more than this share of its records failed or was quarantined.
    #[serde(default = "default_failure_threshold")]
    pub failure_threshold: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceEndpoint {
    /// Source connector kind; `siesa` for now.
    pub kind: String,
    pub base_url: String,
    /// Siesa's `idCompania`.
    pub company_id: String,
    #[serde(default = "default_page_size")]
    pub page_size: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetEndpoint {
    pub base_url: String,
}

fn default_true() -> bool {
    true
}
fn default_batch_size() -> usize {
    100
}
fn default_page_size() -> usize {
    100
}
fn default_rate_limit() -> u32 {
    200
}
fn default_timeout() -> u64 {
    30
}
fn default_failure_threshold() -> f64 {
    0.10
}

/// A checked tenant config. Built only by [`RawTenantConfig::validate`].
#[derive(Clone, Debug, PartialEq)]
pub struct TenantConfig {
    pub tenant_id: TenantId,
    pub raw: RawTenantConfig,
}

impl TenantConfig {
    /// The name of this tenant's secret: `siesa-integration/{tenant}/{product_type}`.
    pub fn secret_name(&self) -> String {
        secret_name(&self.tenant_id, &self.raw.product_type)
    }
}

/// The name of a tenant's secret for one product type.
pub fn secret_name(tenant: &TenantId, product_type: &str) -> String {
    format!("siesa-integration/{tenant}/{product_type}")
}

impl RawTenantConfig {
    /// Checks every field and returns all problems, each a line naming the field.
    pub fn validate(self) -> Result<TenantConfig, Vec<String>> {
        let mut problems = Vec::new();
        if self.version != TENANT_CONFIG_VERSION {
            problems.push(format!(
                "version: {} is not supported, this build reads version {TENANT_CONFIG_VERSION}",
                self.version
            ));
        }
        let tenant_id = TenantId::parse(&self.tenant_id).map_err(|e| problems.push(format!("tenant_id: {e}"))).ok();
        let product_ok =
            |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !product_ok(&self.product_type) {
            problems.push(format!(
                "product_type: {:?} must be a lowercase adapter name such as \"kong\" or \"wms\"",
                self.product_type
            ));
        }
        if self.mapping_key.trim().is_empty() {
            problems.push("mapping_key: must name a field-mapping file such as field-mappings-kong.json".into());
        }
        if self.source.kind != "siesa" {
            problems.push(format!("source.kind: {:?} is not a known source; use \"siesa\"", self.source.kind));
        }
        check_url("source.base_url", &self.source.base_url, &mut problems);
        check_url("target.base_url", &self.target.base_url, &mut problems);
        if self.source.company_id.trim().is_empty() {
            problems.push("source.company_id: must be the Siesa idCompania, e.g. \"1\"".into());
        }
        if !(1..=1000).contains(&self.source.page_size) {
            problems.push(format!("source.page_size: {} must be between 1 and 1000", self.source.page_size));
        }
        if !(1..=100).contains(&self.batch_size) {
            problems
                .push(format!("batch_size: {} must be between 1 and 100 (the targets' bulk limit)", self.batch_size));
        }
        if self.rate_limit_per_sec == 0 {
            problems.push("rate_limit_per_sec: must be at least 1".into());
        }
        if self.timeout_secs == 0 {
            problems.push("timeout_secs: must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.failure_threshold) {
            problems.push(format!("failure_threshold: {} must be a share between 0.0 and 1.0", self.failure_threshold));
        }
        if let Some(schedule) = &self.schedule
            && let Err(problem) = check_cron(schedule)
        {
            problems.push(format!("schedule: {problem}"));
        }
        if let Err(e) = self.retry.validate() {
            problems.push(e);
        }
        match tenant_id {
            Some(tenant_id) if problems.is_empty() => Ok(TenantConfig { tenant_id, raw: self }),
            _ => Err(problems),
        }
    }
}

/// Checks a six-field cron expression (`sec min hour day month weekday`, e.g. `0 0 2 * * *`).
pub fn check_cron(expression: &str) -> Result<(), String> {
    use std::str::FromStr;
    if expression.split_whitespace().count() != 6 {
        return Err(format!(
            "{expression:?} must have six fields: sec min hour day month weekday, e.g. \"0 0 2 * * *\""
        ));
    }
    cron::Schedule::from_str(expression)
        .map(|_| ())
        .map_err(|e| format!("{expression:?} is not a valid cron expression ({e}); e.g. \"0 0 2 * * *\""))
}

fn check_url(field: &str, url: &str, problems: &mut Vec<String>) {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => {}
        _ => problems.push(format!("{field}: {url:?} must be an http:// or https:// URL with a host")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(value: serde_json::Value) -> Result<RawTenantConfig, serde_json::Error> {
        serde_json::from_value(value)
    }

    fn good() -> serde_json::Value {
        json!({
            "version": 1, "tenant_id": "acme", "product_type": "kong",
            "mapping_key": "field-mappings-kong.json",
            "source": {"kind": "siesa", "base_url": "http://127.0.0.1:1", "company_id": "1"},
            "target": {"base_url": "http://127.0.0.1:2"}
        })
    }

    #[test]
    fn a_good_config_validates_with_defaults() {
        let config = raw(good()).unwrap().validate().unwrap();
        assert_eq!(config.raw.batch_size, 100);
        assert_eq!(config.secret_name(), "siesa-integration/acme/kong");
    }

    #[test]
    fn unknown_fields_are_rejected_by_name() {
        let mut value = good();
        value["colour"] = json!("blue");
        let err = raw(value).unwrap_err().to_string();
        assert!(err.contains("unknown field `colour`"), "{err}");
    }

    #[test]
    fn every_problem_is_reported() {
        let mut value = good();
        value["tenant_id"] = json!("ACME");
        value["batch_size"] = json!(500);
        value["target"] = json!({"base_url": "ftp://x"});
        value["schedule"] = json!("0 0 25 * * *");
        let problems = raw(value).unwrap().validate().unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("schedule") && p.contains("not a valid cron")));
        assert!(problems.iter().any(|p| p.starts_with("tenant_id")));
        assert!(problems.iter().any(|p| p.starts_with("batch_size")));
        assert!(problems.iter().any(|p| p.starts_with("target.base_url")));
    }
}
