//! Run reports: a summary (counts, durations, failures by reason, the target check) and a CSV
//! of the records the run sent, both in the object store under `reports/{tenant}/{run}/`.

use crate::engine::Engine;
use crate::product_sync::{RecordOutcome, StepFailure};
use lading_core::TargetRecord;
use lading_core::config::TenantConfig;
use lading_store::{QuarantineEntry, RunRecord};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The check that source and target agree: every record the target confirmed is there, once.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Verification {
    /// Records the target has confirmed over all runs of this tenant.
    pub confirmed: usize,
    /// Records the target lists for this tenant.
    pub in_target: usize,
    /// Confirmed records the target does not list (a few, for the report).
    pub missing: Vec<String>,
    pub missing_count: usize,
    /// External ids the target lists more than once.
    pub duplicates: Vec<String>,
}

impl Verification {
    pub fn check(confirmed: &HashMap<String, String>, target_ids: &[String]) -> Verification {
        let mut seen = HashSet::with_capacity(target_ids.len());
        let mut duplicates = Vec::new();
        for id in target_ids {
            if !seen.insert(id.as_str()) {
                duplicates.push(id.clone());
            }
        }
        let mut missing: Vec<String> = confirmed.keys().filter(|k| !seen.contains(k.as_str())).cloned().collect();
        missing.sort();
        let missing_count = missing.len();
        missing.truncate(20);
        duplicates.sort();
        duplicates.dedup();
        Verification { confirmed: confirmed.len(), in_target: seen.len(), missing, missing_count, duplicates }
    }

    pub fn ok(&self) -> bool {
        self.missing_count == 0 && self.duplicates.is_empty()
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.missing_count > 0 {
            parts.push(format!(
                "{} confirmed records missing from the target (e.g. {}); `lading sync --full` sends every record again",
                self.missing_count,
                self.missing.join(", ")
            ));
        }
        if !self.duplicates.is_empty() {
            parts.push(format!(
                "{} external ids held twice by the target (e.g. {})",
                self.duplicates.len(),
                self.duplicates.join(", ")
            ));
        }
        if parts.is_empty() { "source and target agree".into() } else { parts.join("; ") }
    }
}

/// The summary written after a run's load. `status` and `error` are the run's outcome as the
/// runner will record it once this last step is done.
#[derive(Clone, Debug, Serialize)]
pub struct Summary<'a> {
    pub run_id: &'a str,
    pub tenant_id: &'a str,
    pub pipeline: &'a str,
    pub trigger: &'a str,
    pub full: bool,
    pub started_at: &'a str,
    pub status: &'static str,
    pub error: Option<String>,
    pub counters: &'a lading_store::Counters,
    pub product_type: &'a str,
    pub step_durations_ms: BTreeMap<String, u64>,
    /// Quarantine reasons by issue code, and load failures by error.
    pub failures_by_reason: BTreeMap<String, u64>,
    pub verification: &'a Verification,
    pub records_csv: String,
}

pub async fn write(
    engine: &Engine,
    tenant: &TenantConfig,
    run: &RunRecord,
    outcomes: &[RecordOutcome],
    sent: &HashMap<&str, &TargetRecord>,
    quarantine: &[QuarantineEntry],
    verification: &Verification,
) -> Result<String, StepFailure> {
    let prefix = format!("reports/{}/{}", tenant.tenant_id, run.run_id);
    let mut failures_by_reason = BTreeMap::new();
    for entry in quarantine {
        for issue in &entry.reasons {
            *failures_by_reason.entry(format!("quarantined: {} {}", issue.field, issue.code)).or_insert(0) += 1;
        }
    }
    for outcome in outcomes {
        if let Some(error) = &outcome.error {
            *failures_by_reason.entry(format!("failed: {}", truncate(error, 120))).or_insert(0) += 1;
        }
    }
    let step_durations_ms =
        engine.state.list_steps(&run.run_id).await?.into_iter().map(|s| (s.name, s.duration_ms)).collect();

    let mut csv_writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| StepFailure { message: format!("writing the records csv: {e}"), retryable: false };
    csv_writer.write_record(["external_id", "status", "error", "record"]).map_err(csv_error)?;
    for outcome in outcomes {
        let record =
            sent.get(outcome.external_id.as_str()).map(|r| serde_json::Value::Object(r.fields.clone()).to_string());
        csv_writer
            .write_record([
                outcome.external_id.as_str(),
                outcome.status.as_str(),
                outcome.error.as_deref().unwrap_or(""),
                record.as_deref().unwrap_or(""),
            ])
            .map_err(csv_error)?;
    }
    let csv_bytes = csv_writer.into_inner().map_err(|e| StepFailure { message: e.to_string(), retryable: false })?;
    let csv_key = format!("{prefix}/records.csv");
    engine.objects.put(&csv_key, bytes::Bytes::from(csv_bytes)).await?;

    let error = crate::runner::threshold_breach(&run.counters, tenant.raw.failure_threshold);
    let summary = Summary {
        run_id: &run.run_id,
        tenant_id: &run.tenant_id,
        pipeline: &run.pipeline,
        trigger: &run.trigger,
        full: run.full,
        started_at: &run.started_at,
        status: if error.is_some() { "failed" } else { "succeeded" },
        error,
        counters: &run.counters,
        product_type: &tenant.raw.product_type,
        step_durations_ms,
        failures_by_reason,
        verification,
        records_csv: csv_key,
    };
    let key = format!("{prefix}/summary.json");
    engine.objects.put_json(&key, &summary).await?;
    Ok(key)
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_finds_missing_and_duplicate_records() {
        let confirmed: HashMap<String, String> =
            ["1", "2", "3"].iter().map(|k| (k.to_string(), "h".to_string())).collect();
        let target: Vec<String> = ["1", "2", "2", "9"].iter().map(|s| s.to_string()).collect();
        let check = Verification::check(&confirmed, &target);
        assert_eq!(check.missing, vec!["3"]);
        assert_eq!(check.duplicates, vec!["2"]);
        assert_eq!(check.in_target, 3);
        assert!(!check.ok());
        assert!(check.describe().contains("1 confirmed records missing") && check.describe().contains("--full"));

        let all: Vec<String> = ["1", "2", "3"].iter().map(|s| s.to_string()).collect();
        assert!(Verification::check(&confirmed, &all).ok());
    }
}
