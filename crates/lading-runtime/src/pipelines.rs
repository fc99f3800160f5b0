//! The pipelines a run can be of, and what each needs before and during its steps.
//!
//! The runner knows runs and steps; this module knows which steps a pipeline has, what it
//! checks before a run starts (config, secrets, mapping), how often each step is tried, and
//! which function executes a step.

use crate::engine::Engine;
use crate::ior_daily;
use crate::product_sync::{self, StepContext, StepFailure, StepOutput};
use crate::runner::RunError;
use lading_core::TenantId;
use lading_core::config::TenantConfig;
use lading_core::retry::RetryPolicy;
use lading_core::secret::TenantSecrets;
use lading_customs::config::IorConfig;
use lading_store::{Counters, RunRecord};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pipeline {
    /// Siesa → mapping → a product adapter.
    ProductSync,
    /// SAP → master tables → customs lines → comparison with SAP's → alert.
    IorDaily,
}

impl Pipeline {
    pub const ALL: [Pipeline; 2] = [Pipeline::ProductSync, Pipeline::IorDaily];

    pub fn name(self) -> &'static str {
        match self {
            Pipeline::ProductSync => product_sync::PIPELINE,
            Pipeline::IorDaily => ior_daily::PIPELINE,
        }
    }

    pub fn parse(name: &str) -> Option<Pipeline> {
        Pipeline::ALL.into_iter().find(|p| p.name() == name)
    }

    pub fn steps(self) -> &'static [&'static str] {
        match self {
            Pipeline::ProductSync => &product_sync::STEPS,
            Pipeline::IorDaily => &ior_daily::STEPS,
        }
    }

    /// Copies the counters a step owns into the run's counters.
    pub fn merge_counters(self, run: &mut Counters, step: &str, from_step: &Counters) {
        match (self, step) {
            (Pipeline::ProductSync, "extract") => run.extracted = from_step.extracted,
            (Pipeline::ProductSync, "transform") => {
                run.extracted = from_step.extracted;
                run.valid = from_step.valid;
                run.quarantined = from_step.quarantined;
            }
            (Pipeline::ProductSync, "load") => {
                run.created = from_step.created;
                run.updated = from_step.updated;
                run.unchanged = from_step.unchanged;
                run.failed = from_step.failed;
            }
            (Pipeline::IorDaily, "etl") => {
                run.extracted = from_step.extracted;
                run.valid = from_step.valid;
                run.quarantined = from_step.quarantined;
            }
            (Pipeline::IorDaily, "generate") => {
                run.created = from_step.created;
                run.failed = from_step.failed;
            }
            _ => {}
        }
    }
}

/// What a pipeline loaded for a tenant before its steps run.
pub enum Prepared {
    ProductSync { tenant: TenantConfig, secrets: TenantSecrets },
    IorDaily { config: IorConfig },
}

impl Prepared {
    pub fn failure_threshold(&self) -> f64 {
        match self {
            Prepared::ProductSync { tenant, .. } => tenant.raw.failure_threshold,
            Prepared::IorDaily { config } => config.raw.failure_threshold,
        }
    }

    /// The retry policy of a step (see [`step_policy`]).
    pub fn step_policy(&self, step: &str) -> RetryPolicy {
        match self {
            Prepared::ProductSync { tenant, .. } => step_policy(Pipeline::ProductSync, step, &tenant.raw.retry),
            Prepared::IorDaily { .. } => step_policy(Pipeline::IorDaily, step, &RetryPolicy::default()),
        }
    }
}

/// The retry policy of a pipeline's step, given the tenant's `retry` policy. Pure, so the
/// generated Step Functions state machines (`lading-aws`) retry exactly as the runner does.
pub fn step_policy(pipeline: Pipeline, step: &str, tenant_retry: &RetryPolicy) -> RetryPolicy {
    match (pipeline, step) {
        // Transform is deterministic, so trying it again cannot help.
        (Pipeline::ProductSync, "transform") => RetryPolicy::none(),
        (Pipeline::ProductSync, _) => RetryPolicy { max_attempts: 3, ..tenant_retry.clone() },
        // The SAP client retries each call and dead-letters a source it gives up on, so the
        // ingest step is not tried again (that would dead-letter twice); only the alert's
        // delivery is.
        (Pipeline::IorDaily, "alert") => {
            RetryPolicy { max_attempts: 2, initial_backoff_ms: 500, max_backoff_ms: 5_000, backoff_rate: 2.0 }
        }
        (Pipeline::IorDaily, _) => RetryPolicy::none(),
    }
}

/// Loads and checks what a pipeline needs for a tenant. `starting` adds the checks worth
/// doing once, before a run is created (the tenant is enabled, the mapping compiles).
pub async fn prepare(
    engine: &Engine,
    pipeline: Pipeline,
    tenant_id: &TenantId,
    starting: bool,
) -> Result<Prepared, RunError> {
    match pipeline {
        Pipeline::ProductSync => {
            let tenant = engine.tenant(tenant_id).await?;
            if starting && !tenant.raw.enabled {
                return Err(RunError::Disabled(tenant_id.to_string()));
            }
            let secrets = engine.tenant_secrets(&tenant).await?;
            if starting {
                engine
                    .mappings
                    .get(&tenant.raw.mapping_key)
                    .await
                    .map_err(|message| RunError::Mapping { tenant: tenant_id.to_string(), message })?;
            }
            Ok(Prepared::ProductSync { tenant, secrets })
        }
        Pipeline::IorDaily => {
            let config = crate::ior::load_config(engine, tenant_id).await?;
            if starting && !config.raw.enabled {
                return Err(RunError::Ior(crate::ior::IorError::Disabled { tenant: tenant_id.to_string() }));
            }
            if starting {
                crate::ior::sap_credentials(engine, &config).await?;
                ior_daily::tolerances(&config)
                    .map_err(|f| RunError::Mapping { tenant: tenant_id.to_string(), message: f.message })?;
            }
            Ok(Prepared::IorDaily { config })
        }
    }
}

pub async fn execute(
    engine: &Engine,
    prepared: &Prepared,
    run: &RunRecord,
    step: &str,
    previous: &HashMap<String, String>,
) -> Result<StepOutput, StepFailure> {
    match prepared {
        Prepared::ProductSync { tenant, secrets } => {
            let context = StepContext { engine, tenant, secrets, run };
            product_sync::execute(&context, step, previous).await
        }
        Prepared::IorDaily { config } => ior_daily::execute(engine, config, run, step, previous).await,
    }
}
