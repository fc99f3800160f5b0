//! The `ior-daily` pipeline: ingest → etl → generate → compare → alert, as one run the runner
//! steps like any other.
//!
//! - `ingest`: the daily SAP sources (and any weekly source that has never landed) land raw
//!   under `raw/{tenant}/{source}/{date}/…`; a source that still fails after its retries has
//!   left a dead letter and a `source_down` alert, and fails the step.
//! - `etl`: the jobs rebuild the master and transaction tables from the newest landings.
//! - `generate`: customs lines from `transactions` and the master tables — in shadow mode the
//!   master tables loaded from the importer's CSVs (`csv_*`) — into the `customs_lines` table,
//!   items that cannot become a line quarantined with their reason.
//! - `compare`: the generated lines against SAP's own (`reported_lines`) under the tenant's
//!   tolerances; the report at `reports/{tenant}/{run}/comparison.{json,csv}` and a row of
//!   the `comparison_reports` table.
//! - `alert`: a `comparison_failed` alert when any difference fails its tolerance.

use crate::engine::Engine;
use crate::ior::etl::read_table;
use crate::ior::ingest::{IngestOptions, SOURCES, Selection, ingest, latest_manifest};
use crate::ior::{IorError, run_etl, sap_client};
use crate::notify::{Alert, Severity};
use crate::product_sync::{StepFailure, StepOutput};
use chrono::NaiveDate;
use lading_core::TenantId;
use lading_customs::compare::{ComparisonReport, Tolerances, compare};
use lading_customs::config::IorConfig;
use lading_customs::etl as tables;
use lading_customs::generate::{Reference, generate};
use lading_customs::model::{CustomsLine, HtsEntry, InvoiceItem, Packaging, Product, TariffRule};
use lading_store::{Counters, QuarantineEntry, RunRecord, StoreError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const PIPELINE: &str = "ior-daily";
pub const STEPS: [&str; 5] = ["ingest", "etl", "generate", "compare", "alert"];
/// Generated lines, keyed `{entry}/{line:03}`.
pub const CUSTOMS_LINES: &str = "customs_lines";
/// One row per comparison, keyed by run id: the summary and where the full report is.
pub const COMPARISON_REPORTS: &str = "comparison_reports";

/// What a run of the pipeline is for; stored on the run so a resumed run reads the same.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IorParams {
    /// The run's day (the date in raw keys); today when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_date: Option<NaiveDate>,
    /// The billing and movement dates to read; the day before `run_date` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<(NaiveDate, NaiveDate)>,
    /// Read every source, master data included, not only the daily ones.
    #[serde(default)]
    pub all_sources: bool,
}

impl IorParams {
    pub fn from_run(run: &RunRecord) -> Result<IorParams, StepFailure> {
        match &run.params {
            None => Ok(IorParams::default()),
            Some(value) => serde_json::from_value(value.clone()).map_err(|e| StepFailure {
                message: format!("run {}: its parameters do not read ({e}); start a new run", run.run_id),
                retryable: false,
            }),
        }
    }

    fn run_date(&self, run: &RunRecord) -> NaiveDate {
        self.run_date.unwrap_or_else(|| {
            chrono::DateTime::parse_from_rfc3339(&run.started_at)
                .map(|t| t.date_naive())
                .unwrap_or_else(|_| chrono::Utc::now().date_naive())
        })
    }
}

impl From<IorError> for StepFailure {
    fn from(err: IorError) -> StepFailure {
        let retryable = matches!(&err, IorError::Connect(e) if e.is_retryable());
        StepFailure { message: err.to_string(), retryable }
    }
}

fn failure(message: impl Into<String>) -> StepFailure {
    StepFailure { message: message.into(), retryable: false }
}

pub async fn execute(
    engine: &Engine,
    config: &IorConfig,
    run: &RunRecord,
    step: &str,
    previous: &HashMap<String, String>,
) -> Result<StepOutput, StepFailure> {
    let params = IorParams::from_run(run)?;
    match step {
        "ingest" => ingest_step(engine, config, run, &params).await,
        "etl" => etl_step(engine, config, run, &params).await,
        "generate" => generate_step(engine, config, run).await,
        "compare" => compare_step(engine, config, run).await,
        "alert" => alert_step(engine, config, run, previous.get("compare").map(String::as_str)).await,
        other => Err(failure(format!("unknown step {other:?} in pipeline {PIPELINE}"))),
    }
}

async fn ingest_step(
    engine: &Engine,
    config: &IorConfig,
    run: &RunRecord,
    params: &IorParams,
) -> Result<StepOutput, StepFailure> {
    let tenant = &config.tenant_id;
    let run_date = params.run_date(run);
    let selection = if params.all_sources {
        Selection::All
    } else {
        // The daily sources, plus master data that has never landed: a first daily run must
        // have something to build its master tables from.
        let mut names = Vec::new();
        for source in &SOURCES {
            if Selection::Daily.includes(source) || latest_manifest(engine, tenant, source, run_date).await?.is_none() {
                names.push(source.name.to_string());
            }
        }
        Selection::Named(names)
    };
    let client = sap_client(engine, config).await?;
    let options = IngestOptions { run_date, selection, window: params.window };
    let report = ingest(engine, &client, tenant, &run.run_id, &options).await?;
    let failed: Vec<String> = report.failed().iter().map(|s| format!("{} ({})", s.fm, s.source)).collect();
    if !failed.is_empty() {
        return Err(failure(format!(
            "tenant {tenant}: sap sources not read after their retries: {}; each left a dead letter and a source_down alert",
            failed.join(", ")
        )));
    }
    let key = format!("reports/{tenant}/{}/ingest.json", run.run_id);
    engine.objects.put_json(&key, &report).await?;
    let rows: usize = report.sources.iter().flat_map(|s| s.rows.values()).sum();
    Ok(StepOutput { output_ref: key, counters: Counters { extracted: rows as u64, ..Counters::default() } })
}

async fn etl_step(
    engine: &Engine,
    config: &IorConfig,
    run: &RunRecord,
    params: &IorParams,
) -> Result<StepOutput, StepFailure> {
    let report = run_etl(engine, config, &run.run_id, params.run_date(run)).await?;
    let key = format!("reports/{}/{}/etl.json", config.tenant_id, run.run_id);
    engine.objects.put_json(&key, &report).await?;
    let records = report.records() as u64;
    let quarantined = report.quarantined() as u64;
    Ok(StepOutput {
        output_ref: key,
        counters: Counters {
            extracted: records,
            valid: records.saturating_sub(quarantined),
            quarantined,
            ..Counters::default()
        },
    })
}

/// The master table a generation reads: the importer's CSVs (`csv_*`) in shadow mode, else
/// the pipeline's own.
pub fn master_table(config: &IorConfig, table: &str) -> String {
    if config.raw.shadow_mode { format!("csv_{table}") } else { table.to_string() }
}

async fn generate_step(engine: &Engine, config: &IorConfig, run: &RunRecord) -> Result<StepOutput, StepFailure> {
    let tenant = &config.tenant_id;
    let products: Vec<Product> = read_table(engine, tenant, &master_table(config, tables::PRODUCT_MASTER)).await?;
    let packaging: Vec<Packaging> =
        read_table(engine, tenant, &master_table(config, tables::PACKAGING_MATERIALS)).await?;
    let hts: Vec<HtsEntry> = read_table(engine, tenant, &master_table(config, tables::HTS_REFERENCE)).await?;
    let rules: Vec<TariffRule> = read_table(engine, tenant, &master_table(config, tables::TARIFF_SEQUENCING)).await?;
    let items: Vec<InvoiceItem> = read_table(engine, tenant, tables::TRANSACTIONS).await?;
    if products.is_empty() || hts.is_empty() {
        let source = if config.raw.shadow_mode {
            "shadow mode reads the importer's CSVs: load them with `lading upload`"
        } else {
            "run the etl (ingest master data with `lading run ior-daily --all-sources`)"
        };
        return Err(failure(format!("tenant {tenant}: no product master or HTS reference to generate from; {source}")));
    }
    let products: HashMap<String, Product> = products.into_iter().map(|p| (p.material.clone(), p)).collect();
    let mut packaging_by_material: HashMap<String, Vec<Packaging>> = HashMap::new();
    for row in packaging {
        packaging_by_material.entry(row.material.clone()).or_default().push(row);
    }
    let hts: HashMap<String, HtsEntry> = hts.into_iter().map(|h| (h.hts10.clone(), h)).collect();
    // Credit memos and cancellations are dated after their entry: they never make a line.
    let (items, credits): (Vec<InvoiceItem>, Vec<InvoiceItem>) =
        items.into_iter().partition(|i| i.quantity >= Decimal::ZERO && i.value_usd >= Decimal::ZERO);
    let reference = Reference { products: &products, packaging: &packaging_by_material, hts: &hts, rules: &rules };
    let generated = generate(&items, &reference);

    let rows: Vec<(String, serde_json::Value)> = generated
        .lines
        .iter()
        .map(|line| Ok((line_key(line), serde_json::to_value(line).map_err(|e| failure(e.to_string()))?)))
        .collect::<Result<_, StepFailure>>()?;
    engine.state.replace_table(tenant, CUSTOMS_LINES, &rows).await?;
    let now = chrono::Utc::now().to_rfc3339();
    let quarantined: Vec<QuarantineEntry> = generated
        .issues
        .iter()
        .map(|issue| QuarantineEntry {
            tenant_id: tenant.to_string(),
            run_id: run.run_id.clone(),
            pipeline: PIPELINE.into(),
            record_key: format!("{}/{}/{}", issue.entry_number, issue.invoice_item, issue.code),
            reasons: vec![lading_core::Issue::new("invoice_item", issue.code.clone(), issue.message.clone())],
            payload: serde_json::json!({"entry_number": issue.entry_number, "invoice_item": issue.invoice_item, "material": issue.material}),
            created_at: now.clone(),
        })
        .collect();
    engine.state.quarantine(&quarantined).await?;
    let key = format!("reports/{tenant}/{}/generate.json", run.run_id);
    let summary = serde_json::json!({
        "items": items.len(),
        "credits_skipped": credits.len(),
        "lines": generated.lines.len(),
        "issues": generated.issues,
        "shadow_mode": config.raw.shadow_mode,
    });
    engine.objects.put_json(&key, &summary).await?;
    tracing::info!(tenant = %tenant, run_id = %run.run_id, lines = generated.lines.len(), issues = generated.issues.len(), "customs lines generated");
    Ok(StepOutput {
        output_ref: key,
        counters: Counters {
            created: generated.lines.len() as u64,
            failed: generated.issues.len() as u64,
            ..Counters::default()
        },
    })
}

pub fn line_key(line: &CustomsLine) -> String {
    format!("{}/{:03}", line.entry_number, line.line_number)
}

/// The tenant's tolerances: the defaults of customs.md overridden by the config's.
pub fn tolerances(config: &IorConfig) -> Result<Tolerances, StepFailure> {
    Tolerances::default()
        .with_overrides(&config.raw.tolerances)
        .map_err(|e| failure(format!("tenant {}: {e}; fix tolerances in the ior config", config.tenant_id)))
}

async fn compare_step(engine: &Engine, config: &IorConfig, run: &RunRecord) -> Result<StepOutput, StepFailure> {
    let tenant = &config.tenant_id;
    let generated: Vec<CustomsLine> = read_table(engine, tenant, CUSTOMS_LINES).await?;
    let reported: Vec<CustomsLine> = read_table(engine, tenant, tables::REPORTED_LINES).await?;
    let tolerances = tolerances(config)?;
    let report = compare(&generated, &reported, &tolerances);
    let (json_key, _) = store_comparison(engine, tenant, &run.run_id, &report).await?;
    Ok(StepOutput { output_ref: json_key, counters: Counters::default() })
}

/// Keeps a comparison: the report at `reports/{tenant}/{id}/comparison.{json,csv}` and its
/// row, keyed `id`, in [`COMPARISON_REPORTS`]. `id` is the run's, or an ad-hoc comparison's.
/// Returns the key of the JSON report and the row.
pub async fn store_comparison(
    engine: &Engine,
    tenant: &TenantId,
    id: &str,
    report: &ComparisonReport,
) -> Result<(String, serde_json::Value), StoreError> {
    let prefix = format!("reports/{tenant}/{id}");
    let json_key = format!("{prefix}/comparison.json");
    engine.objects.put_json(&json_key, &report.to_json()).await?;
    engine.objects.put(&format!("{prefix}/comparison.csv"), bytes::Bytes::from(report.to_csv())).await?;
    let row = serde_json::json!({
        "run_id": id,
        "compared_at": chrono::Utc::now().to_rfc3339(),
        "failed": report.failed(),
        "summary": report.summary,
        "report": json_key,
    });
    engine.state.upsert_rows(tenant, COMPARISON_REPORTS, &[(id.to_string(), row.clone())]).await?;
    Ok((json_key, row))
}

async fn alert_step(
    engine: &Engine,
    config: &IorConfig,
    run: &RunRecord,
    report_key: Option<&str>,
) -> Result<StepOutput, StepFailure> {
    let key = report_key.ok_or_else(|| failure("the compare step left no report; start a new run"))?;
    let report: serde_json::Value = engine.objects.get_json(key).await?;
    let summary = &report["summary"];
    let failing = summary["differences"]["fail"].as_u64().unwrap_or(0);
    let warning = summary["differences"]["warn"].as_u64().unwrap_or(0);
    if failing > 0 {
        let alert = Alert {
            tenant_id: config.tenant_id.to_string(),
            pipeline: PIPELINE.into(),
            run_id: Some(run.run_id.clone()),
            severity: Severity::Error,
            kind: "comparison_failed".into(),
            message: format!(
                "tenant {}: generated customs lines differ from SAP's: {failing} differences fail, {warning} warn, in {} of {} entries; revenue impact {}; see {key}",
                config.tenant_id,
                summary["entries_failed"].as_u64().unwrap_or(0),
                summary["entries"].as_u64().unwrap_or(0),
                summary["revenue_impact"].as_str().unwrap_or("?"),
            ),
        };
        engine
            .notifier
            .notify(&alert)
            .await
            .map_err(|e| StepFailure { message: format!("alert not delivered: {e}"), retryable: true })?;
    }
    Ok(StepOutput { output_ref: key.to_string(), counters: Counters::default() })
}
