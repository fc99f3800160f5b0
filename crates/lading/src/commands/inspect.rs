//! `lading runs …`, `lading quarantine …` and `lading dlq …`: views of the state store, and
//! the replays of quarantined records and dead letters.

use super::sync::{progress_bar, report_finished, run_failure_code};
use super::tenant_id;
use crate::cli::{DlqCommand, QuarantineCommand, RunsCommand};
use crate::exit::{Failure, NOT_FOUND, RUN_FAILED};
use crate::output;
use lading_runtime::Engine;
use lading_runtime::audit::Action;
use lading_runtime::{replay, runner};
use lading_store::{RunFilter, Status, StoreError};
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
        RunsCommand::Resume { run_id, all } => return resume(engine, run_id, all, json).await,
    }
    Ok(ExitCode::SUCCESS)
}

/// `lading runs resume <run>|--all`: exit 0 when every resumed run succeeded; otherwise the code
/// `lading sync` would give its run, or 6 when another process holds a run's lock.
async fn resume(engine: &Engine, run_id: Option<String>, all: bool, json: bool) -> Result<ExitCode, Failure> {
    if all {
        let resumed = runner::resume_interrupted(engine).await;
        if json {
            let rows: Vec<serde_json::Value> = resumed
                .iter()
                .map(|r| match &r.outcome {
                    Ok(run) => serde_json::json!({"run_id": r.run_id, "tenant": r.tenant_id, "pipeline": r.pipeline, "run": run}),
                    Err(e) => serde_json::json!({"run_id": r.run_id, "tenant": r.tenant_id, "pipeline": r.pipeline, "error": e.to_string()}),
                })
                .collect();
            output::json(&rows);
        } else if resumed.is_empty() {
            println!("no interrupted run to resume");
        } else {
            println!("{}", output::run_header());
            for r in &resumed {
                match &r.outcome {
                    Ok(run) => println!("{}", output::run_line(run)),
                    Err(e) => println!("{:<36}  {:<12}  not resumed: {e}", r.run_id, r.tenant_id),
                }
            }
        }
        let mut code = None;
        for r in resumed {
            match r.outcome {
                Err(e) => return Err(e.into()),
                Ok(run) if run.status == Status::Failed => {
                    code.get_or_insert(Failure::new(
                        run_failure_code(&run),
                        format!("run {} failed: {}", run.run_id, run.error.unwrap_or_default()),
                    ));
                }
                Ok(_) => {}
            }
        }
        return code.map_or(Ok(ExitCode::SUCCESS), Err);
    }
    let run_id = run_id.ok_or_else(|| {
        Failure::invalid(
            "name the run to resume (`lading runs list` shows them), or pass --all for every interrupted run",
        )
    })?;
    let before = engine.state.list_steps(&run_id).await?;
    let bar = progress_bar(json, before.len() as u64, &run_id[..8.min(run_id.len())]);
    bar.set_position(before.iter().filter(|s| s.status == Status::Succeeded).count() as u64);
    let run = runner::resume(engine, &run_id, |step| {
        bar.set_message(format!("{} done", step.name));
        bar.inc(1);
    })
    .await?;
    bar.finish_and_clear();
    report_finished(engine, run, json).await
}

pub async fn quarantine(engine: &Engine, command: QuarantineCommand, json: bool) -> Result<ExitCode, Failure> {
    let (tenant, run, limit) = match command {
        QuarantineCommand::List { tenant, run, limit } => (tenant, run, limit),
        QuarantineCommand::Replay { run, record_key } => {
            let outcome = replay::replay_quarantined(engine, &run, &record_key).await.map_err(replay_failure)?;
            let details = serde_json::json!({"delivered": outcome.delivered, "message": outcome.message});
            let target = format!("run/{run}/record/{record_key}");
            let tenant = lading_core::TenantId::parse(&outcome.tenant_id).ok();
            super::audit::record(
                engine,
                super::audit::event(Action::ReplayQuarantined, tenant.as_ref(), target, details),
            )
            .await?;
            return Ok(print_outcomes(&[outcome], json));
        }
    };
    let id = tenant.as_deref().map(tenant_id).transpose()?;
    let entries = engine.state.list_quarantine(id.as_ref(), run.as_deref(), limit).await?;
    if json {
        output::json(&entries);
    } else {
        output::print_quarantine(&entries);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn dlq(engine: &Engine, command: DlqCommand, json: bool) -> Result<ExitCode, Failure> {
    match command {
        DlqCommand::List { tenant, all, limit } => {
            let id = tenant.as_deref().map(tenant_id).transpose()?;
            let mut letters = engine.state.list_dead_letters(id.as_ref(), 0).await?;
            letters.retain(|l| all || l.replayed_at.is_none());
            letters.truncate(if limit == 0 { usize::MAX } else { limit });
            if json {
                output::json(&letters);
            } else {
                println!("{:>6} {:<12} {:<14} {:<24} {:>8}  error", "id", "tenant", "pipeline", "record", "attempts");
                for l in &letters {
                    let state = if l.replayed_at.is_some() { " (replayed)" } else { "" };
                    println!(
                        "{:>6} {:<12} {:<14} {:<24} {:>8}  {}{state}",
                        l.id, l.tenant_id, l.pipeline, l.record_key, l.attempts, l.error
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DlqCommand::Show { id } => {
            let letter = engine.state.get_dead_letter(id).await?.ok_or_else(|| {
                Failure::new(NOT_FOUND, format!("no dead letter {id}; list them with `lading dlq list`"))
            })?;
            if json {
                output::json(&letter);
            } else {
                println!(
                    "dead letter {} · tenant {} · run {} · {}",
                    letter.id, letter.tenant_id, letter.run_id, letter.pipeline
                );
                println!("record:   {}", letter.record_key);
                println!("error:    {}", letter.error);
                println!("attempts: {}", letter.attempts);
                println!("created:  {}", letter.created_at);
                println!("replayed: {}", letter.replayed_at.as_deref().unwrap_or("no"));
                println!("payload:\n{}", serde_json::to_string_pretty(&letter.payload).unwrap_or_default());
            }
            Ok(ExitCode::SUCCESS)
        }
        DlqCommand::Replay { ids, tenant } => {
            let ids = match (ids.is_empty(), tenant) {
                (false, _) => ids,
                (true, Some(tenant)) => {
                    let id = tenant_id(&tenant)?;
                    let letters = engine.state.list_dead_letters(Some(&id), 0).await?;
                    letters.into_iter().filter(|l| l.replayed_at.is_none()).map(|l| l.id).collect()
                }
                (true, None) => {
                    return Err(Failure::invalid("name the dead letters to replay, or --tenant for all of a tenant's"));
                }
            };
            let mut outcomes = Vec::new();
            for id in ids {
                let outcome = replay::replay_dead_letter(engine, id).await.map_err(replay_failure)?;
                let details = serde_json::json!({"delivered": outcome.delivered, "message": outcome.message});
                let tenant = lading_core::TenantId::parse(&outcome.tenant_id).ok();
                let event = super::audit::event(
                    Action::ReplayDeadLetter,
                    tenant.as_ref(),
                    format!("dead-letter/{id}"),
                    details,
                );
                super::audit::record(engine, event).await?;
                outcomes.push(outcome);
            }
            Ok(print_outcomes(&outcomes, json))
        }
    }
}

fn replay_failure(err: replay::ReplayError) -> Failure {
    match err {
        replay::ReplayError::NotFound(message) => Failure::new(NOT_FOUND, message),
        replay::ReplayError::AlreadyReplayed(message) | replay::ReplayError::Unsupported(message) => {
            Failure::invalid(message)
        }
        replay::ReplayError::Run(run) => run.into(),
        replay::ReplayError::Store(store) => store.into(),
    }
}

/// Prints what replays did; exit 1 when one was not delivered.
fn print_outcomes(outcomes: &[replay::ReplayOutcome], json: bool) -> ExitCode {
    if json {
        output::json(&outcomes);
    } else {
        for o in outcomes {
            let what = o.id.map(|id| format!("dead letter {id}")).unwrap_or_else(|| format!("record {}", o.record_key));
            println!("{what} ({}): {}", o.tenant_id, o.message);
        }
    }
    if outcomes.iter().all(|o| o.delivered) { ExitCode::SUCCESS } else { ExitCode::from(RUN_FAILED) }
}
