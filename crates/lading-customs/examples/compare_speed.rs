//! How fast the comparison reads and compares two CSV files of customs lines, and its peak
//! memory. Used by `scripts/bench-compare` next to datacompy; run it in release:
//!
//! ```text
//! cargo run --release -p lading-customs --example compare_speed -- generate 100000 /tmp/cmp
//! cargo run --release -p lading-customs --example compare_speed -- measure A.csv B.csv [--threads N] [--via-lines]
//! cargo run --release -p lading-customs --example compare_speed -- [LINES]   # both, in a temp dir
//! ```
//!
//! `measure` streams each file through `LinesCsvReader` (one thread per file with
//! `--threads 2`, the default) into the compact table, then runs `compare_tables`;
//! `--via-lines` instead times the plain API: `read_lines_csv` on each whole file, then
//! `compare` on the `CustomsLine`s. Peak memory is the process's VmHWM.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use lading_customs::compare::{ComparisonReport, LineTable, Tolerances, bench_lines_range, compare, compare_tables};
use lading_customs::lines_csv::{LinesCsvReader, read_lines_csv, write_lines_csv};

const SEED: u64 = 7;
const CHUNK_LINES: usize = 50_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => generate_command(&args[1..]),
        Some("measure") => measure_command(&args[1..]),
        _ => both(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("compare_speed: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_lines(text: Option<&String>, default: usize) -> Result<usize, String> {
    match text {
        None => Ok(default),
        Some(text) => text.replace('_', "").parse().map_err(|_| format!("{text:?} is not a number of lines")),
    }
}

fn generate_command(args: &[String]) -> Result<(), String> {
    let lines = parse_lines(args.first(), 100_000)?;
    let dir = PathBuf::from(args.get(1).ok_or("generate: expected LINES DIR")?);
    let (generated, reported) = generate(lines, &dir)?;
    println!("{}\n{}", generated.display(), reported.display());
    Ok(())
}

/// Writes `generated_N.csv` and `reported_N.csv` piece by piece, so memory stays small.
fn generate(lines: usize, dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let generated_path = dir.join(format!("generated_{lines}.csv"));
    let reported_path = dir.join(format!("reported_{lines}.csv"));
    let open = |path: &Path| File::create(path).map_err(|e| format!("{}: {e}", path.display()));
    let mut generated_file = std::io::BufWriter::new(open(&generated_path)?);
    let mut reported_file = std::io::BufWriter::new(open(&reported_path)?);
    let mut start = 0;
    while start < lines.max(1) {
        let end = (start + CHUNK_LINES).min(lines);
        let (generated, reported) = bench_lines_range(start..end, SEED);
        for (file, chunk) in
            [(&mut generated_file, write_lines_csv(&generated)), (&mut reported_file, write_lines_csv(&reported))]
        {
            let body = if start == 0 { chunk.as_str() } else { chunk.split_once('\n').map_or("", |(_, rows)| rows) };
            file.write_all(body.as_bytes()).map_err(|e| e.to_string())?;
        }
        if end == start {
            break;
        }
        start = end;
    }
    generated_file.flush().map_err(|e| e.to_string())?;
    reported_file.flush().map_err(|e| e.to_string())?;
    Ok((generated_path, reported_path))
}

fn measure_command(args: &[String]) -> Result<(), String> {
    let generated = args.first().ok_or("measure: expected GENERATED.csv REPORTED.csv")?;
    let reported = args.get(1).ok_or("measure: expected GENERATED.csv REPORTED.csv")?;
    let via_lines = args.iter().any(|a| a == "--via-lines");
    let threads = match args.iter().position(|a| a == "--threads") {
        Some(at) => parse_lines(args.get(at + 1), 2)?,
        None => 2,
    };
    let tolerances = Tolerances::default();
    let started = Instant::now();
    let (report, read_secs, read_cpu, compare_cpu) = if via_lines {
        let cpu_before = thread_cpu_secs();
        let generated = read_lines(generated)?;
        let reported = read_lines(reported)?;
        let read_secs = started.elapsed().as_secs_f64();
        let read_cpu = thread_cpu_secs() - cpu_before;
        let cpu_before = thread_cpu_secs();
        let report = compare(&generated, &reported, &tolerances);
        (report, read_secs, read_cpu, thread_cpu_secs() - cpu_before)
    } else {
        let (generated, reported) = if threads >= 2 {
            std::thread::scope(|scope| {
                let reported = scope.spawn(|| read_table(reported));
                let generated = read_table(generated);
                let reported = reported.join().unwrap_or_else(|_| Err("the reading thread failed".to_owned()));
                (generated, reported)
            })
        } else {
            (read_table(generated), read_table(reported))
        };
        let ((generated, generated_cpu), (reported, reported_cpu)) = (generated?, reported?);
        let read_secs = started.elapsed().as_secs_f64();
        let cpu_before = thread_cpu_secs();
        let report = compare_tables(&generated, &reported, &tolerances);
        (report, read_secs, generated_cpu + reported_cpu, thread_cpu_secs() - cpu_before)
    };
    let total_secs = started.elapsed().as_secs_f64();
    print_result(
        if via_lines { "via_lines" } else { "table" },
        threads,
        &report,
        (read_secs, total_secs),
        (read_cpu, compare_cpu),
    );
    Ok(())
}

fn read_table(path: &str) -> Result<(LineTable, f64), String> {
    let cpu_before = thread_cpu_secs();
    let mut file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let size = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let mut reader = LinesCsvReader::with_size_hint(size);
    let mut block = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut block).map_err(|e| format!("{path}: {e}"))?;
        if read == 0 {
            break;
        }
        reader.feed(&block[..read]).map_err(|e| format!("{path}: {e}"))?;
    }
    let table = reader.finish().map_err(|e| format!("{path}: {e}"))?;
    Ok((table, thread_cpu_secs() - cpu_before))
}

fn read_lines(path: &str) -> Result<Vec<lading_customs::model::CustomsLine>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    read_lines_csv(&bytes).map_err(|e| format!("{path}: {e}"))
}

/// CPU seconds the calling thread has run (scheduler statistics): unlike wall time, not
/// inflated when other processes share the cores.
fn thread_cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next().and_then(|ns| ns.parse::<f64>().ok()))
        .map_or(0.0, |ns| ns / 1e9)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn print_result(mode: &str, threads: usize, report: &ComparisonReport, wall: (f64, f64), cpu: (f64, f64)) {
    let (read_secs, total_secs) = wall;
    let (read_cpu, compare_cpu) = cpu;
    let summary = &report.summary;
    println!(
        "lading {mode} (threads {threads}): {} vs {} lines, read {read_secs:.3} s, compare {:.3} s, total {total_secs:.3} s, peak rss {:.1} MB",
        summary.generated_lines,
        summary.reported_lines,
        total_secs - read_secs,
        peak_rss_mb()
    );
    println!(
        "  paired {} ({} by best match), identical {}, unpaired {} / {}, differences match {} warn {} fail {}, failed {}",
        summary.paired_lines,
        summary.paired_by_best_match,
        summary.identical_lines,
        summary.unpaired_generated,
        summary.unpaired_reported,
        summary.differences.matched,
        summary.differences.warn,
        summary.differences.fail,
        report.failed()
    );
    println!(
        "  cpu: read {read_cpu:.3} s (all threads), compare {compare_cpu:.3} s, total {:.3} s",
        read_cpu + compare_cpu
    );
    println!(
        "RESULT mode={mode} threads={threads} lines={} read_s={read_secs:.4} compare_s={:.4} total_s={total_secs:.4} cpu_s={:.4} peak_rss_mb={:.1}",
        summary.generated_lines,
        total_secs - read_secs,
        read_cpu + compare_cpu,
        peak_rss_mb()
    );
}

/// Generates into a temp dir, then measures in a fresh process so the peak is the
/// measurement's own.
fn both(args: &[String]) -> Result<(), String> {
    let lines = parse_lines(args.first(), 100_000)?;
    let dir = std::env::temp_dir().join(format!("lading-compare-speed-{}", std::process::id()));
    let (generated, reported) = generate(lines, &dir)?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let status = Command::new(exe).arg("measure").arg(&generated).arg(&reported).status().map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&dir);
    if status.success() { Ok(()) } else { Err(format!("measure exited with {status}")) }
}
