//! Helpers shared by the simulator tests: a loopback address and a plain HTTP client.

use std::net::SocketAddr;
use std::time::Duration;

pub fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("a reqwest client")
}

/// A client that gives up quickly, for `timeout_burst`.
pub fn impatient_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().expect("a reqwest client")
}

/// Status and JSON body of a response (`Null` when the body is not JSON).
pub async fn status_and_json(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}
