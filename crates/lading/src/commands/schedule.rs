//! `lading schedule list|run`: the embedded scheduler in the foreground.

use crate::cli::ScheduleCommand;
use crate::exit::Failure;
use crate::output;
use lading_runtime::Engine;
use lading_runtime::schedule::{SchedulerState, jobs, tick};
use std::process::ExitCode;
use std::time::Duration;

pub async fn run(engine: &Engine, command: ScheduleCommand, json: bool) -> Result<ExitCode, Failure> {
    match command {
        ScheduleCommand::List => {
            let now = chrono::Utc::now();
            let far = now + chrono::Duration::days(400);
            let mut rows = Vec::new();
            for job in jobs(engine).await? {
                let next = job.slot_between(now, far).map_err(Failure::invalid)?;
                rows.push(serde_json::json!({
                    "tenant": job.tenant, "pipeline": job.pipeline.name(), "schedule": job.label,
                    "cron": job.cron, "next": next.map(|t| t.to_rfc3339()),
                }));
            }
            if json {
                output::json(&rows);
            } else {
                println!("{:<16} {:<14} {:<8} {:<20} next", "tenant", "pipeline", "label", "cron");
                for row in &rows {
                    println!(
                        "{:<16} {:<14} {:<8} {:<20} {}",
                        row["tenant"].as_str().unwrap_or(""),
                        row["pipeline"].as_str().unwrap_or(""),
                        row["schedule"].as_str().unwrap_or(""),
                        row["cron"].as_str().unwrap_or(""),
                        row["next"].as_str().unwrap_or("-")
                    );
                }
            }
        }
        ScheduleCommand::Run { tick_secs } => {
            let mut state = SchedulerState::default();
            let mut interval = tokio::time::interval(Duration::from_secs(tick_secs.max(1)));
            eprintln!("scheduler running; Ctrl-C stops it");
            loop {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => break,
                    _ = interval.tick() => {
                        for outcome in tick(engine, &mut state, chrono::Utc::now()).await? {
                            match outcome {
                                Ok(run) if json => output::json(&run),
                                Ok(run) => println!("{}", output::run_line(&run)),
                                Err(message) => eprintln!("error: {message}"),
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
