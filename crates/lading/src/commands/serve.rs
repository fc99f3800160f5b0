//! `lading serve` and `lading users …`.

use super::read_input;
use crate::cli::{ServeArgs, UsersCommand};
use crate::exit::{Failure, NOT_FOUND};
use crate::output;
use lading_runtime::Engine;
use lading_runtime::audit::Action;
use lading_server::serve::{serve, shutdown_signal};
use lading_server::users::{self, INITIAL_ADMIN_PASSWORD_ENV, INITIAL_ADMIN_USER_ENV, UserError};
use lading_server::{AppState, ServerSettings};
use serde_json::json;
use std::num::NonZeroU32;
use std::process::ExitCode;
use std::time::Duration;

pub async fn run(engine: Engine, args: ServeArgs) -> Result<ExitCode, Failure> {
    let non_zero =
        |n: u32, flag: &str| NonZeroU32::new(n).ok_or_else(|| Failure::invalid(format!("--{flag} must be at least 1")));
    if args.session_minutes == 0 || args.max_body_mib == 0 {
        return Err(Failure::invalid("--session-minutes and --max-body-mib must be at least 1"));
    }
    let settings = ServerSettings {
        listen: args.listen,
        session_ttl: Duration::from_secs(args.session_minutes * 60),
        secure_cookies: args.secure_cookies,
        login_per_user_per_minute: non_zero(args.login_per_user, "login-per-user")?,
        login_per_address_per_minute: non_zero(args.login_per_address, "login-per-address")?,
        max_body_bytes: args.max_body_mib * 1024 * 1024,
        scheduler: !args.no_scheduler,
        metrics_token: args.metrics_token.filter(|t| !t.is_empty()),
        ..ServerSettings::default()
    };
    let password = std::env::var(INITIAL_ADMIN_PASSWORD_ENV).ok();
    let username = std::env::var(INITIAL_ADMIN_USER_ENV).ok();
    users::bootstrap_admin(engine.state.as_ref(), password.as_deref(), username.as_deref())
        .await
        .map_err(user_failure)?;
    if engine.state.list_users().await?.is_empty() {
        eprintln!(
            "no user can sign in yet: add the first admin with `lading users add <name> --role admin` \
             or start once with {INITIAL_ADMIN_PASSWORD_ENV} set"
        );
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| Failure::invalid(format!("cannot listen on {}: {e}; choose another --listen", settings.listen)))?;
    let address = listener.local_addr().map_err(Failure::internal)?;
    let state = AppState::load(engine, settings).await.map_err(Failure::internal)?;
    eprintln!("Lading is serving on http://{address} (API under /api, OpenAPI at /api/openapi.json); Ctrl-C stops it");
    serve(state, listener, shutdown_signal()).await.map_err(Failure::internal)?;
    Ok(ExitCode::SUCCESS)
}

fn user_failure(err: UserError) -> Failure {
    match err {
        UserError::Unknown(_) => Failure::new(NOT_FOUND, err.to_string()),
        UserError::Store(store) => store.into(),
        other => Failure::invalid(other.to_string()),
    }
}

fn read_password(path: &std::path::Path) -> Result<String, Failure> {
    if path == std::path::Path::new("-") && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprint!("Password (input is shown; pipe it in to hide it): ");
    }
    let text = read_input(path)?;
    let password = text.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(&text);
    Ok(password.to_string())
}

pub async fn users(engine: &Engine, command: UsersCommand, json: bool) -> Result<ExitCode, Failure> {
    let store = engine.state.as_ref();
    let (action, user) = match command {
        UsersCommand::Add { username, role, password_file } => {
            let password = read_password(&password_file)?;
            (Action::UserAdded, users::add(store, &username, role.role(), &password).await.map_err(user_failure)?)
        }
        UsersCommand::List => {
            let all = store.list_users().await?;
            if json {
                let views: Vec<_> = all.iter().map(lading_server::api::auth::UserView::from).collect();
                output::json(&views);
            } else {
                println!("{:<24} {:<9} {:<8} created", "username", "role", "enabled");
                for u in &all {
                    println!("{:<24} {:<9} {:<8} {}", u.username, u.role.as_str(), u.enabled, u.created_at);
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        UsersCommand::Passwd { username, password_file } => {
            let password = read_password(&password_file)?;
            (
                Action::UserChanged,
                users::update(store, &username, Some(&password), None, None).await.map_err(user_failure)?,
            )
        }
        UsersCommand::Role { username, role } => (
            Action::UserChanged,
            users::update(store, &username, None, Some(role.role()), None).await.map_err(user_failure)?,
        ),
        UsersCommand::Disable { username } => {
            (Action::UserChanged, users::update(store, &username, None, None, Some(false)).await.map_err(user_failure)?)
        }
        UsersCommand::Enable { username } => {
            (Action::UserChanged, users::update(store, &username, None, None, Some(true)).await.map_err(user_failure)?)
        }
        UsersCommand::Delete { username } => {
            users::delete(store, &username).await.map_err(user_failure)?;
            super::audit::record(
                engine,
                super::audit::event(Action::UserDeleted, None, format!("user/{username}"), json!({})),
            )
            .await?;
            if !json {
                println!("user {username} deleted");
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let details = json!({"role": user.role.as_str(), "enabled": user.enabled});
    super::audit::record(engine, super::audit::event(action, None, format!("user/{}", user.username), details)).await?;
    if json {
        output::json(&lading_server::api::auth::UserView::from(&user));
    } else {
        println!(
            "user {} ({}, {})",
            user.username,
            user.role.as_str(),
            if user.enabled { "enabled" } else { "disabled" }
        );
    }
    Ok(ExitCode::SUCCESS)
}
