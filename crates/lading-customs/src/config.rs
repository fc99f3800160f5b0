//! The importer-of-record configuration of one tenant: a raw serde shape, then a checked one.
//!
//! [`RawIorConfig`] is what is stored (state table `ior_config`, key `config`) and what an
//! operator writes; [`RawIorConfig::validate`] returns every problem at once, each naming the
//! field and what to fix. The SAP password is not here: it lives in the secret
//! `sap-integration/{tenant}/sap` as `{"username", "password"}`.

use lading_core::TenantId;
use lading_core::retry::RetryPolicy;
use serde::{Deserialize, Serialize};

/// The config version this build reads.
pub const IOR_CONFIG_VERSION: u32 = 1;

/// The HTS revisions this build ships (`data/hts/{name}.json.gz`), oldest first.
pub const HTS_REVISIONS: [&str; 2] = ["hts_2025_rev_32", "hts_2026_rev_10"];

/// The revision used when a config does not name one.
pub const DEFAULT_HTS_REVISION: &str = "hts_2026_rev_10";

/// A tenant's importer-of-record configuration as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIorConfig {
    pub version: u32,
    pub tenant_id: String,
    #[serde(default = "default_true")]
    pub enabled: bool,
    pub sap: SapSettings,
    /// While true the pipeline writes its tables but the importer still works from its CSV
    /// files; `lading validate --against` compares the two.
    #[serde(default = "default_true")]
    pub shadow_mode: bool,
    /// Comparison tolerances, handed as they are to the comparison engine (`{}`: its defaults).
    #[serde(default = "empty_object")]
    pub tolerances: serde_json::Value,
    #[serde(default)]
    pub schedules: IorSchedules,
    /// Which USITC revision validates HTS numbers: one of [`HTS_REVISIONS`].
    #[serde(default = "default_hts_revision")]
    pub hts_revision: String,
    /// An ETL run fails when more than this share of its records is quarantined.
    #[serde(default = "default_failure_threshold")]
    pub failure_threshold: f64,
    /// Whole-request timeout of a SAP call; API Gateway gives up at 29 s.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Requests per second this tenant may send to SAP.
    #[serde(default = "default_rate_limit")]
    pub rate_limit_per_sec: u32,
    /// Attempts and backoff of every SAP call.
    #[serde(default)]
    pub retry: RetryPolicy,
}

/// Where SAP is and how much to ask per call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SapSettings {
    /// The RFC gateway, e.g. `https://sap.example.com`; `/sap/rfc/{FM}` is appended.
    pub base_url: String,
    /// The SAP client (mandant), e.g. `100`.
    pub client: String,
    /// Rows asked per call (`I_MAXROWS`), 1 to 5,000.
    #[serde(default = "default_page_size")]
    pub page_size: usize,
}

/// When the sources are read: six-field cron (`sec min hour day month weekday`).
///
/// Daily: the transactions (`ZSDR002`, `ZEMM004`). Weekly: the master data (`ZFMIOR002`,
/// `ZFMIOR003`, `ZEMM005`, `ZTIOR_HTS`, `ZTIOR_TARIFF`). This is data for a scheduler, not a
/// scheduler.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IorSchedules {
    #[serde(default = "default_daily")]
    pub daily: String,
    #[serde(default = "default_weekly")]
    pub weekly: String,
}

impl Default for IorSchedules {
    fn default() -> Self {
        IorSchedules { daily: default_daily(), weekly: default_weekly() }
    }
}

fn default_true() -> bool {
    true
}
fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}
fn default_hts_revision() -> String {
    DEFAULT_HTS_REVISION.to_string()
}
fn default_failure_threshold() -> f64 {
    0.10
}
fn default_timeout() -> u64 {
    30
}
fn default_rate_limit() -> u32 {
    20
}
fn default_page_size() -> usize {
    500
}
fn default_daily() -> String {
    "0 0 5 * * *".to_string()
}
fn default_weekly() -> String {
    "0 0 4 * * Mon".to_string()
}

/// A checked importer-of-record config. Built only by [`RawIorConfig::validate`].
#[derive(Clone, Debug, PartialEq)]
pub struct IorConfig {
    pub tenant_id: TenantId,
    pub raw: RawIorConfig,
}

impl RawIorConfig {
    /// A config with every default, for `tenant` reading SAP at `base_url`, client `client`.
    pub fn new(tenant: &TenantId, base_url: impl Into<String>, client: impl Into<String>) -> RawIorConfig {
        RawIorConfig {
            version: IOR_CONFIG_VERSION,
            tenant_id: tenant.to_string(),
            enabled: true,
            sap: SapSettings { base_url: base_url.into(), client: client.into(), page_size: default_page_size() },
            shadow_mode: true,
            tolerances: empty_object(),
            schedules: IorSchedules::default(),
            hts_revision: default_hts_revision(),
            failure_threshold: default_failure_threshold(),
            timeout_secs: default_timeout(),
            rate_limit_per_sec: default_rate_limit(),
            retry: RetryPolicy::default(),
        }
    }

    /// Checks every field and returns all problems, each a line naming the field.
    pub fn validate(self) -> Result<IorConfig, Vec<String>> {
        let mut problems = Vec::new();
        if self.version != IOR_CONFIG_VERSION {
            problems.push(format!(
                "version: {} is not supported, this build reads version {IOR_CONFIG_VERSION}",
                self.version
            ));
        }
        let tenant_id = TenantId::parse(&self.tenant_id).map_err(|e| problems.push(format!("tenant_id: {e}"))).ok();
        let base_url = &self.sap.base_url;
        let host = base_url.strip_prefix("http://").or_else(|| base_url.strip_prefix("https://"));
        if !host.is_some_and(|host| !host.is_empty() && !host.starts_with('/')) {
            problems.push(format!("sap.base_url: {base_url:?} must be an http:// or https:// URL with a host"));
        }
        let client = self.sap.client.trim();
        if client.len() != 3 || !client.bytes().all(|b| b.is_ascii_digit()) {
            problems
                .push(format!("sap.client: {:?} must be the three-digit sap client, e.g. \"100\"", self.sap.client));
        }
        if !(1..=5_000).contains(&self.sap.page_size) {
            problems.push(format!("sap.page_size: {} must be between 1 and 5000", self.sap.page_size));
        }
        if !self.tolerances.is_object() {
            problems.push("tolerances: must be a json object (use {} for the comparison's defaults)".into());
        }
        for (field, cron) in [("schedules.daily", &self.schedules.daily), ("schedules.weekly", &self.schedules.weekly)]
        {
            if let Err(problem) = lading_core::config::check_cron(cron) {
                problems.push(format!("{field}: {problem}"));
            }
        }
        if !HTS_REVISIONS.contains(&self.hts_revision.as_str()) {
            problems.push(format!(
                "hts_revision: {:?} is not a shipped revision; use one of {}",
                self.hts_revision,
                HTS_REVISIONS.join(", ")
            ));
        }
        if !(0.0..=1.0).contains(&self.failure_threshold) {
            problems.push(format!("failure_threshold: {} must be a share between 0.0 and 1.0", self.failure_threshold));
        }
        if self.timeout_secs == 0 {
            problems.push("timeout_secs: must be at least 1".into());
        }
        if self.rate_limit_per_sec == 0 {
            problems.push("rate_limit_per_sec: must be at least 1".into());
        }
        if let Err(e) = self.retry.validate() {
            problems.push(e);
        }
        match tenant_id {
            Some(tenant_id) if problems.is_empty() => Ok(IorConfig { tenant_id, raw: self }),
            _ => Err(problems),
        }
    }
}

impl IorConfig {
    /// The name of this tenant's SAP secret: `sap-integration/{tenant}/sap`.
    pub fn secret_name(&self) -> String {
        format!("sap-integration/{}/sap", self.tenant_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(value: serde_json::Value) -> Result<RawIorConfig, serde_json::Error> {
        serde_json::from_value(value)
    }

    fn good() -> serde_json::Value {
        json!({"version": 1, "tenant_id": "ergo", "sap": {"base_url": "http://127.0.0.1:1", "client": "100"}})
    }

    #[test]
    fn a_minimal_config_validates_with_defaults() {
        let config = raw(good()).unwrap().validate().unwrap();
        assert_eq!(config.raw.sap.page_size, 500);
        assert!(config.raw.shadow_mode, "a new tenant starts in shadow mode");
        assert_eq!(config.raw.tolerances, json!({}));
        assert_eq!(config.raw.hts_revision, "hts_2026_rev_10");
        assert_eq!(config.raw.schedules.daily.split_whitespace().count(), 6);
        assert_eq!(config.secret_name(), "sap-integration/ergo/sap");
        let round_trip: RawIorConfig = serde_json::from_value(serde_json::to_value(&config.raw).unwrap()).unwrap();
        assert_eq!(round_trip, config.raw);
    }

    #[test]
    fn new_builds_a_valid_config() {
        let tenant = TenantId::parse("ergo").unwrap();
        assert!(RawIorConfig::new(&tenant, "http://sap", "100").validate().is_ok());
    }

    #[test]
    fn unknown_fields_are_rejected_by_name() {
        let mut value = good();
        value["sap"]["pasword"] = json!("x");
        let err = raw(value).unwrap_err().to_string();
        assert!(err.contains("unknown field `pasword`"), "{err}");
    }

    #[test]
    fn every_problem_is_reported() {
        let mut value = good();
        value["tenant_id"] = json!("Ergo");
        value["sap"] = json!({"base_url": "sap.example.com", "client": "1", "page_size": 0});
        value["tolerances"] = json!([1]);
        value["schedules"] = json!({"daily": "daily"});
        value["hts_revision"] = json!("hts_2019");
        value["failure_threshold"] = json!(2.0);
        let problems = raw(value).unwrap().validate().unwrap_err();
        let fields: Vec<&str> = problems.iter().filter_map(|p| p.split(':').next()).collect();
        assert_eq!(
            fields,
            [
                "tenant_id",
                "sap.base_url",
                "sap.client",
                "sap.page_size",
                "tolerances",
                "schedules.daily",
                "hts_revision",
                "failure_threshold"
            ],
            "{problems:#?}"
        );
    }
}
