//! The dashboards: server-rendered HTML (askama), charts as inline SVG, no JavaScript.
//!
//! Every page takes a [`Session`] (or [`Admin`]) extractor: without a session the browser is
//! sent to `/login`; an operator on an admin page gets a 403 page.

pub mod login;

use crate::app::AppState;
use crate::auth::Session;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", axum::routing::post(login::logout))
        .route("/", get(login::overview_placeholder))
        .route("/static/lading.css", get(stylesheet))
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/lading.css"),
    )
        .into_response()
}
