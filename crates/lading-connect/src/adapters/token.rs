//! A login token shared by an adapter's concurrent requests, renewed once when rejected.
//!
//! Requests take the cached token (logging in first if there is none). On a 401 the request
//! drops the token it used — only if it is still the current one, so eight requests failing
//! together log in once, not eight times — logs in again and repeats itself. A 401 can never
//! mean wrong credentials here (a login with those fails itself, as `Unauthorized`), only an
//! expired token; a token that expires by use can even expire between its login and a
//! request that waited for it, so a request renews up to [`MAX_RENEWALS`] times.

use crate::error::ConnectError;
use crate::http::{ApiRequest, ApiResponse, HttpClient};
use lading_core::Secret;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::Mutex;

/// Logins one request may wait for after 401s before it reports the 401.
pub const MAX_RENEWALS: u32 = 3;

#[derive(Debug, Default)]
pub struct TokenCache {
    current: Mutex<Option<Arc<Secret>>>,
    logins: AtomicU32,
}

impl TokenCache {
    pub fn new() -> TokenCache {
        TokenCache::default()
    }

    /// The current token, logging in with `login` when there is none. Concurrent callers wait
    /// for one login.
    pub async fn token<L, F>(&self, login: L) -> Result<Arc<Secret>, ConnectError>
    where
        L: FnOnce() -> F,
        F: Future<Output = Result<Secret, ConnectError>>,
    {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref() {
            return Ok(Arc::clone(token));
        }
        let token = Arc::new(login().await?);
        self.logins.fetch_add(1, Ordering::Relaxed);
        *current = Some(Arc::clone(&token));
        Ok(token)
    }

    /// Forgets `rejected` if it is still the current token.
    pub async fn invalidate(&self, rejected: &Arc<Secret>) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|token| Arc::ptr_eq(token, rejected)) {
            *current = None;
        }
    }

    /// Successful logins so far.
    pub fn logins(&self) -> u32 {
        self.logins.load(Ordering::Relaxed)
    }

    /// Sends the request `build` makes with the current token; on a 401 logs in again and
    /// sends it again, up to [`MAX_RENEWALS`] times. The last 401 is returned for the caller to
    /// report.
    pub async fn send<L, F, B>(&self, client: &HttpClient, login: L, build: B) -> Result<ApiResponse, ConnectError>
    where
        L: Fn() -> F,
        F: Future<Output = Result<Secret, ConnectError>>,
        B: Fn(&Secret) -> ApiRequest,
    {
        let mut renewals = 0;
        loop {
            let token = self.token(&login).await?;
            let response = client.send(build(&token)).await?;
            if response.status != 401 || renewals == MAX_RENEWALS {
                return Ok(response);
            }
            renewals += 1;
            tracing::info!(
                tenant = %client.tenant(),
                system = client.system(),
                path = %response.path,
                renewal = renewals,
                "token rejected, logging in again"
            );
            self.invalidate(&token).await;
        }
    }
}

/// Logs in with a username and password posted as JSON to `url` and reads the token from the
/// answer's `token_field`: the login of Kong (`auth_token`) and of the WMS (`token`). A 400,
/// 401 or 403 is refused credentials, named with `credentials_fix`.
pub(crate) async fn password_login(
    http: &HttpClient,
    url: String,
    credentials: &lading_core::secret::TargetCredentials,
    token_field: &str,
    credentials_fix: &str,
) -> Result<Secret, ConnectError> {
    let system = http.system();
    let request = ApiRequest::post(url)
        .json(&serde_json::json!({"username": credentials.username, "password": credentials.password.expose()}))
        .redact(&credentials.password)
        .retry_safe();
    let response = http.send(request).await?;
    match response.status {
        200 | 201 => {}
        400 | 401 | 403 => {
            return Err(http.error(
                crate::error::ErrorKind::Unauthorized,
                format!(
                    "{system} rejected the login of user {:?} ({}): {credentials_fix}",
                    credentials.username, response.status
                ),
            ));
        }
        _ => return Err(http.unexpected(&response, "the login", credentials_fix)),
    }
    match response.json.get(token_field).and_then(serde_json::Value::as_str) {
        Some(token) if !token.is_empty() => {
            tracing::info!(tenant = %http.tenant(), system, user = %credentials.username, "logged in");
            Ok(Secret::new(token))
        }
        _ => Err(http.error(
            crate::error::ErrorKind::BadResponse,
            format!("{system} answered the login without {token_field}: check that target.base_url points at {system}"),
        )),
    }
}

impl TokenCache {
    /// Sends what `build` makes with `Authorization: {scheme} {token}`, renewing the token on a
    /// 401 (see [`TokenCache::send`]); a 401 or 403 that outlives the renewals is an error
    /// naming `credentials_fix`.
    pub(crate) async fn send_authorized<L, F>(
        &self,
        http: &HttpClient,
        login: L,
        scheme: &str,
        credentials_fix: &str,
        build: impl Fn() -> ApiRequest,
    ) -> Result<ApiResponse, ConnectError>
    where
        L: Fn() -> F,
        F: Future<Output = Result<Secret, ConnectError>>,
    {
        let response = self
            .send(http, login, |token| {
                build()
                    .secret_header("authorization", &Secret::new(format!("{scheme} {}", token.expose())))
                    .redact(token)
            })
            .await?;
        if response.status == 401 || response.status == 403 {
            return Err(http.unexpected(&response, "the token", credentials_fix));
        }
        Ok(response)
    }
}
