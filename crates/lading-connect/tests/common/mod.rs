//! Helpers the integration tests share: tenants, fast client settings, simulators on loopback.

#![allow(dead_code)]

use lading_connect::{AdapterContext, ClientSettings, HttpClient, SiesaEndpoint, SiesaSource};
use lading_core::TenantId;
use lading_core::retry::RetryPolicy;
use lading_core::secret::{SiesaCredentials, TargetCredentials};
use lading_core::{Secret, TargetRecord};
use lading_sim::faults::Faults;
use lading_sim::siesa::{SiesaCompany, SiesaConfig, SiesaSim};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub fn tenant(name: &str) -> TenantId {
    TenantId::parse(name).expect("test tenant ids are valid")
}

/// Short timeouts and millisecond backoffs, so fault tests run fast.
pub fn fast_settings() -> ClientSettings {
    ClientSettings {
        timeout: Duration::from_millis(2_000),
        connect_timeout: Duration::from_millis(500),
        retry: RetryPolicy { max_attempts: 4, initial_backoff_ms: 5, max_backoff_ms: 50, backoff_rate: 2.0 },
        rate_limit_per_sec: 100_000,
    }
}

pub fn settings_with_attempts(max_attempts: u32) -> ClientSettings {
    ClientSettings { retry: RetryPolicy { max_attempts, ..fast_settings().retry }, ..fast_settings() }
}

pub const SIESA_KEY: &str = "key-acme-8f2a";
pub const SIESA_TOKEN: &str = "token-acme-77c1";

pub async fn siesa_sim(items: usize, faults: Faults) -> SiesaSim {
    let company = SiesaCompany { items, ..SiesaCompany::new("1", SIESA_KEY, SIESA_TOKEN) };
    lading_sim::siesa::start(SiesaConfig { seed: 7, companies: vec![company], faults }, loopback())
        .await
        .expect("siesa simulator starts")
}

pub fn siesa_source(sim: &SiesaSim, tenant_name: &str, page_size: usize, settings: ClientSettings) -> SiesaSource {
    siesa_source_with_keys(sim, tenant_name, page_size, settings, SIESA_KEY, SIESA_TOKEN)
}

pub fn siesa_source_with_keys(
    sim: &SiesaSim,
    tenant_name: &str,
    page_size: usize,
    settings: ClientSettings,
    key: &str,
    token: &str,
) -> SiesaSource {
    let tenant = tenant(tenant_name);
    let client = HttpClient::new(&tenant, "siesa", settings).expect("valid settings");
    let endpoint = SiesaEndpoint {
        base_url: sim.base_url(),
        company_id: "1".into(),
        page_size,
        credentials: SiesaCredentials { conni_key: Secret::new(key), conni_token: Secret::new(token) },
        secret_name: format!("siesa-integration/{tenant_name}/kong"),
    };
    SiesaSource::new(client, endpoint).expect("valid endpoint")
}

pub fn adapter_context(
    tenant_name: &str,
    base_url: String,
    username: &str,
    password: &str,
    settings: ClientSettings,
) -> AdapterContext {
    AdapterContext {
        tenant: tenant(tenant_name),
        base_url,
        credentials: TargetCredentials { username: username.into(), password: Secret::new(password) },
        settings,
    }
}

/// `count` valid records for Kong and the WMS: `{prefix}-{n}` with a name and a reference.
pub fn records(prefix: &str, count: usize) -> Vec<TargetRecord> {
    (0..count)
        .map(|n| {
            let fields = json!({
                "name": format!("Item {n}"),
                "reference": format!("REF-{n:06}"),
                "properties": {"COLOR": "NEGRO"},
            });
            TargetRecord {
                external_id: format!("{prefix}-{n}"),
                fields: fields.as_object().cloned().unwrap_or_default(),
            }
        })
        .collect()
}
