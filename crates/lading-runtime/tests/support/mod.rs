//! What the reliability tests share: simulators on loopback, tenants with credentials a test
//! can search for, and the truth a run is reconciled against.

#![allow(dead_code)]

use lading_core::config::RawTenantConfig;
use lading_core::secret::{SiesaCredentials, TargetCredentials, TenantSecrets};
use lading_core::{Secret, TenantId};
use lading_runtime::Engine;
use lading_sim::faults::Faults;
use std::collections::{BTreeSet, HashSet};

pub const SEED: u64 = 7;

/// A tenant: its id, its Siesa company and its product type (`kong` or `wms`).
#[derive(Clone, Copy, Debug)]
pub struct Tenant {
    pub id: &'static str,
    pub company: &'static str,
    pub product_type: &'static str,
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub engine: Engine,
    pub siesa: lading_sim::siesa::SiesaSim,
    pub kong: lading_sim::kong::KongSim,
    pub wms: lading_sim::wms::WmsSim,
    pub tenants: Vec<Tenant>,
}

/// The strings that identify a tenant to the outside: searched for in logs and simulators.
pub struct Credentials {
    pub conni_key: String,
    pub conni_token: String,
    pub username: String,
    pub password: String,
}

pub fn credentials(tenant: &str) -> Credentials {
    Credentials {
        conni_key: format!("{tenant}-conni-key"),
        conni_token: format!("{tenant}-conni-token-s3cret"),
        username: format!("{tenant}-user"),
        password: format!("{tenant}-pass-s3cret"),
    }
}

pub fn secrets(tenant: &str) -> TenantSecrets {
    let c = credentials(tenant);
    TenantSecrets {
        siesa: SiesaCredentials { conni_key: Secret::new(c.conni_key), conni_token: Secret::new(c.conni_token) },
        target: TargetCredentials { username: c.username, password: Secret::new(c.password) },
    }
}

pub fn id(tenant: &str) -> TenantId {
    TenantId::parse(tenant).unwrap()
}

/// Starts Siesa (one company per tenant, `items` each), Kong (one account per Kong tenant) and
/// the WMS (one user per WMS tenant), and an embedded engine in a temp directory with the
/// tenants configured: 1 s timeouts, six tries with 5–50 ms backoff.
pub async fn world(tenants: &[Tenant], items: usize) -> World {
    let local: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let companies = tenants
        .iter()
        .map(|t| {
            let c = credentials(t.id);
            lading_sim::siesa::SiesaCompany {
                company_id: t.company.to_string(),
                conni_key: c.conni_key,
                conni_token: c.conni_token,
                items,
            }
        })
        .collect();
    let siesa = lading_sim::siesa::start(
        lading_sim::siesa::SiesaConfig { seed: SEED, companies, faults: Faults::default() },
        local,
    )
    .await
    .unwrap();
    let accounts = tenants
        .iter()
        .filter(|t| t.product_type == "kong")
        .map(|t| {
            let c = credentials(t.id);
            lading_sim::kong::KongAccount { username: c.username, password: c.password, customer_id: t.id.to_string() }
        })
        .collect();
    let kong = lading_sim::kong::start(
        lading_sim::kong::KongConfig { seed: SEED, accounts, faults: Faults::default() },
        local,
    )
    .await
    .unwrap();
    let users = tenants
        .iter()
        .filter(|t| t.product_type == "wms")
        .map(|t| {
            let c = credentials(t.id);
            lading_sim::wms::WmsUser { username: c.username, password: c.password }
        })
        .collect();
    let wms = lading_sim::wms::start(
        lading_sim::wms::WmsConfig { seed: SEED, users, faults: Faults::default(), jwt_secret: "test-secret".into() },
        local,
    )
    .await
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::embedded(dir.path()).unwrap();
    for t in tenants {
        let target = if t.product_type == "kong" { kong.base_url() } else { wms.base_url() };
        let raw: RawTenantConfig = serde_json::from_value(serde_json::json!({
            "version": 1, "tenant_id": t.id, "product_type": t.product_type,
            "mapping_key": format!("field-mappings-{}.json", t.product_type),
            "source": {"kind": "siesa", "base_url": siesa.base_url(), "company_id": t.company},
            "target": {"base_url": target},
            "timeout_secs": 1,
            "retry": {"max_attempts": 6, "initial_backoff_ms": 5, "max_backoff_ms": 50, "backoff_rate": 2.0}
        }))
        .unwrap();
        let config = raw.validate().unwrap();
        engine.state.put_tenant(&config.raw).await.unwrap();
        let secret = serde_json::to_string(&secrets(t.id)).unwrap();
        engine.secrets.put_secret(&config.secret_name(), &Secret::new(secret)).await.unwrap();
    }
    World { dir, engine, siesa, kong, wms, tenants: tenants.to_vec() }
}

impl World {
    pub fn tenant(&self, tenant: &str) -> Tenant {
        *self.tenants.iter().find(|t| t.id == tenant).expect("a tenant of the world")
    }

    /// The records the catalogue plants as invalid: they must be quarantined, never sent.
    pub fn planted_invalid(&self, tenant: &str) -> HashSet<String> {
        self.siesa
            .catalogue(self.tenant(tenant).company)
            .into_iter()
            .filter(|item| item.must_be_quarantined())
            .map(|item| item.f120_id.to_string())
            .collect()
    }

    /// The valid records of a tenant's company, in catalogue order.
    pub fn valid_ids(&self, tenant: &str) -> Vec<String> {
        let invalid = self.planted_invalid(tenant);
        self.siesa
            .catalogue(self.tenant(tenant).company)
            .iter()
            .map(|item| item.f120_id.to_string())
            .filter(|key| !invalid.contains(key))
            .collect()
    }

    /// (external id, name) of every valid record of a tenant's company: what its target
    /// account must hold, and nothing else. Companies share item numbers, not descriptions.
    pub fn expected_records(&self, tenant: &str) -> BTreeSet<(String, String)> {
        self.siesa
            .catalogue(self.tenant(tenant).company)
            .into_iter()
            .filter(|item| !item.must_be_quarantined())
            .map(|item| (item.f120_id.to_string(), item.descripcion.trim().to_string()))
            .collect()
    }

    /// What the tenant's target account holds, as (external id, name), with duplicates kept.
    pub fn target_records(&self, tenant: &str) -> Vec<(String, String)> {
        let t = self.tenant(tenant);
        let user = credentials(tenant).username;
        let records = if t.product_type == "kong" { self.kong.skus(&user) } else { self.wms.products(&user) };
        records
            .iter()
            .map(|r| {
                (
                    r["external_id"].as_str().unwrap_or_default().to_string(),
                    r["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// How many times the tenant's target ever created `external_id`.
    pub fn create_count(&self, tenant: &str, external_id: &str) -> u32 {
        let user = credentials(tenant).username;
        if self.tenant(tenant).product_type == "kong" {
            self.kong.create_count(&user, external_id)
        } else {
            self.wms.create_count(&user, external_id)
        }
    }
}
