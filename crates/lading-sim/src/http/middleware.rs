//! Applies the fault engine's verdict to each API request, answering in each system's own
//! voice: IIS HTML for Siesa, Django and nginx for Kong, API Gateway JSON for the WMS.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{Connection, SimCommon, System, json_response};
use crate::fault_engine::Verdict;
use crate::faults::RetryAfterStyle;

pub(crate) async fn apply_faults(State(common): State<Arc<SimCommon>>, request: Request, next: Next) -> Response {
    common.count_request();
    let (latency, verdict) = common.engine.decide();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let system = common.system;
    match verdict {
        Verdict::Pass => {}
        Verdict::Reset => return reset(&request),
        Verdict::Hang(hang) => {
            // Processed first: the client that gave up cannot know whether its write landed,
            // which is exactly the ambiguity idempotent clients must survive.
            let response = next.run(request).await;
            tokio::time::sleep(hang).await;
            return match system {
                System::Wms => {
                    json_response(StatusCode::GATEWAY_TIMEOUT, json!({"message": "Endpoint request timed out"}))
                }
                System::Siesa | System::Kong => response,
            };
        }
        Verdict::Burst500 => return server_error(system),
        Verdict::Throttle(style) => return throttled(system, style),
        Verdict::RandomFailure { alternate } => return random_failure(system, alternate),
    }
    let is_login = request.uri().path() == common.auth_path;
    let response = next.run(request).await;
    if !is_login && response.status().is_success() && common.engine.take_malformed() {
        return truncate(response).await;
    }
    response
}

fn reset(request: &Request) -> Response {
    match request.extensions().get::<ConnectInfo<Connection>>() {
        Some(ConnectInfo(connection)) => {
            connection.kill();
            // Never written: the killed stream fails the write and the socket is reset.
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        None => {
            tracing::warn!("reset_burst needs the simulator's own listener; answering 500");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

const IIS_500: &str = "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \
\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n<html xmlns=\"http://www.w3.org/1999/xhtml\">\r\n\
<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"/>\r\n\
<title>500 - Internal server error.</title>\r\n</head>\r\n<body>\r\n<div id=\"header\"><h1>Server Error</h1></div>\r\n\
<div id=\"content\">\r\n <div class=\"content-container\"><fieldset>\r\n  \
<h2>500 - Internal server error.</h2>\r\n  \
<h3>There is a problem with the resource you are looking for, and it cannot be displayed.</h3>\r\n \
</fieldset></div>\r\n</div>\r\n</body>\r\n</html>\r\n";

const DJANGO_500: &str = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  \
<title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n";

const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

fn html(status: StatusCode, body: &'static str) -> Response {
    (status, [(CONTENT_TYPE, "text/html")], body).into_response()
}

fn server_error(system: System) -> Response {
    match system {
        System::Siesa => html(StatusCode::INTERNAL_SERVER_ERROR, IIS_500),
        System::Kong => html(StatusCode::INTERNAL_SERVER_ERROR, DJANGO_500),
        System::Wms => json_response(StatusCode::INTERNAL_SERVER_ERROR, json!({"message": "Internal server error"})),
    }
}

fn random_failure(system: System, alternate: bool) -> Response {
    match (system, alternate) {
        (System::Siesa, _) => html(StatusCode::INTERNAL_SERVER_ERROR, IIS_500),
        (System::Kong, false) => html(StatusCode::BAD_GATEWAY, NGINX_502),
        (System::Kong, true) => json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"detail": "Service temporarily unavailable, try again later."}),
        ),
        (System::Wms, false) => json_response(StatusCode::BAD_GATEWAY, json!({"message": "Internal server error"})),
        (System::Wms, true) => {
            json_response(StatusCode::SERVICE_UNAVAILABLE, json!({"message": "Service Unavailable"}))
        }
    }
}

fn throttled(system: System, style: RetryAfterStyle) -> Response {
    let mut response = match system {
        // API Gateway throttles without saying when to come back, whatever the knob says.
        System::Wms => {
            return json_response(StatusCode::TOO_MANY_REQUESTS, json!({"message": "Too Many Requests"}));
        }
        System::Siesa => json_response(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"Message": "Se ha superado el limite de solicitudes. Intente mas tarde."}),
        ),
        System::Kong => {
            let detail = match style.seconds() {
                Some(seconds) => {
                    format!("Request was throttled. Expected available in {seconds} seconds.")
                }
                None => "Request was throttled.".to_string(),
            };
            json_response(StatusCode::TOO_MANY_REQUESTS, json!({ "detail": detail }))
        }
    };
    let header = match style {
        RetryAfterStyle::Seconds(seconds) => Some(seconds.to_string()),
        RetryAfterStyle::HttpDate(seconds) => {
            Some(httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(seconds)))
        }
        RetryAfterStyle::None => None,
    };
    if let Some(value) = header.and_then(|value| HeaderValue::from_str(&value).ok()) {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// Cuts the body in half, keeping status and headers: a proxy that dropped the tail.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::warn!(%error, "could not buffer a response to truncate");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let keep = bytes.len() / 2;
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes.slice(..keep)))
}
