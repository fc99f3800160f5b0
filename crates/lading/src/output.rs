//! Printing results: a readable table for people, JSON with `--json` for scripts.

use lading_store::{QuarantineEntry, RunRecord, StepRecord};
use serde::Serialize;

pub fn json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(err) => eprintln!("error: cannot print JSON: {err}"),
    }
}

pub fn run_header() -> String {
    format!(
        "{:<36}  {:<12}  {:<9}  {:>9} {:>9} {:>7} {:>7} {:>9} {:>6}",
        "run", "tenant", "status", "extracted", "quarant.", "created", "updated", "unchanged", "failed"
    )
}

pub fn run_line(run: &RunRecord) -> String {
    let c = &run.counters;
    format!(
        "{:<36}  {:<12}  {:<9}  {:>9} {:>9} {:>7} {:>7} {:>9} {:>6}",
        run.run_id,
        run.tenant_id,
        run.status.as_str(),
        c.extracted,
        c.quarantined,
        c.created,
        c.updated,
        c.unchanged,
        c.failed
    )
}

pub fn print_runs(runs: &[RunRecord]) {
    println!("{}", run_header());
    for run in runs {
        println!("{}", run_line(run));
    }
}

pub fn print_run_detail(run: &RunRecord, steps: &[StepRecord]) {
    println!("run       {}", run.run_id);
    println!("tenant    {}", run.tenant_id);
    println!("pipeline  {}", run.pipeline);
    println!("status    {}{}", run.status.as_str(), if run.full { " (full load)" } else { "" });
    println!("trigger   {}", run.trigger);
    println!("started   {}", run.started_at);
    println!("finished  {}", run.finished_at.as_deref().unwrap_or("-"));
    let c = &run.counters;
    println!(
        "records   extracted {}, valid {}, quarantined {}, created {}, updated {}, unchanged {}, failed {}",
        c.extracted, c.valid, c.quarantined, c.created, c.updated, c.unchanged, c.failed
    );
    if let Some(error) = &run.error {
        println!("error     {error}");
    }
    println!("steps");
    for step in steps {
        println!(
            "  {:<10} {:<9} attempts {:>2}  {:>7} ms  {}",
            step.name,
            step.status.as_str(),
            step.attempts,
            step.duration_ms,
            step.error.as_deref().or(step.output_ref.as_deref()).unwrap_or("")
        );
    }
}

pub fn print_quarantine(entries: &[QuarantineEntry]) {
    for entry in entries {
        let reasons: Vec<String> =
            entry.reasons.iter().map(|i| format!("{} ({}): {}", i.field, i.code, i.message)).collect();
        println!("{}  {}  {}  {}", entry.tenant_id, entry.run_id, entry.record_key, reasons.join("; "));
    }
    if entries.is_empty() {
        println!("no quarantined records");
    }
}

pub fn print_comparison_summary(report: &lading_customs::compare::ComparisonReport) {
    let s = &report.summary;
    println!(
        "lines: {} generated, {} reported, {} entries ({} failed)",
        s.generated_lines, s.reported_lines, s.entries, s.entries_failed
    );
    println!(
        "paired: {} ({} by line number, {} by best match), {} identical; unpaired: {} generated, {} reported",
        s.paired_lines,
        s.paired_by_line_number,
        s.paired_by_best_match,
        s.identical_lines,
        s.unpaired_generated,
        s.unpaired_reported
    );
    println!("differences: {} match, {} warn, {} fail", s.differences.matched, s.differences.warn, s.differences.fail);
    println!(
        "duty and fees: generated {}, reported {}; revenue impact {} ({})",
        s.generated_duty_and_fees, s.reported_duty_and_fees, s.revenue_impact, s.revenue_impact_sign
    );
}

/// The summary of a stored comparison report (its JSON form).
pub fn print_comparison_json_summary(summary: &serde_json::Value) {
    let n = |key: &str| summary[key].as_u64().unwrap_or(0);
    println!(
        "  lines: {} generated, {} reported, {} entries ({} with failures)",
        n("generated_lines"),
        n("reported_lines"),
        n("entries"),
        n("entries_failed")
    );
    println!("  unpaired: {} generated, {} reported", n("unpaired_generated"), n("unpaired_reported"));
    let d = &summary["differences"];
    println!(
        "  differences: {} match, {} warn, {} fail; revenue impact {}",
        d["match"].as_u64().unwrap_or(0),
        d["warn"].as_u64().unwrap_or(0),
        d["fail"].as_u64().unwrap_or(0),
        summary["revenue_impact"].as_str().unwrap_or("?")
    );
}

pub fn print_shadow_report(report: &lading_runtime::ior::ShadowReport) {
    println!("{:<22} {:<26} {:>9} {:>9} {:>8} {:>8}", "table", "file", "pipeline", "csv", "matched", "match %");
    for t in &report.tables {
        println!(
            "{:<22} {:<26} {:>9} {:>9} {:>8} {:>7.1}%",
            t.table, t.file, t.pipeline_rows, t.csv_rows, t.matched, t.match_percent
        );
        for d in t.differences.iter().take(5) {
            println!("    {d:?}");
        }
    }
    if !report.ignored_files.is_empty() {
        println!("ignored: {}", report.ignored_files.join(", "));
    }
}
