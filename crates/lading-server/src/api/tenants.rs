//! Tenants: listed and read by any user; added, replaced, enabled and disabled by admins, with
//! the checks of `lading tenants add`.

use crate::app::AppState;
use crate::auth::session::{Admin, Session};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{self, TenantView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lading_core::TenantId;
use lading_core::config::RawTenantConfig;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_tenants, add_tenant)).routes(routes!(
        get_tenant,
        replace_tenant,
        set_enabled
    ))
}

#[derive(Serialize, ToSchema)]
pub struct TenantList {
    pub tenants: Vec<TenantView>,
}

/// Turns a tenant on or off: a disabled tenant refuses to run.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnabledPatch {
    pub enabled: bool,
}

/// A tenant's sync config, as in docs/configuration.md: the document's shape of
/// `RawTenantConfig`, which is what the handlers read. (Deserialize is derived only so the
/// schema carries serde's defaults and `additionalProperties: false`.)
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
#[schema(example = json!({
    "version": 1, "tenant_id": "acme", "product_type": "kong", "mapping_key": "field-mappings-kong.json",
    "source": {"kind": "siesa", "base_url": "https://connekta.example.com", "company_id": "1"},
    "target": {"base_url": "https://kong.example.com"}
}))]
pub struct TenantConfigBody {
    /// This build reads version 1.
    #[schema(minimum = 1, maximum = 1)]
    pub version: u32,
    /// 1–64 of `a-z 0-9 - _`.
    #[schema(pattern = r"^[a-z0-9_-]{1,64}$")]
    pub tenant_id: String,
    /// The adapter that loads the records: `kong` or `wms`.
    #[schema(pattern = r"^(kong|wms)$")]
    pub product_type: String,
    /// Default true.
    #[serde(default)]
    pub enabled: bool,
    /// A built-in mapping (`field-mappings-kong.json`, `field-mappings-wms.json`) or `config/{key}`
    /// in the object store.
    #[schema(pattern = r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$", example = "field-mappings-kong.json")]
    pub mapping_key: String,
    pub source: SourceBody,
    pub target: TargetBody,
    /// Six-field cron (`sec min hour day month weekday`).
    pub schedule: Option<String>,
    /// 1–100, default 100.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100)]
    pub batch_size: usize,
    /// Default 200.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub rate_limit_per_sec: u32,
    /// 1–3600, default 30.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3600)]
    pub timeout_secs: u64,
    /// Default 5 attempts, 100 ms doubling up to 5 s.
    #[serde(default)]
    pub retry: RetryBody,
    /// 0.0–1.0, default 0.10.
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub failure_threshold: f64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct SourceBody {
    /// `siesa`.
    #[schema(pattern = r"^siesa$")]
    pub kind: String,
    #[schema(pattern = r"^https?://[^/]")]
    pub base_url: String,
    #[schema(pattern = r"\S")]
    pub company_id: String,
    /// 1–1000, default 100.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000)]
    pub page_size: usize,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct TargetBody {
    #[schema(pattern = r"^https?://[^/]")]
    pub base_url: String,
}

#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RetryBody {
    #[schema(minimum = 1)]
    pub max_attempts: u32,
    /// At most max_backoff_ms.
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    #[schema(minimum = 1.0)]
    pub backoff_rate: f32,
}

fn tenant_path(raw: &str) -> ApiResult<TenantId> {
    TenantId::parse(raw).map_err(|e| ApiError::bad_request(format!("tenant: {e}")))
}

/// Every tenant with its product-sync and importer-of-record configs.
#[utoipa::path(
    get, path = "/api/tenants", tag = "tenants",
    responses((status = 200, body = TenantList), (status = 401, body = ErrorBody))
)]
async fn list_tenants(_: Session, State(state): State<AppState>) -> ApiResult<Json<TenantList>> {
    Ok(Json(TenantList { tenants: query::tenants(&state).await? }))
}

/// One tenant.
#[utoipa::path(
    get, path = "/api/tenants/{tenant}", tag = "tenants",
    params(("tenant" = String, Path, pattern = r"^[a-z0-9_-]{1,64}$", description = "The tenant id")),
    responses(
        (status = 200, body = TenantView),
        (status = 400, body = ErrorBody, description = "Malformed tenant id"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such tenant"),
    )
)]
async fn get_tenant(
    _: Session,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> ApiResult<Json<TenantView>> {
    let tenant = tenant_path(&tenant)?;
    Ok(Json(query::tenant(&state, &tenant).await?))
}

/// Adds a tenant. Every problem of the config is named at once.
#[utoipa::path(
    post, path = "/api/tenants", tag = "tenants", request_body = TenantConfigBody,
    responses(
        (status = 201, body = TenantView, description = "Added"),
        (status = 400, body = ErrorBody, description = "Not JSON"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an admin"),
        (status = 409, body = ErrorBody, description = "The tenant exists; replace it with PUT"),
        (status = 415, body = ErrorBody, description = "Not application/json"),
        (status = 422, body = ErrorBody, description = "Invalid config: every problem, each naming its field"),
    )
)]
async fn add_tenant(
    Admin(session): Admin,
    State(state): State<AppState>,
    Json(raw): Json<RawTenantConfig>,
) -> ApiResult<(StatusCode, Json<TenantView>)> {
    if let Ok(tenant) = TenantId::parse(&raw.tenant_id)
        && state.engine.state.get_tenant(&tenant).await?.is_some()
    {
        return Err(ApiError::conflict(format!(
            "tenant {tenant} exists; replace its config with PUT /api/tenants/{tenant}"
        )));
    }
    let config = lading_runtime::tenants::save(&state.engine, raw).await?;
    tracing::info!(user = %session.user.username, tenant = %config.tenant_id, "tenant added");
    crate::audit::by(
        &state,
        &session,
        lading_runtime::audit::Action::TenantSaved,
        format!("tenant/{}", config.tenant_id),
        Some(&config.tenant_id),
        serde_json::json!({"config": config.raw}),
    )
    .await;
    Ok((StatusCode::CREATED, Json(query::tenant(&state, &config.tenant_id).await?)))
}

/// Replaces a tenant's sync config.
#[utoipa::path(
    put, path = "/api/tenants/{tenant}", tag = "tenants", request_body = TenantConfigBody,
    params(("tenant" = String, Path, pattern = r"^[a-z0-9_-]{1,64}$", description = "The tenant id; the body's tenant_id must match")),
    responses(
        (status = 200, body = TenantView, description = "Replaced"),
        (status = 400, body = ErrorBody, description = "Malformed tenant id, or the body names another tenant"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an admin"),
        (status = 404, body = ErrorBody, description = "No such tenant; add it with POST"),
        (status = 415, body = ErrorBody, description = "Not application/json"),
        (status = 422, body = ErrorBody, description = "Invalid config: every problem, each naming its field"),
    )
)]
async fn replace_tenant(
    Admin(session): Admin,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Json(raw): Json<RawTenantConfig>,
) -> ApiResult<Json<TenantView>> {
    let tenant = tenant_path(&tenant)?;
    if raw.tenant_id != tenant.as_str() {
        return Err(ApiError::bad_request(format!(
            "tenant_id {:?} of the body is not the tenant {tenant} of the path",
            raw.tenant_id
        )));
    }
    if state.engine.state.get_tenant(&tenant).await?.is_none() {
        return Err(ApiError::not_found(format!(
            "tenant {tenant} has no sync config to replace; add it with POST /api/tenants"
        )));
    }
    lading_runtime::tenants::save(&state.engine, raw).await?;
    tracing::info!(user = %session.user.username, tenant = %tenant, "tenant replaced");
    crate::audit::by(
        &state,
        &session,
        lading_runtime::audit::Action::TenantSaved,
        format!("tenant/{tenant}"),
        Some(&tenant),
        serde_json::json!({"replaced": true}),
    )
    .await;
    Ok(Json(query::tenant(&state, &tenant).await?))
}

/// Enables or disables a tenant: its product sync and its importer-of-record flow, whichever
/// it has.
#[utoipa::path(
    patch, path = "/api/tenants/{tenant}", tag = "tenants", request_body = EnabledPatch,
    params(("tenant" = String, Path, pattern = r"^[a-z0-9_-]{1,64}$", description = "The tenant id")),
    responses(
        (status = 200, body = TenantView),
        (status = 400, body = ErrorBody, description = "Malformed tenant id"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an admin"),
        (status = 404, body = ErrorBody, description = "No such tenant"),
        (status = 415, body = ErrorBody, description = "Not application/json"),
        (status = 422, body = ErrorBody, description = "The body is not {\"enabled\": bool}"),
    )
)]
async fn set_enabled(
    Admin(session): Admin,
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Json(patch): Json<EnabledPatch>,
) -> ApiResult<Json<TenantView>> {
    let tenant = tenant_path(&tenant)?;
    let view = query::tenant(&state, &tenant).await?;
    if view.sync.is_some() {
        state.engine.state.set_tenant_enabled(&tenant, patch.enabled).await?;
    }
    if let Some(mut ior) = view.ior {
        ior.enabled = patch.enabled;
        lading_runtime::ior::put_config(&state.engine, ior).await?;
    }
    tracing::info!(user = %session.user.username, tenant = %tenant, enabled = patch.enabled, "tenant enabled changed");
    let action = if patch.enabled {
        lading_runtime::audit::Action::TenantEnabled
    } else {
        lading_runtime::audit::Action::TenantDisabled
    };
    crate::audit::by(&state, &session, action, format!("tenant/{tenant}"), Some(&tenant), serde_json::json!({})).await;
    Ok(Json(query::tenant(&state, &tenant).await?))
}
