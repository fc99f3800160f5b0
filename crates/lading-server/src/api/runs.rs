//! Runs: listed with filters, read with their steps and records, and started by operators. A
//! started run answers at once and goes on in the background.

use crate::app::AppState;
use crate::auth::session::{Operator, Session};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{self, RunDetail, RunsQuery};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use lading_runtime::ior_daily::IorParams;
use lading_runtime::pipelines::Pipeline;
use lading_runtime::runner::{self, RunOptions};
use lading_store::RunRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_runs, trigger_run)).routes(routes!(get_run))
}

#[derive(Serialize, ToSchema)]
pub struct RunList {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub runs: Vec<RunRecord>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PipelineName {
    ProductSync,
    IorDaily,
}

impl From<PipelineName> for Pipeline {
    fn from(name: PipelineName) -> Pipeline {
        match name {
            PipelineName::ProductSync => Pipeline::ProductSync,
            PipelineName::IorDaily => Pipeline::IorDaily,
        }
    }
}

/// What to run. `full` is for product-sync; `run_date`, `from`, `to` and `all_sources` for
/// ior-daily.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tenant": "acme", "pipeline": "product-sync", "full": false}))]
pub struct TriggerRun {
    #[schema(pattern = r"^[a-z0-9_-]{1,64}$")]
    pub tenant: String,
    pub pipeline: PipelineName,
    /// Send every valid record, ignoring the incremental hashes (product-sync).
    #[serde(default)]
    pub full: bool,
    /// The run's day; today when absent (ior-daily).
    #[serde(default)]
    pub run_date: Option<NaiveDate>,
    /// First billing and movement date to read, with `to`; the day before the run date when
    /// absent (ior-daily).
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last date to read, with `from` (ior-daily).
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Read every SAP source, master data included (ior-daily).
    #[serde(default)]
    pub all_sources: bool,
}

/// The run's options from the request, refusing what does not apply to its pipeline.
fn run_options(request: &TriggerRun, username: &str) -> ApiResult<RunOptions> {
    let trigger = format!("api:{username}");
    match request.pipeline {
        PipelineName::ProductSync => {
            if request.run_date.is_some() || request.from.is_some() || request.to.is_some() || request.all_sources {
                return Err(ApiError::bad_request(
                    "run_date, from, to and all_sources apply to ior-daily only; product-sync takes full",
                ));
            }
            Ok(RunOptions { full: request.full, trigger, params: None })
        }
        PipelineName::IorDaily => {
            if request.full {
                return Err(ApiError::bad_request("full applies to product-sync only"));
            }
            let window = match (request.from, request.to) {
                (Some(from), Some(to)) if from > to => {
                    return Err(ApiError::bad_request(format!("from {from} is after to {to}")));
                }
                (Some(from), Some(to)) => Some((from, to)),
                (None, None) => None,
                _ => return Err(ApiError::bad_request("from and to go together: give both or neither")),
            };
            let params = IorParams { run_date: request.run_date, window, all_sources: request.all_sources };
            let params = serde_json::to_value(&params).map_err(ApiError::internal)?;
            Ok(RunOptions { full: false, trigger, params: Some(params) })
        }
    }
}

/// Runs, newest first, filtered.
#[utoipa::path(
    get, path = "/api/runs", tag = "runs", params(RunsQuery),
    responses(
        (status = 200, body = RunList),
        (status = 400, body = ErrorBody, description = "A filter does not read: its name and the expected form"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown tenant"),
    )
)]
async fn list_runs(
    _: Session,
    State(state): State<AppState>,
    Query(filter): Query<RunsQuery>,
) -> ApiResult<Json<RunList>> {
    let (runs, next_before) = query::runs(&state, &filter).await?;
    Ok(Json(RunList { runs, next_before }))
}

/// A run with its steps, counters, quarantined records and dead letters.
#[utoipa::path(
    get, path = "/api/runs/{run_id}", tag = "runs",
    params(("run_id" = String, Path, pattern = r"^[A-Za-z0-9._:-]{1,100}$", description = "The run's id")),
    responses(
        (status = 200, body = RunDetail),
        (status = 400, body = ErrorBody, description = "Malformed run id"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such run"),
    )
)]
async fn get_run(_: Session, State(state): State<AppState>, Path(run_id): Path<String>) -> ApiResult<Json<RunDetail>> {
    Ok(Json(query::run_detail(&state, query::run_id(&run_id)?).await?))
}

/// Starts a run. The answer comes at once with the run as created; the run goes on in the
/// background (follow it with GET /api/runs/{run_id}).
#[utoipa::path(
    post, path = "/api/runs", tag = "runs", request_body = TriggerRun,
    responses(
        (status = 202, body = Object, description = "Started: the run record, status running"),
        (status = 400, body = ErrorBody, description = "Malformed tenant id, or an option that does not apply to the pipeline"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown tenant"),
        (status = 409, body = ErrorBody, description = "The tenant is disabled or not ready for this pipeline (config, secret, mapping)"),
        (status = 415, body = ErrorBody, description = "Not application/json"),
        (status = 422, body = ErrorBody, description = "The body does not read: the field and why"),
    )
)]
async fn trigger_run(
    Operator(session): Operator,
    State(state): State<AppState>,
    Json(request): Json<TriggerRun>,
) -> ApiResult<(StatusCode, Json<RunRecord>)> {
    let tenant = query::known_tenant(&state, &request.tenant).await?;
    let options = run_options(&request, &session.user.username)?;
    let run = runner::start_pipeline_run(&state.engine, request.pipeline.into(), &tenant, &options).await?;
    tracing::info!(user = %session.user.username, tenant = %tenant, run_id = %run.run_id, pipeline = %run.pipeline, "run triggered");
    let engine = state.engine.clone();
    let run_id = run.run_id.clone();
    crate::background::spawn(move || async move {
        match runner::run_to_end(&engine, &run_id, |_| {}).await {
            Ok(run) => tracing::info!(run_id = %run.run_id, status = run.status.as_str(), "triggered run finished"),
            Err(err) => tracing::error!(run_id = %run_id, error = %err, "triggered run stopped"),
        }
    });
    Ok((StatusCode::ACCEPTED, Json(run)))
}
