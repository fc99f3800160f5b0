//! The dashboards in a real browser: a server over data made by the real pipelines, driven by
//! `tests/browser/dashboards.test.mjs` (playwright-core in Debian's headless Chromium) through
//! `node --test`. Screenshots of every page land in `<target>/browser-artifacts/`.
//!
//! Chromium, Node and playwright-core come from `scripts/install-test-deps`; without them this
//! test fails and says so rather than passing without having looked.

mod common;
#[path = "common/pages_seed.rs"]
mod pages_seed;

use common::{ADMIN, OPERATOR};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// `$CARGO_TARGET_DIR/browser-artifacts`, else the workspace's `target/browser-artifacts`.
fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("browser-artifacts")
}

/// What is missing to run the browser test, if anything.
fn missing_prerequisites() -> Vec<String> {
    let mut missing = Vec::new();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
    if !Path::new(&chromium).exists() {
        missing.push(format!("Chromium at {chromium} (Debian package chromium)"));
    }
    if !browser_dir().join("node_modules/playwright-core/package.json").exists() {
        missing.push(format!("playwright-core in {}/node_modules (npm ci)", browser_dir().display()));
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing.push("node on the PATH".into());
    }
    missing
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_and_an_admin_use_the_dashboards_in_chromium() {
    let missing = missing_prerequisites();
    assert!(
        missing.is_empty(),
        "the browser test needs {}; install them with scripts/install-test-deps",
        missing.join(", ")
    );
    let started = Instant::now();
    let seeded = pages_seed::seeded_server().await;
    let seeded_in = started.elapsed();
    let artifacts = artifacts_dir();
    std::fs::create_dir_all(&artifacts).unwrap();
    // Only this run's screenshots stay.
    for entry in std::fs::read_dir(&artifacts).unwrap().flatten() {
        if entry.path().extension().is_some_and(|x| x == "png") {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    let mut node = Command::new("node");
    node.args(["--test", "--test-reporter=spec", "dashboards.test.mjs"])
        .current_dir(browser_dir())
        .env("BASE_URL", &seeded.server.base)
        .env("OPERATOR_USER", OPERATOR.0)
        .env("OPERATOR_PASSWORD", OPERATOR.1)
        .env("ADMIN_USER", ADMIN.0)
        .env("ADMIN_PASSWORD", ADMIN.1)
        .env("SYNC_RUN_ID", &seeded.sync_run.run_id)
        .env("IOR_TENANT", pages_seed::IOR_TENANT)
        .env("IOR_RUN_ID", &seeded.ior_run.run_id)
        .env("ARTIFACTS_DIR", &artifacts);
    // The server runs on this test's runtime: wait for node on a blocking thread.
    let output = tokio::task::spawn_blocking(move || node.output()).await.unwrap().expect("node starts");
    let log = format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(artifacts.join("node-test.log"), &log).unwrap();
    println!("{log}");
    println!(
        "seeded in {:.1} s, browser tests in {:.1} s; screenshots in {}",
        seeded_in.as_secs_f64(),
        (started.elapsed() - seeded_in).as_secs_f64(),
        artifacts.display()
    );
    assert!(output.status.success(), "the browser tests failed ({}):\n{log}", output.status);
    let screenshots = std::fs::read_dir(&artifacts)
        .unwrap()
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png")))
        .count();
    assert!(screenshots >= 14, "a screenshot of every page, found {screenshots}");
    seeded.server.stop().await;
}
