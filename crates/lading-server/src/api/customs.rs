//! Generated customs lines, filtered by tenant, entry, date and HTS number: a page of JSON, or
//! every match as the CSV of docs/ior.md.

use crate::app::AppState;
use crate::auth::session::Session;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query::{self, CustomsQuery, DEFAULT_PAGE};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lading_customs::lines_csv::write_lines_csv;
use lading_customs::model::CustomsLine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(customs_lines))
}

/// The answer's form.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `csv` for every matching line as CSV (as does `Accept: text/csv`); JSON pages otherwise.
    #[param(inline)]
    pub format: Option<Format>,
}

/// One page of customs lines.
#[derive(Serialize, ToSchema)]
pub struct CustomsLinesPage {
    /// The tenant the lines are of; absent when no tenant has lines yet.
    pub tenant: Option<String>,
    /// How many lines match in all.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// Each with its Chapter 99 stack (`tariffs`).
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<CustomsLine>,
}

fn wants_csv(format: Option<Format>, headers: &HeaderMap) -> bool {
    match format {
        Some(format) => format == Format::Csv,
        None => headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().starts_with("text/csv"))),
    }
}

/// Customs lines; `format=csv` (or `Accept: text/csv`) downloads every match as CSV.
#[utoipa::path(
    get, path = "/api/customs-lines", tag = "customs", params(CustomsQuery, FormatQuery),
    responses(
        (status = 200, description = "A page of lines, or every match as CSV", content(
            (CustomsLinesPage = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, body = ErrorBody, description = "A filter does not read, or several tenants have lines and none was chosen"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown tenant"),
    )
)]
async fn customs_lines(
    _: Session,
    State(state): State<AppState>,
    Query(filter): Query<CustomsQuery>,
    Query(format): Query<FormatQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if wants_csv(format.format, &headers) {
        let all = query::customs_lines(&state, &filter, false).await?;
        let filename = match &all.tenant {
            Some(tenant) => format!("customs-lines-{tenant}.csv"),
            None => "customs-lines.csv".to_string(),
        };
        let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
            .map_err(|e| ApiError::internal(format!("content disposition of {filename}: {e}")))?;
        let csv = write_lines_csv(&all.lines);
        return Ok((
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            csv,
        )
            .into_response());
    }
    let page = query::customs_lines(&state, &filter, true).await?;
    let limit = query::page_size(filter.limit, DEFAULT_PAGE)?;
    Ok(Json(CustomsLinesPage {
        tenant: page.tenant.map(|t| t.to_string()),
        total: page.total,
        offset: page.offset,
        limit,
        lines: page.lines,
    })
    .into_response())
}
