//! Alert rules and routing: each rule fires when its fact holds, once per run, on the channels
//! its tenant chose for its severity. Runs and dead letters are written to a real SQLite store;
//! the channels are memory notifiers behind the real router.

use chrono::{DateTime, Duration, Utc};
use lading_core::config::RawTenantConfig;
use lading_core::secret::{SiesaCredentials, TargetCredentials, TenantSecrets};
use lading_core::{Secret, TenantId};
use lading_runtime::Engine;
use lading_runtime::alerts::{self, AlertRouter, Rule};
use lading_runtime::notify::{Alert, AlertChannel, MemoryNotifier, Notifier, Severity};
use lading_runtime::runner::{self, RunOptions};
use lading_store::{Counters, DeadLetter, RunRecord, Status, StepRecord};
use serde_json::json;
use std::sync::Arc;

struct Setup {
    dir: tempfile::TempDir,
    engine: Engine,
    log: Arc<MemoryNotifier>,
    webhook: Arc<MemoryNotifier>,
    email: Arc<MemoryNotifier>,
}

fn router(
    engine: &Engine,
    log: &Arc<MemoryNotifier>,
    webhook: &Arc<MemoryNotifier>,
    email: &Arc<MemoryNotifier>,
) -> AlertRouter {
    AlertRouter {
        state: engine.state.clone(),
        channels: vec![
            (AlertChannel::Log, Box::new(log.clone())),
            (AlertChannel::Webhook, Box::new(webhook.clone())),
            (AlertChannel::Email, Box::new(email.clone())),
        ],
    }
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = Engine::embedded(dir.path()).unwrap();
    let (log, webhook, email) = (Arc::default(), Arc::default(), Arc::default());
    engine.notifier = Arc::new(router(&engine, &log, &webhook, &email));
    Setup { dir, engine, log, webhook, email }
}

/// A product-sync tenant with `alerts` as its alert block (`null`: none).
async fn tenant(setup: &Setup, tenant: &str, alerts: serde_json::Value, source_url: &str) {
    let mut config = json!({
        "version": 1, "tenant_id": tenant, "product_type": "kong",
        "mapping_key": "field-mappings-kong.json",
        "source": {"kind": "siesa", "base_url": source_url, "company_id": "1"},
        "target": {"base_url": "http://127.0.0.1:9"},
        "timeout_secs": 1,
        "retry": {"max_attempts": 2, "initial_backoff_ms": 1, "max_backoff_ms": 2, "backoff_rate": 2.0}
    });
    if !alerts.is_null() {
        config["alerts"] = alerts;
    }
    let raw: RawTenantConfig = serde_json::from_value(config).unwrap();
    let config = raw.validate().unwrap();
    setup.engine.state.put_tenant(&config.raw).await.unwrap();
    let secrets = TenantSecrets {
        siesa: SiesaCredentials { conni_key: Secret::new("key"), conni_token: Secret::new("token") },
        target: TargetCredentials { username: "user".into(), password: Secret::new("pass") },
    };
    let secret = serde_json::to_string(&secrets).unwrap();
    setup.engine.secrets.put_secret(&config.secret_name(), &Secret::new(secret)).await.unwrap();
}

fn at(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339()
}

fn run(tenant: &str, id: &str, status: Status, started: DateTime<Utc>, finished: Option<DateTime<Utc>>) -> RunRecord {
    RunRecord {
        run_id: id.into(),
        tenant_id: tenant.into(),
        pipeline: "product-sync".into(),
        status,
        trigger: "test".into(),
        full: false,
        started_at: at(started),
        finished_at: finished.map(at),
        counters: Counters::default(),
        error: (status == Status::Failed).then(|| "step load failed after 3 attempt(s): kong is down".into()),
        failed_step: None,
        params: None,
    }
}

fn counters(extracted: u64, quarantined: u64, failed: u64) -> Counters {
    Counters {
        extracted,
        valid: extracted - quarantined,
        quarantined,
        created: extracted - quarantined - failed,
        failed,
        ..Counters::default()
    }
}

fn letter(tenant: &str, run_id: &str, key: &str, created: DateTime<Utc>, attempts: u32, error: &str) -> DeadLetter {
    DeadLetter {
        id: 0,
        tenant_id: tenant.into(),
        run_id: run_id.into(),
        pipeline: "product-sync".into(),
        record_key: key.into(),
        payload: json!({"key": key}),
        error: error.into(),
        attempts,
        created_at: at(created),
        replayed_at: None,
    }
}

fn kinds(notifier: &MemoryNotifier) -> Vec<String> {
    notifier.alerts().into_iter().map(|a| a.kind).collect()
}

fn count(notifier: &MemoryNotifier, kind: &str) -> usize {
    notifier.alerts().iter().filter(|a| a.kind == kind).count()
}

fn run_failed(tenant: &str, run_id: &str) -> Alert {
    Alert {
        tenant_id: tenant.into(),
        pipeline: "product-sync".into(),
        run_id: Some(run_id.into()),
        severity: Severity::Error,
        kind: "run_failed".into(),
        message: format!("tenant {tenant}: run {run_id} failed: step load failed"),
    }
}

async fn evaluate(setup: &Setup, run: &RunRecord, now: DateTime<Utc>) -> Vec<Alert> {
    setup.engine.state.put_run(run).await.unwrap();
    alerts::evaluate_run(&setup.engine, run, now).await.unwrap()
}

#[tokio::test]
async fn an_error_reaches_every_channel_once_per_run_even_across_processes() {
    let setup = setup().await;
    tenant(&setup, "acme", json!(null), "http://127.0.0.1:9").await;
    setup.engine.notifier.notify(&run_failed("acme", "r1")).await.unwrap();
    setup.engine.notifier.notify(&run_failed("acme", "r1")).await.unwrap();
    for channel in [&setup.log, &setup.webhook, &setup.email] {
        assert_eq!(kinds(channel), ["run_failed"], "error goes to log, webhook and email, once");
    }
    // Another process over the same data directory knows it fired.
    let mut other = Engine::embedded(setup.dir.path()).unwrap();
    let email = Arc::new(MemoryNotifier::default());
    other.notifier = Arc::new(router(&other, &Arc::default(), &Arc::default(), &email));
    other.notifier.notify(&run_failed("acme", "r1")).await.unwrap();
    assert!(email.alerts().is_empty(), "the same rule for the same run fires once");
    other.notifier.notify(&run_failed("acme", "r2")).await.unwrap();
    assert_eq!(kinds(&email), ["run_failed"], "another run fires again");
}

#[tokio::test]
async fn a_warning_goes_to_log_and_webhook_but_not_email() {
    let setup = setup().await;
    tenant(&setup, "acme", json!(null), "http://127.0.0.1:9").await;
    let quarantined = Alert {
        severity: Severity::Warning,
        kind: "records_quarantined".into(),
        message: "tenant acme: 3 of 100 records quarantined".into(),
        ..run_failed("acme", "r1")
    };
    setup.engine.notifier.notify(&quarantined).await.unwrap();
    assert_eq!(kinds(&setup.log), ["records_quarantined"]);
    assert_eq!(kinds(&setup.webhook), ["records_quarantined"]);
    assert!(setup.email.alerts().is_empty(), "a warning is not emailed");
}

#[tokio::test]
async fn each_tenant_routes_and_tunes_its_own_rules() {
    let setup = setup().await;
    tenant(&setup, "quiet", json!({"routes": {"error": ["log"]}}), "http://127.0.0.1:9").await;
    tenant(&setup, "muted", json!({"rules": {"run_failed": {"enabled": false}}}), "http://127.0.0.1:9").await;
    tenant(
        &setup,
        "loud",
        json!({"rules": {"run_failed": {"severity": "critical"}}, "routes": {"critical": ["email"]}}),
        "http://127.0.0.1:9",
    )
    .await;
    for name in ["quiet", "muted", "loud"] {
        setup.engine.notifier.notify(&run_failed(name, "r1")).await.unwrap();
    }
    let tenants = |n: &MemoryNotifier| n.alerts().into_iter().map(|a| a.tenant_id).collect::<Vec<_>>();
    assert_eq!(tenants(&setup.log), ["quiet"]);
    assert!(setup.webhook.alerts().is_empty());
    assert_eq!(tenants(&setup.email), ["loud"], "muted raised nothing; quiet's errors go to the log only");
    assert_eq!(setup.email.alerts()[0].severity, Severity::Critical, "the tenant's severity overrides the rule's");
}

#[tokio::test]
async fn failure_rate_fires_above_the_tenant_threshold() {
    let setup = setup().await;
    tenant(&setup, "acme", json!(null), "http://127.0.0.1:9").await;
    tenant(&setup, "lax", json!({"rules": {"failure_rate": {"threshold": 0.2}}}), "http://127.0.0.1:9").await;
    let now = Utc::now();
    let check = |tenant: &'static str, id: &'static str, quarantined: u64, failed: u64| {
        let mut record = run(tenant, id, Status::Succeeded, now - Duration::minutes(1), Some(now));
        record.counters = counters(100, quarantined, failed);
        record
    };
    let raised = evaluate(&setup, &check("acme", "r1", 6, 5), now).await;
    assert_eq!(raised.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["failure_rate"]);
    assert_eq!(raised[0].severity, Severity::Warning);
    assert!(raised[0].message.contains("11 of 100") && raised[0].message.contains("11.0 %"), "{}", raised[0].message);
    assert!(evaluate(&setup, &check("acme", "r2", 10, 0), now).await.is_empty(), "10 % is not above 10 %");
    assert!(evaluate(&setup, &check("lax", "r3", 15, 0), now).await.is_empty(), "lax allows 20 %");
    assert_eq!(evaluate(&setup, &check("lax", "r4", 15, 6), now).await.len(), 1);
    assert_eq!(count(&setup.webhook, "failure_rate"), 2, "warnings reach the webhook");
    assert_eq!(count(&setup.email, "failure_rate"), 0);
}

#[tokio::test]
async fn a_long_run_fires_while_running_or_at_its_end_once() {
    let setup = setup().await;
    tenant(&setup, "acme", json!(null), "http://127.0.0.1:9").await;
    tenant(&setup, "patient", json!({"rules": {"long_run": {"max_duration_secs": 7200}}}), "http://127.0.0.1:9").await;
    let now = Utc::now();
    let stuck = run("acme", "stuck", Status::Running, now - Duration::minutes(40), None);
    setup.engine.state.put_run(&stuck).await.unwrap();
    let slow = run("patient", "slow", Status::Running, now - Duration::minutes(40), None);
    setup.engine.state.put_run(&slow).await.unwrap();

    let raised = alerts::check_stuck_runs(&setup.engine, now).await.unwrap();
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!((raised[0].kind.as_str(), raised[0].run_id.as_deref()), ("long_run", Some("stuck")));
    assert!(raised[0].message.contains("40 min") && raised[0].message.contains("30 min"), "{}", raised[0].message);
    assert!(
        alerts::check_stuck_runs(&setup.engine, now + Duration::minutes(1)).await.unwrap().is_empty(),
        "once per run"
    );

    // The stuck run ends at last: it already fired.
    let ended = RunRecord { status: Status::Succeeded, finished_at: Some(at(now + Duration::minutes(5))), ..stuck };
    assert!(evaluate(&setup, &ended, now + Duration::minutes(5)).await.is_empty());
    assert_eq!(count(&setup.log, "long_run"), 1);

    // Runs checked only at their end.
    let late = run("acme", "late", Status::Succeeded, now - Duration::minutes(31), Some(now));
    assert_eq!(evaluate(&setup, &late, now).await.len(), 1);
    let in_time = run("acme", "in-time", Status::Succeeded, now - Duration::minutes(29), Some(now));
    assert!(evaluate(&setup, &in_time, now).await.is_empty());
    assert_eq!(count(&setup.log, "long_run"), 2);
}

#[tokio::test]
async fn errors_burst_counts_failed_runs_and_dead_letters_across_runs_once_per_window() {
    let setup = setup().await;
    tenant(&setup, "acme", json!({"rules": {"dead_letters_growing": {"enabled": false}}}), "http://127.0.0.1:9").await;
    let now = Utc::now();
    // Old errors do not count: ten dead letters an hour ago.
    let old: Vec<DeadLetter> = (0..10)
        .map(|n| letter("acme", "old", &format!("o{n}"), now - Duration::hours(1), 5, "kong said 422"))
        .collect();
    setup.engine.state.put_dead_letters(&old).await.unwrap();
    for n in 0..3 {
        let failed =
            run("acme", &format!("f{n}"), Status::Failed, now - Duration::minutes(3), Some(now - Duration::minutes(2)));
        setup.engine.state.put_run(&failed).await.unwrap();
    }
    let fresh: Vec<DeadLetter> = (0..2)
        .map(|n| letter("acme", "r1", &format!("n{n}"), now - Duration::minutes(1), 5, "kong said 422"))
        .collect();
    setup.engine.state.put_dead_letters(&fresh).await.unwrap();
    let r1 = run("acme", "r1", Status::Succeeded, now - Duration::minutes(2), Some(now));
    assert!(evaluate(&setup, &r1, now).await.is_empty(), "3 failed runs + 2 dead letters: 5 is not more than 5");

    setup.engine.state.put_dead_letters(&[letter("acme", "r2", "n2", now, 5, "kong said 422")]).await.unwrap();
    let r2 = run("acme", "r2", Status::Succeeded, now - Duration::minutes(1), Some(now));
    let raised = evaluate(&setup, &r2, now).await;
    assert_eq!(raised.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["errors_burst"]);
    assert!(raised[0].message.contains("6 errors in the last 5 min"), "{}", raised[0].message);
    assert_eq!(raised[0].severity, Severity::Error);

    let r3 = run("acme", "r3", Status::Failed, now - Duration::minutes(1), Some(now + Duration::seconds(30)));
    assert!(evaluate(&setup, &r3, now + Duration::seconds(30)).await.is_empty(), "once per window");
    // Ten minutes later the old burst is out of the window; a new one fires again.
    let later = now + Duration::minutes(10);
    let letters: Vec<DeadLetter> =
        (0..6).map(|n| letter("acme", "r4", &format!("l{n}"), later, 5, "kong said 422")).collect();
    setup.engine.state.put_dead_letters(&letters).await.unwrap();
    let r4 = run("acme", "r4", Status::Succeeded, later - Duration::minutes(1), Some(later));
    assert_eq!(evaluate(&setup, &r4, later).await.len(), 1);
    assert_eq!(count(&setup.email, "errors_burst"), 2);
}

#[tokio::test]
async fn dead_letters_growing_compares_with_the_last_evaluation() {
    let setup = setup().await;
    tenant(&setup, "acme", json!(null), "http://127.0.0.1:9").await;
    let now = Utc::now() - Duration::hours(2); // far from the errors_burst window of the checks
    let evaluate_at = |id: &'static str| run("acme", id, Status::Succeeded, now, Some(now));
    let growing = |raised: Vec<Alert>| raised.iter().filter(|a| a.kind == "dead_letters_growing").count();

    let letters = [letter("acme", "r1", "a", now, 5, "x"), letter("acme", "r1", "b", now, 5, "x")];
    setup.engine.state.put_dead_letters(&letters).await.unwrap();
    let first = evaluate(&setup, &evaluate_at("r1"), Utc::now()).await;
    assert_eq!(growing(first.clone()), 1);
    assert!(first[0].message.contains("2 dead letters wait for a replay, up from 0"), "{}", first[0].message);
    assert_eq!(growing(evaluate(&setup, &evaluate_at("r2"), Utc::now()).await), 0, "same count: quiet");

    let id = setup.engine.state.list_dead_letters(Some(&TenantId::parse("acme").unwrap()), 0).await.unwrap()[0].id;
    setup.engine.state.mark_dead_letter_replayed(id, &Utc::now().to_rfc3339()).await.unwrap();
    assert_eq!(growing(evaluate(&setup, &evaluate_at("r3"), Utc::now()).await), 0, "a replay shrinks it");

    let more = [letter("acme", "r4", "c", now, 5, "x"), letter("acme", "r4", "d", now, 5, "x")];
    setup.engine.state.put_dead_letters(&more).await.unwrap();
    let raised = evaluate(&setup, &evaluate_at("r4"), Utc::now()).await;
    assert_eq!(growing(raised.clone()), 1);
    assert!(raised[0].message.contains("3 dead letters wait for a replay, up from 1"), "{}", raised[0].message);
    assert_eq!(count(&setup.webhook, "dead_letters_growing"), 2);
}

#[tokio::test]
async fn source_down_of_siesa_needs_min_attempts_of_the_extract_step() {
    let setup = setup().await;
    tenant(&setup, "acme", json!(null), "http://127.0.0.1:9").await;
    let now = Utc::now() - Duration::hours(1);
    for (id, attempts) in [("blip", 1), ("down", 3)] {
        let mut failed = run("acme", id, Status::Failed, now, Some(now));
        failed.failed_step = Some("extract".into());
        failed.error = Some("step extract failed: siesa could not be reached".into());
        let step = StepRecord {
            run_id: id.into(),
            name: "extract".into(),
            status: Status::Failed,
            attempts,
            started_at: None,
            finished_at: None,
            duration_ms: 0,
            output_ref: None,
            error: failed.error.clone(),
        };
        setup.engine.state.put_run(&failed).await.unwrap();
        setup.engine.state.put_step(&step).await.unwrap();
        let raised = evaluate(&setup, &failed, Utc::now()).await;
        let down: Vec<&Alert> = raised.iter().filter(|a| a.kind == "source_down").collect();
        assert_eq!(down.len(), usize::from(attempts >= 3), "{id}: {raised:?}");
    }
    assert_eq!(count(&setup.email, "source_down"), 1);
}

#[tokio::test]
async fn source_down_of_sap_is_held_back_below_min_attempts_and_fires_once_per_source() {
    let setup = setup().await;
    tenant(&setup, "ergo", json!(null), "http://127.0.0.1:9").await;
    let now = Utc::now();
    let error = |fm: &str| format!("sap could not be reached for POST /sap/rfc/{fm} after 4 attempts");
    let letters = [
        letter("ergo", "r1", "billing/ZSDR002", now, 4, &error("ZSDR002")),
        letter("ergo", "r1", "hts/ZTIOR_HTS", now, 4, &error("ZTIOR_HTS")),
        letter("ergo", "r2", "hts/ZTIOR_HTS", now, 1, "sap said E ZIOR 001: no authorization"),
    ];
    setup.engine.state.put_dead_letters(&letters).await.unwrap();
    let down = |run: &str, fm: &str, error: &str| Alert {
        tenant_id: "ergo".into(),
        pipeline: "ior".into(),
        run_id: Some(run.into()),
        severity: Severity::Error,
        kind: "source_down".into(),
        message: format!("tenant ergo: sap function module {fm} could not be read: {error}"),
    };
    for _ in 0..2 {
        setup.engine.notifier.notify(&down("r1", "ZSDR002", &error("ZSDR002"))).await.unwrap();
        setup.engine.notifier.notify(&down("r1", "ZTIOR_HTS", &error("ZTIOR_HTS"))).await.unwrap();
    }
    setup.engine.notifier.notify(&down("r2", "ZTIOR_HTS", "sap said E ZIOR 001: no authorization")).await.unwrap();
    let messages: Vec<String> = setup.email.alerts().into_iter().map(|a| a.message).collect();
    assert_eq!(messages.len(), 2, "one per source of r1, none for r2's single attempt: {messages:?}");
    assert!(messages[0].contains("ZSDR002") && messages[1].contains("ZTIOR_HTS"));
}

#[tokio::test]
async fn a_real_run_with_siesa_down_raises_run_failed_and_source_down() {
    let setup = setup().await;
    tenant(&setup, "acme", json!(null), "http://127.0.0.1:9").await;
    let tenant_id = TenantId::parse("acme").unwrap();
    let options = RunOptions { trigger: "test".into(), ..RunOptions::default() };
    let run = runner::sync(&setup.engine, &tenant_id, &options).await.unwrap();
    assert_eq!((run.status, run.failed_step.as_deref()), (Status::Failed, Some("extract")));
    let mut email = kinds(&setup.email);
    email.sort();
    assert_eq!(email, ["run_failed", "source_down"]);
    let down = setup.email.alerts().into_iter().find(|a| a.kind == "source_down").unwrap();
    assert!(down.message.contains("after 3 attempts of the extract step"), "{}", down.message);
    assert_eq!(down.run_id.as_deref(), Some(run.run_id.as_str()));
}

#[test]
fn every_rule_has_a_name_a_severity_and_a_config_key() {
    let defaults = lading_core::config::AlertSettings::default();
    let config = serde_json::to_value(&defaults.rules).unwrap();
    for rule in Rule::ALL {
        assert_eq!(Rule::parse(rule.name()), Some(rule));
        assert!(config.get(rule.name()).is_some(), "alerts.rules.{} exists", rule.name());
        assert!(rule.enabled(&defaults), "{} is on by default", rule.name());
    }
    assert_eq!(config.as_object().unwrap().len(), Rule::ALL.len(), "no config key without a rule");
}
