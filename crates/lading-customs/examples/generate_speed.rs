//! Times customs-line generation for 100,000 invoice items (the target is ≤ 0.5 s in release on
//! one core): `cargo run --release -p lading-customs --example generate_speed [items] [runs]`.

use std::time::Instant;

use lading_customs::generate::fixtures::bench_items;
use lading_customs::generate::generate;

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5).max(1);
    let (items, data) = bench_items(count);
    let reference = data.reference();
    let mut timings = Vec::with_capacity(runs);
    let mut summary = (0, 0);
    for _ in 0..runs {
        let started = Instant::now();
        let generated = generate(&items, &reference);
        timings.push(started.elapsed());
        summary = (generated.lines.len(), generated.issues.len());
    }
    timings.sort();
    let median = timings[timings.len() / 2];
    println!(
        "generated {} lines from {count} items ({} issues): best {:.1} ms, median {:.1} ms over {runs} runs",
        summary.0,
        summary.1,
        timings[0].as_secs_f64() * 1000.0,
        median.as_secs_f64() * 1000.0
    );
}
