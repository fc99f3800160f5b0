//! The scheduler against the clock it is given: each cron slot fires once, disabled tenants
//! never, and a bad schedule is reported, not fatal.

use chrono::{DateTime, TimeZone, Utc};
use lading_core::Secret;
use lading_core::config::RawTenantConfig;
use lading_runtime::Engine;
use lading_runtime::pipelines::Pipeline;
use lading_runtime::schedule::{SchedulerState, jobs, tick};

fn at(hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, hour, minute, second).unwrap()
}

async fn engine_with(tenants: &[(&str, bool, &str)]) -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::embedded(dir.path()).unwrap();
    for (tenant, enabled, schedule) in tenants {
        let raw: RawTenantConfig = serde_json::from_value(serde_json::json!({
            "version": 1, "tenant_id": tenant, "product_type": "kong", "enabled": enabled,
            "mapping_key": "field-mappings-kong.json",
            // Nothing listens there: the scheduled run starts, and fails fast at extract.
            "source": {"kind": "siesa", "base_url": "http://127.0.0.1:9", "company_id": "1"},
            "target": {"base_url": "http://127.0.0.1:9"},
            "schedule": schedule,
            "timeout_secs": 1,
            "retry": {"max_attempts": 1, "initial_backoff_ms": 1, "max_backoff_ms": 1, "backoff_rate": 1.0}
        }))
        .unwrap();
        engine.state.put_tenant(&raw).await.unwrap();
        let secret =
            r#"{"siesa": {"conni_key": "k", "conni_token": "t"}, "target": {"username": "u", "password": "p"}}"#;
        engine.secrets.put_secret(&format!("siesa-integration/{tenant}/kong"), &Secret::new(secret)).await.unwrap();
    }
    (dir, engine)
}

#[tokio::test]
async fn each_slot_fires_once_and_disabled_tenants_never() {
    let (_dir, engine) = engine_with(&[("nightly", true, "0 0 2 * * *"), ("off", false, "0 0 2 * * *")]).await;
    let listed = jobs(&engine).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].pipeline, Pipeline::ProductSync);

    let mut state = SchedulerState::default();
    // The first reading only starts the clock; then 02:00:00 falls in (01:59:59, 02:00:01].
    assert!(tick(&engine, &mut state, at(1, 59, 0)).await.unwrap().is_empty());
    assert!(tick(&engine, &mut state, at(1, 59, 59)).await.unwrap().is_empty());
    let fired = tick(&engine, &mut state, at(2, 0, 1)).await.unwrap();
    assert_eq!(fired.len(), 1);
    let run = fired[0].as_ref().unwrap();
    assert_eq!(run.tenant_id, "nightly");
    assert_eq!(run.trigger, "schedule sync");
    // The same slot never fires again, however often the clock is read.
    assert!(tick(&engine, &mut state, at(2, 0, 1)).await.unwrap().is_empty());
    assert!(tick(&engine, &mut state, at(2, 30, 0)).await.unwrap().is_empty());
    let runs = engine.state.list_runs(&Default::default()).await.unwrap();
    assert_eq!(runs.len(), 1, "one run for one slot");
}

#[tokio::test]
async fn a_slot_missed_between_two_readings_fires_once_at_the_next() {
    let (_dir, engine) = engine_with(&[("hourly", true, "0 0 * * * *")]).await;
    let mut state = SchedulerState::default();
    tick(&engine, &mut state, at(1, 30, 0)).await.unwrap();
    // Three slots passed (02:00, 03:00, 04:00) while the scheduler was busy: one run, not three.
    let fired = tick(&engine, &mut state, at(4, 10, 0)).await.unwrap();
    assert_eq!(fired.len(), 1);
}
