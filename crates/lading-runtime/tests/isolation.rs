//! Concurrency and isolation: three tenants syncing at once under faults share no record,
//! credential or log line; the run lock lets one run per tenant and pipeline through.

mod support;

use lading_runtime::lock;
use lading_runtime::runner::{self, RunError, RunOptions};
use lading_runtime::schedule::{SchedulerState, tick};
use lading_sim::faults::{Faults, RetryAfterStyle};
use lading_store::{Lease, LeaseGrant, RunRecord, Status};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use support::{Tenant, World, credentials, id, world};

const TENANTS: [Tenant; 3] = [
    Tenant { id: "t1", company: "1", product_type: "kong" },
    Tenant { id: "t2", company: "2", product_type: "kong" },
    Tenant { id: "w1", company: "3", product_type: "wms" },
];

fn options() -> RunOptions {
    RunOptions { full: false, trigger: "test".into(), params: None }
}

async fn sync(world: &World, tenant: &str) -> Result<RunRecord, RunError> {
    runner::sync(&world.engine, &id(tenant), &options()).await
}

/// Log lines written by the code under test, one JSON object each.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> LogBuffer {
        self.clone()
    }
}

impl LogBuffer {
    fn lines(&self) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }
}

/// Every value of a `tenant` or `tenant_id` key in a log line: its fields and its spans'.
fn tenants_named(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                if key == "tenant" || key == "tenant_id" {
                    if let Some(text) = value.as_str() {
                        out.insert(text.trim_start_matches("Some(\"").trim_end_matches("\")").to_string());
                    }
                } else {
                    tenants_named(value, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| tenants_named(item, out)),
        _ => {}
    }
}

#[tokio::test]
async fn three_tenants_under_faults_share_no_record_credential_or_log_line() {
    let logs = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_env_filter("lading_runtime=debug,lading_connect=debug,lading_store=debug,lading_sim=debug")
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let world = world(&TENANTS, 400).await;
    // A record t1 holds and t2 does not: Kong refuses it for good, so it is dead-lettered — for
    // t1 only.
    let t2_ids: HashSet<String> = world.valid_ids("t2").into_iter().collect();
    let only_t1: Vec<String> = world.valid_ids("t1").into_iter().filter(|k| !t2_ids.contains(k)).take(1).collect();
    assert_eq!(only_t1.len(), 1, "companies 1 and 2 differ in some item number");
    let transient: Vec<String> = world.valid_ids("t2").into_iter().skip(7).take(2).collect();
    world.siesa.set_faults(Faults {
        error_burst: 2,
        reset_burst: 1,
        malformed_burst: 1,
        throttle_after: Some(15),
        throttle_count: 3,
        retry_after: RetryAfterStyle::Seconds(0),
        ..Faults::default()
    });
    world.kong.set_faults(Faults {
        error_burst: 2,
        token_ttl_requests: Some(3),
        fail_items: only_t1.clone(),
        transient_fail_items: transient,
        transient_failures: 1,
        ..Faults::default()
    });
    world.wms.set_faults(Faults { error_burst: 1, token_ttl_requests: Some(25), ..Faults::default() });

    let (t1, t2, w1) = tokio::join!(sync(&world, "t1"), sync(&world, "t2"), sync(&world, "w1"));
    let runs: HashMap<&str, RunRecord> =
        [("t1", t1.unwrap()), ("t2", t2.unwrap()), ("w1", w1.unwrap())].into_iter().collect();
    for (tenant, run) in &runs {
        assert_eq!(run.status, Status::Succeeded, "{tenant}: {:?}", run.error);
        assert_eq!(run.tenant_id, *tenant);
    }
    assert_eq!(world.siesa.faults().error_burst + world.kong.faults().error_burst + world.wms.faults().error_burst, 0);

    // Each target account holds its own tenant's records, each once, and nothing else.
    for tenant in ["t1", "t2", "w1"] {
        let mut expected = world.expected_records(tenant);
        if tenant == "t1" {
            expected.retain(|(key, _)| !only_t1.contains(key));
        }
        let held = world.target_records(tenant);
        let distinct: BTreeSet<(String, String)> = held.iter().cloned().collect();
        assert_eq!(distinct.len(), held.len(), "{tenant}: no record twice");
        assert_eq!(distinct, expected, "{tenant}: exactly its own records");
        assert!(held.iter().all(|(key, _)| world.create_count(tenant, key) == 1), "{tenant}: one create each");

        let run = &runs[tenant];
        let quarantined = world.engine.state.list_quarantine(Some(&id(tenant)), None, 0).await.unwrap();
        let invalid = world.planted_invalid(tenant);
        let catalogue: HashMap<String, String> = world
            .siesa
            .catalogue(world.tenant(tenant).company)
            .into_iter()
            .map(|item| (item.f120_id.to_string(), item.descripcion.trim().to_string()))
            .collect();
        assert_eq!(quarantined.len(), invalid.len(), "{tenant}");
        for entry in &quarantined {
            assert_eq!((entry.tenant_id.as_str(), entry.run_id.as_str()), (tenant, run.run_id.as_str()));
            assert!(invalid.contains(&entry.record_key) && !entry.reasons.is_empty(), "{tenant}: {entry:?}");
            let description = entry.payload["f120_descripcion"].as_str().unwrap_or_default().trim();
            assert_eq!(description, catalogue[&entry.record_key], "{tenant}: its own company's record");
        }
        let letters = world.engine.state.list_dead_letters(Some(&id(tenant)), 0).await.unwrap();
        let dead: Vec<&str> = letters.iter().map(|l| l.record_key.as_str()).collect();
        let expected_dead: Vec<&str> = if tenant == "t1" { vec![only_t1[0].as_str()] } else { vec![] };
        assert_eq!(dead, expected_dead, "{tenant}: dead letters");
        assert!(letters.iter().all(|l| l.run_id == run.run_id));
        // Its objects live under its own prefix.
        for kind in ["raw", "staged", "reports"] {
            for key in world.engine.objects.list(kind).await.unwrap() {
                if key.contains(&run.run_id) {
                    assert!(key.starts_with(&format!("{kind}/{tenant}/")), "{key}");
                }
            }
        }
    }

    // Each simulator saw exactly the credentials of the tenants it serves.
    let seen = |names: Vec<String>| names.into_iter().collect::<BTreeSet<String>>();
    let names = |tenants: &[&str], pick: fn(support::Credentials) -> String| -> BTreeSet<String> {
        tenants.iter().map(|t| pick(credentials(t))).collect()
    };
    assert_eq!(seen(world.siesa.credentials_seen()), names(&["t1", "t2", "w1"], |c| c.conni_key));
    assert_eq!(seen(world.kong.credentials_seen()), names(&["t1", "t2"], |c| c.username));
    assert_eq!(seen(world.wms.credentials_seen()), names(&["w1"], |c| c.username));
    assert!(world.kong.stats(&credentials("t1").username).logins > 1, "kong tokens expired and were renewed");

    // The logs: a line about a run names that run's tenant and no other; no line carries a
    // secret, or another tenant's run, user, key or objects.
    drop(_guard);
    let lines = logs.lines();
    let run_ids: HashMap<&str, &str> = runs.iter().map(|(tenant, run)| (run.run_id.as_str(), *tenant)).collect();
    let mut about_runs = 0;
    let mut per_tenant: HashMap<String, usize> = HashMap::new();
    for line in &lines {
        let text = line.to_string();
        for tenant in ["t1", "t2", "w1"] {
            let c = credentials(tenant);
            assert!(!text.contains(&c.password) && !text.contains(&c.conni_token), "a secret in the logs: {text}");
        }
        let mut named = BTreeSet::new();
        tenants_named(line, &mut named);
        assert!(named.len() <= 1, "a line names two tenants: {text}");
        let mentioned: Vec<&str> = run_ids.iter().filter(|(run, _)| text.contains(*run)).map(|(_, t)| *t).collect();
        if !mentioned.is_empty() {
            about_runs += 1;
            assert_eq!(named.iter().map(String::as_str).collect::<Vec<_>>(), vec![mentioned[0]], "{text}");
            assert!(mentioned.iter().all(|t| *t == mentioned[0]), "a line about two tenants' runs: {text}");
        }
        if let Some(tenant) = named.iter().next() {
            *per_tenant.entry(tenant.clone()).or_default() += 1;
            for other in ["t1", "t2", "w1"].into_iter().filter(|o| o != tenant) {
                let c = credentials(other);
                for foreign in [c.username, c.conni_key, format!("staged/{other}/"), format!("raw/{other}/")] {
                    assert!(!text.contains(&foreign), "{tenant}'s line carries {other}'s {foreign}: {text}");
                }
            }
        }
    }
    assert!(about_runs > 30, "the runs logged: {about_runs} lines of {}", lines.len());
    for tenant in ["t1", "t2", "w1"] {
        assert!(per_tenant.get(tenant).copied().unwrap_or(0) > 10, "{tenant}'s lines: {per_tenant:?}");
    }
}

#[tokio::test]
async fn two_starts_of_one_tenants_pipeline_run_once_and_other_tenants_are_not_held_up() {
    let world = world(&TENANTS[..2], 150).await;
    let (a, b, other) = tokio::join!(sync(&world, "t1"), sync(&world, "t1"), sync(&world, "t2"));
    assert_eq!(other.unwrap().status, Status::Succeeded);
    let (ran, refused) = match (a, b) {
        (Ok(run), Err(err)) | (Err(err), Ok(run)) => (run, err),
        other => panic!("one of the two starts must run and one be refused: {other:?}"),
    };
    assert_eq!(ran.status, Status::Succeeded, "{:?}", ran.error);
    match &refused {
        RunError::Locked { run_id, tenant, .. } => assert_eq!((run_id, tenant.as_str()), (&ran.run_id, "t1")),
        other => panic!("refused with the lock, not {other:?}"),
    }
    let message = refused.to_string();
    assert!(message.contains(&ran.run_id) && message.contains("in progress") && message.contains("t1"), "{message}");
    let runs = world
        .engine
        .state
        .list_runs(&lading_store::RunFilter { tenant_id: Some("t1".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(runs.len(), 1, "the refused start recorded nothing");
    // The lock is free again once the run finished.
    assert!(world.engine.state.get_lease(&lock::key("t1", "product-sync")).await.unwrap().is_none());
    assert_eq!(sync(&world, "t1").await.unwrap().status, Status::Succeeded);
}

#[tokio::test]
async fn a_schedule_fired_by_two_schedulers_on_one_data_directory_runs_once() {
    let world = world(&TENANTS[..1], 150).await;
    let mut config = world.engine.state.get_tenant(&id("t1")).await.unwrap().unwrap();
    config.schedule = Some("0 0 2 * * *".into());
    world.engine.state.put_tenant(&config).await.unwrap();
    let at = |h: u32, m: u32, s: u32| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 23, h, m, s).unwrap();

    // Two schedulers, as two processes would be: their own engine (their own SQLite
    // connection) on one data directory, each on its own thread, reading the clock at once.
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let schedulers: Vec<_> = (0..2)
        .map(|_| {
            let engine = lading_runtime::Engine::embedded(world.dir.path()).unwrap();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async {
                    let mut state = SchedulerState::default();
                    assert!(tick(&engine, &mut state, at(1, 59, 0)).await.unwrap().is_empty());
                    barrier.wait();
                    tick(&engine, &mut state, at(2, 0, 1)).await.unwrap()
                })
            })
        })
        .collect();
    // Joined off the test's runtime, which serves the simulators meanwhile.
    let fired: Vec<Result<RunRecord, String>> = tokio::task::spawn_blocking(move || {
        schedulers.into_iter().flat_map(|scheduler| scheduler.join().unwrap()).collect()
    })
    .await
    .unwrap();
    assert_eq!(fired.len(), 2, "both schedulers saw the slot: {fired:?}");
    let ran: Vec<&RunRecord> = fired.iter().filter_map(|f| f.as_ref().ok()).collect();
    let refused: Vec<&String> = fired.iter().filter_map(|f| f.as_ref().err()).collect();
    assert_eq!((ran.len(), refused.len()), (1, 1), "{fired:?}");
    assert_eq!(ran[0].status, Status::Succeeded, "{:?}", ran[0].error);
    assert!(refused[0].contains("in progress") && refused[0].contains(&ran[0].run_id), "{}", refused[0]);
    let runs = world.engine.state.list_runs(&Default::default()).await.unwrap();
    assert_eq!(runs.len(), 1, "one run for one slot: {runs:?}");
}

fn instant(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Puts a lease on `tenant`'s product sync as a process elsewhere would, expiring `in_secs`
/// from now (negative: already expired).
async fn foreign_lease(world: &World, tenant: &str, holder: &str, in_secs: i64) {
    let now = chrono::Utc::now();
    let lease = Lease {
        key: lock::key(tenant, "product-sync"),
        holder: holder.into(),
        owner: "pid 1 on elsewhere (deadbeef)".into(),
        expires_at: instant(now + chrono::Duration::seconds(in_secs)),
    };
    let granted = world.engine.state.acquire_lease(&lease, &instant(now), Some(holder)).await.unwrap();
    if granted != LeaseGrant::Acquired {
        // Someone else's lease: replace it as an expired one would be.
        let later = instant(now + chrono::Duration::days(1));
        assert_eq!(world.engine.state.acquire_lease(&lease, &later, None).await.unwrap(), LeaseGrant::Acquired);
    }
}

#[tokio::test]
async fn leases_of_dead_processes_expire_and_a_resume_takes_its_own_back() {
    let world = world(&TENANTS, 120).await;

    // A process died while starting a run: the lock names a run never recorded, until it expires.
    foreign_lease(&world, "t1", "0190a0b0-dead-7000-8000-000000000001", 60).await;
    let err = sync(&world, "t1").await.unwrap_err().to_string();
    assert!(err.contains("not recorded") && err.contains("0190a0b0-dead-7000-8000-000000000001"), "{err}");
    foreign_lease(&world, "t1", "0190a0b0-dead-7000-8000-000000000001", -1).await;
    assert_eq!(sync(&world, "t1").await.unwrap().status, Status::Succeeded, "an expired lease is taken over");

    // A process died mid-run, its lease still in force: a new start and the run's own next step
    // are refused, naming the run and the command that resumes it; the resume takes it back.
    let run = runner::start_run(&world.engine, &id("t2"), &options()).await.unwrap();
    assert!(matches!(runner::step_run(&world.engine, &run.run_id).await.unwrap(), runner::Progress::Continue(..)));
    foreign_lease(&world, "t2", &run.run_id, 60).await;
    let err = sync(&world, "t2").await.unwrap_err().to_string();
    assert!(err.contains(&run.run_id) && err.contains(&format!("lading runs resume {}", run.run_id)), "{err}");
    assert!(matches!(runner::step_run(&world.engine, &run.run_id).await, Err(RunError::Locked { .. })));
    let resumed = runner::resume(&world.engine, &run.run_id, |_| {}).await.unwrap();
    assert_eq!(resumed.status, Status::Succeeded, "{:?}", resumed.error);
    assert_eq!(resumed.counters.created, resumed.counters.valid);
    assert!(world.engine.state.get_lease(&lock::key("t2", "product-sync")).await.unwrap().is_none());
    // A finished run resumes to itself.
    assert_eq!(runner::resume(&world.engine, &run.run_id, |_| {}).await.unwrap(), resumed);

    // A run interrupted and never resumed is superseded by the next start, not resumed later
    // on top of newer data.
    let stale = runner::start_run(&world.engine, &id("w1"), &options()).await.unwrap();
    runner::step_run(&world.engine, &stale.run_id).await.unwrap();
    foreign_lease(&world, "w1", &stale.run_id, -1).await;
    let newer = sync(&world, "w1").await.unwrap();
    assert_eq!(newer.status, Status::Succeeded, "{:?}", newer.error);
    let superseded = world.engine.state.get_run(&stale.run_id).await.unwrap().unwrap();
    assert_eq!(superseded.status, Status::Failed);
    assert!(superseded.error.unwrap().contains(&format!("superseded by run {}", newer.run_id)));
    assert_eq!(superseded.failed_step.as_deref(), Some("transform"));
}

#[tokio::test]
async fn resuming_every_interrupted_run_waits_for_a_lease_in_force_to_expire() {
    let world = world(&TENANTS, 120).await;
    // t1 interrupted after extract, its lease expired; t2 interrupted before anything, its
    // lease still in force for a second and a half; w1 finished.
    let t1 = runner::start_run(&world.engine, &id("t1"), &options()).await.unwrap();
    runner::step_run(&world.engine, &t1.run_id).await.unwrap();
    foreign_lease(&world, "t1", &t1.run_id, -1).await;
    let t2 = runner::start_run(&world.engine, &id("t2"), &options()).await.unwrap();
    let now = chrono::Utc::now();
    let lease = Lease {
        key: lock::key("t2", "product-sync"),
        holder: t2.run_id.clone(),
        owner: "pid 1 on elsewhere (deadbeef)".into(),
        expires_at: instant(now + chrono::Duration::milliseconds(1_500)),
    };
    world.engine.state.acquire_lease(&lease, &instant(now), Some(&t2.run_id)).await.unwrap();
    let w1 = sync(&world, "w1").await.unwrap();

    let started = std::time::Instant::now();
    let mut resumed = runner::resume_interrupted(&world.engine).await;
    resumed.sort_by(|a, b| a.tenant_id.cmp(&b.tenant_id));
    assert_eq!(resumed.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(), [&t1.run_id, &t2.run_id]);
    for r in &resumed {
        let run = r.outcome.as_ref().unwrap();
        assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
        assert_eq!(run.counters.created, run.counters.valid);
    }
    assert!(started.elapsed() >= std::time::Duration::from_millis(1_200), "waited for t2's lease");
    assert_eq!(world.engine.state.get_run(&w1.run_id).await.unwrap().unwrap(), w1, "a finished run is left alone");
    assert!(runner::resume_interrupted(&world.engine).await.is_empty(), "nothing left to resume");
}
