//! One IOR run: ingest the selected sources, then run the ETL jobs, recorded as a run with two
//! steps (`ingest`, `etl`) and a report at `reports/{tenant}/{run}/ior.json`.
//!
//! A run fails when a source could not be read (its dead letter and `source_down` alert are
//! already out) or when more than the config's `failure_threshold` of the records read were
//! quarantined; either way the ETL has still run on what landed, and a `run_failed` alert goes
//! out. The whole daily flow (with generation, comparison and alert) is the runner's `ior-daily`
//! pipeline (`crate::ior_daily`); this run stops after the tables are built.

use super::config::{load_config, sap_client};
use super::etl::{EtlReport, run_etl};
use super::ingest::{IngestOptions, IngestReport, Selection, ingest};
use super::{IorError, PIPELINE};
use crate::engine::Engine;
use chrono::NaiveDate;
use lading_core::TenantId;
use lading_store::{Counters, RunRecord, Status, StepRecord};
use serde::Serialize;

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub struct IorRunOptions {
    /// The day the run is for: the date in the raw keys.
    pub run_date: NaiveDate,
    pub selection: Selection,
    /// The date range of the daily sources; the day before `run_date` if `None`.
    pub window: Option<(NaiveDate, NaiveDate)>,
    /// What started the run: `manual`, `schedule`, `test` …
    pub trigger: String,
}

impl IorRunOptions {
    /// The daily run for `run_date`: transactions of the day before, then every job.
    pub fn daily(run_date: NaiveDate) -> IorRunOptions {
        IorRunOptions { run_date, selection: Selection::Daily, window: None, trigger: "manual".into() }
    }

    /// Every source, then every job.
    pub fn all(run_date: NaiveDate) -> IorRunOptions {
        IorRunOptions { run_date, selection: Selection::All, window: None, trigger: "manual".into() }
    }
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IorRunReport {
    pub run: RunRecord,
    pub ingest: IngestReport,
    pub etl: EtlReport,
    /// `reports/{tenant}/{run}/ior.json`.
    pub report_key: String,
}

/// The name of a run's pipeline: `ior-ingest-daily`, `ior-ingest-weekly`, or `ior-ingest`
/// (ingest and ETL only; the whole daily flow is the runner's `ior-daily`).
fn pipeline_name(selection: &Selection) -> String {
    match selection {
        Selection::Daily => format!("{PIPELINE}-ingest-daily"),
        Selection::Weekly => format!("{PIPELINE}-ingest-weekly"),
        Selection::All | Selection::Named(_) => format!("{PIPELINE}-ingest"),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Starts a recorded run (status running) of `pipeline` with `steps` pending.
pub(crate) async fn start(
    engine: &Engine,
    tenant: &TenantId,
    pipeline: &str,
    trigger: &str,
    steps: &[&str],
) -> Result<RunRecord, IorError> {
    let options = crate::runner::RunOptions { full: true, trigger: trigger.into(), params: None };
    Ok(crate::runner::create_run(engine, pipeline, tenant, &options, steps).await?)
}

pub(crate) fn step(
    run_id: &str,
    name: &str,
    status: Status,
    output_ref: Option<String>,
    error: Option<String>,
) -> StepRecord {
    let finished = matches!(status, Status::Succeeded | Status::Failed).then(now);
    StepRecord {
        run_id: run_id.into(),
        name: name.into(),
        status,
        attempts: u32::from(status != Status::Pending),
        started_at: finished.clone(),
        finished_at: finished,
        duration_ms: 0,
        output_ref,
        error,
    }
}

/// Ingests and transforms, as one recorded run.
pub async fn run_ior(engine: &Engine, tenant: &TenantId, options: &IorRunOptions) -> Result<IorRunReport, IorError> {
    let config = load_config(engine, tenant).await?;
    if !config.raw.enabled {
        return Err(IorError::Disabled { tenant: tenant.to_string() });
    }
    let client = sap_client(engine, &config).await?;
    let mut run =
        start(engine, tenant, &pipeline_name(&options.selection), &options.trigger, &["ingest", "etl"]).await?;
    tracing::info!(tenant = %tenant, run_id = %run.run_id, run_date = %options.run_date, selection = ?options.selection, "ior run started");
    let result = async {
        let ingest_options =
            IngestOptions { run_date: options.run_date, selection: options.selection.clone(), window: options.window };
        let ingested = ingest(engine, &client, tenant, &run.run_id, &ingest_options).await?;
        let failed: Vec<String> = ingested.failed().iter().map(|s| format!("{} ({})", s.fm, s.source)).collect();
        let ingest_error = (!failed.is_empty()).then(|| format!("sap sources not read: {}", failed.join(", ")));
        let status = if ingest_error.is_some() { Status::Failed } else { Status::Succeeded };
        let manifests: Vec<&str> = ingested.sources.iter().filter_map(|s| s.manifest.as_deref()).collect();
        let output_ref = serde_json::to_string(&manifests).ok();
        engine.state.put_step(&step(&run.run_id, "ingest", status, output_ref, ingest_error.clone())).await?;
        let etl = run_etl(engine, &config, &run.run_id, options.run_date).await?;
        Ok::<_, IorError>((ingested, ingest_error, etl))
    }
    .await;
    let (ingested, ingest_error, etl) = match result {
        Ok(done) => done,
        Err(error) => {
            run.status = Status::Failed;
            run.error = Some(error.to_string());
            run.finished_at = Some(now());
            engine.state.put_run(&run).await?;
            crate::runner::notify_failure(engine, &run).await;
            return Err(error);
        }
    };
    let report_key = format!("reports/{tenant}/{}/ior.json", run.run_id);
    engine.state.put_step(&step(&run.run_id, "etl", Status::Succeeded, Some(report_key.clone()), None)).await?;

    let records = etl.records() as u64;
    let quarantined = etl.quarantined() as u64;
    let excluded: u64 = etl.jobs.iter().map(|j| j.excluded as u64).sum();
    run.counters = Counters {
        extracted: records,
        valid: records.saturating_sub(quarantined + excluded),
        quarantined,
        failed: ingested.failed().len() as u64,
        ..Counters::default()
    };
    let share = if records == 0 { 0.0 } else { quarantined as f64 / records as f64 };
    let threshold_error = (share > config.raw.failure_threshold).then(|| {
        format!(
            "{quarantined} of {records} records were quarantined ({:.1} %), above the threshold of {:.1} %",
            share * 100.0,
            config.raw.failure_threshold * 100.0
        )
    });
    let errors: Vec<String> = [ingest_error.clone(), threshold_error].into_iter().flatten().collect();
    run.finished_at = Some(now());
    if errors.is_empty() {
        run.status = Status::Succeeded;
    } else {
        run.status = Status::Failed;
        run.failed_step = Some(if ingest_error.is_some() { "ingest" } else { "etl" }.to_string());
        run.error = Some(errors.join("; "));
    }
    engine.state.put_run(&run).await?;
    crate::runner::ended(engine, &run).await;
    let report = IorRunReport { run, ingest: ingested, etl, report_key };
    engine.objects.put_json(&report.report_key, &report).await?;
    if report.run.status == Status::Failed {
        crate::runner::notify_failure(engine, &report.run).await;
    }
    tracing::info!(tenant = %tenant, run_id = %report.run.run_id, status = report.run.status.as_str(), records, quarantined, "ior run finished");
    Ok(report)
}
