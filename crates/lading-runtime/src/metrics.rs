//! Prometheus metrics: their names, labels and the one recorder of the process.
//!
//! The names are a contract: the Grafana dashboard and the Prometheus rules in `ops/` use them,
//! docs/alerts.md lists them, and the CloudWatch EMF metrics of the AWS deployment will carry
//! the same names and labels. Change one only with all of those.
//!
//! Recording goes through the `metrics` facade and costs nothing until [`install`] has set the
//! process's recorder (`lading` does it when it opens the engine). [`render`] is the text a
//! `/metrics` route serves. Labels are bounded: tenants, pipelines, external systems, fixed
//! outcomes; never a run id or a record key.

use lading_store::{RunRecord, Status};
use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock};

/// Runs finished, by `tenant`, `pipeline` and `outcome` (`succeeded`, `failed`).
pub const RUNS_TOTAL: &str = "lading_runs_total";
/// Wall time from a run's start to its end (resumed runs included), by `tenant`, `pipeline`.
pub const SYNC_DURATION_SECONDS: &str = "lading_sync_duration_seconds";
/// Records a run read from its source (extracted), by `tenant`, `pipeline`.
pub const RECORDS_PROCESSED_TOTAL: &str = "lading_records_processed_total";
/// Records of a run that failed to load (`reason="failed"`) or were quarantined
/// (`reason="quarantined"`), by `tenant`, `pipeline`, `reason`.
pub const RECORDS_FAILED_TOTAL: &str = "lading_records_failed_total";
/// Latency of every HTTP attempt, by `system` (`siesa`, `kong`, `wms`, `sap`, `webhook`),
/// `tenant` and `outcome` (`ok`, `error`).
pub const EXTERNAL_REQUEST_DURATION_SECONDS: &str = lading_connect::http::REQUEST_DURATION_METRIC;
/// Dead letters written by runs, counted when the run ends, by `tenant`, `pipeline`.
pub const DEAD_LETTERS_TOTAL: &str = "lading_dead_letters_total";
/// Dead letters of a tenant not yet replayed, as of the last run's end, by `tenant`.
pub const DEAD_LETTERS_PENDING: &str = "lading_dead_letters_pending";
/// Age of the oldest run still running, by `tenant`, `pipeline` (0: none), as of the last
/// [`crate::alerts::check_stuck_runs`].
pub const RUNNING_RUN_AGE_SECONDS: &str = "lading_running_run_age_seconds";
/// Differences of the last comparison of customs lines with SAP's, by `tenant` and `level`
/// (`fail`, `warn`).
pub const COMPARISON_DIFFERENCES: &str = "lading_comparison_differences";
/// Alerts delivered, by `tenant`, `kind` (a rule or an event such as `records_quarantined`)
/// and `severity`.
pub const ALERTS_TOTAL: &str = "lading_alerts_total";

/// Every metric Lading exports.
pub const ALL: [&str; 10] = [
    RUNS_TOTAL,
    SYNC_DURATION_SECONDS,
    RECORDS_PROCESSED_TOTAL,
    RECORDS_FAILED_TOTAL,
    EXTERNAL_REQUEST_DURATION_SECONDS,
    DEAD_LETTERS_TOTAL,
    DEAD_LETTERS_PENDING,
    RUNNING_RUN_AGE_SECONDS,
    COMPARISON_DIFFERENCES,
    ALERTS_TOTAL,
];

/// The labels of each metric (histograms add `le` to their buckets).
pub const LABELS: [(&str, &[&str]); 10] = [
    (RUNS_TOTAL, &["tenant", "pipeline", "outcome"]),
    (SYNC_DURATION_SECONDS, &["tenant", "pipeline"]),
    (RECORDS_PROCESSED_TOTAL, &["tenant", "pipeline"]),
    (RECORDS_FAILED_TOTAL, &["tenant", "pipeline", "reason"]),
    (EXTERNAL_REQUEST_DURATION_SECONDS, &["system", "tenant", "outcome"]),
    (DEAD_LETTERS_TOTAL, &["tenant", "pipeline"]),
    (DEAD_LETTERS_PENDING, &["tenant"]),
    (RUNNING_RUN_AGE_SECONDS, &["tenant", "pipeline"]),
    (COMPARISON_DIFFERENCES, &["tenant", "level"]),
    (ALERTS_TOTAL, &["tenant", "kind", "severity"]),
];

/// The histograms among [`ALL`]: they render as `_bucket`, `_sum` and `_count` series.
pub const HISTOGRAMS: [&str; 2] = [SYNC_DURATION_SECONDS, EXTERNAL_REQUEST_DURATION_SECONDS];

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Run durations: a sync takes seconds to an hour; 1800 is the `long_run` rule's default.
const SYNC_DURATION_BUCKETS: [f64; 12] =
    [1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0];
/// HTTP attempts: milliseconds to the 30 s default timeout.
const REQUEST_DURATION_BUCKETS: [f64; 13] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder as the process's metrics recorder, once; later calls
/// return the same handle. Tests call it too: recording is global, so a test reads only the
/// series of its own tenants.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        // Cannot fail: the bucket lists are constants and not empty.
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(SYNC_DURATION_SECONDS.into()), &SYNC_DURATION_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(EXTERNAL_REQUEST_DURATION_SECONDS.into()),
                    &REQUEST_DURATION_BUCKETS,
                )
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is already installed: /metrics shows nothing of Lading");
        }
        describe();
        handle
    })
}

/// The Prometheus text of every metric recorded so far (installs the recorder if needed).
pub fn render() -> String {
    let handle = install();
    handle.run_upkeep();
    handle.render()
}

fn describe() {
    describe_counter!(RUNS_TOTAL, "Runs finished, by tenant, pipeline and outcome.");
    describe_histogram!(SYNC_DURATION_SECONDS, Unit::Seconds, "Wall time of a run from its start to its end.");
    describe_counter!(RECORDS_PROCESSED_TOTAL, "Records read from the source by runs.");
    describe_counter!(RECORDS_FAILED_TOTAL, "Records that failed to load or were quarantined, by reason.");
    describe_histogram!(
        EXTERNAL_REQUEST_DURATION_SECONDS,
        Unit::Seconds,
        "Latency of each HTTP attempt to an external system, by system, tenant and outcome."
    );
    describe_counter!(DEAD_LETTERS_TOTAL, "Dead letters written by runs.");
    describe_gauge!(DEAD_LETTERS_PENDING, "Dead letters of a tenant not yet replayed.");
    describe_gauge!(RUNNING_RUN_AGE_SECONDS, Unit::Seconds, "Age of the oldest run still running (0: none).");
    describe_gauge!(COMPARISON_DIFFERENCES, "Differences of the last customs-line comparison, by level.");
    describe_counter!(ALERTS_TOTAL, "Alerts delivered, by tenant, kind and severity.");
}

/// Records a finished run: its outcome, duration and record counts. A run not finished yet is
/// ignored.
pub fn record_run(run: &RunRecord) {
    let outcome = match run.status {
        Status::Succeeded => "succeeded",
        Status::Failed => "failed",
        Status::Pending | Status::Running => return,
    };
    let labels = [("tenant", run.tenant_id.clone()), ("pipeline", run.pipeline.clone())];
    counter!(
        RUNS_TOTAL,
        &[("tenant", run.tenant_id.clone()), ("pipeline", run.pipeline.clone()), ("outcome", outcome.into())]
    )
    .increment(1);
    if let Some(seconds) = run_duration_secs(run) {
        histogram!(SYNC_DURATION_SECONDS, &labels).record(seconds);
    }
    counter!(RECORDS_PROCESSED_TOTAL, &labels).increment(run.counters.extracted);
    for (reason, count) in [("failed", run.counters.failed), ("quarantined", run.counters.quarantined)] {
        counter!(RECORDS_FAILED_TOTAL, &[labels[0].clone(), labels[1].clone(), ("reason", reason.into())])
            .increment(count);
    }
}

/// Seconds from a run's start to its end; `None` while it runs or when a time is unreadable.
pub fn run_duration_secs(run: &RunRecord) -> Option<f64> {
    let started = chrono::DateTime::parse_from_rfc3339(&run.started_at).ok()?;
    let finished = chrono::DateTime::parse_from_rfc3339(run.finished_at.as_deref()?).ok()?;
    Some((finished - started).num_milliseconds().max(0) as f64 / 1000.0)
}

pub(crate) fn add_dead_letters(tenant: &str, pipeline: &str, count: u64) {
    counter!(DEAD_LETTERS_TOTAL, "tenant" => tenant.to_string(), "pipeline" => pipeline.to_string()).increment(count);
}

pub(crate) fn set_dead_letters_pending(tenant: &str, count: u64) {
    gauge!(DEAD_LETTERS_PENDING, "tenant" => tenant.to_string()).set(count as f64);
}

pub(crate) fn set_comparison_differences(tenant: &str, fail: u64, warn: u64) {
    gauge!(COMPARISON_DIFFERENCES, "tenant" => tenant.to_string(), "level" => "fail").set(fail as f64);
    gauge!(COMPARISON_DIFFERENCES, "tenant" => tenant.to_string(), "level" => "warn").set(warn as f64);
}

pub(crate) fn count_alert(tenant: &str, kind: &str, severity: &str) {
    counter!(ALERTS_TOTAL, "tenant" => tenant.to_string(), "kind" => kind.to_string(), "severity" => severity.to_string())
        .increment(1);
}

/// (tenant, pipeline) pairs whose running-age gauge this process has set, so that a pair with
/// no running run left goes back to 0 instead of keeping its last age.
static RUNNING_SEEN: Mutex<BTreeSet<(String, String)>> = Mutex::new(BTreeSet::new());

/// Sets the running-age gauge of every (tenant, pipeline) in `ages`, and 0 for those seen
/// before that are no longer running.
pub(crate) fn set_running_ages(ages: &BTreeMap<(String, String), f64>) {
    let mut seen = RUNNING_SEEN.lock().unwrap_or_else(|p| p.into_inner());
    seen.extend(ages.keys().cloned());
    for key in seen.iter() {
        let age = ages.get(key).copied().unwrap_or(0.0);
        gauge!(RUNNING_RUN_AGE_SECONDS, "tenant" => key.0.clone(), "pipeline" => key.1.clone()).set(age);
    }
}
