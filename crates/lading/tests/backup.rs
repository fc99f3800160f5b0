//! `lading backup` and `lading restore` on a real data directory, and `lading dlq` errors.

mod support;

use std::path::Path;
use std::process::Output;

fn lading(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    support::lading_with_stdin(data_dir, args, stdin)
}

use support::text;

#[test]
fn a_backup_restores_tenants_secrets_and_objects_after_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = serde_json::json!({
        "version": 1, "tenant_id": "acme", "product_type": "kong",
        "mapping_key": "field-mappings-kong.json",
        "source": {"kind": "siesa", "base_url": "http://127.0.0.1:9", "company_id": "1"},
        "target": {"base_url": "http://127.0.0.1:9"}
    })
    .to_string();
    assert!(lading(&data, &["tenants", "add", "--file", "-"], &config).status.success());
    let secret = r#"{"siesa": {"conni_key": "k", "conni_token": "t"}, "target": {"username": "u", "password": "p"}}"#;
    assert!(lading(&data, &["secrets", "set", "--tenant", "acme"], secret).status.success());
    // A mapping object lands in objects/ on first use; make sure there is at least one object.
    std::fs::create_dir_all(data.join("objects/reports/acme")).unwrap();
    std::fs::write(data.join("objects/reports/acme/summary.json"), "{}").unwrap();

    let backup = dir.path().join("backup");
    let made = lading(&data, &["backup", backup.to_str().unwrap()], "");
    assert!(made.status.success(), "{}", text(&made));
    assert!(backup.join("state.db").exists() && backup.join("secret.key").exists());
    let again = lading(&data, &["backup", backup.to_str().unwrap()], "");
    assert_eq!(again.status.code(), Some(2), "an existing target is refused: {}", text(&again));

    // Change things, then restore.
    assert!(lading(&data, &["tenants", "disable", "acme"], "").status.success());
    std::fs::remove_file(data.join("objects/reports/acme/summary.json")).unwrap();
    let refused = lading(&data, &["restore", backup.to_str().unwrap()], "");
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("--force"));
    let restored = lading(&data, &["restore", backup.to_str().unwrap(), "--force"], "");
    assert!(restored.status.success(), "{}", text(&restored));

    let tenants = lading(&data, &["--json", "tenants", "list"], "");
    let tenants: serde_json::Value = serde_json::from_slice(&tenants.stdout).unwrap();
    assert_eq!(tenants[0]["enabled"], true, "the tenant is as it was at backup time");
    let names = text(&lading(&data, &["secrets", "list"], ""));
    assert!(names.contains("siesa-integration/acme/kong"), "{names}");
    assert!(data.join("objects/reports/acme/summary.json").exists());

    // A directory that is not a backup, and a damaged snapshot, are refused before anything changes.
    let not_backup = lading(&data, &["restore", dir.path().to_str().unwrap(), "--force"], "");
    assert_eq!(not_backup.status.code(), Some(3), "{}", text(&not_backup));
    std::fs::write(backup.join("state.db"), b"SQLite format 3\0garbage").unwrap();
    let damaged = lading(&data, &["restore", backup.to_str().unwrap(), "--force"], "");
    assert!(!damaged.status.success(), "{}", text(&damaged));
    let tenants = lading(&data, &["--json", "tenants", "list"], "");
    assert!(tenants.status.success(), "the data directory is untouched: {}", text(&tenants));
}

#[test]
fn dead_letter_commands_name_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let list = lading(dir.path(), &["--json", "dlq", "list"], "");
    assert!(list.status.success(), "{}", text(&list));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&list.stdout).unwrap(), serde_json::json!([]));
    let show = lading(dir.path(), &["dlq", "show", "42"], "");
    assert_eq!(show.status.code(), Some(3));
    assert!(text(&show).contains("no dead letter 42"), "{}", text(&show));
    let replay = lading(dir.path(), &["dlq", "replay"], "");
    assert_eq!(replay.status.code(), Some(2));
    let unknown = lading(dir.path(), &["dlq", "replay", "7"], "");
    assert_eq!(unknown.status.code(), Some(3), "{}", text(&unknown));
}
