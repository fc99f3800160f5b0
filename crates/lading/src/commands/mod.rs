//! One module per command; `dispatch` routes the parsed command line to it.

mod audit;
mod aws;
mod backup;
mod bench;
mod bench_serve;
mod compare;
mod demo;
mod inspect;
mod ior;
mod schedule;
mod serve;
mod sim;
mod sync;
mod tenants;

use crate::cli::{Cli, Command};
use crate::exit::Failure;
use lading_core::Secret;
use lading_core::TenantId;
use lading_runtime::Engine;
use lading_runtime::alerts::{AlertRouter, Channels};
use lading_runtime::notify::{AlertChannel, EmailNotifier, EmailSettings, LogNotifier, WebhookNotifier};
use std::path::Path;
use std::process::ExitCode;

pub async fn dispatch(cli: Cli) -> Result<ExitCode, Failure> {
    let json = cli.json;
    match cli.command {
        Command::Demo(args) => demo::run(&cli.data_dir, args, json).await,
        Command::Sync(args) => sync::run(&open(&cli.data_dir)?, args, json).await,
        Command::Tenants(command) => tenants::run(&open(&cli.data_dir)?, command, json).await,
        Command::Secrets(command) => tenants::secrets(&open(&cli.data_dir)?, command, json).await,
        Command::Runs(command) => inspect::runs(&open(&cli.data_dir)?, command, json).await,
        Command::Quarantine(command) => inspect::quarantine(&open(&cli.data_dir)?, command, json).await,
        Command::Dlq(command) => inspect::dlq(&open(&cli.data_dir)?, command, json).await,
        Command::Sim(args) => sim::run(args).await,
        Command::Compare(args) => compare::run(args, json),
        Command::Run(args) => ior::run(&open(&cli.data_dir)?, args, json).await,
        Command::Schedule(command) => schedule::run(&open(&cli.data_dir)?, command, json).await,
        Command::Ior(command) => ior::command(&open(&cli.data_dir)?, command, json).await,
        Command::Upload(args) => ior::upload(&open(&cli.data_dir)?, args, json).await,
        Command::Validate(args) => ior::validate(&open(&cli.data_dir)?, args, json).await,
        Command::Bench(args) => bench::run(args, json).await,
        Command::Serve(args) => serve::run(open(&cli.data_dir)?, args).await,
        Command::Users(command) => serve::users(&open(&cli.data_dir)?, command, json).await,
        Command::Backup { target } => backup::backup(&cli.data_dir, &target, json),
        Command::Restore { source, force } => backup::restore(&source, &cli.data_dir, force, json),
        Command::Audit(command) => audit::run(&open(&cli.data_dir)?, command, json).await,
        Command::Aws(command) => aws::run(&open(&cli.data_dir)?, command, json).await,
    }
}

/// The environment variable naming a Slack-compatible webhook that receives alerts.
pub const WEBHOOK_ENV: &str = "LADING_WEBHOOK_URL";
/// The SMTP server of alert emails: `smtp://host:port`, `smtp://user:password@host:587?tls=required`
/// (STARTTLS) or `smtps://user:password@host:465` (implicit TLS).
pub const SMTP_URL_ENV: &str = "LADING_SMTP_URL";
/// The sender of alert emails, e.g. `Lading <lading@example.com>`.
pub const EMAIL_FROM_ENV: &str = "LADING_ALERT_EMAIL_FROM";
/// The recipients of alert emails, separated by commas.
pub const EMAIL_TO_ENV: &str = "LADING_ALERT_EMAIL_TO";

/// The embedded engine over the data directory, with the metrics recorder installed and the
/// alert router: the log always, the webhook of `LADING_WEBHOOK_URL` and the email of
/// `LADING_SMTP_URL` when they are set, each tenant's rules and routes deciding (docs/alerts.md).
pub fn open(data_dir: &Path) -> Result<Engine, Failure> {
    lading_runtime::metrics::install();
    let mut engine = Engine::embedded(data_dir).map_err(Failure::from)?;
    let channels = alert_channels()?;
    engine.notifier = std::sync::Arc::new(AlertRouter { state: engine.state.clone(), channels });
    Ok(engine)
}

/// The alert channels the environment sets up; a half-configured one is an error that says
/// what is missing.
fn alert_channels() -> Result<Channels, Failure> {
    let env = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let mut channels: Channels = vec![(AlertChannel::Log, Box::new(LogNotifier))];
    if let Some(url) = env(WEBHOOK_ENV) {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Failure::invalid(format!("{WEBHOOK_ENV}: {url:?} must be an http:// or https:// URL")));
        }
        let webhook = WebhookNotifier { url, settings: lading_connect::ClientSettings::default() };
        channels.push((AlertChannel::Webhook, Box::new(webhook)));
    }
    match (env(SMTP_URL_ENV), env(EMAIL_FROM_ENV), env(EMAIL_TO_ENV)) {
        (None, None, None) => {}
        (Some(url), Some(from), Some(to)) => {
            let to = to.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
            let settings = EmailSettings::new(Secret::new(url), from, to);
            let email = EmailNotifier::new(settings).map_err(|e| Failure::invalid(format!("alert email: {e}")))?;
            channels.push((AlertChannel::Email, Box::new(email)));
        }
        _ => {
            return Err(Failure::invalid(format!(
                "alert email needs all of {SMTP_URL_ENV}, {EMAIL_FROM_ENV} and {EMAIL_TO_ENV}, or none of them"
            )));
        }
    }
    Ok(channels)
}

pub fn tenant_id(raw: &str) -> Result<TenantId, Failure> {
    TenantId::parse(raw).map_err(Failure::invalid)
}

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &Path) -> Result<String, Failure> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Failure::invalid(format!("cannot read standard input: {e}")))?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(|e| Failure::invalid(format!("cannot read {}: {e}", path.display())))
    }
}
