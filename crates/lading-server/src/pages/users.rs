//! Users (admins only): who may sign in, with which role; add one, change a role, switch an
//! account off or on. The rules (password policy, the last admin) are [`crate::users`]'s.

use super::display::{segment, when};
use super::{Flash, Nav, error_page, redirect_with_flash, render, render_with_status};
use crate::app::AppState;
use crate::auth::{Admin, Session};
use crate::error::ApiError;
use crate::users;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lading_store::Role;
use serde::Deserialize;

struct UserRow {
    username: String,
    role: &'static str,
    enabled: bool,
    is_self: bool,
    created: String,
    updated: String,
    /// `/users/{name}`, the prefix of the row's form actions.
    path: String,
    other_role: &'static str,
}

#[derive(Default)]
struct AddForm {
    username: String,
    role: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Option<Nav>,
    flash: Flash,
    users: Vec<UserRow>,
    add: AddForm,
}

async fn users_page(state: &AppState, session: &Session, flash: Flash, add: AddForm) -> Result<UsersPage, ApiError> {
    let mut list = state.engine.state.list_users().await?;
    list.sort_by(|a, b| a.username.cmp(&b.username));
    let users = list
        .into_iter()
        .map(|u| UserRow {
            path: format!("/users/{}", segment(&u.username)),
            is_self: u.username == session.user.username,
            role: u.role.as_str(),
            other_role: if u.role == Role::Admin { Role::Operator.as_str() } else { Role::Admin.as_str() },
            enabled: u.enabled,
            created: when(&u.created_at),
            updated: when(&u.updated_at),
            username: u.username,
        })
        .collect();
    Ok(UsersPage { nav: Some(Nav::new(session, "users")), flash, users, add })
}

pub async fn page(State(state): State<AppState>, Admin(session): Admin, Query(flash): Query<Flash>) -> Response {
    match users_page(&state, &session, flash, AddForm { role: "operator".into(), ..AddForm::default() }).await {
        Ok(page) => render(&page),
        Err(err) => error_page(Nav::new(&session, "users"), &err),
    }
}

#[derive(Deserialize)]
pub struct AddUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

fn parse_role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw).ok_or_else(|| ApiError::bad_request(format!("role {raw:?} must be operator or admin")))
}

pub async fn add(
    State(state): State<AppState>,
    Admin(session): Admin,
    form: Result<Form<AddUserForm>, FormRejection>,
) -> Response {
    let nav = Nav::new(&session, "users");
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return error_page(nav, &ApiError::bad_request(rejection.body_text())),
    };
    let username = form.username.trim().to_string();
    let result = match parse_role(&form.role) {
        Ok(role) => {
            users::add(state.engine.state.as_ref(), &username, role, &form.password).await.map_err(ApiError::from)
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(user) => {
            tracing::info!(user = %user.username, role = user.role.as_str(), by = %session.user.username, "user added");
            crate::audit::by(
                &state,
                &session,
                lading_runtime::audit::Action::UserAdded,
                format!("user/{}", user.username),
                None,
                serde_json::json!({"role": user.role.as_str()}),
            )
            .await;
            redirect_with_flash("/users", Ok(format!("added {} as {}", user.username, user.role.as_str())))
        }
        Err(err) if err.status.is_server_error() => error_page(nav, &err),
        Err(err) => {
            let add = AddForm { username, role: form.role, error: Some(err.message.clone()) };
            match users_page(&state, &session, Flash::default(), add).await {
                Ok(page) => render_with_status(err.status, &page),
                Err(inner) => error_page(nav, &inner),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(username): Path<String>,
    form: Result<Form<RoleForm>, FormRejection>,
) -> Response {
    let nav = Nav::new(&session, "users");
    let role = match form.map_err(|r| ApiError::bad_request(r.body_text())).and_then(|Form(f)| parse_role(&f.role)) {
        Ok(role) => role,
        Err(err) => return error_page(nav, &err),
    };
    let result = users::update(state.engine.state.as_ref(), &username, None, Some(role), None).await;
    finish(&state, nav, &session, result.map_err(ApiError::from), format!("{username} is now {}", role.as_str())).await
}

pub async fn enable(State(state): State<AppState>, Admin(session): Admin, Path(username): Path<String>) -> Response {
    set_enabled(&state, session, &username, true).await
}

pub async fn disable(State(state): State<AppState>, Admin(session): Admin, Path(username): Path<String>) -> Response {
    set_enabled(&state, session, &username, false).await
}

async fn set_enabled(state: &AppState, session: Session, username: &str, enabled: bool) -> Response {
    let nav = Nav::new(&session, "users");
    let result = users::update(state.engine.state.as_ref(), username, None, None, Some(enabled)).await;
    let verb = if enabled { "enabled" } else { "disabled; their sessions end at once" };
    finish(state, nav, &session, result.map_err(ApiError::from), format!("{username} {verb}")).await
}

async fn finish(
    state: &AppState,
    nav: Nav,
    session: &Session,
    result: Result<lading_store::User, ApiError>,
    done: String,
) -> Response {
    match result {
        Ok(user) => {
            tracing::info!(user = %user.username, role = user.role.as_str(), enabled = user.enabled, by = %session.user.username, "user changed");
            crate::audit::by(
                state,
                session,
                lading_runtime::audit::Action::UserChanged,
                format!("user/{}", user.username),
                None,
                serde_json::json!({"role": user.role.as_str(), "enabled": user.enabled}),
            )
            .await;
            redirect_with_flash("/users", Ok(done))
        }
        Err(err) if err.status.is_server_error() => error_page(nav, &err),
        Err(err) => redirect_with_flash("/users", Err(err.message)),
    }
}
