//! The records a run could not deliver: quarantined (invalid) records and dead letters
//! (rejected after their retries), listed for any user and replayed by operators.

use crate::app::AppState;
use crate::auth::session::{Operator, Session};
use crate::error::{ApiResult, ErrorBody};
use crate::query::{self, DeadLettersQuery, QuarantineQuery};
use axum::Json;
use axum::extract::{Path, Query, State};
use lading_runtime::replay::{self, ReplayOutcome};
use lading_store::{DeadLetter, QuarantineEntry};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_quarantine))
        .routes(routes!(replay_quarantined))
        .routes(routes!(list_dead_letters))
        .routes(routes!(replay_dead_letter))
}

#[derive(Serialize, ToSchema)]
pub struct QuarantineList {
    /// Newest first, each with the reasons it was quarantined.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<QuarantineEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct DeadLetterList {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub dead_letters: Vec<DeadLetter>,
}

/// Which quarantined record to replay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuarantineReplay {
    #[schema(pattern = r"^[A-Za-z0-9._:-]{1,100}$")]
    pub run_id: String,
    pub record_key: String,
}

/// What a replay did, as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct ReplayResult {
    /// The dead letter's id; absent for a quarantined record.
    pub id: Option<i64>,
    pub tenant_id: String,
    pub run_id: String,
    pub record_key: String,
    /// The target took the record this time.
    pub delivered: bool,
    pub message: String,
}

impl From<ReplayOutcome> for ReplayResult {
    fn from(outcome: ReplayOutcome) -> ReplayResult {
        ReplayResult {
            id: outcome.id,
            tenant_id: outcome.tenant_id,
            run_id: outcome.run_id,
            record_key: outcome.record_key,
            delivered: outcome.delivered,
            message: outcome.message,
        }
    }
}

/// Quarantined records with their reasons.
#[utoipa::path(
    get, path = "/api/quarantine", tag = "records", params(QuarantineQuery),
    responses(
        (status = 200, body = QuarantineList),
        (status = 400, body = ErrorBody, description = "A filter does not read"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown tenant"),
    )
)]
async fn list_quarantine(
    _: Session,
    State(state): State<AppState>,
    Query(filter): Query<QuarantineQuery>,
) -> ApiResult<Json<QuarantineList>> {
    Ok(Json(QuarantineList { entries: query::quarantine(&state, &filter).await? }))
}

/// Dead letters: records the target rejected after every retry.
#[utoipa::path(
    get, path = "/api/dead-letters", tag = "records", params(DeadLettersQuery),
    responses(
        (status = 200, body = DeadLetterList),
        (status = 400, body = ErrorBody, description = "A filter does not read"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown tenant"),
    )
)]
async fn list_dead_letters(
    _: Session,
    State(state): State<AppState>,
    Query(filter): Query<DeadLettersQuery>,
) -> ApiResult<Json<DeadLetterList>> {
    Ok(Json(DeadLetterList { dead_letters: query::dead_letters(&state, &filter).await? }))
}

/// Sends a dead letter again through the adapter that failed it. Delivered, it is marked
/// replayed; failed again, it stays as it was and the answer says why.
#[utoipa::path(
    post, path = "/api/dead-letters/{id}/replay", tag = "records",
    params(("id" = i64, Path, description = "The dead letter's id")),
    responses(
        (status = 200, body = ReplayResult, description = "Replayed; `delivered` says whether the target took it"),
        (status = 400, body = ErrorBody, description = "Malformed id"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such dead letter"),
        (status = 409, body = ErrorBody, description = "Already replayed, or its tenant is not ready"),
        (status = 502, body = ErrorBody, description = "The tenant's system failed"),
    )
)]
async fn replay_dead_letter(
    Operator(session): Operator,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<ReplayResult>> {
    let outcome = replay::replay_dead_letter(&state.engine, id).await?;
    tracing::info!(user = %session.user.username, id, delivered = outcome.delivered, "dead letter replayed");
    let tenant = lading_core::TenantId::parse(&outcome.tenant_id).ok();
    crate::audit::by(
        &state,
        &session,
        lading_runtime::audit::Action::ReplayDeadLetter,
        format!("dead-letter/{id}"),
        tenant.as_ref(),
        serde_json::json!({"delivered": outcome.delivered, "message": outcome.message}),
    )
    .await;
    Ok(Json(outcome.into()))
}

/// Maps a quarantined record again with the tenant's current mapping and, if it passes now,
/// loads it; delivered, it leaves the quarantine.
#[utoipa::path(
    post, path = "/api/quarantine/replay", tag = "records", request_body = QuarantineReplay,
    responses(
        (status = 200, body = ReplayResult, description = "Replayed; `delivered` says whether the target took it"),
        (status = 400, body = ErrorBody, description = "Malformed run id"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such quarantined record"),
        (status = 409, body = ErrorBody, description = "Its tenant is not ready, or the record cannot be replayed alone"),
        (status = 415, body = ErrorBody, description = "Not application/json"),
        (status = 422, body = ErrorBody, description = "The body is not {run_id, record_key}"),
        (status = 502, body = ErrorBody, description = "The tenant's system failed"),
    )
)]
async fn replay_quarantined(
    Operator(session): Operator,
    State(state): State<AppState>,
    Json(request): Json<QuarantineReplay>,
) -> ApiResult<Json<ReplayResult>> {
    let run_id = query::run_id(&request.run_id)?;
    let outcome = replay::replay_quarantined(&state.engine, run_id, &request.record_key).await?;
    tracing::info!(user = %session.user.username, run_id, record = %request.record_key, delivered = outcome.delivered, "quarantined record replayed");
    let tenant = lading_core::TenantId::parse(&outcome.tenant_id).ok();
    crate::audit::by(
        &state,
        &session,
        lading_runtime::audit::Action::ReplayQuarantined,
        format!("run/{run_id}/record/{}", request.record_key),
        tenant.as_ref(),
        serde_json::json!({"delivered": outcome.delivered, "message": outcome.message}),
    )
    .await;
    Ok(Json(outcome.into()))
}
