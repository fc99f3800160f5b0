//! Resuming in-process: what a crash must not change about a step's retries and a run's counters.

mod support;

use lading_runtime::runner::{self, Progress, RunOptions};
use lading_sim::faults::Faults;
use lading_store::Status;
use support::{Tenant, id, world};

const KONG: Tenant = Tenant { id: "k1", company: "1", product_type: "kong" };

#[tokio::test]
async fn a_step_killed_many_times_still_gets_its_retries() {
    let world = world(&[KONG], 120).await;
    // One HTTP attempt per request, so one 500 fails the extract (retryably) and only the step's
    // own retry can save the run.
    let mut config = world.engine.state.get_tenant(&id("k1")).await.unwrap().unwrap();
    config.retry.max_attempts = 1;
    world.engine.state.put_tenant(&config).await.unwrap();
    let options = RunOptions { full: false, trigger: "test".into(), params: None };
    let run = runner::start_run(&world.engine, &id("k1"), &options).await.unwrap();
    // As if five processes had died executing the extract.
    let mut extract = world.engine.state.list_steps(&run.run_id).await.unwrap().remove(0);
    extract.status = Status::Running;
    extract.attempts = 5;
    world.engine.state.put_step(&extract).await.unwrap();
    world.siesa.set_faults(Faults { error_burst: 1, ..Faults::default() });

    let step = match runner::step_run(&world.engine, &run.run_id).await.unwrap() {
        Progress::Continue(_, step) => step,
        Progress::Finished(run) => panic!("the extract was not retried: {:?}", run.error),
    };
    assert_eq!((step.name.as_str(), step.status, step.attempts), ("extract", Status::Succeeded, 7));
    let done = runner::run_to_end(&world.engine, &run.run_id, |_| {}).await.unwrap();
    assert_eq!(done.status, Status::Succeeded, "{:?}", done.error);
}

#[tokio::test]
async fn a_step_executed_again_replaces_its_counters_rather_than_adding_to_them() {
    let world = world(&[KONG], 150).await;
    let options = RunOptions { full: false, trigger: "test".into(), params: None };
    let run = runner::start_run(&world.engine, &id("k1"), &options).await.unwrap();
    for _ in 0..3 {
        runner::step_run(&world.engine, &run.run_id).await.unwrap();
    }
    // As if the process had died after load wrote the run's counters, before the step's success.
    let mut load = world.engine.state.list_steps(&run.run_id).await.unwrap().remove(2);
    assert_eq!(load.name, "load");
    load.status = Status::Running;
    world.engine.state.put_step(&load).await.unwrap();
    let user = support::credentials("k1").username;
    let sent = world.kong.stats(&user).bulk_requests;
    let done = runner::run_to_end(&world.engine, &run.run_id, |_| {}).await.unwrap();
    let c = done.counters;
    assert_eq!(done.status, Status::Succeeded, "{:?}", done.error);
    assert_eq!(c.created, c.valid, "{c:?}");
    assert_eq!(c.created + c.updated + c.unchanged + c.failed, c.valid, "{c:?}");
    let stats = world.kong.stats(&user);
    assert_eq!((stats.bulk_requests, stats.replays), (sent, 0), "the checkpointed batches were not sent again");
    assert_eq!(stats.creates, c.created);
}
