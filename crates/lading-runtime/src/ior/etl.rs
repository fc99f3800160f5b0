//! The ETL jobs of the IOR flow, wired: raw landings in, state tables out, bad records
//! quarantined with every reason.
//!
//! Jobs run in dependency order, each reading the newest complete landing of its sources
//! (see [`super::ingest::latest_manifest`]) and the tables written before it:
//!
//! | job | reads | writes |
//! |---|---|---|
//! | `product_master` | ZFMIOR002, ZEMM005, the HTS revision | `product_master` |
//! | `hts_reference` | ZTIOR_HTS, `product_master`, the HTS revision | `hts_reference` |
//! | `tariff_sequencing` | ZTIOR_TARIFF | `tariff_sequencing` |
//! | `packaging_materials` | ZFMIOR003 | `packaging_materials`, `unit_conversions` |
//! | `transactions` | ZSDR002, `product_master`, `unit_conversions`, `tariff_sequencing` | `transactions`, `reported_lines` |
//! | `movements` | ZEMM004, `product_master` | `movements` |
//!
//! A job whose landing is missing is skipped and its tables keep their last content. A job
//! that quarantines raises one `records_quarantined` warning. Tables are replaced in one
//! transaction, so a reader never sees half a job.

use super::ingest::{self, Manifest};
use super::{IorError, PIPELINE};
use crate::engine::Engine;
use crate::notify::{Alert, Severity};
use chrono::NaiveDate;
use lading_connect::sources::sap::rows_of;
use lading_core::TenantId;
use lading_customs::config::IorConfig;
use lading_customs::etl::csv_files::{ImporterFile, row_number};
use lading_customs::etl::packaging::UnitConversion;
use lading_customs::etl::transactions::MasterData;
use lading_customs::etl::{self, HtsCatalog, JobOutput, Row};
use lading_customs::hts::HtsReference;
use lading_customs::model::{Product, TariffRule};
use lading_store::QuarantineEntry;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How a job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Done,
    /// A landing it needs is missing: its tables were left as they were.
    Skipped,
}

/// What one job did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobReport {
    pub job: String,
    pub status: JobStatus,
    /// The tables written, with their row counts.
    pub tables: BTreeMap<String, usize>,
    /// Records read: written, quarantined and excluded.
    pub records: usize,
    pub quarantined: usize,
    /// Deliberately left out (materials flagged for deletion).
    pub excluded: usize,
    /// Rows merged into another with the same key.
    pub duplicates: usize,
    /// The manifests (or files) read.
    pub inputs: Vec<String>,
    /// Why a job was skipped.
    pub note: Option<String>,
}

impl JobReport {
    fn skipped(job: &str, note: String) -> JobReport {
        JobReport {
            job: job.into(),
            status: JobStatus::Skipped,
            tables: BTreeMap::new(),
            records: 0,
            quarantined: 0,
            excluded: 0,
            duplicates: 0,
            inputs: Vec::new(),
            note: Some(note),
        }
    }
}

/// What one ETL run did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EtlReport {
    pub jobs: Vec<JobReport>,
}

impl EtlReport {
    pub fn records(&self) -> usize {
        self.jobs.iter().map(|j| j.records).sum()
    }

    pub fn quarantined(&self) -> usize {
        self.jobs.iter().map(|j| j.quarantined).sum()
    }

    pub fn job(&self, name: &str) -> Option<&JobReport> {
        self.jobs.iter().find(|j| j.job == name)
    }
}

/// The tenant's HTS revision, parsed (once per process).
pub fn hts_reference(config: &IorConfig) -> Result<Arc<HtsReference>, IorError> {
    super::hts::reference(&config.raw.hts_revision).map_err(|message| IorError::Hts {
        tenant: config.tenant_id.to_string(),
        revision: config.raw.hts_revision.clone(),
        message,
    })
}

/// The rows of each table of one landing.
async fn landed_rows(
    engine: &Engine,
    tenant: &TenantId,
    manifest: &Manifest,
) -> Result<BTreeMap<String, Vec<Row>>, IorError> {
    let mut tables: BTreeMap<String, Vec<Row>> = manifest.rows.keys().map(|t| (t.clone(), Vec::new())).collect();
    for key in &manifest.pages {
        let body = engine.objects.get(key).await?;
        let answer: serde_json::Value = serde_json::from_slice(&body).map_err(|e| IorError::Corrupt {
            tenant: tenant.to_string(),
            message: format!("raw page {key} is not json ({e}): run the ingest of {} again", manifest.source),
        })?;
        for (table, rows) in tables.iter_mut() {
            rows.extend(rows_of(&answer, table).map_err(|e| IorError::Corrupt {
                tenant: tenant.to_string(),
                message: format!("raw page {key}: {e}: run the ingest of {} again", manifest.source),
            })?);
        }
    }
    Ok(tables)
}

/// The landed tables of a source for `run_date`, with the manifest key; `None` if never landed.
async fn source_rows(
    engine: &Engine,
    tenant: &TenantId,
    source: &str,
    run_date: NaiveDate,
) -> Result<Option<(String, BTreeMap<String, Vec<Row>>)>, IorError> {
    let Some(source) = ingest::source(source) else {
        return Ok(None);
    };
    match ingest::latest_manifest(engine, tenant, source, run_date).await? {
        Some((key, manifest)) => Ok(Some((key, landed_rows(engine, tenant, &manifest).await?))),
        None => Ok(None),
    }
}

fn missing(source: &str, run_date: NaiveDate) -> String {
    let cadence = ingest::source(source).map(|s| s.cadence);
    match cadence {
        Some(ingest::Cadence::Daily) => format!("no landing of {source} for {run_date}: ingest it first"),
        _ => format!("no landing of {source} on or before {run_date}: ingest it first"),
    }
}

/// A table as stored, read back into its model type.
pub async fn read_table<T: DeserializeOwned>(
    engine: &Engine,
    tenant: &TenantId,
    table: &str,
) -> Result<Vec<T>, IorError> {
    engine
        .state
        .get_table(tenant, table)
        .await?
        .into_iter()
        .map(|(key, value)| {
            serde_json::from_value(value).map_err(|e| IorError::Corrupt {
                tenant: tenant.to_string(),
                message: format!("row {key} of table {table} does not read ({e}): run its job again"),
            })
        })
        .collect()
}

/// Where a job's output goes: the run, the job's name, and the CSV file it came from (whose
/// column names then replace SAP's in the reasons).
pub(crate) struct Sink<'a> {
    pub engine: &'a Engine,
    pub tenant: &'a TenantId,
    pub run_id: &'a str,
    pub job: &'a str,
    pub file: Option<ImporterFile>,
}

impl Sink<'_> {
    /// Replaces `table` with the output's rows and quarantines its rejected records.
    pub(crate) async fn write<T: Serialize>(&self, table: &str, output: &JobOutput<T>) -> Result<(), IorError> {
        self.engine.state.replace_table(self.tenant, table, &output.table_rows()).await?;
        self.quarantine(output).await
    }

    /// Quarantines a job's rejected records (keyed `{job}/{key}`) and raises one alert.
    pub(crate) async fn quarantine<T>(&self, output: &JobOutput<T>) -> Result<(), IorError> {
        if output.rejected.is_empty() {
            return Ok(());
        }
        let now = chrono::Utc::now().to_rfc3339();
        let entries: Vec<QuarantineEntry> = output
            .rejected
            .iter()
            .map(|rejected| {
                let reasons = match self.file {
                    Some(file) => file.rename_issues(rejected.reasons.clone()),
                    None => rejected.reasons.clone(),
                };
                QuarantineEntry {
                    tenant_id: self.tenant.to_string(),
                    run_id: self.run_id.into(),
                    pipeline: PIPELINE.into(),
                    record_key: format!("{}/{}", self.job, rejected.key),
                    reasons,
                    payload: rejected.record.clone(),
                    created_at: now.clone(),
                }
            })
            .collect();
        self.engine.state.quarantine(&entries).await?;
        let first = &entries[0];
        let first_reason = first.reasons.first().map(|r| format!("{}: {}", r.field, r.message)).unwrap_or_default();
        let source = self.file.map_or_else(String::new, |file| format!(" from {}", file.file_name()));
        let alert = Alert {
            tenant_id: self.tenant.to_string(),
            pipeline: PIPELINE.into(),
            run_id: Some(self.run_id.into()),
            severity: Severity::Warning,
            kind: "records_quarantined".into(),
            message: format!(
                "tenant {}: ior job {}{source} quarantined {} of {} records (first: {} — {first_reason}); see `lading quarantine list --run {}`",
                self.tenant,
                self.job,
                entries.len(),
                output.records(),
                first.record_key,
                self.run_id
            ),
        };
        if let Err(e) = self.engine.notifier.notify(&alert).await {
            tracing::warn!(tenant = %self.tenant, "alert not delivered: {e}");
        }
        Ok(())
    }
}

fn done<T>(job: &str, tables: &[(&str, usize)], output: &JobOutput<T>, inputs: Vec<String>) -> JobReport {
    JobReport {
        job: job.into(),
        status: JobStatus::Done,
        tables: tables.iter().map(|(t, n)| (t.to_string(), *n)).collect(),
        records: output.records(),
        quarantined: output.rejected.len(),
        excluded: output.excluded.len(),
        duplicates: output.duplicates,
        inputs,
        note: None,
    }
}

/// Runs every job for `run_date` on the newest landings.
pub async fn run_etl(
    engine: &Engine,
    config: &IorConfig,
    run_id: &str,
    run_date: NaiveDate,
) -> Result<EtlReport, IorError> {
    let tenant = &config.tenant_id;
    let reference = hts_reference(config)?;
    let catalog: &dyn HtsCatalog = reference.as_ref();
    let sink = |job: &'static str| Sink { engine, tenant, run_id, job, file: None };
    let mut report = EtlReport::default();

    // product_master
    let weights = source_rows(engine, tenant, "product_weights", run_date).await?;
    let materials = source_rows(engine, tenant, "material_master", run_date).await?;
    report.jobs.push(match (weights, materials) {
        (Some((weights_key, weights)), Some((materials_key, materials))) => {
            let output = etl::product_master::product_master(
                table(&weights, "ET_WEIGHTS"),
                table(&materials, "ET_MATERIAL"),
                catalog,
            );
            sink(etl::PRODUCT_MASTER).write(etl::PRODUCT_MASTER, &output).await?;
            done(
                etl::PRODUCT_MASTER,
                &[(etl::PRODUCT_MASTER, output.rows.len())],
                &output,
                vec![weights_key, materials_key],
            )
        }
        (None, _) => JobReport::skipped(etl::PRODUCT_MASTER, missing("product_weights", run_date)),
        (_, None) => JobReport::skipped(etl::PRODUCT_MASTER, missing("material_master", run_date)),
    });

    // hts_reference
    report.jobs.push(match source_rows(engine, tenant, "hts_reference", run_date).await? {
        Some((key, hts)) => {
            let numbers = product_numbers(engine, tenant).await?;
            let output = etl::hts_reference::hts_reference(table(&hts, "ET_HTS"), &numbers, catalog);
            sink(etl::HTS_REFERENCE).write(etl::HTS_REFERENCE, &output).await?;
            done(etl::HTS_REFERENCE, &[(etl::HTS_REFERENCE, output.rows.len())], &output, vec![key])
        }
        None => JobReport::skipped(etl::HTS_REFERENCE, missing("hts_reference", run_date)),
    });

    // tariff_sequencing
    report.jobs.push(match source_rows(engine, tenant, "tariff_sequencing", run_date).await? {
        Some((key, tariff)) => {
            let output = etl::tariff::tariff_sequencing(table(&tariff, "ET_TARIFF"));
            sink(etl::TARIFF_SEQUENCING).write(etl::TARIFF_SEQUENCING, &output).await?;
            done(etl::TARIFF_SEQUENCING, &[(etl::TARIFF_SEQUENCING, output.rows.len())], &output, vec![key])
        }
        None => JobReport::skipped(etl::TARIFF_SEQUENCING, missing("tariff_sequencing", run_date)),
    });

    // packaging_materials (+ unit_conversions)
    report.jobs.push(match source_rows(engine, tenant, "units_packaging", run_date).await? {
        Some((key, uom)) => {
            let output = etl::packaging::packaging_materials(table(&uom, "ET_UOM"));
            let job = sink(etl::PACKAGING_MATERIALS);
            job.write(etl::PACKAGING_MATERIALS, &output.packaging).await?;
            job.write(etl::UNIT_CONVERSIONS, &output.conversions).await?;
            done(
                etl::PACKAGING_MATERIALS,
                &[
                    (etl::PACKAGING_MATERIALS, output.packaging.rows.len()),
                    (etl::UNIT_CONVERSIONS, output.conversions.rows.len()),
                ],
                &output.packaging,
                vec![key],
            )
        }
        None => JobReport::skipped(etl::PACKAGING_MATERIALS, missing("units_packaging", run_date)),
    });

    // transactions (+ reported_lines) and movements
    let master = master_data(engine, tenant).await?;
    report.jobs.push(match source_rows(engine, tenant, "billing", run_date).await? {
        Some((key, billing)) => {
            let items = etl::transactions::invoice_items(table(&billing, "ET_BILLING"), &master);
            let lines = etl::transactions::reported_lines(
                table(&billing, "ET_CUSTOMS"),
                table(&billing, "ET_BILLING"),
                &master,
            );
            let job = sink(etl::TRANSACTIONS);
            job.write(etl::TRANSACTIONS, &items).await?;
            job.write(etl::REPORTED_LINES, &lines).await?;
            let mut report = done(
                etl::TRANSACTIONS,
                &[(etl::TRANSACTIONS, items.rows.len()), (etl::REPORTED_LINES, lines.rows.len())],
                &items,
                vec![key],
            );
            report.records += lines.records();
            report.quarantined += lines.rejected.len();
            report.duplicates += lines.duplicates;
            report
        }
        None => JobReport::skipped(etl::TRANSACTIONS, missing("billing", run_date)),
    });
    report.jobs.push(match source_rows(engine, tenant, "movements", run_date).await? {
        Some((key, movements)) => {
            let output = etl::transactions::movements(table(&movements, "ET_MOVEMENTS"), &master);
            sink(etl::MOVEMENTS).write(etl::MOVEMENTS, &output).await?;
            done(etl::MOVEMENTS, &[(etl::MOVEMENTS, output.rows.len())], &output, vec![key])
        }
        None => JobReport::skipped(etl::MOVEMENTS, missing("movements", run_date)),
    });
    for job in &report.jobs {
        tracing::info!(tenant = %tenant, run_id, job = %job.job, status = ?job.status, records = job.records, quarantined = job.quarantined, note = ?job.note, "ior job");
    }
    Ok(report)
}

fn table<'a>(tables: &'a BTreeMap<String, Vec<Row>>, name: &str) -> &'a [Row] {
    tables.get(name).map(Vec::as_slice).unwrap_or(&[])
}

/// The HTS numbers of the stored product master.
pub(crate) async fn product_numbers(engine: &Engine, tenant: &TenantId) -> Result<Vec<String>, IorError> {
    let products: Vec<Product> = read_table(engine, tenant, etl::PRODUCT_MASTER).await?;
    Ok(products.into_iter().map(|p| p.hts10).collect())
}

/// The stored master data the transaction jobs check against.
async fn master_data(engine: &Engine, tenant: &TenantId) -> Result<MasterData, IorError> {
    let products: Vec<Product> = read_table(engine, tenant, etl::PRODUCT_MASTER).await?;
    let conversions: Vec<UnitConversion> = read_table(engine, tenant, etl::UNIT_CONVERSIONS).await?;
    let rules: Vec<TariffRule> = read_table(engine, tenant, etl::TARIFF_SEQUENCING).await?;
    Ok(MasterData::new(products, conversions, &rules))
}

/// The CSV row a rejected record came from, for reports.
pub fn csv_row(record: &serde_json::Value) -> Option<u64> {
    record.as_object().and_then(row_number)
}
