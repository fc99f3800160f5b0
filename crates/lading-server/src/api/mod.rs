//! The REST API under `/api`, and its OpenAPI document, generated from the handlers.

pub mod auth;
pub mod comparisons;
pub mod customs;
pub mod health;
pub mod records;
pub mod runs;
pub mod tenants;
pub mod uploads;
pub mod users;

use crate::app::AppState;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "Lading", description = "ERP integration engine: tenants, runs, quarantine, dead letters, customs lines and their reconciliation."),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("cookie" = [])),
    tags(
        (name = "auth", description = "Sign in and out"),
        (name = "health", description = "Liveness and readiness"),
        (name = "tenants", description = "Tenants and their configs"),
        (name = "runs", description = "Pipeline runs: list, detail, trigger"),
        (name = "records", description = "Quarantined records and dead letters, and their replay"),
        (name = "customs", description = "Generated customs lines"),
        (name = "comparisons", description = "Comparisons of generated and reported customs lines"),
        (name = "uploads", description = "The manual fallback: importer CSV files"),
        (name = "users", description = "Users and roles (admin)"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::session::SESSION_COOKIE))),
        );
    }
}

/// Every API route with its documentation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(health::router())
        .merge(tenants::router())
        .merge(runs::router())
        .merge(records::router())
        .merge(customs::router())
        .merge(comparisons::router())
        .merge(uploads::router())
        .merge(users::router())
}
