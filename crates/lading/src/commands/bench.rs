//! `lading bench mapping|sync`: the speed figures the README reports, measured, not guessed.
//!
//! `mapping` maps deterministic Siesa rows with the shipped Kong mapping on one thread.
//! `sync` starts Siesa and Kong simulators as child processes (`lading sim …`, so their memory
//! is not counted), runs a full sync of a tenant, then an incremental one with nothing changed,
//! and reports wall time, this process's peak memory and the writes Kong received.

use crate::cli::{BenchArgs, BenchTarget};
use crate::exit::{Failure, RUN_FAILED};
use crate::output;
use lading_connect::{ApiRequest, ClientSettings, HttpClient};
use lading_core::mapping::Mapping;
use lading_core::mapping::bench_support::siesa_item_rows;
use lading_core::secret::{SiesaCredentials, TargetCredentials, TenantSecrets};
use lading_core::{Secret, TenantId};
use lading_runtime::runner;
use lading_runtime::{Engine, RunOptions};
use lading_store::Status;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

pub async fn run(args: BenchArgs, json: bool) -> Result<ExitCode, Failure> {
    match args.target {
        BenchTarget::Mapping => mapping(args.records.unwrap_or(200_000), json),
        BenchTarget::Sync => sync(args.records.unwrap_or(10_000), json).await,
        BenchTarget::Hts => hts(&args.file, json),
        BenchTarget::Customs => customs(args.records.unwrap_or(100_000), json),
        BenchTarget::Serve => {
            let lines = args.records.unwrap_or(100_000);
            super::bench_serve::run(lines, args.runs, args.clients.max(1), args.requests.max(1), json).await
        }
    }
}

fn mapping(records: usize, json: bool) -> Result<ExitCode, Failure> {
    let text = lading_runtime::mappings::BUILTIN
        .iter()
        .find(|(key, _)| *key == "field-mappings-kong.json")
        .map(|(_, text)| *text)
        .ok_or_else(|| Failure::internal("the kong mapping is not built in"))?;
    let mapping = Mapping::from_json(text).map_err(|e| Failure::internal(e.to_string()))?;
    let rows = siesa_item_rows(records);
    let (best, (mapped, rejected)) = best_of(5, || {
        let mut counts = (0usize, 0usize);
        for row in &rows {
            match mapping.apply(row) {
                Ok(record) => {
                    counts.0 += 1;
                    std::hint::black_box(record);
                }
                Err(issues) => {
                    counts.1 += 1;
                    std::hint::black_box(issues);
                }
            }
        }
        counts
    });
    let per_sec = records as f64 / best;
    if json {
        output::json(
            &serde_json::json!({"records": records, "mapped": mapped, "rejected": rejected, "best_secs": best, "records_per_sec": per_sec}),
        );
    } else {
        println!(
            "kong mapping, one thread: {records} records ({mapped} mapped, {rejected} with issues), best of 5: {:.3} s = {:.0} records/s",
            best, per_sec
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A simulator child process, killed when dropped.
struct SimProcess {
    child: Child,
    base_url: String,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_sim(system: &str, extra: &[&str]) -> Result<SimProcess, Failure> {
    let exe = std::env::current_exe().map_err(Failure::internal)?;
    let mut child = Command::new(exe)
        .arg("sim")
        .arg(system)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Failure::internal(format!("cannot start the {system} simulator: {e}")))?;
    let stdout = child.stdout.take().ok_or_else(|| Failure::internal("no simulator stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).map_err(Failure::internal)?;
    let base_url = line.trim().strip_prefix("listening on ").map(str::to_string);
    match base_url {
        Some(base_url) => Ok(SimProcess { child, base_url }),
        None => {
            let _ = child.kill();
            Err(Failure::internal(format!("the {system} simulator did not start: {line:?}")))
        }
    }
}

/// Peak resident memory of this process, in MiB (Linux `VmHWM`).
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

async fn kong_bulk_requests(kong_url: &str, tenant: &TenantId, user: &str) -> Result<u64, Failure> {
    let client =
        HttpClient::new(tenant, "kong-sim", ClientSettings::default()).map_err(|e| Failure::internal(e.to_string()))?;
    let response = client
        .send(ApiRequest::get(format!("{kong_url}/_sim/state")))
        .await
        .map_err(|e| Failure::internal(e.to_string()))?;
    Ok(response.json[user]["stats"]["bulk_requests"].as_u64().unwrap_or(0))
}

async fn sync(items: usize, json: bool) -> Result<ExitCode, Failure> {
    let items_arg = items.to_string();
    let siesa = spawn_sim(
        "siesa",
        &["--items", &items_arg, "--company", "1", "--user", "bench-key", "--password", "bench-token"],
    )?;
    let kong = spawn_sim("kong", &["--company", "bench", "--user", "bench-user", "--password", "bench-pass"])?;

    let dir = tempfile_dir()?;
    let engine = Engine::embedded(dir.path())?;
    let tenant = TenantId::parse("bench").map_err(Failure::invalid)?;
    let raw = serde_json::from_value(serde_json::json!({
        "version": 1, "tenant_id": "bench", "product_type": "kong", "mapping_key": "field-mappings-kong.json",
        "source": {"kind": "siesa", "base_url": siesa.base_url, "company_id": "1"},
        "target": {"base_url": kong.base_url},
        "rate_limit_per_sec": 10_000
    }))
    .map_err(Failure::internal)?;
    let config = lading_runtime::engine::validate_tenant(raw)?;
    engine.state.put_tenant(&config.raw).await?;
    let secrets = TenantSecrets {
        siesa: SiesaCredentials { conni_key: Secret::new("bench-key"), conni_token: Secret::new("bench-token") },
        target: TargetCredentials { username: "bench-user".into(), password: Secret::new("bench-pass") },
    };
    engine
        .secrets
        .put_secret(&config.secret_name(), &Secret::new(serde_json::to_string(&secrets).map_err(Failure::internal)?))
        .await?;

    let started = Instant::now();
    let full =
        runner::sync(&engine, &tenant, &RunOptions { full: true, trigger: "bench".into(), params: None }).await?;
    let full_secs = started.elapsed().as_secs_f64();
    let peak_after_full = peak_memory_mib();
    let writes_before = kong_bulk_requests(&kong.base_url, &tenant, "bench-user").await?;

    let started = Instant::now();
    let incremental =
        runner::sync(&engine, &tenant, &RunOptions { full: false, trigger: "bench".into(), params: None }).await?;
    let incremental_secs = started.elapsed().as_secs_f64();
    let writes_after = kong_bulk_requests(&kong.base_url, &tenant, "bench-user").await?;
    let peak = peak_memory_mib();

    let steps = engine.state.list_steps(&full.run_id).await?;
    if json {
        output::json(&serde_json::json!({
            "items": items,
            "full": {"secs": full_secs, "run": full, "steps": steps, "peak_memory_mib": peak_after_full},
            "incremental": {"secs": incremental_secs, "run": incremental, "kong_bulk_requests": writes_after - writes_before},
            "peak_memory_mib": peak,
        }));
    } else {
        println!(
            "full sync, {items} items Siesa → Kong: {full_secs:.2} s wall; peak memory {:.0} MiB (lading only; simulators run as child processes)",
            peak_after_full.unwrap_or(f64::NAN)
        );
        for step in &steps {
            println!("  {:<10} {:>6} ms", step.name, step.duration_ms);
        }
        output::print_runs(std::slice::from_ref(&full));
        println!(
            "incremental re-sync, nothing changed: {incremental_secs:.2} s wall; {} bulk requests reached Kong",
            writes_after - writes_before
        );
        output::print_runs(std::slice::from_ref(&incremental));
    }
    drop((siesa, kong));
    if full.status == Status::Failed || incremental.status == Status::Failed {
        return Err(Failure::new(RUN_FAILED, "a benchmark run failed"));
    }
    Ok(ExitCode::SUCCESS)
}

fn tempfile_dir() -> Result<tempfile::TempDir, Failure> {
    tempfile::tempdir().map_err(|e| Failure::internal(format!("cannot create a temp dir: {e}")))
}

/// Best of `rounds` timings of `work`, in seconds, with its last result.
fn best_of<T>(rounds: usize, mut work: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..rounds {
        let started = Instant::now();
        let result = work();
        best = best.min(started.elapsed().as_secs_f64());
        last = Some(result);
    }
    (best, last.expect("at least one round"))
}

fn hts(path: &std::path::Path, json: bool) -> Result<ExitCode, Failure> {
    let raw = std::fs::read(path).map_err(|e| Failure::invalid(format!("cannot read {}: {e}", path.display())))?;
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut text)
            .map_err(|e| Failure::invalid(format!("{}: not gzip: {e}", path.display())))?;
        text
    } else {
        raw
    };
    let (secs, parsed) = best_of(10, || lading_customs::hts::HtsReference::parse_usitc_json(&bytes));
    let reference = parsed.map_err(|e| Failure::invalid(format!("{}: {e}", path.display())))?;
    if json {
        output::json(
            &serde_json::json!({"file": path, "bytes": bytes.len(), "rows": reference.rows(), "entries": reference.len(), "best_secs": secs}),
        );
    } else {
        println!(
            "HTS {}: {} rows ({:.1} MB) → {} ten-digit entries, parse and load best of 10: {:.1} ms",
            path.display(),
            reference.rows(),
            bytes.len() as f64 / 1e6,
            reference.len(),
            secs * 1e3
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn customs(items: usize, json: bool) -> Result<ExitCode, Failure> {
    let (invoice_items, data) = lading_customs::generate::fixtures::bench_items(items);
    let reference = data.reference();
    let (secs, generated) = best_of(5, || lading_customs::generate::generate(&invoice_items, &reference));
    if json {
        output::json(
            &serde_json::json!({"items": items, "lines": generated.lines.len(), "issues": generated.issues.len(), "best_secs": secs}),
        );
    } else {
        println!(
            "customs lines for {items} invoice items: {} lines, {} issues, best of 5: {:.3} s",
            generated.lines.len(),
            generated.issues.len(),
            secs
        );
    }
    Ok(ExitCode::SUCCESS)
}
