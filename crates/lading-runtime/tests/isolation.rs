//! Isolation: three tenants syncing at once under faults share no record, credential or log
//! line. The only test of its binary: it captures the logs with a thread's default subscriber,
//! which other tests' threads would disturb (tracing caches per call site whether anyone
//! listens). The run lock's tests are in `run_lock.rs`.

mod support;

use lading_runtime::runner::{self, RunError, RunOptions};
use lading_sim::faults::{Faults, RetryAfterStyle};
use lading_store::{RunRecord, Status};
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
