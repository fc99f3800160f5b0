//! The manual fallback and the shadow comparison: the importer's CSV files (as the SAP
//! simulator writes them from its dataset) loaded through the same validation as SAP's data,
//! malformed files refused with row and column, bad records quarantined with their reasons,
//! and the pipeline's tables proven equal to the files.

use chrono::NaiveDate;
use lading_core::retry::RetryPolicy;
use lading_core::{Secret, TenantId};
use lading_customs::model::{InvoiceItem, Packaging, Product};
use lading_runtime::Engine;
use lading_runtime::ior::ingest::Manifest;
use lading_runtime::ior::{self, IorError, IorRunOptions, RawIorConfig, Selection};
use lading_runtime::notify::MemoryNotifier;
use lading_sim::sap::{self, DatasetSize, SapConfig, SapSim, SapUser};
use lading_store::Status;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

struct World {
    _dir: tempfile::TempDir,
    engine: Engine,
    alerts: Arc<MemoryNotifier>,
    tenant: TenantId,
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut engine = Engine::embedded(dir.path()).expect("an embedded engine");
    let alerts = Arc::new(MemoryNotifier::default());
    engine.notifier = alerts.clone();
    World { _dir: dir, engine, alerts, tenant: TenantId::parse("ergo").expect("a tenant id") }
}

async fn sim() -> SapSim {
    let config = SapConfig {
        seed: 7,
        users: vec![SapUser::new("LADING_RFC", "pw-1", "100")],
        dataset: DatasetSize::Small,
        ..SapConfig::default()
    };
    sap::start(config, "127.0.0.1:0".parse().expect("an address")).await.expect("sap simulator starts")
}

/// The simulator's four CSV files by name.
fn csvs(sim: &SapSim) -> BTreeMap<String, String> {
    sim.dataset().importer_csvs().into_iter().collect()
}

fn files(csvs: &BTreeMap<String, String>) -> Vec<(String, Vec<u8>)> {
    csvs.iter().map(|(name, text)| (name.clone(), text.clone().into_bytes())).collect()
}

async fn upload_all(world: &World, csvs: &BTreeMap<String, String>) {
    for (table, file) in [
        ("product_master", "Product_List.csv"),
        ("hts_reference", "HTS_Code.csv"),
        ("tariff_sequencing", "HTS Tariff.csv"),
        ("packaging_materials", "Packaging_Material.csv"),
    ] {
        let report =
            ior::upload(&world.engine, &world.tenant, table, csvs[file].as_bytes()).await.expect("the upload runs");
        assert!(report.quarantined.is_empty(), "{file}: {:?}", report.quarantined);
        assert_eq!(report.rows_written, report.records, "{file}");
    }
}

#[tokio::test]
async fn the_importers_csv_files_load_every_master_table_without_sap() {
    let sim = sim().await;
    let world = world();
    upload_all(&world, &csvs(&sim)).await;
    let truth = sim.dataset();
    let products: Vec<Product> = ior::etl::read_table(&world.engine, &world.tenant, "product_master").await.unwrap();
    assert_eq!(products.len(), truth.products.len());
    let truth_products = truth.product_map();
    for product in &products {
        let expected = &truth_products[&product.material];
        assert_eq!(
            (&product.hts10, &product.origin, &product.mid, &product.base_unit),
            (&expected.hts10, &expected.origin, &expected.mid, &expected.base_unit)
        );
        assert!(
            (product.gross_kg_per_unit - expected.gross_kg_per_unit).abs() <= rust_decimal::Decimal::new(5, 4),
            "kg to the gram"
        );
    }
    let packaging: Vec<Packaging> =
        ior::etl::read_table(&world.engine, &world.tenant, "packaging_materials").await.unwrap();
    assert_eq!(packaging.len(), truth.packaging.len());
    let hts = world.engine.state.get_table(&world.tenant, "hts_reference").await.unwrap();
    assert_eq!(hts.len(), truth.hts.len());
    let rules = world.engine.state.get_table(&world.tenant, "tariff_sequencing").await.unwrap();
    assert_eq!(rules.len(), truth.tariff_rules.len());
    let runs = world
        .engine
        .state
        .list_runs(&lading_store::RunFilter { tenant_id: Some("ergo".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(runs.len(), 4, "each upload is a recorded run");
    assert!(runs.iter().all(|r| r.pipeline == "ior-upload" && r.status == Status::Succeeded));
}

#[tokio::test]
async fn shadow_validation_reaches_100_percent_on_the_sims_files_and_finds_a_changed_value() {
    let sim = sim().await;
    let world = world();
    let mut raw = RawIorConfig::new(&world.tenant, sim.base_url(), "100");
    raw.rate_limit_per_sec = 100_000;
    raw.retry = RetryPolicy { max_attempts: 3, initial_backoff_ms: 5, max_backoff_ms: 20, backoff_rate: 2.0 };
    ior::put_config(&world.engine, raw).await.unwrap();
    world
        .engine
        .secrets
        .put_secret("sap-integration/ergo/sap", &Secret::new(r#"{"username":"LADING_RFC","password":"pw-1"}"#))
        .await
        .unwrap();
    let options = IorRunOptions {
        selection: Selection::Weekly,
        ..IorRunOptions::all(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap())
    };
    let run = ior::run_ior(&world.engine, &world.tenant, &options).await.unwrap();
    assert_eq!(run.run.status, Status::Succeeded, "{:?}", run.run.error);

    let mut csvs = csvs(&sim);
    csvs.insert("README.txt".into(), "not a table".into());
    let report = ior::validate_against(&world.engine, &world.tenant, files(&csvs)).await.unwrap();
    assert_eq!(report.tables.len(), 4);
    for table in &report.tables {
        assert_eq!(table.match_percent, 100.0, "{}: {:?}", table.table, table.differences);
        assert!(table.pipeline_rows > 0 && table.pipeline_rows == table.csv_rows, "{table:?}");
    }
    assert!(report.is_full_match());
    assert_eq!(report.ignored_files, ["README.txt"]);

    // One weight changed by hand, one tariff rate: both found, with both values.
    let product = &sim.dataset().products[0];
    let products = csvs["Product_List.csv"].clone();
    let mut lines: Vec<String> = products.lines().map(str::to_string).collect();
    let index =
        lines.iter().position(|l| l.starts_with(&format!("{},", product.material))).expect("the product's line");
    let mut fields: Vec<String> = lines[index].split(',').map(str::to_string).collect();
    let gross = fields.len() - 1;
    fields[gross] = "999.5".into();
    lines[index] = fields.join(",");
    csvs.insert("Product_List.csv".into(), lines.join("\r\n"));
    let tariff = csvs["HTS Tariff.csv"].replacen(",25,FULL,", ",26,FULL,", 1);
    assert_ne!(tariff, csvs["HTS Tariff.csv"]);
    csvs.insert("HTS Tariff.csv".into(), tariff);
    let report = ior::validate_against(&world.engine, &world.tenant, files(&csvs)).await.unwrap();
    assert!(!report.is_full_match());
    let products = report.table("product_master").unwrap();
    assert!(products.match_percent < 100.0 && products.match_percent > 90.0, "{}", products.match_percent);
    assert_eq!(products.differing, 1);
    let difference = &products.differences[0];
    assert_eq!((difference.key.as_str(), difference.field.as_str()), (product.material.as_str(), "gross_kg_per_unit"));
    assert_eq!(difference.csv, json!("999.5"));
    let rules = report.table("tariff_sequencing").unwrap();
    assert_eq!(rules.differing, 1);
    assert_eq!(rules.differences[0].field, "rate_percent");
    assert_eq!(report.table("hts_reference").unwrap().match_percent, 100.0);
}

#[tokio::test]
async fn a_malformed_csv_fails_with_its_row_and_column_and_writes_nothing() {
    let world = world();
    let csv = "Material,Packaging Type,KG per Unit,Units per Pack\r\n300101,CARTON,3.2,1\r\n300102,PALLET,1.25\r\n";
    let error = ior::upload(&world.engine, &world.tenant, "packaging_materials", csv.as_bytes()).await.unwrap_err();
    assert!(matches!(error, IorError::Csv { .. }));
    assert_eq!(
        error.to_string(),
        "tenant ergo: Packaging_Material.csv row 3, column 4: the row has 3 fields but the header has 4: check for a missing field or an unquoted comma; fix the file and upload it again"
    );
    assert!(world.engine.state.get_table(&world.tenant, "packaging_materials").await.unwrap().is_empty());

    let error = ior::upload(&world.engine, &world.tenant, "product_master", b"Material,HTS\r\n1,9403.20.00.35\r\n")
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("Product_List.csv row 1, column origin: the header has no column \"origin\""),
        "{error}"
    );
    let all_bad = "Material,Packaging Type,KG per Unit\r\n300101,CARTON,-1\r\n";
    let report = ior::upload(&world.engine, &world.tenant, "packaging_materials", all_bad.as_bytes()).await.unwrap();
    assert_eq!((report.rows_written, report.quarantined.len()), (0, 1));
    let error = ior::upload(&world.engine, &world.tenant, "transactions", b"x").await.unwrap_err();
    assert!(matches!(error, IorError::UnknownTable { .. }), "{error}");
}

fn reasons(report: &ior::UploadReport) -> Vec<String> {
    report
        .quarantined
        .iter()
        .flat_map(|p| p.reasons.iter().map(move |r| format!("{} {}:{}", p.key, r.field, r.code)))
        .collect()
}

#[tokio::test]
async fn bad_master_records_are_quarantined_with_their_reasons() {
    let world = world();
    let products = "Material,Description,HTS,Country of Origin,MID,Unit,Net Weight KG,Gross Weight KG\r\n\
        300101,ADJ BASE QN,9403.20.00.35,CN,CNNINKAI1888NIN,pieces,40,46.5\r\n\
        300102,UNKNOWN HTS,9403.20.00.99,CN,CNNINKAI1888NIN,pieces,40,46.5\r\n\
        300103,RATE LINE,9403.20.00.00,CN,CNNINKAI1888NIN,pieces,40,46.5\r\n\
        300104,NO WEIGHT,9403.20.00.35,CN,CNNINKAI1888NIN,pieces,0.000,0.000\r\n\
        300105,NO ORIGIN,9403.20.00.35,,CNNINKAI1888NIN,pieces,40,46.5\r\n";
    let report = ior::upload(&world.engine, &world.tenant, "product_master", products.as_bytes()).await.unwrap();
    assert_eq!(report.rows_written, 1);
    assert_eq!(
        reasons(&report),
        [
            "300102 hts:hts_unknown",
            "300103 hts:hts_not_leaf",
            "300104 gross_kg:weight_not_maintained",
            "300104 net_kg:weight_not_maintained",
            "300105 origin:missing",
        ]
    );
    assert_eq!(report.quarantined[0].row, Some(3), "the CSV row of the record");
    let quarantine = world.engine.state.list_quarantine(Some(&world.tenant), Some(&report.run_id), 0).await.unwrap();
    assert_eq!(quarantine.len(), 4);
    assert!(quarantine.iter().any(|q| q.record_key == "product_master/300102"
        && q.reasons[0].message.contains("does not exist in the hts revision")));
    let alert = world.alerts.alerts().into_iter().find(|a| a.kind == "records_quarantined").expect("a quality alert");
    assert!(
        alert
            .message
            .starts_with("tenant ergo: ior job product_master from Product_List.csv quarantined 4 of 5 records"),
        "{}",
        alert.message
    );

    let tariff = "Chapter 99,Programme,Rank,Rate %,Basis,HTS Prefixes,Origins,Excluded Origins,Effective From,Effective To,Displaces,Claim Code,Metal Split\r\n\
        9903.88.03,301,10,25,FULL,9403,CN,,2019-05-10,,,,N\r\n\
        9903.88.03,301,10,30,FULL,94032000,CN,,2025-01-01,,,,N\r\n\
        9903.01.25,IEEPA_RECIPROCAL,30,10,FULL,,,CA MX,2025-04-05,2026-02-23,,,N\r\n";
    let report = ior::upload(&world.engine, &world.tenant, "tariff_sequencing", tariff.as_bytes()).await.unwrap();
    assert_eq!(report.rows_written, 1);
    assert_eq!(reasons(&report).len(), 2);
    assert!(reasons(&report).iter().all(|r| r.ends_with("effective_from:overlapping_rules")), "{:?}", reasons(&report));

    let packaging =
        "Material,Packaging Type,KG per Unit,Units per Pack\r\n300101,CARTON,3.2,1\r\n300101,PALLET,1.25,0\r\n";
    let report = ior::upload(&world.engine, &world.tenant, "packaging_materials", packaging.as_bytes()).await.unwrap();
    assert_eq!(reasons(&report), ["300101|PALLET units_per_pack:no_conversion"]);

    let hts = "HTS,Description,Unit,General Rate,Chapter 99\r\n9403.20.00.35,BASE,kg,Free,9903.88.03\r\n9404.21.00.13,MATTRESS,No.,3%,9903.88.03\r\n";
    let report = ior::upload(&world.engine, &world.tenant, "hts_reference", hts.as_bytes()).await.unwrap();
    assert_eq!(reasons(&report), ["9403.20.00.35 unit:unit_mismatch"]);
    assert_eq!(report.rows_written, 2, "the product's number still comes from the usitc revision");
}

/// Lands one page of ZSDR002 rows for `date` as the ingest would.
async fn land_billing(world: &World, date: NaiveDate, rows: serde_json::Value) {
    let prefix = format!("raw/ergo/billing/{date}");
    let page = json!({"E_TOTAL": rows.as_array().map_or(0, Vec::len).to_string(), "ET_BILLING": rows, "ET_CUSTOMS": [], "ET_RETURN": []});
    world.engine.objects.put_json(&format!("{prefix}/page-00001.json"), &page).await.unwrap();
    let manifest = Manifest {
        source: "billing".into(),
        fm: "ZSDR002".into(),
        run_id: "test".into(),
        run_date: date,
        landed_at: "2026-01-01T00:00:00Z".into(),
        params: serde_json::Map::new(),
        pages: vec![format!("{prefix}/page-00001.json")],
        rows: [("ET_BILLING".to_string(), 0), ("ET_CUSTOMS".to_string(), 0)].into_iter().collect(),
        total: None,
        messages: Vec::new(),
    };
    world.engine.objects.put_json(&format!("{prefix}/manifest.json"), &manifest).await.unwrap();
}

#[tokio::test]
async fn transactions_for_unknown_materials_or_without_a_rate_are_quarantined() {
    let world = world();
    let products = "Material,HTS,Country of Origin,MID,Unit,Net Weight KG,Gross Weight KG\r\n300101,9403.20.00.35,CN,CNNINKAI1888NIN,pieces,40,46.5\r\n";
    ior::upload(&world.engine, &world.tenant, "product_master", products.as_bytes()).await.unwrap();
    let config =
        ior::put_config(&world.engine, RawIorConfig::new(&world.tenant, "http://127.0.0.1:9", "100")).await.unwrap();
    let item = json!({"VBELN": "0090000101", "POSNR": "000010", "VBTYP": "M", "MATNR": "000000000000300101", "FKIMG": "2,000",
        "VRKME": "ST", "NETWR": "1.000,00", "WAERK": "USD", "KURRF": "1,00000", "ZZENTRY": "LD700012345", "ZZENTRY_DATE": "20251020",
        "ZZMOT": "10", "ZZHERKL": "CN", "ZZMID": "CNNINKAI1888NIN", "ZZMETAL_VAL": "0,00", "ZZCHARGES": "0,00"});
    let mut unknown = item.clone();
    unknown["POSNR"] = json!("000020");
    unknown["MATNR"] = json!("000000000000999999");
    let mut no_rate = item.clone();
    no_rate["POSNR"] = json!("000030");
    no_rate["WAERK"] = json!("CNY");
    no_rate["KURRF"] = json!("");
    let date = NaiveDate::from_ymd_opt(2025, 10, 21).unwrap();
    land_billing(&world, date, json!([item, unknown, no_rate])).await;

    let report = ior::run_etl(&world.engine, &config, "run-1", date).await.unwrap();
    let job = report.job("transactions").unwrap();
    assert_eq!((job.status, job.quarantined), (ior::JobStatus::Done, 2));
    assert_eq!(
        report.job("product_master").unwrap().status,
        ior::JobStatus::Skipped,
        "no sap landing: the uploaded table stays"
    );
    let items: Vec<InvoiceItem> = ior::etl::read_table(&world.engine, &world.tenant, "transactions").await.unwrap();
    assert_eq!(items.len(), 1);
    let quarantine = world.engine.state.list_quarantine(Some(&world.tenant), Some("run-1"), 0).await.unwrap();
    let mut found: Vec<(String, String)> =
        quarantine.iter().map(|q| (q.record_key.clone(), q.reasons[0].code.clone())).collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("transactions/0090000101|000020".to_string(), "unknown_material".to_string()),
            ("transactions/0090000101|000030".into(), "missing_rate".into()),
        ]
    );
    assert!(
        world
            .alerts
            .alerts()
            .iter()
            .any(|a| a.kind == "records_quarantined" && a.message.contains("ior job transactions"))
    );
}
