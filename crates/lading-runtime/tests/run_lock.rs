//! The run lock: one run per tenant and pipeline, whoever starts it — two starts at once, two
//! schedulers on one data directory — while the lease of a dead process expires, a resume takes
//! its own run's lease back, and a run interrupted and never resumed is superseded.

mod support;

use lading_runtime::lock;
use lading_runtime::runner::{self, RunError, RunOptions};
use lading_runtime::schedule::{SchedulerState, tick};
use lading_store::{Lease, LeaseGrant, RunRecord, Status};
use std::sync::Arc;
use support::{Tenant, World, id, world};

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
