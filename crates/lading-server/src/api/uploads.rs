//! The manual fallback over HTTP: an importer's CSV file loaded into one master table, as
//! `lading upload` does. A malformed file is refused with the row and column of its first
//! problem; invalid records are quarantined and listed in the answer.

use crate::app::AppState;
use crate::auth::session::Admin;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::query;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use lading_runtime::ior::UploadReport;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload_table))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The tenant whose table it is.
    #[param(pattern = r"^[a-z0-9_-]{1,64}$")]
    pub tenant: String,
}

/// The content types a CSV file may come as.
fn is_csv_content(headers: &HeaderMap) -> bool {
    match headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(value) => {
            let mime = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            matches!(mime.as_str(), "text/csv" | "text/plain" | "application/csv" | "application/octet-stream")
        }
    }
}

/// Loads a master table from the importer's CSV file (`product_master` ← Product_List.csv,
/// `hts_reference` ← HTS_Code.csv, `tariff_sequencing` ← HTS Tariff.csv,
/// `packaging_materials` ← Packaging_Material.csv). Recorded as a run of pipeline `ior-upload`.
#[utoipa::path(
    post, path = "/api/uploads/{table}", tag = "uploads",
    params(
        ("table" = String, Path, description = "product_master, hts_reference, tariff_sequencing or packaging_materials", example = "packaging_materials"),
        UploadQuery,
    ),
    request_body(content = String, content_type = "text/csv", description = "The CSV file, header first"),
    responses(
        (status = 200, body = Object, description = "Loaded: records read, rows written, records quarantined with row and reasons"),
        (status = 400, body = ErrorBody, description = "Malformed tenant id, or no tenant given"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not an admin"),
        (status = 404, body = ErrorBody, description = "Unknown tenant or table"),
        (status = 413, body = ErrorBody, description = "The file is larger than the server accepts"),
        (status = 415, body = ErrorBody, description = "Not text/csv"),
        (status = 422, body = ErrorBody, description = "Malformed CSV (code invalid_csv): the row and column of the first problem"),
    )
)]
async fn upload_table(
    Admin(session): Admin,
    State(state): State<AppState>,
    Path(table): Path<String>,
    Query(upload): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<UploadReport>> {
    let tenant = query::known_tenant(&state, &upload.tenant).await?;
    if !is_csv_content(&headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file as Content-Type: text/csv",
        ));
    }
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_csv",
            "the body is empty: send the CSV file, header first",
        ));
    }
    let report = lading_runtime::ior::upload(&state.engine, &tenant, &table, &body).await?;
    tracing::info!(user = %session.user.username, tenant = %tenant, table = %table, rows = report.rows_written, "table uploaded");
    crate::audit::by(&state, &session, lading_runtime::audit::Action::Upload, format!("table/{table}"), Some(&tenant), serde_json::json!({"run_id": report.run_id, "records": report.records, "rows_written": report.rows_written, "quarantined": report.quarantined.len(), "bytes": body.len()})).await;
    Ok(Json(report))
}
