//! The shared HTTP client against the simulators: what it retries, how long it waits, and what
//! it never retries.

mod common;

use common::{adapter_context, fast_settings, loopback, settings_with_attempts, siesa_sim, siesa_source, tenant};
use lading_connect::{ApiRequest, ClientSettings, ErrorKind, HttpClient};
use lading_sim::faults::{Faults, RetryAfterStyle};
use lading_sim::kong::{KongAccount, KongConfig, KongSim};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn bursts_of_500_are_retried() {
    let sim = siesa_sim(50, Faults { error_burst: 3, ..Faults::default() }).await;
    let source = siesa_source(&sim, "acme", 100, fast_settings());
    let extract = source.extract().await.expect("the burst is absorbed by retries");
    assert_eq!(extract.records.len(), 50);
    assert_eq!(source.client().stats().retries, 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_500_that_does_not_stop_fails_after_max_attempts() {
    let sim = siesa_sim(50, Faults { error_burst: 100, ..Faults::default() }).await;
    let error = siesa_source(&sim, "acme", 100, settings_with_attempts(3)).extract().await.expect_err("never recovers");
    assert_eq!(error.kind(), &ErrorKind::Server { status: 500 });
    assert!(error.is_retryable());
    let message = error.to_string();
    assert!(
        message.starts_with(
            "tenant acme: siesa failed GET /api/siesa/v3/ejecutarconsultaestandar with 500 after 3 attempts"
        ),
        "{message}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn retry_after_in_seconds_is_honoured() {
    let faults = Faults {
        throttle_after: Some(0),
        throttle_count: 1,
        retry_after: RetryAfterStyle::Seconds(1),
        ..Faults::default()
    };
    let sim = siesa_sim(5, faults).await;
    let started = Instant::now();
    let extract = siesa_source(&sim, "acme", 100, fast_settings()).extract().await.expect("throttling is waited out");
    let waited = started.elapsed();
    assert_eq!(extract.records.len(), 5);
    assert!(waited >= Duration::from_millis(900), "waited only {waited:?}: Retry-After 1 s was ignored");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let faults = Faults {
        throttle_after: Some(0),
        throttle_count: 1,
        retry_after: RetryAfterStyle::HttpDate(2),
        ..Faults::default()
    };
    let sim = siesa_sim(5, faults).await;
    let started = Instant::now();
    let extract = siesa_source(&sim, "acme", 100, fast_settings()).extract().await.expect("throttling is waited out");
    let waited = started.elapsed();
    assert_eq!(extract.records.len(), 5);
    // The date has a resolution of one second: "now + 2 s" is 1 to 2 s away.
    assert!(waited >= Duration::from_millis(900), "waited only {waited:?}: the Retry-After date was ignored");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn endless_throttling_ends_in_a_throttled_error_with_its_retry_after() {
    let faults = Faults {
        throttle_after: Some(0),
        throttle_count: 0,
        retry_after: RetryAfterStyle::Seconds(0),
        ..Faults::default()
    };
    let sim = siesa_sim(5, faults).await;
    let error = siesa_source(&sim, "acme", 100, settings_with_attempts(3)).extract().await.expect_err("never lets up");
    assert_eq!(error.kind(), &ErrorKind::Throttled);
    assert_eq!(error.retry_after(), Some(Duration::ZERO));
    assert!(error.to_string().contains("(429) after 3 attempts: lower rate_limit_per_sec"), "{error}");
    sim.shutdown().await;
}

#[tokio::test]
async fn timeouts_are_retried() {
    let faults = Faults { timeout_burst: 2, hang_ms: 1_500, ..Faults::default() };
    let sim = siesa_sim(20, faults).await;
    let settings = ClientSettings { timeout: Duration::from_millis(300), ..fast_settings() };
    let source = siesa_source(&sim, "acme", 100, settings);
    let extract = source.extract().await.expect("timeouts are retried");
    assert_eq!(extract.records.len(), 20);
    assert_eq!(source.client().stats().retries, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_timeout_that_persists_names_the_timeout() {
    let faults = Faults { timeout_burst: 100, hang_ms: 1_000, ..Faults::default() };
    let sim = siesa_sim(20, faults).await;
    let settings = ClientSettings { timeout: Duration::from_millis(100), ..settings_with_attempts(2) };
    let error = siesa_source(&sim, "acme", 100, settings).extract().await.expect_err("always too slow");
    assert_eq!(error.kind(), &ErrorKind::Timeout);
    assert!(error.to_string().contains("within 100 ms after 2 attempts"), "{error}");
    sim.shutdown().await;
}

#[tokio::test]
async fn connection_resets_are_retried() {
    let sim = siesa_sim(20, Faults { reset_burst: 3, ..Faults::default() }).await;
    let source = siesa_source(&sim, "acme", 100, fast_settings());
    let extract = source.extract().await.expect("resets are retried");
    assert_eq!(extract.records.len(), 20);
    assert_eq!(source.client().stats().retries, 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_truncated_json_page_is_fetched_again() {
    let sim = siesa_sim(20, Faults { malformed_burst: 2, ..Faults::default() }).await;
    let source = siesa_source(&sim, "acme", 100, fast_settings());
    let extract = source.extract().await.expect("truncated pages are retried");
    assert_eq!(extract.records.len(), 20);
    assert_eq!(source.client().stats().retries, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    // Bind and drop: nothing listens there any more.
    let port =
        std::net::TcpListener::bind(loopback()).and_then(|listener| listener.local_addr()).expect("a free port").port();
    let client = HttpClient::new(&tenant("acme"), "wms", settings_with_attempts(2)).expect("valid settings");
    let error =
        client.send(ApiRequest::get(format!("http://127.0.0.1:{port}/products"))).await.expect_err("nobody listens");
    assert_eq!(error.kind(), &ErrorKind::Unreachable);
    assert!(error.is_retryable());
    assert!(error.to_string().starts_with("tenant acme: wms could not be reached for GET /products"), "{error}");
    assert_eq!(client.stats().attempts, 2, "connect failures are retried");
}

async fn kong_with_token() -> (KongSim, HttpClient, String) {
    let sim = lading_sim::kong::start(
        KongConfig { seed: 1, accounts: vec![KongAccount::new("ops", "pw-1", "1")], faults: Faults::default() },
        loopback(),
    )
    .await
    .expect("kong simulator starts");
    let client = HttpClient::new(&tenant("acme"), "kong", fast_settings()).expect("valid settings");
    let login = client
        .send(
            ApiRequest::post(format!("{}/auth/token/login/", sim.base_url()))
                .json(&json!({"username": "ops", "password": "pw-1"}))
                .retry_safe(),
        )
        .await
        .expect("login answers");
    let token = login.json["auth_token"].as_str().expect("a token").to_string();
    (sim, client, token)
}

#[tokio::test]
async fn a_post_without_idempotency_key_is_not_retried_on_503() {
    let (sim, client, token) = kong_with_token().await;
    sim.set_faults(Faults { transient_fail_items: vec!["X-1".into()], transient_failures: 5, ..Faults::default() });
    let before = sim.requests();
    let create = ApiRequest::post(format!("{}/inventory/skus/", sim.base_url()))
        .header("authorization", format!("Token {token}"))
        .json(&json!({"external_id": "X-1", "name": "Chair"}));
    let error = client.send(create).await.expect_err("503 is returned, not retried");
    assert_eq!(error.kind(), &ErrorKind::Server { status: 503 });
    assert_eq!(sim.requests() - before, 1, "a post without a key is sent once");
    assert!(error.to_string().contains("not retried: a post without an idempotency key"), "{error}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_post_with_an_idempotency_key_is_retried_on_503() {
    let (sim, client, token) = kong_with_token().await;
    sim.set_faults(Faults { transient_fail_items: vec!["X-2".into()], transient_failures: 2, ..Faults::default() });
    let before = sim.requests();
    let create = ApiRequest::post(format!("{}/inventory/skus/", sim.base_url()))
        .header("authorization", format!("Token {token}"))
        .json(&json!({"external_id": "X-2", "name": "Chair"}))
        .idempotency_key("batch-1");
    let response = client.send(create).await.expect("retried until it lands");
    assert_eq!(response.status, 201);
    assert_eq!(response.attempts, 3);
    assert_eq!(sim.requests() - before, 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_rate_limit_spaces_requests() {
    let sim = siesa_sim(1, Faults::default()).await;
    let settings = ClientSettings { rate_limit_per_sec: 20, ..fast_settings() };
    let client = HttpClient::new(&tenant("acme"), "siesa", settings).expect("valid settings");
    let started = Instant::now();
    for _ in 0..40 {
        client.send(ApiRequest::get(format!("{}/_sim/state", sim.base_url()))).await.expect("state answers");
    }
    let elapsed = started.elapsed();
    // A burst of 20, then 20 more at 20 per second.
    assert!(elapsed >= Duration::from_millis(900), "40 requests at 20/s took only {elapsed:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_settings_are_config_errors() {
    let settings = ClientSettings { rate_limit_per_sec: 0, ..fast_settings() };
    let error = HttpClient::new(&tenant("acme"), "kong", settings).expect_err("zero rate");
    assert_eq!(error.kind(), &ErrorKind::Config);
    assert_eq!(error.to_string(), "tenant acme: kong client settings: rate_limit_per_sec must be at least 1");
    let context = adapter_context("acme", "not a url".into(), "ops", "pw", fast_settings());
    let client = HttpClient::new(&context.tenant, "kong", context.settings).expect("valid settings");
    let error = client.send(ApiRequest::get("not a url")).await.expect_err("bad url");
    assert_eq!(error.kind(), &ErrorKind::Config);
}
