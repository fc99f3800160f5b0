//! The sign-in page and sign-out.

use super::{Nav, render};
use crate::api::auth::{ClientAddress, check_credentials, issue_session, session_cookie};
use crate::app::AppState;
use crate::auth::Session;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Option<Nav>,
    error: Option<String>,
    next: String,
    username: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// Only a local path may be a redirect target: no scheme, no `//host`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_string(),
        _ => "/".to_string(),
    }
}

pub async fn form(Query(query): Query<NextQuery>) -> Response {
    render(&LoginPage { nav: None, error: None, next: safe_next(query.next.as_deref()), username: String::new() })
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    match check_credentials(&state, &form.username, &form.password, address).await {
        Ok(user) => match issue_session(&state, &user) {
            Ok((_, _, cookie)) => ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response(),
            Err(err) => err.into_response(),
        },
        Err(err) => {
            let page = LoginPage { nav: None, error: Some(err.message.clone()), next, username: form.username };
            let mut response = render(&page);
            *response.status_mut() = err.status;
            response
        }
    }
}

pub async fn logout(State(state): State<AppState>, session: Session) -> Response {
    if let Err(err) = state.engine.state.revoke_token(&session.claims.jti, &session.claims.expires_at()).await {
        tracing::error!(error = %err, "cannot revoke the session token");
        return (StatusCode::INTERNAL_SERVER_ERROR, "sign-out failed; the error is in the server log").into_response();
    }
    let target = format!("user/{}", session.user.username);
    crate::audit::by(&state, &session, lading_runtime::audit::Action::Logout, target, None, serde_json::json!({}))
        .await;
    ([(header::SET_COOKIE, session_cookie(&state, None))], Redirect::to("/login")).into_response()
}
