//! The Kong adapter against the Kong simulator: bulk loads, partial failures, replays, tokens.

mod common;

use common::{adapter_context, fast_settings, loopback, records, settings_with_attempts};
use lading_connect::adapters::kong::KongAdapter;
use lading_connect::{ClientSettings, ErrorKind, ItemResult, ProductAdapter};
use lading_sim::faults::{Faults, RetryAfterStyle};
use lading_sim::kong::{KongAccount, KongConfig, KongSim};
use std::time::{Duration, Instant};

const USER: &str = "acme-ops";
const PASSWORD: &str = "kong-pw-31337";

async fn kong_sim(faults: Faults) -> KongSim {
    let config = KongConfig { seed: 3, accounts: vec![KongAccount::new(USER, PASSWORD, "1")], faults };
    lading_sim::kong::start(config, loopback()).await.expect("kong simulator starts")
}

fn adapter(sim: &KongSim, settings: ClientSettings) -> KongAdapter {
    KongAdapter::new(adapter_context("acme", sim.base_url(), USER, PASSWORD, settings)).expect("valid context")
}

#[tokio::test]
async fn batches_load_and_list_back() {
    let sim = kong_sim(Faults::default()).await;
    let kong = adapter(&sim, fast_settings());
    let all = records("k", 250);
    for (n, batch) in all.chunks(100).enumerate() {
        let outcomes = kong.load_batch(batch, &format!("run-1-batch-{n}")).await.expect("batch loads");
        assert_eq!(outcomes.len(), batch.len());
        for (outcome, record) in outcomes.iter().zip(batch) {
            assert_eq!(outcome.external_id, record.external_id, "outcomes follow input order");
            assert_eq!(outcome.result, ItemResult::Created);
        }
    }
    let stats = sim.stats(USER);
    assert_eq!((stats.creates, stats.bulk_requests, stats.items_received, stats.logins), (250, 3, 250, 1));
    let mut listed = kong.list_external_ids().await.expect("list pages");
    listed.sort();
    let mut expected: Vec<String> = all.iter().map(|r| r.external_id.clone()).collect();
    expected.sort();
    assert_eq!(listed, expected, "the list follows next through every page");

    // The same records again, under a new key: unchanged.
    let outcomes = kong.load_batch(&all[..100], "run-2-batch-0").await.expect("batch loads");
    assert!(outcomes.iter().all(|o| o.result == ItemResult::Unchanged));
    sim.shutdown().await;
}

#[tokio::test]
async fn only_unavailable_items_are_sent_again() {
    let faults = Faults {
        fail_items: vec!["k-3".into()],
        transient_fail_items: vec!["k-5".into(), "k-7".into()],
        transient_failures: 1,
        ..Faults::default()
    };
    let sim = kong_sim(faults).await;
    let kong = adapter(&sim, fast_settings());
    let batch = records("k", 10);
    let outcomes = kong.load_batch(&batch, "batch-partial").await.expect("batch loads");
    for outcome in &outcomes {
        match outcome.external_id.as_str() {
            "k-3" => match &outcome.result {
                ItemResult::Failed { reason, retryable: false } => {
                    assert!(reason.contains("rejected by the platform"), "{reason}")
                }
                other => panic!("k-3 must fail permanently, got {other:?}"),
            },
            _ => assert_eq!(outcome.result, ItemResult::Created, "{}", outcome.external_id),
        }
    }
    let stats = sim.stats(USER);
    assert_eq!(stats.bulk_requests, 2, "the batch, then one resend");
    assert_eq!(stats.items_received, 10 + 2, "the resend carried only k-5 and k-7");
    assert_eq!(sim.create_count(USER, "k-5"), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn items_unavailable_past_the_retry_budget_fail_retryably() {
    let faults = Faults { transient_fail_items: vec!["k-1".into()], transient_failures: 10, ..Faults::default() };
    let sim = kong_sim(faults).await;
    let kong = adapter(&sim, settings_with_attempts(3));
    let outcomes = kong.load_batch(&records("k", 4), "batch-budget").await.expect("batch loads");
    assert!(matches!(outcomes[1].result, ItemResult::Failed { retryable: true, .. }), "{:?}", outcomes[1]);
    assert!(outcomes.iter().enumerate().all(|(n, o)| n == 1 || o.result == ItemResult::Created));
    assert_eq!(sim.stats(USER).items_received, 4 + 1 + 1, "three attempts in all, the resends carry one item");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_same_key_replays_the_first_answer() {
    let sim = kong_sim(Faults { fail_items: vec!["k-2".into()], ..Faults::default() }).await;
    let kong = adapter(&sim, fast_settings());
    let batch = records("k", 5);
    let first = kong.load_batch(&batch, "batch-replay").await.expect("batch loads");
    // A resumed run sends the same batch under the same key.
    let second = kong.load_batch(&batch, "batch-replay").await.expect("batch replays");
    assert_eq!(first, second);
    let stats = sim.stats(USER);
    assert_eq!((stats.creates, stats.bulk_requests, stats.replays), (4, 1, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_key_reused_with_other_items_is_refused_clearly() {
    let sim = kong_sim(Faults::default()).await;
    let kong = adapter(&sim, fast_settings());
    kong.load_batch(&records("a", 3), "batch-x").await.expect("batch loads");
    let error = kong.load_batch(&records("b", 3), "batch-x").await.expect_err("other body, same key");
    assert!(matches!(error.kind(), ErrorKind::Rejected { status: 422, .. }), "{error:?}");
    assert!(error.to_string().contains("run the batch under a new key"), "{error}");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_means_one_new_login_and_no_lost_item() {
    let sim = kong_sim(Faults { token_ttl_requests: Some(2), ..Faults::default() }).await;
    let kong = adapter(&sim, fast_settings());
    let all = records("k", 500);
    for (n, batch) in all.chunks(50).enumerate() {
        let outcomes = kong.load_batch(batch, &format!("ttl-{n}")).await.expect("batch loads");
        assert!(outcomes.iter().all(|o| o.result == ItemResult::Created));
    }
    assert_eq!(sim.skus(USER).len(), 500);
    let stats = sim.stats(USER);
    assert!(stats.logins >= 5, "a token lasts two requests: {stats:?}");
    assert_eq!(u64::from(kong.logins()), stats.logins);
    sim.shutdown().await;
}

#[tokio::test]
async fn throttled_bulk_requests_wait_for_retry_after() {
    // The login is request 1; the first bulk request is throttled once.
    let faults = Faults {
        throttle_after: Some(1),
        throttle_count: 1,
        retry_after: RetryAfterStyle::Seconds(1),
        ..Faults::default()
    };
    let sim = kong_sim(faults).await;
    let kong = adapter(&sim, fast_settings());
    let started = Instant::now();
    let outcomes = kong.load_batch(&records("k", 10), "batch-429").await.expect("batch loads");
    assert!(started.elapsed() >= Duration::from_millis(900), "{:?}", started.elapsed());
    assert!(outcomes.iter().all(|o| o.result == ItemResult::Created));
    assert_eq!(sim.stats(USER).bulk_requests, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_are_a_clear_unauthorized_error() {
    let sim = kong_sim(Faults::default()).await;
    let kong = KongAdapter::new(adapter_context("acme", sim.base_url(), USER, "not-the-password", fast_settings()))
        .expect("valid context");
    let error = kong.load_batch(&records("k", 2), "batch-auth").await.expect_err("login fails");
    assert_eq!(error.kind(), &ErrorKind::Unauthorized);
    assert_eq!(
        error.to_string(),
        "tenant acme: kong rejected the login of user \"acme-ops\" (400): check username/password in secret siesa-integration/acme/kong"
    );
    assert!(!format!("{error:?}").contains("not-the-password"));
    sim.shutdown().await;
}

#[tokio::test]
async fn batches_over_the_bulk_limit_are_split() {
    let sim = kong_sim(Faults::default()).await;
    let kong = adapter(&sim, fast_settings());
    let outcomes = kong.load_batch(&records("k", 230), "batch-big").await.expect("batch loads");
    assert_eq!(outcomes.len(), 230);
    assert!(outcomes.iter().all(|o| o.result == ItemResult::Created));
    assert_eq!(sim.stats(USER).bulk_requests, 3);
    sim.shutdown().await;
}
