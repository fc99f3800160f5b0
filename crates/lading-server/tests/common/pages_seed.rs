//! A server with the data of a working week, made by running the real pipelines against the
//! simulators: a product sync of tenant `t1` (Siesa → Kong) that quarantined the catalogue's
//! planted invalid records and dead-lettered two items Kong refused, a sync that failed (Siesa
//! rejected the query), and an `ior-daily` run of tenant `ergo` against the SAP simulator
//! whose comparison found SAP's planted discrepancies. Two weeks of earlier runs, copied from
//! these with their dates moved back, fill the overview's charts.
//!
//! Include with `#[path = "common/pages_seed.rs"] mod pages_seed;` beside `mod common;`.

#![allow(dead_code)]

use crate::common::TestServer;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use lading_core::config::RawTenantConfig;
use lading_core::retry::RetryPolicy;
use lading_core::secret::{SiesaCredentials, TargetCredentials, TenantSecrets};
use lading_core::{Secret, TenantId};
use lading_runtime::ior::{self, RawIorConfig};
use lading_runtime::ior_daily::IorParams;
use lading_runtime::pipelines::Pipeline;
use lading_runtime::runner::{self, RunOptions};
use lading_sim::faults::Faults;
use lading_sim::siesa::Defect;
use lading_store::{RunRecord, Status};

pub const SYNC_TENANT: &str = "t1";
pub const IOR_TENANT: &str = "ergo";

pub struct Seeded {
    pub server: TestServer,
    pub siesa: lading_sim::siesa::SiesaSim,
    pub kong: lading_sim::kong::KongSim,
    pub sap: lading_sim::sap::SapSim,
    /// The product sync with quarantined records and two dead letters.
    pub sync_run: RunRecord,
    /// The product sync Siesa refused.
    pub failed_run: RunRecord,
    /// The `ior-daily` run whose comparison failed.
    pub ior_run: RunRecord,
}

fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

/// Starts the simulators and a server, and runs the pipelines.
pub async fn seeded_server() -> Seeded {
    let server = TestServer::start().await;
    let engine = server.engine.clone();
    let local: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();

    // Product sync: Siesa company 1 → Kong.
    let siesa = lading_sim::siesa::start(
        lading_sim::siesa::SiesaConfig {
            seed: 7,
            companies: vec![lading_sim::siesa::SiesaCompany {
                company_id: "1".into(),
                conni_key: "t1-key".into(),
                conni_token: "t1-token".into(),
                items: 300,
            }],
            faults: Faults::default(),
        },
        local,
    )
    .await
    .unwrap();
    let kong = lading_sim::kong::start(
        lading_sim::kong::KongConfig {
            seed: 7,
            accounts: vec![lading_sim::kong::KongAccount::new("t1-user", "t1-pass", "t1")],
            faults: Faults::default(),
        },
        local,
    )
    .await
    .unwrap();
    let raw: RawTenantConfig = serde_json::from_value(serde_json::json!({
        "version": 1, "tenant_id": SYNC_TENANT, "product_type": "kong",
        "mapping_key": "field-mappings-kong.json",
        "source": {"kind": "siesa", "base_url": siesa.base_url(), "company_id": "1"},
        "target": {"base_url": kong.base_url()},
        "schedule": "0 0 2 * * *",
        "timeout_secs": 2,
        "retry": {"max_attempts": 2, "initial_backoff_ms": 5, "max_backoff_ms": 20, "backoff_rate": 2.0}
    }))
    .unwrap();
    let config = raw.validate().unwrap();
    engine.state.put_tenant(&config.raw).await.unwrap();
    let secrets = TenantSecrets {
        siesa: SiesaCredentials { conni_key: Secret::new("t1-key"), conni_token: Secret::new("t1-token") },
        target: TargetCredentials { username: "t1-user".into(), password: Secret::new("t1-pass") },
    };
    engine
        .secrets
        .put_secret(&config.secret_name(), &Secret::new(serde_json::to_string(&secrets).unwrap()))
        .await
        .unwrap();

    // Kong refuses two valid items for good: two dead letters; the planted invalid records
    // are quarantined with their reasons.
    let invalid: Vec<String> = siesa
        .catalogue("1")
        .into_iter()
        .filter(|item| item.defects.iter().any(|d| matches!(d, Defect::InvalidEan | Defect::BlankDescription)))
        .map(|item| item.f120_id.to_string())
        .collect();
    let valid: Vec<String> =
        siesa.catalogue("1").iter().map(|i| i.f120_id.to_string()).filter(|k| !invalid.contains(k)).collect();
    kong.set_faults(Faults { fail_items: vec![valid[3].clone(), valid[150].clone()], ..Faults::default() });
    let options = RunOptions { full: false, trigger: "manual".into(), params: None };
    let sync_run = runner::sync(&engine, &tenant(SYNC_TENANT), &options).await.unwrap();
    assert_eq!(sync_run.status, Status::Succeeded, "{:?}", sync_run.error);
    assert!(sync_run.counters.quarantined > 0 && sync_run.counters.failed == 2, "{:?}", sync_run.counters);
    // Kong takes them again, so a replay from the run page delivers.
    kong.set_faults(Faults::default());

    siesa.set_faults(Faults { alerta: Some("La consulta no es valida".into()), ..Faults::default() });
    let failed_run = runner::sync(&engine, &tenant(SYNC_TENANT), &options).await.unwrap();
    assert_eq!(failed_run.status, Status::Failed);
    siesa.set_faults(Faults::default());

    // Importer of record: SAP → customs lines → comparison with SAP's own lines.
    let sap = lading_sim::sap::start(
        lading_sim::sap::SapConfig {
            seed: 42,
            users: vec![lading_sim::sap::SapUser::new("LADING_RFC", "sap-pass", "100")],
            dataset: lading_sim::sap::DatasetSize::Standard,
            ..lading_sim::sap::SapConfig::default()
        },
        local,
    )
    .await
    .unwrap();
    let mut raw = RawIorConfig::new(&tenant(IOR_TENANT), sap.base_url(), "100");
    raw.shadow_mode = false;
    raw.rate_limit_per_sec = 100_000;
    raw.retry = RetryPolicy { max_attempts: 3, initial_backoff_ms: 5, max_backoff_ms: 50, backoff_rate: 2.0 };
    ior::put_config(&engine, raw).await.unwrap();
    let secret = serde_json::json!({"username": "LADING_RFC", "password": "sap-pass"}).to_string();
    engine.secrets.put_secret("sap-integration/ergo/sap", &Secret::new(secret)).await.unwrap();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let params = IorParams {
        run_date: Some(day(2026, 7, 1)),
        window: Some((day(2025, 1, 1), day(2026, 12, 31))),
        all_sources: false,
    };
    let options =
        RunOptions { full: false, trigger: "schedule".into(), params: Some(serde_json::to_value(&params).unwrap()) };
    let run = runner::start_pipeline_run(&engine, Pipeline::IorDaily, &tenant(IOR_TENANT), &options).await.unwrap();
    let ior_run = runner::run_to_end(&engine, &run.run_id, |_| {}).await.unwrap();
    assert_eq!(ior_run.status, Status::Succeeded, "{:?}", ior_run.error);

    backfill_history(&server, &[&sync_run, &failed_run, &ior_run]).await;
    Seeded { server, siesa, kong, sap, sync_run, failed_run, ior_run }
}

/// Thirteen earlier days of runs shaped like `runs` (one sync a day, every third day a failed
/// one too, an `ior-daily` every weekday), so the charts have a fortnight to show.
async fn backfill_history(server: &TestServer, runs: &[&RunRecord]) {
    let [sync, failed, ior] = runs else { panic!("three runs to copy") };
    for days_ago in 1..=13i64 {
        let mut copies = vec![(*sync).clone()];
        if days_ago % 3 == 0 {
            copies.push((*failed).clone());
        }
        if days_ago % 7 != 0 && days_ago % 7 != 1 {
            copies.push((*ior).clone());
        }
        for (i, mut run) in copies.into_iter().enumerate() {
            // Some days the catalogue is larger: every count and the duration scale together.
            let factor = days_ago % 4 + 1;
            let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc);
            let took = run.finished_at.as_deref().map(|end| (at(end) - at(&run.started_at)) * factor as i32);
            let start = at(&run.started_at) - Duration::days(days_ago) - Duration::hours(i as i64 + 1);
            let text = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            run.run_id = uuid::Uuid::now_v7().to_string();
            run.trigger = "schedule".into();
            run.started_at = text(start);
            run.finished_at = took.map(|took| text(start + took));
            let c = &mut run.counters;
            for count in [
                &mut c.extracted,
                &mut c.valid,
                &mut c.quarantined,
                &mut c.created,
                &mut c.updated,
                &mut c.unchanged,
                &mut c.failed,
            ] {
                *count *= factor as u64;
            }
            server.engine.state.put_run(&run).await.unwrap();
        }
    }
}
