//! Users: added from the command line (`lading users add`) or the admin page, and the first
//! admin from a one-time password in the environment. There is no default password.

use crate::auth::password;
use lading_store::{Role, StateStore, StoreError, User};

/// The environment variable that may create the first admin when the store has none.
pub const INITIAL_ADMIN_PASSWORD_ENV: &str = "LADING_INITIAL_ADMIN_PASSWORD";
/// Its username, `admin` unless set.
pub const INITIAL_ADMIN_USER_ENV: &str = "LADING_INITIAL_ADMIN_USER";

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("{0}")]
    Invalid(String),
    #[error("user {0:?} already exists; change its password with `lading users passwd {0}`")]
    Exists(String),
    #[error("no user {0:?}; list them with `lading users list`")]
    Unknown(String),
    #[error("{0} is the last enabled admin; make another admin first")]
    LastAdmin(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A username is 1–64 characters of letters, digits, `.`, `_`, `-` and `@`.
pub fn check_username(username: &str) -> Result<(), UserError> {
    let ok = !username.is_empty()
        && username.len() <= 64
        && username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(UserError::Invalid(format!(
            "username {username:?} must be 1–64 characters of letters, digits, '.', '_', '-' or '@'"
        )))
    }
}

/// Hashes on a blocking thread: argon2id takes tens of milliseconds of CPU by design.
async fn hash(password: &str) -> Result<String, UserError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| UserError::Invalid(format!("cannot hash the password: {e}")))?
        .map_err(UserError::Invalid)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Adds a user; an existing username is an error.
pub async fn add(store: &dyn StateStore, username: &str, role: Role, password: &str) -> Result<User, UserError> {
    check_username(username)?;
    password::check_policy(password).map_err(UserError::Invalid)?;
    if store.get_user(username).await?.is_some() {
        return Err(UserError::Exists(username.into()));
    }
    let user = User {
        username: username.into(),
        role,
        password_hash: hash(password).await?,
        enabled: true,
        created_at: now(),
        updated_at: now(),
    };
    store.put_user(&user).await?;
    Ok(user)
}

/// Changes what may change of a user: password, role, enabled. The last enabled admin can be
/// neither demoted nor disabled.
pub async fn update(
    store: &dyn StateStore,
    username: &str,
    password: Option<&str>,
    role: Option<Role>,
    enabled: Option<bool>,
) -> Result<User, UserError> {
    let mut user = store.get_user(username).await?.ok_or_else(|| UserError::Unknown(username.into()))?;
    let loses_admin =
        user.role == Role::Admin && user.enabled && (role.is_some_and(|r| r != Role::Admin) || enabled == Some(false));
    if loses_admin && enabled_admins(store).await? <= 1 {
        return Err(UserError::LastAdmin(username.into()));
    }
    if let Some(password) = password {
        password::check_policy(password).map_err(UserError::Invalid)?;
        user.password_hash = hash(password).await?;
    }
    if let Some(role) = role {
        user.role = role;
    }
    if let Some(enabled) = enabled {
        user.enabled = enabled;
    }
    user.updated_at = now();
    store.put_user(&user).await?;
    Ok(user)
}

/// Deletes a user; the last enabled admin cannot be deleted.
pub async fn delete(store: &dyn StateStore, username: &str) -> Result<(), UserError> {
    let user = store.get_user(username).await?.ok_or_else(|| UserError::Unknown(username.into()))?;
    if user.role == Role::Admin && user.enabled && enabled_admins(store).await? <= 1 {
        return Err(UserError::LastAdmin(username.into()));
    }
    store.delete_user(username).await?;
    Ok(())
}

async fn enabled_admins(store: &dyn StateStore) -> Result<usize, StoreError> {
    Ok(store.list_users().await?.iter().filter(|u| u.role == Role::Admin && u.enabled).count())
}

/// At start: when no admin exists and `LADING_INITIAL_ADMIN_PASSWORD` is set, creates the
/// first admin with it. Once an admin exists the variable is ignored (with a warning to remove
/// it). Returns the admin created, if one was.
pub async fn bootstrap_admin(
    store: &dyn StateStore,
    password: Option<&str>,
    username: Option<&str>,
) -> Result<Option<User>, UserError> {
    let Some(password) = password.filter(|p| !p.is_empty()) else { return Ok(None) };
    if store.list_users().await?.iter().any(|u| u.role == Role::Admin) {
        tracing::warn!("{INITIAL_ADMIN_PASSWORD_ENV} is set but an admin exists; it is ignored, remove it");
        return Ok(None);
    }
    let username = username.filter(|u| !u.is_empty()).unwrap_or("admin");
    let user = add(store, username, Role::Admin, password).await?;
    tracing::warn!(
        user = username,
        "created the first admin from {INITIAL_ADMIN_PASSWORD_ENV}; remove the variable now"
    );
    Ok(Some(user))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lading_store::sqlite::SqliteState;

    #[tokio::test]
    async fn the_first_admin_comes_once_from_the_environment() {
        let store = SqliteState::in_memory().unwrap();
        assert!(bootstrap_admin(&store, None, None).await.unwrap().is_none());
        let admin = bootstrap_admin(&store, Some("a long enough secret"), None).await.unwrap().unwrap();
        assert_eq!((admin.username.as_str(), admin.role), ("admin", Role::Admin));
        assert!(password::verify("a long enough secret", &admin.password_hash));
        assert!(bootstrap_admin(&store, Some("another long secret"), Some("root")).await.unwrap().is_none());
        assert_eq!(store.list_users().await.unwrap().len(), 1);
        let err = bootstrap_admin(&SqliteState::in_memory().unwrap(), Some("short"), None).await.unwrap_err();
        assert!(err.to_string().contains("at least 12"), "{err}");
    }

    #[tokio::test]
    async fn the_last_admin_stays_an_enabled_admin() {
        let store = SqliteState::in_memory().unwrap();
        add(&store, "root", Role::Admin, "a long enough secret").await.unwrap();
        let err = update(&store, "root", None, Some(Role::Operator), None).await.unwrap_err();
        assert!(matches!(err, UserError::LastAdmin(_)), "{err}");
        assert!(matches!(delete(&store, "root").await.unwrap_err(), UserError::LastAdmin(_)));
        add(&store, "ada", Role::Admin, "a long enough secret").await.unwrap();
        update(&store, "root", None, None, Some(false)).await.unwrap();
        assert!(matches!(add(&store, "ada", Role::Operator, "whatever long one").await, Err(UserError::Exists(_))));
        assert!(matches!(
            add(&store, "bad name", Role::Operator, "whatever long one").await,
            Err(UserError::Invalid(_))
        ));
    }
}
