//! `lading sim <system>`: one simulator as its own process, until Ctrl-C.
//!
//! The first line on standard output is `listening on <base url>`, so scripts and the sync
//! benchmark can start a simulator and read where it is.

use crate::cli::{SimArgs, SimSystem};
use crate::exit::Failure;
use lading_sim::faults::Faults;
use std::io::Write;
use std::process::ExitCode;

pub async fn run(args: SimArgs) -> Result<ExitCode, Failure> {
    let bind_error =
        |e: std::io::Error| Failure::new(crate::exit::INTERNAL, format!("cannot listen on {}: {e}", args.addr));
    let (base_url, shutdown): (String, Box<dyn FnOnce() -> futures_lite::BoxFuture>) = match args.system {
        SimSystem::Siesa => {
            let config = lading_sim::siesa::SiesaConfig {
                seed: args.seed,
                companies: vec![lading_sim::siesa::SiesaCompany {
                    company_id: args.company.clone(),
                    conni_key: args.user.clone(),
                    conni_token: args.password.clone(),
                    items: args.items,
                }],
                faults: Faults::default(),
            };
            let sim = lading_sim::siesa::start(config, args.addr).await.map_err(bind_error)?;
            (sim.base_url(), Box::new(move || Box::pin(sim.shutdown())))
        }
        SimSystem::Kong => {
            let config = lading_sim::kong::KongConfig {
                seed: args.seed,
                accounts: vec![lading_sim::kong::KongAccount {
                    username: args.user.clone(),
                    password: args.password.clone(),
                    customer_id: args.company.clone(),
                }],
                faults: Faults::default(),
            };
            let sim = lading_sim::kong::start(config, args.addr).await.map_err(bind_error)?;
            (sim.base_url(), Box::new(move || Box::pin(sim.shutdown())))
        }
        SimSystem::Wms => {
            let config = lading_sim::wms::WmsConfig {
                seed: args.seed,
                users: vec![lading_sim::wms::WmsUser { username: args.user.clone(), password: args.password.clone() }],
                faults: Faults::default(),
                jwt_secret: format!("lading-sim-{}", args.seed),
            };
            let sim = lading_sim::wms::start(config, args.addr).await.map_err(bind_error)?;
            (sim.base_url(), Box::new(move || Box::pin(sim.shutdown())))
        }
    };
    println!("listening on {base_url}");
    let _ = std::io::stdout().flush();
    tokio::signal::ctrl_c().await.map_err(Failure::internal)?;
    shutdown().await;
    Ok(ExitCode::SUCCESS)
}

mod futures_lite {
    pub type BoxFuture = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
}
