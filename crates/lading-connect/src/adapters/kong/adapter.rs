//! The Kong [`ProductAdapter`]: bulk upserts with idempotency keys, resending only the items
//! Kong marked `unavailable`.

use super::client::{BulkAnswer, KongClient};
use super::config::{KongConfig, MAX_BULK_ITEMS, PRODUCT_TYPE};
use crate::adapters::{AdapterContext, ItemOutcome, ItemResult, ProductAdapter};
use crate::error::{ConnectError, ErrorKind};
use crate::http::{HttpClient, retry_delays};
use async_trait::async_trait;
use lading_core::TargetRecord;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Loads one tenant's SKUs into Kong.
#[derive(Debug)]
pub struct KongAdapter {
    client: KongClient,
}

/// The registry factory: a Kong adapter for the tenant of `context`.
pub fn build(context: AdapterContext) -> Result<Box<dyn ProductAdapter>, ConnectError> {
    Ok(Box::new(KongAdapter::new(context)?))
}

impl KongAdapter {
    pub fn new(context: AdapterContext) -> Result<KongAdapter, ConnectError> {
        let http = HttpClient::new(&context.tenant, PRODUCT_TYPE, context.settings.clone())?;
        Ok(KongAdapter { client: KongClient::new(http, KongConfig::from_context(&context)) })
    }

    /// The HTTP client, for its counters.
    pub fn http(&self) -> &HttpClient {
        &self.client.http
    }

    /// Logins so far (the first, and one per expired token).
    pub fn logins(&self) -> u32 {
        self.client.tokens.logins()
    }

    /// One bulk request's worth of records (≤ 100), and its resends.
    async fn load_chunk(&self, records: &[TargetRecord], key: &str) -> Result<Vec<ItemOutcome>, ConnectError> {
        let items: Vec<Value> = records.iter().map(bulk_item).collect();
        let mut results: Vec<Option<ItemResult>> = vec![None; records.len()];
        let mut pending: Vec<usize> = (0..records.len()).collect();
        let mut delays = retry_delays(&self.client.config.retry);
        let mut round = 0u32;
        loop {
            let round_key = if round == 0 { key.to_string() } else { format!("{key}-r{round}") };
            let sent: Vec<Value> = pending.iter().filter_map(|&index| items.get(index).cloned()).collect();
            let answer = match self.client.post_bulk(&sent, &round_key).await {
                Ok(answer) => answer,
                // The first request failing fails the batch: nothing of it is known.
                Err(error) if round == 0 => return Err(error),
                // A resend failing leaves the confirmed items confirmed and the rest failed.
                Err(error) => {
                    for &index in &pending {
                        if let Some(slot) = results.get_mut(index) {
                            *slot = Some(ItemResult::Failed {
                                reason: error.message().to_string(),
                                retryable: error.is_retryable(),
                            });
                        }
                    }
                    break;
                }
            };
            let unavailable = apply_answer(&answer, &pending, records, &mut results);
            if unavailable.is_empty() {
                break;
            }
            let Some(wait) = delays.next() else {
                tracing::warn!(
                    tenant = %self.client.http.tenant(),
                    system = PRODUCT_TYPE,
                    items = unavailable.len(),
                    attempts = round + 1,
                    "kong items still unavailable, giving up on them"
                );
                break;
            };
            tracing::info!(
                tenant = %self.client.http.tenant(),
                system = PRODUCT_TYPE,
                items = unavailable.len(),
                round = round + 1,
                wait_ms = wait.as_millis() as u64,
                "resending kong items that were unavailable"
            );
            tokio::time::sleep(wait).await;
            pending = unavailable;
            round += 1;
        }
        Ok(records
            .iter()
            .zip(results)
            .map(|(record, result)| ItemOutcome {
                external_id: record.external_id.clone(),
                result: result.unwrap_or_else(|| ItemResult::Failed {
                    reason: "kong returned no result for this item: send it again".to_string(),
                    retryable: true,
                }),
            })
            .collect())
    }
}

#[async_trait]
impl ProductAdapter for KongAdapter {
    fn product_type(&self) -> &str {
        PRODUCT_TYPE
    }

    async fn load_batch(
        &self,
        batch: &[TargetRecord],
        idempotency_key: &str,
    ) -> Result<Vec<ItemOutcome>, ConnectError> {
        if idempotency_key.trim().is_empty() {
            return Err(self
                .client
                .http
                .error(ErrorKind::Config, "kong batches need an idempotency key: pass the batch's key to load_batch"));
        }
        let mut outcomes = Vec::with_capacity(batch.len());
        // A batch over the bulk limit is split; each part gets its own derived key.
        for (part, records) in batch.chunks(MAX_BULK_ITEMS).enumerate() {
            let key = if part == 0 { idempotency_key.to_string() } else { format!("{idempotency_key}-p{part}") };
            outcomes.extend(self.load_chunk(records, &key).await?);
        }
        Ok(outcomes)
    }

    async fn list_external_ids(&self) -> Result<Vec<String>, ConnectError> {
        let base = reqwest::Url::parse(&self.client.config.base_url).map_err(|e| {
            self.client.http.error(
                ErrorKind::Config,
                format!("kong base_url is invalid ({e}): fix target.base_url in the tenant config"),
            )
        })?;
        let mut ids = Vec::new();
        let mut next: Option<String> = None;
        let mut visited = HashSet::new();
        loop {
            let page = self.client.sku_page(next.as_deref()).await?;
            ids.extend(
                page.results
                    .iter()
                    .filter_map(|sku| sku.get("external_id").and_then(Value::as_str))
                    .map(str::to_string),
            );
            let Some(link) = page.next.filter(|link| !link.is_empty()) else { break };
            let url = follow_link(&base, &link).ok_or_else(|| {
                self.client.http.error(
                    ErrorKind::BadResponse,
                    format!("kong's next link {link:?} leaves {}: refusing to send the token elsewhere; check kong's public url", base.origin().ascii_serialization()),
                )
            })?;
            if !visited.insert(url.clone()) {
                return Err(self.client.http.error(
                    ErrorKind::BadResponse,
                    format!("kong's sku list loops back to {url:?}: check kong's pagination"),
                ));
            }
            next = Some(url);
        }
        Ok(ids)
    }
}

/// The link `next` resolved against `base`, if it stays on the same origin.
pub(crate) fn follow_link(base: &reqwest::Url, next: &str) -> Option<String> {
    let url = base.join(next).ok()?;
    (url.origin() == base.origin()).then(|| url.to_string())
}

/// A record as a bulk item: `external_id` first, then the mapped fields.
pub(crate) fn bulk_item(record: &TargetRecord) -> Value {
    let mut item = Map::with_capacity(record.fields.len() + 1);
    item.insert("external_id".into(), Value::String(record.external_id.clone()));
    for (name, value) in &record.fields {
        if name != "external_id" {
            item.insert(name.clone(), value.clone());
        }
    }
    Value::Object(item)
}

/// Records each result of `answer` (whose items were `records[pending[i]]`) in `results`;
/// returns the record indices Kong marked `unavailable`, to send again.
pub(crate) fn apply_answer(
    answer: &BulkAnswer,
    pending: &[usize],
    records: &[TargetRecord],
    results: &mut [Option<ItemResult>],
) -> Vec<usize> {
    let mut unavailable = Vec::new();
    let mut answered = HashSet::new();
    for result in &answer.results {
        let external_id_of = |index: usize| records.get(index).map(|record| record.external_id.as_str());
        let by_index = result.index.and_then(|position| pending.get(position).copied());
        let by_external_id = || {
            let external_id = result.external_id.as_deref()?;
            pending.iter().copied().find(|&index| external_id_of(index) == Some(external_id))
        };
        // Trust the index when it agrees with the external id (or Kong sent no id).
        let index = match (by_index, result.external_id.as_deref()) {
            (Some(index), Some(external_id)) if external_id_of(index) != Some(external_id) => by_external_id(),
            (Some(index), _) => Some(index),
            (None, _) => by_external_id(),
        };
        let Some(index) = index else { continue };
        if !answered.insert(index) {
            continue;
        }
        let item_result = match result.status.as_str() {
            "created" => ItemResult::Created,
            "updated" => ItemResult::Updated,
            "unchanged" => ItemResult::Unchanged,
            "error" if result.code.as_deref() == Some("unavailable") => {
                unavailable.push(index);
                ItemResult::Failed {
                    reason: format!(
                        "kong kept the item unavailable ({}): send it again later",
                        describe_errors(&result.errors)
                    ),
                    retryable: true,
                }
            }
            "error" => ItemResult::Failed {
                reason: format!(
                    "kong rejected the item as {} ({}): fix the record or its mapping",
                    result.code.as_deref().unwrap_or("invalid"),
                    describe_errors(&result.errors)
                ),
                retryable: false,
            },
            other => ItemResult::Failed {
                reason: format!("kong answered an unknown item status {other:?}"),
                retryable: false,
            },
        };
        if let Some(slot) = results.get_mut(index) {
            *slot = Some(item_result);
        }
    }
    unavailable.sort_unstable();
    unavailable
}

/// Kong's `errors` (a list, a map of field → messages, or text) on one line.
pub(crate) fn describe_errors(errors: &Value) -> String {
    fn collect(value: &Value, prefix: &str, out: &mut Vec<String>) {
        match value {
            Value::Null => {}
            Value::String(text) if prefix.is_empty() => out.push(text.clone()),
            Value::String(text) => out.push(format!("{prefix}: {text}")),
            Value::Array(items) => items.iter().for_each(|item| collect(item, prefix, out)),
            Value::Object(fields) => fields.iter().for_each(|(name, item)| collect(item, name, out)),
            other if prefix.is_empty() => out.push(other.to_string()),
            other => out.push(format!("{prefix}: {other}")),
        }
    }
    let mut parts = Vec::new();
    collect(errors, "", &mut parts);
    if parts.is_empty() { "no details".to_string() } else { parts.join("; ") }
}
