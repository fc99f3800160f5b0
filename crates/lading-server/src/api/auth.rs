//! Sign in, sign out, who am I.

use crate::app::AppState;
use crate::auth::password;
use crate::auth::session::{SESSION_COOKIE, Session};
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lading_store::{Role, User};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A user as the API shows it: never the password hash.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub username: String,
    #[schema(value_type = String, example = "operator")]
    pub role: Role,
    pub enabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&User> for UserView {
    fn from(user: &User) -> UserView {
        UserView {
            username: user.username.clone(),
            role: user.role,
            enabled: user.enabled,
            created_at: user.created_at.clone(),
            updated_at: user.updated_at.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`; browsers get it as an HttpOnly cookie too.
    pub token: String,
    pub expires_at: String,
    /// Repeat in `X-CSRF-Token` on writes authenticated by the cookie.
    pub csrf_token: String,
    pub user: UserView,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: UserView,
    pub expires_at: String,
    pub csrf_token: String,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(me))
}

/// The client's address (the peer of the connection; no forwarding header is trusted), when
/// the server runs with connect info.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())))
    }
}

/// Checks a username and password against the store, counting the attempt against both
/// limits. Unknown users and wrong passwords get the same answer in the same time.
pub async fn check_credentials(
    state: &AppState,
    username: &str,
    password: &str,
    address: Option<IpAddr>,
) -> ApiResult<User> {
    if let Err(seconds) = state.limiter.check(username, address) {
        tracing::warn!(user = username, address = ?address, "login rate limited");
        return Err(ApiError::too_many(format!("too many sign-in attempts; wait {seconds} s"), seconds));
    }
    let user = state.engine.state.get_user(username).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| password::decoy().to_string());
    let password = password.to_string();
    let matches =
        tokio::task::spawn_blocking(move || password::verify(&password, &hash)).await.map_err(ApiError::internal)?;
    match user {
        Some(user) if matches && user.enabled => {
            tracing::info!(user = %user.username, "signed in");
            crate::audit::record(
                state,
                format!("user:{}", user.username),
                lading_runtime::audit::Action::LoginSucceeded,
                format!("user/{}", user.username),
                None,
                serde_json::json!({"address": address.map(|a| a.to_string())}),
            )
            .await;
            Ok(user)
        }
        _ => {
            tracing::warn!(user = username, address = ?address, "sign-in refused");
            let target = format!("user/{}", username.chars().take(64).collect::<String>());
            crate::audit::record(
                state,
                "anonymous".into(),
                lading_runtime::audit::Action::LoginFailed,
                target,
                None,
                serde_json::json!({"address": address.map(|a| a.to_string())}),
            )
            .await;
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "wrong username or password"))
        }
    }
}

/// The `Set-Cookie` value of a new session, or of a signed-out one (`token` None).
pub fn session_cookie(state: &AppState, token: Option<&str>) -> HeaderValue {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    let value = match token {
        Some(token) => format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            state.keys.ttl().as_secs()
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("lading_session=; Max-Age=0"))
}

/// Issues a session for `user`: the token, its claims and the cookie to set.
pub fn issue_session(state: &AppState, user: &User) -> ApiResult<(String, crate::auth::token::Claims, HeaderValue)> {
    let (token, claims) = state.keys.issue(&user.username).map_err(ApiError::internal)?;
    let cookie = session_cookie(state, Some(&token));
    Ok((token, claims, cookie))
}

/// Sign in.
#[utoipa::path(
    post, path = "/api/auth/login", tag = "auth", security(()), request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse, description = "Signed in; the session cookie is set too"),
        (status = 400, body = ErrorBody, description = "The body is not JSON"),
        (status = 401, body = ErrorBody, description = "Wrong username or password"),
        (status = 413, body = ErrorBody, description = "The body is too large"),
        (status = 415, body = ErrorBody, description = "The body is not sent as application/json"),
        (status = 422, body = ErrorBody, description = "The JSON lacks username or password, or has other fields"),
        (status = 429, body = ErrorBody, description = "Too many attempts for this user or address"),
    )
)]
async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(request): Json<LoginRequest>,
) -> ApiResult<Response> {
    let user = check_credentials(&state, &request.username, &request.password, address).await?;
    let (token, claims, cookie) = issue_session(&state, &user)?;
    let body = LoginResponse {
        token,
        expires_at: claims.expires_at(),
        csrf_token: claims.csrf.clone(),
        user: UserView::from(&user),
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Sign out: the token is revoked and the cookie cleared.
#[utoipa::path(
    post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"), (status = 401, body = ErrorBody))
)]
async fn logout(State(state): State<AppState>, session: Session) -> ApiResult<Response> {
    state.engine.state.revoke_token(&session.claims.jti, &session.claims.expires_at()).await?;
    tracing::info!(user = %session.user.username, "signed out");
    crate::audit::by(
        &state,
        &session,
        lading_runtime::audit::Action::Logout,
        format!("user/{}", session.user.username),
        None,
        serde_json::json!({}),
    )
    .await;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, session_cookie(&state, None))]).into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(session: Session) -> Json<Me> {
    Json(Me {
        user: UserView::from(&session.user),
        expires_at: session.claims.expires_at(),
        csrf_token: session.claims.csrf.clone(),
    })
}
