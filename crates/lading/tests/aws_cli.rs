//! `lading aws template`: the files it writes come from the tenants in the data directory.

mod support;

use std::path::Path;
use std::process::Output;

fn lading(data_dir: &Path, args: &[&str]) -> Output {
    support::lading_with_stdin(data_dir, args, "")
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_template_carries_the_tenants_schedules_secrets_and_retry_policy() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let tenant = serde_json::json!({
        "version": 1, "tenant_id": "acme", "product_type": "kong",
        "mapping_key": "field-mappings-kong.json",
        "source": {"kind": "siesa", "base_url": "http://127.0.0.1:9", "company_id": "1"},
        "target": {"base_url": "http://127.0.0.1:9"},
        "schedule": "0 30 2 * * *",
        "retry": {"max_attempts": 5, "initial_backoff_ms": 2000, "max_backoff_ms": 30000, "backoff_rate": 3.0}
    });
    let file = dir.path().join("acme.json");
    std::fs::write(&file, tenant.to_string()).unwrap();
    let added = lading(&data, &["tenants", "add", "--file", file.to_str().unwrap()]);
    assert!(added.status.success(), "{}", support::text(&added));

    let out = dir.path().join("aws");
    let written = lading(&data, &["aws", "template", "--out", out.to_str().unwrap()]);
    assert!(written.status.success(), "{}", support::text(&written));

    let machine = read_json(&out.join("statemachine-product-sync.asl.json"));
    let retry = &machine["States"]["extract"]["Retry"][0];
    // The runner caps a step at 3 attempts, so 2 retries; the waits are the tenant's.
    assert_eq!((retry["MaxAttempts"].as_u64(), retry["IntervalSeconds"].as_u64()), (Some(2), Some(2)));
    assert_eq!((retry["MaxDelaySeconds"].as_u64(), retry["BackoffRate"].as_f64()), (Some(30), Some(3.0)));
    assert!(out.join("statemachine-ior-daily.asl.json").exists());

    let template = read_json(&out.join("lading.template.json"));
    let resources = &template["Resources"];
    assert_eq!(resources["ScheduleAcmeSync"]["Properties"]["ScheduleExpression"], "cron(30 2 * * ? *)");
    assert_eq!(resources["SecretSiesaIntegrationAcmeKong"]["Properties"]["Name"], "siesa-integration/acme/kong");
}
