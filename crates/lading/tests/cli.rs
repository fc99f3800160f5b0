//! The `lading` binary as a user runs it: commands, output, exit codes, error messages.

mod support;

use std::path::Path;
use std::process::Output;

fn lading(data_dir: &Path, args: &[&str]) -> Output {
    lading_with_stdin(data_dir, args, "")
}

fn lading_with_stdin(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    support::lading_with_stdin(data_dir, args, stdin)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn tenant_json(tenant: &str, source_url: &str) -> String {
    serde_json::json!({
        "version": 1, "tenant_id": tenant, "product_type": "kong",
        "mapping_key": "field-mappings-kong.json",
        "source": {"kind": "siesa", "base_url": source_url, "company_id": "1"},
        "target": {"base_url": "http://127.0.0.1:9"},
        "timeout_secs": 1,
        "retry": {"max_attempts": 2, "initial_backoff_ms": 1, "max_backoff_ms": 5, "backoff_rate": 2.0}
    })
    .to_string()
}

#[test]
fn the_demo_syncs_two_tenants_fully_then_incrementally() {
    let dir = tempfile::tempdir().unwrap();
    let output = lading(dir.path(), &["demo", "--items", "400"]);
    let text = stdout(&output);
    assert!(output.status.success(), "stdout:\n{text}\nstderr:\n{}", stderr(&output));
    assert!(text.contains("full sync of both tenants"), "{text}");
    assert!(text.contains("incremental sync"), "{text}");
    assert!(text.contains("acme") && text.contains("globex"), "{text}");
    assert!(text.contains("shadow validation") && text.contains("100.0%"), "{text}");

    // The generated lines export as CSV, and `lading compare` finds the planted discrepancies
    // between them and SAP's own lines.
    let demo = dir.path().join("demo");
    let generated = lading(&demo, &["ior", "lines", "--tenant", "ergo"]);
    let reported = lading(&demo, &["ior", "lines", "--tenant", "ergo", "--reported"]);
    assert!(generated.status.success() && reported.status.success(), "{}", stderr(&generated));
    std::fs::write(dir.path().join("generated.csv"), &generated.stdout).unwrap();
    std::fs::write(dir.path().join("reported.csv"), &reported.stdout).unwrap();
    let g = dir.path().join("generated.csv");
    let r = dir.path().join("reported.csv");
    let compared = lading(dir.path(), &["--json", "compare", g.to_str().unwrap(), r.to_str().unwrap()]);
    assert_eq!(compared.status.code(), Some(1), "discrepancies fail the comparison: {}", stderr(&compared));
    let report: serde_json::Value = serde_json::from_slice(&compared.stdout).unwrap();
    assert!(report["summary"]["differences"]["fail"].as_u64().unwrap() > 0);
    let same = lading(dir.path(), &["compare", g.to_str().unwrap(), g.to_str().unwrap()]);
    assert!(same.status.success(), "a file matches itself: {}", stderr(&same));
    let loose = lading(dir.path(), &["compare", g.to_str().unwrap(), r.to_str().unwrap(), "--set", "nonsense=1"]);
    assert_eq!(loose.status.code(), Some(2), "{}", stderr(&loose));

    // The demo's state is an ordinary data dir: the other commands read it.
    let runs = lading(&demo, &["--json", "runs", "list"]);
    assert!(runs.status.success(), "{}", stderr(&runs));
    let runs: Vec<serde_json::Value> = serde_json::from_slice(&runs.stdout).unwrap();
    let ior: Vec<&serde_json::Value> = runs.iter().filter(|r| r["pipeline"] == "ior-daily").collect();
    assert_eq!(ior.len(), 1, "the importer-of-record run: {runs:?}");
    assert!(ior[0]["counters"]["created"].as_u64().unwrap() > 0, "customs lines generated");
    let runs: Vec<serde_json::Value> = runs.into_iter().filter(|r| r["pipeline"] == "product-sync").collect();
    assert_eq!(runs.len(), 4);
    assert!(runs.iter().all(|r| r["status"] == "succeeded"), "{runs:?}");
    let incremental: Vec<&serde_json::Value> = runs.iter().filter(|r| r["full"] == false).collect();
    assert_eq!(incremental.len(), 2);
    for run in incremental {
        // 400 items: the demo changes 4 and adds 2 per company.
        assert_eq!(run["counters"]["created"], 2, "{run}");
        assert_eq!(run["counters"]["updated"], 4, "{run}");
    }
    let schedules = lading(&demo, &["--json", "schedule", "list"]);
    let schedules: Vec<serde_json::Value> = serde_json::from_slice(&schedules.stdout).unwrap();
    let labels: Vec<String> =
        schedules.iter().map(|s| format!("{}/{}", s["tenant"], s["schedule"]).replace('"', "")).collect();
    assert_eq!(labels, ["acme/sync", "globex/sync", "ergo/daily", "ergo/weekly"]);
    assert!(schedules.iter().all(|s| s["next"].is_string()), "{schedules:?}");
    let quarantine = lading(&demo, &["quarantine", "list", "--tenant", "acme"]);
    assert!(quarantine.status.success());
    assert!(stdout(&quarantine).contains("acme"), "{}", stdout(&quarantine));
    let secrets = lading(&demo, &["secrets", "list"]);
    let listed = stdout(&secrets);
    assert!(listed.contains("siesa-integration/acme/kong") && listed.contains("siesa-integration/globex/wms"));
    assert!(!listed.contains("password") && !listed.contains("conni"), "{listed}");
}

#[test]
fn tenants_are_added_listed_disabled_and_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("acme.json");
    std::fs::write(&file, tenant_json("acme", "http://127.0.0.1:9")).unwrap();
    let added = lading(dir.path(), &["tenants", "add", "--file", file.to_str().unwrap()]);
    assert!(added.status.success(), "{}", stderr(&added));
    let disabled = lading(dir.path(), &["tenants", "disable", "acme"]);
    assert!(disabled.status.success());
    let listed = lading(dir.path(), &["--json", "tenants", "list"]);
    let tenants: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(tenants[0]["enabled"], false);
    let sync = lading(dir.path(), &["sync", "--tenant", "acme"]);
    assert_eq!(sync.status.code(), Some(2));
    assert!(stderr(&sync).contains("lading tenants enable acme"), "{}", stderr(&sync));
    assert!(lading(dir.path(), &["tenants", "enable", "acme"]).status.success());
}

#[test]
fn bad_input_gets_one_clear_line_and_a_distinct_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let check = |args: &[&str], stdin: &str, code: i32, needles: &[&str]| {
        let output = lading_with_stdin(dir.path(), args, stdin);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {err}");
        for needle in needles {
            assert!(err.contains(needle), "{args:?}: {needle:?} not in {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(err.trim().lines().filter(|l| l.starts_with("error:")).count(), 1, "{err}");
    };
    // A config with an unknown field, and one with invalid values.
    let mut unknown: serde_json::Value = serde_json::from_str(&tenant_json("acme", "http://127.0.0.1:9")).unwrap();
    unknown["colour"] = "blue".into();
    check(&["tenants", "add", "--file", "-"], &unknown.to_string(), 2, &["unknown field `colour`"]);
    let invalid = tenant_json("ACME", "ftp://nowhere");
    check(&["tenants", "add", "--file", "-"], &invalid, 2, &["ACME", "tenant_id", "source.base_url"]);
    let mut bad_mapping: serde_json::Value = serde_json::from_str(&tenant_json("acme", "http://127.0.0.1:9")).unwrap();
    bad_mapping["mapping_key"] = "field-mappings-nope.json".into();
    check(&["tenants", "add", "--file", "-"], &bad_mapping.to_string(), 2, &["acme", "field-mappings-nope.json"]);
    // Unknown tenant and run.
    check(&["sync", "--tenant", "nobody"], "", 3, &["unknown tenant", "nobody"]);
    check(&["runs", "show", "no-such-run"], "", 3, &["unknown run"]);
    // An importer-of-record run without its config, and a malformed customs-lines CSV.
    check(&["run", "ior-daily", "--tenant", "acme"], "", 2, &["acme", "lading ior setup"]);
    let bad_csv = dir.path().join("bad.csv");
    std::fs::write(&bad_csv, "entry_number,line_number\nE1,not-a-number\n").unwrap();
    let path = bad_csv.to_str().unwrap();
    check(&["compare", path, path], "", 2, &["row"]);
    // A secret of the wrong shape: named, not echoed.
    let added =
        lading_with_stdin(dir.path(), &["tenants", "add", "--file", "-"], &tenant_json("acme", "http://127.0.0.1:9"));
    assert!(added.status.success(), "{}", stderr(&added));
    check(
        &["secrets", "set", "--tenant", "acme"],
        r#"{"siesa": {"conni_key": "k", "conni_token": "t"}, "target": {"username": "u", "password": 12345678}}"#,
        2,
        &["acme", "expected"],
    );
    let output = lading_with_stdin(
        dir.path(),
        &["secrets", "set", "--tenant", "acme"],
        r#"{"siesa": {"conni_key": "k", "conni_token": "t"}, "target": {"username": "u", "password": 12345678}}"#,
    );
    assert!(!stderr(&output).contains("12345678"));
    // No secret yet for this tenant's sync: named with the command that sets it.
    check(&["sync", "--tenant", "acme"], "", 2, &["siesa-integration/acme/kong", "lading secrets set"]);
    // An unreachable Siesa: the run fails at extract, exit 4, tenant and system named.
    let secret = r#"{"siesa": {"conni_key": "k", "conni_token": "t"}, "target": {"username": "u", "password": "p"}}"#;
    let stored = lading_with_stdin(dir.path(), &["secrets", "set", "--tenant", "acme"], secret);
    assert!(stored.status.success(), "{}", stderr(&stored));
    check(&["sync", "--tenant", "acme"], "", 4, &["acme", "siesa", "extract"]);
}
