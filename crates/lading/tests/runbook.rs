//! docs/operations.md is exercised: every `lading …` command it shows parses with the
//! arguments it shows, and its flows — start and stop the server, health checks, onboard a
//! tenant, disable it, rotate its credentials, back up and restore, dead letters — run against
//! simulators on loopback.

use lading_sim::faults::Faults;
mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn lading(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    support::lading_with_stdin(data_dir, args, stdin)
}

use support::text;

/// The `lading …` lines of the runbook's shell blocks, comments dropped.
fn runbook_commands() -> Vec<Vec<String>> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/operations.md")).unwrap();
    let mut in_block = false;
    let mut commands = Vec::new();
    for line in doc.lines() {
        if line.starts_with("```") {
            in_block = line.starts_with("```sh");
            continue;
        }
        let line = line.split(" #").next().unwrap_or("").trim();
        if in_block && line.starts_with("lading ") {
            commands.push(line.split_whitespace().skip(1).map(String::from).collect());
        }
    }
    commands
}

#[test]
fn every_runbook_command_exists_with_the_arguments_it_shows() {
    let commands = runbook_commands();
    assert!(commands.len() >= 25, "the runbook shows its commands: {commands:?}");
    let dir = tempfile::tempdir().unwrap();
    for args in commands {
        // `--help` after the arguments: clap still rejects an unknown subcommand or flag.
        // Placeholders take a value of their kind.
        let mut with_help: Vec<&str> = args
            .iter()
            .map(|a| {
                if a == "<id>" {
                    "1"
                } else if a.starts_with('<') {
                    "x"
                } else {
                    a.as_str()
                }
            })
            .collect();
        with_help.push("--help");
        let output = lading(dir.path(), &with_help, "");
        assert!(output.status.success(), "`lading {}` does not parse: {}", args.join(" "), text(&output));
    }
}

async fn simulators() -> (lading_sim::siesa::SiesaSim, lading_sim::kong::KongSim) {
    let local: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    let siesa = lading_sim::siesa::start(
        lading_sim::siesa::SiesaConfig {
            seed: 3,
            companies: vec![lading_sim::siesa::SiesaCompany {
                company_id: "1".into(),
                conni_key: "key-1".into(),
                conni_token: "token-1".into(),
                items: 150,
            }],
            faults: Faults::default(),
        },
        local,
    )
    .await
    .unwrap();
    let kong = lading_sim::kong::start(
        lading_sim::kong::KongConfig {
            seed: 3,
            accounts: vec![lading_sim::kong::KongAccount {
                username: "acme-user".into(),
                password: "acme-pass".into(),
                customer_id: "acme".into(),
            }],
            faults: Faults::default(),
        },
        local,
    )
    .await
    .unwrap();
    (siesa, kong)
}

fn secret(user: &str, password: &str) -> String {
    serde_json::json!({"siesa": {"conni_key": "key-1", "conni_token": "token-1"}, "target": {"username": user, "password": password}})
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runbook_flows_run_as_written() {
    let (siesa, kong) = simulators().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = serde_json::json!({
        "version": 1, "tenant_id": "acme", "product_type": "kong",
        "mapping_key": "field-mappings-kong.json",
        "source": {"kind": "siesa", "base_url": siesa.base_url(), "company_id": "1"},
        "target": {"base_url": kong.base_url()},
        "retry": {"max_attempts": 2, "initial_backoff_ms": 1, "max_backoff_ms": 5, "backoff_rate": 2.0}
    })
    .to_string();
    let run = |args: Vec<&str>, stdin: String| {
        let data = data.clone();
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                lading(&data, &args, &stdin)
            })
            .await
            .unwrap()
        }
    };

    // Onboard a tenant: add, credentials, the first full load, its runs and quarantine.
    let added = run(vec!["tenants", "add", "--file", "-"], config.clone()).await;
    assert!(added.status.success(), "{}", text(&added));
    // Credentials that Kong refuses first: the run fails, saying so.
    assert!(
        run(vec!["secrets", "set", "--tenant", "acme", "--file", "-"], secret("acme-user", "old"))
            .await
            .status
            .success()
    );
    let refused = run(vec!["sync", "--tenant", "acme", "--full"], String::new()).await;
    assert!(!refused.status.success(), "{}", text(&refused));
    // Rotate credentials: the next run uses the new secret.
    assert!(
        run(vec!["secrets", "set", "--tenant", "acme", "--file", "-"], secret("acme-user", "acme-pass"))
            .await
            .status
            .success()
    );
    let synced = run(vec!["sync", "--tenant", "acme", "--full"], String::new()).await;
    assert!(synced.status.success(), "{}", text(&synced));
    assert!(!kong.skus("acme-user").is_empty());
    let runs = run(vec!["--json", "runs", "list", "--tenant", "acme"], String::new()).await;
    let runs: serde_json::Value = serde_json::from_slice(&runs.stdout).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 2);
    assert!(run(vec!["quarantine", "list", "--tenant", "acme"], String::new()).await.status.success());
    assert!(run(vec!["dlq", "list", "--tenant", "acme"], String::new()).await.status.success());

    // Disable a tenant: a sync is refused with what to do; enable it again.
    assert!(run(vec!["tenants", "disable", "acme"], String::new()).await.status.success());
    let disabled = run(vec!["sync", "--tenant", "acme"], String::new()).await;
    assert_eq!(disabled.status.code(), Some(2), "{}", text(&disabled));
    assert!(text(&disabled).contains("lading tenants enable acme"), "{}", text(&disabled));
    assert!(run(vec!["tenants", "enable", "acme"], String::new()).await.status.success());

    // Back up while things run, restore over a change.
    let backup = dir.path().join("backup");
    let made = run(vec!["backup", backup.to_str().unwrap()], String::new()).await;
    assert!(made.status.success(), "{}", text(&made));
    assert!(run(vec!["tenants", "disable", "acme"], String::new()).await.status.success());
    let restored = run(vec!["restore", backup.to_str().unwrap(), "--force"], String::new()).await;
    assert!(restored.status.success(), "{}", text(&restored));
    let tenants = run(vec!["--json", "tenants", "list"], String::new()).await;
    let tenants: serde_json::Value = serde_json::from_slice(&tenants.stdout).unwrap();
    assert_eq!(tenants[0]["enabled"], true);

    // Start: the first admin, the server, its health checks; stop with SIGTERM.
    let added = run(vec!["users", "add", "root", "--role", "admin"], "runbook password 1\n".into()).await;
    assert!(added.status.success(), "{}", text(&added));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_lading"))
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--listen", &listen])
        .env_remove("LADING_SECRET_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(response) = client.get(format!("http://{listen}/healthz")).send().await {
            healthy = response.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "the server answers /healthz");
    let ready: serde_json::Value =
        client.get(format!("http://{listen}/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let stopped = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(stopped.success());
    let status = tokio::task::spawn_blocking(move || server.wait()).await.unwrap().unwrap();
    assert!(status.success(), "SIGTERM stops the server cleanly: {status:?}");
}
