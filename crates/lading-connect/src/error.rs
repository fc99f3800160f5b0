//! The one error type of lading-connect: which tenant, which system, what happened, what to fix.
//!
//! Messages are one lowercase line, `tenant acme: siesa rejected the credentials (401): check …`,
//! built by the code that knows the context. They never hold a secret value: response excerpts
//! are redacted of every secret the request carried (see [`crate::http::ApiRequest`]).

use lading_core::TenantId;
use std::time::Duration;

/// What went wrong, as a machine can act on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The system refused our credentials: 401/403, or a failed login.
    Unauthorized,
    /// No connection, or the connection broke: refused, reset, closed mid-answer, DNS, TLS.
    Unreachable,
    /// No complete answer within the configured timeout.
    Timeout,
    /// 429 Too Many Requests, still throttled after the allowed retries.
    Throttled,
    /// A 5xx answer.
    Server { status: u16 },
    /// An answer we could not read: malformed JSON, or JSON of an unexpected shape.
    BadResponse,
    /// A 4xx answer (other than 401/403/429): the system refused the request itself.
    Rejected { status: u16, body_excerpt: String },
    /// The source ran the query and reported a failure in its body (Siesa `alerta`, `codigo`).
    QueryFailed { code: Option<i64> },
    /// Our side is misconfigured: a bad base URL, an unknown product type, invalid settings.
    Config,
}

/// An error of one tenant's exchange with one external system.
///
/// `Display` is the full one-line message: `tenant {tenant}: {what happened}: {what to fix}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("tenant {tenant}: {message}")]
pub struct ConnectError {
    tenant: TenantId,
    system: &'static str,
    kind: ErrorKind,
    message: String,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl ConnectError {
    /// An error whose retryability follows from its kind (see [`ErrorKind::is_transient`]).
    ///
    /// `message` starts with the system's name and says what happened and what to fix, e.g.
    /// `siesa rejected the credentials (401): check ConniKey/ConniToken in secret …`.
    pub fn new(tenant: &TenantId, system: &'static str, kind: ErrorKind, message: impl Into<String>) -> ConnectError {
        let retryable = kind.is_transient();
        ConnectError { tenant: tenant.clone(), system, kind, message: message.into(), retryable, retry_after: None }
    }

    /// The same error with the delay the server asked for (`Retry-After`).
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> ConnectError {
        self.retry_after = retry_after;
        self
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The external system: `siesa`, `kong`, `wms`, or `registry` for adapter lookups.
    pub fn system(&self) -> &'static str {
        self.system
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The message without the `tenant …:` prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether trying the same work again later may succeed (a step retry, a later run).
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// The wait the server asked for in its last answer, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl ErrorKind {
    /// Transient kinds: the same request may succeed later. Server errors count only for the
    /// statuses a gateway or an overloaded host sends (500, 502, 503, 504).
    pub fn is_transient(&self) -> bool {
        match self {
            ErrorKind::Unreachable | ErrorKind::Timeout | ErrorKind::Throttled => true,
            ErrorKind::Server { status } => matches!(status, 500 | 502 | 503 | 504),
            ErrorKind::Unauthorized
            | ErrorKind::BadResponse
            | ErrorKind::Rejected { .. }
            | ErrorKind::QueryFailed { .. }
            | ErrorKind::Config => false,
        }
    }

    /// A short lowercase name for logs and reports: `unauthorized`, `server`, …
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Server { .. } => "server",
            ErrorKind::BadResponse => "bad_response",
            ErrorKind::Rejected { .. } => "rejected",
            ErrorKind::QueryFailed { .. } => "query_failed",
            ErrorKind::Config => "config",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    #[test]
    fn display_names_the_tenant_first() {
        let error = ConnectError::new(
            &tenant(),
            "siesa",
            ErrorKind::Unauthorized,
            "siesa rejected the credentials (401): check ConniKey/ConniToken in secret siesa-integration/acme/kong",
        );
        assert_eq!(
            error.to_string(),
            "tenant acme: siesa rejected the credentials (401): check ConniKey/ConniToken in secret siesa-integration/acme/kong"
        );
        assert!(!error.is_retryable());
    }

    #[test]
    fn transient_kinds_are_retryable() {
        let check = |kind: ErrorKind, expected: bool| {
            let error = ConnectError::new(&tenant(), "kong", kind.clone(), "x");
            assert_eq!(error.is_retryable(), expected, "{kind:?}");
        };
        check(ErrorKind::Unreachable, true);
        check(ErrorKind::Timeout, true);
        check(ErrorKind::Throttled, true);
        check(ErrorKind::Server { status: 503 }, true);
        check(ErrorKind::Server { status: 500 }, true);
        check(ErrorKind::Server { status: 501 }, false);
        check(ErrorKind::Unauthorized, false);
        check(ErrorKind::Rejected { status: 422, body_excerpt: String::new() }, false);
        check(ErrorKind::QueryFailed { code: Some(2) }, false);
    }
}
