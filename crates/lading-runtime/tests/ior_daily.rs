//! The `ior-daily` pipeline end to end against the SAP simulator: ingest → etl → generate →
//! compare → alert finds exactly the discrepancies the simulator planted in SAP's own lines.

use chrono::NaiveDate;
use lading_core::retry::RetryPolicy;
use lading_core::{Secret, TenantId};
use lading_runtime::Engine;
use lading_runtime::ior::{self, RawIorConfig};
use lading_runtime::ior_daily::{COMPARISON_REPORTS, CUSTOMS_LINES, IorParams};
use lading_runtime::notify::MemoryNotifier;
use lading_runtime::pipelines::Pipeline;
use lading_runtime::runner::{self, RunOptions};
use lading_sim::sap::{self, DatasetSize, SapConfig, SapSim, SapUser};
use lading_store::Status;
use std::collections::BTreeSet;
use std::sync::Arc;

struct World {
    _dir: tempfile::TempDir,
    engine: Engine,
    alerts: Arc<MemoryNotifier>,
    sim: SapSim,
    tenant: TenantId,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

async fn world(shadow_mode: bool) -> World {
    let config = SapConfig {
        seed: 42,
        users: vec![SapUser::new("LADING_RFC", "sap-pass", "100")],
        dataset: DatasetSize::Standard,
        ..SapConfig::default()
    };
    let sim = sap::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut engine = Engine::embedded(dir.path()).unwrap();
    let alerts = Arc::new(MemoryNotifier::default());
    engine.notifier = alerts.clone();
    let tenant = TenantId::parse("ergo").unwrap();
    let mut raw = RawIorConfig::new(&tenant, sim.base_url(), "100");
    raw.shadow_mode = shadow_mode;
    raw.rate_limit_per_sec = 100_000;
    raw.retry = RetryPolicy { max_attempts: 3, initial_backoff_ms: 5, max_backoff_ms: 50, backoff_rate: 2.0 };
    ior::put_config(&engine, raw).await.unwrap();
    let secret = serde_json::json!({"username": "LADING_RFC", "password": "sap-pass"}).to_string();
    engine.secrets.put_secret("sap-integration/ergo/sap", &Secret::new(secret)).await.unwrap();
    World { _dir: dir, engine, alerts, sim, tenant }
}

async fn run_daily(world: &World) -> lading_store::RunRecord {
    let params = IorParams {
        run_date: Some(date(2026, 7, 1)),
        window: Some((date(2025, 1, 1), date(2026, 12, 31))),
        all_sources: false,
    };
    let options =
        RunOptions { full: false, trigger: "test".into(), params: Some(serde_json::to_value(&params).unwrap()) };
    let run = runner::start_pipeline_run(&world.engine, Pipeline::IorDaily, &world.tenant, &options).await.unwrap();
    runner::run_to_end(&world.engine, &run.run_id, |_| {}).await.unwrap()
}

/// (entry, line, field, hts number, severity) of every non-matching finding of a report.
fn findings(report: &serde_json::Value) -> BTreeSet<(String, u64, String, Option<String>, String)> {
    let mut found = BTreeSet::new();
    for entry in report["entries"].as_array().unwrap() {
        let number = entry["entry_number"].as_str().unwrap().to_string();
        for pair in entry["pairs"].as_array().unwrap() {
            for diff in pair["differences"].as_array().unwrap() {
                if diff["severity"] != "match" {
                    found.insert((
                        number.clone(),
                        pair["generated_line"].as_u64().unwrap(),
                        diff["field"].as_str().unwrap().to_string(),
                        diff["hts_number"].as_str().map(str::to_string),
                        diff["severity"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
        for side in ["unpaired_generated", "unpaired_reported"] {
            for line in entry[side].as_array().unwrap() {
                found.insert((
                    number.clone(),
                    line["line_number"].as_u64().unwrap(),
                    "line".into(),
                    None,
                    "fail".into(),
                ));
            }
        }
    }
    found
}

#[tokio::test]
async fn the_daily_pipeline_finds_exactly_the_planted_discrepancies_and_alerts() {
    let world = world(false).await;
    let run = run_daily(&world).await;
    assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
    let steps = world.engine.state.list_steps(&run.run_id).await.unwrap();
    assert_eq!(
        steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["ingest", "etl", "generate", "compare", "alert"]
    );
    assert!(run.counters.created > 0, "lines were generated: {:?}", run.counters);
    assert_eq!(run.counters.failed, 0, "every invoice item became a line: {:?}", run.counters);

    let report: serde_json::Value =
        world.engine.objects.get_json(&format!("reports/ergo/{}/comparison.json", run.run_id)).await.unwrap();
    let expected: BTreeSet<_> = world
        .sim
        .planted_discrepancies()
        .into_iter()
        .map(|p| (p.entry_number, u64::from(p.line_number), p.field, p.hts_number, p.severity))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(findings(&report), expected);

    let lines = world.engine.state.get_table(&world.tenant, CUSTOMS_LINES).await.unwrap();
    assert_eq!(lines.len() as u64, run.counters.created);
    let past = world.engine.state.get_table(&world.tenant, COMPARISON_REPORTS).await.unwrap();
    assert_eq!(past.len(), 1);
    assert_eq!(past[0].1["failed"], true);
    let alerts = world.alerts.alerts();
    let alert = alerts.iter().find(|a| a.kind == "comparison_failed").expect("a discrepancy alert");
    assert!(alert.message.contains("ergo") && alert.message.contains("comparison.json"), "{}", alert.message);
}

#[tokio::test]
async fn in_shadow_mode_lines_come_from_the_importers_csvs() {
    let world = world(true).await;
    // Without the importer's files there is nothing to generate from, and the run says so.
    let run = run_daily(&world).await;
    assert_eq!(run.status, Status::Failed);
    let error = run.error.unwrap();
    assert!(error.contains("generate") && error.contains("lading upload"), "{error}");

    for (name, text) in world.sim.dataset().importer_csvs() {
        let table = match name.as_str() {
            "Product_List.csv" => "product_master",
            "HTS_Code.csv" => "hts_reference",
            "HTS Tariff.csv" => "tariff_sequencing",
            "Packaging_Material.csv" => "packaging_materials",
            other => panic!("unexpected file {other}"),
        };
        ior::upload(&world.engine, &world.tenant, table, text.as_bytes()).await.unwrap();
    }
    assert!(!world.engine.state.get_table(&world.tenant, "csv_product_master").await.unwrap().is_empty());
    let run = run_daily(&world).await;
    assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
    let report: serde_json::Value =
        world.engine.objects.get_json(&format!("reports/ergo/{}/comparison.json", run.run_id)).await.unwrap();
    let planted = world.sim.planted_discrepancies().len();
    assert_eq!(findings(&report).len(), planted, "the CSVs hold the same master data as SAP");
}

#[tokio::test]
async fn sap_down_fails_the_run_at_ingest_with_one_dead_letter_and_alert_per_source() {
    let world = world(false).await;
    let mut config = ior::load_config(&world.engine, &world.tenant).await.unwrap();
    config.raw.sap.base_url = "http://127.0.0.1:9".into();
    config.raw.retry = RetryPolicy { max_attempts: 2, initial_backoff_ms: 1, max_backoff_ms: 2, backoff_rate: 2.0 };
    ior::put_config(&world.engine, config.raw).await.unwrap();
    let run = run_daily(&world).await;
    assert_eq!(run.status, Status::Failed);
    assert_eq!(run.failed_step.as_deref(), Some("ingest"));
    let error = run.error.unwrap();
    assert!(error.contains("ergo") && error.contains("ZSDR002"), "{error}");
    let letters = world.engine.state.list_dead_letters(Some(&world.tenant), 0).await.unwrap();
    assert_eq!(letters.len(), 7, "one per source, not one per attempt of the step");
    let down = world.alerts.alerts().iter().filter(|a| a.kind == "source_down").count();
    assert_eq!(down, 7);
    assert!(world.alerts.alerts().iter().any(|a| a.kind == "run_failed"));
    assert!(world.engine.state.get_table(&world.tenant, CUSTOMS_LINES).await.unwrap().is_empty(), "nothing generated");
}
