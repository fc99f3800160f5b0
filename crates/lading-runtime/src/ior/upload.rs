//! The manual fallback: one master table loaded from the importer's CSV file through the very
//! jobs the SAP data goes through.
//!
//! A file that is not a well-formed CSV of the table's columns fails as a whole with the row
//! and column of the first problem, and nothing is written. Otherwise the valid records
//! replace the table (one transaction) and the invalid ones are quarantined with their reasons,
//! named by the file's columns and carrying their CSV row; a file without a single valid record
//! leaves the table as it was. The upload is recorded as a run of pipeline `ior-upload`.

use super::config::load_config;
use super::etl::{Sink, hts_reference, product_numbers};
use super::{IorError, PIPELINE};
use crate::engine::Engine;
use lading_core::{Issue, TenantId};
use lading_customs::config::{DEFAULT_HTS_REVISION, IorConfig, RawIorConfig};
use lading_customs::etl::csv_files::{self, ImporterFile};
use lading_customs::etl::{self, HtsCatalog, JobOutput, Rejected, Row};
use lading_store::{Counters, Status};
use serde::Serialize;

/// One record the upload quarantined.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UploadProblem {
    pub key: String,
    /// The CSV row (the header is row 1).
    pub row: Option<u64>,
    /// Named by the file's columns.
    pub reasons: Vec<Issue>,
}

/// What an upload did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UploadReport {
    pub tenant: String,
    pub run_id: String,
    pub table: String,
    pub file: String,
    /// Records read from the file.
    pub records: usize,
    /// Rows written to the table (0 and the table untouched when no record was valid).
    pub rows_written: usize,
    pub quarantined: Vec<UploadProblem>,
}

/// The records of `file` run through its table's job. Used by [`upload`] and the shadow
/// comparison. `product_numbers` are the HTS numbers in use (for `hts_reference`).
pub(crate) fn run_job(
    file: ImporterFile,
    rows: &[Row],
    catalog: &dyn HtsCatalog,
    product_numbers: &[String],
) -> JobOutput<serde_json::Value> {
    fn as_json<T: Serialize>(output: JobOutput<T>) -> JobOutput<serde_json::Value> {
        JobOutput {
            rows: output.rows.into_iter().map(|(k, row)| (k, serde_json::to_value(row).unwrap_or_default())).collect(),
            rejected: output.rejected,
            excluded: output.excluded,
            duplicates: output.duplicates,
        }
    }
    match file {
        ImporterFile::ProductList => as_json(etl::product_master::product_master(rows, rows, catalog)),
        ImporterFile::HtsCode => as_json(etl::hts_reference::hts_reference(rows, product_numbers, catalog)),
        ImporterFile::HtsTariff => as_json(etl::tariff::tariff_sequencing(rows)),
        ImporterFile::PackagingMaterial => as_json(etl::packaging::packaging_materials(rows).packaging),
    }
}

/// The tenant's IOR config, or the defaults (the manual fallback works without SAP settings).
pub(crate) async fn config_or_default(engine: &Engine, tenant: &TenantId) -> Result<IorConfig, IorError> {
    match load_config(engine, tenant).await {
        Ok(config) => Ok(config),
        Err(IorError::NoConfig { .. }) => {
            let mut raw = RawIorConfig::new(tenant, "http://sap.invalid", "000");
            raw.hts_revision = DEFAULT_HTS_REVISION.into();
            // No IOR config means no pipeline to shadow: uploads are the live tables.
            raw.shadow_mode = false;
            Ok(IorConfig { tenant_id: tenant.clone(), raw })
        }
        Err(other) => Err(other),
    }
}

pub(crate) fn problems(file: ImporterFile, rejected: &[Rejected]) -> Vec<UploadProblem> {
    rejected
        .iter()
        .map(|r| UploadProblem {
            key: r.key.clone(),
            row: super::etl::csv_row(&r.record).or_else(|| {
                // product_master keeps its source rows under the FM names.
                r.record.get("ZEMM005").and_then(|rows| rows.get(0)).and_then(super::etl::csv_row)
            }),
            reasons: file.rename_issues(r.reasons.clone()),
        })
        .collect()
}

/// Loads `table` from the importer's CSV `csv`.
pub async fn upload(engine: &Engine, tenant: &TenantId, table: &str, csv: &[u8]) -> Result<UploadReport, IorError> {
    let file = ImporterFile::from_table(table)
        .ok_or_else(|| IorError::UnknownTable { tenant: tenant.to_string(), table: table.to_string() })?;
    let rows = csv_files::read(file, csv).map_err(|error| IorError::Csv { tenant: tenant.to_string(), error })?;
    let config = config_or_default(engine, tenant).await?;
    let reference = hts_reference(&config)?;
    let numbers = if file == ImporterFile::HtsCode { product_numbers(engine, tenant).await? } else { Vec::new() };
    let output = run_job(file, &rows, reference.as_ref(), &numbers);

    let mut run = super::run::start(engine, tenant, &format!("{PIPELINE}-upload"), "upload", &["upload"]).await?;
    let sink = Sink { engine, tenant, run_id: &run.run_id, job: table, file: Some(file) };
    if output.rows.is_empty() && !output.rejected.is_empty() {
        // Not one valid record: keep the table rather than empty it (a wrong file, a wrong
        // revision); the records are quarantined with their reasons all the same.
        sink.quarantine(&output).await?;
    } else {
        // In shadow mode the importer's files stay the source of the generated lines, beside
        // the tables the pipeline writes; after the cut-over an upload replaces the live table.
        sink.write(&crate::ior_daily::master_table(&config, table), &output).await?;
    }
    let records = output.records() as u64;
    run.counters = Counters {
        extracted: records,
        valid: output.rows.len() as u64,
        quarantined: output.rejected.len() as u64,
        ..Counters::default()
    };
    run.status = Status::Succeeded;
    run.finished_at = Some(chrono::Utc::now().to_rfc3339());
    engine
        .state
        .put_step(&super::run::step(&run.run_id, "upload", Status::Succeeded, Some(file.file_name().into()), None))
        .await?;
    engine.state.put_run(&run).await?;
    crate::runner::ended(engine, &run).await;
    tracing::info!(tenant = %tenant, run_id = %run.run_id, table, rows = output.rows.len(), quarantined = output.rejected.len(), "ior table uploaded");
    Ok(UploadReport {
        tenant: tenant.to_string(),
        run_id: run.run_id,
        table: table.to_string(),
        file: file.file_name().to_string(),
        records: output.records(),
        rows_written: output.rows.len(),
        quarantined: problems(file, &output.rejected),
    })
}
