//! The dashboards: server-rendered HTML (askama), charts as inline SVG, no JavaScript.
//!
//! Every page takes a [`Session`] (or [`Admin`]) extractor: without a session the browser is
//! sent to `/login`; an operator on an admin page gets a 403 page.

pub mod charts;
pub mod comparisons;
pub mod customs;
pub mod data;
pub mod display;
pub mod login;
pub mod overview;
pub mod runs;
pub mod tenants;
pub mod users;

use crate::app::AppState;
use crate::auth::Session;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

/// What the layout's header needs: who is signed in and which tab is active.
pub struct Nav {
    pub username: String,
    pub role: &'static str,
    pub is_admin: bool,
    pub csrf: String,
    pub active: &'static str,
}

impl Nav {
    pub fn new(session: &Session, active: &'static str) -> Nav {
        Nav {
            username: session.user.username.clone(),
            role: session.role().as_str(),
            is_admin: session.is_admin(),
            csrf: session.csrf().to_string(),
            active,
        }
    }
}

/// Renders a template, or a plain 500 page (the error logged) if rendering fails.
pub fn render<T: askama::Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "page rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<h1>500</h1><p>The page could not be rendered; the error is in the server log.</p>"),
            )
                .into_response()
        }
    }
}

/// Renders a template with a status other than 200.
pub fn render_with_status<T: askama::Template>(status: StatusCode, template: &T) -> Response {
    let mut response = render(template);
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    response
}

/// A message carried across the redirect after a form (`?flash=` or `?flash_error=`), shown
/// once at the top of the page it lands on.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Flash {
    pub flash: Option<String>,
    pub flash_error: Option<String>,
}

impl Flash {
    /// The longest message shown: the query string is the user's to edit, so keep it short.
    const MAX_CHARS: usize = 400;

    pub fn ok(&self) -> Option<String> {
        self.flash.as_deref().filter(|m| !m.is_empty()).map(|m| m.chars().take(Self::MAX_CHARS).collect())
    }

    pub fn error(&self) -> Option<String> {
        self.flash_error.as_deref().filter(|m| !m.is_empty()).map(|m| m.chars().take(Self::MAX_CHARS).collect())
    }
}

/// After a form: back to `path` (which has no query) with the outcome to show.
pub fn redirect_with_flash(path: &str, outcome: Result<String, String>) -> Response {
    let (name, message) = match &outcome {
        Ok(message) => ("flash", message.as_str()),
        Err(message) => ("flash_error", message.as_str()),
    };
    let message: String = message.chars().take(Flash::MAX_CHARS).collect();
    Redirect::to(&format!("{path}{}", display::query_string(&[(name, &message)]))).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Option<Nav>,
    status: String,
    message: String,
}

/// A page that could not be shown: the error's status and message inside the layout. Server
/// failures carry only the generic message of [`ApiError::internal`].
pub fn error_page(nav: Nav, error: &ApiError) -> Response {
    let status = error.status;
    let page = ErrorPage {
        nav: Some(nav),
        status: format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("Error")),
        message: error.message.clone(),
    };
    render_with_status(status, &page)
}

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/", get(overview::page))
        .route("/tenants", get(tenants::page))
        .route("/tenants/{tenant}/enable", post(tenants::enable))
        .route("/tenants/{tenant}/disable", post(tenants::disable))
        .route("/runs", get(runs::list))
        .route("/runs/{run_id}", get(runs::detail))
        .route("/runs/{run_id}/dead-letters/{id}/replay", post(runs::replay_dead_letter))
        .route("/runs/{run_id}/quarantine/replay", post(runs::replay_quarantined))
        .route("/customs-lines", get(customs::page))
        .route("/comparisons", get(comparisons::list))
        .route("/comparisons/{tenant}/{run_id}", get(comparisons::detail))
        .route("/users", get(users::page).post(users::add))
        .route("/users/{username}/role", post(users::change_role))
        .route("/users/{username}/enable", post(users::enable))
        .route("/users/{username}/disable", post(users::disable))
        .route("/static/lading.css", get(stylesheet))
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/lading.css"),
    )
        .into_response()
}
