//! The product sync end to end: real HTTP against the simulators on loopback, real SQLite,
//! real objects in a temp directory.

use lading_core::Secret;
use lading_core::secret::{TargetCredentials, TenantSecrets};
use lading_runtime::notify::MemoryNotifier;
use lading_runtime::runner::{self, RunOptions};
use lading_sim::faults::Faults;
use lading_sim::siesa::Defect;
use lading_store::{RunRecord, Status};
use std::collections::HashSet;
use std::sync::Arc;

mod support;

use support::{Tenant, id, secrets};

/// The shared simulators and engine (`tests/support`), with alerts kept in memory.
struct World {
    shared: support::World,
    alerts: Arc<MemoryNotifier>,
}

impl std::ops::Deref for World {
    type Target = support::World;

    fn deref(&self) -> &support::World {
        &self.shared
    }
}

/// Tenants: `t1` and `t2` sync to Kong (companies 1 and 2), `w1` to the WMS (company 3).
const TENANTS: [Tenant; 3] = [
    Tenant { id: "t1", company: "1", product_type: "kong" },
    Tenant { id: "t2", company: "2", product_type: "kong" },
    Tenant { id: "w1", company: "3", product_type: "wms" },
];

async fn world(items: usize) -> World {
    let mut shared = support::world(&TENANTS, items).await;
    let alerts = Arc::new(MemoryNotifier::default());
    shared.engine.notifier = alerts.clone();
    World { shared, alerts }
}

async fn sync(world: &World, tenant: &str, full: bool) -> RunRecord {
    runner::sync(&world.engine, &id(tenant), &RunOptions { full, trigger: "test".into(), params: None }).await.unwrap()
}

/// The records the catalogue plants as invalid: they must be quarantined, never sent.
fn planted_invalid(world: &World, company: &str) -> HashSet<String> {
    world
        .siesa
        .catalogue(company)
        .into_iter()
        .filter(|item| item.defects.iter().any(|d| matches!(d, Defect::InvalidEan | Defect::BlankDescription)))
        .map(|item| item.f120_id.to_string())
        .collect()
}

fn external_ids(records: &[serde_json::Value]) -> Vec<String> {
    records.iter().map(|r| r["external_id"].as_str().unwrap_or_default().to_string()).collect()
}

#[tokio::test]
async fn full_sync_to_kong_loads_every_valid_record_once_and_quarantines_the_rest() {
    let world = world(1_000).await;
    let run = sync(&world, "t1", true).await;
    assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);

    let catalogue = world.siesa.catalogue("1");
    let invalid = planted_invalid(&world, "1");
    let c = run.counters;
    assert_eq!(c.extracted as usize, catalogue.len());
    assert_eq!(c.quarantined as usize, invalid.len());
    assert!(c.quarantined > 0, "the catalogue plants invalid records");
    assert_eq!(c.valid + c.quarantined, c.extracted);
    assert_eq!(c.created, c.valid);
    assert_eq!(c.failed, 0);

    let skus = world.kong.skus("t1-user");
    let in_kong: HashSet<String> = external_ids(&skus).into_iter().collect();
    assert_eq!(in_kong.len(), skus.len(), "kong holds no duplicates");
    for item in &catalogue {
        let key = item.f120_id.to_string();
        assert_eq!(in_kong.contains(&key), !invalid.contains(&key), "item {key}");
        assert!(world.kong.create_count("t1-user", &key) <= 1);
    }

    // Every quarantined record says why.
    let quarantined = world.engine.state.list_quarantine(Some(&id("t1")), Some(&run.run_id), 0).await.unwrap();
    assert_eq!(quarantined.len(), invalid.len());
    assert!(quarantined.iter().all(|q| !q.reasons.is_empty() && invalid.contains(&q.record_key)));
    assert!(world.alerts.alerts().iter().any(|a| a.kind == "records_quarantined" && a.tenant_id == "t1"));

    // The report is written and its check agrees.
    let summary: serde_json::Value =
        world.engine.objects.get_json(&format!("reports/t1/{}/summary.json", run.run_id)).await.unwrap();
    assert_eq!(summary["verification"]["in_target"].as_u64(), Some(c.valid));
    assert_eq!(summary["verification"]["missing_count"].as_u64(), Some(0));
    assert_eq!(summary["status"], "succeeded");
    let csv = world.engine.objects.get(&format!("reports/t1/{}/records.csv", run.run_id)).await.unwrap();
    let mut reader = csv::Reader::from_reader(&csv[..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len() as u64, c.valid);
    let first: serde_json::Value = serde_json::from_str(&rows[0][3]).unwrap();
    assert_eq!(first["external_id"].as_str(), Some(&rows[0][0]), "the csv carries the record sent");
    // Steps left their references and durations.
    let steps = world.engine.state.list_steps(&run.run_id).await.unwrap();
    assert_eq!(steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["extract", "transform", "load", "report"]);
    assert!(steps.iter().all(|s| s.status == Status::Succeeded && s.output_ref.is_some()));
    let raw_pages = world.engine.objects.list("raw/t1/siesa").await.unwrap();
    assert!(raw_pages.len() >= 3, "raw pages land in the object store: {raw_pages:?}");
}

#[tokio::test]
async fn incremental_sync_sends_only_changed_and_new_records() {
    let world = world(600).await;
    let first = sync(&world, "t1", false).await;
    assert_eq!(first.status, Status::Succeeded, "{:?}", first.error);
    let valid = first.counters.valid;
    let before = world.kong.stats("t1-user");

    // Nothing changed: nothing is written to Kong.
    let idle = sync(&world, "t1", false).await;
    assert_eq!(idle.status, Status::Succeeded, "{:?}", idle.error);
    assert_eq!(idle.counters.unchanged, valid);
    assert_eq!(idle.counters.created + idle.counters.updated, 0);
    let after_idle = world.kong.stats("t1-user");
    assert_eq!(after_idle.bulk_requests, before.bulk_requests, "no write reaches kong");

    // Changed and new items: only those are sent.
    let mutation = world.siesa.mutate("1", 12, 8);
    let next = sync(&world, "t1", false).await;
    assert_eq!(next.status, Status::Succeeded, "{:?}", next.error);
    assert_eq!(next.counters.created, mutation.added_ids.len() as u64);
    assert_eq!(next.counters.updated, mutation.changed_ids.len() as u64);
    assert_eq!(next.counters.unchanged, valid - mutation.changed_ids.len() as u64);
    let after = world.kong.stats("t1-user");
    assert_eq!(after.items_received - after_idle.items_received, 20);

    // --full sends everything again; Kong answers unchanged for what it already holds.
    let full = sync(&world, "t1", true).await;
    assert_eq!(full.status, Status::Succeeded, "{:?}", full.error);
    assert_eq!(full.counters.unchanged, full.counters.valid);
    assert_eq!(world.kong.stats("t1-user").items_received - after.items_received, full.counters.valid);
}

#[tokio::test]
async fn wms_sync_survives_token_expiry_and_updates_through_conflicts() {
    let world = world(400).await;
    world.wms.set_faults(Faults { token_ttl_requests: Some(37), ..Faults::default() });
    let run = sync(&world, "w1", false).await;
    assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
    assert_eq!(run.counters.created, run.counters.valid);
    let products = world.wms.products("w1-user");
    assert_eq!(products.len() as u64, run.counters.valid);
    assert!(world.wms.stats("w1-user").logins > 1, "the adapter logged in again after expiry");

    // A full reload meets 409 on every record and PATCHes instead.
    let full = sync(&world, "w1", true).await;
    assert_eq!(full.status, Status::Succeeded, "{:?}", full.error);
    assert_eq!(full.counters.updated, full.counters.valid);
    assert_eq!(world.wms.products("w1-user").len() as u64, run.counters.valid);
    for id in external_ids(&world.wms.products("w1-user")) {
        assert_eq!(world.wms.create_count("w1-user", &id), 1);
    }
}

#[tokio::test]
async fn two_tenants_sync_concurrently_without_sharing_anything() {
    let world = world(500).await;
    let (a, b) = tokio::join!(sync(&world, "t1", false), sync(&world, "t2", false));
    assert_eq!(a.status, Status::Succeeded, "{:?}", a.error);
    assert_eq!(b.status, Status::Succeeded, "{:?}", b.error);
    let t1: HashSet<String> = external_ids(&world.kong.skus("t1-user")).into_iter().collect();
    let t2: HashSet<String> = external_ids(&world.kong.skus("t2-user")).into_iter().collect();
    let expect = |company: &str| -> HashSet<String> {
        let invalid = planted_invalid(&world, company);
        world.siesa.catalogue(company).iter().map(|i| i.f120_id.to_string()).filter(|k| !invalid.contains(k)).collect()
    };
    assert_eq!(t1, expect("1"));
    assert_eq!(t2, expect("2"));
    let seen = world.kong.credentials_seen();
    assert!(seen.contains(&"t1-user".to_string()) && seen.contains(&"t2-user".to_string()));
    // Each tenant's objects stay under its own prefix.
    assert!(world.engine.objects.list("staged/t1").await.unwrap().iter().all(|k| k.starts_with("staged/t1/")));
    let runs_t1 = world
        .engine
        .state
        .list_runs(&lading_store::RunFilter { tenant_id: Some("t1".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(runs_t1.len(), 1);
}

#[tokio::test]
async fn partial_batch_failures_retry_only_transient_items_and_dead_letter_the_rest() {
    let world = world(300).await;
    let catalogue = world.siesa.catalogue("1");
    let invalid = planted_invalid(&world, "1");
    let valid: Vec<String> = catalogue.iter().map(|i| i.f120_id.to_string()).filter(|k| !invalid.contains(k)).collect();
    let permanent = vec![valid[3].clone(), valid[150].clone()];
    let transient = vec![valid[10].clone(), valid[11].clone(), valid[200].clone()];
    world.kong.set_faults(Faults {
        fail_items: permanent.clone(),
        transient_fail_items: transient.clone(),
        transient_failures: 2,
        ..Faults::default()
    });
    let run = sync(&world, "t1", false).await;
    assert_eq!(run.status, Status::Succeeded, "2 failures stay under the threshold: {:?}", run.error);
    assert_eq!(run.counters.failed, 2);
    assert_eq!(run.counters.created, valid.len() as u64 - 2);
    let letters = world.engine.state.list_dead_letters(Some(&id("t1")), 0).await.unwrap();
    let mut dead: Vec<String> = letters.iter().map(|l| l.record_key.clone()).collect();
    dead.sort();
    let mut expected = permanent.clone();
    expected.sort();
    assert_eq!(dead, expected);
    assert!(letters.iter().all(|l| !l.error.is_empty() && l.payload["external_id"].is_string()));
    // Only the failed items were sent again: transient ones twice more, nothing else.
    let stats = world.kong.stats("t1-user");
    assert_eq!(stats.items_received, valid.len() as u64 + 2 * transient.len() as u64);

    // The failed records were not hashed, so the next run sends them again.
    world.kong.set_faults(Faults::default());
    let next = sync(&world, "t1", false).await;
    assert_eq!(next.counters.created, 2);
    assert_eq!(next.counters.failed, 0);
}

#[tokio::test]
async fn siesa_bursts_of_500_and_throttling_are_retried() {
    let world = world(300).await;
    world.siesa.set_faults(Faults {
        error_burst: 3,
        throttle_after: Some(5),
        throttle_count: 2,
        retry_after: lading_sim::faults::RetryAfterStyle::Seconds(0),
        ..Faults::default()
    });
    let run = sync(&world, "t1", false).await;
    assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
    assert_eq!(run.counters.extracted as usize, world.siesa.catalogue("1").len());
}

#[tokio::test]
async fn a_rejected_query_fails_the_run_with_a_clear_reason_and_an_alert() {
    let world = world(100).await;
    world.siesa.set_faults(Faults { alerta: Some("La consulta no es valida".into()), ..Faults::default() });
    let run = sync(&world, "t1", false).await;
    assert_eq!(run.status, Status::Failed);
    let error = run.error.unwrap();
    assert!(error.contains("t1") && error.contains("extract"), "{error}");
    assert!(world.alerts.alerts().iter().any(|a| a.kind == "run_failed" && a.tenant_id == "t1"));
    assert!(world.kong.skus("t1-user").is_empty(), "nothing half-written");
}

#[tokio::test]
async fn wrong_credentials_and_unreachable_hosts_fail_with_the_tenant_and_the_fix() {
    let world = world(50).await;
    let wrong = TenantSecrets {
        target: TargetCredentials { username: "t1-user".into(), password: Secret::new("nope") },
        ..secrets("t1")
    };
    world
        .engine
        .secrets
        .put_secret("siesa-integration/t1/kong", &Secret::new(serde_json::to_string(&wrong).unwrap()))
        .await
        .unwrap();
    let run = sync(&world, "t1", false).await;
    assert_eq!(run.status, Status::Failed);
    let error = run.error.unwrap();
    assert!(error.contains("t1") && error.contains("kong"), "{error}");
    assert!(!error.contains("nope"), "no secret in errors: {error}");

    let mut config = world.engine.state.get_tenant(&id("t2")).await.unwrap().unwrap();
    config.source.base_url = "http://127.0.0.1:9".into();
    world.engine.state.put_tenant(&config).await.unwrap();
    let run = sync(&world, "t2", false).await;
    assert_eq!(run.status, Status::Failed);
    let error = run.error.unwrap();
    assert!(error.contains("t2") && error.contains("siesa"), "{error}");
}

#[tokio::test]
async fn bad_setup_is_refused_before_a_run_starts() {
    let world = world(20).await;
    let options = RunOptions::default();
    let unknown = runner::start_run(&world.engine, &id("nobody"), &options).await.unwrap_err().to_string();
    assert!(unknown.contains("unknown tenant") && unknown.contains("nobody"), "{unknown}");

    world.engine.state.set_tenant_enabled(&id("t2"), false).await.unwrap();
    let disabled = runner::start_run(&world.engine, &id("t2"), &options).await.unwrap_err().to_string();
    assert!(disabled.contains("disabled") && disabled.contains("lading tenants enable t2"), "{disabled}");

    // A tenant mapping file with an unknown key is refused with its path.
    let mut config = world.engine.state.get_tenant(&id("t1")).await.unwrap().unwrap();
    config.mapping_key = "custom-kong.json".into();
    world.engine.state.put_tenant(&config).await.unwrap();
    world
        .engine
        .objects
        .put(
            "config/custom-kong.json",
            bytes::Bytes::from_static(br#"{"version": 1, "product_type": "kong", "colour": 1}"#),
        )
        .await
        .unwrap();
    let mapping = runner::start_run(&world.engine, &id("t1"), &options).await.unwrap_err().to_string();
    assert!(mapping.contains("t1") && mapping.contains("custom-kong.json"), "{mapping}");

    // No secret: the message names the secret and the command that sets it.
    let mut config = world.engine.state.get_tenant(&id("w1")).await.unwrap().unwrap();
    config.product_type = "kong".into();
    config.mapping_key = "field-mappings-kong.json".into();
    world.engine.state.put_tenant(&config).await.unwrap();
    let missing = runner::start_run(&world.engine, &id("w1"), &options).await.unwrap_err().to_string();
    assert!(missing.contains("siesa-integration/w1/kong") && missing.contains("lading secrets set"), "{missing}");
    assert!(world.engine.state.list_runs(&Default::default()).await.unwrap().is_empty(), "no run was created");
}

#[tokio::test]
async fn kong_timeouts_are_retried_without_double_creates() {
    let world = world(300).await;
    // The sim applies each request, then holds the answer past the client's 1 s timeout.
    world.kong.set_faults(Faults { timeout_burst: 2, hang_ms: 1_300, ..Faults::default() });
    let run = sync(&world, "t1", false).await;
    assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
    assert_eq!(run.counters.failed, 0);
    let skus = world.kong.skus("t1-user");
    assert_eq!(skus.len() as u64, run.counters.valid);
    for id in external_ids(&skus) {
        assert_eq!(world.kong.create_count("t1-user", &id), 1, "{id} created once");
    }
}

#[tokio::test]
async fn a_batch_resent_after_a_lost_checkpoint_is_replayed_not_applied_twice() {
    let world = world(300).await;
    let run = sync(&world, "t1", false).await;
    assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
    let before = world.kong.stats("t1-user");

    // As if the process died after Kong answered batch 1 but before its checkpoint was written.
    let checkpoint = format!("staged/t1/{}/load/batch-00001.json", run.run_id);
    let checkpoints = world.engine.objects.list(&format!("staged/t1/{}/load", run.run_id)).await.unwrap();
    assert!(checkpoints.contains(&checkpoint), "{checkpoints:?}");
    std::fs::remove_file(world.dir.path().join("objects").join(&checkpoint)).unwrap();
    let mut reopened = run.clone();
    reopened.status = Status::Running;
    world.engine.state.put_run(&reopened).await.unwrap();
    for mut step in world.engine.state.list_steps(&run.run_id).await.unwrap() {
        if step.name == "load" || step.name == "report" {
            step.status = Status::Pending;
            world.engine.state.put_step(&step).await.unwrap();
        }
    }
    let resumed = runner::run_to_end(&world.engine, &run.run_id, |_| {}).await.unwrap();
    assert_eq!(resumed.status, Status::Succeeded, "{:?}", resumed.error);
    assert_eq!(resumed.counters.created, run.counters.created, "the replayed answer counts the same");
    let after = world.kong.stats("t1-user");
    assert_eq!(after.replays, before.replays + 1, "only the lost batch was sent again, and replayed");
    assert_eq!(after.creates, before.creates, "nothing applied twice");
    assert_eq!(after.bulk_requests, before.bulk_requests);
}

#[tokio::test]
async fn kong_throttling_with_an_http_date_retry_after_is_honoured() {
    let world = world(300).await;
    world.kong.set_faults(Faults {
        throttle_after: Some(2),
        throttle_count: 2,
        retry_after: lading_sim::faults::RetryAfterStyle::HttpDate(2),
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    let run = sync(&world, "t1", false).await;
    assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
    assert_eq!(world.kong.skus("t1-user").len() as u64, run.counters.valid);
    // An HTTP date has whole seconds: "2 s from now" is between 1 and 2 s away.
    assert!(started.elapsed() >= std::time::Duration::from_millis(900), "the client waited for the date");
}

#[tokio::test]
async fn a_dead_letter_replays_once_through_the_same_adapter_when_the_target_takes_it() {
    use lading_runtime::replay::{ReplayError, replay_dead_letter, replay_quarantined};
    let world = world(120).await;
    let invalid = planted_invalid(&world, "1");
    let valid: Vec<String> =
        world.siesa.catalogue("1").iter().map(|i| i.f120_id.to_string()).filter(|k| !invalid.contains(k)).collect();
    world.kong.set_faults(Faults { fail_items: vec![valid[5].clone()], ..Faults::default() });
    let run = sync(&world, "t1", false).await;
    assert_eq!(run.counters.failed, 1);
    let letter = world.engine.state.list_dead_letters(Some(&id("t1")), 0).await.unwrap().remove(0);
    let received = world.kong.stats("t1-user").items_received;

    // Still refused: reported, not marked.
    let again = replay_dead_letter(&world.engine, letter.id).await.unwrap();
    assert!(!again.delivered, "{again:?}");
    assert!(again.message.starts_with("still failing"), "{}", again.message);
    assert!(world.engine.state.get_dead_letter(letter.id).await.unwrap().unwrap().replayed_at.is_none());
    assert_eq!(world.kong.stats("t1-user").items_received, received + 1, "one record sent, nothing else");

    // The target takes it now: delivered once, marked, and a second replay is refused.
    world.kong.set_faults(Faults::default());
    let delivered = replay_dead_letter(&world.engine, letter.id).await.unwrap();
    assert!(delivered.delivered, "{delivered:?}");
    assert_eq!(delivered.record_key, valid[5]);
    assert!(world.engine.state.get_dead_letter(letter.id).await.unwrap().unwrap().replayed_at.is_some());
    assert!(matches!(replay_dead_letter(&world.engine, letter.id).await, Err(ReplayError::AlreadyReplayed(_))));
    assert!(matches!(replay_dead_letter(&world.engine, 99_999).await, Err(ReplayError::NotFound(_))));
    // The next incremental run finds it current: nothing created twice.
    let next = sync(&world, "t1", false).await;
    assert_eq!(next.counters.created, 0, "{:?}", next.counters);
    assert_eq!(world.kong.create_count("t1-user", &valid[5]), 1);

    // A quarantined record with the same mapping stays quarantined, with its reasons.
    let quarantined = world.engine.state.list_quarantine(None, Some(&run.run_id), 0).await.unwrap();
    let entry = quarantined.first().expect("the catalogue plants invalid records");
    let outcome = replay_quarantined(&world.engine, &run.run_id, &entry.record_key).await.unwrap();
    assert!(!outcome.delivered);
    assert!(outcome.message.starts_with("still invalid"), "{}", outcome.message);
    assert_eq!(world.engine.state.list_quarantine(None, Some(&run.run_id), 0).await.unwrap().len(), quarantined.len());
    assert!(matches!(replay_quarantined(&world.engine, &run.run_id, "nope").await, Err(ReplayError::NotFound(_))));
}
