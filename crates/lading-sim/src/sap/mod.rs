//! SAP simulator for the importer-of-record flow: custom function modules over HTTP
//! (`POST /sap/rfc/{FM}`, Basic auth, JSON import parameters, BAPIRET2 messages) behind an
//! API-Gateway-like front, serving a demo importer's master data, shipments and SAP's own
//! customs lines with a recorded set of planted discrepancies.

mod catalogue;
mod csv;
mod dataset;
mod fm;
mod planted;
mod reference;
mod server;
mod voice;
mod wire;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use catalogue::{KG_PER_LB, MaterialRecord, PackType, PackagingRecord, QuantityRange, Supplier, WeightUnit};
pub use csv::CSV_FILES;
pub use dataset::{
    BillingCategory, BillingItem, CustomsReport, DatasetSize, DatasetSummary, DebitCredit, Entry, FILER_CODE,
    ImporterDataset, Movement,
};
pub use fm::FUNCTION_MODULES;
pub use planted::PlantedDiscrepancy;
pub use reference::HTS_SOURCE;
pub use wire::SapQuirks;

use crate::faults::Faults;
use crate::http::{self, Server, SimCommon, System};
use server::SapState;

/// Where the function modules live: `POST {RFC_PATH}/{FM}`.
pub const RFC_PATH: &str = "/sap/rfc";
/// Rows per call when `I_MAXROWS` is not given, and the most a call may ask for.
pub const DEFAULT_MAXROWS: usize = 500;
pub const MAX_MAXROWS: usize = 5000;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SapConfig {
    pub seed: u64,
    pub users: Vec<SapUser>,
    pub faults: Faults,
    pub dataset: DatasetSize,
    pub quirks: SapQuirks,
}

impl Default for SapConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            users: vec![SapUser::default()],
            faults: Faults::default(),
            dataset: DatasetSize::default(),
            quirks: SapQuirks::default(),
        }
    }
}

/// An RFC user: HTTP Basic credentials and the SAP client (`sap-client`) it logs on to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SapUser {
    pub username: String,
    pub password: String,
    pub client: String,
}

impl SapUser {
    pub fn new(username: &str, password: &str, client: &str) -> Self {
        Self { username: username.to_string(), password: password.to_string(), client: client.to_string() }
    }
}

impl Default for SapUser {
    fn default() -> Self {
        Self::new("LADING_RFC", "sim-sap-password", "100")
    }
}

/// A running SAP simulator. Clones share the same server and dataset.
#[derive(Clone)]
pub struct SapSim {
    server: Arc<Server>,
    state: Arc<SapState>,
}

/// Generates the dataset and starts serving on `addr` (port 0 picks one).
pub async fn start(config: SapConfig, addr: SocketAddr) -> io::Result<SapSim> {
    if config.users.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "the sap simulator needs at least one user"));
    }
    let (listener, base_url) = http::bind(addr).await?;
    // `System` only picks the voice of the shared fault middleware; SAP has its own (`voice`),
    // so the value here is never read. SAP has no login path: every answer is data.
    let common = Arc::new(SimCommon::new(System::Wms, base_url, config.seed, config.faults, ""));
    let seed = config.seed;
    let size = config.dataset;
    // Generating the dataset and its customs lines is CPU work; keep it off the runtime.
    let dataset =
        tokio::task::spawn_blocking(move || ImporterDataset::generate(seed, size)).await.map_err(io::Error::other)?;
    let state = Arc::new(SapState::new(Arc::new(dataset), config.users, config.quirks));
    let app = server::router(Arc::clone(&state), Arc::clone(&common));
    let server = Arc::new(http::spawn(listener, app, common));
    Ok(SapSim { server, state })
}

impl std::ops::Deref for SapSim {
    type Target = Server;

    /// The controls every simulator shares: `base_url`, `set_faults`, `faults`, `requests`,
    /// `credentials_seen`.
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl SapSim {
    /// `{base_url}/sap/rfc/{fm}`.
    pub fn rfc_url(&self, fm: &str) -> String {
        format!("{}{RFC_PATH}/{fm}", self.base_url())
    }

    pub fn quirks(&self) -> SapQuirks {
        self.state.quirks()
    }

    /// Changes the quirks for the following calls; the dataset stays the same.
    pub fn set_quirks(&self, quirks: SapQuirks) {
        self.state.set_quirks(quirks);
    }

    /// The truth behind every function module.
    pub fn dataset(&self) -> &ImporterDataset {
        &self.state.dataset
    }

    /// The differences planted in ZSDR002 `ET_CUSTOMS`, what a correct comparison must find.
    pub fn planted_discrepancies(&self) -> Vec<PlantedDiscrepancy> {
        self.state.dataset.customs.planted.clone()
    }

    /// Stops accepting, lets in-flight requests finish and waits for the server to stop.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
