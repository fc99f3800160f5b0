//! `lading runs …` and `lading quarantine …`: read-only views of the state store.

use super::tenant_id;
use crate::cli::{QuarantineCommand, RunsCommand};
use crate::exit::Failure;
use crate::output;
use lading_runtime::Engine;
use lading_store::{RunFilter, StoreError};
use std::process::ExitCode;

pub async fn runs(engine: &Engine, command: RunsCommand, json: bool) -> Result<ExitCode, Failure> {
    match command {
        RunsCommand::List { tenant, limit } => {
            if let Some(t) = &tenant {
                let id = tenant_id(t)?;
                engine.state.get_tenant(&id).await?.ok_or_else(|| StoreError::UnknownTenant(t.clone()))?;
            }
            let runs = engine.state.list_runs(&RunFilter { tenant_id: tenant, limit, ..RunFilter::default() }).await?;
            if json {
                output::json(&runs);
            } else {
                output::print_runs(&runs);
            }
        }
        RunsCommand::Show { run_id } => {
            let run = engine.state.get_run(&run_id).await?.ok_or_else(|| StoreError::UnknownRun(run_id.clone()))?;
            let steps = engine.state.list_steps(&run_id).await?;
            if json {
                output::json(&serde_json::json!({"run": run, "steps": steps}));
            } else {
                output::print_run_detail(&run, &steps);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn quarantine(engine: &Engine, command: QuarantineCommand, json: bool) -> Result<ExitCode, Failure> {
    let QuarantineCommand::List { tenant, run, limit } = command;
    let id = tenant.as_deref().map(tenant_id).transpose()?;
    let entries = engine.state.list_quarantine(id.as_ref(), run.as_deref(), limit).await?;
    if json {
        output::json(&entries);
    } else {
        output::print_quarantine(&entries);
    }
    Ok(ExitCode::SUCCESS)
}
