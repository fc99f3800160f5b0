//! The extractors: [`Session`] (any signed-in user), [`Operator`] and [`Admin`].
//!
//! A token comes as `Authorization: Bearer …` (API clients) or in the HttpOnly session cookie
//! (browsers). It must verify, not be revoked, and name an enabled user; the role is read from
//! the store on every request, so a demotion or a disabled account takes effect at once.
//! A cookie-authenticated write (any method but GET, HEAD, OPTIONS) must repeat the session's
//! CSRF token in the `X-CSRF-Token` header or a `csrf` form field.

use super::token::{Claims, TokenError};
use crate::app::AppState;
use crate::error::ApiError;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use lading_store::{Role, User};

pub const SESSION_COOKIE: &str = "lading_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The CSRF token a request submitted (header or form field), put in the request's extensions
/// by [`crate::app`]'s middleware before the handler's extractors run.
#[derive(Clone, Debug)]
pub struct SubmittedCsrf(pub Option<String>);

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub claims: Claims,
    /// Authenticated by the cookie (a browser) rather than a bearer token.
    pub via_cookie: bool,
    /// The raw token, for logout.
    pub token: String,
}

impl Session {
    pub fn role(&self) -> Role {
        self.user.role
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    pub fn csrf(&self) -> &str {
        &self.claims.csrf
    }
}

/// Why a request was refused: JSON under `/api`, a redirect to the login page (or a plain
/// page) elsewhere.
#[derive(Debug)]
pub struct AuthRejection {
    pub error: ApiError,
    pub page: Option<String>,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self.page {
            None => self.error.into_response(),
            Some(next) if self.error.status == StatusCode::UNAUTHORIZED => {
                let next = urlencode(&next);
                Redirect::to(&format!("/login?next={next}")).into_response()
            }
            Some(_) => (self.error.status, Html(refusal_page(&self.error))).into_response(),
        }
    }
}

fn refusal_page(error: &ApiError) -> String {
    let message = error.message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status} · Lading</title>\
         <link rel=\"stylesheet\" href=\"/static/lading.css\"></head><body><main class=\"narrow\">\
         <h1>{status}</h1><p role=\"alert\">{message}</p><p><a href=\"/\">Back to the overview</a></p></main></body></html>",
        status = error.status
    )
}

fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The session cookie's value, if the request has one.
pub fn cookie_token(parts: &Parts) -> Option<String> {
    parts.headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|cookies| {
        cookies.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_string())
        })
    })
}

fn bearer_token(parts: &Parts) -> Result<Option<String>, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| invalid_token())?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(Some(token.trim().to_string()))
        }
        _ => Err(ApiError::unauthenticated("the Authorization header must be `Bearer <token>`")),
    }
}

fn invalid_token() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "the session token is not valid; sign in again")
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn is_page(parts: &Parts) -> bool {
    let path = parts.uri.path();
    !(path == "/api" || path.starts_with("/api/"))
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Session, ApiError> {
    let (token, via_cookie) = match bearer_token(parts)? {
        Some(token) => (token, false),
        None => match cookie_token(parts) {
            Some(token) => (token, true),
            None => {
                return Err(ApiError::unauthenticated(
                    "sign in first: POST /api/auth/login with {\"username\", \"password\"}, then send the token as `Authorization: Bearer <token>`",
                ));
            }
        },
    };
    let claims = state.keys.verify(&token).map_err(|e| match e {
        TokenError::Expired => {
            ApiError::new(StatusCode::UNAUTHORIZED, "token_expired", "the session has expired; sign in again")
        }
        TokenError::Invalid => invalid_token(),
    })?;
    if state.engine.state.is_token_revoked(&claims.jti).await? {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_revoked",
            "this session was signed out; sign in again",
        ));
    }
    let user = match state.engine.state.get_user(&claims.sub).await? {
        Some(user) if user.enabled => user,
        _ => return Err(ApiError::unauthenticated("the account of this session no longer exists or is disabled")),
    };
    if via_cookie && is_write(&parts.method) {
        let submitted = parts.extensions.get::<SubmittedCsrf>().and_then(|s| s.0.as_deref());
        if submitted != Some(claims.csrf.as_str()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "a browser write must carry the page's CSRF token (X-CSRF-Token header or csrf form field); reload the page",
            ));
        }
    }
    Ok(Session { user, claims, via_cookie, token })
}

fn rejection(parts: &Parts, error: ApiError) -> AuthRejection {
    let page = is_page(parts).then(|| parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_default());
    AuthRejection { error, page }
}

async fn require<S>(parts: &mut Parts, state: &S, role: Role) -> Result<Session, AuthRejection>
where
    AppState: FromRef<S>,
{
    let state = AppState::from_ref(state);
    let session = authenticate(parts, &state).await.map_err(|e| rejection(parts, e))?;
    if !session.role().allows(role) {
        let error = ApiError::forbidden(format!(
            "this needs the {} role; {} is {}",
            role.as_str(),
            session.user.username,
            session.role().as_str()
        ));
        return Err(rejection(parts, error));
    }
    Ok(session)
}

impl<S: Send + Sync> FromRequestParts<S> for Session
where
    AppState: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        require(parts, state, Role::Operator).await
    }
}

/// A signed-in operator or admin: may trigger runs and replay dead letters.
#[derive(Clone, Debug)]
pub struct Operator(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for Operator
where
    AppState: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        require(parts, state, Role::Operator).await.map(Operator)
    }
}

/// A signed-in admin: manages tenants, users and uploads.
#[derive(Clone, Debug)]
pub struct Admin(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for Admin
where
    AppState: FromRef<S>,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        require(parts, state, Role::Admin).await.map(Admin)
    }
}
