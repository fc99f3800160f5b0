//! The Kong wire: token login, the bulk endpoint, and the SKU list.

use super::config::{BULK_PATH, KongConfig, LOGIN_PATH, SKUS_PATH};
use crate::adapters::TokenCache;
use crate::error::{ConnectError, ErrorKind};
use crate::http::{ApiRequest, ApiResponse, HttpClient};
use lading_core::Secret;
use serde::Deserialize;
use serde_json::{Value, json};

/// The answer of a bulk request (200 or 207).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(crate) struct BulkAnswer {
    pub(crate) results: Vec<BulkResult>,
}

/// One item's result: `status` is `created`, `updated`, `unchanged` or `error`; on error
/// `code` is `invalid` (permanent) or `unavailable` (send it again).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(crate) struct BulkResult {
    #[serde(default)]
    pub(crate) index: Option<usize>,
    #[serde(default)]
    pub(crate) external_id: Option<String>,
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) errors: Value,
}

/// One page of `GET /inventory/skus/`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(crate) struct SkuPage {
    #[serde(default)]
    pub(crate) next: Option<String>,
    pub(crate) results: Vec<Value>,
}

#[derive(Debug)]
pub(crate) struct KongClient {
    pub(crate) http: HttpClient,
    pub(crate) config: KongConfig,
    pub(crate) tokens: TokenCache,
}

impl KongClient {
    pub(crate) fn new(http: HttpClient, config: KongConfig) -> KongClient {
        KongClient { http, config, tokens: TokenCache::new() }
    }

    /// `POST /auth/token/login/` → `{"auth_token"}`. Wrong credentials answer 400.
    pub(crate) async fn login(&self) -> Result<Secret, ConnectError> {
        let url = self.config.url(LOGIN_PATH);
        crate::adapters::token::password_login(&self.http, url, &self.config.credentials, "auth_token", &self.config.credentials_fix())
            .await
    }

    /// Sends with the cached token; logs in again on a 401 (an expired token) and repeats.
    async fn send_authorized(&self, build: impl Fn() -> ApiRequest) -> Result<ApiResponse, ConnectError> {
        self.tokens.send_authorized(&self.http, || self.login(), "Token", &self.config.credentials_fix(), build).await
    }

    /// `POST /inventory/skus/bulk/` with `items` (≤ 100) under `idempotency_key`.
    pub(crate) async fn post_bulk(&self, items: &[Value], idempotency_key: &str) -> Result<BulkAnswer, ConnectError> {
        let body = json!({ "items": items });
        let url = self.config.url(BULK_PATH);
        let response =
            self.send_authorized(|| ApiRequest::post(url.clone()).json(&body).idempotency_key(idempotency_key)).await?;
        match response.status {
            200 | 207 => serde_json::from_value(response.json).map_err(|e| {
                self.http.error(
                    ErrorKind::BadResponse,
                    format!("kong answered a bulk request in an unexpected shape ({e}): check that target.base_url points at kong"),
                )
            }),
            422 => Err(self.http.error(
                ErrorKind::Rejected { status: 422, body_excerpt: response.body_excerpt().to_string() },
                format!(
                    "kong refused idempotency key {idempotency_key:?} (422: {:?}): the key was used before with other items; run the batch under a new key",
                    response.body_excerpt()
                ),
            )),
            _ => Err(self.http.unexpected(&response, &format!("a bulk request of {} items", items.len()), &self.config.credentials_fix())),
        }
    }

    /// One page of `GET /inventory/skus/`: the first when `url` is `None`.
    pub(crate) async fn sku_page(&self, url: Option<&str>) -> Result<SkuPage, ConnectError> {
        let url = url.map_or_else(|| self.config.url(SKUS_PATH), str::to_string);
        let response = self.send_authorized(|| ApiRequest::get(url.clone())).await?;
        if response.status != 200 {
            return Err(self.http.unexpected(&response, "the sku list", &self.config.credentials_fix()));
        }
        serde_json::from_value(response.json).map_err(|e| {
            self.http.error(
                ErrorKind::BadResponse,
                format!(
                    "kong answered the sku list in an unexpected shape ({e}): check that target.base_url points at kong"
                ),
            )
        })
    }
}
