//! The SAP source against the SAP simulator on loopback: paging, one-row tables, `ET_RETURN`
//! errors, wrong credentials, and the gateway's 429 / 502 / 504 retried.

mod common;

use common::{fast_settings, loopback, settings_with_attempts, tenant};
use lading_connect::sources::sap::{SYSTEM, SapClient, SapCredentials, SapEndpoint};
use lading_connect::{ClientSettings, ErrorKind, HttpClient};
use lading_core::Secret;
use lading_sim::faults::Faults;
use lading_sim::sap::{self, DatasetSize, SapConfig, SapSim, SapUser};
use serde_json::{Map, Value, json};

const USER: &str = "LADING_RFC";
const PASSWORD: &str = "sap-pass-7f3c";

async fn sap_sim(faults: Faults) -> SapSim {
    let config = SapConfig {
        seed: 11,
        users: vec![SapUser::new(USER, PASSWORD, "100")],
        faults,
        dataset: DatasetSize::Small,
        ..SapConfig::default()
    };
    sap::start(config, loopback()).await.expect("sap simulator starts")
}

fn client_for(base_url: String, page_size: usize, password: &str, settings: ClientSettings) -> SapClient {
    let tenant = tenant("ergo");
    let http = HttpClient::new(&tenant, SYSTEM, settings).expect("valid settings");
    let endpoint = SapEndpoint {
        base_url,
        client: "100".into(),
        page_size,
        credentials: SapCredentials { username: USER.into(), password: Secret::new(password) },
        secret_name: "sap-integration/ergo/sap".into(),
    };
    SapClient::new(http, endpoint).expect("valid endpoint")
}

fn no_params() -> Map<String, Value> {
    Map::new()
}

fn params(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

#[tokio::test]
async fn every_row_is_read_page_by_page_until_e_total() {
    let sim = sap_sim(Faults::default()).await;
    let whole = client_for(sim.base_url(), 5_000, PASSWORD, fast_settings())
        .read_table("ZEMM005", "ET_MATERIAL", &no_params())
        .await
        .unwrap();
    let paged = client_for(sim.base_url(), 7, PASSWORD, fast_settings())
        .read_table("ZEMM005", "ET_MATERIAL", &no_params())
        .await
        .unwrap();
    let total = whole.total.expect("E_TOTAL") as usize;
    assert!(total > 7, "the small dataset still needs several pages: {total}");
    assert_eq!(whole.rows("ET_MATERIAL").len(), total);
    assert_eq!(paged.rows("ET_MATERIAL"), whole.rows("ET_MATERIAL"), "same rows, same order, none twice");
    assert_eq!(paged.pages.len(), total.div_ceil(7));
    assert_eq!(paged.requests as usize, paged.pages.len());
    assert_eq!(paged.pages[1].skip, 7);
    assert!(paged.messages.iter().all(|m| m.kind == "S"), "success messages are kept: {:?}", paged.messages);
    let first: Value = serde_json::from_str(&paged.pages[0].body).unwrap();
    assert_eq!(first["E_TOTAL"], json!(total.to_string()), "pages are kept as sap sent them");
}

#[tokio::test]
async fn one_row_pages_sent_as_objects_are_read_as_rows() {
    let sim = sap_sim(Faults::default()).await;
    let read = client_for(sim.base_url(), 1, PASSWORD, fast_settings())
        .read_table("ZTIOR_TARIFF", "ET_TARIFF", &no_params())
        .await
        .unwrap();
    assert_eq!(read.rows("ET_TARIFF").len(), sim.dataset().tariff_rules.len());
    let page: Value = serde_json::from_str(&read.pages[0].body).unwrap();
    assert!(page["ET_TARIFF"].is_object(), "the middleware sent one row as an object: {page}");
}

#[tokio::test]
async fn billing_pages_carry_their_customs_lines() {
    let sim = sap_sim(Faults::default()).await;
    let window = params(json!({"I_FKDAT_FROM": "20250101", "I_FKDAT_TO": "20261231"}));
    let read = client_for(sim.base_url(), 50, PASSWORD, fast_settings())
        .read("ZSDR002", &["ET_BILLING", "ET_CUSTOMS"], &window)
        .await
        .unwrap();
    assert_eq!(read.rows("ET_BILLING").len(), sim.dataset().billing.len());
    assert!(!read.rows("ET_CUSTOMS").is_empty());
    assert!(read.pages.len() > 1);
}

#[tokio::test]
async fn an_error_in_et_return_fails_the_read_naming_the_fm_and_the_message() {
    let sim = sap_sim(Faults::default()).await;
    let backwards = params(json!({"I_FKDAT_FROM": "20251231", "I_FKDAT_TO": "20250101"}));
    let error = client_for(sim.base_url(), 500, PASSWORD, fast_settings())
        .read("ZSDR002", &["ET_BILLING", "ET_CUSTOMS"], &backwards)
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::QueryFailed { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.starts_with("tenant ergo: sap function module ZSDR002 answered E message"), "{message}");
    assert!(
        message.contains("empty") && message.contains("I_FKDAT_FROM"),
        "names sap's message and the parameters: {message}"
    );
    assert!(message.contains("check the parameters"), "says what to do: {message}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn wrong_credentials_name_the_tenant_and_the_secret_never_the_password() {
    let sim = sap_sim(Faults::default()).await;
    let error = client_for(sim.base_url(), 500, "wrong-password-123", fast_settings())
        .read_table("ZFMIOR002", "ET_WEIGHTS", &no_params())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Unauthorized);
    let message = error.to_string();
    assert!(message.starts_with("tenant ergo: sap rejected the credentials (401)"), "{message}");
    assert!(message.contains("secret sap-integration/ergo/sap"), "{message}");
    assert!(!message.contains("wrong-password-123") && !format!("{error:?}").contains("wrong-password-123"));
    assert_eq!(sim.requests(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn gateway_429_without_retry_after_502_and_504_are_retried() {
    let faults = Faults { throttle_after: Some(0), throttle_count: 2, ..Faults::default() };
    let sim = sap_sim(faults).await;
    let client = client_for(sim.base_url(), 500, PASSWORD, settings_with_attempts(6));
    let read = client.read_table("ZTIOR_HTS", "ET_HTS", &no_params()).await.expect("the read recovers from 429");
    assert_eq!(read.rows("ET_HTS").len(), sim.dataset().hts.len());
    assert_eq!(client.http().stats().retries, 2, "two throttled attempts retried");

    sim.set_faults(Faults { timeout_burst: 1, hang_ms: 10, ..Faults::default() });
    let read = client.read_table("ZTIOR_HTS", "ET_HTS", &no_params()).await.expect("the read recovers from 504");
    assert_eq!(read.rows("ET_HTS").len(), sim.dataset().hts.len());

    sim.set_faults(Faults { error_rate: 0.5, ..Faults::default() });
    let before = client.http().stats().retries;
    let read = client.read_table("ZEMM005", "ET_MATERIAL", &no_params()).await.expect("the read recovers from 502/503");
    assert!(!read.rows("ET_MATERIAL").is_empty());
    assert!(client.http().stats().retries > before, "some 502/503 answers were retried");
}

#[tokio::test]
async fn an_unreachable_sap_fails_after_the_retries() {
    let listener = std::net::TcpListener::bind(loopback()).unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = client_for(base_url, 500, PASSWORD, settings_with_attempts(3));
    let error = client.read_table("ZFMIOR002", "ET_WEIGHTS", &no_params()).await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Unreachable);
    assert!(error.is_retryable());
    assert_eq!(client.http().stats().attempts, 3);
}

#[tokio::test]
async fn a_bad_page_size_or_fm_name_is_a_config_error() {
    let tenant = tenant("ergo");
    let http = HttpClient::new(&tenant, SYSTEM, fast_settings()).unwrap();
    let endpoint = SapEndpoint {
        base_url: "http://127.0.0.1:1".into(),
        client: "100".into(),
        page_size: 0,
        credentials: SapCredentials { username: USER.into(), password: Secret::new(PASSWORD) },
        secret_name: "sap-integration/ergo/sap".into(),
    };
    let error = SapClient::new(http, endpoint).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Config);
    let client = client_for("http://127.0.0.1:1".into(), 10, PASSWORD, fast_settings());
    let error = client.read_table("../ZFM", "ET_X", &no_params()).await.unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Config);
}
