//! Applies the shared fault engine's verdicts in the voice of SAP behind an API gateway: ICF
//! HTML for a short dump, gateway JSON for 429 (never a `Retry-After`), 502, 503 and the 504
//! after a hang, and a connection reset that is a real RST.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::fault_engine::Verdict;
use crate::http::{Connection, SimCommon, json_response};

/// The page the ICF answers with when the handler dumps (`RABAX_STATE`).
pub(crate) const ICF_500: &str = "<html><head><title>Application Server Error</title>\
<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head>\
<body><h1>500 SAP Internal Server Error</h1>\
<p>ERROR: Access via 'NULL' object reference not possible. (termination: RABAX_STATE)</p>\
<hr><p>Server time: see system log, transaction ST22 for the short dump.</p></body></html>";

pub(crate) async fn apply_faults(State(common): State<Arc<SimCommon>>, request: Request, next: Next) -> Response {
    common.count_request();
    let (latency, verdict) = common.engine.decide();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match verdict {
        Verdict::Pass => {}
        Verdict::Reset => {
            if let Some(ConnectInfo(connection)) = request.extensions().get::<ConnectInfo<Connection>>() {
                connection.kill();
            }
            // Never written when the connection is killed.
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Verdict::Hang(hang) => {
            // The function module runs; the gateway gives up waiting for it (29 s in production).
            let _ = next.run(request).await;
            tokio::time::sleep(hang).await;
            return json_response(StatusCode::GATEWAY_TIMEOUT, json!({"message": "Endpoint request timed out"}));
        }
        Verdict::Burst500 => {
            return (StatusCode::INTERNAL_SERVER_ERROR, [(CONTENT_TYPE, "text/html; charset=utf-8")], ICF_500)
                .into_response();
        }
        // API Gateway throttles without saying when to come back, whatever the knob says.
        Verdict::Throttle(_) => {
            return json_response(StatusCode::TOO_MANY_REQUESTS, json!({"message": "Too Many Requests"}));
        }
        Verdict::RandomFailure { alternate: false } => {
            return json_response(StatusCode::BAD_GATEWAY, json!({"message": "Internal server error"}));
        }
        Verdict::RandomFailure { alternate: true } => {
            return json_response(StatusCode::SERVICE_UNAVAILABLE, json!({"message": "Service Unavailable"}));
        }
    }
    let response = next.run(request).await;
    if response.status().is_success() && common.engine.take_malformed() {
        return truncate(response).await;
    }
    response
}

/// Cuts the body in half, keeping status and headers: a proxy that dropped the tail.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    match to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            parts.headers.remove(CONTENT_LENGTH);
            let keep = bytes.len() / 2;
            Response::from_parts(parts, Body::from(bytes.slice(..keep)))
        }
        Err(error) => {
            tracing::warn!(%error, "could not buffer a response to truncate");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
