//! Kong RFID platform simulator: token login, per-account SKU stores, single creates and
//! patches, and the proposed bulk upsert with per-item results and idempotency keys.

mod server;
mod store;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fault_engine::lock;
use crate::faults::Faults;
use crate::http::{self, Server, SimCommon, System};
use store::KongStore;

/// Items a bulk request may carry.
pub const BULK_LIMIT: usize = 100;
/// Page size of the SKU list.
pub const PAGE_SIZE: usize = 100;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KongConfig {
    pub seed: u64,
    pub accounts: Vec<KongAccount>,
    pub faults: Faults,
}

impl Default for KongConfig {
    fn default() -> Self {
        Self { seed: 42, accounts: vec![KongAccount::default()], faults: Faults::default() }
    }
}

/// One tenant's login; each account's SKUs are separate.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KongAccount {
    pub username: String,
    pub password: String,
    pub customer_id: String,
}

impl KongAccount {
    pub fn new(username: &str, password: &str, customer_id: &str) -> Self {
        Self { username: username.to_string(), password: password.to_string(), customer_id: customer_id.to_string() }
    }
}

impl Default for KongAccount {
    fn default() -> Self {
        Self::new("sim-kong", "sim-kong-password", "1")
    }
}

/// What one account's clients did to the simulator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KongStats {
    /// SKUs created, by single create or bulk.
    pub creates: u64,
    /// SKUs changed, by patch, upserting create or bulk.
    pub updates: u64,
    /// Bulk items that matched what was stored.
    pub unchanged: u64,
    /// Bulk requests applied (replays and rejected requests not counted).
    pub bulk_requests: u64,
    /// Items in applied bulk requests.
    pub items_received: u64,
    /// Bulk requests answered from the idempotency store.
    pub replays: u64,
    /// Successful logins.
    pub logins: u64,
    /// Requests answered 401 (bad or expired token) and failed logins.
    pub unauthorized: u64,
}

/// A running Kong simulator. Clones share the same server.
#[derive(Clone)]
pub struct KongSim {
    server: Arc<Server>,
    store: Arc<Mutex<KongStore>>,
}

/// Starts serving on `addr` (port 0 picks one).
pub async fn start(config: KongConfig, addr: SocketAddr) -> io::Result<KongSim> {
    let store =
        KongStore::new(&config.accounts).map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
    let (listener, base_url) = http::bind(addr).await?;
    let common = Arc::new(SimCommon::new(System::Kong, base_url, config.seed, config.faults, server::LOGIN_PATH));
    let store = Arc::new(Mutex::new(store));
    let app = server::router(Arc::clone(&store), Arc::clone(&common));
    let server = Arc::new(http::spawn(listener, app, common));
    Ok(KongSim { server, store })
}

impl std::ops::Deref for KongSim {
    type Target = Server;

    /// The controls every simulator shares: `base_url`, `set_faults`, `faults`, `requests`,
    /// `credentials_seen`.
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl KongSim {
    /// The account's SKUs as the API shows them, in creation order.
    pub fn skus(&self, username: &str) -> Vec<Value> {
        lock(&self.store).skus(username)
    }

    pub fn stats(&self, username: &str) -> KongStats {
        lock(&self.store).stats(username)
    }

    /// How many SKUs were ever created with this external id (a correct client keeps it ≤ 1).
    pub fn create_count(&self, username: &str, external_id: &str) -> u32 {
        lock(&self.store).create_count(username, external_id)
    }

    /// Stops accepting, lets in-flight requests finish and waits for the server to stop.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
