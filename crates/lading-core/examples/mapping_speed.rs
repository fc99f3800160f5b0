//! Measures the mapping engine's records per second on one core, for the Kong and WMS mappings
//! of `config/`, over deterministic Siesa rows:
//! `cargo run --release -p lading-core --example mapping_speed [rows] [kong|wms]`.
//!
//! Two figures per mapping: "cold" maps `rows` distinct records built beforehand (hundreds of
//! megabytes, so each record comes from main memory: the conservative figure); "warm" maps the
//! same 1,000 records again and again, as the runtime does with a page it has just parsed.

use lading_core::SourceRecord;
use lading_core::mapping::Mapping;
use lading_core::mapping::bench_support::siesa_item_rows;
use std::time::Instant;

fn main() {
    let rows: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(200_000);
    let only = std::env::args().nth(2);
    let cold = siesa_item_rows(rows);
    let warm: Vec<SourceRecord> = cold.iter().take(1_000).cloned().collect();
    for (label, text) in [
        ("kong", include_str!("../../../config/field-mappings-kong.json")),
        ("wms", include_str!("../../../config/field-mappings-wms.json")),
    ] {
        if only.as_deref().is_some_and(|only| only != label) {
            continue;
        }
        let loading = Instant::now();
        let mapping = match Mapping::from_json(text) {
            Ok(mapping) => mapping,
            Err(error) => {
                eprintln!("{label}: {error}");
                std::process::exit(1);
            }
        };
        println!("{label} load: {:.1} ms", loading.elapsed().as_secs_f64() * 1e3);
        let (seconds, mapped, quarantined) = best_of_5(&mapping, &[&cold]);
        println!(
            "{label} cold: {rows} records in {:.1} ms = {:.0} records/s ({mapped} mapped, {quarantined} quarantined)",
            seconds * 1e3,
            rows as f64 / seconds
        );
        let passes: Vec<&Vec<SourceRecord>> = std::iter::repeat_n(&warm, rows.div_ceil(1_000)).collect();
        let total = passes.len() * warm.len();
        let (seconds, _, _) = best_of_5(&mapping, &passes);
        println!("{label} warm: {total} records in {:.1} ms = {:.0} records/s", seconds * 1e3, total as f64 / seconds);
    }
}

/// The best of five timed runs over all `batches`: (seconds, mapped, quarantined).
fn best_of_5(mapping: &Mapping, batches: &[&Vec<SourceRecord>]) -> (f64, usize, usize) {
    let mut best = (f64::MAX, 0, 0);
    for _ in 0..5 {
        let (mut mapped, mut quarantined) = (0, 0);
        let start = Instant::now();
        for batch in batches {
            for record in batch.iter() {
                match mapping.apply(record) {
                    Ok(target) => {
                        mapped += 1;
                        std::hint::black_box(target);
                    }
                    Err(issues) => {
                        quarantined += 1;
                        std::hint::black_box(issues);
                    }
                }
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        if seconds < best.0 {
            best = (seconds, mapped, quarantined);
        }
    }
    best
}
