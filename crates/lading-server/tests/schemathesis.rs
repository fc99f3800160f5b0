//! API fuzzing: schemathesis generates requests from `/api/openapi.json` (examples, boundary
//! and negative cases, random bodies) against a real server over seeded data, signed in as the
//! admin; not one answer may be a server error.
//!
//! schemathesis comes from PyPI: `scripts/install-test-deps` puts it in a virtualenv under
//! `~/.cache/lading-schemathesis`. Without it this test fails and says so.

mod common;
#[path = "common/seed.rs"]
mod seed;

use common::{ADMIN, TestServer};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Test cases per operation and phase: enough to find a 500, few enough for two cores.
const MAX_EXAMPLES: &str = "100";
/// The whole run is stopped (and the test failed) after this long.
const TIME_LIMIT: Duration = Duration::from_secs(240);

/// `LADING_SCHEMATHESIS`, then `schemathesis` on PATH, then the virtualenv the install script
/// makes.
fn schemathesis() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LADING_SCHEMATHESIS") {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|dir| dir.join("schemathesis")).find(|candidate| candidate.is_file())
    });
    let venv = std::env::var_os("LADING_SCHEMATHESIS_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/lading-schemathesis")))
        .map(|venv| venv.join("bin/schemathesis"))
        .filter(|candidate| candidate.is_file());
    on_path.or(venv)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error() {
    let executable = schemathesis().unwrap_or_else(|| {
        panic!(
            "schemathesis is not installed: run scripts/install-test-deps (it installs it into ~/.cache/lading-schemathesis), or set LADING_SCHEMATHESIS to its path"
        )
    });
    let server = TestServer::start().await;
    let sync = seed::product_sync(&server.engine, 40).await;
    let ior = seed::ior_daily(&server.engine).await;
    let token = server.token(ADMIN).await;

    let work = tempfile::tempdir().unwrap();
    let args: Vec<String> = vec![
        "run".into(),
        server.url("/api/openapi.json"),
        "--checks".into(),
        "not_a_server_error".into(),
        "--header".into(),
        format!("Authorization: Bearer {token}"),
        // Signing out would end the session every other request uses.
        "--exclude-path".into(),
        "/api/auth/logout".into(),
        "--phases".into(),
        "examples,coverage,fuzzing".into(),
        "--max-examples".into(),
        MAX_EXAMPLES.into(),
        "--seed".into(),
        "20260701".into(),
        // One worker: CPython 3.11's parser is not thread-safe under hypothesis' lambda
        // descriptions ("AST constructor recursion depth mismatch").
        "--workers".into(),
        "1".into(),
        "--request-timeout".into(),
        "20".into(),
        "--no-color".into(),
    ];
    let command_line = format!("{} {}", executable.display(), args.join(" ").replace(&token, "<token>"));
    let stdout_path = work.path().join("stdout.txt");
    let stderr_path = work.path().join("stderr.txt");
    let mut child = Command::new(&executable)
        .args(&args)
        .current_dir(work.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}; run scripts/install-test-deps", executable.display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let report = format!("{command_line}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    match status {
        None => panic!("schemathesis ran longer than {TIME_LIMIT:?}:\n{report}"),
        Some(status) => assert!(status.success(), "schemathesis found server errors ({status}):\n{report}"),
    }
    eprintln!("schemathesis passed in {:?}:\n{report}", started.elapsed());
    drop((sync, ior));
    server.stop().await;
}
