//! Runs: start one, execute its next step, or drive it to the end.
//!
//! Every transition is written to the state store before the next begins, so a process that
//! dies mid-run leaves a run whose finished steps need not be done again.

use crate::engine::{Engine, EngineError};
use crate::notify::{Alert, Severity};
use crate::pipelines::{self, Pipeline};
use crate::product_sync::StepFailure;
use lading_core::TenantId;
use lading_store::{Counters, RunRecord, Status, StepRecord, StoreError};
use std::collections::HashMap;
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Send every valid record, ignoring the incremental hashes.
    pub full: bool,
    /// What started the run: `manual`, `schedule`, `demo`, …
    pub trigger: String,
    /// Pipeline parameters kept on the run (the IOR run date and window).
    pub params: Option<serde_json::Value>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { full: false, trigger: "manual".into(), params: None }
    }
}

/// Why a run could not start or continue. A run that started and failed is not an error: it
/// comes back as a `RunRecord` with status `failed` and its reason.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("tenant {0} is disabled; enable it with `lading tenants enable {0}`")]
    Disabled(String),
    #[error("tenant {tenant}: {message}")]
    Mapping { tenant: String, message: String },
    #[error(transparent)]
    Ior(#[from] crate::ior::IorError),
}

/// Creates a run of a tenant's product sync and its pending steps; see [`start_pipeline_run`].
pub async fn start_run(engine: &Engine, tenant_id: &TenantId, options: &RunOptions) -> Result<RunRecord, RunError> {
    start_pipeline_run(engine, Pipeline::ProductSync, tenant_id, options).await
}

/// Creates a run and its pending steps after checking everything that can be checked up front:
/// the tenant exists and is enabled, its config is valid, its secrets are readable, its
/// mapping file compiles.
pub async fn start_pipeline_run(
    engine: &Engine,
    pipeline: Pipeline,
    tenant_id: &TenantId,
    options: &RunOptions,
) -> Result<RunRecord, RunError> {
    pipelines::prepare(engine, pipeline, tenant_id, true).await?;
    let run = create_run(engine, pipeline.name(), tenant_id, options, pipeline.steps()).await?;
    tracing::info!(tenant = %tenant_id, run_id = %run.run_id, pipeline = pipeline.name(), full = options.full, "run started");
    Ok(run)
}

/// Records a new run (status running) of `pipeline` with `steps` pending. Every run, stepped by
/// this runner or recorded by a flow of its own (an upload), starts here.
pub(crate) async fn create_run(
    engine: &Engine,
    pipeline: &str,
    tenant_id: &TenantId,
    options: &RunOptions,
    steps: &[&str],
) -> Result<RunRecord, StoreError> {
    let run = RunRecord {
        run_id: uuid::Uuid::now_v7().to_string(),
        tenant_id: tenant_id.to_string(),
        pipeline: pipeline.into(),
        status: Status::Running,
        trigger: options.trigger.clone(),
        full: options.full,
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: None,
        counters: Counters::default(),
        error: None,
        failed_step: None,
        params: options.params.clone(),
    };
    engine.state.put_run(&run).await?;
    for name in steps {
        engine.state.put_step(&pending_step(&run.run_id, name)).await?;
    }
    Ok(run)
}

fn pending_step(run_id: &str, name: &str) -> StepRecord {
    StepRecord {
        run_id: run_id.into(),
        name: name.into(),
        status: Status::Pending,
        attempts: 0,
        started_at: None,
        finished_at: None,
        duration_ms: 0,
        output_ref: None,
        error: None,
    }
}

/// Where a run stands after [`step_run`].
#[derive(Debug)]
pub enum Progress {
    /// A step finished; more remain.
    Continue(RunRecord, StepRecord),
    /// The run has finished, successfully or not.
    Finished(RunRecord),
}

/// Executes the next pending step of a run (with its retries), or finishes the run.
pub async fn step_run(engine: &Engine, run_id: &str) -> Result<Progress, RunError> {
    let mut run = engine.state.get_run(run_id).await?.ok_or_else(|| StoreError::UnknownRun(run_id.into()))?;
    if matches!(run.status, Status::Succeeded | Status::Failed) {
        return Ok(Progress::Finished(run));
    }
    let tenant_id = TenantId::parse(&run.tenant_id).map_err(|e| StoreError::Corrupt(format!("run {run_id}: {e}")))?;
    let pipeline = Pipeline::parse(&run.pipeline)
        .ok_or_else(|| StoreError::Corrupt(format!("run {run_id}: unknown pipeline {:?}", run.pipeline)))?;
    let prepared = pipelines::prepare(engine, pipeline, &tenant_id, false).await?;
    let steps = engine.state.list_steps(run_id).await?;
    let previous: HashMap<String, String> = steps
        .iter()
        .filter(|s| s.status == Status::Succeeded)
        .filter_map(|s| s.output_ref.clone().map(|r| (s.name.clone(), r)))
        .collect();
    let Some(mut step) = steps.into_iter().find(|s| s.status != Status::Succeeded) else {
        return Ok(Progress::Finished(finish(engine, run, &prepared.failure_threshold()).await?));
    };

    let policy = prepared.step_policy(&step.name);
    let started = Instant::now();
    step.started_at.get_or_insert_with(|| chrono::Utc::now().to_rfc3339());
    let outcome = loop {
        step.status = Status::Running;
        step.attempts += 1;
        engine.state.put_step(&step).await?;
        match pipelines::execute(engine, &prepared, &run, &step.name, &previous).await {
            Ok(output) => break Ok(output),
            Err(failure) if failure.retryable && step.attempts < policy.max_attempts => {
                let ceiling = policy.backoff_ceiling(step.attempts - 1);
                let wait = ceiling.mul_f64(rand::random::<f64>());
                tracing::warn!(tenant = %tenant_id, run_id, step = %step.name, attempt = step.attempts, wait_ms = wait.as_millis() as u64, "step failed, retrying: {}", failure.message);
                step.error = Some(failure.message);
                tokio::time::sleep(wait).await;
            }
            Err(failure) => break Err(failure),
        }
    };
    step.duration_ms += started.elapsed().as_millis() as u64;
    step.finished_at = Some(chrono::Utc::now().to_rfc3339());
    match outcome {
        Ok(output) => {
            step.status = Status::Succeeded;
            step.error = None;
            step.output_ref = Some(output.output_ref);
            pipeline.merge_counters(&mut run.counters, &step.name, &output.counters);
            engine.state.put_step(&step).await?;
            engine.state.put_run(&run).await?;
            Ok(Progress::Continue(run, step))
        }
        Err(StepFailure { message, .. }) => {
            step.status = Status::Failed;
            step.error = Some(message.clone());
            engine.state.put_step(&step).await?;
            run.status = Status::Failed;
            run.failed_step = Some(step.name.clone());
            run.error = Some(format!("step {} failed after {} attempt(s): {message}", step.name, step.attempts));
            run.finished_at = Some(chrono::Utc::now().to_rfc3339());
            engine.state.put_run(&run).await?;
            notify_failure(engine, &run).await;
            Ok(Progress::Finished(run))
        }
    }
}

/// Marks a run whose steps all succeeded: failed when more than the tenant's threshold of its
/// records failed or were quarantined.
async fn finish(engine: &Engine, mut run: RunRecord, threshold: &f64) -> Result<RunRecord, RunError> {
    run.finished_at = Some(chrono::Utc::now().to_rfc3339());
    match threshold_breach(&run.counters, *threshold) {
        Some(reason) => {
            run.status = Status::Failed;
            run.error = Some(reason);
        }
        None => run.status = Status::Succeeded,
    }
    engine.state.put_run(&run).await?;
    if run.status == Status::Failed {
        notify_failure(engine, &run).await;
    }
    tracing::info!(tenant = %run.tenant_id, run_id = %run.run_id, status = run.status.as_str(), "run finished");
    Ok(run)
}

/// Sends the `run_failed` alert of a run; a delivery failure is logged, not raised.
pub(crate) async fn notify_failure(engine: &Engine, run: &RunRecord) {
    let alert = Alert {
        tenant_id: run.tenant_id.clone(),
        pipeline: run.pipeline.clone(),
        run_id: Some(run.run_id.clone()),
        severity: Severity::Error,
        kind: "run_failed".into(),
        message: format!(
            "tenant {}: run {} failed: {}",
            run.tenant_id,
            run.run_id,
            run.error.as_deref().unwrap_or("unknown reason")
        ),
    };
    if let Err(e) = engine.notifier.notify(&alert).await {
        tracing::warn!(tenant = %run.tenant_id, "alert not delivered: {e}");
    }
}

/// Executes steps until the run finishes; `on_step` sees each finished step.
pub async fn run_to_end(
    engine: &Engine,
    run_id: &str,
    mut on_step: impl FnMut(&StepRecord),
) -> Result<RunRecord, RunError> {
    loop {
        match step_run(engine, run_id).await? {
            Progress::Continue(_, step) => on_step(&step),
            Progress::Finished(run) => return Ok(run),
        }
    }
}

/// Starts a run for a tenant and drives it to the end.
pub async fn sync(engine: &Engine, tenant: &TenantId, options: &RunOptions) -> Result<RunRecord, RunError> {
    let run = start_run(engine, tenant, options).await?;
    run_to_end(engine, &run.run_id, |_| {}).await
}

/// Why a run whose steps all succeeded still fails: more than `threshold` of its records
/// failed or were quarantined. `None` when it passes.
pub fn threshold_breach(counters: &Counters, threshold: f64) -> Option<String> {
    let bad = counters.failed + counters.quarantined;
    let share = if counters.extracted == 0 { 0.0 } else { bad as f64 / counters.extracted as f64 };
    (share > threshold).then(|| {
        format!(
            "{bad} of {} records failed or were quarantined ({:.1} %), above the tenant's threshold of {:.1} %",
            counters.extracted,
            share * 100.0,
            threshold * 100.0
        )
    })
}
