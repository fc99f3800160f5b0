//! `lading aws template --out DIR`: the state machines and the CloudFormation template.

use crate::cli::AwsCommand;
use crate::exit::Failure;
use crate::output;
use lading_aws::template::{self, TemplateParams};
use lading_core::TenantId;
use lading_core::config::secret_name;
use lading_core::retry::RetryPolicy;
use lading_runtime::Engine;
use lading_runtime::pipelines::Pipeline;
use lading_runtime::schedule::jobs;
use std::path::Path;
use std::process::ExitCode;

pub async fn run(engine: &Engine, command: AwsCommand, json: bool) -> Result<ExitCode, Failure> {
    let AwsCommand::Template { out } = command;
    let tenants = engine.state.list_tenants().await?;
    // One state machine serves every tenant of a pipeline, so it can carry one retry policy:
    // the tenants' own when they all agree, the default otherwise.
    let mut policies: Vec<&RetryPolicy> = tenants.iter().filter(|t| t.enabled).map(|t| &t.retry).collect();
    policies.dedup();
    let retry = match policies.as_slice() {
        [one] => (*one).clone(),
        _ => RetryPolicy::default(),
    };
    let schedules = jobs(engine).await?;
    let mut secret_names: Vec<String> = tenants
        .iter()
        .filter_map(|t| TenantId::parse(&t.tenant_id).ok().map(|id| secret_name(&id, &t.product_type)))
        .collect();
    secret_names.extend(
        schedules
            .iter()
            .filter(|job| job.pipeline == Pipeline::IorDaily)
            .map(|job| format!("sap-integration/{}/sap", job.tenant)),
    );
    let stack = template::cloudformation(&TemplateParams { schedules, secret_names })
        .map_err(|problems| Failure::invalid(problems.join("\n")))?;

    std::fs::create_dir_all(&out).map_err(|e| Failure::invalid(format!("cannot create {}: {e}", out.display())))?;
    let mut written = Vec::new();
    for pipeline in Pipeline::ALL {
        let file = out.join(template::state_machine_file(pipeline));
        write_json(&file, &template::state_machine(pipeline, &retry))?;
        written.push(file);
    }
    let file = out.join("lading.template.json");
    write_json(&file, &stack)?;
    written.push(file);
    if json {
        output::json(&written);
    } else {
        for file in &written {
            println!("wrote {}", file.display());
        }
        println!(
            "upload the statemachine-*.asl.json files under StateMachineKeyPrefix in LambdaCodeBucket before deploying"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), Failure> {
    let mut text = serde_json::to_string_pretty(value).map_err(Failure::internal)?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| Failure::invalid(format!("cannot write {}: {e}", path.display())))
}
