//! The `lading` command: parses arguments, wires the embedded backends, runs a command, and
//! turns its outcome into an exit code.

mod cli;
mod commands;
mod exit;
mod output;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return exit::Failure::internal(err).code();
        }
    };
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            failure.code()
        }
    }
}

fn init_logging(cli: &cli::Cli) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("LADING_LOG").unwrap_or_else(|_| EnvFilter::new(&cli.log_level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    if cli.log_json {
        builder.json().init();
    } else {
        builder.compact().init();
    }
}
