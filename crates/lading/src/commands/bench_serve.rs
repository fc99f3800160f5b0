//! `lading bench serve`: the server under load, as the README reports it.
//!
//! Seeds a fresh data directory with 100,000 customs lines (generated from synthetic invoice
//! items by the real generator), 10,000 runs with their steps over 30 days across three
//! tenants, and a comparison report; starts the server on 127.0.0.1; then, for each dashboard
//! page and list endpoint, sends requests from 50 concurrent clients (signed in, as a browser
//! or an API client would be) and reports p50, p99 and max latency and throughput.

use crate::exit::Failure;
use crate::output;
use lading_core::TenantId;
use lading_core::config::RawTenantConfig;
use lading_runtime::Engine;
use lading_runtime::ior_daily::{COMPARISON_REPORTS, CUSTOMS_LINES, line_key};
use lading_server::{AppState, ServerSettings};
use lading_store::{Counters, Role, RunRecord, Status, StepRecord};
use serde::Serialize;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TENANTS: [&str; 3] = ["acme", "globex", "initech"];
/// The target.
const P99_TARGET_MS: f64 = 50.0;

#[derive(Serialize)]
struct EndpointResult {
    path: String,
    requests: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    requests_per_sec: f64,
    within_target: bool,
}

pub async fn run(
    lines: usize,
    runs: usize,
    clients: usize,
    per_client: usize,
    json: bool,
) -> Result<ExitCode, Failure> {
    let dir = tempfile::tempdir().map_err(Failure::internal)?;
    // `LADING_BENCH_KEEP=<dir>` seeds that directory instead and keeps it, to look into.
    let data_dir = std::env::var_os("LADING_BENCH_KEEP").map(std::path::PathBuf::from);
    let engine = Engine::embedded(data_dir.as_deref().unwrap_or(dir.path())).map_err(Failure::from)?;
    let seeded = Instant::now();
    let entry = seed(&engine, lines, runs).await?;
    let seed_secs = seeded.elapsed().as_secs_f64();
    if !json {
        eprintln!("seeded {lines} customs lines and {runs} runs in {seed_secs:.1} s");
    }
    let password = "bench password 123";
    lading_server::users::add(engine.state.as_ref(), "bench", Role::Admin, password)
        .await
        .map_err(|e| Failure::internal(e.to_string()))?;
    let settings = ServerSettings { scheduler: false, ..ServerSettings::default() };
    let state = AppState::load(engine.clone(), settings).await.map_err(Failure::internal)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(Failure::internal)?;
    let base = format!("http://{}", listener.local_addr().map_err(Failure::internal)?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(lading_server::serve::serve(state, listener, async move {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(Failure::internal)?;
    let login: serde_json::Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": "bench", "password": password}))
        .send()
        .await
        .map_err(Failure::internal)?
        .json()
        .await
        .map_err(Failure::internal)?;
    let token = login["token"].as_str().ok_or_else(|| Failure::internal("login gave no token"))?.to_string();

    let paths = [
        "/".to_string(),
        "/runs".into(),
        "/runs?tenant=acme&status=failed".into(),
        "/tenants".into(),
        "/customs-lines?tenant=acme".into(),
        format!("/customs-lines?tenant=acme&entry={entry}"),
        "/comparisons".into(),
        "/api/runs".into(),
        "/api/runs?tenant=globex&status=succeeded&limit=50".into(),
        "/api/tenants".into(),
        "/api/customs-lines?tenant=acme".into(),
        "/api/customs-lines?tenant=acme&from=2025-06-01&to=2025-06-30&limit=100".into(),
        "/api/comparisons".into(),
        "/api/quarantine".into(),
        "/api/dead-letters".into(),
    ];
    let mut results = Vec::new();
    for path in &paths {
        let url = format!("{base}{path}");
        // The pages are read with the browser's cookie, the API with a bearer token.
        let cookie = format!("{}={token}", lading_server::auth::session::SESSION_COOKIE);
        let api = path.starts_with("/api/");
        let send = {
            let client = client.clone();
            let token = token.clone();
            move || {
                let request = client.get(&url);
                if api { request.bearer_auth(&token) } else { request.header("cookie", &cookie) }
            }
        };
        // Warm up: the caches a real server would have warm.
        for _ in 0..5 {
            check(send().send().await, path)?;
        }
        let send = Arc::new(send);
        let started = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let send = send.clone();
                let path = path.clone();
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(per_client);
                    for _ in 0..per_client {
                        let at = Instant::now();
                        check(send().send().await, &path)?;
                        latencies.push(at.elapsed());
                    }
                    Ok::<_, Failure>(latencies)
                })
            })
            .collect();
        let mut latencies: Vec<Duration> = Vec::with_capacity(clients * per_client);
        for task in tasks {
            latencies.extend(task.await.map_err(Failure::internal)??);
        }
        let wall = started.elapsed().as_secs_f64();
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1];
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let p99 = ms(at(0.99));
        let result = EndpointResult {
            path: path.clone(),
            requests: latencies.len(),
            p50_ms: ms(at(0.50)),
            p99_ms: p99,
            max_ms: ms(*latencies.last().unwrap_or(&Duration::ZERO)),
            requests_per_sec: latencies.len() as f64 / wall,
            within_target: p99 <= P99_TARGET_MS,
        };
        if !json {
            println!(
                "{:<62} {:>6} req  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms  {:>7.0} req/s {}",
                result.path,
                result.requests,
                result.p50_ms,
                result.p99_ms,
                result.max_ms,
                result.requests_per_sec,
                if result.within_target { "ok" } else { "OVER 50 ms" }
            );
        }
        results.push(result);
    }
    let _ = stop.send(());
    let _ = server.await;
    let all_within = results.iter().all(|r| r.within_target);
    if json {
        output::json(&serde_json::json!({
            "customs_lines": lines, "runs": runs, "clients": clients, "requests_per_client": per_client,
            "seed_secs": seed_secs, "p99_target_ms": P99_TARGET_MS, "all_within_target": all_within, "endpoints": results,
        }));
    } else {
        println!(
            "{} of {} endpoints within p99 ≤ {P99_TARGET_MS} ms under {clients} concurrent clients",
            results.iter().filter(|r| r.within_target).count(),
            results.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn check(response: Result<reqwest::Response, reqwest::Error>, path: &str) -> Result<(), Failure> {
    let response = response.map_err(|e| Failure::internal(format!("GET {path}: {e}")))?;
    if response.status() != 200 {
        return Err(Failure::internal(format!("GET {path} answered {}", response.status())));
    }
    Ok(())
}

/// Seeds the store; returns an entry number that has lines.
async fn seed(engine: &Engine, lines: usize, runs: usize) -> Result<String, Failure> {
    for tenant in TENANTS {
        let raw: RawTenantConfig = serde_json::from_value(serde_json::json!({
            "version": 1, "tenant_id": tenant, "product_type": "kong",
            "mapping_key": "field-mappings-kong.json",
            "source": {"kind": "siesa", "base_url": "http://127.0.0.1:9", "company_id": "1"},
            "target": {"base_url": "http://127.0.0.1:9"}
        }))
        .map_err(Failure::internal)?;
        engine.state.put_tenant(&raw).await?;
    }
    let acme = TenantId::parse("acme").map_err(Failure::internal)?;

    // Customs lines from the real generator: enough synthetic invoice items for `lines`.
    let mut items = lines * 4;
    let generated = loop {
        let (invoice_items, data) = lading_customs::generate::fixtures::bench_items(items);
        let generated = lading_customs::generate::generate(&invoice_items, &data.reference());
        if generated.lines.len() >= lines {
            break generated;
        }
        items *= 2;
    };
    let chosen = &generated.lines[..lines];
    let rows: Vec<(String, serde_json::Value)> = chosen
        .iter()
        .map(|line| Ok((line_key(line), serde_json::to_value(line).map_err(Failure::internal)?)))
        .collect::<Result<_, Failure>>()?;
    engine.state.replace_table(&acme, CUSTOMS_LINES, &rows).await?;
    let entry = chosen[lines / 2].entry_number.clone();

    // A comparison report of the first 2,000 lines against a copy with a few changes.
    let sample = &chosen[..chosen.len().min(2_000)];
    let mut reported = sample.to_vec();
    for line in reported.iter_mut().step_by(97) {
        line.entered_value += rust_decimal::Decimal::from(3);
    }
    let report = lading_customs::compare::compare(sample, &reported, &Default::default());
    let key = "reports/acme/bench-run/comparison.json";
    engine.objects.put_json(key, &report.to_json()).await?;
    let row = serde_json::json!({
        "run_id": "bench-run", "compared_at": chrono::Utc::now().to_rfc3339(), "failed": report.failed(),
        "summary": report.summary, "report": key,
    });
    engine.state.upsert_rows(&acme, COMPARISON_REPORTS, &[("bench-run".into(), row)]).await?;

    // Runs over the last 30 days, newest last, one in twelve failed.
    let now = chrono::Utc::now();
    for n in 0..runs {
        let started = now - chrono::Duration::seconds(((runs - n) as i64) * 30 * 86_400 / runs as i64);
        let duration = chrono::Duration::milliseconds(800 + (n as i64 * 37) % 4_000);
        let failed = n % 12 == 0;
        let run = RunRecord {
            run_id: format!("run-{n:06}"),
            tenant_id: TENANTS[n % TENANTS.len()].into(),
            pipeline: "product-sync".into(),
            status: if failed { Status::Failed } else { Status::Succeeded },
            trigger: "schedule".into(),
            full: false,
            started_at: started.to_rfc3339(),
            finished_at: Some((started + duration).to_rfc3339()),
            counters: Counters {
                extracted: 1_000,
                valid: 990,
                quarantined: 10,
                created: 20,
                updated: 70,
                unchanged: 900,
                failed: u64::from(failed) * 40,
            },
            error: failed.then(|| "step load failed after 3 attempt(s): kong answered 503".to_string()),
            failed_step: failed.then(|| "load".to_string()),
            params: None,
        };
        engine.state.put_run(&run).await?;
        for step in lading_runtime::product_sync::STEPS {
            engine
                .state
                .put_step(&StepRecord {
                    run_id: run.run_id.clone(),
                    name: step.into(),
                    status: if failed && step == "load" { Status::Failed } else { Status::Succeeded },
                    attempts: 1,
                    started_at: Some(run.started_at.clone()),
                    finished_at: run.finished_at.clone(),
                    duration_ms: 200,
                    output_ref: None,
                    error: None,
                })
                .await?;
        }
    }
    Ok(entry)
}
