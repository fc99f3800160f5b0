//! `lading sync --tenant T [--full]`.

use super::tenant_id;
use crate::cli::SyncArgs;
use crate::exit::{EXTERNAL, Failure, INVALID_INPUT, RUN_FAILED};
use crate::output;
use indicatif::{ProgressBar, ProgressStyle};
use lading_runtime::runner::{run_to_end, start_run};
use lading_runtime::{Engine, RunOptions};
use lading_store::{RunRecord, Status};
use std::process::ExitCode;

pub async fn run(engine: &Engine, args: SyncArgs, json: bool) -> Result<ExitCode, Failure> {
    let id = tenant_id(&args.tenant)?;
    let options = RunOptions { full: args.full, trigger: "manual".into(), params: None };
    let run = start_run(engine, &id, &options).await?;
    let bar = progress_bar(json, lading_runtime::product_sync::STEPS.len() as u64, &format!("{id}"));
    let run = run_to_end(engine, &run.run_id, |step| {
        bar.set_message(format!("{id}: {} done", step.name));
        bar.inc(1);
    })
    .await?;
    bar.finish_and_clear();
    report_finished(engine, run, json).await
}

/// Prints a finished run with its steps; a failed run is an error with its exit code.
pub async fn report_finished(engine: &Engine, run: RunRecord, json: bool) -> Result<ExitCode, Failure> {
    let steps = engine.state.list_steps(&run.run_id).await?;
    if json {
        output::json(&serde_json::json!({"run": run, "steps": steps}));
    } else {
        output::print_run_detail(&run, &steps);
    }
    if run.status == Status::Failed {
        return Err(Failure::new(
            run_failure_code(&run),
            format!("run {} failed: {}", run.run_id, run.error.unwrap_or_default()),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// A step counter that shows only on a terminal and never with `--json`.
pub fn progress_bar(json: bool, steps: u64, label: &str) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(steps);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix:<10} [{bar:20}] {pos}/{len} {msg} ({elapsed})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(label.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// A run that failed at a step talking to Siesa or the target is an external failure (4); at
/// transform, invalid input (2); over the failure threshold, a failed run (1).
pub fn run_failure_code(run: &lading_store::RunRecord) -> u8 {
    match run.failed_step.as_deref() {
        Some("transform") => INVALID_INPUT,
        Some(_) => EXTERNAL,
        None => RUN_FAILED,
    }
}
