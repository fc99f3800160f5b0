//! The embedded scheduler: which pipelines are due, and firing each cron slot once.
//!
//! Schedules are data on the tenants — a product-sync tenant's `schedule`, an importer's
//! `schedules.daily` (transactions) and `schedules.weekly` (every source). [`tick`] looks at the
//! clock it is given, starts the runs whose slot has come since the previous tick, and returns
//! them; a loop (`lading schedule run`, and later `lading serve`) only adds the waiting. A slot
//! fires once however often the clock is read; slots missed while no scheduler ran are not
//! caught up — the next run of an incremental pipeline covers them. Two schedulers on one data
//! directory (two `lading serve`, or `serve` beside `schedule run`) fire a slot once between
//! them: the second start finds the run lock ([`crate::lock`]) held and is reported as not
//! started, naming the run in progress.

use crate::engine::Engine;
use crate::ior_daily::IorParams;
use crate::pipelines::Pipeline;
use crate::runner::{self, RunError, RunOptions};
use chrono::{DateTime, Utc};
use lading_core::TenantId;
use lading_store::RunRecord;
use std::collections::HashMap;
use std::str::FromStr;

/// One schedule of one tenant.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledJob {
    pub tenant: TenantId,
    pub pipeline: Pipeline,
    /// `daily`, `weekly` or `sync`: tells two schedules of one tenant and pipeline apart.
    pub label: &'static str,
    pub cron: String,
    /// Read every source (the importer's weekly schedule).
    pub all_sources: bool,
}

impl ScheduledJob {
    fn key(&self) -> String {
        format!("{}/{}/{}", self.tenant, self.pipeline.name(), self.label)
    }

    /// The first slot of this schedule in `(after, until]`, if any.
    pub fn slot_between(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
        let schedule = cron::Schedule::from_str(&self.cron).map_err(|e| {
            format!("tenant {}: schedule {:?} is not a valid cron expression: {e}", self.tenant, self.cron)
        })?;
        Ok(schedule.after(&after).next().filter(|slot| *slot <= until))
    }
}

/// Every schedule of every enabled tenant.
pub async fn jobs(engine: &Engine) -> Result<Vec<ScheduledJob>, RunError> {
    let mut jobs = Vec::new();
    for tenant in engine.state.list_tenants().await? {
        if let (true, Some(cron), Ok(id)) =
            (tenant.enabled, tenant.schedule.clone(), TenantId::parse(&tenant.tenant_id))
        {
            jobs.push(ScheduledJob {
                tenant: id,
                pipeline: Pipeline::ProductSync,
                label: "sync",
                cron,
                all_sources: false,
            });
        }
    }
    for tenant in engine.state.tenants_with_table(crate::ior::config::CONFIG_TABLE).await? {
        let Ok(config) = crate::ior::load_config(engine, &tenant).await else { continue };
        if !config.raw.enabled {
            continue;
        }
        let schedules = &config.raw.schedules;
        jobs.push(ScheduledJob {
            tenant: tenant.clone(),
            pipeline: Pipeline::IorDaily,
            label: "daily",
            cron: schedules.daily.clone(),
            all_sources: false,
        });
        jobs.push(ScheduledJob {
            tenant,
            pipeline: Pipeline::IorDaily,
            label: "weekly",
            cron: schedules.weekly.clone(),
            all_sources: true,
        });
    }
    Ok(jobs)
}

/// What the scheduler remembers between ticks: the last clock reading per job.
#[derive(Debug, Default)]
pub struct SchedulerState {
    last_seen: HashMap<String, DateTime<Utc>>,
}

/// One reading of the clock: starts every job whose slot fell in `(previous reading, now]`
/// (a job seen for the first time starts counting from `now`) and drives each run to its end.
/// A job whose run cannot start (a disabled tenant, a missing secret) is reported, not fatal.
pub async fn tick(
    engine: &Engine,
    state: &mut SchedulerState,
    now: DateTime<Utc>,
) -> Result<Vec<Result<RunRecord, String>>, RunError> {
    let mut outcomes = Vec::new();
    for job in jobs(engine).await? {
        let key = job.key();
        let Some(previous) = state.last_seen.insert(key, now) else { continue };
        match job.slot_between(previous, now) {
            Ok(None) => {}
            Ok(Some(slot)) => outcomes.push(fire(engine, &job, slot).await),
            Err(message) => {
                tracing::warn!(tenant = %job.tenant, pipeline = job.pipeline.name(), "{message}");
                outcomes.push(Err(message));
            }
        }
    }
    Ok(outcomes)
}

async fn fire(engine: &Engine, job: &ScheduledJob, slot: DateTime<Utc>) -> Result<RunRecord, String> {
    let params = match job.pipeline {
        Pipeline::IorDaily => {
            let params = IorParams { run_date: Some(slot.date_naive()), window: None, all_sources: job.all_sources };
            Some(serde_json::to_value(params).map_err(|e| e.to_string())?)
        }
        Pipeline::ProductSync => None,
    };
    let options = RunOptions { full: false, trigger: format!("schedule {}", job.label), params };
    tracing::info!(tenant = %job.tenant, pipeline = job.pipeline.name(), %slot, "scheduled run due");
    let run = runner::start_pipeline_run(engine, job.pipeline, &job.tenant, &options)
        .await
        .map_err(|e| format!("scheduled {} run not started: {e}", job.pipeline.name()))?;
    runner::run_to_end(engine, &run.run_id, |_| {}).await.map_err(|e| e.to_string())
}
