//! The tenants of both flows: what they read, where they write, when they run, whether they
//! are on, and how their last run went. Admins switch them on and off here.

use super::data::{self, Flow};
use super::display::{elapsed, query_string, segment, when};
use super::{Flash, Nav, error_page, redirect_with_flash, render};
use crate::app::AppState;
use crate::auth::{Admin, Session};
use crate::error::ApiError;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lading_core::TenantId;
use serde::Deserialize;

struct TenantRow {
    tenant: String,
    flow: &'static str,
    runs_link: String,
    product_type: String,
    source: String,
    target: String,
    schedule: String,
    enabled: bool,
    problem: Option<String>,
    last_run_link: Option<String>,
    last_run_at: String,
    last_status: String,
    last_duration: String,
    /// The form's action to flip `enabled`.
    toggle_action: String,
}

#[derive(Template)]
#[template(path = "tenants.html")]
struct TenantsPage {
    nav: Option<Nav>,
    flash: Flash,
    tenants: Vec<TenantRow>,
}

pub async fn page(State(state): State<AppState>, session: Session, Query(flash): Query<Flash>) -> Response {
    let nav = Nav::new(&session, "tenants");
    let tenants = match data::tenants(&state).await {
        Ok(tenants) => tenants,
        Err(err) => return error_page(nav, &err),
    };
    let tenants = tenants
        .into_iter()
        .map(|t| {
            let last = t.last_run.as_ref();
            TenantRow {
                runs_link: format!(
                    "/runs{}",
                    query_string(&[
                        ("tenant", &t.tenant),
                        ("pipeline", if t.flow == Flow::Ior { "ior-daily" } else { "product-sync" })
                    ])
                ),
                toggle_action: format!(
                    "/tenants/{}/{}",
                    segment(&t.tenant),
                    if t.enabled { "disable" } else { "enable" }
                ),
                flow: t.flow.as_str(),
                product_type: t.product_type,
                source: t.source,
                target: t.target,
                schedule: t.schedule,
                enabled: t.enabled,
                problem: t.problem,
                last_run_link: last.map(|r| format!("/runs/{}", segment(&r.run_id))),
                last_run_at: last.map(|r| when(&r.started_at)).unwrap_or_else(|| "never".into()),
                last_status: last.map(|r| r.status.as_str().to_string()).unwrap_or_default(),
                last_duration: last.map(|r| elapsed(&r.started_at, r.finished_at.as_deref())).unwrap_or_default(),
                tenant: t.tenant,
            }
        })
        .collect();
    render(&TenantsPage { nav: Some(nav), flash, tenants })
}

#[derive(Deserialize)]
pub struct ToggleForm {
    flow: Option<String>,
}

pub async fn enable(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(tenant): Path<String>,
    form: Result<Form<ToggleForm>, FormRejection>,
) -> Response {
    toggle(&state, session, &tenant, form, true).await
}

pub async fn disable(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(tenant): Path<String>,
    form: Result<Form<ToggleForm>, FormRejection>,
) -> Response {
    toggle(&state, session, &tenant, form, false).await
}

async fn toggle(
    state: &AppState,
    session: Session,
    raw_tenant: &str,
    form: Result<Form<ToggleForm>, FormRejection>,
    enabled: bool,
) -> Response {
    let nav = Nav::new(&session, "tenants");
    let flow = match form {
        Ok(Form(form)) => form.flow.unwrap_or_else(|| Flow::ProductSync.as_str().into()),
        Err(rejection) => return error_page(nav, &ApiError::bad_request(rejection.body_text())),
    };
    let Some(flow) = Flow::parse(&flow) else {
        return error_page(nav, &ApiError::bad_request(format!("flow {flow:?} must be product-sync or ior")));
    };
    let tenant = match TenantId::parse(raw_tenant) {
        Ok(tenant) => tenant,
        Err(e) => return error_page(nav, &ApiError::bad_request(e)),
    };
    match data::set_enabled(state, &tenant, flow, enabled).await {
        Ok(()) => {
            let verb = if enabled { "enabled" } else { "disabled" };
            tracing::info!(tenant = %tenant, flow = flow.as_str(), by = %session.user.username, "tenant {verb}");
            let action = if enabled {
                lading_runtime::audit::Action::TenantEnabled
            } else {
                lading_runtime::audit::Action::TenantDisabled
            };
            let details = serde_json::json!({"flow": flow.as_str()});
            crate::audit::by(state, &session, action, format!("tenant/{tenant}"), Some(&tenant), details).await;
            redirect_with_flash("/tenants", Ok(format!("{} of tenant {tenant} {verb}", flow.as_str())))
        }
        Err(err) if err.status.is_server_error() => error_page(nav, &err),
        Err(err) => redirect_with_flash("/tenants", Err(err.message)),
    }
}
