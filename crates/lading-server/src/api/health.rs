//! `/healthz`: the process answers. `/readyz`: the store answers too.

use crate::app::AppState;
use crate::error::ErrorBody;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

/// Liveness: the server is up.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()), responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: the state store answers a query.
#[utoipa::path(
    get, path = "/readyz", tag = "health", security(()),
    responses((status = 200, body = Health), (status = 503, body = ErrorBody))
)]
async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, (StatusCode, Json<ErrorBody>)> {
    match state.engine.state.list_tenants().await {
        Ok(_) => Ok(Json(Health { status: "ready" })),
        Err(err) => {
            tracing::error!(error = %err, "readiness check failed");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                Json(ErrorBody { code: "store_unavailable".into(), message: "the state store does not answer".into() }),
            ))
        }
    }
}
