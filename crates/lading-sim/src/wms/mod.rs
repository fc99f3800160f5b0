//! WMS simulator: JWT login, per-user product stores behind an API-Gateway-like front (409 on
//! duplicates, cursor pagination, 429 without `Retry-After`, 504 on timeouts).

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
use store::WmsStore;

/// Lifetime of a JWT when `Faults::token_lifetime_secs` is not set.
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 3600;
/// Products per page when the client gives no `limit`, and the most it may ask for.
pub const DEFAULT_PAGE_LIMIT: usize = 50;
pub const MAX_PAGE_LIMIT: usize = 100;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WmsConfig {
    pub seed: u64,
    pub users: Vec<WmsUser>,
    pub faults: Faults,
    /// HS256 secret the simulator signs its JWTs with.
    pub jwt_secret: String,
}

impl Default for WmsConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            users: vec![WmsUser::default()],
            faults: Faults::default(),
            jwt_secret: "sim-wms-jwt-secret".to_string(),
        }
    }
}

/// One tenant's login; each user's products are separate.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WmsUser {
    pub username: String,
    pub password: String,
}

impl WmsUser {
    pub fn new(username: &str, password: &str) -> Self {
        Self { username: username.to_string(), password: password.to_string() }
    }
}

impl Default for WmsUser {
    fn default() -> Self {
        Self::new("sim-wms", "sim-wms-password")
    }
}

/// What one user's clients did to the simulator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WmsStats {
    /// Products created (201, or a duplicate accepted under `AcceptDuplicate`).
    pub creates: u64,
    /// Successful PATCHes (and creates turned into updates under `Upsert`).
    pub patches: u64,
    /// Creates answered 409.
    pub conflicts: u64,
    pub logins: u64,
    /// 401 answers: failed logins and refused or expired tokens.
    pub unauthorized: u64,
}

/// A running WMS simulator. Clones share the same server.
#[derive(Clone)]
pub struct WmsSim {
    server: Arc<Server>,
    store: Arc<Mutex<WmsStore>>,
}

/// Starts serving on `addr` (port 0 picks one).
pub async fn start(config: WmsConfig, addr: SocketAddr) -> io::Result<WmsSim> {
    if config.jwt_secret.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "the wms jwt secret must not be empty"));
    }
    let store = WmsStore::new(&config.users).map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
    let (listener, base_url) = http::bind(addr).await?;
    let common = Arc::new(SimCommon::new(System::Wms, base_url, config.seed, config.faults, server::LOGIN_PATH));
    let store = Arc::new(Mutex::new(store));
    let app = server::router(Arc::clone(&store), Arc::clone(&common), &config.jwt_secret);
    let server = Arc::new(http::spawn(listener, app, common));
    Ok(WmsSim { server, store })
}

impl std::ops::Deref for WmsSim {
    type Target = Server;

    /// The controls every simulator shares: `base_url`, `set_faults`, `faults`, `requests`,
    /// `credentials_seen`.
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl WmsSim {
    /// The user's products as the API shows them, in creation order.
    pub fn products(&self, username: &str) -> Vec<Value> {
        lock(&self.store).products(username)
    }

    pub fn stats(&self, username: &str) -> WmsStats {
        lock(&self.store).stats(username)
    }

    /// How many products were ever created with this external id (a correct client keeps it ≤ 1).
    pub fn create_count(&self, username: &str, external_id: &str) -> u32 {
        lock(&self.store).create_count(username, external_id)
    }

    /// Stops accepting, lets in-flight requests finish and waits for the server to stop.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
