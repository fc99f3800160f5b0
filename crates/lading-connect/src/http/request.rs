//! A request as connectors describe it, and the answer the client hands back.
//!
//! A request says whether it is safe to send twice: GET/PUT/PATCH/DELETE always are; a POST
//! only with an idempotency key or when the caller marks it safe (a login, or a create the
//! server dedupes by key). Secrets go in through [`ApiRequest::secret_header`] and
//! [`ApiRequest::redact`], so the client can keep them out of every error and log line.

use bytes::Bytes;
use lading_core::Secret;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::time::Duration;

/// One HTTP request, rebuilt by the client for each attempt.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: Vec<RequestHeader>,
    pub(crate) body: Option<Bytes>,
    pub(crate) idempotency_key: Option<String>,
    pub(crate) retry_safe: bool,
    pub(crate) secrets: Vec<Secret>,
}

#[derive(Clone, Debug)]
pub(crate) struct RequestHeader {
    pub(crate) name: &'static str,
    pub(crate) value: HeaderText,
}

#[derive(Clone, Debug)]
pub(crate) enum HeaderText {
    Plain(String),
    Secret(Secret),
}

impl ApiRequest {
    pub fn new(method: Method, url: impl Into<String>) -> ApiRequest {
        ApiRequest {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            idempotency_key: None,
            retry_safe: false,
            secrets: Vec::new(),
        }
    }

    pub fn get(url: impl Into<String>) -> ApiRequest {
        ApiRequest::new(Method::GET, url)
    }

    pub fn post(url: impl Into<String>) -> ApiRequest {
        ApiRequest::new(Method::POST, url)
    }

    pub fn put(url: impl Into<String>) -> ApiRequest {
        ApiRequest::new(Method::PUT, url)
    }

    pub fn patch(url: impl Into<String>) -> ApiRequest {
        ApiRequest::new(Method::PATCH, url)
    }

    pub fn delete(url: impl Into<String>) -> ApiRequest {
        ApiRequest::new(Method::DELETE, url)
    }

    /// A header with a non-secret value.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> ApiRequest {
        self.headers.push(RequestHeader { name, value: HeaderText::Plain(value.into()) });
        self
    }

    /// A header whose value is a secret: sent marked sensitive, redacted from every excerpt.
    pub fn secret_header(mut self, name: &'static str, value: &Secret) -> ApiRequest {
        self.secrets.push(value.clone());
        self.headers.push(RequestHeader { name, value: HeaderText::Secret(value.clone()) });
        self
    }

    /// A JSON body (and its `Content-Type`).
    pub fn json(mut self, body: &Value) -> ApiRequest {
        self.body = Some(Bytes::from(body.to_string()));
        self.header("content-type", "application/json")
    }

    /// Marks a secret the body carries (a login password), so it is redacted from excerpts.
    pub fn redact(mut self, secret: &Secret) -> ApiRequest {
        self.secrets.push(secret.clone());
        self
    }

    /// Sends `Idempotency-Key: key`; a POST with a key may be retried.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> ApiRequest {
        let key = key.into();
        self.idempotency_key = Some(key.clone());
        self.header("idempotency-key", key)
    }

    /// Marks a POST as safe to send again: a login, or a create the server dedupes by key.
    pub fn retry_safe(mut self) -> ApiRequest {
        self.retry_safe = true;
        self
    }

    /// Whether sending this request twice cannot apply it twice.
    pub fn is_repeatable(&self) -> bool {
        self.retry_safe
            || self.idempotency_key.is_some()
            || matches!(
                self.method,
                Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::PATCH | Method::DELETE
            )
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Replaces every secret this request carries with `***`.
    pub(crate) fn redacted(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.secrets {
            if !secret.expose().is_empty() {
                text = text.replace(secret.expose(), "***");
            }
        }
        text
    }
}

/// An answer: a 2xx (its body parsed as JSON), or a 4xx other than 429 for the caller to
/// interpret. Throttling, 5xx, network failures and malformed 2xx bodies come back as errors.
#[derive(Clone, Debug)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The body as JSON for a 2xx answer (`Null` when empty); for other statuses the body as
    /// JSON when it is JSON, else `Null`.
    pub json: Value,
    /// The request's method and URL path, for messages.
    pub method: Method,
    pub path: String,
    /// Attempts it took, the successful one included.
    pub attempts: u32,
    /// Latency of the last attempt.
    pub latency: Duration,
    pub(crate) excerpt: String,
}

impl ApiResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The start of the body, one line, secrets redacted: safe for errors and logs.
    pub fn body_excerpt(&self) -> &str {
        &self.excerpt
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How much of a body an error message quotes.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// The first [`EXCERPT_CHARS`] characters of `body` on one line, secrets of `request` redacted.
/// An HTML error page (IIS, nginx, Django) is reduced to its `<title>`.
pub(crate) fn excerpt(request: &ApiRequest, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = html_title(&text).unwrap_or(&text);
    let redacted = request.redacted(text);
    let one_line: String = redacted.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = one_line.chars().take(EXCERPT_CHARS).collect();
    if one_line.chars().count() > EXCERPT_CHARS {
        cut.push('…');
    }
    cut
}

/// The text of an HTML page's `<title>`, if `text` is an HTML page with one.
fn html_title(text: &str) -> Option<&str> {
    if !text.trim_start().starts_with('<') {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    text.get(start..end).map(str::trim).filter(|title| !title.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_requests_are_repeatable() {
        assert!(ApiRequest::get("http://x/").is_repeatable());
        assert!(ApiRequest::patch("http://x/").is_repeatable());
        assert!(ApiRequest::put("http://x/").is_repeatable());
        assert!(ApiRequest::delete("http://x/").is_repeatable());
        assert!(!ApiRequest::post("http://x/").is_repeatable());
        assert!(ApiRequest::post("http://x/").idempotency_key("k").is_repeatable());
        assert!(ApiRequest::post("http://x/").retry_safe().is_repeatable());
    }

    #[test]
    fn excerpts_hide_secrets_and_stay_short() {
        let request = ApiRequest::post("http://x/login")
            .secret_header("conni-key", &Secret::new("k-123"))
            .redact(&Secret::new("hunter2"));
        let body = format!("{{\"echo\": \"k-123 hunter2\",\n \"pad\": \"{}\"}}", "x".repeat(500));
        let text = excerpt(&request, body.as_bytes());
        assert!(!text.contains("k-123") && !text.contains("hunter2"), "{text}");
        assert!(text.contains("*** ***"), "{text}");
        assert!(!text.contains('\n'));
        assert_eq!(text.chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn html_error_pages_are_reduced_to_their_title() {
        let request = ApiRequest::get("http://x/");
        let iis =
            "<!DOCTYPE html>\r\n<html><head><title>500 - Internal server error.</title></head><body>…</body></html>";
        assert_eq!(excerpt(&request, iis.as_bytes()), "500 - Internal server error.");
        assert_eq!(excerpt(&request, b"<html><body>no title</body></html>"), "<html><body>no title</body></html>");
        assert_eq!(excerpt(&request, br#"{"title": "<title>x</title>"}"#), r#"{"title": "<title>x</title>"}"#);
    }
}
