//! Data for the API tests, made through the real code paths: a product sync from the Siesa
//! simulator to the Kong simulator (records quarantined and dead-lettered on the way), and an
//! ior-daily run against the SAP simulator (customs lines, SAP's lines, a comparison report).

#![allow(dead_code)]

use chrono::NaiveDate;
use lading_core::config::RawTenantConfig;
use lading_core::retry::RetryPolicy;
use lading_core::secret::{SiesaCredentials, TargetCredentials, TenantSecrets};
use lading_core::{Secret, TenantId};
use lading_runtime::Engine;
use lading_runtime::ior::{self, RawIorConfig};
use lading_runtime::ior_daily::IorParams;
use lading_runtime::pipelines::Pipeline;
use lading_runtime::runner::{self, RunOptions};
use lading_sim::faults::Faults;
use lading_sim::siesa::Defect;
use lading_store::{RunRecord, Status};

/// The product-sync tenant: Siesa company 1 → Kong.
pub const SYNC_TENANT: &str = "t1";
/// The importer-of-record tenant, against the SAP simulator.
pub const IOR_TENANT: &str = "ergo";

fn local() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

pub struct SyncWorld {
    pub siesa: lading_sim::siesa::SiesaSim,
    pub kong: lading_sim::kong::KongSim,
    /// The seeding run: records quarantined, two dead-lettered.
    pub run: RunRecord,
    /// The record keys Kong refused for good during the seeding run.
    pub dead: Vec<String>,
}

/// The config of tenant `tenant` syncing Siesa at `siesa` to Kong at `kong`.
pub fn tenant_config(tenant: &str, siesa: &str, kong: &str) -> serde_json::Value {
    serde_json::json!({
        "version": 1, "tenant_id": tenant, "product_type": "kong",
        "mapping_key": "field-mappings-kong.json",
        "source": {"kind": "siesa", "base_url": siesa, "company_id": "1"},
        "target": {"base_url": kong},
        "timeout_secs": 2,
        "retry": {"max_attempts": 2, "initial_backoff_ms": 5, "max_backoff_ms": 20, "backoff_rate": 2.0},
        "failure_threshold": 0.5
    })
}

/// Tenant [`SYNC_TENANT`] with its secret, and one full sync of `items` items in which the
/// catalogue's invalid records are quarantined and two valid ones are refused by Kong (dead
/// letters). Kong accepts everything afterwards, so a replay delivers.
pub async fn product_sync(engine: &Engine, items: usize) -> SyncWorld {
    let siesa = lading_sim::siesa::start(
        lading_sim::siesa::SiesaConfig {
            seed: 7,
            companies: vec![lading_sim::siesa::SiesaCompany {
                company_id: "1".into(),
                conni_key: "t1-key".into(),
                conni_token: "t1-token".into(),
                items,
            }],
            faults: Faults::default(),
        },
        local(),
    )
    .await
    .unwrap();
    let kong = lading_sim::kong::start(
        lading_sim::kong::KongConfig {
            seed: 7,
            accounts: vec![lading_sim::kong::KongAccount::new("t1-user", "t1-pass", SYNC_TENANT)],
            faults: Faults::default(),
        },
        local(),
    )
    .await
    .unwrap();
    let raw: RawTenantConfig =
        serde_json::from_value(tenant_config(SYNC_TENANT, &siesa.base_url(), &kong.base_url())).unwrap();
    let config = raw.validate().unwrap();
    engine.state.put_tenant(&config.raw).await.unwrap();
    let secrets = TenantSecrets {
        siesa: SiesaCredentials { conni_key: Secret::new("t1-key"), conni_token: Secret::new("t1-token") },
        target: TargetCredentials { username: "t1-user".into(), password: Secret::new("t1-pass") },
    };
    let secret = serde_json::to_string(&secrets).unwrap();
    engine.secrets.put_secret(&config.secret_name(), &Secret::new(secret)).await.unwrap();

    let valid: Vec<String> = siesa
        .catalogue("1")
        .into_iter()
        .filter(|item| item.defects.iter().all(|d| !matches!(d, Defect::InvalidEan | Defect::BlankDescription)))
        .map(|item| item.f120_id.to_string())
        .collect();
    let dead = vec![valid[1].clone(), valid[2].clone()];
    kong.set_faults(Faults { fail_items: dead.clone(), ..Faults::default() });
    let tenant = TenantId::parse(SYNC_TENANT).unwrap();
    let run =
        runner::sync(engine, &tenant, &RunOptions { full: true, trigger: "seed".into(), params: None }).await.unwrap();
    kong.set_faults(Faults::default());
    assert_eq!(run.status, Status::Succeeded, "the seeding sync: {:?}", run.error);
    assert!(run.counters.quarantined > 0, "the catalogue plants invalid records: {:?}", run.counters);
    assert_eq!(run.counters.failed, 2, "{:?}", run.counters);
    SyncWorld { siesa, kong, run, dead }
}

pub struct IorWorld {
    pub sap: lading_sim::sap::SapSim,
    /// The seeding ior-daily run.
    pub run: RunRecord,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Tenant [`IOR_TENANT`]'s importer-of-record config and SAP secret, and one ior-daily run
/// over the small dataset: generated lines, SAP's lines and a failed comparison (the simulator
/// plants discrepancies).
pub async fn ior_daily(engine: &Engine) -> IorWorld {
    let config = lading_sim::sap::SapConfig {
        seed: 42,
        users: vec![lading_sim::sap::SapUser::new("LADING_RFC", "sap-pass", "100")],
        dataset: lading_sim::sap::DatasetSize::Small,
        ..lading_sim::sap::SapConfig::default()
    };
    let sap = lading_sim::sap::start(config, local()).await.unwrap();
    let tenant = TenantId::parse(IOR_TENANT).unwrap();
    let mut raw = RawIorConfig::new(&tenant, sap.base_url(), "100");
    raw.shadow_mode = false;
    raw.rate_limit_per_sec = 100_000;
    raw.retry = RetryPolicy { max_attempts: 2, initial_backoff_ms: 5, max_backoff_ms: 20, backoff_rate: 2.0 };
    ior::put_config(engine, raw).await.unwrap();
    let secret = serde_json::json!({"username": "LADING_RFC", "password": "sap-pass"}).to_string();
    engine.secrets.put_secret(&format!("sap-integration/{IOR_TENANT}/sap"), &Secret::new(secret)).await.unwrap();
    let params = ior_params();
    let options =
        RunOptions { full: false, trigger: "seed".into(), params: Some(serde_json::to_value(&params).unwrap()) };
    let run = runner::start_pipeline_run(engine, Pipeline::IorDaily, &tenant, &options).await.unwrap();
    let run = runner::run_to_end(engine, &run.run_id, |_| {}).await.unwrap();
    assert_eq!(run.status, Status::Succeeded, "the seeding ior-daily run: {:?}", run.error);
    assert!(run.counters.created > 0, "lines were generated: {:?}", run.counters);
    IorWorld { sap, run }
}

/// The run date and window the seeding run used (the dataset's whole span).
pub fn ior_params() -> IorParams {
    IorParams {
        run_date: Some(date(2026, 7, 1)),
        window: Some((date(2025, 1, 1), date(2026, 12, 31))),
        all_sources: false,
    }
}
