//! Reconciliation: an ad-hoc comparison of the generated customs lines with the ERP's own for
//! one entry or a date range, and the reports of past comparisons (daily runs and ad-hoc).

use crate::app::AppState;
use crate::auth::session::{Operator, Session};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{self, LineFilter, ReportSummary};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use lading_customs::compare::{Tolerances, compare};
use lading_customs::model::CustomsLine;
use lading_runtime::ior::{self, IorError};
use lading_runtime::ior_daily;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(compare_lines)).routes(routes!(list_reports)).routes(routes!(get_report))
}

/// What to compare: one entry, or the entries dated in a range (either bound may be open).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tenant": "ergo", "from": "2026-06-01", "to": "2026-06-30"}))]
pub struct CompareRequest {
    #[schema(pattern = r"^[a-z0-9_-]{1,64}$")]
    pub tenant: String,
    /// An entry number; not with `from`/`to`.
    #[serde(default)]
    pub entry: Option<String>,
    /// Entries dated on or after.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Entries dated on or before.
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

/// A comparison: its summary as listed, and the full report (the JSON of docs/customs.md).
#[derive(Serialize, ToSchema)]
pub struct ComparisonResult {
    pub summary: ReportSummary,
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct ReportList {
    /// Newest first.
    pub reports: Vec<ReportSummary>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportsQuery {
    /// One tenant's reports; every tenant's when absent.
    #[param(pattern = r"^[a-z0-9_-]{0,64}$")]
    pub tenant: Option<String>,
}

fn scope(request: &CompareRequest) -> ApiResult<LineFilter> {
    let entry = request.entry.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(String::from);
    let ranged = request.from.is_some() || request.to.is_some();
    match (&entry, ranged) {
        (Some(_), true) => Err(ApiError::bad_request("give either entry or a date range (from, to), not both")),
        (None, false) => Err(ApiError::bad_request("give an entry or a date range (from, to) to compare")),
        _ => {
            if let (Some(from), Some(to)) = (request.from, request.to)
                && from > to
            {
                return Err(ApiError::bad_request(format!("from {from} is after to {to}")));
            }
            Ok(LineFilter { entry, from: request.from, to: request.to, hts: None })
        }
    }
}

/// The tenant's tolerances; the defaults when it has no importer-of-record config.
async fn tolerances(state: &AppState, tenant: &lading_core::TenantId) -> ApiResult<Tolerances> {
    match ior::load_config(&state.engine, tenant).await {
        Ok(config) => ior_daily::tolerances(&config)
            .map_err(|f| ApiError::new(StatusCode::CONFLICT, "tenant_not_ready", f.message)),
        Err(IorError::NoConfig { .. }) => Ok(Tolerances::default()),
        Err(other) => Err(other.into()),
    }
}

/// Compares the generated customs lines of one entry or date range with the lines the ERP
/// reported, under the tenant's tolerances. The report is kept with the daily ones.
#[utoipa::path(
    post, path = "/api/compare", tag = "comparisons", request_body = CompareRequest,
    responses(
        (status = 200, body = ComparisonResult, description = "The comparison, kept as comparison adhoc-…"),
        (status = 400, body = ErrorBody, description = "Malformed tenant id; neither or both of entry and a range; from after to"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown tenant, or no line on either side matches"),
        (status = 409, body = ErrorBody, description = "The tenant's tolerances are invalid"),
        (status = 415, body = ErrorBody, description = "Not application/json"),
        (status = 422, body = ErrorBody, description = "The body does not read: the field and why"),
    )
)]
async fn compare_lines(
    Operator(session): Operator,
    State(state): State<AppState>,
    Json(request): Json<CompareRequest>,
) -> ApiResult<Json<ComparisonResult>> {
    let tenant = query::known_tenant(&state, &request.tenant).await?;
    let filter = scope(&request)?;
    let tolerances = tolerances(&state, &tenant).await?;
    let generated: Vec<CustomsLine> = state
        .cache
        .customs_lines(&state.engine, &tenant)
        .await?
        .lines
        .iter()
        .filter(|line| filter.matches(line))
        .cloned()
        .collect();
    let reported: Vec<CustomsLine> =
        ior::etl::read_table(&state.engine, &tenant, lading_customs::etl::REPORTED_LINES).await?;
    let reported: Vec<CustomsLine> = reported.into_iter().filter(|line| filter.matches(line)).collect();
    if generated.is_empty() && reported.is_empty() {
        let what = match &filter.entry {
            Some(entry) => format!("entry {entry}"),
            None => format!(
                "dates {} to {}",
                filter.from.map(|d| d.to_string()).unwrap_or_else(|| "…".into()),
                filter.to.map(|d| d.to_string()).unwrap_or_else(|| "…".into())
            ),
        };
        return Err(ApiError::not_found(format!(
            "tenant {tenant} has no customs line, generated or reported, for {what}"
        )));
    }
    let report = tokio::task::spawn_blocking(move || compare(&generated, &reported, &tolerances))
        .await
        .map_err(ApiError::internal)?;
    let id = format!("adhoc-{}", uuid::Uuid::now_v7());
    let (_, row) = ior_daily::store_comparison(&state.engine, &tenant, &id, &report).await?;
    tracing::info!(user = %session.user.username, tenant = %tenant, comparison = %id, failed = report.failed(), "ad-hoc comparison");
    Ok(Json(ComparisonResult { summary: ReportSummary::from_row(&tenant, &id, &row), report: report.to_json() }))
}

/// Past comparisons, newest first.
#[utoipa::path(
    get, path = "/api/comparisons", tag = "comparisons", params(ReportsQuery),
    responses(
        (status = 200, body = ReportList),
        (status = 400, body = ErrorBody, description = "Malformed tenant id"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown tenant"),
    )
)]
async fn list_reports(
    _: Session,
    State(state): State<AppState>,
    Query(filter): Query<ReportsQuery>,
) -> ApiResult<Json<ReportList>> {
    let tenant = match filter.tenant.as_deref().filter(|t| !t.is_empty()) {
        Some(raw) => Some(query::known_tenant(&state, raw).await?),
        None => None,
    };
    Ok(Json(ReportList { reports: query::reports(&state, tenant.as_ref()).await? }))
}

/// One comparison's full report.
#[utoipa::path(
    get, path = "/api/comparisons/{tenant}/{run_id}", tag = "comparisons",
    params(
        ("tenant" = String, Path, pattern = r"^[a-z0-9_-]{1,64}$", description = "The tenant id"),
        ("run_id" = String, Path, pattern = r"^[A-Za-z0-9._:-]{1,100}$", description = "The run (or adhoc-…) that made it"),
    ),
    responses(
        (status = 200, body = ComparisonResult),
        (status = 400, body = ErrorBody, description = "Malformed tenant or run id"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown tenant or comparison"),
    )
)]
async fn get_report(
    _: Session,
    State(state): State<AppState>,
    Path((tenant, run_id)): Path<(String, String)>,
) -> ApiResult<Json<ComparisonResult>> {
    let tenant = query::known_tenant(&state, &tenant).await?;
    let (summary, report) = query::report(&state, &tenant, query::run_id(&run_id)?).await?;
    Ok(Json(ComparisonResult { summary, report }))
}
