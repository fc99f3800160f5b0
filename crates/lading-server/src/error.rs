//! The one error shape of the API: `{"code": "...", "message": "..."}` with the right status.
//!
//! Messages say what was wrong and how to fix it; they never carry a stack trace, a file path
//! or a store detail. Store and engine failures are logged in full and answered with a generic
//! message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lading_runtime::engine::EngineError;
use lading_runtime::ior::IorError;
use lading_runtime::replay::ReplayError;
use lading_runtime::runner::RunError;
use lading_runtime::tenants::TenantError;
use lading_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A stable, machine-readable code, e.g. `unauthenticated`, `forbidden`, `not_found`.
    pub code: String,
    /// What was wrong and what to do about it.
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait, for 429 answers.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after: None }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn too_many(message: impl Into<String>, retry_after: u64) -> ApiError {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }

    /// A failure of ours: logged with its detail, answered without it.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request; the error is in its log",
        )
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody { code: self.code.to_string(), message: self.message.clone() }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        match err {
            StoreError::UnknownTenant(tenant) => ApiError::not_found(format!("unknown tenant {tenant:?}")),
            StoreError::UnknownRun(run) => ApiError::not_found(format!("unknown run {run:?}")),
            other => ApiError::internal(other),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> ApiError {
        match err {
            EngineError::Store(store) => store.into(),
            // Configuration problems are the operator's to fix and name no secret value.
            other => ApiError::new(StatusCode::CONFLICT, "tenant_not_ready", other.to_string()),
        }
    }
}

impl From<RunError> for ApiError {
    fn from(err: RunError) -> ApiError {
        match err {
            RunError::Engine(engine) => engine.into(),
            RunError::Store(store) => store.into(),
            RunError::Disabled(tenant) => ApiError::conflict(format!(
                "tenant {tenant} is disabled; enable it first (PATCH /api/tenants/{tenant})"
            )),
            RunError::Ior(ior) => ior.into(),
            locked @ RunError::Locked { .. } => {
                ApiError::new(StatusCode::CONFLICT, "run_in_progress", locked.to_string())
            }
            other => ApiError::new(StatusCode::CONFLICT, "tenant_not_ready", other.to_string()),
        }
    }
}

impl From<IorError> for ApiError {
    fn from(err: IorError) -> ApiError {
        match err {
            IorError::Store(store) => store.into(),
            IorError::Csv { .. } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv", err.to_string()),
            IorError::UnknownTable { .. } => ApiError::not_found(err.to_string()),
            IorError::Connect(connect) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "upstream_failed",
                format!("the tenant's system did not answer as expected: {connect}"),
            ),
            IorError::Corrupt { .. } => ApiError::internal(err),
            // Configuration problems are the operator's to fix and name no secret value.
            other => ApiError::new(StatusCode::CONFLICT, "tenant_not_ready", other.to_string()),
        }
    }
}

impl From<TenantError> for ApiError {
    fn from(err: TenantError) -> ApiError {
        match err {
            TenantError::Store(store) => store.into(),
            invalid => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_config", invalid.to_string()),
        }
    }
}

impl From<ReplayError> for ApiError {
    fn from(err: ReplayError) -> ApiError {
        match err {
            ReplayError::NotFound(message) => ApiError::not_found(message),
            ReplayError::AlreadyReplayed(message) => ApiError::new(StatusCode::CONFLICT, "already_replayed", message),
            ReplayError::Unsupported(message) => ApiError::new(StatusCode::CONFLICT, "not_replayable", message),
            ReplayError::Run(run) => run.into(),
            ReplayError::Store(store) => store.into(),
        }
    }
}

impl From<crate::users::UserError> for ApiError {
    fn from(err: crate::users::UserError) -> ApiError {
        use crate::users::UserError;
        match err {
            UserError::Invalid(message) => ApiError::bad_request(message),
            UserError::Exists(name) => {
                ApiError::conflict(format!("user {name:?} already exists; change it with PATCH /api/users/{name}"))
            }
            UserError::Unknown(name) => ApiError::not_found(format!("no user {name:?}; list them with GET /api/users")),
            last @ UserError::LastAdmin(_) => ApiError::new(StatusCode::CONFLICT, "last_admin", last.to_string()),
            UserError::Store(store) => store.into(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
