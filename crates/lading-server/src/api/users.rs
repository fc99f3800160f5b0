//! Users, for admins: list, add, change (role, enabled, password) and delete. The last enabled
//! admin can be neither demoted, disabled nor deleted.

use crate::api::auth::UserView;
use crate::app::AppState;
use crate::auth::session::Admin;
use crate::error::{ApiResult, ErrorBody};
use crate::users;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lading_store::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_users, add_user)).routes(routes!(update_user, delete_user))
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    Operator,
    Admin,
}

impl From<RoleName> for Role {
    fn from(role: RoleName) -> Role {
        match role {
            RoleName::Operator => Role::Operator,
            RoleName::Admin => Role::Admin,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 1–64 of letters, digits, `.`, `_`, `-`, `@`.
    #[schema(pattern = r"^[A-Za-z0-9._@-]{1,64}$")]
    pub username: String,
    pub role: RoleName,
    /// 12–1024 characters.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
}

/// What to change; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    pub role: Option<RoleName>,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// 12–1024 characters.
    #[serde(default)]
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
}

fn username_path(raw: &str) -> ApiResult<&str> {
    users::check_username(raw)?;
    Ok(raw)
}

/// Every user, sorted by name; never a password hash.
#[utoipa::path(
    get, path = "/api/users", tag = "users",
    responses((status = 200, body = UserList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
async fn list_users(_: Admin, State(state): State<AppState>) -> ApiResult<Json<UserList>> {
    let users = state.engine.state.list_users().await?;
    Ok(Json(UserList { users: users.iter().map(UserView::from).collect() }))
}

/// Adds a user.
#[utoipa::path(
    post, path = "/api/users", tag = "users", request_body = NewUser,
    responses(
        (status = 201, body = UserView, description = "Added"),
        (status = 400, body = ErrorBody, description = "The username or password does not pass the rules"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The user exists"),
        (status = 415, body = ErrorBody, description = "Not application/json"),
        (status = 422, body = ErrorBody, description = "The body does not read: the field and why"),
    )
)]
async fn add_user(
    Admin(session): Admin,
    State(state): State<AppState>,
    Json(request): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user =
        users::add(state.engine.state.as_ref(), &request.username, request.role.into(), &request.password).await?;
    tracing::info!(admin = %session.user.username, user = %user.username, role = user.role.as_str(), "user added");
    crate::audit::by(
        &state,
        &session,
        lading_runtime::audit::Action::UserAdded,
        format!("user/{}", user.username),
        None,
        serde_json::json!({"role": user.role.as_str()}),
    )
    .await;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

/// Changes a user's role, enabled flag or password. A change takes effect on the user's open
/// sessions at once.
#[utoipa::path(
    patch, path = "/api/users/{username}", tag = "users", request_body = UserPatch,
    params(("username" = String, Path, pattern = r"^[A-Za-z0-9._@-]{1,64}$", description = "The user's name")),
    responses(
        (status = 200, body = UserView),
        (status = 400, body = ErrorBody, description = "Malformed username, or a password that does not pass the rules"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such user"),
        (status = 409, body = ErrorBody, description = "It would leave no enabled admin"),
        (status = 415, body = ErrorBody, description = "Not application/json"),
        (status = 422, body = ErrorBody, description = "The body does not read: the field and why"),
    )
)]
async fn update_user(
    Admin(session): Admin,
    State(state): State<AppState>,
    Path(username): Path<String>,
    Json(patch): Json<UserPatch>,
) -> ApiResult<Json<UserView>> {
    let username = username_path(&username)?;
    let user = users::update(
        state.engine.state.as_ref(),
        username,
        patch.password.as_deref(),
        patch.role.map(Role::from),
        patch.enabled,
    )
    .await?;
    tracing::info!(admin = %session.user.username, user = %user.username, "user changed");
    crate::audit::by(
        &state,
        &session,
        lading_runtime::audit::Action::UserChanged,
        format!("user/{}", user.username),
        None,
        serde_json::json!({"role": user.role.as_str(), "enabled": user.enabled}),
    )
    .await;
    Ok(Json(UserView::from(&user)))
}

/// Deletes a user.
#[utoipa::path(
    delete, path = "/api/users/{username}", tag = "users",
    params(("username" = String, Path, pattern = r"^[A-Za-z0-9._@-]{1,64}$", description = "The user's name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = ErrorBody, description = "Malformed username"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such user"),
        (status = 409, body = ErrorBody, description = "The last enabled admin"),
    )
)]
async fn delete_user(
    Admin(session): Admin,
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> ApiResult<StatusCode> {
    let username = username_path(&username)?;
    users::delete(state.engine.state.as_ref(), username).await?;
    tracing::info!(admin = %session.user.username, user = username, "user deleted");
    crate::audit::by(
        &state,
        &session,
        lading_runtime::audit::Action::UserDeleted,
        format!("user/{username}"),
        None,
        serde_json::json!({}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
