//! Transport faults shared by all simulators: throttling with each `Retry-After` style, resets,
//! hangs, 5xx bursts and rates, truncated bodies, latency, and the HTTP fault controls.

use std::time::{Duration, Instant, SystemTime};

use lading_sim::faults::{Faults, RetryAfterStyle};
use lading_sim::kong::{self, KongConfig, KongSim};
use lading_sim::siesa::{self, SiesaCompany, SiesaConfig, SiesaSim};
use lading_sim::wms::{self, WmsConfig, WmsSim};
use serde_json::{Value, json};

use crate::support::{any_port, client, impatient_client, status_and_json};

async fn small_siesa(seed: u64) -> SiesaSim {
    siesa::start(
        SiesaConfig {
            seed,
            companies: vec![SiesaCompany { items: 50, ..SiesaCompany::default() }],
            faults: Faults::default(),
        },
        any_port(),
    )
    .await
    .expect("siesa starts")
}

fn siesa_request(client: &reqwest::Client, sim: &SiesaSim) -> reqwest::RequestBuilder {
    let company = SiesaCompany::default();
    client
        .get(format!(
            "{}/api/siesa/v3/ejecutarconsultaestandar?idCompania=1&descripcion=API_v2_Items&paginacion=numPag=1|tamPag=10",
            sim.base_url()
        ))
        .header("ConniKey", company.conni_key)
        .header("ConniToken", company.conni_token)
}

async fn kong_with_token(client: &reqwest::Client) -> (KongSim, String) {
    let sim = kong::start(KongConfig::default(), any_port()).await.expect("kong starts");
    let account = lading_sim::kong::KongAccount::default();
    let response = client
        .post(format!("{}/auth/token/login/", sim.base_url()))
        .json(&json!({"username": account.username, "password": account.password}))
        .send()
        .await
        .expect("kong answers");
    let (_, body) = status_and_json(response).await;
    let token = body["auth_token"].as_str().unwrap_or_default().to_string();
    (sim, token)
}

async fn wms_with_token(client: &reqwest::Client) -> (WmsSim, String) {
    let sim = wms::start(WmsConfig::default(), any_port()).await.expect("wms starts");
    let user = lading_sim::wms::WmsUser::default();
    let response = client
        .post(format!("{}/auth", sim.base_url()))
        .json(&json!({"username": user.username, "password": user.password}))
        .send()
        .await
        .expect("wms answers");
    let (_, body) = status_and_json(response).await;
    let token = body["token"].as_str().unwrap_or_default().to_string();
    (sim, token)
}

fn throttle(style: RetryAfterStyle) -> Faults {
    Faults { throttle_after: Some(0), throttle_count: 1, retry_after: style, ..Faults::default() }
}

#[tokio::test]
async fn a_429_says_when_to_retry_in_each_style() {
    let client = client();
    let sim = small_siesa(1).await;
    sim.set_faults(throttle(RetryAfterStyle::Seconds(3)));
    let response = siesa_request(&client, &sim).send().await.expect("answer");
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(siesa_request(&client, &sim).send().await.expect("answer").status().as_u16(), 200);

    sim.set_faults(throttle(RetryAfterStyle::HttpDate(30)));
    let response = siesa_request(&client, &sim).send().await.expect("answer");
    assert_eq!(response.status().as_u16(), 429);
    let header = response.headers()["retry-after"].to_str().unwrap_or_default().to_string();
    let date = httpdate::parse_http_date(&header).expect("an HTTP date");
    let ahead = date.duration_since(SystemTime::now()).unwrap_or_default();
    assert!(ahead > Duration::from_secs(25) && ahead <= Duration::from_secs(31), "{ahead:?}");

    sim.set_faults(throttle(RetryAfterStyle::None));
    let response = siesa_request(&client, &sim).send().await.expect("answer");
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().get("retry-after").is_none());
    sim.shutdown().await;

    let (kong, token) = kong_with_token(&client).await;
    kong.set_faults(throttle(RetryAfterStyle::Seconds(7)));
    let response = client
        .get(format!("{}/inventory/skus/", kong.base_url()))
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.headers()["retry-after"], "7");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 429);
    assert_eq!(body, json!({"detail": "Request was throttled. Expected available in 7 seconds."}));
    kong.shutdown().await;

    // API Gateway never says when: no Retry-After whatever the style.
    let (wms, token) = wms_with_token(&client).await;
    wms.set_faults(throttle(RetryAfterStyle::Seconds(7)));
    let response = client
        .get(format!("{}/products", wms.base_url()))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("answer");
    assert!(response.headers().get("retry-after").is_none());
    let (status, body) = status_and_json(response).await;
    assert_eq!((status, body), (429, json!({"message": "Too Many Requests"})));
    wms.shutdown().await;
}

#[tokio::test]
async fn a_reset_closes_the_connection_without_an_answer() {
    let client = client();
    let sim = small_siesa(1).await;
    // Warm a pooled connection first: the reset must hit a kept-alive connection too.
    assert_eq!(siesa_request(&client, &sim).send().await.expect("answer").status().as_u16(), 200);
    sim.set_faults(Faults { reset_burst: 2, ..Faults::default() });
    for _ in 0..2 {
        let outcome = siesa_request(&client, &sim).send().await;
        let error = outcome.expect_err("no answer at all");
        assert!(error.status().is_none() && !error.is_timeout(), "{error:?}");
    }
    assert_eq!(siesa_request(&client, &sim).send().await.expect("answer").status().as_u16(), 200);
    assert_eq!(sim.faults().reset_burst, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_hang_outlasts_the_client_timeout_but_the_write_lands() {
    let client = client();
    let (sim, token) = kong_with_token(&client).await;
    sim.set_faults(Faults { timeout_burst: 1, hang_ms: 1500, ..Faults::default() });
    let impatient = impatient_client(Duration::from_millis(300));
    let outcome = impatient
        .post(format!("{}/inventory/skus/bulk/", sim.base_url()))
        .header("Authorization", format!("Token {token}"))
        .header("Idempotency-Key", "hung")
        .json(&json!({"items": [{"external_id": "A", "name": "Uno"}]}))
        .send()
        .await;
    assert!(outcome.err().is_some_and(|error| error.is_timeout()));
    assert_eq!(sim.skus(&lading_sim::kong::KongAccount::default().username).len(), 1);
    sim.shutdown().await;

    let (wms, token) = wms_with_token(&client).await;
    wms.set_faults(Faults { timeout_burst: 1, hang_ms: 50, ..Faults::default() });
    let response = client
        .get(format!("{}/products", wms.base_url()))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("answer");
    let (status, body) = status_and_json(response).await;
    assert_eq!((status, body), (504, json!({"message": "Endpoint request timed out"})));
    wms.shutdown().await;
}

#[tokio::test]
async fn an_error_burst_answers_500_from_iis_and_counts_down() {
    let client = client();
    let sim = small_siesa(1).await;
    sim.set_faults(Faults { error_burst: 2, ..Faults::default() });
    let response = siesa_request(&client, &sim).send().await.expect("answer");
    assert_eq!(response.status().as_u16(), 500);
    assert!(response.headers()["content-type"].to_str().unwrap_or_default().starts_with("text/html"));
    assert!(response.text().await.unwrap_or_default().contains("500 - Internal server error."));
    assert_eq!(sim.faults().error_burst, 1);
    assert_eq!(siesa_request(&client, &sim).send().await.expect("answer").status().as_u16(), 500);
    assert_eq!(siesa_request(&client, &sim).send().await.expect("answer").status().as_u16(), 200);
    assert_eq!(sim.requests(), 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_error_rate_replays_exactly_with_the_same_seed() {
    let client = client();
    let mut runs = Vec::new();
    for seed in [5, 5, 6] {
        let sim = small_siesa(seed).await;
        sim.set_faults(Faults { error_rate: 0.4, ..Faults::default() });
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(siesa_request(&client, &sim).send().await.expect("answer").status().as_u16());
        }
        runs.push(statuses);
        sim.shutdown().await;
    }
    assert_eq!(runs[0], runs[1]);
    assert_ne!(runs[0], runs[2]);
    let failures = runs[0].iter().filter(|status| **status == 500).count();
    assert!((6..=28).contains(&failures), "{failures} of 40");
}

#[tokio::test]
async fn a_malformed_burst_truncates_data_but_not_logins() {
    let client = client();
    let (sim, token) = kong_with_token(&client).await;
    sim.set_faults(Faults { malformed_burst: 1, ..Faults::default() });
    let account = lading_sim::kong::KongAccount::default();
    let login = client
        .post(format!("{}/auth/token/login/", sim.base_url()))
        .json(&json!({"username": account.username, "password": account.password}))
        .send()
        .await
        .expect("answer");
    assert!(login.json::<Value>().await.is_ok(), "logins are never truncated");
    let response = client
        .get(format!("{}/inventory/skus/", sim.base_url()))
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.unwrap_or_default();
    assert!(!text.is_empty() && serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(sim.faults().malformed_burst, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn latency_is_added_to_every_request() {
    let client = client();
    let sim = small_siesa(1).await;
    sim.set_faults(Faults { latency_ms: 150, ..Faults::default() });
    let started = Instant::now();
    assert_eq!(siesa_request(&client, &sim).send().await.expect("answer").status().as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_can_be_driven_over_http() {
    let client = client();
    let sim = small_siesa(1).await;
    let faults_url = format!("{}/_sim/faults", sim.base_url());
    let response = client
        .put(&faults_url)
        .json(&json!({"error_burst": 1, "retry_after": {"http_date": 5}}))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(sim.faults().error_burst, 1);
    assert_eq!(sim.faults().retry_after, RetryAfterStyle::HttpDate(5));
    let (status, body) = status_and_json(client.get(&faults_url).send().await.expect("answer")).await;
    assert_eq!((status, body["error_burst"].clone()), (200, json!(1)));
    let bad = client.put(&faults_url).json(&json!({"eror_burst": 1})).send().await.expect("answer");
    assert_eq!(bad.status().as_u16(), 400);
    // The controls are not API traffic: faults do not touch them and they are not counted.
    assert_eq!(sim.requests(), 0);
    let (status, body) =
        status_and_json(client.get(format!("{}/_sim/state", sim.base_url())).send().await.expect("answer")).await;
    assert_eq!(status, 200);
    assert_eq!(body["requests"], 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let client = client();
    let sim = small_siesa(1).await;
    let base = sim.base_url();
    let handle = sim.clone();
    assert_eq!(siesa_request(&client, &sim).send().await.expect("answer").status().as_u16(), 200);
    sim.shutdown().await;
    // A clone still answers questions about what happened.
    assert_eq!(handle.requests(), 1);
    let after = reqwest::Client::new().get(format!("{base}/_sim/faults")).send().await;
    assert!(after.is_err());
}
