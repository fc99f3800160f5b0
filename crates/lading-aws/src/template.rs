//! The Step Functions state machines and the CloudFormation template, as JSON values.
//!
//! A state machine has one Lambda task per pipeline step, each retried as the embedded runner
//! retries it ([`lading_runtime::pipelines::step_policy`]); any failure is caught, recorded on
//! the run in DynamoDB and published to the alert topic before the execution fails. Steps pass
//! references only: the task input is the tenant, the run id, the step and the object keys the
//! earlier steps left (`$.outputs`, one key per step), never a payload.
//!
//! The definitions hold `${…}` placeholders (function ARNs, the runs table, the alert topic)
//! that the template fills through `DefinitionSubstitutions`; the template points at each
//! definition by `DefinitionS3Location`, next to the Lambda package, so nothing is inlined.
//!
//! Contract with the Lambda (a later slice): it raises the error `Lading.Retryable` for a step
//! failure the runner would retry and any other error name for one it would not; it emits the
//! Prometheus metrics of `lading_runtime::metrics` as CloudWatch EMF in the `Lading` namespace,
//! with the dimension sets the alarms below read (`[pipeline]`, `[kind]`, `[level]`).

use lading_core::retry::RetryPolicy;
use lading_runtime::pipelines::{self, Pipeline};
use lading_runtime::schedule::ScheduledJob;
use serde_json::{Map, Value, json};

/// The CloudWatch namespace of Lading's own metrics.
pub const METRICS_NAMESPACE: &str = "Lading";
/// The error name a step's Lambda raises when the failure is worth another attempt.
pub const RETRYABLE_ERROR: &str = "Lading.Retryable";
/// Lambda's own transient errors: the invocation did not run the step, so a retry is safe.
const LAMBDA_TRANSIENT_ERRORS: [&str; 4] = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
];
/// Seven years, the audit trail's retention (`lading_runtime::audit`).
pub const AUDIT_RETENTION_YEARS: u32 = 7;

/// The file a pipeline's state machine is written to, and its key under the definitions prefix.
pub fn state_machine_file(pipeline: Pipeline) -> String {
    format!("statemachine-{}.asl.json", pipeline.name())
}

/// The `DefinitionSubstitutions` name of a step's function ARN: `ProductSyncExtractFunctionArn`.
pub fn function_arn_placeholder(pipeline: Pipeline, step: &str) -> String {
    format!("{}FunctionArn", function_id(pipeline, step))
}

/// The Amazon States Language definition of a pipeline. `tenant_retry` is the tenants' `retry`
/// policy; each step's policy derives from it as in the embedded runner.
pub fn state_machine(pipeline: Pipeline, tenant_retry: &RetryPolicy) -> Value {
    let steps = pipeline.steps();
    let mut states = Map::new();
    states.insert(
        "Begin".into(),
        json!({
            "Type": "Pass",
            "Comment": "the run id is the execution's name; the request is the execution's input; no step has left an object yet",
            "Parameters": {
                "tenant.$": "$.tenant",
                "run_id.$": "$$.Execution.Name",
                "request.$": "$",
                "outputs": {}
            },
            "Next": steps[0]
        }),
    );
    for (index, step) in steps.iter().enumerate() {
        let next = steps.get(index + 1).copied().unwrap_or("RecordSuccess");
        let mut task = json!({
            "Type": "Task",
            "Comment": format!("step {step} of {}: reads the keys of earlier steps, returns its own", pipeline.name()),
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": format!("${{{}}}", function_arn_placeholder(pipeline, step)),
                "Payload": {
                    "tenant.$": "$.tenant",
                    "run_id.$": "$.run_id",
                    "pipeline": pipeline.name(),
                    "step": step,
                    "request.$": "$.request",
                    "outputs.$": "$.outputs"
                }
            },
            "ResultSelector": {"output_ref.$": "$.Payload.output_ref"},
            "ResultPath": format!("$.outputs.{step}"),
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}],
            "Next": next
        });
        if let Some(retry) = retry_block(&pipelines::step_policy(pipeline, step, tenant_retry)) {
            task["Retry"] = json!([retry]);
        }
        states.insert((*step).to_string(), task);
    }
    states.insert(
        "RecordSuccess".into(),
        json!({
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": run_update("succeeded", None),
            "ResultPath": null,
            "Retry": bookkeeping_retry(),
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}],
            "Next": "RunSucceeded"
        }),
    );
    states.insert("RunSucceeded".into(), json!({"Type": "Succeed"}));
    states.insert(
        "RecordFailure".into(),
        json!({
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": run_update("failed", Some("States.JsonToString($.error)")),
            "ResultPath": null,
            "Retry": bookkeeping_retry(),
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.record_error", "Next": "PublishAlert"}],
            "Next": "PublishAlert"
        }),
    );
    states.insert(
        "PublishAlert".into(),
        json!({
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {
                "TopicArn": "${AlertTopicArn}",
                "Subject": format!("[lading] error run_failed: {}", pipeline.name()),
                "Message.$": format!(
                    "States.Format('{} run {{}} of tenant {{}} failed: {{}}', $.run_id, $.tenant, States.JsonToString($.error))",
                    pipeline.name()
                ),
                "MessageAttributes": {
                    "tenant": {"DataType": "String", "StringValue.$": "$.tenant"},
                    "kind": {"DataType": "String", "StringValue": "run_failed"}
                }
            },
            "ResultPath": null,
            "Retry": bookkeeping_retry(),
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.publish_error", "Next": "RunFailed"}],
            "Next": "RunFailed"
        }),
    );
    states.insert(
        "RunFailed".into(),
        json!({"Type": "Fail", "Error": "RunFailed", "Cause": format!("a {} step failed after its retries", pipeline.name())}),
    );
    json!({
        "Comment": format!("Lading pipeline {}: generated by `lading aws template`", pipeline.name()),
        "StartAt": "Begin",
        "States": states
    })
}

/// A step's `Retry` entry, or none for a step that is tried once. ASL counts retries where
/// [`RetryPolicy`] counts attempts, and waits in whole seconds (at least one).
pub fn retry_block(policy: &RetryPolicy) -> Option<Value> {
    if policy.max_attempts <= 1 {
        return None;
    }
    let interval_secs = policy.initial_backoff_ms.div_ceil(1000).max(1);
    let max_delay_secs = policy.max_backoff_ms.div_ceil(1000).max(interval_secs);
    let mut errors = vec![RETRYABLE_ERROR];
    errors.extend(LAMBDA_TRANSIENT_ERRORS);
    // f32 → f64 widens 1.1 to 1.100000023…; three decimals are all a backoff rate needs.
    let backoff_rate = (f64::from(policy.backoff_rate) * 1000.0).round() / 1000.0;
    Some(json!({
        "ErrorEquals": errors,
        "IntervalSeconds": interval_secs,
        "BackoffRate": backoff_rate,
        "MaxAttempts": policy.max_attempts - 1,
        "MaxDelaySeconds": max_delay_secs,
        "JitterStrategy": "FULL"
    }))
}

fn run_update(status: &str, error: Option<&str>) -> Value {
    let mut names = json!({"#status": "status", "#finished_at": "finished_at"});
    let mut values = json!({
        ":status": {"S": status},
        ":finished_at": {"S.$": "$$.State.EnteredTime"}
    });
    let mut expression = "SET #status = :status, #finished_at = :finished_at".to_string();
    if let Some(error) = error {
        names["#error"] = json!("error");
        values[":error"] = json!({"S.$": error});
        expression.push_str(", #error = :error");
    }
    json!({
        "TableName": "${RunsTableName}",
        "Key": {"run_id": {"S.$": "$.run_id"}},
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values
    })
}

/// Converts a six-field cron (`sec min hour day month weekday`, as tenants write it) to the
/// `cron(min hour day month weekday year)` of EventBridge Scheduler. Weekdays keep their
/// numbers: both count 1 = Sunday. AWS fires on minutes and wants `?` in one of the day fields.
pub fn aws_cron(expression: &str) -> Result<String, String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let [seconds, minutes, hours, day, month, weekday] = fields[..] else {
        return Err(format!("{expression:?} must have six fields: sec min hour day month weekday"));
    };
    if seconds != "0" {
        return Err(format!("{expression:?}: AWS schedules fire on whole minutes; the seconds field must be 0"));
    }
    let any = |field: &str| field == "*" || field == "?";
    let (day, weekday) = match (any(day), any(weekday)) {
        (_, true) => (day, "?"),
        (true, false) => ("?", weekday),
        (false, false) => {
            return Err(format!(
                "{expression:?}: AWS cannot restrict both the day of the month and the weekday; set one to *"
            ));
        }
    };
    Ok(format!("cron({minutes} {hours} {day} {month} {weekday} *)"))
}

/// What the template is generated from: the tenants' schedules and secrets.
#[derive(Clone, Debug, Default)]
pub struct TemplateParams {
    /// Every schedule of every enabled tenant (`lading_runtime::schedule::jobs`).
    pub schedules: Vec<ScheduledJob>,
    /// Secret names such as `siesa-integration/{tenant}/{product_type}`.
    pub secret_names: Vec<String>,
}

/// The pipelines' steps, and what each step's function may touch (least privilege).
struct StepAccess {
    pipeline: Pipeline,
    step: &'static str,
    reads: &'static [&'static str],
    writes: &'static [&'static str],
    secret_prefix: Option<&'static str>,
    dead_letters: bool,
    publishes_alerts: bool,
    timeout_secs: u32,
}

const STEP_ACCESS: [StepAccess; 9] = [
    StepAccess {
        pipeline: Pipeline::ProductSync,
        step: "extract",
        reads: &["Config"],
        writes: &["Raw", "Staged"],
        secret_prefix: Some("siesa-integration"),
        dead_letters: false,
        publishes_alerts: false,
        timeout_secs: 900,
    },
    StepAccess {
        pipeline: Pipeline::ProductSync,
        step: "transform",
        reads: &["Config", "Staged"],
        writes: &["Staged"],
        secret_prefix: None,
        dead_letters: false,
        publishes_alerts: false,
        timeout_secs: 900,
    },
    StepAccess {
        pipeline: Pipeline::ProductSync,
        step: "load",
        reads: &["Staged"],
        writes: &["Staged"],
        secret_prefix: Some("siesa-integration"),
        dead_letters: true,
        publishes_alerts: true,
        timeout_secs: 900,
    },
    StepAccess {
        pipeline: Pipeline::ProductSync,
        step: "report",
        reads: &["Staged"],
        writes: &["Reports"],
        secret_prefix: Some("siesa-integration"),
        dead_letters: false,
        publishes_alerts: true,
        timeout_secs: 300,
    },
    StepAccess {
        pipeline: Pipeline::IorDaily,
        step: "ingest",
        reads: &["Config"],
        writes: &["Raw"],
        secret_prefix: Some("sap-integration"),
        dead_letters: true,
        publishes_alerts: true,
        timeout_secs: 900,
    },
    StepAccess {
        pipeline: Pipeline::IorDaily,
        step: "etl",
        reads: &["Raw"],
        writes: &["Staged"],
        secret_prefix: None,
        dead_letters: false,
        publishes_alerts: false,
        timeout_secs: 900,
    },
    StepAccess {
        pipeline: Pipeline::IorDaily,
        step: "generate",
        reads: &["Staged", "Config"],
        writes: &["Staged"],
        secret_prefix: None,
        dead_letters: false,
        publishes_alerts: false,
        timeout_secs: 900,
    },
    StepAccess {
        pipeline: Pipeline::IorDaily,
        step: "compare",
        reads: &["Staged"],
        writes: &["Reports"],
        secret_prefix: None,
        dead_letters: false,
        publishes_alerts: false,
        timeout_secs: 300,
    },
    StepAccess {
        pipeline: Pipeline::IorDaily,
        step: "alert",
        reads: &["Reports"],
        writes: &[],
        secret_prefix: None,
        dead_letters: false,
        publishes_alerts: true,
        timeout_secs: 120,
    },
];

/// Stateful resource types the stack keeps when it is deleted or a resource is replaced.
const RETAINED: [&str; 7] = [
    "AWS::KMS::Key",
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::SecretsManager::Secret",
    "AWS::Logs::LogGroup",
    // The NAT's address is the one the ERPs' firewalls allow; a new stack must not lose it.
    "AWS::EC2::EIP",
];

const BUCKETS: [&str; 6] = ["Raw", "Staged", "Reports", "Config", "Artifacts", "Audit"];
const TABLES: [&str; 3] = ["TenantsTable", "RunsTable", "StateTable"];

fn tags() -> Value {
    json!([
        {"Key": "Project", "Value": "lading"},
        {"Key": "Environment", "Value": {"Ref": "Environment"}},
        {"Key": "ManagedBy", "Value": "cloudformation"}
    ])
}

fn pascal(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

fn function_id(pipeline: Pipeline, step: &str) -> String {
    format!("{}{}", pascal(pipeline.name()), pascal(step))
}

fn state_machine_id(pipeline: Pipeline) -> String {
    format!("{}StateMachine", pascal(pipeline.name()))
}

/// Adds a resource under a logical id, suffixing a number if two names collapse to one id
/// (`acme-1` and `acme_1`).
fn add(resources: &mut Map<String, Value>, id: String, resource: Value) -> String {
    let mut unique = id.clone();
    let mut n = 2;
    while resources.contains_key(&unique) {
        unique = format!("{id}{n}");
        n += 1;
    }
    resources.insert(unique.clone(), resource);
    unique
}

fn statement(actions: &[&str], resources: Value) -> Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": resources})
}

fn arn(id: &str) -> Value {
    json!({"Fn::GetAtt": [id, "Arn"]})
}

fn bucket_objects(bucket: &str) -> Value {
    json!({"Fn::Sub": format!("${{{bucket}Bucket.Arn}}/*")})
}

/// The complete CloudFormation template. Returns every problem (a schedule AWS cannot express)
/// rather than the first.
pub fn cloudformation(params: &TemplateParams) -> Result<Value, Vec<String>> {
    let mut problems = Vec::new();
    let mut resources = Map::new();

    add(
        &mut resources,
        "Key".into(),
        json!({
            "Type": "AWS::KMS::Key",
            "Properties": {
                "Description": {"Fn::Sub": "Lading ${Environment}: tables, buckets, queues, topic, logs and secrets"},
                "EnableKeyRotation": true,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministers",
                            "Effect": "Allow",
                            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                            "Action": "kms:*",
                            "Resource": "*"
                        },
                        {
                            "Sid": "LogsEncrypt",
                            "Effect": "Allow",
                            "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}},
                            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                            "Resource": "*",
                            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"}}}
                        },
                        {
                            "Sid": "AlarmsPublishToEncryptedTopic",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*"
                        }
                    ]
                },
                "Tags": tags()
            }
        }),
    );
    add(
        &mut resources,
        "KeyAlias".into(),
        json!({"Type": "AWS::KMS::Alias", "Properties": {"AliasName": {"Fn::Sub": "alias/lading-${Environment}"}, "TargetKeyId": {"Ref": "Key"}}}),
    );

    // Tables: the run lock and idempotency need conditional writes, which DynamoDB has per item.
    let table = |keys: Value, attributes: Value, indexes: Value| {
        let mut properties = json!({
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": attributes,
            "KeySchema": keys,
            "SSESpecification": {"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "Key"}},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
            "Tags": tags()
        });
        if indexes.as_array().is_some_and(|i| !i.is_empty()) {
            properties["GlobalSecondaryIndexes"] = indexes;
        }
        json!({"Type": "AWS::DynamoDB::Table", "Properties": properties})
    };
    let hash = |name: &str| json!({"AttributeName": name, "KeyType": "HASH"});
    let range = |name: &str| json!({"AttributeName": name, "KeyType": "RANGE"});
    let string = |name: &str| json!({"AttributeName": name, "AttributeType": "S"});
    let index = |name: &str, keys: Value| json!({"IndexName": name, "KeySchema": keys, "Projection": {"ProjectionType": "ALL"}});
    // `enabled` is stored as "true"/"false": key attributes cannot be booleans.
    add(
        &mut resources,
        "TenantsTable".into(),
        table(
            json!([hash("tenant_id")]),
            json!([string("tenant_id"), string("enabled"), string("product_type")]),
            json!([
                index("by-enabled", json!([hash("enabled"), range("tenant_id")])),
                index("by-product-type", json!([hash("product_type"), range("tenant_id")]))
            ]),
        ),
    );
    add(
        &mut resources,
        "RunsTable".into(),
        table(
            json!([hash("run_id")]),
            json!([string("run_id"), string("tenant_id"), string("started_at")]),
            json!([index("by-tenant-started", json!([hash("tenant_id"), range("started_at")]))]),
        ),
    );
    // Everything else of the state store (locks, hashes, quarantine, alert state, tables) in
    // one table keyed by partition and sort key.
    add(
        &mut resources,
        "StateTable".into(),
        table(json!([hash("pk"), range("sk")]), json!([string("pk"), string("sk")]), json!([])),
    );

    for name in BUCKETS {
        let mut properties = json!({
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn("Key")},
                "BucketKeyEnabled": true
            }]},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "Tags": tags()
        });
        let rules = match name {
            "Raw" => json!([{"Id": "raw-pages", "Status": "Enabled",
                "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}], "ExpirationInDays": 90}]),
            "Staged" => json!([{"Id": "staged-objects", "Status": "Enabled", "ExpirationInDays": 30}]),
            "Reports" => json!([{"Id": "reports", "Status": "Enabled",
                "Transitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 90}], "ExpirationInDays": 730}]),
            "Config" => json!([{"Id": "old-config-versions", "Status": "Enabled",
                "NoncurrentVersionExpiration": {"NoncurrentDays": 365}}]),
            "Artifacts" => json!([{"Id": "old-artifacts", "Status": "Enabled",
                "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}]),
            _ => json!([{"Id": "audit-to-glacier", "Status": "Enabled",
                "Transitions": [{"StorageClass": "GLACIER", "TransitionInDays": 90}]}]),
        };
        properties["LifecycleConfiguration"] = json!({"Rules": rules});
        if matches!(name, "Config" | "Artifacts" | "Audit") {
            properties["VersioningConfiguration"] = json!({"Status": "Enabled"});
        }
        if name == "Audit" {
            properties["ObjectLockEnabled"] = json!(true);
            properties["ObjectLockConfiguration"] = json!({
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": AUDIT_RETENTION_YEARS}}
            });
        }
        add(&mut resources, format!("{name}Bucket"), json!({"Type": "AWS::S3::Bucket", "Properties": properties}));
        let mut statements = vec![json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn(&format!("{name}Bucket")), bucket_objects(name)],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        })];
        if name == "Reports" {
            statements.push(json!({"Fn::If": ["HasCrossAccountReader", {
                "Sid": "CrossAccountRead",
                "Effect": "Allow",
                "Principal": {"AWS": {"Ref": "CrossAccountReadPrincipal"}},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [arn("ReportsBucket"), bucket_objects("Reports")]
            }, {"Ref": "AWS::NoValue"}]}));
        }
        add(
            &mut resources,
            format!("{name}BucketPolicy"),
            json!({"Type": "AWS::S3::BucketPolicy", "Properties": {
                "Bucket": {"Ref": format!("{name}Bucket")},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}
            }}),
        );
    }

    add(
        &mut resources,
        "DeadLetterArchiveQueue".into(),
        json!({"Type": "AWS::SQS::Queue", "Properties": {
            "KmsMasterKeyId": {"Ref": "Key"},
            "MessageRetentionPeriod": 1_209_600,
            "Tags": tags()
        }}),
    );
    add(
        &mut resources,
        "DeadLetterQueue".into(),
        json!({"Type": "AWS::SQS::Queue", "Properties": {
            "KmsMasterKeyId": {"Ref": "Key"},
            "MessageRetentionPeriod": 1_209_600,
            "VisibilityTimeout": 900,
            "RedrivePolicy": {"deadLetterTargetArn": arn("DeadLetterArchiveQueue"), "maxReceiveCount": 5},
            "Tags": tags()
        }}),
    );
    add(
        &mut resources,
        "AlertTopic".into(),
        json!({"Type": "AWS::SNS::Topic", "Properties": {
            "DisplayName": {"Fn::Sub": "Lading ${Environment} alerts"},
            "KmsMasterKeyId": {"Ref": "Key"},
            "Tags": tags()
        }}),
    );
    add(
        &mut resources,
        "AlertEmailSubscription".into(),
        json!({"Type": "AWS::SNS::Subscription", "Properties": {
            "TopicArn": {"Ref": "AlertTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlertEmail"}
        }}),
    );

    let mut secret_names = params.secret_names.clone();
    secret_names.sort();
    secret_names.dedup();
    for name in &secret_names {
        add(
            &mut resources,
            format!("Secret{}", pascal(name)),
            json!({"Type": "AWS::SecretsManager::Secret", "Properties": {
                "Name": name,
                "Description": "Lading tenant credentials; set the value with `aws secretsmanager put-secret-value` (docs/configuration.md)",
                "KmsKeyId": {"Ref": "Key"},
                "Tags": tags()
            }}),
        );
    }

    // One function per step: each gets only what its step touches.
    let table_arns: Vec<Value> =
        TABLES.iter().flat_map(|t| [arn(t), json!({"Fn::Sub": format!("${{{t}.Arn}}/index/*")})]).collect();
    for access in &STEP_ACCESS {
        let id = function_id(access.pipeline, access.step);
        let log_group = add(
            &mut resources,
            format!("{id}LogGroup"),
            json!({"Type": "AWS::Logs::LogGroup", "Properties": {
                "LogGroupName": {"Fn::Sub": format!("/lading/${{Environment}}/lambda/{}-{}", access.pipeline.name(), access.step)},
                "RetentionInDays": {"Ref": "LogRetentionDays"},
                "KmsKeyId": arn("Key"),
                "Tags": tags()
            }}),
        );
        let mut statements = vec![
            statement(&["logs:CreateLogStream", "logs:PutLogEvents"], json!([arn(&log_group)])),
            statement(
                &[
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:Query",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:BatchWriteItem",
                ],
                json!(table_arns),
            ),
            statement(&["kms:Decrypt", "kms:GenerateDataKey"], json!([arn("Key")])),
            // Every step appends to the audit chain; Object Lock keeps what it wrote.
            statement(&["s3:GetObject", "s3:PutObject"], json!([bucket_objects("Audit")])),
        ];
        if !access.reads.is_empty() {
            let objects: Vec<Value> = access.reads.iter().map(|b| bucket_objects(b)).collect();
            statements.push(statement(&["s3:GetObject"], json!(objects)));
            let buckets: Vec<Value> = access.reads.iter().map(|b| arn(&format!("{b}Bucket"))).collect();
            statements.push(statement(&["s3:ListBucket"], json!(buckets)));
        }
        if !access.writes.is_empty() {
            let objects: Vec<Value> = access.writes.iter().map(|b| bucket_objects(b)).collect();
            statements.push(statement(&["s3:PutObject", "s3:DeleteObject"], json!(objects)));
        }
        if let Some(prefix) = access.secret_prefix {
            statements.push(statement(
                &["secretsmanager:GetSecretValue"],
                json!([{"Fn::Sub": format!("arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{prefix}/*")}]),
            ));
        }
        if access.dead_letters {
            statements.push(statement(&["sqs:SendMessage"], json!([arn("DeadLetterQueue")])));
        }
        if access.publishes_alerts {
            statements.push(statement(&["sns:Publish"], json!([{"Ref": "AlertTopic"}])));
        }
        let role = add(
            &mut resources,
            format!("{id}Role"),
            json!({"Type": "AWS::IAM::Role", "Properties": {
                "Description": format!("Lading step {} of {}: only what the step touches", access.step, access.pipeline.name()),
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"
                }]},
                "Policies": [{"PolicyName": "step", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
                "Tags": tags()
            }}),
        );
        let mut environment = json!({
            "LADING_ENVIRONMENT": {"Ref": "Environment"},
            "LADING_PIPELINE": access.pipeline.name(),
            "LADING_STEP": access.step,
            "LADING_TENANTS_TABLE": {"Ref": "TenantsTable"},
            "LADING_RUNS_TABLE": {"Ref": "RunsTable"},
            "LADING_STATE_TABLE": {"Ref": "StateTable"},
            "LADING_AUDIT_BUCKET": {"Ref": "AuditBucket"},
            "LADING_DEAD_LETTER_QUEUE_URL": {"Ref": "DeadLetterQueue"},
            "LADING_ALERT_TOPIC_ARN": {"Ref": "AlertTopic"}
        });
        for bucket in access.reads.iter().chain(access.writes) {
            environment[format!("LADING_{}_BUCKET", bucket.to_uppercase())] = json!({"Ref": format!("{bucket}Bucket")});
        }
        add(
            &mut resources,
            format!("{id}Function"),
            json!({"Type": "AWS::Lambda::Function", "Properties": {
                "Description": format!("Lading: step {} of {}", access.step, access.pipeline.name()),
                "Runtime": "provided.al2023",
                "Handler": "bootstrap",
                "Architectures": [{"Ref": "LambdaArchitecture"}],
                "Code": {"S3Bucket": {"Ref": "LambdaCodeBucket"}, "S3Key": {"Ref": "LambdaCodeKey"}},
                "Role": arn(&role),
                "MemorySize": 1024,
                "Timeout": access.timeout_secs,
                "KmsKeyArn": arn("Key"),
                "Environment": {"Variables": environment},
                "LoggingConfig": {"LogFormat": "JSON", "LogGroup": {"Ref": log_group}},
                "Tags": tags()
            }}),
        );
        add(
            &mut resources,
            format!("{id}ErrorsAlarm"),
            json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
                "AlarmDescription": format!("more than 5 errors in 5 minutes in step {} of {}", access.step, access.pipeline.name()),
                "Namespace": "AWS/Lambda",
                "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": format!("{id}Function")}}],
                "Statistic": "Sum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 5,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": "AlertTopic"}],
                "Tags": tags()
            }}),
        );
    }

    for pipeline in Pipeline::ALL {
        let machine = state_machine_id(pipeline);
        let log_group = add(
            &mut resources,
            format!("{machine}LogGroup"),
            json!({"Type": "AWS::Logs::LogGroup", "Properties": {
                "LogGroupName": {"Fn::Sub": format!("/lading/${{Environment}}/states/{}", pipeline.name())},
                "RetentionInDays": {"Ref": "LogRetentionDays"},
                "KmsKeyId": arn("Key"),
                "Tags": tags()
            }}),
        );
        let functions: Vec<Value> =
            pipeline.steps().iter().map(|step| arn(&format!("{}Function", function_id(pipeline, step)))).collect();
        let role = add(
            &mut resources,
            format!("{machine}Role"),
            json!({"Type": "AWS::IAM::Role", "Properties": {
                "Description": format!("Lading state machine {}: invoke its steps, record the run, alert", pipeline.name()),
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"
                }]},
                "Policies": [{"PolicyName": "state-machine", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                    statement(&["lambda:InvokeFunction"], json!(functions)),
                    statement(&["dynamodb:UpdateItem"], json!([arn("RunsTable")])),
                    statement(&["sns:Publish"], json!([{"Ref": "AlertTopic"}])),
                    statement(&["kms:Decrypt", "kms:GenerateDataKey"], json!([arn("Key")])),
                    // Step Functions log delivery takes no resource narrower than "*" (AWS docs).
                    statement(&[
                        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
                        "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"
                    ], json!("*"))
                ]}}],
                "Tags": tags()
            }}),
        );
        let mut substitutions = Map::new();
        for step in pipeline.steps() {
            substitutions.insert(
                function_arn_placeholder(pipeline, step),
                arn(&format!("{}Function", function_id(pipeline, step))),
            );
        }
        substitutions.insert("RunsTableName".into(), json!({"Ref": "RunsTable"}));
        substitutions.insert("AlertTopicArn".into(), json!({"Ref": "AlertTopic"}));
        add(
            &mut resources,
            machine.clone(),
            json!({"Type": "AWS::StepFunctions::StateMachine", "Properties": {
                "StateMachineType": "STANDARD",
                "DefinitionS3Location": {
                    "Bucket": {"Ref": "LambdaCodeBucket"},
                    "Key": {"Fn::Sub": format!("${{StateMachineKeyPrefix}}{}", state_machine_file(pipeline))}
                },
                "DefinitionSubstitutions": substitutions,
                "RoleArn": arn(&role),
                "LoggingConfiguration": {
                    "Level": "ERROR",
                    "IncludeExecutionData": false,
                    "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": arn(&log_group)}}]
                },
                "Tags": tags()
            }}),
        );
        let alarm = |description: String, metric: &str, statistic: &str, threshold: u64| {
            json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
                "AlarmDescription": description,
                "Namespace": "AWS/States",
                "MetricName": metric,
                "Dimensions": [{"Name": "StateMachineArn", "Value": {"Ref": machine}}],
                "Statistic": statistic,
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": threshold,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": "AlertTopic"}],
                "Tags": tags()
            }})
        };
        add(
            &mut resources,
            format!("{machine}ExecutionFailedAlarm"),
            alarm(format!("a {} execution failed", pipeline.name()), "ExecutionsFailed", "Sum", 0),
        );
        add(
            &mut resources,
            format!("{machine}DurationAlarm"),
            alarm(
                format!("a {} execution took more than 30 minutes", pipeline.name()),
                "ExecutionTime",
                "Maximum",
                1_800_000,
            ),
        );
    }

    let lading_metric = |name: &str, dimensions: Value, statistic: &str| json!({"Metric": {"Namespace": METRICS_NAMESPACE, "MetricName": name, "Dimensions": dimensions}, "Period": 3600, "Stat": statistic});
    add(
        &mut resources,
        "SyncFailureRateAlarm".into(),
        json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmDescription": "more than 10 % of the records product-sync read in the last hour failed or were quarantined",
            "Metrics": [
                {"Id": "failed", "ReturnData": false, "MetricStat": lading_metric(
                    lading_runtime::metrics::RECORDS_FAILED_TOTAL, json!([{"Name": "pipeline", "Value": "product-sync"}]), "Sum")},
                {"Id": "processed", "ReturnData": false, "MetricStat": lading_metric(
                    lading_runtime::metrics::RECORDS_PROCESSED_TOTAL, json!([{"Name": "pipeline", "Value": "product-sync"}]), "Sum")},
                {"Id": "rate", "ReturnData": true, "Label": "failure rate", "Expression": "IF(processed > 0, failed / processed, 0)"}
            ],
            "EvaluationPeriods": 1,
            "Threshold": 0.1,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlertTopic"}],
            "Tags": tags()
        }}),
    );
    for (id, description, metric, dimension, statistic) in [
        (
            "SourceDownAlarm",
            "a source (Siesa or an SAP function module) could not be read",
            lading_runtime::metrics::ALERTS_TOTAL,
            ("kind", "source_down"),
            "Sum",
        ),
        (
            "ComparisonFailedAlarm",
            "generated customs lines differ from SAP's beyond the tolerances",
            lading_runtime::metrics::COMPARISON_DIFFERENCES,
            ("level", "fail"),
            "Maximum",
        ),
    ] {
        add(
            &mut resources,
            id.into(),
            json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
                "AlarmDescription": description,
                "Namespace": METRICS_NAMESPACE,
                "MetricName": metric,
                "Dimensions": [{"Name": dimension.0, "Value": dimension.1}],
                "Statistic": statistic,
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 0,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": "AlertTopic"}],
                "Tags": tags()
            }}),
        );
    }
    add(&mut resources, "Dashboard".into(), dashboard());
    network(&mut resources);
    server(&mut resources);

    // Schedules: one per tenant schedule, in the stack's own group.
    add(
        &mut resources,
        "ScheduleGroup".into(),
        json!({"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": {"Fn::Sub": "lading-${Environment}"}, "Tags": tags()}}),
    );
    let machines: Vec<Value> = Pipeline::ALL.iter().map(|p| json!({"Ref": state_machine_id(*p)})).collect();
    add(
        &mut resources,
        "SchedulerRole".into(),
        json!({"Type": "AWS::IAM::Role", "Properties": {
            "Description": "Lading schedules: start the pipelines' executions",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
            }]},
            "Policies": [{"PolicyName": "start-executions", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                statement(&["states:StartExecution"], json!(machines))
            ]}}],
            "Tags": tags()
        }}),
    );
    for job in &params.schedules {
        let expression = match aws_cron(&job.cron) {
            Ok(expression) => expression,
            Err(problem) => {
                problems.push(format!("tenant {}: schedule {}: {problem}", job.tenant, job.label));
                continue;
            }
        };
        let input = json!({"tenant": job.tenant.to_string(), "trigger": format!("schedule {}", job.label), "all_sources": job.all_sources});
        add(
            &mut resources,
            format!("Schedule{}{}", pascal(&job.tenant.to_string()), pascal(job.label)),
            json!({"Type": "AWS::Scheduler::Schedule", "Properties": {
                "Description": format!("{} of tenant {} ({}, from {:?})", job.pipeline.name(), job.tenant, job.label, job.cron),
                "GroupName": {"Ref": "ScheduleGroup"},
                "ScheduleExpression": expression,
                "ScheduleExpressionTimezone": "UTC",
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "State": "ENABLED",
                "Target": {
                    "Arn": {"Ref": state_machine_id(job.pipeline)},
                    "RoleArn": arn("SchedulerRole"),
                    "Input": input.to_string(),
                    "RetryPolicy": {"MaximumRetryAttempts": 2}
                }
            }}),
        );
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    // Deleting the stack must not destroy data or the key that decrypts the retained data.
    for resource in resources.values_mut() {
        if RETAINED.contains(&resource["Type"].as_str().unwrap_or_default()) {
            resource["DeletionPolicy"] = json!("Retain");
            resource["UpdateReplacePolicy"] = json!("Retain");
        }
    }
    let mut outputs = Map::new();
    for pipeline in Pipeline::ALL {
        outputs.insert(
            state_machine_id(pipeline),
            json!({"Description": format!("the {} state machine", pipeline.name()), "Value": {"Ref": state_machine_id(pipeline)}}),
        );
    }
    for bucket in BUCKETS {
        outputs.insert(format!("{bucket}BucketName"), json!({"Value": {"Ref": format!("{bucket}Bucket")}}));
    }
    for table in TABLES {
        outputs.insert(format!("{table}Name"), json!({"Value": {"Ref": table}}));
    }
    outputs.insert("AlertTopicArn".into(), json!({"Value": {"Ref": "AlertTopic"}}));
    outputs.insert("DeadLetterQueueUrl".into(), json!({"Value": {"Ref": "DeadLetterQueue"}}));

    Ok(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Lading ERP integration engine: pipelines as Step Functions over Lambda (generated by `lading aws template`)",
        "Parameters": {
            "Environment": {"Type": "String", "AllowedValues": ["dev", "staging", "prod"], "Default": "dev"},
            "AlertEmail": {"Type": "String", "Description": "where alarm and run-failure alerts are emailed",
                "AllowedPattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"},
            "CrossAccountReadPrincipal": {"Type": "String", "Default": "",
                "Description": "an account or role ARN that may read the reports bucket; empty: none"},
            "LambdaCodeBucket": {"Type": "String", "Description": "the bucket holding the Lambda package and the state machine definitions"},
            "LambdaCodeKey": {"Type": "String", "Description": "the Lambda package (a zip with `bootstrap`)"},
            "StateMachineKeyPrefix": {"Type": "String", "Default": "statemachines/",
                "Description": "the prefix of the statemachine-*.asl.json files in LambdaCodeBucket"},
            "LambdaArchitecture": {"Type": "String", "AllowedValues": ["arm64", "x86_64"], "Default": "arm64"},
            "VpcCidr": {"Type": "String", "Default": "10.40.0.0/16", "AllowedPattern": "^(\\d{1,3}\\.){3}\\d{1,3}/16$",
                "Description": "the VPC's /16; subnets take .0, .1 (public) and .10, .11 (private) /24s of it"},
            "ServerImage": {"Type": "String", "Description": "the `lading serve` container image (ECR URI with tag)"},
            "ServerArchitecture": {"Type": "String", "AllowedValues": ["ARM64", "X86_64"], "Default": "ARM64"},
            "ServerCertificateArn": {"Type": "String", "AllowedPattern": "^arn:aws[a-z-]*:acm:.+",
                "Description": "the ACM certificate of the load balancer's HTTPS listener"},
            "LogRetentionDays": {"Type": "Number", "Default": 90,
                "AllowedValues": [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]}
        },
        "Conditions": {
            "HasCrossAccountReader": {"Fn::Not": [{"Fn::Equals": [{"Ref": "CrossAccountReadPrincipal"}, ""]}]}
        },
        "Resources": resources,
        "Outputs": outputs
    }))
}

/// A VPC across two zones: public subnets hold the load balancer and the NAT gateway, private
/// ones the server's tasks, which reach AWS and the ERPs through the NAT.
fn network(resources: &mut Map<String, Value>) {
    let zone = |index: u32| json!({"Fn::Select": [index, {"Fn::GetAZs": ""}]});
    let cidr = |third: u32| json!({"Fn::Select": [third, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 12, 8]}]});
    add(
        resources,
        "Vpc".into(),
        json!({"Type": "AWS::EC2::VPC", "Properties": {
            "CidrBlock": {"Ref": "VpcCidr"}, "EnableDnsHostnames": true, "EnableDnsSupport": true, "Tags": tags()
        }}),
    );
    add(
        resources,
        "InternetGateway".into(),
        json!({"Type": "AWS::EC2::InternetGateway", "Properties": {"Tags": tags()}}),
    );
    add(
        resources,
        "InternetGatewayAttachment".into(),
        json!({"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "InternetGateway"}
        }}),
    );
    for (kind, third_base) in [("Public", 0), ("Private", 10)] {
        add(
            resources,
            format!("{kind}RouteTable"),
            json!({"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}, "Tags": tags()}}),
        );
        for index in 0..2 {
            let subnet = format!("{kind}Subnet{}", index + 1);
            add(
                resources,
                subnet.clone(),
                json!({"Type": "AWS::EC2::Subnet", "Properties": {
                    "VpcId": {"Ref": "Vpc"},
                    "AvailabilityZone": zone(index),
                    "CidrBlock": cidr(third_base + index),
                    "MapPublicIpOnLaunch": false,
                    "Tags": tags()
                }}),
            );
            add(
                resources,
                format!("{subnet}RouteTableAssociation"),
                json!({"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
                    "SubnetId": {"Ref": subnet}, "RouteTableId": {"Ref": format!("{kind}RouteTable")}
                }}),
            );
        }
    }
    add(
        resources,
        "PublicDefaultRoute".into(),
        json!({"Type": "AWS::EC2::Route", "DependsOn": "InternetGatewayAttachment", "Properties": {
            "RouteTableId": {"Ref": "PublicRouteTable"}, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": {"Ref": "InternetGateway"}
        }}),
    );
    add(
        resources,
        "NatAddress".into(),
        json!({"Type": "AWS::EC2::EIP", "DependsOn": "InternetGatewayAttachment", "Properties": {"Domain": "vpc", "Tags": tags()}}),
    );
    add(
        resources,
        "NatGateway".into(),
        json!({"Type": "AWS::EC2::NatGateway", "Properties": {
            "AllocationId": {"Fn::GetAtt": ["NatAddress", "AllocationId"]}, "SubnetId": {"Ref": "PublicSubnet1"}, "Tags": tags()
        }}),
    );
    add(
        resources,
        "PrivateDefaultRoute".into(),
        json!({"Type": "AWS::EC2::Route", "Properties": {
            "RouteTableId": {"Ref": "PrivateRouteTable"}, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": {"Ref": "NatGateway"}
        }}),
    );
    add(
        resources,
        "LoadBalancerSecurityGroup".into(),
        json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "Lading load balancer: HTTPS from anywhere, HTTP only to redirect",
            "VpcId": {"Ref": "Vpc"},
            "SecurityGroupIngress": [
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0", "Description": "HTTPS"},
                {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0", "Description": "redirect to HTTPS"}
            ],
            "Tags": tags()
        }}),
    );
    add(
        resources,
        "ServerSecurityGroup".into(),
        json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "Lading server tasks: port 8080 from the load balancer only",
            "VpcId": {"Ref": "Vpc"},
            "SecurityGroupIngress": [{
                "IpProtocol": "tcp", "FromPort": SERVER_PORT, "ToPort": SERVER_PORT,
                "SourceSecurityGroupId": {"Ref": "LoadBalancerSecurityGroup"}, "Description": "from the load balancer"
            }],
            "Tags": tags()
        }}),
    );
}

/// The port `lading serve` listens on in its container.
const SERVER_PORT: u16 = 8080;

/// `lading serve` on ECS Fargate in the private subnets, behind an HTTPS load balancer with a
/// WAF web ACL (AWS's common and known-bad-input rules, and a rate limit per address).
fn server(resources: &mut Map<String, Value>) {
    add(
        resources,
        "ServerLogGroup".into(),
        json!({"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": {"Fn::Sub": "/lading/${Environment}/server"},
            "RetentionInDays": {"Ref": "LogRetentionDays"},
            "KmsKeyId": arn("Key"),
            "Tags": tags()
        }}),
    );
    add(
        resources,
        "Cluster".into(),
        json!({"Type": "AWS::ECS::Cluster", "Properties": {
            "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}], "Tags": tags()
        }}),
    );
    let ecs_assume = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"
    }]});
    add(
        resources,
        "ServerExecutionRole".into(),
        json!({"Type": "AWS::IAM::Role", "Properties": {
            "Description": "Lading server: pull its image, write its log group",
            "AssumeRolePolicyDocument": ecs_assume,
            "Policies": [{"PolicyName": "execution", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                statement(&["ecr:GetAuthorizationToken"], json!("*")),
                statement(&["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    json!({"Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*"})),
                statement(&["logs:CreateLogStream", "logs:PutLogEvents"], json!([arn("ServerLogGroup")]))
            ]}}],
            "Tags": tags()
        }}),
    );
    let table_arns: Vec<Value> =
        TABLES.iter().flat_map(|t| [arn(t), json!({"Fn::Sub": format!("${{{t}.Arn}}/index/*")})]).collect();
    let objects: Vec<Value> = BUCKETS.iter().map(|b| bucket_objects(b)).collect();
    let buckets: Vec<Value> = BUCKETS.iter().map(|b| arn(&format!("{b}Bucket"))).collect();
    let machines: Vec<Value> = Pipeline::ALL.iter().map(|p| json!({"Ref": state_machine_id(*p)})).collect();
    add(
        resources,
        "ServerTaskRole".into(),
        json!({"Type": "AWS::IAM::Role", "Properties": {
            "Description": "Lading server: read and manage state, objects and secrets; start runs",
            "AssumeRolePolicyDocument": ecs_assume,
            "Policies": [{"PolicyName": "server", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                statement(&["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                    "dynamodb:Query", "dynamodb:ConditionCheckItem", "dynamodb:BatchWriteItem"], json!(table_arns)),
                statement(&["s3:GetObject", "s3:PutObject"], json!(objects)),
                statement(&["s3:ListBucket"], json!(buckets)),
                statement(&["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:DescribeSecret"], json!([
                    {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:siesa-integration/*"},
                    {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:sap-integration/*"}
                ])),
                statement(&["kms:Decrypt", "kms:GenerateDataKey"], json!([arn("Key")])),
                statement(&["states:StartExecution"], json!(machines)),
                statement(&["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"], json!([arn("DeadLetterQueue")])),
                statement(&["sns:Publish"], json!([{"Ref": "AlertTopic"}]))
            ]}}],
            "Tags": tags()
        }}),
    );
    add(
        resources,
        "ServerTaskDefinition".into(),
        json!({"Type": "AWS::ECS::TaskDefinition", "Properties": {
            "RequiresCompatibilities": ["FARGATE"],
            "NetworkMode": "awsvpc",
            "Cpu": "512",
            "Memory": "1024",
            "RuntimePlatform": {"OperatingSystemFamily": "LINUX", "CpuArchitecture": {"Ref": "ServerArchitecture"}},
            "ExecutionRoleArn": arn("ServerExecutionRole"),
            "TaskRoleArn": arn("ServerTaskRole"),
            "ContainerDefinitions": [{
                "Name": "lading",
                "Image": {"Ref": "ServerImage"},
                "Essential": true,
                "Command": ["serve", "--listen", format!("0.0.0.0:{SERVER_PORT}"), "--secure-cookies"],
                "PortMappings": [{"ContainerPort": SERVER_PORT, "Protocol": "tcp"}],
                "Environment": [{"Name": "LADING_ENVIRONMENT", "Value": {"Ref": "Environment"}}],
                "LogConfiguration": {"LogDriver": "awslogs", "Options": {
                    "awslogs-group": {"Ref": "ServerLogGroup"},
                    "awslogs-region": {"Ref": "AWS::Region"},
                    "awslogs-stream-prefix": "server"
                }}
            }],
            "Tags": tags()
        }}),
    );
    add(
        resources,
        "LoadBalancer".into(),
        json!({"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Type": "application",
            "Scheme": "internet-facing",
            "Subnets": [{"Ref": "PublicSubnet1"}, {"Ref": "PublicSubnet2"}],
            "SecurityGroups": [{"Ref": "LoadBalancerSecurityGroup"}],
            "LoadBalancerAttributes": [{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}],
            "Tags": tags()
        }}),
    );
    add(
        resources,
        "ServerTargetGroup".into(),
        json!({"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "TargetType": "ip",
            "Protocol": "HTTP",
            "Port": SERVER_PORT,
            "VpcId": {"Ref": "Vpc"},
            "HealthCheckPath": "/healthz",
            "Tags": tags()
        }}),
    );
    add(
        resources,
        "HttpsListener".into(),
        json!({"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": {"Ref": "LoadBalancer"},
            "Protocol": "HTTPS",
            "Port": 443,
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "Certificates": [{"CertificateArn": {"Ref": "ServerCertificateArn"}}],
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "ServerTargetGroup"}}]
        }}),
    );
    add(
        resources,
        "HttpRedirectListener".into(),
        json!({"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": {"Ref": "LoadBalancer"},
            "Protocol": "HTTP",
            "Port": 80,
            "DefaultActions": [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
        }}),
    );
    add(
        resources,
        "ServerService".into(),
        json!({"Type": "AWS::ECS::Service", "DependsOn": "HttpsListener", "Properties": {
            "Cluster": {"Ref": "Cluster"},
            "LaunchType": "FARGATE",
            "DesiredCount": 1,
            "TaskDefinition": {"Ref": "ServerTaskDefinition"},
            "NetworkConfiguration": {"AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "Subnets": [{"Ref": "PrivateSubnet1"}, {"Ref": "PrivateSubnet2"}],
                "SecurityGroups": [{"Ref": "ServerSecurityGroup"}]
            }},
            "LoadBalancers": [{"ContainerName": "lading", "ContainerPort": SERVER_PORT, "TargetGroupArn": {"Ref": "ServerTargetGroup"}}],
            "PropagateTags": "SERVICE",
            "Tags": tags()
        }}),
    );
    let visibility =
        |name: &str| json!({"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": name});
    let managed = |priority: u32, name: &str| {
        json!({
            "Name": name,
            "Priority": priority,
            "OverrideAction": {"None": {}},
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}},
            "VisibilityConfig": visibility(name)
        })
    };
    add(
        resources,
        "WebAcl".into(),
        json!({"Type": "AWS::WAFv2::WebACL", "Properties": {
            "Scope": "REGIONAL",
            "DefaultAction": {"Allow": {}},
            "VisibilityConfig": visibility("lading"),
            "Rules": [
                managed(0, "AWSManagedRulesCommonRuleSet"),
                managed(1, "AWSManagedRulesKnownBadInputsRuleSet"),
                {
                    "Name": "RateLimitPerAddress",
                    "Priority": 2,
                    "Action": {"Block": {}},
                    "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
                    "VisibilityConfig": visibility("RateLimitPerAddress")
                }
            ],
            "Tags": tags()
        }}),
    );
    add(
        resources,
        "WebAclAssociation".into(),
        json!({"Type": "AWS::WAFv2::WebACLAssociation", "Properties": {
            "ResourceArn": {"Ref": "LoadBalancer"}, "WebACLArn": arn("WebAcl")
        }}),
    );
}

/// The dashboard: runs, records, durations, executions, Lambda errors, dead letters.
fn dashboard() -> Value {
    use lading_runtime::metrics::{RECORDS_FAILED_TOTAL, RECORDS_PROCESSED_TOTAL, RUNS_TOTAL, SYNC_DURATION_SECONDS};
    let widget = |x: u32, y: u32, title: &str, metrics: Value, stat: &str| {
        json!({"type": "metric", "x": x, "y": y, "width": 12, "height": 6, "properties": {
            "title": title, "region": "${AWS::Region}", "stat": stat, "period": 300, "view": "timeSeries", "metrics": metrics
        }})
    };
    let mut runs = Vec::new();
    let mut records = Vec::new();
    let mut durations = Vec::new();
    let mut executions = Vec::new();
    for pipeline in Pipeline::ALL {
        for outcome in ["succeeded", "failed"] {
            runs.push(json!([METRICS_NAMESPACE, RUNS_TOTAL, "pipeline", pipeline.name(), "outcome", outcome]));
        }
        records.push(json!([METRICS_NAMESPACE, RECORDS_PROCESSED_TOTAL, "pipeline", pipeline.name()]));
        records.push(json!([METRICS_NAMESPACE, RECORDS_FAILED_TOTAL, "pipeline", pipeline.name()]));
        durations.push(json!([METRICS_NAMESPACE, SYNC_DURATION_SECONDS, "pipeline", pipeline.name()]));
        for metric in ["ExecutionsSucceeded", "ExecutionsFailed"] {
            let machine = format!("${{{}}}", state_machine_id(pipeline));
            executions.push(json!(["AWS/States", metric, "StateMachineArn", machine]));
        }
    }
    let lambda_errors: Vec<Value> = STEP_ACCESS
        .iter()
        .map(|a| {
            json!(["AWS/Lambda", "Errors", "FunctionName", format!("${{{}Function}}", function_id(a.pipeline, a.step))])
        })
        .collect();
    let body = json!({"widgets": [
        widget(0, 0, "Runs by outcome", json!(runs), "Sum"),
        widget(12, 0, "Records read and failed", json!(records), "Sum"),
        widget(0, 6, "Run duration (s)", json!(durations), "Maximum"),
        widget(12, 6, "Executions", json!(executions), "Sum"),
        widget(0, 12, "Lambda errors by step", json!(lambda_errors), "Sum"),
        widget(12, 12, "Dead letters waiting", json!([
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${DeadLetterQueue.QueueName}"]
        ]), "Maximum")
    ]});
    json!({"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": {"Fn::Sub": "lading-${Environment}"},
        "DashboardBody": {"Fn::Sub": body.to_string()}
    }})
}

/// The retry of the bookkeeping tasks (DynamoDB and SNS service calls): three tries, 1 s apart,
/// doubling, full jitter.
fn bookkeeping_retry() -> Value {
    json!([{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 3, "JitterStrategy": "FULL"}])
}
