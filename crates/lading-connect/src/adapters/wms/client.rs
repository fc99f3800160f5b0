//! The WMS wire: JWT login, create, patch, find by `external_id`, and the cursor-paged list.

use super::config::{AUTH_PATH, LIST_LIMIT, PRODUCTS_PATH, WmsConfig};
use crate::adapters::TokenCache;
use crate::error::{ConnectError, ErrorKind};
use crate::http::{ApiRequest, ApiResponse, HttpClient};
use lading_core::Secret;
use serde_json::Value;

#[derive(Debug)]
pub(crate) struct WmsClient {
    pub(crate) http: HttpClient,
    pub(crate) config: WmsConfig,
    pub(crate) tokens: TokenCache,
}

/// One page of `GET /products`.
#[derive(Debug, PartialEq)]
pub(crate) struct ProductPage {
    pub(crate) products: Vec<Value>,
    /// The cursor of the next page; `None` on the last.
    pub(crate) cursor: Option<String>,
}

impl WmsClient {
    pub(crate) fn new(http: HttpClient, config: WmsConfig) -> WmsClient {
        WmsClient { http, config, tokens: TokenCache::new() }
    }

    /// `POST /auth` → `{"token"}`.
    pub(crate) async fn login(&self) -> Result<Secret, ConnectError> {
        let url = self.config.url(AUTH_PATH);
        crate::adapters::token::password_login(&self.http, url, &self.config.credentials, "token", &self.config.credentials_fix())
            .await
    }

    /// Sends with the cached token; logs in again on a 401 (an expired token) and repeats.
    async fn send_authorized(&self, build: impl Fn() -> ApiRequest) -> Result<ApiResponse, ConnectError> {
        self.tokens.send_authorized(&self.http, || self.login(), "Bearer", &self.config.credentials_fix(), build).await
    }

    /// `POST /products`. Marked safe to retry: a create that did land answers 409 the second
    /// time, which the adapter turns into a patch.
    pub(crate) async fn create(&self, body: &Value) -> Result<ApiResponse, ConnectError> {
        let url = self.config.url(PRODUCTS_PATH);
        self.send_authorized(|| ApiRequest::post(url.clone()).json(body).retry_safe()).await
    }

    /// `PATCH /products/{id}`.
    pub(crate) async fn patch(&self, id: &str, body: &Value) -> Result<ApiResponse, ConnectError> {
        let url = self.product_url(id)?;
        self.send_authorized(|| ApiRequest::patch(url.clone()).json(body)).await
    }

    /// The id of the product with `external_id`, if the WMS has one.
    pub(crate) async fn find_id(&self, external_id: &str) -> Result<Option<String>, ConnectError> {
        let mut url = self.products_url()?;
        url.query_pairs_mut().append_pair("external_id__eq", external_id).append_pair("limit", "10");
        let page = self.product_page(url).await?;
        Ok(page
            .products
            .iter()
            .find(|product| product.get("external_id").and_then(Value::as_str) == Some(external_id))
            .and_then(product_id))
    }

    /// One page of all products, after `cursor`.
    pub(crate) async fn list_page(&self, cursor: Option<&str>) -> Result<ProductPage, ConnectError> {
        let mut url = self.products_url()?;
        url.query_pairs_mut().append_pair("limit", &LIST_LIMIT.to_string());
        if let Some(cursor) = cursor {
            url.query_pairs_mut().append_pair("last_evaluated_key_id", cursor);
        }
        self.product_page(url).await
    }

    async fn product_page(&self, url: reqwest::Url) -> Result<ProductPage, ConnectError> {
        let response = self.send_authorized(|| ApiRequest::get(url.as_str())).await?;
        if response.status != 200 {
            return Err(self.http.unexpected(&response, "the product list", &self.config.credentials_fix()));
        }
        read_product_page(&response.json).ok_or_else(|| {
            self.http.error(
                ErrorKind::BadResponse,
                "wms answered the product list without an items array: check that target.base_url points at the wms",
            )
        })
    }

    fn products_url(&self) -> Result<reqwest::Url, ConnectError> {
        reqwest::Url::parse(&self.config.url(PRODUCTS_PATH)).map_err(|e| {
            self.http.error(
                ErrorKind::Config,
                format!("wms base_url is invalid ({e}): fix target.base_url in the tenant config"),
            )
        })
    }

    fn product_url(&self, id: &str) -> Result<String, ConnectError> {
        let mut url = self.products_url()?;
        url.path_segments_mut()
            .map_err(|()| {
                self.http.error(
                    ErrorKind::Config,
                    "wms base_url cannot carry a path: fix target.base_url in the tenant config",
                )
            })?
            .push(id);
        Ok(url.to_string())
    }
}

/// `{"items": […], "last_evaluated_key_id": …}`; the cursor is absent (or null) on the last page.
pub(crate) fn read_product_page(json: &Value) -> Option<ProductPage> {
    let products = json.get("items")?.as_array()?.clone();
    let cursor = match json.get("last_evaluated_key_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.is_empty() => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(other) => Some(other.to_string()),
    };
    Some(ProductPage { products, cursor })
}

/// A product's `id` as text (the WMS may send a number or a string).
pub(crate) fn product_id(product: &Value) -> Option<String> {
    match product.get("id")? {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The WMS's validation answer `{"error","message","details"}` on one line; `details` as
/// `field: message` pairs when it is a list of them.
pub(crate) fn describe_rejection(json: &Value, excerpt: &str) -> String {
    let text = |value: Option<&Value>| match value {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.trim().to_string()).filter(|t| !t.is_empty()),
        Some(other) => Some(other.to_string()),
    };
    let details = match json.get("details") {
        Some(Value::Array(items)) if !items.is_empty() => {
            let described: Vec<String> = items
                .iter()
                .map(|item| match (text(item.get("field")), text(item.get("message"))) {
                    (Some(field), Some(message)) => format!("{field}: {message}"),
                    (None, Some(message)) => message,
                    _ => item.to_string(),
                })
                .collect();
            Some(described.join("; "))
        }
        other => text(other),
    };
    let parts: Vec<String> = [text(json.get("message")), text(json.get("error")), details].into_iter().flatten().collect();
    if parts.is_empty() { excerpt.to_string() } else { parts.join(": ") }
}
