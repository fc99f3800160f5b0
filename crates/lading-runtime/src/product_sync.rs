//! The product-sync pipeline: Siesa → mapping → a product adapter (Kong, WMS, …).
//!
//! Steps and what they leave behind (all keys start with the kind and the tenant):
//! - `extract`: raw pages at `raw/{tenant}/siesa/{date}/{run}/…`, records at
//!   `staged/{tenant}/{run}/extracted.jsonl`;
//! - `transform`: quarantined records in the state store, batches of changed records at
//!   `staged/{tenant}/{run}/batch-NNNNN.json`, a manifest at `staged/{tenant}/{run}/transform.json`;
//! - `load`: one checkpoint per confirmed batch at `staged/{tenant}/{run}/load/batch-NNNNN.json`,
//!   hashes of confirmed records, dead letters for records that still failed;
//! - `report`: `reports/{tenant}/{run}/summary.json` and `records.csv`.
//!
//! Each step reads only its predecessors' objects, so it can be retried or resumed.
//!
//! ## Idempotence, window by window
//!
//! The runner executes a step again when the process died before the step was marked
//! succeeded (see `runner`). What each step does to end, the second time, where a clean run
//! ends (the names are the [`crate::crash`] points between the writes):
//!
//! - `extract` writes whole objects (a local write is a rename, an S3 put is atomic) and starts
//!   over from Siesa: dying after the raw pages (`extract.raw_written`) only costs the download.
//! - `transform` returns its manifest unchanged when one exists: it finished before and only
//!   the step's record was lost. It must never run twice over a started load: the hashes that
//!   load writes per batch would drop records from the pending list, renumber the batches under
//!   the checkpoints of others — records lost — and reuse idempotency keys with other bodies.
//!   Before its manifest it may run again (`transform.quarantined`, `transform.batches_written`):
//!   no load has begun, so it reads the same hashes and writes the same batches; quarantine is
//!   keyed by (run, record), so a record is quarantined once, and the counters come from the
//!   manifest, assigned to the run rather than added.
//! - `load` does four writes per batch: the target's answer, the hashes of the confirmed
//!   records, the dead letters, the checkpoint. Dying after the answer (`load.answered`) or the
//!   hashes (`load.hashed`): the batch is sent again with the same idempotency key
//!   `{run}-{batch}` and the same body, and Kong answers it from its idempotency store — the
//!   same outcomes, nothing applied twice, the same hashes written again. The WMS takes no key:
//!   a create that landed answers 409 the second time and becomes a patch, so the record exists
//!   once (counted `updated` rather than `created`). Dying after the dead letters
//!   (`load.dead_lettered`): the letters are written again and the store keeps one per (run,
//!   pipeline, record). Dying after the checkpoint (`load.checkpointed`): the batch is skipped
//!   and its outcomes come from the checkpoint, so the run's counters are whole.
//! - `report` reads only checkpoints, the target and the store, and rewrites its files
//!   (`report.written`).

use crate::engine::Engine;
use crate::report::{self, Verification};
use futures::{StreamExt, TryStreamExt};
use lading_connect::ErrorKind;
use lading_connect::adapters::{AdapterContext, ItemResult, ProductAdapter};
use lading_connect::http::{ClientSettings, HttpClient};
use lading_connect::sources::siesa::{SiesaEndpoint, SiesaSource};
use lading_core::config::TenantConfig;
use lading_core::secret::TenantSecrets;
use lading_core::{SourceRecord, TargetRecord};
use lading_store::{Counters, DeadLetter, QuarantineEntry, RunRecord};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const PIPELINE: &str = "product-sync";
pub const STEPS: [&str; 4] = ["extract", "transform", "load", "report"];

/// What a step needs: the engine, the tenant, its credentials and the run.
pub struct StepContext<'a> {
    pub engine: &'a Engine,
    pub tenant: &'a TenantConfig,
    pub secrets: &'a TenantSecrets,
    pub run: &'a RunRecord,
}

/// A step's result: the reference it leaves for the next step and the counters it set.
pub struct StepOutput {
    pub output_ref: String,
    pub counters: Counters,
}

/// A step failure. `retryable` failures are tried again by the step's retry policy.
#[derive(Debug)]
pub struct StepFailure {
    pub message: String,
    pub retryable: bool,
}

impl StepFailure {
    fn permanent(message: impl Into<String>) -> StepFailure {
        StepFailure { message: message.into(), retryable: false }
    }
}

impl From<lading_store::StoreError> for StepFailure {
    fn from(err: lading_store::StoreError) -> StepFailure {
        StepFailure { message: err.to_string(), retryable: false }
    }
}

impl From<lading_connect::ConnectError> for StepFailure {
    fn from(err: lading_connect::ConnectError) -> StepFailure {
        StepFailure { retryable: err.is_retryable(), message: err.to_string() }
    }
}

fn staged(ctx: &StepContext<'_>, name: &str) -> String {
    format!("staged/{}/{}/{}", ctx.tenant.tenant_id, ctx.run.run_id, name)
}

/// The product adapter of a tenant, from the registry.
pub fn adapter_for(
    engine: &Engine,
    tenant: &TenantConfig,
    secrets: &TenantSecrets,
) -> Result<Box<dyn ProductAdapter>, StepFailure> {
    let context = AdapterContext {
        tenant: tenant.tenant_id.clone(),
        base_url: tenant.raw.target.base_url.clone(),
        credentials: secrets.target.clone(),
        settings: ClientSettings::from_config(tenant),
    };
    Ok(engine.adapters.build(&tenant.raw.product_type, context)?)
}

pub async fn execute(
    ctx: &StepContext<'_>,
    step: &str,
    previous: &HashMap<String, String>,
) -> Result<StepOutput, StepFailure> {
    match step {
        "extract" => extract(ctx).await,
        "transform" => transform(ctx, input(previous, "extract")?).await,
        "load" => load(ctx, input(previous, "transform")?).await,
        "report" => report_step(ctx, input(previous, "transform")?).await,
        other => Err(StepFailure::permanent(format!("unknown step {other:?} in pipeline {PIPELINE}"))),
    }
}

fn input<'a>(previous: &'a HashMap<String, String>, step: &str) -> Result<&'a str, StepFailure> {
    previous.get(step).map(String::as_str).ok_or_else(|| {
        StepFailure::permanent(format!("step {step} left no output; the run's state is incomplete, start a new run"))
    })
}

async fn extract(ctx: &StepContext<'_>) -> Result<StepOutput, StepFailure> {
    let tenant = ctx.tenant;
    let client = HttpClient::new(&tenant.tenant_id, "siesa", ClientSettings::from_config(tenant))?;
    let source = SiesaSource::new(client, SiesaEndpoint::from_config(tenant, ctx.secrets.siesa.clone()))?;
    let extracted = source.extract().await?;

    let date = &ctx.run.started_at[..10.min(ctx.run.started_at.len())];
    let raw_prefix = format!("raw/{}/siesa/{}/{}", tenant.tenant_id, date, ctx.run.run_id);
    futures::stream::iter(extracted.raw_pages.iter())
        .map(|page| {
            let key = format!("{raw_prefix}/{}-{:05}.json", page.query, page.page);
            async move { ctx.engine.objects.put(&key, bytes::Bytes::from(page.body.clone())).await }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<()>>()
        .await?;
    crate::crash::point("extract.raw_written");

    let mut lines = Vec::with_capacity(extracted.records.len() * 512);
    for record in &extracted.records {
        serde_json::to_writer(&mut lines, record).map_err(|e| StepFailure::permanent(e.to_string()))?;
        lines.push(b'\n');
    }
    let key = staged(ctx, "extracted.jsonl");
    ctx.engine.objects.put(&key, bytes::Bytes::from(lines)).await?;
    tracing::info!(tenant = %tenant.tenant_id, run_id = %ctx.run.run_id, records = extracted.records.len(), pages = extracted.raw_pages.len(), "extracted");
    Ok(StepOutput {
        output_ref: key,
        counters: Counters { extracted: extracted.records.len() as u64, ..Counters::default() },
    })
}

/// One record on its way to the target, with the hash that is stored once it is confirmed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StagedRecord {
    pub record: TargetRecord,
    pub hash: String,
}

/// What `transform` leaves for `load` and `report`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TransformManifest {
    pub batches: Vec<String>,
    pub extracted: u64,
    pub valid: u64,
    pub quarantined: u64,
    /// Valid records whose hash matches the last confirmed load: not sent again.
    pub unchanged: u64,
}

async fn transform(ctx: &StepContext<'_>, extracted_key: &str) -> Result<StepOutput, StepFailure> {
    let tenant = ctx.tenant;
    let manifest_key = staged(ctx, "transform.json");
    if ctx.engine.objects.exists(&manifest_key).await? {
        // Finished before; only the step's record was lost. See the module doc for why it must
        // not run again.
        let manifest: TransformManifest = ctx.engine.objects.get_json(&manifest_key).await?;
        tracing::info!(tenant = %tenant.tenant_id, run_id = %ctx.run.run_id, "transform already done; its batches stand");
        return Ok(transformed(manifest_key, &manifest));
    }
    let mapping = ctx
        .engine
        .mappings
        .get(&tenant.raw.mapping_key)
        .await
        .map_err(|e| StepFailure::permanent(format!("tenant {}: {e}", tenant.tenant_id)))?;
    if mapping.product_type() != tenant.raw.product_type {
        return Err(StepFailure::permanent(format!(
            "tenant {}: mapping {} is for product type {:?} but the tenant's product_type is {:?}; set mapping_key to a {} mapping",
            tenant.tenant_id,
            tenant.raw.mapping_key,
            mapping.product_type(),
            tenant.raw.product_type,
            tenant.raw.product_type
        )));
    }
    let body = ctx.engine.objects.get(extracted_key).await?;
    let previous_hashes =
        if ctx.run.full { HashMap::new() } else { ctx.engine.state.get_hashes(&tenant.tenant_id, PIPELINE).await? };

    let mut manifest = TransformManifest::default();
    let mut quarantined = Vec::new();
    let mut pending: Vec<StagedRecord> = Vec::new();
    let now = chrono::Utc::now().to_rfc3339();
    for (line_number, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let source: SourceRecord = serde_json::from_slice(line).map_err(|e| {
            StepFailure::permanent(format!("{extracted_key} line {}: {e}; re-run the extract", line_number + 1))
        })?;
        manifest.extracted += 1;
        match mapping.apply(&source) {
            Ok(record) => {
                manifest.valid += 1;
                let hash = record.content_hash();
                if previous_hashes.get(&record.external_id) == Some(&hash) {
                    manifest.unchanged += 1;
                } else {
                    pending.push(StagedRecord { record, hash });
                }
            }
            Err(issues) => {
                manifest.quarantined += 1;
                quarantined.push(QuarantineEntry {
                    tenant_id: tenant.tenant_id.to_string(),
                    run_id: ctx.run.run_id.clone(),
                    pipeline: PIPELINE.into(),
                    record_key: source.key.clone(),
                    reasons: issues,
                    payload: serde_json::Value::Object(source.fields),
                    created_at: now.clone(),
                });
            }
        }
    }
    ctx.engine.state.quarantine(&quarantined).await?;
    crate::crash::point("transform.quarantined");

    let batch_size = tenant.raw.batch_size.max(1);
    for (n, chunk) in pending.chunks(batch_size).enumerate() {
        let key = staged(ctx, &format!("batch-{n:05}.json"));
        ctx.engine.objects.put_json(&key, &chunk).await?;
        manifest.batches.push(key);
    }
    crate::crash::point("transform.batches_written");
    if manifest.quarantined > 0 {
        let alert = crate::notify::Alert {
            tenant_id: tenant.tenant_id.to_string(),
            pipeline: PIPELINE.into(),
            run_id: Some(ctx.run.run_id.clone()),
            severity: crate::notify::Severity::Warning,
            kind: "records_quarantined".into(),
            message: format!(
                "tenant {}: {} of {} records quarantined; see `lading quarantine list --run {}`",
                tenant.tenant_id, manifest.quarantined, manifest.extracted, ctx.run.run_id
            ),
        };
        if let Err(e) = ctx.engine.notifier.notify(&alert).await {
            tracing::warn!(tenant = %tenant.tenant_id, "alert not delivered: {e}");
        }
    }
    ctx.engine.objects.put_json(&manifest_key, &manifest).await?;
    tracing::info!(tenant = %tenant.tenant_id, run_id = %ctx.run.run_id, valid = manifest.valid, quarantined = manifest.quarantined, unchanged = manifest.unchanged, batches = manifest.batches.len(), "transformed");
    Ok(transformed(manifest_key, &manifest))
}

fn transformed(manifest_key: String, manifest: &TransformManifest) -> StepOutput {
    StepOutput {
        output_ref: manifest_key,
        counters: Counters {
            extracted: manifest.extracted,
            valid: manifest.valid,
            quarantined: manifest.quarantined,
            ..Counters::default()
        },
    }
}

/// The confirmed outcome of one batch, written once the target answered.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BatchCheckpoint {
    pub batch: String,
    pub outcomes: Vec<RecordOutcome>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecordOutcome {
    pub external_id: String,
    /// `created`, `updated`, `unchanged` or `failed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn checkpoint_key(batch_key: &str) -> String {
    match batch_key.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/load/{file}"),
        None => format!("load/{batch_key}"),
    }
}

async fn load(ctx: &StepContext<'_>, manifest_key: &str) -> Result<StepOutput, StepFailure> {
    let manifest: TransformManifest = ctx.engine.objects.get_json(manifest_key).await?;
    let adapter = adapter_for(ctx.engine, ctx.tenant, ctx.secrets)?;
    let adapter = adapter.as_ref();
    let checkpoints: Vec<BatchCheckpoint> = futures::stream::iter(manifest.batches.iter().enumerate())
        .map(|(n, batch_key)| load_batch(ctx, adapter, n, batch_key))
        .buffered(adapter.batch_concurrency().max(1))
        .try_collect()
        .await?;

    let mut counters = Counters { unchanged: manifest.unchanged, ..Counters::default() };
    for checkpoint in &checkpoints {
        for outcome in &checkpoint.outcomes {
            match outcome.status.as_str() {
                "created" => counters.created += 1,
                "updated" => counters.updated += 1,
                "unchanged" => counters.unchanged += 1,
                _ => counters.failed += 1,
            }
        }
    }
    tracing::info!(tenant = %ctx.tenant.tenant_id, run_id = %ctx.run.run_id, created = counters.created, updated = counters.updated, unchanged = counters.unchanged, failed = counters.failed, "loaded");
    Ok(StepOutput { output_ref: manifest_key.to_string(), counters })
}

/// Loads one batch unless its checkpoint exists. The idempotency key is fixed per (run,
/// batch), so a batch re-sent after a crash between the target's answer and the checkpoint is
/// replayed by the target rather than applied twice.
async fn load_batch(
    ctx: &StepContext<'_>,
    adapter: &dyn ProductAdapter,
    n: usize,
    batch_key: &str,
) -> Result<BatchCheckpoint, StepFailure> {
    let checkpoint_key = checkpoint_key(batch_key);
    if ctx.engine.objects.exists(&checkpoint_key).await? {
        return Ok(ctx.engine.objects.get_json(&checkpoint_key).await?);
    }
    let staged: Vec<StagedRecord> = ctx.engine.objects.get_json(batch_key).await?;
    let records: Vec<TargetRecord> = staged.iter().map(|s| s.record.clone()).collect();
    let idempotency_key = format!("{}-{n:05}", ctx.run.run_id);
    let outcomes = match adapter.load_batch(&records, &idempotency_key).await {
        Ok(outcomes) => outcomes,
        // The target is down or refuses us as a whole: fail the step so it is retried or
        // resumed later, rather than dead-lettering every record of a healthy batch.
        Err(err) if err.is_retryable() || matches!(err.kind(), ErrorKind::Unauthorized) => return Err(err.into()),
        Err(err) => records
            .iter()
            .map(|r| lading_connect::adapters::ItemOutcome {
                external_id: r.external_id.clone(),
                result: ItemResult::Failed { reason: err.to_string(), retryable: false },
            })
            .collect(),
    };
    crate::crash::point("load.answered");

    let by_id: HashMap<&str, &StagedRecord> = staged.iter().map(|s| (s.record.external_id.as_str(), s)).collect();
    let mut confirmed = Vec::new();
    let mut letters = Vec::new();
    let mut recorded = Vec::with_capacity(outcomes.len());
    let now = chrono::Utc::now().to_rfc3339();
    for outcome in outcomes {
        let (status, error) = match &outcome.result {
            ItemResult::Created => ("created", None),
            ItemResult::Updated => ("updated", None),
            ItemResult::Unchanged => ("unchanged", None),
            ItemResult::Failed { reason, .. } => ("failed", Some(reason.clone())),
        };
        match (error.as_ref(), by_id.get(outcome.external_id.as_str())) {
            (None, Some(staged)) => confirmed.push((outcome.external_id.clone(), staged.hash.clone())),
            (Some(reason), staged) => letters.push(DeadLetter {
                id: 0,
                tenant_id: ctx.tenant.tenant_id.to_string(),
                run_id: ctx.run.run_id.clone(),
                pipeline: PIPELINE.into(),
                record_key: outcome.external_id.clone(),
                payload: staged.map(|s| serde_json::to_value(&s.record).unwrap_or_default()).unwrap_or_default(),
                error: reason.clone(),
                attempts: ctx.tenant.raw.retry.max_attempts,
                created_at: now.clone(),
                replayed_at: None,
            }),
            (None, None) => {}
        }
        recorded.push(RecordOutcome { external_id: outcome.external_id, status: status.into(), error });
    }
    ctx.engine.state.put_hashes(&ctx.tenant.tenant_id, PIPELINE, &confirmed).await?;
    crate::crash::point("load.hashed");
    ctx.engine.state.put_dead_letters(&letters).await?;
    crate::crash::point("load.dead_lettered");
    let checkpoint = BatchCheckpoint { batch: batch_key.to_string(), outcomes: recorded };
    ctx.engine.objects.put_json(&checkpoint_key, &checkpoint).await?;
    crate::crash::point("load.checkpointed");
    Ok(checkpoint)
}

async fn report_step(ctx: &StepContext<'_>, manifest_key: &str) -> Result<StepOutput, StepFailure> {
    let manifest: TransformManifest = ctx.engine.objects.get_json(manifest_key).await?;
    let mut outcomes = Vec::new();
    let mut staged = Vec::new();
    for batch_key in &manifest.batches {
        let checkpoint: BatchCheckpoint = ctx.engine.objects.get_json(&checkpoint_key(batch_key)).await?;
        outcomes.extend(checkpoint.outcomes);
        staged.extend(ctx.engine.objects.get_json::<Vec<StagedRecord>>(batch_key).await?);
    }
    let sent: HashMap<&str, &TargetRecord> =
        staged.iter().map(|s| (s.record.external_id.as_str(), &s.record)).collect();
    let adapter = adapter_for(ctx.engine, ctx.tenant, ctx.secrets)?;
    let target_ids = adapter.list_external_ids().await?;
    let confirmed = ctx.engine.state.get_hashes(&ctx.tenant.tenant_id, PIPELINE).await?;
    let verification = Verification::check(&confirmed, &target_ids);
    let quarantine = ctx.engine.state.list_quarantine(Some(&ctx.tenant.tenant_id), Some(&ctx.run.run_id), 0).await?;
    let key = report::write(ctx.engine, ctx.tenant, ctx.run, &outcomes, &sent, &quarantine, &verification).await?;
    crate::crash::point("report.written");
    if !verification.ok() {
        return Err(StepFailure::permanent(format!(
            "tenant {}: target check failed: {}",
            ctx.tenant.tenant_id,
            verification.describe()
        )));
    }
    Ok(StepOutput { output_ref: key, counters: Counters::default() })
}
