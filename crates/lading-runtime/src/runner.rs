//! Runs: start one, execute its next step, drive it to the end, or resume it after a crash.
//!
//! Every transition is written to the state store before the next begins, so a process that
//! dies mid-run leaves a run whose finished steps need not be done again: [`resume`] (`lading
//! runs resume <run>`) and [`resume_interrupted`] (`lading serve` on start, `lading runs resume
//! --all`) carry it on from its first unfinished step. One run at a time per tenant and
//! pipeline: a run holds the lock of [`crate::lock`] from its start to its end.
//!
//! ## Where a crash can fall, and why resuming still ends where a clean run ends
//!
//! A process can die (`kill -9`, a power cut) between any two writes. The writes come in an
//! order that leaves every such window resumable; the names are the [`crate::crash`] points a
//! test kills the real binary at.
//!
//! - `start.leased`: the lock is taken before the run is recorded, so nothing else starts
//!   meanwhile; dying here leaves only the lease, which expires (and says so to whoever waits).
//! - `run.recorded`: a run's steps are written before the run itself, so a recorded run always
//!   has its steps (a run without them would look finished).
//! - `step.started`: a step is marked running before it executes and succeeded only after its
//!   outputs are written, so a step that died running is simply executed again. That makes
//!   idempotence the steps' duty; `product_sync` says how each of its steps keeps it.
//! - `step.counted`: the run's counters are written *before* the step is marked succeeded. Dying
//!   between the two executes the step again, and a step's counters *replace* those it owns in
//!   the run (`Pipeline::merge_counters`), so nothing is lost (the other order could lose a
//!   step's counters) or counted twice.
//! - `step.succeeded`: the next step reads only the references of succeeded steps.
//! - `step.failed`: a step that failed for good is marked failed before the run is. A resume
//!   that finds a failed step in a running run completes that transition (run failed, alert)
//!   instead of trying the step again.
//! - `run.finished`: the run's final status is written before the lock is freed; a lock left
//!   by a finished run is stale and the next start takes it over.
//!
//! Two more things a crash must not change:
//! - retries: a step's retry budget counts the attempts of one execution, not every attempt the
//!   step record ever saw, so a step killed five times still gets its retries on the sixth;
//! - newer data: a run interrupted and never resumed is superseded when the next run of its
//!   tenant and pipeline starts (marked failed, its confirmed work standing), rather than
//!   resumed later on top of what the newer run loaded.

use crate::audit::{self, AuditEvent};
use crate::crash;
use crate::engine::{Engine, EngineError};
use crate::lock::{self, Claim};
use crate::notify::{Alert, Severity};
use crate::pipelines::{self, Pipeline};
use crate::product_sync::StepFailure;
use lading_core::TenantId;
use lading_store::{Counters, RunFilter, RunRecord, Status, StepRecord, StoreError};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tracing::Instrument;

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
    /// Another run of the same tenant and pipeline holds the run lock.
    #[error("{message}")]
    Locked { tenant: String, pipeline: String, run_id: String, message: String },
    /// The run lock was taken over while this process executed a step (a `lading runs resume`
    /// elsewhere); the step was stopped and the other process carries the run on.
    #[error(
        "tenant {tenant}: run {run_id} lost its lock to run {holder} ({owner}); it stopped here and that process carries on"
    )]
    LeaseLost { tenant: String, run_id: String, holder: String, owner: String },
    /// The run belongs to a flow the runner does not step (an upload, an ingest-only run).
    #[error("run {run_id} is a {pipeline} run, which cannot be resumed; start it again")]
    NotResumable { run_id: String, pipeline: String },
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
    let run_id = uuid::Uuid::now_v7().to_string();
    lock::acquire(engine, tenant_id.as_str(), pipeline.name(), &run_id, Claim::Normal).await?;
    crash::point("start.leased");
    let recorded = async {
        supersede_interrupted(engine, pipeline, tenant_id, &run_id).await?;
        record_run(engine, &run_id, pipeline.name(), tenant_id, options, pipeline.steps()).await
    }
    .await;
    let run = match recorded {
        Ok(run) => run,
        Err(e) => {
            lock::release(engine, tenant_id.as_str(), pipeline.name(), &run_id).await;
            return Err(e.into());
        }
    };
    crash::point("run.recorded");
    tracing::info!(tenant = %tenant_id, run_id = %run.run_id, pipeline = pipeline.name(), full = options.full, "run started");
    Ok(run)
}

/// Marks failed the runs of `tenant_id`'s `pipeline` left running by a process that died and
/// never resumed: the caller holds the lock, so none of them is in progress. Their confirmed
/// work stands (hashes, checkpoints, dead letters); the new run reads everything again.
async fn supersede_interrupted(
    engine: &Engine,
    pipeline: Pipeline,
    tenant_id: &TenantId,
    new_run: &str,
) -> Result<(), StoreError> {
    let filter = RunFilter {
        tenant_id: Some(tenant_id.to_string()),
        status: Some(Status::Running),
        pipeline: Some(pipeline.name().into()),
        limit: 10_000,
        ..RunFilter::default()
    };
    for mut run in engine.state.list_runs(&filter).await? {
        if run.run_id == new_run {
            continue;
        }
        let steps = engine.state.list_steps(&run.run_id).await?;
        let at = steps.iter().find(|s| s.status != Status::Succeeded).map_or("end", |s| s.name.as_str());
        run.status = Status::Failed;
        run.failed_step = steps.iter().find(|s| s.status != Status::Succeeded).map(|s| s.name.clone());
        run.error = Some(format!(
            "interrupted at step {at} and never resumed; superseded by run {new_run}, which starts over (what this run confirmed stands)"
        ));
        run.finished_at = Some(chrono::Utc::now().to_rfc3339());
        engine.state.put_run(&run).await?;
        tracing::warn!(tenant = %tenant_id, run_id = %run.run_id, superseded_by = new_run, "interrupted run superseded");
        notify_failure(engine, &run).await;
        ended(engine, &run).await;
    }
    Ok(())
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
    record_run(engine, &uuid::Uuid::now_v7().to_string(), pipeline, tenant_id, options, steps).await
}

/// Writes the steps, then the run: a recorded run always has its steps.
async fn record_run(
    engine: &Engine,
    run_id: &str,
    pipeline: &str,
    tenant_id: &TenantId,
    options: &RunOptions,
    steps: &[&str],
) -> Result<RunRecord, StoreError> {
    let run = RunRecord {
        run_id: run_id.to_string(),
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
    for name in steps {
        engine.state.put_step(&pending_step(&run.run_id, name)).await?;
    }
    engine.state.put_run(&run).await?;
    audit::record_or_log(engine, AuditEvent::run_started(&run)).await;
    Ok(run)
}

/// What every end of a run does besides recording its status: the run-end alert rules and
/// metrics, and the audit entry.
pub(crate) async fn ended(engine: &Engine, run: &RunRecord) {
    crate::alerts::after_run(engine, run).await;
    audit::record_or_log(engine, AuditEvent::run_finished(run)).await;
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

/// Executes the next pending step of a run (with its retries), or finishes the run. The run's
/// lock is taken (or renewed) first and freed when the run finishes or stops on an error; a
/// run locked by another process answers [`RunError::Locked`].
pub async fn step_run(engine: &Engine, run_id: &str) -> Result<Progress, RunError> {
    let run = engine.state.get_run(run_id).await?.ok_or_else(|| StoreError::UnknownRun(run_id.into()))?;
    if matches!(run.status, Status::Succeeded | Status::Failed) {
        return Ok(Progress::Finished(run));
    }
    let pipeline = steppable(&run)?;
    let tenant = run.tenant_id.clone();
    lock::acquire(engine, &tenant, pipeline.name(), run_id, Claim::Normal).await?;
    let progress = execute_next_step(engine, run, pipeline).await;
    if !matches!(progress, Ok(Progress::Continue(..))) {
        if matches!(progress, Ok(Progress::Finished(_))) {
            crash::point("run.finished");
        }
        // An interrupted run takes the lock again when it is resumed.
        lock::release(engine, &tenant, pipeline.name(), run_id).await;
    }
    progress
}

/// The pipeline of a run the runner steps; runs recorded by other flows are not.
fn steppable(run: &RunRecord) -> Result<Pipeline, RunError> {
    Pipeline::parse(&run.pipeline)
        .ok_or_else(|| RunError::NotResumable { run_id: run.run_id.clone(), pipeline: run.pipeline.clone() })
}

async fn execute_next_step(engine: &Engine, mut run: RunRecord, pipeline: Pipeline) -> Result<Progress, RunError> {
    let run_id = run.run_id.clone();
    let tenant_id = TenantId::parse(&run.tenant_id).map_err(|e| StoreError::Corrupt(format!("run {run_id}: {e}")))?;
    let prepared = pipelines::prepare(engine, pipeline, &tenant_id, false).await?;
    let mut steps = engine.state.list_steps(&run_id).await?;
    // A run recorded before its steps (by an older version that wrote them the other way
    // round) may lack some: they are pending.
    for name in pipeline.steps() {
        if !steps.iter().any(|s| s.name == *name) {
            let step = pending_step(&run_id, name);
            engine.state.put_step(&step).await?;
            steps.push(step);
        }
    }
    let previous: HashMap<String, String> = steps
        .iter()
        .filter(|s| s.status == Status::Succeeded)
        .filter_map(|s| s.output_ref.clone().map(|r| (s.name.clone(), r)))
        .collect();
    let Some(mut step) = steps.into_iter().find(|s| s.status != Status::Succeeded) else {
        return Ok(Progress::Finished(finish(engine, run, &prepared.failure_threshold()).await?));
    };
    if step.status == Status::Failed {
        // The step failed for good and the process died before the run was marked failed.
        return Ok(Progress::Finished(fail(engine, run, &step).await?));
    }

    let policy = prepared.step_policy(&step.name);
    let started = Instant::now();
    step.started_at.get_or_insert_with(|| chrono::Utc::now().to_rfc3339());
    // Every line logged while the step executes, down to the HTTP clients', names the run.
    let span = tracing::info_span!("run", tenant = %tenant_id, run_id = %run_id, step = %step.name);
    let mut tries = 0;
    let outcome = loop {
        tries += 1;
        step.status = Status::Running;
        step.attempts += 1;
        engine.state.put_step(&step).await?;
        crash::point("step.started");
        let work = pipelines::execute(engine, &prepared, &run, &step.name, &previous).instrument(span.clone());
        match lock::hold(engine, &run.tenant_id, pipeline.name(), &run_id, work).await? {
            Ok(output) => break Ok(output),
            Err(failure) if failure.retryable && tries < policy.max_attempts => {
                let ceiling = policy.backoff_ceiling(tries - 1);
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
            // The run's counters before the step's success: see the module doc.
            pipeline.merge_counters(&mut run.counters, &step.name, &output.counters);
            engine.state.put_run(&run).await?;
            crash::point("step.counted");
            step.status = Status::Succeeded;
            step.error = None;
            step.output_ref = Some(output.output_ref);
            engine.state.put_step(&step).await?;
            crash::point("step.succeeded");
            Ok(Progress::Continue(run, step))
        }
        Err(StepFailure { message, .. }) => {
            step.status = Status::Failed;
            step.error = Some(message);
            engine.state.put_step(&step).await?;
            crash::point("step.failed");
            Ok(Progress::Finished(fail(engine, run, &step).await?))
        }
    }
}

/// Marks a run failed at `step`, which failed after its retries, and raises the alerts.
async fn fail(engine: &Engine, mut run: RunRecord, step: &StepRecord) -> Result<RunRecord, RunError> {
    let message = step.error.as_deref().unwrap_or("unknown reason");
    run.status = Status::Failed;
    run.failed_step = Some(step.name.clone());
    run.error = Some(format!("step {} failed after {} attempt(s): {message}", step.name, step.attempts));
    run.finished_at = Some(chrono::Utc::now().to_rfc3339());
    engine.state.put_run(&run).await?;
    notify_failure(engine, &run).await;
    ended(engine, &run).await;
    Ok(run)
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
    ended(engine, &run).await;
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

/// Drives an interrupted run (status running) to its end from its first unfinished step, taking
/// its lock back from whichever process held it: the caller says that process is gone (see
/// [`crate::lock`]). A finished run comes back as it is.
pub async fn resume(engine: &Engine, run_id: &str, on_step: impl FnMut(&StepRecord)) -> Result<RunRecord, RunError> {
    resume_with(engine, run_id, Claim::TakeBack, on_step).await
}

async fn resume_with(
    engine: &Engine,
    run_id: &str,
    claim: Claim,
    on_step: impl FnMut(&StepRecord),
) -> Result<RunRecord, RunError> {
    let run = engine.state.get_run(run_id).await?.ok_or_else(|| StoreError::UnknownRun(run_id.into()))?;
    if matches!(run.status, Status::Succeeded | Status::Failed) {
        return Ok(run);
    }
    let pipeline = steppable(&run)?;
    lock::acquire(engine, &run.tenant_id, pipeline.name(), run_id, claim).await?;
    let steps = engine.state.list_steps(run_id).await?;
    let next = steps.iter().find(|s| s.status != Status::Succeeded).map_or("end", |s| s.name.as_str());
    tracing::info!(tenant = %run.tenant_id, run_id, pipeline = pipeline.name(), step = next, "run resumed");
    run_to_end(engine, run_id, on_step).await
}

/// What resuming one interrupted run gave.
#[derive(Debug)]
pub struct Resumed {
    pub run_id: String,
    pub tenant_id: String,
    pub pipeline: String,
    pub outcome: Result<RunRecord, RunError>,
}

/// Resumes every interrupted run of the runner's pipelines, all at once: `lading serve` calls
/// it on start, `lading runs resume --all` too. Unlike [`resume`] it takes no lock from a
/// process that may be alive: a run whose lease is in force is waited for. If its process is
/// alive, it renews the lease and finishes the run itself; if it died, the lease expires within
/// [`crate::lock::lease_ttl`] and the run is resumed here.
pub async fn resume_interrupted(engine: &Engine) -> Vec<Resumed> {
    let filter = RunFilter { status: Some(Status::Running), limit: 10_000, ..RunFilter::default() };
    let runs = match engine.state.list_runs(&filter).await {
        Ok(runs) => runs,
        Err(e) => {
            tracing::error!("interrupted runs not resumed: {e}");
            return Vec::new();
        }
    };
    // Oldest first; runs of flows the runner does not step (uploads) are not its to resume.
    let runs: Vec<RunRecord> = runs.into_iter().rev().filter(|r| Pipeline::parse(&r.pipeline).is_some()).collect();
    if !runs.is_empty() {
        tracing::info!(runs = runs.len(), "resuming interrupted runs");
    }
    let resumed = futures::future::join_all(runs.iter().map(|run| resume_when_free(engine, run))).await;
    for r in &resumed {
        match &r.outcome {
            Ok(run) => {
                tracing::info!(tenant = %r.tenant_id, run_id = %r.run_id, status = run.status.as_str(), "resumed run finished")
            }
            Err(e) => tracing::warn!(tenant = %r.tenant_id, run_id = %r.run_id, "interrupted run not resumed: {e}"),
        }
    }
    resumed
}

async fn resume_when_free(engine: &Engine, run: &RunRecord) -> Resumed {
    let outcome = loop {
        match resume_with(engine, &run.run_id, Claim::Normal, |_| {}).await {
            // Its own lease, held by another process: wait until it finishes the run or dies.
            Err(RunError::Locked { run_id: holder, pipeline, .. }) if holder == run.run_id => {
                let lease = engine.state.get_lease(&lock::key(&run.tenant_id, &pipeline)).await.ok().flatten();
                let until = lease.as_ref().and_then(|l| chrono::DateTime::parse_from_rfc3339(&l.expires_at).ok());
                let wait = until
                    .and_then(|t| (t.with_timezone(&chrono::Utc) - chrono::Utc::now()).to_std().ok())
                    .unwrap_or_default()
                    .clamp(Duration::from_millis(200), lock::lease_ttl())
                    + Duration::from_millis(50);
                tracing::warn!(
                    tenant = %run.tenant_id,
                    run_id = %run.run_id,
                    owner = lease.as_ref().map_or("?", |l| l.owner.as_str()),
                    wait_ms = wait.as_millis() as u64,
                    "run held by another process; waiting for it to finish the run or for its lease to expire"
                );
                tokio::time::sleep(wait).await;
            }
            // A newer run took the lock and superseded this one.
            Err(locked @ RunError::Locked { .. }) => match engine.state.get_run(&run.run_id).await {
                Ok(Some(now)) if matches!(now.status, Status::Succeeded | Status::Failed) => break Ok(now),
                _ => break Err(locked),
            },
            other => break other,
        }
    };
    Resumed { run_id: run.run_id.clone(), tenant_id: run.tenant_id.clone(), pipeline: run.pipeline.clone(), outcome }
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
