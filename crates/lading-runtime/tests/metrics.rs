//! Metrics end to end: product syncs against the simulators, then the Prometheus text.
//!
//! The recorder is global to the test binary, so each test reads only the series of its own
//! tenants.

use lading_core::config::RawTenantConfig;
use lading_core::secret::{SiesaCredentials, TargetCredentials, TenantSecrets};
use lading_core::{Secret, TenantId};
use lading_runtime::Engine;
use lading_runtime::alerts::{self, AlertRouter};
use lading_runtime::metrics;
use lading_runtime::notify::{AlertChannel, MemoryNotifier};
use lading_runtime::runner::{self, RunOptions};
use lading_sim::faults::Faults;
use lading_store::{Counters, RunRecord, Status};
use std::collections::BTreeMap;
use std::sync::Arc;

struct World {
    _dir: tempfile::TempDir,
    engine: Engine,
    _siesa: lading_sim::siesa::SiesaSim,
    _kong: lading_sim::kong::KongSim,
}

/// One Kong tenant per entry: (tenant, Siesa company, failure threshold).
async fn world(tenants: &[(&str, &str, f64)], items: usize) -> World {
    metrics::install();
    let local: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let companies = tenants
        .iter()
        .map(|(tenant, company, _)| lading_sim::siesa::SiesaCompany {
            company_id: company.to_string(),
            conni_key: format!("{tenant}-key"),
            conni_token: format!("{tenant}-token"),
            items,
        })
        .collect();
    let siesa = lading_sim::siesa::start(
        lading_sim::siesa::SiesaConfig { seed: 7, companies, faults: Faults::default() },
        local,
    )
    .await
    .unwrap();
    let accounts = tenants
        .iter()
        .map(|(tenant, _, _)| lading_sim::kong::KongAccount {
            username: format!("{tenant}-user"),
            password: format!("{tenant}-pass"),
            customer_id: tenant.to_string(),
        })
        .collect();
    let kong =
        lading_sim::kong::start(lading_sim::kong::KongConfig { seed: 7, accounts, faults: Faults::default() }, local)
            .await
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut engine = Engine::embedded(dir.path()).unwrap();
    engine.notifier = Arc::new(AlertRouter {
        state: engine.state.clone(),
        channels: vec![(AlertChannel::Log, Box::new(MemoryNotifier::default()))],
    });
    for (tenant, company, threshold) in tenants {
        let raw: RawTenantConfig = serde_json::from_value(serde_json::json!({
            "version": 1, "tenant_id": tenant, "product_type": "kong",
            "mapping_key": "field-mappings-kong.json",
            "source": {"kind": "siesa", "base_url": siesa.base_url(), "company_id": company},
            "target": {"base_url": kong.base_url()},
            "failure_threshold": threshold,
            "retry": {"max_attempts": 3, "initial_backoff_ms": 5, "max_backoff_ms": 20, "backoff_rate": 2.0}
        }))
        .unwrap();
        let config = raw.validate().unwrap();
        engine.state.put_tenant(&config.raw).await.unwrap();
        let secrets = TenantSecrets {
            siesa: SiesaCredentials {
                conni_key: Secret::new(format!("{tenant}-key")),
                conni_token: Secret::new(format!("{tenant}-token")),
            },
            target: TargetCredentials {
                username: format!("{tenant}-user"),
                password: Secret::new(format!("{tenant}-pass")),
            },
        };
        let secret = serde_json::to_string(&secrets).unwrap();
        engine.secrets.put_secret(&config.secret_name(), &Secret::new(secret)).await.unwrap();
    }
    World { _dir: dir, engine, _siesa: siesa, _kong: kong }
}

async fn sync(world: &World, tenant: &str) -> RunRecord {
    let options = RunOptions { full: true, trigger: "test".into(), params: None };
    runner::sync(&world.engine, &TenantId::parse(tenant).unwrap(), &options).await.unwrap()
}

type Series = Vec<(String, BTreeMap<String, String>, f64)>;

/// The series of the Prometheus text: name, labels, value.
fn series(text: &str) -> Series {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (key, value) = line.rsplit_once(' ').unwrap();
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("a number in {line:?}"));
            let (name, labels) = match key.split_once('{') {
                Some((name, rest)) => {
                    let labels = rest
                        .trim_end_matches('}')
                        .split("\",")
                        .filter(|pair| !pair.is_empty())
                        .map(|pair| {
                            let (k, v) = pair.split_once('=').unwrap();
                            (k.to_string(), v.trim_matches('"').to_string())
                        })
                        .collect();
                    (name.to_string(), labels)
                }
                None => (key.to_string(), BTreeMap::new()),
            };
            (name, labels, value)
        })
        .collect()
}

/// The value of the one series of `name` with exactly `labels`.
fn value(series: &Series, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let found: Vec<f64> = series.iter().filter(|(n, l, _)| n == name && *l == wanted).map(|(_, _, v)| *v).collect();
    assert!(found.len() <= 1, "{name} {labels:?} is one series");
    found.first().copied()
}

#[tokio::test]
async fn a_product_sync_records_its_run_its_records_and_its_requests() {
    let world = world(&[("metrics-ok", "1", 0.5)], 300).await;
    let run = sync(&world, "metrics-ok").await;
    assert_eq!(run.status, Status::Succeeded, "{:?}", run.error);
    let c = run.counters;
    assert!(c.quarantined > 0 && c.extracted == 300, "{c:?}");

    let text = metrics::render();
    let all = series(&text);
    let run_labels = [("tenant", "metrics-ok"), ("pipeline", "product-sync")];
    assert_eq!(value(&all, "lading_runs_total", &[run_labels[0], run_labels[1], ("outcome", "succeeded")]), Some(1.0));
    assert_eq!(value(&all, "lading_runs_total", &[run_labels[0], run_labels[1], ("outcome", "failed")]), None);
    assert_eq!(value(&all, "lading_records_processed_total", &run_labels), Some(c.extracted as f64));
    let failed =
        |reason| value(&all, "lading_records_failed_total", &[run_labels[0], run_labels[1], ("reason", reason)]);
    assert_eq!(failed("quarantined"), Some(c.quarantined as f64));
    assert_eq!(failed("failed"), Some(0.0));
    assert_eq!(value(&all, "lading_sync_duration_seconds_count", &run_labels), Some(1.0));
    assert!(value(&all, "lading_sync_duration_seconds_sum", &run_labels).unwrap() > 0.0);
    let bucket = |le| value(&all, "lading_sync_duration_seconds_bucket", &[run_labels[0], run_labels[1], ("le", le)]);
    assert_eq!(bucket("+Inf"), Some(1.0));
    assert_eq!(bucket("1800"), Some(1.0), "the long_run rule's bound is a bucket");

    // Every HTTP attempt is timed per system: Siesa's pages and logins, Kong's batches.
    let requests = |system| {
        value(
            &all,
            "lading_external_request_duration_seconds_count",
            &[("system", system), ("tenant", "metrics-ok"), ("outcome", "ok")],
        )
        .unwrap_or(0.0)
    };
    assert!(requests("siesa") >= 3.0, "300 items in pages of 100: {text}");
    assert!(requests("kong") >= 3.0, "a login and batches of 100");
    assert!(
        all.iter().any(|(n, l, _)| n == "lading_external_request_duration_seconds_bucket"
            && l.get("le").map(String::as_str) == Some("0.005")),
        "request latency is a histogram with buckets"
    );
    assert_eq!(value(&all, "lading_dead_letters_pending", &[("tenant", "metrics-ok")]), Some(0.0));
    assert_eq!(value(&all, "lading_dead_letters_total", &run_labels), Some(0.0));
    assert!(text.contains("# HELP lading_runs_total "), "metrics are described");
    assert!(text.contains("# TYPE lading_sync_duration_seconds histogram"), "{text}");
}

#[tokio::test]
async fn a_run_over_its_threshold_counts_as_failed_with_its_alert() {
    let world = world(&[("metrics-strict", "2", 0.0)], 120).await;
    let run = sync(&world, "metrics-strict").await;
    assert_eq!(run.status, Status::Failed, "quarantined records pass a zero threshold");
    let all = series(&metrics::render());
    let labels = [("tenant", "metrics-strict"), ("pipeline", "product-sync")];
    assert_eq!(value(&all, "lading_runs_total", &[labels[0], labels[1], ("outcome", "failed")]), Some(1.0));
    let alert = |kind, severity| {
        value(&all, "lading_alerts_total", &[("tenant", "metrics-strict"), ("kind", kind), ("severity", severity)])
    };
    assert_eq!(alert("run_failed", "error"), Some(1.0));
    assert_eq!(alert("records_quarantined", "warning"), Some(1.0));
}

#[tokio::test]
async fn a_stuck_run_shows_its_age_until_it_ends() {
    metrics::install();
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::embedded(dir.path()).unwrap();
    let now = chrono::Utc::now();
    let mut stuck = RunRecord {
        run_id: "stuck".into(),
        tenant_id: "metrics-stuck".into(),
        pipeline: "ior-daily".into(),
        status: Status::Running,
        trigger: "test".into(),
        full: false,
        started_at: (now - chrono::Duration::minutes(10)).to_rfc3339(),
        finished_at: None,
        counters: Counters::default(),
        error: None,
        failed_step: None,
        params: None,
    };
    engine.state.put_run(&stuck).await.unwrap();
    let labels = [("tenant", "metrics-stuck"), ("pipeline", "ior-daily")];
    alerts::check_stuck_runs(&engine, now).await.unwrap();
    let age = value(&series(&metrics::render()), "lading_running_run_age_seconds", &labels).unwrap();
    assert!((599.0..=601.0).contains(&age), "{age}");

    stuck.status = Status::Succeeded;
    stuck.finished_at = Some(now.to_rfc3339());
    engine.state.put_run(&stuck).await.unwrap();
    alerts::check_stuck_runs(&engine, now).await.unwrap();
    assert_eq!(value(&series(&metrics::render()), "lading_running_run_age_seconds", &labels), Some(0.0));
}

#[test]
fn every_metric_has_its_labels_listed() {
    let listed: Vec<&str> = metrics::LABELS.iter().map(|(name, _)| *name).collect();
    assert_eq!(listed, metrics::ALL);
    assert!(metrics::HISTOGRAMS.iter().all(|h| metrics::ALL.contains(h)));
    assert!(metrics::ALL.iter().all(|name| name.starts_with("lading_")));
}
