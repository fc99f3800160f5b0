//! Replays: a dead letter sent again through the adapter (or the SAP source) that failed it,
//! a quarantined record mapped again with the tenant's current mapping and, if it now passes,
//! loaded.
//!
//! A delivered dead letter is marked replayed and cannot be replayed twice; a delivered
//! quarantined record leaves the quarantine. A replay that fails again changes nothing but the
//! reasons it reports.

use crate::engine::Engine;
use crate::ior::IorError;
use crate::ior::config::{load_config, sap_client};
use crate::ior::ingest;
use crate::ior_daily::IorParams;
use crate::product_sync::{self, adapter_for};
use crate::runner::RunError;
use lading_connect::adapters::ItemResult;
use lading_core::{SourceRecord, TargetRecord, TenantId};
use lading_store::{DeadLetter, QuarantineEntry, StoreError};
use serde::Serialize;

/// What a replay did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplayOutcome {
    /// The dead letter's id; `None` for a quarantined record.
    pub id: Option<i64>,
    pub tenant_id: String,
    pub run_id: String,
    pub record_key: String,
    /// The target (or source) took it this time.
    pub delivered: bool,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyReplayed(String),
    /// The record cannot be replayed by itself: what to do instead.
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::engine::EngineError> for ReplayError {
    fn from(err: crate::engine::EngineError) -> ReplayError {
        ReplayError::Run(err.into())
    }
}

impl From<IorError> for ReplayError {
    fn from(err: IorError) -> ReplayError {
        ReplayError::Run(err.into())
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

fn tenant_of(tenant: &str) -> Result<TenantId, ReplayError> {
    TenantId::parse(tenant).map_err(|e| ReplayError::Store(StoreError::Corrupt(format!("tenant {tenant:?}: {e}"))))
}

/// Sends dead letter `id` again.
pub async fn replay_dead_letter(engine: &Engine, id: i64) -> Result<ReplayOutcome, ReplayError> {
    let letter = engine
        .state
        .get_dead_letter(id)
        .await?
        .ok_or_else(|| ReplayError::NotFound(format!("no dead letter {id}; list them with `lading dlq list`")))?;
    if let Some(at) = &letter.replayed_at {
        return Err(ReplayError::AlreadyReplayed(format!(
            "dead letter {id} was already delivered by a replay at {at}"
        )));
    }
    let (delivered, message) = match letter.pipeline.as_str() {
        product_sync::PIPELINE => replay_record(engine, &letter).await?,
        pipeline if pipeline.starts_with("ior") => replay_source(engine, &letter).await?,
        other => {
            return Err(ReplayError::Unsupported(format!(
                "dead letter {id} comes from pipeline {other:?}, which has no replay; start a new run"
            )));
        }
    };
    if delivered {
        engine.state.mark_dead_letter_replayed(id, &now()).await?;
    }
    tracing::info!(tenant = %letter.tenant_id, dead_letter = id, delivered, "dead letter replayed: {message}");
    Ok(ReplayOutcome {
        id: Some(id),
        tenant_id: letter.tenant_id,
        run_id: letter.run_id,
        record_key: letter.record_key,
        delivered,
        message,
    })
}

/// A product-sync record, through the tenant's adapter as it is configured now.
async fn replay_record(engine: &Engine, letter: &DeadLetter) -> Result<(bool, String), ReplayError> {
    let record: TargetRecord = serde_json::from_value(letter.payload.clone()).map_err(|e| {
        ReplayError::Store(StoreError::Corrupt(format!(
            "dead letter {}: payload is not a target record: {e}",
            letter.id
        )))
    })?;
    let tenant = engine.tenant(&tenant_of(&letter.tenant_id)?).await?;
    let secrets = engine.tenant_secrets(&tenant).await?;
    load_one(engine, &tenant, &secrets, &record, &format!("dlq-{}-{}", letter.id, uuid::Uuid::now_v7())).await
}

async fn load_one(
    engine: &Engine,
    tenant: &lading_core::config::TenantConfig,
    secrets: &lading_core::secret::TenantSecrets,
    record: &TargetRecord,
    idempotency_key: &str,
) -> Result<(bool, String), ReplayError> {
    let adapter = adapter_for(engine, tenant, secrets)
        .map_err(|f| ReplayError::Unsupported(format!("tenant {}: {}", tenant.tenant_id, f.message)))?;
    let outcome = match adapter.load_batch(std::slice::from_ref(record), idempotency_key).await {
        Ok(mut outcomes) if !outcomes.is_empty() => outcomes.remove(0).result,
        Ok(_) => ItemResult::Failed { reason: "the target answered without an outcome".into(), retryable: true },
        Err(err) => ItemResult::Failed { reason: err.to_string(), retryable: err.is_retryable() },
    };
    Ok(match outcome {
        ItemResult::Created => (true, format!("{} created in {}", record.external_id, tenant.raw.product_type)),
        ItemResult::Updated => (true, format!("{} updated in {}", record.external_id, tenant.raw.product_type)),
        ItemResult::Unchanged => {
            (true, format!("{} already current in {}", record.external_id, tenant.raw.product_type))
        }
        ItemResult::Failed { reason, .. } => (false, format!("still failing: {reason}")),
    })
}

/// An SAP source that was down: read and landed again for the original run's day.
async fn replay_source(engine: &Engine, letter: &DeadLetter) -> Result<(bool, String), ReplayError> {
    let tenant = tenant_of(&letter.tenant_id)?;
    let name = letter.payload["source"].as_str().unwrap_or_default();
    let source = ingest::source(name).ok_or_else(|| {
        ReplayError::Unsupported(format!("dead letter {}: unknown SAP source {name:?}; start a new run", letter.id))
    })?;
    let params = letter.payload["params"].as_object().cloned().unwrap_or_default();
    let date = match engine.state.get_run(&letter.run_id).await? {
        Some(run) => IorParams::from_run(&run).ok().and_then(|p| p.run_date),
        None => None,
    }
    .or_else(|| chrono::DateTime::parse_from_rfc3339(&letter.created_at).ok().map(|d| d.date_naive()))
    .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let config = load_config(engine, &tenant).await?;
    let client = sap_client(engine, &config).await?;
    match ingest::ingest_source(engine, &client, &tenant, &letter.run_id, date, source, &params).await {
        Ok(outcome) => Ok((
            true,
            format!(
                "{} ({}) landed again for {date}: {} page(s); run the ETL (`lading run ior-daily`) to load it",
                source.name, source.fm, outcome.pages
            ),
        )),
        Err(IorError::Connect(err)) => Ok((false, format!("still failing: {err}"))),
        Err(other) => Err(other.into()),
    }
}

/// Maps a quarantined product-sync record again with the tenant's current mapping; if it now
/// passes, loads it and takes it out of quarantine; if not, records the new reasons.
pub async fn replay_quarantined(engine: &Engine, run_id: &str, record_key: &str) -> Result<ReplayOutcome, ReplayError> {
    let entry: QuarantineEntry = engine
        .state
        .list_quarantine(None, Some(run_id), 0)
        .await?
        .into_iter()
        .find(|q| q.record_key == record_key)
        .ok_or_else(|| ReplayError::NotFound(format!("run {run_id} has no quarantined record {record_key:?}")))?;
    if entry.pipeline != product_sync::PIPELINE {
        return Err(ReplayError::Unsupported(format!(
            "record {record_key} of pipeline {} comes from the ERP's data: correct it there (or upload a corrected CSV) and run the pipeline again",
            entry.pipeline
        )));
    }
    let tenant = engine.tenant(&tenant_of(&entry.tenant_id)?).await?;
    let fields = entry.payload.as_object().cloned().unwrap_or_default();
    let source = SourceRecord { key: entry.record_key.clone(), fields };
    let mapping = engine
        .mappings
        .get(&tenant.raw.mapping_key)
        .await
        .map_err(|e| ReplayError::Unsupported(format!("tenant {}: {e}", tenant.tenant_id)))?;
    let outcome = |delivered: bool, message: String| ReplayOutcome {
        id: None,
        tenant_id: entry.tenant_id.clone(),
        run_id: run_id.to_string(),
        record_key: record_key.to_string(),
        delivered,
        message,
    };
    let record = match mapping.apply(&source) {
        Ok(record) => record,
        Err(issues) => {
            let message = format!(
                "still invalid: {}",
                issues.iter().map(|i| format!("{}: {}", i.field, i.message)).collect::<Vec<_>>().join("; ")
            );
            engine.state.quarantine(&[QuarantineEntry { reasons: issues, ..entry.clone() }]).await?;
            return Ok(outcome(false, message));
        }
    };
    let secrets = engine.tenant_secrets(&tenant).await?;
    let key = format!("quarantine-{run_id}-{}", uuid::Uuid::now_v7());
    let (delivered, message) = load_one(engine, &tenant, &secrets, &record, &key).await?;
    if delivered {
        let hash = record.content_hash();
        engine
            .state
            .put_hashes(&tenant.tenant_id, product_sync::PIPELINE, &[(record.external_id.clone(), hash)])
            .await?;
        engine.state.delete_quarantine(run_id, record_key).await?;
    }
    tracing::info!(tenant = %entry.tenant_id, run_id, record_key, delivered, "quarantined record replayed: {message}");
    Ok(outcome(delivered, message))
}
