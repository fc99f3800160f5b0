//! The fault matrix: every fault the simulators inject, on the extract side (Siesa) and the
//! load side (Kong, WMS), each in a fresh world; after the sync the simulator's final state is
//! reconciled with the source. Run with `--nocapture` to see the matrix.

mod support;

use lading_runtime::runner::{self, RunOptions};
use lading_sim::faults::{Faults, RetryAfterStyle};
use lading_store::Status;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::{Tenant, World, credentials, id, world};

const ITEMS: usize = 240;
const KONG: Tenant = Tenant { id: "k1", company: "1", product_type: "kong" };
const WMS: Tenant = Tenant { id: "w1", company: "2", product_type: "wms" };

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// Siesa, read by a Kong tenant's extract.
    Extract,
    LoadKong,
    LoadWms,
}

impl Side {
    const ALL: [Side; 3] = [Side::Extract, Side::LoadKong, Side::LoadWms];

    fn label(self) -> &'static str {
        match self {
            Side::Extract => "extract (siesa)",
            Side::LoadKong => "load (kong)",
            Side::LoadWms => "load (wms)",
        }
    }

    fn tenant(self) -> Tenant {
        if self == Side::LoadWms { WMS } else { KONG }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    Burst500,
    Throttle429RetryAfter,
    Throttle429Bare,
    Timeouts,
    Resets,
    MalformedJson,
    PartialBatch,
    TokenExpiry,
    Slow,
}

impl Fault {
    const ALL: [Fault; 10] = [
        Fault::None,
        Fault::Burst500,
        Fault::Throttle429RetryAfter,
        Fault::Throttle429Bare,
        Fault::Timeouts,
        Fault::Resets,
        Fault::MalformedJson,
        Fault::PartialBatch,
        Fault::TokenExpiry,
        Fault::Slow,
    ];

    fn label(self) -> &'static str {
        match self {
            Fault::None => "none (baseline)",
            Fault::Burst500 => "500 burst ×3",
            Fault::Throttle429RetryAfter => "429 + Retry-After 1 s ×2",
            Fault::Throttle429Bare => "429 without Retry-After ×3",
            Fault::Timeouts => "timeouts ×2 (held 1.3 s)",
            Fault::Resets => "connection resets ×3",
            Fault::MalformedJson => "malformed JSON ×2",
            Fault::PartialBatch => "partial failures 2 + 3×2",
            Fault::TokenExpiry => "token expiry",
            Fault::Slow => "slow (+15 ms a request)",
        }
    }

    /// The faults of a cell, or `None` where the fault does not apply: Siesa has no batches and
    /// no tokens (static keys), and the WMS never says when to come back after a 429.
    fn faults(self, side: Side, valid: &[String]) -> Option<Faults> {
        let faults = match self {
            Fault::None => Faults::default(),
            Fault::Burst500 => Faults { error_burst: 3, ..Faults::default() },
            Fault::Throttle429RetryAfter if side == Side::LoadWms => return None,
            Fault::Throttle429RetryAfter => Faults {
                throttle_after: Some(2),
                throttle_count: 2,
                retry_after: RetryAfterStyle::Seconds(1),
                ..Faults::default()
            },
            Fault::Throttle429Bare => Faults {
                throttle_after: Some(2),
                throttle_count: 3,
                retry_after: RetryAfterStyle::None,
                ..Faults::default()
            },
            Fault::Timeouts => Faults { timeout_burst: 2, hang_ms: 1_300, ..Faults::default() },
            Fault::Resets => Faults { reset_burst: 3, ..Faults::default() },
            Fault::MalformedJson => Faults { malformed_burst: 2, ..Faults::default() },
            Fault::PartialBatch | Fault::TokenExpiry if side == Side::Extract => return None,
            Fault::PartialBatch => Faults {
                fail_items: permanent(valid),
                transient_fail_items: vec![valid[10].clone(), valid[11].clone(), valid[150].clone()],
                transient_failures: 2,
                ..Faults::default()
            },
            Fault::TokenExpiry => {
                Faults { token_ttl_requests: Some(if side == Side::LoadKong { 2 } else { 30 }), ..Faults::default() }
            }
            Fault::Slow => Faults { latency_ms: 15, ..Faults::default() },
        };
        Some(faults)
    }

    /// The fewest extra requests the faulted system must have seen: each injected failure was
    /// tried again.
    fn extra_requests(self) -> u64 {
        match self {
            Fault::None | Fault::Slow | Fault::TokenExpiry => 0,
            Fault::Burst500 | Fault::Resets | Fault::Throttle429Bare => 3,
            Fault::Throttle429RetryAfter | Fault::Timeouts | Fault::MalformedJson => 2,
            // Three items twice each: at least one resend round (Kong) or six sends (WMS).
            Fault::PartialBatch => 1,
        }
    }
}

/// The records a target refuses for good in the partial-failure cells.
fn permanent(valid: &[String]) -> Vec<String> {
    vec![valid[3].clone(), valid[120].clone()]
}

struct Cell {
    outcome: Result<(), String>,
    requests: u64,
    baseline: u64,
    wall: Duration,
}

fn requests(world: &World, side: Side) -> u64 {
    match side {
        Side::Extract => world.siesa.requests(),
        Side::LoadKong => world.kong.requests(),
        Side::LoadWms => world.wms.requests(),
    }
}

async fn run_cell(fault: Fault, side: Side, baseline: u64) -> Option<Cell> {
    let world = world(&[KONG, WMS], ITEMS).await;
    let tenant = side.tenant().id;
    let valid = world.valid_ids(tenant);
    let faults = fault.faults(side, &valid)?;
    match side {
        Side::Extract => world.siesa.set_faults(faults.clone()),
        Side::LoadKong => world.kong.set_faults(faults.clone()),
        Side::LoadWms => world.wms.set_faults(faults.clone()),
    }
    let before = requests(&world, side);
    let started = Instant::now();
    let run =
        runner::sync(&world.engine, &id(tenant), &RunOptions { full: false, trigger: "test".into(), params: None })
            .await;
    let wall = started.elapsed();
    let seen = requests(&world, side) - before;
    let outcome = match run {
        Ok(run) => reconcile(&world, fault, side, &faults, &run, seen, baseline).await,
        Err(e) => Err(format!("the run did not start: {e}")),
    };
    Some(Cell { outcome, requests: seen, baseline, wall })
}

/// Every valid record in the target exactly once, invalid ones quarantined with reasons,
/// permanent failures dead-lettered, transient ones retried, the counters consistent.
async fn reconcile(
    world: &World,
    fault: Fault,
    side: Side,
    faults: &Faults,
    run: &lading_store::RunRecord,
    seen: u64,
    baseline: u64,
) -> Result<(), String> {
    let tenant = side.tenant().id;
    let check = |ok: bool, what: String| if ok { Ok(()) } else { Err(what) };
    check(run.status == Status::Succeeded, format!("run {}: {:?}", run.status.as_str(), run.error))?;
    let refused: BTreeSet<String> = faults.fail_items.iter().cloned().collect();

    let mut expected = world.expected_records(tenant);
    expected.retain(|(key, _)| !refused.contains(key));
    let held = world.target_records(tenant);
    let distinct: BTreeSet<(String, String)> = held.iter().cloned().collect();
    check(distinct.len() == held.len(), format!("{} duplicates in the target", held.len() - distinct.len()))?;
    check(distinct == expected, format!("target holds {} records, {} expected", distinct.len(), expected.len()))?;
    let created_twice: Vec<&String> =
        held.iter().map(|(k, _)| k).filter(|k| world.create_count(tenant, k) != 1).collect();
    check(created_twice.is_empty(), format!("created more than once: {created_twice:?}"))?;

    let invalid = world.planted_invalid(tenant);
    let quarantined = world.engine.state.list_quarantine(Some(&id(tenant)), Some(&run.run_id), 0).await.unwrap();
    let keys: BTreeSet<String> = quarantined.iter().map(|q| q.record_key.clone()).collect();
    check(
        keys == invalid.iter().cloned().collect() && quarantined.iter().all(|q| !q.reasons.is_empty()),
        format!("{} quarantined, {} planted invalid", keys.len(), invalid.len()),
    )?;
    let letters = world.engine.state.list_dead_letters(Some(&id(tenant)), 0).await.unwrap();
    let dead: BTreeSet<String> = letters.iter().map(|l| l.record_key.clone()).collect();
    check(dead == refused && letters.len() == refused.len(), format!("dead letters {dead:?}, refused {refused:?}"))?;
    check(
        letters.iter().all(|l| !l.error.is_empty() && l.payload["external_id"].is_string()),
        "letter without payload".into(),
    )?;

    let c = run.counters;
    let catalogue = world.siesa.catalogue(side.tenant().company).len() as u64;
    check(
        c.extracted == catalogue
            && c.valid + c.quarantined == c.extracted
            && c.created + c.updated + c.unchanged + c.failed == c.valid
            && c.failed == refused.len() as u64
            && c.quarantined == invalid.len() as u64,
        format!("counters {c:?}"),
    )?;

    let left = match side {
        Side::Extract => world.siesa.faults(),
        Side::LoadKong => world.kong.faults(),
        Side::LoadWms => world.wms.faults(),
    };
    check(
        left.error_burst + left.reset_burst + left.timeout_burst + left.malformed_burst == 0,
        format!("faults not all met: {left:?}"),
    )?;
    check(seen >= baseline + fault.extra_requests(), format!("{seen} requests, baseline {baseline}: not retried"))?;
    match fault {
        Fault::Slow => check(seen == baseline, format!("a slow system is not retried: {seen} vs {baseline}"))?,
        Fault::TokenExpiry => {
            let user = credentials(tenant).username;
            let logins =
                if side == Side::LoadKong { world.kong.stats(&user).logins } else { world.wms.stats(&user).logins };
            check(logins > 1, format!("{logins} logins: the token was not renewed"))?;
        }
        _ => {}
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_either_side_ends_with_each_valid_record_in_the_target_once() {
    let started = Instant::now();
    let mut baselines = [0u64; 3];
    let mut rows: Vec<(Fault, Vec<Option<Cell>>)> = Vec::new();
    for fault in Fault::ALL {
        let mut cells = Vec::new();
        for (column, side) in Side::ALL.into_iter().enumerate() {
            let cell = run_cell(fault, side, baselines[column]).await;
            if fault == Fault::None {
                baselines[column] = cell.as_ref().map_or(0, |c| c.requests);
            }
            cells.push(cell);
        }
        rows.push((fault, cells));
    }

    println!();
    println!("fault matrix ({ITEMS} items a company; requests = to the faulted system, +n over the clean run)");
    print!("{:<28}", "fault");
    for side in Side::ALL {
        print!(" | {:<32}", side.label());
    }
    println!();
    println!("{}", "-".repeat(28 + 3 * 35));
    let mut failures = Vec::new();
    for (fault, cells) in &rows {
        print!("{:<28}", fault.label());
        for (side, cell) in Side::ALL.into_iter().zip(cells) {
            let text = match cell {
                None => "n/a".to_string(),
                Some(cell) => {
                    let extra = match fault {
                        Fault::None => "(base)".to_string(),
                        _ => format!("({:+})", cell.requests as i64 - cell.baseline as i64),
                    };
                    let verdict = if cell.outcome.is_ok() { "ok" } else { "FAILED" };
                    format!("{verdict:<6} {:>4} req {extra:<6} {:>5} ms", cell.requests, cell.wall.as_millis())
                }
            };
            print!(" | {text:<32}");
            if let Some(Cell { outcome: Err(why), .. }) = cell {
                failures.push(format!("{} × {}: {why}", fault.label(), side.label()));
            }
        }
        println!();
    }
    println!("matrix done in {} ms", started.elapsed().as_millis());
    assert!(failures.is_empty(), "cells failed:\n{}", failures.join("\n"));
}
