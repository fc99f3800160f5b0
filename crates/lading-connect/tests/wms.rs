//! The WMS adapter against the WMS simulator: creates, 409 → patch, token expiry, failures.

mod common;

use common::{adapter_context, fast_settings, loopback, records, settings_with_attempts};
use lading_connect::adapters::wms::WmsAdapter;
use lading_connect::{ClientSettings, ErrorKind, ItemResult, ProductAdapter};
use lading_sim::faults::Faults;
use lading_sim::wms::{WmsConfig, WmsSim, WmsUser};
use std::time::Instant;

const USER: &str = "acme-wms";
const PASSWORD: &str = "wms-pw-4242";

async fn wms_sim(faults: Faults) -> WmsSim {
    let config =
        WmsConfig { seed: 5, users: vec![WmsUser::new(USER, PASSWORD)], faults, jwt_secret: "test-jwt-secret".into() };
    lading_sim::wms::start(config, loopback()).await.expect("wms simulator starts")
}

fn adapter(sim: &WmsSim, settings: ClientSettings) -> WmsAdapter {
    WmsAdapter::new(adapter_context("acme", sim.base_url(), USER, PASSWORD, settings)).expect("valid context")
}

#[tokio::test]
async fn ten_thousand_products_load_in_a_few_seconds() {
    let sim = wms_sim(Faults::default()).await;
    let wms = adapter(&sim, fast_settings());
    let all = records("w", 10_000);
    let started = Instant::now();
    for (n, batch) in all.chunks(100).enumerate() {
        let outcomes = wms.load_batch(batch, &format!("batch-{n}")).await.expect("batch loads");
        assert_eq!(outcomes.len(), batch.len());
        for (outcome, record) in outcomes.iter().zip(batch) {
            assert_eq!(outcome.external_id, record.external_id, "outcomes follow input order");
            assert_eq!(outcome.result, ItemResult::Created, "{}", outcome.external_id);
        }
    }
    let elapsed = started.elapsed();
    eprintln!("10,000 wms products loaded in {elapsed:?}");
    assert!(elapsed.as_secs() < 20, "10,000 products took {elapsed:?}");
    assert_eq!(sim.products(USER).len(), 10_000);
    assert_eq!(sim.stats(USER).logins, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_is_found_and_patched() {
    let sim = wms_sim(Faults::default()).await;
    let batch = records("w", 20);
    let first = adapter(&sim, fast_settings());
    first.load_batch(&batch, "b1").await.expect("batch loads");
    // A second adapter (a new run) knows no ids: its creates answer 409.
    let second = adapter(&sim, fast_settings());
    let outcomes = second.load_batch(&batch, "b1").await.expect("batch loads");
    assert!(outcomes.iter().all(|o| o.result == ItemResult::Updated), "{outcomes:?}");
    let stats = sim.stats(USER);
    assert_eq!((stats.creates, stats.conflicts, stats.patches), (20, 20, 20));
    assert!(batch.iter().all(|r| sim.create_count(USER, &r.external_id) == 1));
    // The ids are cached now: the next load patches directly.
    let outcomes = second.load_batch(&batch, "b2").await.expect("batch loads");
    assert!(outcomes.iter().all(|o| o.result == ItemResult::Updated));
    assert_eq!(sim.stats(USER).conflicts, 20, "no new conflict");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_means_a_new_login_and_no_lost_record() {
    let sim = wms_sim(Faults { token_ttl_requests: Some(7), ..Faults::default() }).await;
    let wms = adapter(&sim, fast_settings());
    let all = records("w", 400);
    for (n, batch) in all.chunks(100).enumerate() {
        let outcomes = wms.load_batch(batch, &format!("batch-{n}")).await.expect("batch loads");
        assert!(outcomes.iter().all(|o| o.result == ItemResult::Created), "{outcomes:?}");
    }
    assert_eq!(sim.products(USER).len(), 400);
    assert!(all.iter().all(|r| sim.create_count(USER, &r.external_id) == 1), "no record created twice");
    let stats = sim.stats(USER);
    assert!(stats.logins >= 400 / 7, "{stats:?}");
    assert!(stats.unauthorized > 0, "{stats:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn validation_failures_are_permanent_and_quote_the_server() {
    let sim = wms_sim(Faults { fail_items: vec!["w-1".into()], ..Faults::default() }).await;
    let wms = adapter(&sim, fast_settings());
    let outcomes = wms.load_batch(&records("w", 3), "b").await.expect("batch loads");
    match &outcomes[1].result {
        ItemResult::Failed { reason, retryable: false } => {
            assert!(reason.starts_with("wms rejected the create (422)"), "{reason}");
            assert!(reason.contains("product w-1 is rejected by the warehouse"), "{reason}");
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    assert_eq!(outcomes[0].result, ItemResult::Created);
    assert_eq!(outcomes[2].result, ItemResult::Created);
    sim.shutdown().await;
}

#[tokio::test]
async fn unavailable_after_retries_is_a_retryable_failure() {
    let faults = Faults { transient_fail_items: vec!["w-0".into()], transient_failures: 10, ..Faults::default() };
    let sim = wms_sim(faults).await;
    let wms = adapter(&sim, settings_with_attempts(2));
    let outcomes = wms.load_batch(&records("w", 2), "b").await.expect("batch loads");
    match &outcomes[0].result {
        ItemResult::Failed { reason, retryable: true } => assert!(reason.contains("503 after 2 attempts"), "{reason}"),
        other => panic!("expected a retryable failure, got {other:?}"),
    }
    assert_eq!(outcomes[1].result, ItemResult::Created);
    sim.shutdown().await;
}

#[tokio::test]
async fn gateway_throttling_and_timeouts_are_retried() {
    let faults =
        Faults { throttle_after: Some(3), throttle_count: 4, timeout_burst: 1, hang_ms: 800, ..Faults::default() };
    let sim = wms_sim(faults).await;
    let settings = ClientSettings { timeout: std::time::Duration::from_millis(300), ..fast_settings() };
    let wms = adapter(&sim, settings);
    let batch = records("w", 30);
    let outcomes = wms.load_batch(&batch, "b").await.expect("batch loads");
    // The timed-out create did land: its retry meets a 409 and patches.
    assert!(outcomes.iter().all(|o| o.result.is_loaded()), "{outcomes:?}");
    assert_eq!(sim.products(USER).len(), 30);
    assert!(batch.iter().all(|r| sim.create_count(USER, &r.external_id) == 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn the_list_follows_the_cursor() {
    let sim = wms_sim(Faults::default()).await;
    let wms = adapter(&sim, fast_settings());
    let all = records("w", 250);
    for batch in all.chunks(100) {
        wms.load_batch(batch, "b").await.expect("batch loads");
    }
    let mut listed = wms.list_external_ids().await.expect("list pages");
    listed.sort();
    let mut expected: Vec<String> = all.iter().map(|r| r.external_id.clone()).collect();
    expected.sort();
    assert_eq!(listed, expected);
    sim.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_are_a_clear_unauthorized_error() {
    let sim = wms_sim(Faults::default()).await;
    let wms = WmsAdapter::new(adapter_context("acme", sim.base_url(), USER, "wrong-pw-999", fast_settings()))
        .expect("valid context");
    let error = wms.load_batch(&records("w", 3), "b").await.expect_err("login fails");
    assert_eq!(error.kind(), &ErrorKind::Unauthorized);
    assert_eq!(
        error.to_string(),
        "tenant acme: wms rejected the login of user \"acme-wms\" (401): check username/password in secret siesa-integration/acme/wms"
    );
    assert!(!format!("{error:?}").contains("wrong-pw-999"));
    sim.shutdown().await;
}
