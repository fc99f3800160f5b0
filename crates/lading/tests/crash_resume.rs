//! Crash and resume with the real binary: `lading sync` killed anywhere in a run — SIGKILL at
//! random instants, or an abort at each named crash point — then `lading runs resume` (killed
//! too) until the run ends, must leave the simulators exactly as a clean run leaves them.
//! Also the run lock across processes: a second sync is refused with exit code 6, and a resume
//! elsewhere stops the process that held the run.

use lading_runtime::crash::CRASH_AT_ENV;
use lading_runtime::lock::LEASE_TTL_ENV;
use lading_sim::faults::Faults;
use lading_sim::kong::KongSim;
use lading_sim::siesa::SiesaSim;
use lading_store::sqlite::SqliteState;
use lading_store::{RunFilter, RunRecord, StateStore, Status, StepRecord};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const TENANT: &str = "acme";
const USER: &str = "acme-user";
const PASSWORD: &str = "acme-pass";
const PHASES: [&str; 4] = ["extract", "transform", "load", "report"];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn local() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn start_siesa(runtime: &tokio::runtime::Runtime, items: usize, faults: Faults) -> SiesaSim {
    let company = lading_sim::siesa::SiesaCompany {
        company_id: "1".into(),
        conni_key: "acme-key".into(),
        conni_token: "acme-token".into(),
        items,
    };
    let config = lading_sim::siesa::SiesaConfig { seed: 11, companies: vec![company], faults };
    runtime.block_on(lading_sim::siesa::start(config, local())).unwrap()
}

fn start_kong(runtime: &tokio::runtime::Runtime, faults: Faults) -> KongSim {
    let config = lading_sim::kong::KongConfig {
        seed: 11,
        accounts: vec![lading_sim::kong::KongAccount::new(USER, PASSWORD, TENANT)],
        faults,
    };
    runtime.block_on(lading_sim::kong::start(config, local())).unwrap()
}

/// The `lading` binary on a data directory, with nothing inherited that changes its behaviour.
fn lading(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lading"));
    command
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("LADING_SECRET_KEY")
        .env_remove("LADING_LOG")
        .env_remove(CRASH_AT_ENV)
        .env_remove(LEASE_TTL_ENV)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn finish(command: &mut Command) -> Output {
    command.output().expect("lading runs")
}

fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A data directory with tenant `acme` (Siesa company 1 → Kong) and a view of its state.
struct Data {
    dir: tempfile::TempDir,
    store: SqliteState,
}

fn data_dir(siesa: &SiesaSim, kong: &KongSim, password: &str) -> Data {
    let dir = tempfile::tempdir().unwrap();
    let config = serde_json::json!({
        "version": 1, "tenant_id": TENANT, "product_type": "kong",
        "mapping_key": "field-mappings-kong.json",
        "source": {"kind": "siesa", "base_url": siesa.base_url(), "company_id": "1"},
        "target": {"base_url": kong.base_url()},
        "timeout_secs": 2,
        "retry": {"max_attempts": 4, "initial_backoff_ms": 5, "max_backoff_ms": 50, "backoff_rate": 2.0}
    });
    let secret = serde_json::json!({
        "siesa": {"conni_key": "acme-key", "conni_token": "acme-token"},
        "target": {"username": USER, "password": password}
    });
    let config_path = dir.path().join("acme.json");
    let secret_path = dir.path().join("secret.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    std::fs::write(&secret_path, secret.to_string()).unwrap();
    let added = finish(&mut lading(dir.path(), &["tenants", "add", "--file", config_path.to_str().unwrap()], &[]));
    assert!(added.status.success(), "{}", text(&added));
    let stored = finish(&mut lading(
        dir.path(),
        &["secrets", "set", "--tenant", TENANT, "--file", secret_path.to_str().unwrap()],
        &[],
    ));
    assert!(stored.status.success(), "{}", text(&stored));
    let store = SqliteState::open(&dir.path().join("state.db")).unwrap();
    Data { dir, store }
}

impl Data {
    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn latest_run(&self, runtime: &tokio::runtime::Runtime) -> Option<RunRecord> {
        let filter = RunFilter { tenant_id: Some(TENANT.into()), limit: 1, ..RunFilter::default() };
        runtime.block_on(self.store.list_runs(&filter)).unwrap().into_iter().next()
    }

    fn steps(&self, runtime: &tokio::runtime::Runtime, run_id: &str) -> Vec<StepRecord> {
        runtime.block_on(self.store.list_steps(run_id)).unwrap()
    }
}

/// The records a clean run with Kong refusing `refused` leaves, checked against the source: every
/// valid record in Kong once and created once, the planted-invalid ones quarantined once, the
/// refused ones dead-lettered once, the counters whole, the report's check passed.
fn check_clean_end(
    runtime: &tokio::runtime::Runtime,
    data: &Data,
    siesa: &SiesaSim,
    kong: &KongSim,
    run_id: &str,
    refused: &[String],
) -> RunRecord {
    let run = runtime.block_on(data.store.get_run(run_id)).unwrap().unwrap();
    assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
    let catalogue = siesa.catalogue("1");
    let invalid: BTreeSet<String> =
        catalogue.iter().filter(|i| i.must_be_quarantined()).map(|i| i.f120_id.to_string()).collect();
    let refused_set: BTreeSet<String> = refused.iter().cloned().collect();
    let expected: BTreeSet<String> = catalogue
        .iter()
        .map(|i| i.f120_id.to_string())
        .filter(|k| !invalid.contains(k) && !refused_set.contains(k))
        .collect();

    let c = run.counters;
    assert_eq!(c.extracted as usize, catalogue.len(), "{c:?}");
    assert_eq!(c.quarantined as usize, invalid.len(), "{c:?}");
    assert_eq!(c.valid + c.quarantined, c.extracted, "{c:?}");
    assert_eq!(c.created as usize, expected.len(), "{c:?}");
    assert_eq!((c.updated, c.unchanged, c.failed), (0, 0, refused.len() as u64), "{c:?}");

    let skus: Vec<String> =
        kong.skus(USER).iter().map(|s| s["external_id"].as_str().unwrap_or_default().to_string()).collect();
    let held: BTreeSet<String> = skus.iter().cloned().collect();
    assert_eq!(held.len(), skus.len(), "no SKU twice in kong");
    assert_eq!(held, expected, "kong holds exactly the valid records");
    for item in &catalogue {
        let key = item.f120_id.to_string();
        assert_eq!(kong.create_count(USER, &key), u32::from(expected.contains(&key)), "creates of {key}");
    }
    assert_eq!(kong.stats(USER).creates as usize, expected.len());

    let quarantined = runtime.block_on(data.store.list_quarantine(None, Some(run_id), 0)).unwrap();
    let keys: BTreeSet<String> = quarantined.iter().map(|q| q.record_key.clone()).collect();
    assert_eq!(quarantined.len(), keys.len(), "quarantined once each");
    assert_eq!(keys, invalid, "the planted-invalid records are quarantined");
    assert!(quarantined.iter().all(|q| !q.reasons.is_empty()));
    let letters = runtime.block_on(data.store.list_dead_letters(None, 0)).unwrap();
    let mut dead: Vec<String> = letters.iter().map(|l| l.record_key.clone()).collect();
    dead.sort();
    let mut refused = refused.to_vec();
    refused.sort();
    assert_eq!(dead, refused, "dead letters, once each");

    let steps = data.steps(runtime, run_id);
    assert_eq!(steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), PHASES);
    assert!(steps.iter().all(|s| s.status == Status::Succeeded), "{steps:?}");
    let summary = data.path().join(format!("objects/reports/{TENANT}/{run_id}/summary.json"));
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(summary).unwrap()).unwrap();
    assert_eq!(summary["verification"]["missing_count"], 0, "{summary}");
    assert_eq!(summary["verification"]["in_target"].as_u64(), Some(expected.len() as u64));
    run
}

/// splitmix64: a seeded sequence for kill instants, without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound.max(1)
    }
}

/// Where a run stood when its process was killed: the step that was running, `start` before
/// the run was recorded, `between` two steps, `end` when every step had succeeded.
fn stood(runtime: &tokio::runtime::Runtime, data: &Data, run_id: Option<&str>) -> String {
    let Some(run_id) = run_id else { return "start".into() };
    let steps = data.steps(runtime, run_id);
    if let Some(step) = steps.iter().find(|s| s.status == Status::Running) {
        step.name.clone()
    } else if steps.iter().all(|s| s.status == Status::Succeeded) {
        "end".into()
    } else {
        "between".into()
    }
}

#[test]
fn a_sync_killed_at_twenty_random_points_resumes_to_the_state_of_a_clean_run() {
    const SEED: u64 = 0x1AD1_2026;
    const KILLS: usize = 22;
    let started = Instant::now();
    let runtime = runtime();
    let siesa = start_siesa(&runtime, 10_000, Faults::default());
    let kong = start_kong(&runtime, Faults::default());
    let data = data_dir(&siesa, &kong, PASSWORD);
    let mut rng = Rng(SEED);
    // Kills wanted in each phase, and the window (ms after the step starts) a kill is drawn
    // from; a window that overshoots its step shrinks. The remainder goes to the last phase
    // that can still be reached.
    let mut quota: BTreeMap<&str, usize> = [("extract", 6), ("transform", 4), ("load", 6), ("report", 4)].into();
    let mut window_ms: BTreeMap<&str, u64> =
        [("extract", 1_200), ("transform", 350), ("load", 80), ("report", 450)].into();
    let mut kills: Vec<(String, u64, String)> = Vec::new();
    let mut run_id: Option<String> = None;
    let mut launches = 0;

    while kills.len() < KILLS && launches < 80 {
        let done: BTreeSet<String> = run_id
            .as_deref()
            .map(|id| {
                data.steps(&runtime, id).into_iter().filter(|s| s.status == Status::Succeeded).map(|s| s.name).collect()
            })
            .unwrap_or_default();
        let open: Vec<&str> = PHASES.into_iter().filter(|p| !done.contains(*p)).collect();
        let Some(phase) = open.iter().copied().find(|p| quota[p] > 0).or_else(|| open.last().copied()) else {
            break;
        };
        let args: Vec<&str> = match &run_id {
            None => vec!["sync", "--tenant", TENANT],
            Some(id) => vec!["runs", "resume", id],
        };
        let mut child: Child =
            lading(data.path(), &args, &[]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        launches += 1;
        // Wait for the phase's step to start, then draw the instant.
        let reached = loop {
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            if run_id.is_none() {
                run_id = data.latest_run(&runtime).map(|r| r.run_id);
            }
            let running =
                |id: &String| data.steps(&runtime, id).iter().any(|s| s.name == phase && s.status == Status::Running);
            if run_id.as_ref().is_some_and(running) {
                break true;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        if !reached {
            let run = data.latest_run(&runtime).unwrap();
            assert!(run.status == Status::Succeeded, "a resume ended on its own without finishing: {run:?}");
            break;
        }
        let delay = rng.below(window_ms[phase]);
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        child.wait().unwrap();
        let landed = stood(&runtime, &data, run_id.as_deref());
        if landed != phase {
            let window = window_ms.get_mut(phase).unwrap();
            *window = (*window * 2 / 3).max(5);
        }
        if let Some(left) = quota.get_mut(landed.as_str()) {
            *left = left.saturating_sub(1);
        }
        kills.push((phase.to_string(), delay, landed));
    }

    let run_id = run_id.expect("the run was recorded");
    let resumed = finish(&mut lading(data.path(), &["runs", "resume", &run_id], &[]));
    assert!(resumed.status.success(), "the last resume finishes the run: {}", text(&resumed));

    println!(
        "\ncrash test: seed {SEED:#x}, {} kills, {launches} processes, {} ms",
        kills.len(),
        started.elapsed().as_millis()
    );
    println!("{:>4}  {:<10} {:>7}  landed in", "kill", "aimed at", "delay");
    for (n, (aimed, delay, landed)) in kills.iter().enumerate() {
        println!("{:>4}  {aimed:<10} {delay:>4} ms  {landed}", n + 1);
    }
    let stats = kong.stats(USER);
    println!(
        "kong: {} bulk requests applied, {} answered again from the idempotency store",
        stats.bulk_requests, stats.replays
    );

    assert!(kills.len() >= 20, "at least 20 kills: {kills:?}");
    for phase in PHASES {
        let hits = kills.iter().filter(|k| k.2 == phase).count();
        assert!(hits >= 2, "kills in {phase}: {hits}; {kills:?}");
    }
    check_clean_end(&runtime, &data, &siesa, &kong, &run_id, &[]);
}

#[test]
fn a_run_dying_at_each_crash_point_resumes_to_the_state_of_a_clean_run() {
    let runtime = runtime();
    let siesa = start_siesa(&runtime, 600, Faults::default());
    let invalid: BTreeSet<String> =
        siesa.catalogue("1").iter().filter(|i| i.must_be_quarantined()).map(|i| i.f120_id.to_string()).collect();
    let valid: Vec<String> =
        siesa.catalogue("1").iter().map(|i| i.f120_id.to_string()).filter(|k| !invalid.contains(k)).collect();
    // One record Kong refuses in each batch of 100, so every batch writes a dead letter.
    let refused: Vec<String> = valid.iter().skip(3).step_by(100).cloned().collect();
    let cases = [
        "run.recorded",
        "step.started",
        "step.started#3",
        "step.counted#2",
        "step.succeeded#3",
        "extract.raw_written",
        "transform.quarantined",
        "transform.batches_written",
        "load.answered#2",
        "load.hashed#3",
        "load.dead_lettered#2",
        "load.checkpointed#4",
        "report.written",
        "run.finished",
    ];
    for case in cases {
        let point = case.split('#').next().unwrap();
        assert!(lading_runtime::crash::POINTS.contains(&point), "{point} is a crash point");
        let kong = start_kong(&runtime, Faults { fail_items: refused.clone(), ..Faults::default() });
        let data = data_dir(&siesa, &kong, PASSWORD);
        let crashed = finish(&mut lading(data.path(), &["sync", "--tenant", TENANT], &[(CRASH_AT_ENV, case)]));
        assert_eq!(crashed.status.code(), None, "{case}: the process died: {}", text(&crashed));
        assert!(String::from_utf8_lossy(&crashed.stderr).contains(&format!("crash point {point}")), "{case}");
        let run_id = data.latest_run(&runtime).expect("recorded").run_id;
        let resumed = finish(&mut lading(data.path(), &["runs", "resume", &run_id], &[]));
        assert!(resumed.status.success(), "{case}: {}", text(&resumed));
        check_clean_end(&runtime, &data, &siesa, &kong, &run_id, &refused);
        let lease = runtime.block_on(data.store.get_lease(&format!("run-lock/{TENANT}/product-sync"))).unwrap();
        if case == "run.finished" {
            // The finished run's lock was never freed: the next start takes it over.
            assert_eq!(lease.map(|l| l.holder), Some(run_id.clone()));
            let next = finish(&mut lading(data.path(), &["sync", "--tenant", TENANT], &[]));
            assert!(next.status.success(), "{case}: {}", text(&next));
        } else {
            assert!(lease.is_none(), "{case}: the lock is freed");
        }
        runtime.block_on(kong.shutdown());
    }

    // Dying between the lock and the run's record: nothing to resume; the lock names a run
    // never recorded until it expires, then a sync goes through.
    let kong = start_kong(&runtime, Faults::default());
    let data = data_dir(&siesa, &kong, PASSWORD);
    let short = [(LEASE_TTL_ENV, "2")];
    let crashed =
        finish(&mut lading(data.path(), &["sync", "--tenant", TENANT], &[short[0], (CRASH_AT_ENV, "start.leased")]));
    assert_eq!(crashed.status.code(), None, "{}", text(&crashed));
    assert!(data.latest_run(&runtime).is_none(), "no run recorded");
    let refused_start = finish(&mut lading(data.path(), &["sync", "--tenant", TENANT], &short));
    assert_eq!(refused_start.status.code(), Some(6), "{}", text(&refused_start));
    assert!(String::from_utf8_lossy(&refused_start.stderr).contains("not recorded"), "{}", text(&refused_start));
    std::thread::sleep(Duration::from_millis(2_100));
    let synced = finish(&mut lading(data.path(), &["sync", "--tenant", TENANT], &short));
    assert!(synced.status.success(), "{}", text(&synced));
    let run_id = data.latest_run(&runtime).unwrap().run_id;
    check_clean_end(&runtime, &data, &siesa, &kong, &run_id, &[]);

    // Dying between a step's failure and the run's: the resume fails the run, it does not try
    // the step again.
    let kong = start_kong(&runtime, Faults::default());
    let data = data_dir(&siesa, &kong, "not-the-password");
    let crashed = finish(&mut lading(data.path(), &["sync", "--tenant", TENANT], &[(CRASH_AT_ENV, "step.failed")]));
    assert_eq!(crashed.status.code(), None, "{}", text(&crashed));
    let refusals = kong.stats(USER).unauthorized;
    let run_id = data.latest_run(&runtime).unwrap().run_id;
    let resumed = finish(&mut lading(data.path(), &["runs", "resume", &run_id], &[]));
    assert_eq!(resumed.status.code(), Some(4), "a run failed talking to kong: {}", text(&resumed));
    let run = data.latest_run(&runtime).unwrap();
    assert_eq!((run.status, run.failed_step.as_deref()), (Status::Failed, Some("load")));
    assert!(run.error.unwrap().contains("kong"));
    assert_eq!(kong.stats(USER).unauthorized, refusals, "the failed step was not tried again");
    assert!(kong.skus(USER).is_empty());
}

#[test]
fn a_second_sync_is_refused_while_a_run_is_in_progress_and_a_resume_elsewhere_stops_the_first() {
    let runtime = runtime();
    // A slow Siesa keeps the first run in its extract for a few seconds.
    let siesa = start_siesa(&runtime, 600, Faults { latency_ms: 150, ..Faults::default() });
    let kong = start_kong(&runtime, Faults::default());
    let data = data_dir(&siesa, &kong, PASSWORD);
    let short = [(LEASE_TTL_ENV, "3")];
    let first = lading(data.path(), &["sync", "--tenant", TENANT], &short).spawn().unwrap();
    let run_id = loop {
        if let Some(run) = data.latest_run(&runtime) {
            break run.run_id;
        }
        std::thread::sleep(Duration::from_millis(5));
    };

    let second = finish(&mut lading(data.path(), &["sync", "--tenant", TENANT], &short));
    assert_eq!(second.status.code(), Some(6), "busy: {}", text(&second));
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(message.contains(&run_id) && message.contains("in progress"), "{message}");
    assert_eq!(message.lines().filter(|l| l.starts_with("error:")).count(), 1, "{message}");

    // The operator resumes the run elsewhere, as after a crash: the first process finds its
    // lock gone at its next renewal and stops; the resume finishes the run.
    let resume = lading(data.path(), &["runs", "resume", &run_id], &short).spawn().unwrap();
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(6), "the first process stops: {}", text(&first));
    let stopped = String::from_utf8_lossy(&first.stderr);
    assert!(stopped.contains("lost its lock") || stopped.contains("in progress"), "{stopped}");
    let resumed = resume.wait_with_output().unwrap();
    assert!(resumed.status.success(), "{}", text(&resumed));
    check_clean_end(&runtime, &data, &siesa, &kong, &run_id, &[]);
    let runs = runtime.block_on(data.store.list_runs(&RunFilter::default())).unwrap();
    assert_eq!(runs.len(), 1, "one run: {runs:?}");
}

#[test]
fn lading_serve_resumes_an_interrupted_run_on_start() {
    let runtime = runtime();
    let siesa = start_siesa(&runtime, 600, Faults::default());
    let kong = start_kong(&runtime, Faults::default());
    let data = data_dir(&siesa, &kong, PASSWORD);
    // The dead process's lease lasts 2 s; the server waits for it, as it cannot tell a dead
    // process from a live one any sooner.
    let crashed = finish(&mut lading(
        data.path(),
        &["sync", "--tenant", TENANT],
        &[(LEASE_TTL_ENV, "2"), (CRASH_AT_ENV, "load.answered#3")],
    ));
    assert_eq!(crashed.status.code(), None, "{}", text(&crashed));
    let run_id = data.latest_run(&runtime).unwrap().run_id;
    let mut server = lading(data.path(), &["serve", "--listen", "127.0.0.1:0", "--no-scheduler"], &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let run = loop {
        let run = runtime.block_on(data.store.get_run(&run_id)).unwrap().unwrap();
        // Finished, and its lock freed (the last write of a run).
        let lease = runtime.block_on(data.store.get_lease(&format!("run-lock/{TENANT}/product-sync"))).unwrap();
        if (run.status != Status::Running && lease.is_none()) || Instant::now() > deadline {
            break run;
        }
        assert!(server.try_wait().unwrap().is_none(), "the server stopped");
        std::thread::sleep(Duration::from_millis(50));
    };
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(run.status, Status::Succeeded, "the server resumed the run: {:?}", run.error);
    check_clean_end(&runtime, &data, &siesa, &kong, &run_id, &[]);
}
