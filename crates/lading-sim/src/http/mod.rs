//! Plumbing every simulator shares: binding, serving, graceful shutdown, the `/_sim` controls
//! and the bookkeeping behind `requests()` and `credentials_seen()`.

mod listener;
mod middleware;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::fault_engine::{FaultEngine, lock};
use crate::faults::Faults;

pub(crate) use listener::{Connection, KillableListener};
pub(crate) use middleware::apply_faults;

/// Which system a simulator plays; decides the voice of its fault answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum System {
    Siesa,
    Kong,
    Wms,
}

/// State every simulator keeps besides its own data.
pub(crate) struct SimCommon {
    pub(crate) system: System,
    pub(crate) base_url: String,
    pub(crate) engine: FaultEngine,
    /// The login path, whose answers are never truncated by `malformed_burst`.
    pub(crate) auth_path: &'static str,
    requests: AtomicU64,
    credentials: Mutex<Vec<String>>,
}

impl SimCommon {
    pub(crate) fn new(system: System, base_url: String, seed: u64, faults: Faults, auth_path: &'static str) -> Self {
        Self {
            system,
            base_url,
            engine: FaultEngine::new(seed, faults),
            auth_path,
            requests: AtomicU64::new(0),
            credentials: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Records a user or key name that reached the simulator, accepted or not.
    pub(crate) fn note_credential(&self, name: &str) {
        let mut seen = lock(&self.credentials);
        if !seen.iter().any(|known| known == name) {
            seen.push(name.to_string());
        }
    }

    pub(crate) fn credentials_seen(&self) -> Vec<String> {
        lock(&self.credentials).clone()
    }

    /// The counters every `/_sim/state` answer starts with.
    pub(crate) fn state_summary(&self) -> Value {
        json!({
            "requests": self.requests(),
            "credentials_seen": self.credentials_seen(),
            "faults": self.engine.faults(),
        })
    }
}

/// A running simulator's server task and the means to stop it. Every simulator handle
/// dereferences to it for the controls they share.
pub struct Server {
    pub(crate) common: Arc<SimCommon>,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<io::Result<()>>>>,
}

/// How long a graceful shutdown waits for in-flight requests (a hung one, say) before aborting.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl Server {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.common.base_url.clone()
    }

    /// Replaces the fault knobs; the fault sequence restarts from the seed.
    pub fn set_faults(&self, faults: Faults) {
        self.common.engine.set(faults);
    }

    /// The knobs in force, with what is left of each burst.
    pub fn faults(&self) -> Faults {
        self.common.engine.faults()
    }

    /// API requests received (the `/_sim` controls are not counted).
    pub fn requests(&self) -> u64 {
        self.common.requests()
    }

    /// The user names, keys or Basic-auth users that reached the simulator, accepted or not,
    /// in order of first sight.
    pub fn credentials_seen(&self) -> Vec<String> {
        self.common.credentials_seen()
    }

    /// Stops accepting, lets in-flight requests finish and waits for the server task.
    pub(crate) async fn shutdown(&self) {
        if let Some(stop) = lock(&self.stop).take() {
            let _ = stop.send(());
        }
        let task = lock(&self.task).take();
        if let Some(mut task) = task {
            match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(error))) => tracing::warn!(%error, "simulator server failed"),
                Ok(Err(error)) => tracing::warn!(%error, "simulator server task failed"),
                Err(_) => task.abort(),
            }
        }
    }
}

/// Binds `addr` and returns the listener with the base URL clients should use.
pub(crate) async fn bind(addr: SocketAddr) -> io::Result<(KillableListener, String)> {
    let listener = KillableListener::bind(addr).await?;
    let local = listener.local_addr()?;
    // A wildcard bind is still reached through loopback by tests and the CLI.
    let ip = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Ok((listener, format!("http://{}", SocketAddr::new(ip, local.port()))))
}

/// Serves `app` (plus the shared `/_sim/faults` controls) until `Server::shutdown`.
pub(crate) fn spawn(listener: KillableListener, app: Router, common: Arc<SimCommon>) -> Server {
    let app = app.merge(fault_controls(Arc::clone(&common)));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<Connection>())
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Server { common, stop: Mutex::new(Some(stop)), task: Mutex::new(Some(task)) }
}

fn fault_controls(common: Arc<SimCommon>) -> Router {
    Router::new().route("/_sim/faults", get(get_faults).put(put_faults)).with_state(common)
}

async fn get_faults(State(common): State<Arc<SimCommon>>) -> Response {
    axum::Json(common.engine.faults()).into_response()
}

async fn put_faults(State(common): State<Arc<SimCommon>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(faults) => {
            common.engine.set(faults);
            axum::Json(common.engine.faults()).into_response()
        }
        Err(error) => json_error(StatusCode::BAD_REQUEST, &format!("invalid faults: {error}")),
    }
}

/// A JSON answer with this status.
pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A pre-serialised JSON answer with this status.
pub(crate) fn raw_json(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, "application/json; charset=utf-8")], body).into_response()
}

/// The simulators' own complaint about a malformed request to a `/_sim` control.
pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    json_response(status, json!({ "error": message }))
}

/// Parses a request body as JSON, with a message fit for a 400.
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|error| format!("body is not valid JSON: {error}"))
}
