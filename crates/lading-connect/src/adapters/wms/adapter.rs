//! The WMS [`ProductAdapter`]: one create per record, a patch on a duplicate, several in flight.

use super::client::{WmsClient, describe_rejection, product_id};
use super::config::{IN_FLIGHT, PRODUCT_TYPE, WmsConfig};
use crate::adapters::{AdapterContext, ItemOutcome, ItemResult, ProductAdapter};
use crate::error::{ConnectError, ErrorKind};
use crate::http::{ApiResponse, HttpClient};
use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use lading_core::TargetRecord;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// Loads one tenant's products into the WMS.
#[derive(Debug)]
pub struct WmsAdapter {
    client: WmsClient,
    /// `external_id` → WMS `id`, learned from creates, lookups and listings.
    ids: Mutex<HashMap<String, String>>,
}

/// The registry factory: a WMS adapter for the tenant of `context`.
pub fn build(context: AdapterContext) -> Result<Box<dyn ProductAdapter>, ConnectError> {
    Ok(Box::new(WmsAdapter::new(context)?))
}

impl WmsAdapter {
    pub fn new(context: AdapterContext) -> Result<WmsAdapter, ConnectError> {
        let http = HttpClient::new(&context.tenant, PRODUCT_TYPE, context.settings.clone())?;
        Ok(WmsAdapter {
            client: WmsClient::new(http, WmsConfig::from_context(&context)),
            ids: Mutex::new(HashMap::new()),
        })
    }

    /// The HTTP client, for its counters.
    pub fn http(&self) -> &HttpClient {
        &self.client.http
    }

    /// Logins so far (the first, and one per expired token).
    pub fn logins(&self) -> u32 {
        self.client.tokens.logins()
    }

    fn cached_id(&self, external_id: &str) -> Option<String> {
        self.ids.lock().ok().and_then(|ids| ids.get(external_id).cloned())
    }

    fn remember(&self, external_id: &str, id: String) {
        if let Ok(mut ids) = self.ids.lock() {
            ids.insert(external_id.to_string(), id);
        }
    }

    fn forget(&self, external_id: &str) {
        if let Ok(mut ids) = self.ids.lock() {
            ids.remove(external_id);
        }
    }

    /// Loads one record. `Err` only for what fails the whole batch: refused credentials or a
    /// misconfiguration; everything else is the record's outcome.
    async fn load_one(&self, record: &TargetRecord) -> Result<ItemResult, ConnectError> {
        match self.upsert(record).await {
            Ok(result) => Ok(result),
            Err(error) if matches!(error.kind(), ErrorKind::Unauthorized | ErrorKind::Config) => Err(error),
            Err(error) => {
                Ok(ItemResult::Failed { reason: error.message().to_string(), retryable: error.is_retryable() })
            }
        }
    }

    async fn upsert(&self, record: &TargetRecord) -> Result<ItemResult, ConnectError> {
        let body = product_body(record);
        let external_id = record.external_id.as_str();
        if let Some(id) = self.cached_id(external_id) {
            let response = self.client.patch(&id, &body).await?;
            if response.status != 404 {
                return Ok(self.patch_result(&response));
            }
            // The cached id is gone (deleted in the WMS): create it again below.
            self.forget(external_id);
        }
        let response = self.client.create(&body).await?;
        match response.status {
            200 | 201 => {
                if let Some(id) = product_id(&response.json) {
                    self.remember(external_id, id);
                }
                Ok(ItemResult::Created)
            }
            409 => {
                let Some(id) = self.client.find_id(external_id).await? else {
                    return Ok(ItemResult::Failed {
                        reason:
                            "wms reported a duplicate external_id but lists no product with it: send it again later"
                                .to_string(),
                        retryable: true,
                    });
                };
                self.remember(external_id, id.clone());
                let response = self.client.patch(&id, &body).await?;
                if response.status == 404 {
                    self.forget(external_id);
                    return Ok(ItemResult::Failed {
                        reason: format!("wms product {id} vanished between lookup and patch: send it again"),
                        retryable: true,
                    });
                }
                Ok(self.patch_result(&response))
            }
            status => Ok(rejection("create", status, &response)),
        }
    }

    fn patch_result(&self, response: &ApiResponse) -> ItemResult {
        match response.status {
            200..=299 => ItemResult::Updated,
            status => rejection("update", status, response),
        }
    }
}

fn rejection(action: &str, status: u16, response: &ApiResponse) -> ItemResult {
    let detail = describe_rejection(&response.json, response.body_excerpt());
    match status {
        400 | 422 => ItemResult::Failed {
            reason: format!("wms rejected the {action} ({status}): {detail}: fix the record or its mapping"),
            retryable: false,
        },
        409 => ItemResult::Failed {
            reason: format!("wms reported a conflict on {action} ({status}): {detail}"),
            retryable: true,
        },
        _ => ItemResult::Failed { reason: format!("wms refused the {action} ({status}): {detail}"), retryable: false },
    }
}

/// A record as a WMS product: `external_id` first, then the mapped fields.
pub(crate) fn product_body(record: &TargetRecord) -> Value {
    let mut product = Map::with_capacity(record.fields.len() + 1);
    product.insert("external_id".into(), Value::String(record.external_id.clone()));
    for (name, value) in &record.fields {
        if name != "external_id" {
            product.insert(name.clone(), value.clone());
        }
    }
    Value::Object(product)
}

#[async_trait]
impl ProductAdapter for WmsAdapter {
    fn product_type(&self) -> &str {
        PRODUCT_TYPE
    }

    /// A batch already sends [`IN_FLIGHT`] records at once; more batches would multiply that.
    fn batch_concurrency(&self) -> usize {
        1
    }

    async fn load_batch(
        &self,
        batch: &[TargetRecord],
        _idempotency_key: &str,
    ) -> Result<Vec<ItemOutcome>, ConnectError> {
        // The WMS takes no idempotency key: a repeated create answers 409 and becomes a patch.
        // The futures are made up front: a lazy `map` closure in the stream trips async-trait's
        // higher-ranked lifetime check.
        let loads: Vec<_> = batch.iter().map(|record| self.load_one(record)).collect();
        let results: Vec<ItemResult> = futures::stream::iter(loads).buffered(IN_FLIGHT).try_collect().await?;
        Ok(batch
            .iter()
            .zip(results)
            .map(|(record, result)| ItemOutcome { external_id: record.external_id.clone(), result })
            .collect())
    }

    async fn list_external_ids(&self) -> Result<Vec<String>, ConnectError> {
        let mut external_ids = Vec::new();
        let mut cursor: Option<String> = None;
        let mut seen_cursors = HashSet::new();
        loop {
            let page = self.client.list_page(cursor.as_deref()).await?;
            for product in &page.products {
                let Some(external_id) = product.get("external_id").and_then(Value::as_str) else { continue };
                if let Some(id) = product_id(product) {
                    self.remember(external_id, id);
                }
                external_ids.push(external_id.to_string());
            }
            let Some(next) = page.cursor else { break };
            if !seen_cursors.insert(next.clone()) {
                return Err(self.client.http.error(
                    ErrorKind::BadResponse,
                    format!("wms product list repeats cursor {next:?}: check the wms pagination"),
                ));
            }
            cursor = Some(next);
        }
        Ok(external_ids)
    }
}
