//! Times parsing and loading one full USITC HTS revision: decompression and file reading stay
//! outside the timed section; the best of N runs is reported.
//!
//! `cargo run --release -p lading-customs --example hts_speed -- [FILE.json[.gz]] [RUNS]`

use std::error::Error;
use std::io::Read;
use std::time::{Duration, Instant};

use lading_customs::hts::HtsReference;

const DEFAULT_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/hts/hts_2026_rev_10.json.gz");

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| DEFAULT_FILE.to_owned());
    let runs: usize = args.next().map(|runs| runs.parse()).transpose()?.unwrap_or(20);

    let file = std::fs::read(&path)?;
    let bytes = if path.ends_with(".gz") {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(file.as_slice()).read_to_end(&mut json)?;
        json
    } else {
        file
    };

    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let reference = HtsReference::parse_usitc_json(&bytes)?;
        times.push(start.elapsed());
        last = Some(reference);
    }
    let reference = last.ok_or("no run")?;
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;

    let with_chapter99 = reference.entries().filter(|e| !e.chapter99.is_empty()).count();
    println!(
        "rust best_ms={:.2} median_ms={:.2} runs={} mb={:.1} rows={} entries={} rate_lines={} chapter99={} entries_with_ch99={} problems={}",
        ms(times[0]),
        ms(times[times.len() / 2]),
        times.len(),
        bytes.len() as f64 / 1e6,
        reference.rows(),
        reference.len(),
        reference.rate_lines().count(),
        reference.chapter99_lines().count(),
        with_chapter99,
        reference.problems().len(),
    );
    Ok(())
}
