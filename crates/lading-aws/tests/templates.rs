//! The generated state machines and CloudFormation template: their structure, and the real
//! validators (`asl-validator` from npm, `cfn-lint` from pip) with zero errors. A missing tool
//! fails the test: `scripts/install-test-deps` installs both.

use lading_aws::template::{self, TemplateParams};
use lading_core::TenantId;
use lading_core::retry::RetryPolicy;
use lading_runtime::pipelines::{Pipeline, step_policy};
use lading_runtime::schedule::ScheduledJob;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Resource types CloudFormation gives no `Tags` property; cfn-lint refuses `Tags` on them, so
/// this list cannot grow by mistake.
const UNTAGGABLE: [&str; 11] = [
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::Route",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::KMS::Alias",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::CloudWatch::Dashboard",
    "AWS::Scheduler::Schedule",
    "AWS::SQS::QueuePolicy",
];

fn custom_policy() -> RetryPolicy {
    RetryPolicy { max_attempts: 4, initial_backoff_ms: 1_500, max_backoff_ms: 20_000, backoff_rate: 1.5 }
}

fn params() -> TemplateParams {
    let job = |tenant: &str, pipeline, label, cron: &str, all_sources| ScheduledJob {
        tenant: TenantId::parse(tenant).unwrap(),
        pipeline,
        label,
        cron: cron.into(),
        all_sources,
    };
    TemplateParams {
        schedules: vec![
            job("acme", Pipeline::ProductSync, "sync", "0 30 2 * * *", false),
            job("globex-retail", Pipeline::ProductSync, "sync", "0 0 */6 * * *", false),
            job("initech", Pipeline::IorDaily, "daily", "0 0 5 * * *", false),
            job("initech", Pipeline::IorDaily, "weekly", "0 0 6 * * 1", true),
        ],
        secret_names: vec!["siesa-integration/acme/kong".into(), "siesa-integration/globex-retail/wms".into()],
    }
}

fn pascal(name: &str) -> String {
    name.split('-').map(|part| part[..1].to_uppercase() + &part[1..]).collect()
}

fn template() -> Value {
    template::cloudformation(&params()).expect("the test schedules convert")
}

fn resources(template: &Value) -> &serde_json::Map<String, Value> {
    template["Resources"].as_object().unwrap()
}

#[test]
fn every_step_is_a_lambda_task_retried_by_its_policy() {
    let policy = custom_policy();
    for pipeline in Pipeline::ALL {
        let machine = template::state_machine(pipeline, &policy);
        assert_eq!(machine["StartAt"], "Begin");
        for step in pipeline.steps() {
            let task = &machine["States"][*step];
            assert_eq!(task["Type"], "Task", "{step}");
            assert_eq!(task["Resource"], "arn:aws:states:::lambda:invoke");
            assert_eq!(
                task["Parameters"]["FunctionName"],
                format!("${{{}}}", template::function_arn_placeholder(pipeline, step))
            );
            assert_eq!(task["ResultPath"], format!("$.outputs.{step}"), "a step returns its object key only");
            let expected = step_policy(pipeline, step, &policy);
            if expected.max_attempts <= 1 {
                assert!(task.get("Retry").is_none(), "{step} is tried once, as the runner does");
                continue;
            }
            let retry = &task["Retry"][0];
            assert_eq!(retry["MaxAttempts"], u64::from(expected.max_attempts - 1), "{step}: retries, not attempts");
            assert_eq!(retry["IntervalSeconds"], expected.initial_backoff_ms.div_ceil(1000));
            assert_eq!(retry["MaxDelaySeconds"], expected.max_backoff_ms.div_ceil(1000));
            assert_eq!(retry["BackoffRate"], f64::from(expected.backoff_rate));
            assert_eq!(retry["JitterStrategy"], "FULL");
            assert!(retry["ErrorEquals"].as_array().unwrap().contains(&template::RETRYABLE_ERROR.into()));
        }
    }
    // The tenant policy reaches product-sync's extract: 4 attempts, 1.5 s, ×1.5, 20 s → the
    // runner caps steps at 3 attempts.
    let extract = &template::state_machine(Pipeline::ProductSync, &policy)["States"]["extract"]["Retry"][0];
    assert_eq!(
        (extract["MaxAttempts"].as_u64(), extract["IntervalSeconds"].as_u64(), extract["MaxDelaySeconds"].as_u64()),
        (Some(2), Some(2), Some(20))
    );
    assert_eq!(extract["BackoffRate"], 1.5);
}

#[test]
fn a_failure_is_recorded_then_alerted_then_fails_and_success_is_recorded() {
    let machine = template::state_machine(Pipeline::ProductSync, &RetryPolicy::default());
    let states = &machine["States"];
    for step in Pipeline::ProductSync.steps() {
        assert_eq!(states[*step]["Catch"][0]["ErrorEquals"][0], "States.ALL");
        assert_eq!(states[*step]["Catch"][0]["Next"], "RecordFailure");
    }
    assert_eq!(states["report"]["Next"], "RecordSuccess");
    assert_eq!(states["RecordFailure"]["Resource"], "arn:aws:states:::dynamodb:updateItem");
    assert_eq!(states["RecordFailure"]["Next"], "PublishAlert");
    assert_eq!(states["PublishAlert"]["Resource"], "arn:aws:states:::sns:publish");
    assert_eq!(states["PublishAlert"]["Next"], "RunFailed");
    assert_eq!(states["RunFailed"]["Type"], "Fail");
    assert_eq!(states["RecordSuccess"]["Resource"], "arn:aws:states:::dynamodb:updateItem");
    assert_eq!(states["RecordSuccess"]["Parameters"]["ExpressionAttributeValues"][":status"]["S"], "succeeded");
    assert_eq!(states["RecordSuccess"]["Next"], "RunSucceeded");
    assert_eq!(states["RecordSuccess"]["Catch"][0]["Next"], "RecordFailure", "an unrecorded success is a failure");
    assert_eq!(states["RunSucceeded"]["Type"], "Succeed");
}

#[test]
fn every_taggable_resource_carries_the_three_tags() {
    let template = template();
    for (id, resource) in resources(&template) {
        let kind = resource["Type"].as_str().unwrap();
        if UNTAGGABLE.contains(&kind) {
            continue;
        }
        let tags = &resource["Properties"]["Tags"];
        let keys: Vec<&str> = match tags {
            Value::Array(list) => list.iter().filter_map(|t| t["Key"].as_str()).collect(),
            _ => panic!("{id} ({kind}) has no Tags"),
        };
        assert_eq!(keys, ["Project", "Environment", "ManagedBy"], "{id}");
    }
}

#[test]
fn buckets_are_encrypted_private_and_the_audit_bucket_is_locked_for_seven_years() {
    let template = template();
    let buckets: Vec<(&String, &Value)> =
        resources(&template).iter().filter(|(_, r)| r["Type"] == "AWS::S3::Bucket").collect();
    assert_eq!(buckets.len(), 6);
    for (id, bucket) in &buckets {
        let properties = &bucket["Properties"];
        let default =
            &properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"];
        assert_eq!(default["SSEAlgorithm"], "aws:kms", "{id}");
        let block = &properties["PublicAccessBlockConfiguration"];
        for setting in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] {
            assert_eq!(block[setting], true, "{id} {setting}");
        }
        assert!(properties["LifecycleConfiguration"]["Rules"].as_array().is_some_and(|r| !r.is_empty()), "{id}");
    }
    let audit = &resources(&template)["AuditBucket"]["Properties"];
    assert_eq!(audit["ObjectLockEnabled"], true);
    assert_eq!(audit["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Mode"], "COMPLIANCE");
    assert_eq!(audit["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Years"], 7);
    assert_eq!(resources(&template)["ConfigBucket"]["Properties"]["VersioningConfiguration"]["Status"], "Enabled");
}

#[test]
fn state_machines_are_referenced_with_substitutions_and_schedules_use_aws_cron() {
    let template = template();
    let machine = &resources(&template)["ProductSyncStateMachine"]["Properties"];
    assert!(machine.get("DefinitionString").is_none() && machine.get("Definition").is_none());
    assert_eq!(
        machine["DefinitionS3Location"]["Key"]["Fn::Sub"],
        "${StateMachineKeyPrefix}statemachine-product-sync.asl.json"
    );
    let substitutions = machine["DefinitionSubstitutions"].as_object().unwrap();
    for step in Pipeline::ProductSync.steps() {
        assert!(substitutions.contains_key(&template::function_arn_placeholder(Pipeline::ProductSync, step)));
    }
    // Every placeholder of every definition is substituted, and names a resource that exists.
    for pipeline in Pipeline::ALL {
        let properties = &resources(&template)[&format!("{}StateMachine", pascal(pipeline.name()))]["Properties"];
        let substitutions = properties["DefinitionSubstitutions"].as_object().unwrap();
        let definition = template::state_machine(pipeline, &RetryPolicy::default()).to_string();
        for placeholder in definition.split("${").skip(1).map(|rest| &rest[..rest.find('}').unwrap()]) {
            assert!(
                substitutions.contains_key(placeholder),
                "{}: ${{{placeholder}}} is not substituted",
                pipeline.name()
            );
        }
        for value in substitutions.values() {
            let target = value.get("Fn::GetAtt").map(|g| &g[0]).or_else(|| value.get("Ref")).unwrap();
            assert!(resources(&template).contains_key(target.as_str().unwrap()), "{target} does not exist");
        }
    }
    assert_eq!(resources(&template)["ScheduleAcmeSync"]["Properties"]["ScheduleExpression"], "cron(30 2 * * ? *)");
    assert_eq!(resources(&template)["ScheduleInitechWeekly"]["Properties"]["ScheduleExpression"], "cron(0 6 ? * 1 *)");
    assert!(resources(&template).contains_key("SecretSiesaIntegrationGlobexRetailWms"));
}

#[test]
fn crons_aws_cannot_express_are_all_named() {
    assert_eq!(template::aws_cron("0 0 2 * * *").unwrap(), "cron(0 2 * * ? *)");
    assert_eq!(template::aws_cron("0 15 10 1 * *").unwrap(), "cron(15 10 1 * ? *)");
    let mut bad = params();
    bad.schedules[0].cron = "30 0 2 * * *".into();
    bad.schedules[1].cron = "0 0 2 1 * 2".into();
    let problems = template::cloudformation(&bad).unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("acme") && problems[0].contains("seconds"));
    assert!(problems[1].contains("globex-retail") && problems[1].contains("day of the month"));
}

// --- The real validators. ------------------------------------------------------------------

fn tool_missing(tool: &str) -> ! {
    panic!("{tool} is not installed: run scripts/install-test-deps")
}

fn asl_validator() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/asl/node_modules/.bin/asl-validator");
    if !path.exists() {
        tool_missing("asl-validator (npm, crates/lading-aws/tests/asl)");
    }
    path
}

#[test]
fn every_state_machine_passes_asl_validator() {
    let validator = asl_validator();
    let dir = tempfile::tempdir().unwrap();
    for pipeline in Pipeline::ALL {
        let file = dir.path().join(template::state_machine_file(pipeline));
        let machine = template::state_machine(pipeline, &RetryPolicy::default());
        std::fs::write(&file, serde_json::to_string_pretty(&machine).unwrap()).unwrap();
        let output = Command::new(&validator).arg("--json-path").arg(&file).output().unwrap();
        assert!(
            output.status.success(),
            "asl-validator refused {}:\n{}{}",
            pipeline.name(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn the_template_passes_cfn_lint_with_no_findings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lading.template.json");
    std::fs::write(&file, serde_json::to_string_pretty(&template()).unwrap()).unwrap();
    // Informational findings too: they flag stateful resources the stack would delete.
    let output =
        match Command::new("cfn-lint").args(["--format", "json", "--include-checks", "I", "--"]).arg(&file).output() {
            Ok(output) => output,
            Err(_) => tool_missing("cfn-lint (pip)"),
        };
    let findings: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "cfn-lint did not answer JSON:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f["Level"] == "Error")
        .map(|f| format!("{} {} at {}", f["Rule"]["Id"], f["Message"], f["Location"]["Path"]))
        .collect();
    assert!(errors.is_empty(), "cfn-lint errors:\n{}", errors.join("\n"));
    assert!(findings.is_empty(), "cfn-lint warnings and informational findings: {findings:#?}");
}
