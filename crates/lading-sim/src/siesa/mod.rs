//! Siesa Connekta simulator: the `ejecutarconsultaestandar` endpoint over a generated catalogue
//! per company, with static `ConniKey`/`ConniToken` auth and Siesa's end-of-data quirks.

mod catalogue;
mod server;
mod vocabulary;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use catalogue::{CatalogueItem, Defect, Mutation};

use crate::faults::Faults;
use crate::http::{self, Server, SimCommon, System};
use server::SiesaState;

/// The path of Siesa's one query endpoint.
pub const QUERY_PATH: &str = "/api/siesa/v3/ejecutarconsultaestandar";

/// The three queries the simulator knows.
pub const QUERIES: [&str; 3] = ["API_v2_Items", "API_v2_ItemsBarras", "API_v2_ItemsUnidadesMedida"];

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiesaConfig {
    pub seed: u64,
    pub companies: Vec<SiesaCompany>,
    pub faults: Faults,
}

impl Default for SiesaConfig {
    fn default() -> Self {
        Self { seed: 42, companies: vec![SiesaCompany::default()], faults: Faults::default() }
    }
}

/// One tenant company and the static keys that read it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiesaCompany {
    pub company_id: String,
    pub conni_key: String,
    pub conni_token: String,
    /// Distinct items generated (repeated rows come on top).
    #[serde(default = "default_item_count")]
    pub items: usize,
}

fn default_item_count() -> usize {
    10_000
}

impl SiesaCompany {
    /// A company with the default 10,000 items.
    pub fn new(company_id: &str, conni_key: &str, conni_token: &str) -> Self {
        Self {
            company_id: company_id.to_string(),
            conni_key: conni_key.to_string(),
            conni_token: conni_token.to_string(),
            items: default_item_count(),
        }
    }
}

impl Default for SiesaCompany {
    fn default() -> Self {
        Self::new("1", "sim-conni-key-1", "sim-conni-token-1")
    }
}

/// A running Siesa simulator. Clones share the same server.
#[derive(Clone)]
pub struct SiesaSim {
    server: Arc<Server>,
    state: Arc<SiesaState>,
}

/// Generates every company's catalogue and starts serving on `addr` (port 0 picks one).
pub async fn start(config: SiesaConfig, addr: SocketAddr) -> io::Result<SiesaSim> {
    let mut ids: Vec<&str> = config.companies.iter().map(|company| company.company_id.as_str()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "siesa company ids must be unique"));
    }
    let (listener, base_url) = http::bind(addr).await?;
    let common = Arc::new(SimCommon::new(
        System::Siesa,
        base_url,
        config.seed,
        config.faults,
        // Siesa has no login: every answer is data.
        "",
    ));
    let seed = config.seed;
    let companies = config.companies;
    // Generating 10,000 items per company is CPU work; keep it off the runtime's workers.
    let state =
        tokio::task::spawn_blocking(move || SiesaState::new(seed, &companies)).await.map_err(io::Error::other)?;
    let state = Arc::new(state);
    let app = server::router(Arc::clone(&state), Arc::clone(&common));
    let server = Arc::new(http::spawn(listener, app, common));
    Ok(SiesaSim { server, state })
}

impl std::ops::Deref for SiesaSim {
    type Target = Server;

    /// The controls every simulator shares: `base_url`, `set_faults`, `faults`, `requests`,
    /// `credentials_seen`.
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl SiesaSim {
    /// The deduplicated truth for `company_id` (empty for an unknown company).
    pub fn catalogue(&self, company_id: &str) -> Vec<CatalogueItem> {
        self.state.catalogue(company_id).unwrap_or_default()
    }

    /// Changes the description of `changed` valid items and appends `added` new valid items;
    /// an unknown company changes nothing.
    pub fn mutate(&self, company_id: &str, changed: usize, added: usize) -> Mutation {
        self.state.mutate(company_id, changed, added).unwrap_or_default()
    }

    /// Stops accepting, lets in-flight requests finish and waits for the server to stop.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
