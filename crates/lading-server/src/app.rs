//! The application: shared state, the router of API and pages, and the middleware every
//! request passes (security headers, JSON errors under `/api`, the CSRF token of forms, the
//! body limit).

use crate::auth::limit::LoginLimiter;
use crate::auth::session::{CSRF_HEADER, SESSION_COOKIE, SubmittedCsrf};
use crate::auth::token::TokenKeys;
use crate::error::ApiError;
use crate::settings::ServerSettings;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use lading_runtime::engine::Engine;
use std::ops::Deref;
use std::sync::Arc;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub engine: Engine,
    pub keys: TokenKeys,
    pub limiter: LoginLimiter,
    pub settings: ServerSettings,
    pub cache: crate::cache::Cache,
}

impl AppState {
    pub fn new(engine: Engine, keys: TokenKeys, settings: ServerSettings) -> AppState {
        let limiter = LoginLimiter::new(settings.login_per_user_per_minute, settings.login_per_address_per_minute);
        AppState(Arc::new(Shared { engine, keys, limiter, settings, cache: crate::cache::Cache::default() }))
    }

    /// The state of a server over `engine`: the signing key from its secret store (made on
    /// first start).
    pub async fn load(engine: Engine, settings: ServerSettings) -> Result<AppState, String> {
        let keys = TokenKeys::load_or_create(engine.secrets.as_ref(), settings.session_ttl).await?;
        Ok(AppState::new(engine, keys, settings))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The whole application: `/api/…`, `/api/openapi.json`, `/healthz`, `/readyz` and the pages.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    let (api, openapi) = crate::api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let openapi = openapi.clone();
                async move { axum::Json(openapi.as_ref().clone()) }
            }),
        )
        .route("/metrics", axum::routing::get(metrics))
        .merge(crate::pages::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), submitted_csrf))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// Prometheus metrics, for a signed-in user or a scraper holding `LADING_METRICS_TOKEN`.
async fn metrics(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let by_token = match (&state.settings.metrics_token, bearer) {
        (Some(expected), Some(given)) => constant_time_eq(expected.as_bytes(), given.as_bytes()),
        _ => false,
    };
    if !by_token {
        use axum::extract::FromRequestParts;
        if let Err(rejection) = crate::auth::Session::from_request_parts(&mut parts, &state).await {
            // JSON, not a redirect: a scraper is not a browser.
            return rejection.error.into_response();
        }
    }
    ([(header::CONTENT_TYPE, lading_runtime::metrics::CONTENT_TYPE)], lading_runtime::metrics::render()).into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn not_found(request: Request) -> ApiError {
    ApiError::not_found(format!("no route {} {}", request.method(), request.uri().path()))
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Errors under `/api` that did not come from our handlers (axum's own rejections: a body too
/// large, malformed JSON, a wrong method, a bad path parameter) become `{code, message}` too.
async fn json_errors(request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    if !api || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("too_large", "the request body is larger than the server accepts".to_string())
        }
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this route does not take that method".to_string()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", format!("{}; send Content-Type: application/json", text.trim()))
        }
        s if s.is_server_error() => {
            tracing::error!(status = %s, body = %text, "request failed");
            ("internal", "the server could not complete the request; the error is in its log".to_string())
        }
        _ => ("bad_request", text.trim().chars().take(300).collect::<String>()),
    };
    let mut error = ApiError::new(status, code, message).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        error.headers_mut().insert(header::ALLOW, allow.clone());
    }
    error
}

/// Headers that keep the pages from being framed, sniffed or loading anything from elsewhere.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// For a write that carries the session cookie, finds the CSRF token it submitted (the
/// `X-CSRF-Token` header, or the `csrf` field of a form) and hands it to the session extractor.
/// A cross-site `Origin` is refused outright.
async fn submitted_csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let has_cookie = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(&format!("{SESSION_COOKIE}=")));
    if !unsafe_method || !has_cookie {
        return next.run(request).await;
    }
    if let Some(origin) = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let same = origin.split_once("://").is_some_and(|(_, rest)| rest == host);
        if !same {
            return ApiError::new(StatusCode::FORBIDDEN, "csrf", "cross-site request refused").into_response();
        }
    }
    let header_token = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(String::from);
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (mut parts, body) = request.into_parts();
    let (token, body) = match (header_token, is_form) {
        (Some(token), _) => (Some(token), body),
        (None, true) => {
            let bytes = match axum::body::to_bytes(body, state.settings.max_body_bytes).await {
                Ok(bytes) => bytes,
                Err(_) => {
                    return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the form is too large")
                        .into_response();
                }
            };
            let token = form_field(&bytes, "csrf");
            (token, Body::from(bytes))
        }
        (None, false) => (None, body),
    };
    parts.extensions.insert(SubmittedCsrf(token));
    next.run(Request::from_parts(parts, body)).await
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    fields.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}
