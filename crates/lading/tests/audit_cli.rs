//! `lading audit …` as an operator uses it: configuration changes from the command line land in
//! the audit trail (never a secret value), `verify` passes on an intact chain and fails with
//! what to do on a tampered one, racing processes extend one chain, and `prune` keeps it
//! verifiable. Also the other corrupt state of the "bad input" rule: a truncated database.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn spawn(data_dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Child {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_lading"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("LADING_SECRET_KEY")
        .env_remove("LADING_LOG")
        .env_remove("LADING_AUDIT_RETENTION_DAYS")
        .env("USER", "ops")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the lading binary starts");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child
}

fn lading(data_dir: &Path, args: &[&str]) -> Output {
    lading_with(data_dir, args, "", &[])
}

fn lading_with(data_dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    spawn(data_dir, args, stdin, env).wait_with_output().expect("lading finishes")
}

fn ok(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const TENANT_SECRET: &str = r#"{"siesa": {"conni_key": "key-1", "conni_token": "token-never-logged"}, "target": {"username": "u", "password": "pw-never-logged"}}"#;

fn add_tenant(dir: &Path) {
    let config = serde_json::json!({
        "version": 1, "tenant_id": "acme", "product_type": "kong",
        "mapping_key": "field-mappings-kong.json",
        "source": {"kind": "siesa", "base_url": "http://127.0.0.1:9", "company_id": "1"},
        "target": {"base_url": "http://127.0.0.1:9"}
    });
    ok(lading_with(dir, &["tenants", "add", "--file", "-"], &config.to_string(), &[]));
}

fn audit_entries(dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["--json", "audit", "list"];
    all.extend_from_slice(args);
    let listing: serde_json::Value = serde_json::from_str(&ok(lading(dir, &all))).unwrap();
    listing["entries"].as_array().unwrap().clone()
}

fn entry_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for segment in std::fs::read_dir(dir.join("objects/audit/chain")).unwrap().flatten() {
        files.extend(std::fs::read_dir(segment.path()).unwrap().flatten().map(|e| e.path()));
    }
    files.sort();
    files
}

#[test]
fn configuration_changes_are_audited_without_their_secrets_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    add_tenant(dir);
    ok(lading(dir, &["tenants", "disable", "acme"]));
    ok(lading(dir, &["tenants", "enable", "acme"]));
    ok(lading_with(dir, &["secrets", "set", "--tenant", "acme"], TENANT_SECRET, &[]));
    let ior = serde_json::json!({"version": 1, "tenant_id": "ergo", "sap": {"base_url": "http://127.0.0.1:9", "client": "100"}});
    ok(lading_with(dir, &["ior", "setup", "--file", "-"], &ior.to_string(), &[]));
    ok(lading_with(
        dir,
        &["ior", "secret", "--tenant", "ergo"],
        r#"{"username": "LADING_RFC", "password": "sap-pw-never-logged"}"#,
        &[],
    ));
    let csv = dir.join("Packaging_Material.csv");
    std::fs::write(&csv, "Material,Packaging Type,KG per Unit,Units per Pack\nM-1,CARTON,0.5,10\n").unwrap();
    ok(lading(dir, &["upload", "packaging_materials", csv.to_str().unwrap(), "--tenant", "ergo"]));

    let entries = audit_entries(dir, &[]);
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    // The upload is a run of its own: its start and end are audited before the upload itself.
    assert_eq!(
        actions,
        [
            "tenant.saved",
            "tenant.disabled",
            "tenant.enabled",
            "secret.set",
            "ior.config_saved",
            "secret.set",
            "run.started",
            "run.finished",
            "upload"
        ]
    );
    let people: Vec<&serde_json::Value> =
        entries.iter().filter(|e| !e["action"].as_str().unwrap().starts_with("run.")).collect();
    assert!(people.iter().all(|e| e["actor"] == "cli:ops"), "{entries:#?}");
    assert!(entries[6]["actor"].as_str().unwrap().starts_with("trigger:"), "{:?}", entries[6]);
    assert_eq!(entries[7]["details"]["status"], "succeeded");
    assert_eq!(entries[3]["target"], "secret/siesa-integration/acme/kong");
    assert_eq!(entries[5]["tenant"], "ergo");
    assert_eq!(entries[8]["target"], "table/packaging_materials");
    assert_eq!(entries[8]["details"]["records"], 1);

    for file in entry_files(dir) {
        let text = std::fs::read_to_string(&file).unwrap();
        for secret in ["token-never-logged", "pw-never-logged", "sap-pw-never-logged"] {
            assert!(!text.contains(secret), "{} holds a secret value", file.display());
        }
    }

    let filtered = audit_entries(dir, &["--tenant", "acme", "--action", "tenant", "--limit", "2"]);
    let seqs: Vec<u64> = filtered.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [2, 3]);
    assert!(audit_entries(dir, &["--since", "2999-01-01"]).is_empty());
    let bad_since = lading(dir, &["audit", "list", "--since", "yesterday"]);
    assert_eq!(bad_since.status.code(), Some(2), "{}", stderr(&bad_since));

    let verified = ok(lading(dir, &["audit", "verify"]));
    assert!(verified.contains("entries 1 to 9") && verified.contains("ok:"), "{verified}");
    let table = ok(lading(dir, &["audit", "list"]));
    assert!(table.contains("tenant.disabled") && table.contains("cli:ops"), "{table}");
}

#[test]
fn a_tampered_entry_fails_verify_with_the_first_bad_entry_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    add_tenant(dir);
    ok(lading(dir, &["tenants", "disable", "acme"]));
    ok(lading(dir, &["tenants", "enable", "acme"]));
    let second = &entry_files(dir)[1];
    let edited = std::fs::read_to_string(second).unwrap().replace("cli:ops", "cli:nobody");
    std::fs::write(second, edited).unwrap();

    let verify = lading(dir, &["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(5), "{}", stderr(&verify));
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(out.contains("DAMAGED") && out.contains("first bad entry is 2"), "{out}");
    let err = stderr(&verify);
    assert!(err.contains("entry 2 was edited") && err.contains("restore"), "{err}");

    let report = lading(dir, &["--json", "audit", "verify"]);
    assert_eq!(report.status.code(), Some(5));
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["problems"][0]["kind"], "edited");
    assert_eq!(report["problems"][0]["seq"], 2);

    let prune = lading_with(dir, &["audit", "prune"], "", &[("LADING_AUDIT_RETENTION_DAYS", "0")]);
    assert_eq!(prune.status.code(), Some(5));
    assert!(stderr(&prune).contains("nothing was pruned"), "{}", stderr(&prune));
    assert_eq!(entry_files(dir).len(), 3, "a damaged chain keeps every entry");
}

#[test]
fn racing_processes_extend_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    add_tenant(dir);
    let children: Vec<Child> = (0..6)
        .map(|i| {
            let command = if i % 2 == 0 { "disable" } else { "enable" };
            spawn(dir, &["tenants", command, "acme"], "", &[])
        })
        .collect();
    for child in children {
        ok(child.wait_with_output().unwrap());
    }
    let report: serde_json::Value = serde_json::from_str(&ok(lading(dir, &["--json", "audit", "verify"]))).unwrap();
    assert_eq!(report["entries"], 7, "{report:#}");
    assert_eq!(report["problems"].as_array().unwrap().len(), 0, "{report:#}");
}

#[test]
fn pruning_keeps_recent_entries_and_the_chain_verifiable() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    add_tenant(dir);
    ok(lading(dir, &["tenants", "disable", "acme"]));
    ok(lading(dir, &["tenants", "enable", "acme"]));
    let kept = ok(lading(dir, &["audit", "prune"]));
    assert!(kept.contains("nothing to prune") && kept.contains("2557 days"), "{kept}");

    // With no retention at all, everything but the last entry goes, and a checkpoint vouches
    // for where the chain now starts.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let pruned = ok(lading_with(dir, &["audit", "prune"], "", &[("LADING_AUDIT_RETENTION_DAYS", "0")]));
    assert!(pruned.contains("pruned 2 audit entries") && pruned.contains("starts at entry 3"), "{pruned}");
    let verified = ok(lading(dir, &["audit", "verify"]));
    assert!(verified.contains("checkpoint entry 4") && verified.contains("ok:"), "{verified}");
    let actions: Vec<String> =
        audit_entries(dir, &[]).iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
    assert_eq!(actions, ["tenant.enabled", "audit.pruned"]);
}

#[test]
fn a_truncated_state_database_is_reported_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    add_tenant(dir);
    let db = dir.join("state.db");
    let _ = std::fs::remove_file(dir.join("state.db-wal"));
    let bytes = std::fs::read(&db).unwrap();
    std::fs::write(&db, &bytes[..bytes.len() / 2 + 7]).unwrap();
    for args in [&["tenants", "list"][..], &["audit", "verify"][..]] {
        let output = lading(dir, args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(5), "{args:?}: {err}");
        assert!(err.contains("state.db") && err.contains("backup"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
