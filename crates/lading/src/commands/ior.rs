//! The importer-of-record commands: `run ior-daily`, `ior setup|secret|lines`, `upload`,
//! `validate --against`.

use super::{read_input, tenant_id};
use crate::cli::{IorCommand, PipelineName, RunArgs, UploadArgs, ValidateArgs};
use crate::exit::{Failure, RUN_FAILED};
use crate::output;
use lading_core::Secret;
use lading_customs::lines_csv::write_lines_csv;
use lading_customs::model::CustomsLine;
use lading_runtime::Engine;
use lading_runtime::ior::{self, IorError, RawIorConfig};
use lading_runtime::ior_daily::{CUSTOMS_LINES, IorParams};
use lading_runtime::pipelines::Pipeline;
use lading_runtime::runner::{self, RunOptions};
use lading_store::Status;
use std::process::ExitCode;

impl From<IorError> for Failure {
    fn from(err: IorError) -> Failure {
        match err {
            IorError::Store(store) => store.into(),
            IorError::Connect(connect) => Failure::new(crate::exit::EXTERNAL, connect.to_string()),
            other => Failure::invalid(other.to_string()),
        }
    }
}

pub async fn run(engine: &Engine, args: RunArgs, json: bool) -> Result<ExitCode, Failure> {
    let PipelineName::IorDaily = args.pipeline;
    let tenant = tenant_id(&args.tenant)?;
    let params = IorParams { run_date: args.date, window: args.from.zip(args.to), all_sources: args.all_sources };
    if let Some((from, to)) = params.window
        && from > to
    {
        return Err(Failure::invalid(format!("--from {from} is after --to {to}")));
    }
    let options = RunOptions {
        full: false,
        trigger: "manual".into(),
        params: Some(serde_json::to_value(&params).map_err(Failure::internal)?),
    };
    let run = runner::start_pipeline_run(engine, Pipeline::IorDaily, &tenant, &options).await?;
    let bar = super::sync::progress_bar(json, Pipeline::IorDaily.steps().len() as u64, tenant.as_str());
    let run = runner::run_to_end(engine, &run.run_id, |step| {
        bar.set_message(format!("{} done", step.name));
        bar.inc(1);
    })
    .await?;
    bar.finish_and_clear();
    let steps = engine.state.list_steps(&run.run_id).await?;
    let comparison_key = format!("reports/{tenant}/{}/comparison.json", run.run_id);
    let comparison: Option<serde_json::Value> = engine.objects.get_json(&comparison_key).await.ok();
    if json {
        output::json(
            &serde_json::json!({"run": run, "steps": steps, "comparison": comparison.as_ref().map(|c| &c["summary"])}),
        );
    } else {
        output::print_run_detail(&run, &steps);
        if let Some(report) = &comparison {
            println!("comparison ({comparison_key})");
            output::print_comparison_json_summary(&report["summary"]);
        }
    }
    if run.status == Status::Failed {
        return Err(Failure::new(
            super::sync::run_failure_code(&run),
            format!("run {} failed: {}", run.run_id, run.error.unwrap_or_default()),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn command(engine: &Engine, command: IorCommand, json: bool) -> Result<ExitCode, Failure> {
    match command {
        IorCommand::Setup { file } => {
            let text = read_input(&file)?;
            let raw: RawIorConfig =
                serde_json::from_str(&text).map_err(|e| Failure::invalid(format!("{}: {e}", file.display())))?;
            let config = ior::put_config(engine, raw).await?;
            let (action, target) = (lading_runtime::audit::Action::IorConfigSaved, format!("ior/{}", config.tenant_id));
            let details = serde_json::json!({"config": config.raw});
            super::audit::record(engine, super::audit::event(action, Some(&config.tenant_id), target, details)).await?;
            if json {
                output::json(&config.raw);
            } else {
                println!(
                    "ior config for tenant {} saved (sap {}, shadow mode {})",
                    config.tenant_id,
                    config.raw.sap.base_url,
                    if config.raw.shadow_mode { "on" } else { "off" }
                );
            }
        }
        IorCommand::Secret { tenant, file } => {
            let id = tenant_id(&tenant)?;
            let config = ior::load_config(engine, &id).await?;
            let text = read_input(&file)?;
            #[derive(serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            #[allow(dead_code)]
            struct SapUser {
                username: String,
                password: String,
            }
            serde_json::from_str::<SapUser>(&text).map_err(|e| {
                Failure::invalid(format!(
                    "tenant {tenant}: the sap secret at line {} column {} is not {{\"username\", \"password\"}}",
                    e.line(),
                    e.column()
                ))
            })?;
            let name = config.secret_name();
            engine.secrets.put_secret(&name, &Secret::new(text.trim())).await?;
            let (action, details) = (lading_runtime::audit::Action::SecretSet, serde_json::json!({"name": name}));
            super::audit::record(engine, super::audit::event(action, Some(&id), format!("secret/{name}"), details))
                .await?;
            if json {
                output::json(&serde_json::json!({"name": name}));
            } else {
                println!("secret {name} stored (encrypted)");
            }
        }
        IorCommand::Lines { tenant, entry, reported } => {
            let id = tenant_id(&tenant)?;
            let table = if reported { lading_customs::etl::REPORTED_LINES } else { CUSTOMS_LINES };
            let mut lines: Vec<CustomsLine> = ior::etl::read_table(engine, &id, table).await?;
            if let Some(entry) = &entry {
                lines.retain(|l| &l.entry_number == entry);
            }
            if json {
                output::json(&lines);
            } else {
                print!("{}", write_lines_csv(&lines));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn upload(engine: &Engine, args: UploadArgs, json: bool) -> Result<ExitCode, Failure> {
    let id = tenant_id(&args.tenant)?;
    let bytes =
        std::fs::read(&args.file).map_err(|e| Failure::invalid(format!("cannot read {}: {e}", args.file.display())))?;
    let report = ior::upload(engine, &id, &args.table, &bytes).await?;
    let details = serde_json::json!({"file": args.file.display().to_string(), "bytes": bytes.len(), "run_id": report.run_id,
        "records": report.records, "rows_written": report.rows_written, "quarantined": report.quarantined.len()});
    let (action, target) = (lading_runtime::audit::Action::Upload, format!("table/{}", report.table));
    super::audit::record(engine, super::audit::event(action, Some(&id), target, details)).await?;
    if json {
        output::json(&report);
    } else {
        println!(
            "{}: {} records read, {} rows written to {}, {} quarantined",
            report.file,
            report.records,
            report.rows_written,
            report.table,
            report.quarantined.len()
        );
        for problem in report.quarantined.iter().take(20) {
            let reasons: Vec<String> = problem.reasons.iter().map(|r| format!("{}: {}", r.field, r.message)).collect();
            let row = problem.row.map(|r| format!("row {r}")).unwrap_or_default();
            println!("  {} {row}: {}", problem.key, reasons.join("; "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn validate(engine: &Engine, args: ValidateArgs, json: bool) -> Result<ExitCode, Failure> {
    let id = tenant_id(&args.tenant)?;
    let entries = std::fs::read_dir(&args.against)
        .map_err(|e| Failure::invalid(format!("cannot read {}: {e}", args.against.display())))?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
            let bytes =
                std::fs::read(&path).map_err(|e| Failure::invalid(format!("cannot read {}: {e}", path.display())))?;
            files.push((entry.file_name().to_string_lossy().into_owned(), bytes));
        }
    }
    if files.is_empty() {
        return Err(Failure::invalid(format!(
            "{} holds no CSV file; expected Product_List.csv, HTS_Code.csv, HTS Tariff.csv, Packaging_Material.csv",
            args.against.display()
        )));
    }
    let report = ior::validate_against(engine, &id, files).await?;
    if json {
        output::json(&report);
    } else {
        output::print_shadow_report(&report);
    }
    if !report.is_full_match() {
        return Err(Failure::new(RUN_FAILED, format!("tenant {id}: the tables do not match the importer's files yet")));
    }
    Ok(ExitCode::SUCCESS)
}
