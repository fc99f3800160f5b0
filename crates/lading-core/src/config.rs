//! Tenant configuration: a raw serde shape, then a checked `TenantConfig`.
//!
//! Raw configs come from files, the CLI or (later) DynamoDB; `RawTenantConfig::validate`
//! returns every problem at once, each naming the field and what to fix. The optional `alerts`
//! block ([`AlertSettings`]) tunes the built-in alert rules and routes per tenant.

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
    /// Which alert rules fire for this tenant, at which thresholds, and where each severity
    /// goes; absent: every rule on with its defaults (see [`AlertSettings`]). Boxed: most
    /// tenants keep the defaults, and a config travels by value through the pipelines.
    #[serde(default, skip_serializing_if = "alerts_are_default")]
    pub alerts: Box<AlertSettings>,
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
        problems.extend(self.alerts.problems());
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

// --- Alerts: which rules fire for a tenant and where each severity goes. ---------------------

/// How serious an alert is. Routes choose the notifiers of each severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Info, Severity::Warning, Severity::Error, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }
}

/// Where an alert can be delivered. A channel that is not set up in the process (no webhook
/// URL, no SMTP server) is skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertChannel {
    /// The structured log (standard error).
    Log,
    /// The Slack-compatible webhook of `LADING_WEBHOOK_URL`.
    Webhook,
    /// Email through the SMTP server of `LADING_SMTP_URL`.
    Email,
}

impl AlertChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertChannel::Log => "log",
            AlertChannel::Webhook => "webhook",
            AlertChannel::Email => "email",
        }
    }
}

/// A tenant's `alerts` block. Every part is optional; what is left out keeps its default, so
/// `{}` (or no block at all) means every rule on, with the thresholds below.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    pub rules: AlertRules,
    pub routes: AlertRoutes,
}

// serde hands `skip_serializing_if` a reference to the field, here a `&Box`.
#[allow(clippy::borrowed_box)]
fn alerts_are_default(alerts: &Box<AlertSettings>) -> bool {
    alerts.is_default()
}

impl AlertSettings {
    pub fn is_default(&self) -> bool {
        *self == AlertSettings::default()
    }

    /// Every problem of the block, each naming its field (`alerts.rules.….`).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let rules = &self.rules;
        if rules.source_down.min_attempts == 0 {
            problems.push("alerts.rules.source_down.min_attempts: must be at least 1".into());
        }
        let threshold = rules.failure_rate.threshold;
        if !(threshold > 0.0 && threshold <= 1.0) {
            problems.push(format!(
                "alerts.rules.failure_rate.threshold: {threshold} must be a share above 0.0, at most 1.0"
            ));
        }
        if rules.errors_burst.window_secs == 0 {
            problems.push("alerts.rules.errors_burst.window_secs: must be at least 1".into());
        }
        if rules.long_run.max_duration_secs == 0 {
            problems.push("alerts.rules.long_run.max_duration_secs: must be at least 1".into());
        }
        problems
    }
}

/// The built-in rules, each on by default. `severity` overrides the rule's own (given in
/// docs/alerts.md) and so chooses the route.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertRules {
    /// A run failed: a step failed after its retries, or its records passed `failure_threshold`.
    pub run_failed: RuleToggle,
    /// A source (Siesa, an SAP function module) could not be read after `min_attempts`.
    pub source_down: SourceDownRule,
    /// The generated customs lines differ from SAP's beyond the tolerances.
    pub comparison_failed: RuleToggle,
    /// Failed + quarantined records of one run above `threshold` of those extracted.
    pub failure_rate: FailureRateRule,
    /// More than `max_errors` errors (failed runs, dead letters) of the tenant in `window_secs`.
    pub errors_burst: ErrorsBurstRule,
    /// A run took, or is taking, longer than `max_duration_secs`.
    pub long_run: LongRunRule,
    /// The tenant's count of dead letters not yet replayed grew since the last evaluation.
    pub dead_letters_growing: RuleToggle,
}

/// A rule with nothing to tune but whether it fires, and how loudly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleToggle {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

impl Default for RuleToggle {
    fn default() -> Self {
        RuleToggle { enabled: true, severity: None }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceDownRule {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Attempts that must have failed before the source counts as down: the SAP client's
    /// calls of one function module, or the Siesa extract step's attempts.
    pub min_attempts: u32,
}

impl Default for SourceDownRule {
    fn default() -> Self {
        SourceDownRule { enabled: true, severity: None, min_attempts: 3 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FailureRateRule {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// A share: 0.10 fires above 10 %.
    pub threshold: f64,
}

impl Default for FailureRateRule {
    fn default() -> Self {
        FailureRateRule { enabled: true, severity: None, threshold: 0.10 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ErrorsBurstRule {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Fires when the errors in the window are more than this.
    pub max_errors: u32,
    pub window_secs: u64,
}

impl Default for ErrorsBurstRule {
    fn default() -> Self {
        ErrorsBurstRule { enabled: true, severity: None, max_errors: 5, window_secs: 300 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LongRunRule {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    pub max_duration_secs: u64,
}

impl Default for LongRunRule {
    fn default() -> Self {
        LongRunRule { enabled: true, severity: None, max_duration_secs: 1800 }
    }
}

/// The channels of each severity. The defaults: info → log; warning → log and webhook; error
/// and critical → log, webhook and email.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertRoutes {
    pub info: Vec<AlertChannel>,
    pub warning: Vec<AlertChannel>,
    pub error: Vec<AlertChannel>,
    pub critical: Vec<AlertChannel>,
}

impl Default for AlertRoutes {
    fn default() -> Self {
        use AlertChannel::*;
        AlertRoutes {
            info: vec![Log],
            warning: vec![Log, Webhook],
            error: vec![Log, Webhook, Email],
            critical: vec![Log, Webhook, Email],
        }
    }
}

impl AlertRoutes {
    pub fn channels(&self, severity: Severity) -> &[AlertChannel] {
        match severity {
            Severity::Info => &self.info,
            Severity::Warning => &self.warning,
            Severity::Error => &self.error,
            Severity::Critical => &self.critical,
        }
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

    #[test]
    fn a_config_without_alerts_gets_every_rule_with_its_defaults_and_serializes_unchanged() {
        let config = raw(good()).unwrap().validate().unwrap();
        let alerts = &config.raw.alerts;
        assert!(alerts.rules.run_failed.enabled && alerts.rules.dead_letters_growing.enabled);
        assert_eq!(alerts.rules.failure_rate.threshold, 0.10);
        assert_eq!((alerts.rules.errors_burst.max_errors, alerts.rules.errors_burst.window_secs), (5, 300));
        assert_eq!(alerts.rules.long_run.max_duration_secs, 1800);
        assert_eq!(alerts.routes.channels(Severity::Warning), [AlertChannel::Log, AlertChannel::Webhook]);
        let written = serde_json::to_value(&config.raw).unwrap();
        assert!(written.get("alerts").is_none(), "a default block is not written back: {written}");
    }

    #[test]
    fn a_partial_alerts_block_keeps_the_other_defaults() {
        let mut value = good();
        value["alerts"] = json!({
            "rules": {"failure_rate": {"threshold": 0.25}, "long_run": {"enabled": false}, "source_down": {"severity": "critical"}},
            "routes": {"error": ["log"]}
        });
        let config = raw(value).unwrap().validate().unwrap();
        let alerts = &config.raw.alerts;
        assert_eq!(alerts.rules.failure_rate.threshold, 0.25);
        assert!(alerts.rules.failure_rate.enabled);
        assert!(!alerts.rules.long_run.enabled);
        assert_eq!(alerts.rules.long_run.max_duration_secs, 1800);
        assert_eq!(alerts.rules.source_down.severity, Some(Severity::Critical));
        assert_eq!(alerts.rules.source_down.min_attempts, 3);
        assert_eq!(alerts.routes.channels(Severity::Error), [AlertChannel::Log]);
        assert_eq!(alerts.routes.channels(Severity::Critical).len(), 3);
        let written = serde_json::to_value(&config.raw).unwrap();
        assert_eq!(written["alerts"]["rules"]["failure_rate"]["threshold"], 0.25);
    }

    #[test]
    fn alert_typos_and_bad_thresholds_are_refused_by_name() {
        let mut value = good();
        value["alerts"] = json!({"rules": {"failure_rate": {"treshold": 0.2}}});
        let err = raw(value).unwrap_err().to_string();
        assert!(err.contains("unknown field `treshold`"), "{err}");
        let mut value = good();
        value["alerts"] = json!({"routes": {"error": ["pager"]}});
        let err = raw(value).unwrap_err().to_string();
        assert!(err.contains("unknown variant `pager`"), "{err}");
        let mut value = good();
        value["alerts"] = json!({"rules": {
            "failure_rate": {"threshold": 1.5}, "errors_burst": {"window_secs": 0},
            "long_run": {"max_duration_secs": 0}, "source_down": {"min_attempts": 0}
        }});
        let problems = raw(value).unwrap().validate().unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().all(|p| p.starts_with("alerts.rules.")), "{problems:?}");
    }
}
