//! The IOR flow end to end: real HTTP against the SAP simulator, real SQLite, real objects in a
//! temp directory. Ingest lands every source, the ETL fills every table with what the
//! simulator's dataset says is true, and SAP's failures end in dead letters and alerts.

use chrono::NaiveDate;
use lading_core::retry::RetryPolicy;
use lading_core::{Secret, TenantId};
use lading_customs::etl::transactions::Movement;
use lading_customs::model::{CustomsLine, InvoiceItem, Packaging, Product, TariffRule};
use lading_runtime::Engine;
use lading_runtime::ior::{self, IorError, IorRunOptions, RawIorConfig, Selection};
use lading_runtime::notify::MemoryNotifier;
use lading_sim::faults::Faults;
use lading_sim::sap::{self, DatasetSize, SapConfig, SapQuirks, SapSim, SapUser};
use lading_store::Status;
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::sync::Arc;

const USER: &str = "LADING_RFC";
const PASSWORD: &str = "sap-secret-9d1e";

struct World {
    _dir: tempfile::TempDir,
    engine: Engine,
    alerts: Arc<MemoryNotifier>,
    sim: SapSim,
    tenant: TenantId,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

async fn world_with(faults: Faults, page_size: usize, password: &str) -> World {
    let config = SapConfig {
        seed: 7,
        users: vec![SapUser::new(USER, PASSWORD, "100")],
        faults,
        dataset: DatasetSize::Small,
        ..SapConfig::default()
    };
    let sim = sap::start(config, "127.0.0.1:0".parse().expect("an address")).await.expect("sap simulator starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut engine = Engine::embedded(dir.path()).expect("an embedded engine");
    let alerts = Arc::new(MemoryNotifier::default());
    engine.notifier = alerts.clone();
    let tenant = TenantId::parse("ergo").expect("a tenant id");
    let mut raw = RawIorConfig::new(&tenant, sim.base_url(), "100");
    raw.sap.page_size = page_size;
    raw.timeout_secs = 2;
    raw.rate_limit_per_sec = 100_000;
    raw.retry = RetryPolicy { max_attempts: 4, initial_backoff_ms: 5, max_backoff_ms: 50, backoff_rate: 2.0 };
    ior::put_config(&engine, raw).await.expect("a valid config");
    let secret = serde_json::json!({"username": USER, "password": password}).to_string();
    engine.secrets.put_secret("sap-integration/ergo/sap", &Secret::new(secret)).await.expect("secret stored");
    World { _dir: dir, engine, alerts, sim, tenant }
}

async fn world() -> World {
    world_with(Faults::default(), 500, PASSWORD).await
}

/// Every source, transactions of the whole dataset.
fn everything() -> IorRunOptions {
    IorRunOptions {
        run_date: date(2026, 7, 1),
        selection: Selection::All,
        window: Some((date(2024, 1, 1), date(2026, 12, 31))),
        trigger: "test".into(),
    }
}

async fn table<T: serde::de::DeserializeOwned>(world: &World, name: &str) -> Vec<T> {
    ior::etl::read_table(&world.engine, &world.tenant, name).await.expect("the table reads")
}

fn sorted<T: Clone, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> Vec<T> {
    let mut items = items.to_vec();
    items.sort_by_key(|item| key(item));
    items
}

#[tokio::test]
async fn an_ingest_of_all_seven_sources_lands_raw_objects_and_fills_every_table_with_the_truth() {
    let world = world().await;
    let report = ior::run_ior(&world.engine, &world.tenant, &everything()).await.expect("the run starts");
    assert_eq!(report.run.status, Status::Succeeded, "{:?}", report.run.error);
    assert_eq!(report.run.pipeline, "ior-ingest");
    assert_eq!(report.ingest.sources.len(), 7);

    // Raw landing: pages and a manifest per source, under the run date.
    let keys = world.engine.objects.list("raw/ergo/").await.unwrap();
    for source in [
        "product_weights",
        "units_packaging",
        "material_master",
        "hts_reference",
        "tariff_sequencing",
        "movements",
        "billing",
    ] {
        let prefix = format!("raw/ergo/{source}/2026-07-01/");
        assert!(keys.contains(&format!("{prefix}manifest.json")), "{source}: {keys:?}");
        assert!(keys.iter().any(|k| k.starts_with(&format!("{prefix}page-"))), "{source}: {keys:?}");
    }
    assert!(world.engine.objects.exists(&report.report_key).await.unwrap());

    let truth = world.sim.dataset();
    let products: Vec<Product> = table(&world, "product_master").await;
    let expected = sorted(&truth.product_map().into_values().collect::<Vec<_>>(), |p| p.material.clone());
    assert_eq!(products, expected, "merged, deduplicated, weights in kg, deleted materials out");
    assert_eq!(report.etl.job("product_master").unwrap().excluded, truth.retired.len());

    let packaging: Vec<Packaging> = table(&world, "packaging_materials").await;
    let expected: Vec<Packaging> = truth.packaging.iter().map(|p| p.to_packaging()).collect();
    assert_eq!(
        sorted(&packaging, |p| (p.material.clone(), p.packaging_type.clone())),
        sorted(&expected, |p| (p.material.clone(), p.packaging_type.clone()))
    );

    let rules: Vec<TariffRule> = table(&world, "tariff_sequencing").await;
    assert_eq!(rules.len(), truth.tariff_rules.len());
    for rule in &truth.tariff_rules {
        assert!(rules.contains(rule), "{rule:?} is in the table");
    }

    let hts: Vec<lading_customs::model::HtsEntry> = table(&world, "hts_reference").await;
    let codes: BTreeSet<&str> = hts.iter().map(|e| e.hts10.as_str()).collect();
    let expected: BTreeSet<&str> = truth.hts.iter().map(|e| e.hts10.as_str()).collect();
    assert_eq!(codes, expected);
    for entry in &truth.hts {
        let ours = hts.iter().find(|e| e.hts10 == entry.hts10).unwrap();
        assert_eq!(
            (&ours.general, &ours.units, &ours.chapter99),
            (&entry.general, &entry.units, &entry.chapter99),
            "{}",
            entry.hts10
        );
    }

    let items: Vec<InvoiceItem> = table(&world, "transactions").await;
    let expected = truth.invoice_items();
    assert_eq!(items.len(), expected.len(), "one signed item per billing item");
    for item in &expected {
        let ours = items
            .iter()
            .find(|i| i.invoice == item.invoice && i.invoice_item == item.invoice_item)
            .expect("item present");
        assert_eq!(ours, item, "{} {}", item.invoice, item.invoice_item);
    }

    let movements: Vec<Movement> = table(&world, "movements").await;
    assert_eq!(movements.len(), truth.movements.len());
    let signed: Decimal = truth.movements.iter().map(|m| m.signed_quantity()).sum();
    assert_eq!(movements.iter().map(|m| m.quantity).sum::<Decimal>(), signed, "SHKZG signs");

    let lines: Vec<CustomsLine> = table(&world, "reported_lines").await;
    assert_eq!(lines.len(), truth.customs.reported.len());
    for line in &truth.customs.reported {
        let ours = lines
            .iter()
            .find(|l| l.entry_number == line.entry_number && l.line_number == line.line_number)
            .expect("line present");
        let numbers = |l: &CustomsLine| {
            l.tariffs.iter().map(|t| (t.hts_number.clone(), t.rate_text.clone(), t.duty)).collect::<Vec<_>>()
        };
        assert_eq!(numbers(ours), numbers(line), "{} {}", line.entry_number, line.line_number);
        assert_eq!(
            (ours.part, &ours.origin, &ours.mid, ours.entered_value, ours.mpf, ours.hmf),
            (line.part, &line.origin, &line.mid, line.entered_value, line.mpf, line.hmf)
        );
        assert_eq!(ours.entry_date, line.entry_date);
        assert_eq!(
            (ours.gross_kg, &ours.quantities),
            (line.gross_kg.round(), &line.quantities),
            "report format: 1.040 is 1040"
        );
    }
    assert!(world.alerts.alerts().is_empty(), "a clean dataset raises nothing: {:?}", world.alerts.alerts());
    assert!(world.engine.state.list_quarantine(Some(&world.tenant), None, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn small_pages_give_the_same_tables() {
    let world = world_with(Faults::default(), 9, PASSWORD).await;
    let report = ior::run_ior(&world.engine, &world.tenant, &everything()).await.unwrap();
    assert_eq!(report.run.status, Status::Succeeded, "{:?}", report.run.error);
    let weights = report.ingest.sources.iter().find(|s| s.fm == "ZFMIOR002").unwrap();
    assert!(weights.pages > 10, "read in pages of 9: {weights:?}");
    let products: Vec<Product> = table(&world, "product_master").await;
    assert_eq!(products.len(), world.sim.dataset().products.len());
    let items: Vec<InvoiceItem> = table(&world, "transactions").await;
    assert_eq!(items.len(), world.sim.dataset().invoice_items().len());
    let lines: Vec<CustomsLine> = table(&world, "reported_lines").await;
    assert_eq!(lines.len(), world.sim.dataset().customs.reported.len());
}

#[tokio::test]
async fn plain_numbers_long_material_numbers_and_no_fan_out_give_the_same_tables() {
    let world = world().await;
    world.sim.set_quirks(SapQuirks { matnr_width: 40, report_format: false, one_row_as_object: false, fan_out: false });
    let report = ior::run_ior(&world.engine, &world.tenant, &everything()).await.unwrap();
    assert_eq!(report.run.status, Status::Succeeded, "{:?}", report.run.error);
    assert_eq!(report.etl.job("product_master").unwrap().duplicates, 0);
    let products: Vec<Product> = table(&world, "product_master").await;
    let expected = sorted(&world.sim.dataset().product_map().into_values().collect::<Vec<_>>(), |p| p.material.clone());
    assert_eq!(products, expected);
    let items: Vec<InvoiceItem> = table(&world, "transactions").await;
    for item in world.sim.dataset().invoice_items() {
        assert!(items.contains(&item), "{item:?}");
    }
    let lines: Vec<CustomsLine> = table(&world, "reported_lines").await;
    for line in &world.sim.dataset().customs.reported {
        let ours =
            lines.iter().find(|l| l.entry_number == line.entry_number && l.line_number == line.line_number).unwrap();
        assert_eq!(
            (ours.entered_value, ours.gross_kg, &ours.quantities),
            (line.entered_value, line.gross_kg.round(), &line.quantities)
        );
    }
}

#[tokio::test]
async fn a_daily_run_reads_the_transactions_and_reuses_the_last_master_data() {
    let world = world().await;
    let weekly = IorRunOptions { selection: Selection::Weekly, ..everything() };
    let weekly = ior::run_ior(&world.engine, &world.tenant, &IorRunOptions { run_date: date(2024, 12, 1), ..weekly })
        .await
        .unwrap();
    assert_eq!(weekly.run.pipeline, "ior-ingest-weekly");
    assert_eq!(weekly.ingest.sources.len(), 5);

    let day = world.sim.dataset().billing[0].billing_date;
    let run_date = day.succ_opt().unwrap();
    let daily = ior::run_ior(
        &world.engine,
        &world.tenant,
        &IorRunOptions { trigger: "schedule".into(), ..IorRunOptions::daily(run_date) },
    )
    .await
    .unwrap();
    assert_eq!(daily.run.pipeline, "ior-ingest-daily");
    let fms: Vec<&str> = daily.ingest.sources.iter().map(|s| s.fm.as_str()).collect();
    assert_eq!(fms, ["ZEMM004", "ZSDR002"]);
    let manifest: serde_json::Value =
        world.engine.objects.get_json(daily.ingest.sources[1].manifest.as_ref().unwrap()).await.unwrap();
    let yesterday = day.format("%Y%m%d").to_string();
    assert_eq!(manifest["params"], serde_json::json!({"I_FKDAT_FROM": yesterday, "I_FKDAT_TO": yesterday}));
    let product_job = daily.etl.job("product_master").unwrap();
    assert!(product_job.inputs[0].contains("2024-12-01"), "the weekly landing is reused: {product_job:?}");
    let items: Vec<InvoiceItem> = table(&world, "transactions").await;
    let billed_that_day = world.sim.dataset().billing.iter().filter(|b| b.billing_date == day).count();
    assert_eq!(items.len(), billed_that_day, "the items billed the day before the run");
}

#[tokio::test]
async fn sap_unreachable_leaves_a_dead_letter_and_a_source_down_alert_per_source() {
    let world = world().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut raw = ior::load_config(&world.engine, &world.tenant).await.unwrap().raw;
    raw.sap.base_url = closed;
    ior::put_config(&world.engine, raw).await.unwrap();

    let report = ior::run_ior(&world.engine, &world.tenant, &everything()).await.unwrap();
    assert_eq!(report.run.status, Status::Failed);
    assert_eq!(report.run.failed_step.as_deref(), Some("ingest"));
    assert!(report.run.error.as_deref().unwrap().contains("ZSDR002"), "{:?}", report.run.error);
    assert!(report.etl.jobs.iter().all(|j| j.status == ior::JobStatus::Skipped), "nothing landed: {:?}", report.etl);

    let letters = world.engine.state.list_dead_letters(Some(&world.tenant), 0).await.unwrap();
    assert_eq!(letters.len(), 7);
    let billing = letters.iter().find(|l| l.record_key == "billing/ZSDR002").expect("a dead letter for ZSDR002");
    assert_eq!(billing.payload["fm"], "ZSDR002");
    assert_eq!(billing.payload["params"]["I_FKDAT_FROM"], "20240101");
    assert!(
        billing.error.contains("could not be reached") && billing.error.contains("after 4 attempts"),
        "{}",
        billing.error
    );
    assert_eq!(billing.attempts, 4);

    let down: Vec<_> = world.alerts.alerts().into_iter().filter(|a| a.kind == "source_down").collect();
    assert_eq!(down.len(), 7);
    assert!(down.iter().any(|a| a.message.contains("ZFMIOR002") && a.message.starts_with("tenant ergo:")), "{down:?}");
    assert!(world.alerts.alerts().iter().any(|a| a.kind == "run_failed"));
}

#[tokio::test]
async fn throttling_and_gateway_errors_are_retried_by_the_client() {
    let world =
        world_with(Faults { throttle_after: Some(2), throttle_count: 2, ..Faults::default() }, 500, PASSWORD).await;
    let report = ior::run_ior(&world.engine, &world.tenant, &everything()).await.unwrap();
    assert_eq!(report.run.status, Status::Succeeded, "{:?}", report.run.error);
    world.sim.set_faults(Faults { error_rate: 0.3, ..Faults::default() });
    let report = ior::run_ior(&world.engine, &world.tenant, &everything()).await.unwrap();
    assert_eq!(report.run.status, Status::Succeeded, "502/503 retried: {:?}", report.run.error);
    assert!(world.engine.state.list_dead_letters(Some(&world.tenant), 0).await.unwrap().is_empty());
    let products: Vec<Product> = table(&world, "product_master").await;
    assert_eq!(products.len(), world.sim.dataset().products.len());
}

#[tokio::test]
async fn a_gateway_that_stays_down_dead_letters_after_the_last_retry() {
    let world = world_with(Faults { error_rate: 1.0, ..Faults::default() }, 500, PASSWORD).await;
    let options = IorRunOptions { selection: Selection::Named(vec!["ZTIOR_HTS".into()]), ..everything() };
    let report = ior::run_ior(&world.engine, &world.tenant, &options).await.unwrap();
    assert_eq!(report.run.status, Status::Failed);
    assert_eq!(world.sim.requests(), 4, "one call, four attempts");
    let letters = world.engine.state.list_dead_letters(Some(&world.tenant), 0).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].error.contains("ZTIOR_HTS") || letters[0].error.contains("/sap/rfc/ZTIOR_HTS"),
        "{}",
        letters[0].error
    );
    let alert = world.alerts.alerts().into_iter().find(|a| a.kind == "source_down").expect("source_down");
    assert!(alert.message.contains("ZTIOR_HTS"), "{}", alert.message);
}

#[tokio::test]
async fn a_business_error_in_et_return_is_dead_lettered_with_sap_s_message() {
    let world = world().await;
    let options = IorRunOptions {
        selection: Selection::Daily,
        window: Some((date(2025, 12, 31), date(2025, 1, 1))),
        ..everything()
    };
    let report = ior::run_ior(&world.engine, &world.tenant, &options).await.unwrap();
    assert_eq!(report.run.status, Status::Failed);
    let letters = world.engine.state.list_dead_letters(Some(&world.tenant), 0).await.unwrap();
    assert_eq!(letters.len(), 2, "ZEMM004 and ZSDR002 both refuse the backwards range");
    for letter in &letters {
        assert!(letter.error.contains("answered E message"), "{}", letter.error);
        assert_eq!(letter.attempts, 1, "a business error is not retried");
    }
}

#[tokio::test]
async fn wrong_credentials_are_reported_with_the_secret_to_fix() {
    let world = world_with(Faults::default(), 500, "not-the-password").await;
    let report = ior::run_ior(&world.engine, &world.tenant, &everything()).await.unwrap();
    assert_eq!(report.run.status, Status::Failed);
    let letters = world.engine.state.list_dead_letters(Some(&world.tenant), 0).await.unwrap();
    assert!(letters.iter().all(
        |l| l.error.contains("sap rejected the credentials (401)") && l.error.contains("sap-integration/ergo/sap")
    ));
    assert!(letters.iter().all(|l| !l.error.contains("not-the-password")));
    assert_eq!(world.sim.requests(), 7, "a 401 is not retried");
}

#[tokio::test]
async fn a_run_needs_a_config_a_secret_and_an_enabled_tenant() {
    let world = world().await;
    let other = TenantId::parse("other").unwrap();
    let error = ior::run_ior(&world.engine, &other, &everything()).await.unwrap_err();
    assert!(matches!(error, IorError::NoConfig { .. }), "{error}");
    assert!(error.to_string().starts_with("tenant other: no importer-of-record config"));

    let mut raw = RawIorConfig::new(&other, world.sim.base_url(), "100");
    ior::put_config(&world.engine, raw.clone()).await.unwrap();
    let error = ior::run_ior(&world.engine, &other, &everything()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "tenant other: no secret sap-integration/other/sap; store {\"username\", \"password\"} of the sap user there"
    );

    raw.enabled = false;
    ior::put_config(&world.engine, raw.clone()).await.unwrap();
    assert!(matches!(ior::run_ior(&world.engine, &other, &everything()).await.unwrap_err(), IorError::Disabled { .. }));

    raw.sap.page_size = 0;
    raw.hts_revision = "hts_1999".into();
    let error = ior::put_config(&world.engine, raw).await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("sap.page_size") && text.contains("hts_revision"), "every problem at once: {text}");
}
