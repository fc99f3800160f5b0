//! One module per command; `dispatch` routes the parsed command line to it.

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
use lading_core::TenantId;
use lading_runtime::Engine;
use lading_runtime::notify::{FanoutNotifier, LogNotifier, WebhookNotifier};
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
    }
}

/// The environment variable naming a Slack-compatible webhook that receives alerts.
pub const WEBHOOK_ENV: &str = "LADING_WEBHOOK_URL";

/// The embedded engine over the data directory; alerts go to the log, and to the webhook in
/// `LADING_WEBHOOK_URL` when it is set.
pub fn open(data_dir: &Path) -> Result<Engine, Failure> {
    let mut engine = Engine::embedded(data_dir).map_err(Failure::from)?;
    if let Ok(url) = std::env::var(WEBHOOK_ENV) {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Failure::invalid(format!("{WEBHOOK_ENV}: {url:?} must be an http:// or https:// URL")));
        }
        engine.notifier = std::sync::Arc::new(FanoutNotifier(vec![
            Box::new(LogNotifier),
            Box::new(WebhookNotifier { url, settings: lading_connect::ClientSettings::default() }),
        ]));
    }
    Ok(engine)
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
