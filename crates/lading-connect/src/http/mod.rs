//! The one HTTP client every connector uses: timeouts, safe retries, `Retry-After`, rate limit.
//!
//! An [`HttpClient`] belongs to one tenant and one external system, so its connection pool and
//! its rate limiter are that tenant's alone. Each request is tried up to
//! `retry.max_attempts` times with exponential backoff and full jitter (backon), but only when
//! trying again is safe:
//!
//! - what is retried: 429, 500, 502, 503, 504, network errors (connect, reset, closed
//!   mid-answer), timeouts, and a 2xx whose JSON body is malformed (a truncated page);
//! - for which requests: GET/PUT/PATCH/DELETE, and POSTs that carry an idempotency key or are
//!   marked safe (a login). A POST without either is sent once, except when the connection
//!   could not even be opened (nothing was sent);
//! - how long to wait: the server's `Retry-After` (seconds or an HTTP date, capped at
//!   [`MAX_RETRY_AFTER`]) when it gave one, else a uniform wait below the backoff ceiling.
//!
//! 500 is retried although gateways more often send 502–504: Connekta's IIS host answers its
//! transient failures with 500, and only repeatable requests are retried, so a retried 500
//! cannot apply anything twice.
//!
//! Redirects are not followed: a redirect to another host would carry the tenant's static
//! `ConniKey` headers with it.
//!
//! Every attempt's latency goes to the histogram [`REQUEST_DURATION_METRIC`], labelled by
//! `system`, `tenant` and `outcome` (`ok`: an answer other than 429 or 5xx; `error`: a network
//! error, a timeout, 429 or 5xx). It is a no-op until a metrics recorder is installed.

mod backoff;
mod request;
mod retry_after;

pub use backoff::{full_jitter, retry_delays};
pub use request::{ApiRequest, ApiResponse};
pub use retry_after::{MAX_RETRY_AFTER, capped, parse_retry_after};

use crate::error::{ConnectError, ErrorKind};
use backon::Retryable;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use lading_core::TenantId;
use lading_core::config::TenantConfig;
use lading_core::retry::RetryPolicy;
use request::{HeaderText, excerpt};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde_json::Value;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// The histogram of the latency of every HTTP attempt, in seconds; see the module doc.
pub const REQUEST_DURATION_METRIC: &str = "lading_external_request_duration_seconds";

/// How one tenant talks to one system: timeouts, retries, and a rate limit.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientSettings {
    /// Whole-request timeout: connect, send, and read the full answer.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    /// Requests per second this tenant may send to this system (burst of the same size).
    pub rate_limit_per_sec: u32,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            rate_limit_per_sec: 200,
        }
    }
}

impl ClientSettings {
    /// The settings of a checked tenant config: `timeout_secs`, `retry`, `rate_limit_per_sec`;
    /// the connect timeout is the smaller of 10 s and the timeout.
    pub fn from_config(config: &TenantConfig) -> ClientSettings {
        ClientSettings::from_parts(config.raw.timeout_secs, &config.raw.retry, config.raw.rate_limit_per_sec)
    }

    /// The settings of a config's `timeout_secs`, `retry` and `rate_limit_per_sec`; the
    /// connect timeout is the smaller of 10 s and the timeout.
    pub fn from_parts(timeout_secs: u64, retry: &RetryPolicy, rate_limit_per_sec: u32) -> ClientSettings {
        let timeout = Duration::from_secs(timeout_secs);
        ClientSettings {
            timeout,
            connect_timeout: timeout.min(Duration::from_secs(10)),
            retry: retry.clone(),
            rate_limit_per_sec,
        }
    }
}

/// Counters of one client, for reports and tests. Latency is per attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Attempts sent, retries included.
    pub attempts: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// Requests that ended in an error.
    pub failures: u64,
    pub total_latency: Duration,
    pub max_latency: Duration,
}

/// The HTTP client of one tenant for one system. Cheap to clone: clones share the connection
/// pool, the rate limiter and the counters.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    tenant: TenantId,
    system: &'static str,
    settings: ClientSettings,
    http: reqwest::Client,
    limiter: DefaultDirectRateLimiter,
    attempts: AtomicU64,
    retries: AtomicU64,
    failures: AtomicU64,
    total_latency_micros: AtomicU64,
    max_latency_micros: AtomicU64,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("tenant", &self.inner.tenant)
            .field("system", &self.inner.system)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

/// Why one attempt failed, before the retry loop decides what to do about it.
#[derive(Debug)]
struct Failure {
    kind: ErrorKind,
    detail: String,
    /// Worth trying again if the request is repeatable.
    transient: bool,
    /// Whether the request may have reached the server (false: the connection never opened).
    sent: bool,
    retry_after: Option<Duration>,
}

impl HttpClient {
    /// A client for `tenant` talking to `system` (`siesa`, `kong`, `wms`, …).
    pub fn new(tenant: &TenantId, system: &'static str, settings: ClientSettings) -> Result<HttpClient, ConnectError> {
        let config_error = |message: String| ConnectError::new(tenant, system, ErrorKind::Config, message);
        settings.retry.validate().map_err(|e| config_error(format!("{system} client settings: {e}")))?;
        let rate = NonZeroU32::new(settings.rate_limit_per_sec)
            .ok_or_else(|| config_error(format!("{system} client settings: rate_limit_per_sec must be at least 1")))?;
        if settings.timeout.is_zero() || settings.connect_timeout.is_zero() {
            return Err(config_error(format!("{system} client settings: timeouts must be longer than zero")));
        }
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("lading/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config_error(format!("{system} http client could not be built: {e}")))?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                tenant: tenant.clone(),
                system,
                settings,
                http,
                limiter: RateLimiter::direct(Quota::per_second(rate)),
                attempts: AtomicU64::new(0),
                retries: AtomicU64::new(0),
                failures: AtomicU64::new(0),
                total_latency_micros: AtomicU64::new(0),
                max_latency_micros: AtomicU64::new(0),
            }),
        })
    }

    pub fn tenant(&self) -> &TenantId {
        &self.inner.tenant
    }

    pub fn system(&self) -> &'static str {
        self.inner.system
    }

    pub fn settings(&self) -> &ClientSettings {
        &self.inner.settings
    }

    pub fn stats(&self) -> ClientStats {
        let inner = &self.inner;
        ClientStats {
            attempts: inner.attempts.load(Ordering::Relaxed),
            retries: inner.retries.load(Ordering::Relaxed),
            failures: inner.failures.load(Ordering::Relaxed),
            total_latency: Duration::from_micros(inner.total_latency_micros.load(Ordering::Relaxed)),
            max_latency: Duration::from_micros(inner.max_latency_micros.load(Ordering::Relaxed)),
        }
    }

    /// An error of this client's tenant and system.
    pub fn error(&self, kind: ErrorKind, message: impl Into<String>) -> ConnectError {
        ConnectError::new(&self.inner.tenant, self.inner.system, kind, message)
    }

    /// The error for an answer the caller cannot use: 401/403 become `Unauthorized` with
    /// `credentials_fix` as the fix; other statuses `Rejected` with an excerpt of the body.
    pub fn unexpected(&self, response: &ApiResponse, what: &str, credentials_fix: &str) -> ConnectError {
        let system = self.inner.system;
        let status = response.status;
        match status {
            401 | 403 => self.error(
                ErrorKind::Unauthorized,
                format!("{system} rejected the credentials ({status}): {credentials_fix}"),
            ),
            _ => self.error(
                ErrorKind::Rejected { status, body_excerpt: response.body_excerpt().to_string() },
                format!("{system} rejected {what} ({status}): {}", quoted_or_empty(response.body_excerpt())),
            ),
        }
    }

    /// Sends `request`, retrying what is safe to retry. `Ok` holds a 2xx (JSON parsed) or a
    /// 4xx other than 429 for the caller to interpret; everything else is an error.
    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse, ConnectError> {
        let (url, headers) = self.prepare(&request)?;
        let path = url.path().to_string();
        let repeatable = request.is_repeatable();
        let attempts = AtomicU32::new(0);
        let started = Instant::now();

        let attempt = || async {
            let number = attempts.fetch_add(1, Ordering::Relaxed) + 1;
            self.attempt(&request, &url, &headers, &path, number).await
        };
        let result = attempt
            .retry(backoff::exponential(&self.inner.settings.retry))
            .sleep(tokio::time::sleep)
            .when(|failure: &Failure| failure.transient && (repeatable || !failure.sent))
            .adjust(|failure: &Failure, ceiling: Option<Duration>| {
                // `None` means the attempts are used up: stop, whatever the server asked for.
                ceiling.map(|ceiling| match failure.retry_after {
                    Some(retry_after) => capped(retry_after),
                    None => full_jitter(ceiling),
                })
            })
            .notify(|failure: &Failure, wait: Duration| {
                self.inner.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    tenant = %self.inner.tenant,
                    system = self.inner.system,
                    method = %request.method,
                    path = %path,
                    error_kind = failure.kind.name(),
                    detail = %failure.detail,
                    wait_ms = wait.as_millis() as u64,
                    "retrying request"
                );
            })
            .await;

        match result {
            Ok(response) => Ok(response),
            Err(failure) => {
                self.inner.failures.fetch_add(1, Ordering::Relaxed);
                let attempts = attempts.load(Ordering::Relaxed);
                let error = self.final_error(&request, &path, failure, attempts, repeatable);
                tracing::warn!(
                    tenant = %self.inner.tenant,
                    system = self.inner.system,
                    method = %request.method,
                    path = %path,
                    attempts,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    error = %error,
                    "request failed"
                );
                Err(error)
            }
        }
    }

    fn prepare(&self, request: &ApiRequest) -> Result<(reqwest::Url, HeaderMap), ConnectError> {
        let system = self.inner.system;
        let url = reqwest::Url::parse(&request.url).map_err(|e| {
            self.error(
                ErrorKind::Config,
                format!("{system} url {:?} is invalid ({e}): fix base_url in the tenant config", request.url),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(self.error(
                ErrorKind::Config,
                format!("{system} url {:?} is not http or https: fix base_url in the tenant config", request.url),
            ));
        }
        let mut headers = HeaderMap::new();
        for header in &request.headers {
            let name = HeaderName::from_static(header.name);
            let value = match &header.value {
                HeaderText::Plain(text) => HeaderValue::from_str(text).map_err(|_| {
                    self.error(
                        ErrorKind::Config,
                        format!("{system} header {} has a value that is not valid in http", header.name),
                    )
                })?,
                HeaderText::Secret(secret) => {
                    let mut value = HeaderValue::from_str(secret.expose()).map_err(|_| {
                        self.error(
                            ErrorKind::Config,
                            format!(
                                "{system} header {} holds a secret with characters not valid in http: check the secret",
                                header.name
                            ),
                        )
                    })?;
                    value.set_sensitive(true);
                    value
                }
            };
            headers.append(name, value);
        }
        Ok((url, headers))
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        url: &reqwest::Url,
        headers: &HeaderMap,
        path: &str,
        number: u32,
    ) -> Result<ApiResponse, Failure> {
        self.inner.limiter.until_ready().await;
        let started = Instant::now();
        let mut builder = self.inner.http.request(request.method.clone(), url.clone()).headers(headers.clone());
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let outcome = match builder.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                response.bytes().await.map(|body| (status, headers, body))
            }
            Err(error) => Err(error),
        };
        let latency = started.elapsed();
        self.record_latency(latency);
        let answered = matches!(&outcome, Ok((status, _, _)) if *status != 429 && *status < 500);
        self.record_metric(latency, answered);

        let (status, headers, body) = match outcome {
            Ok(answer) => answer,
            Err(error) => {
                let failure = network_failure(&error);
                tracing::debug!(
                    tenant = %self.inner.tenant,
                    system = self.inner.system,
                    method = %request.method,
                    path,
                    attempt = number,
                    latency_ms = latency.as_millis() as u64,
                    error_kind = failure.kind.name(),
                    detail = %failure.detail,
                    "http attempt failed"
                );
                return Err(failure);
            }
        };
        tracing::debug!(
            tenant = %self.inner.tenant,
            system = self.inner.system,
            method = %request.method,
            path,
            attempt = number,
            status,
            latency_ms = latency.as_millis() as u64,
            "http attempt"
        );

        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let status_failure = |kind: ErrorKind| {
            let transient = kind.is_transient();
            Failure { kind, detail: excerpt(request, &body), transient, sent: true, retry_after }
        };
        if status == 429 {
            return Err(status_failure(ErrorKind::Throttled));
        }
        if status >= 500 {
            return Err(status_failure(ErrorKind::Server { status }));
        }
        let success = (200..300).contains(&status);
        let json = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            match serde_json::from_slice::<Value>(&body) {
                Ok(json) => json,
                Err(error) if success => {
                    return Err(Failure {
                        kind: ErrorKind::BadResponse,
                        detail: format!("{error} after {} bytes", body.len()),
                        transient: true,
                        sent: true,
                        retry_after: None,
                    });
                }
                Err(_) => Value::Null,
            }
        };
        Ok(ApiResponse {
            status,
            excerpt: excerpt(request, &body),
            headers,
            body,
            json,
            method: request.method.clone(),
            path: path.to_string(),
            attempts: number,
            latency,
        })
    }

    fn record_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.inner.attempts.fetch_add(1, Ordering::Relaxed);
        self.inner.total_latency_micros.fetch_add(micros, Ordering::Relaxed);
        self.inner.max_latency_micros.fetch_max(micros, Ordering::Relaxed);
    }

    fn record_metric(&self, latency: Duration, answered: bool) {
        let outcome = if answered { "ok" } else { "error" };
        let (system, tenant) = (self.inner.system, self.inner.tenant.to_string());
        metrics::histogram!(REQUEST_DURATION_METRIC, "system" => system, "tenant" => tenant, "outcome" => outcome)
            .record(latency.as_secs_f64());
    }

    fn final_error(
        &self,
        request: &ApiRequest,
        path: &str,
        failure: Failure,
        attempts: u32,
        repeatable: bool,
    ) -> ConnectError {
        let system = self.inner.system;
        let method = &request.method;
        let note = if attempts > 1 {
            format!(" after {attempts} attempts")
        } else if failure.transient && !repeatable && failure.sent {
            " (not retried: a post without an idempotency key may already have been applied)".to_string()
        } else {
            String::new()
        };
        let message = match &failure.kind {
            ErrorKind::Timeout => format!(
                "{system} did not answer {method} {path} within {} ms{note}: check that {system} is up, or raise timeout_secs",
                self.inner.settings.timeout.as_millis()
            ),
            ErrorKind::Unreachable => format!(
                "{system} could not be reached for {method} {path} ({}){note}: check base_url and that {system} is up",
                failure.detail
            ),
            ErrorKind::Throttled => {
                format!("{system} throttled {method} {path} (429){note}: lower rate_limit_per_sec or run again later")
            }
            ErrorKind::Server { status } => format!(
                "{system} failed {method} {path} with {status}{note}{}: {system} is unhealthy, run again later",
                quoted_suffix(&failure.detail)
            ),
            ErrorKind::BadResponse => format!(
                "{system} sent malformed json for {method} {path} ({}){note}: check that base_url points at the {system} api",
                failure.detail
            ),
            ErrorKind::Unauthorized
            | ErrorKind::Rejected { .. }
            | ErrorKind::QueryFailed { .. }
            | ErrorKind::Config => {
                format!("{system} {method} {path} failed: {}", failure.detail)
            }
        };
        self.error(failure.kind, message).with_retry_after(failure.retry_after)
    }
}

/// Classifies a transport error. Only a failure to open the connection proves nothing was sent.
fn network_failure(error: &reqwest::Error) -> Failure {
    let detail = error_chain(error);
    if error.is_builder() {
        return Failure { kind: ErrorKind::Config, detail, transient: false, sent: false, retry_after: None };
    }
    let kind = if error.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Unreachable };
    Failure { kind, detail, transient: true, sent: !error.is_connect(), retry_after: None }
}

/// The error and its causes on one line, without the URL (`reqwest` puts it in the message).
fn error_chain(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut parts = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !parts.contains(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        parts.push(error.to_string());
    }
    parts.join(": ").to_lowercase()
}

fn quoted_or_empty(excerpt: &str) -> String {
    if excerpt.is_empty() { "empty body".to_string() } else { format!("{excerpt:?}") }
}

fn quoted_suffix(excerpt: &str) -> String {
    if excerpt.is_empty() { String::new() } else { format!(" ({excerpt:?})") }
}
