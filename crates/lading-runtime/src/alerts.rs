//! Alert rules: which facts raise which alert, per tenant, once; and the router that sends an
//! alert to the channels its tenant chose for its severity.
//!
//! Two kinds of alerts reach the router:
//! - raised where the fact happens: `run_failed` (the runner's catch), `source_down` (an SAP
//!   function module given up on by the ingest), `comparison_failed` (the IOR alert step), and
//!   the `records_quarantined` event;
//! - raised by the rules evaluated here from the state store, so that they hold across
//!   processes: at a run's end ([`after_run`]: `failure_rate`, `long_run`, `source_down` of
//!   Siesa, `dead_letters_growing`, `errors_burst`) and on the scheduler's clock
//!   ([`check_stuck_runs`]: `long_run` of runs still running).
//!
//! Whatever raised it, a rule's alert passes the tenant's settings (enabled, severity) and fires
//! once per rule and run: the first delivery is recorded in the tenant's `alert_state` table,
//! and the same alert again finds it there. Two processes evaluating the same run at the same
//! instant may both deliver: at least once, never lost.

use crate::engine::Engine;
use crate::metrics;
use crate::notify::{Alert, AlertChannel, Notifier, Severity};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lading_core::TenantId;
use lading_core::config::AlertSettings;
use lading_store::{DeadLetter, RunFilter, RunRecord, StateStore, Status, StoreError};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The tenant table that remembers fired alerts and the last evaluation of counted rules.
pub const ALERT_STATE: &str = "alert_state";

/// The built-in rules. Their names are the `kind` of their alerts, the keys of a tenant's
/// `alerts.rules` block and the `rule` label of the Prometheus rules in `ops/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    RunFailed,
    SourceDown,
    ComparisonFailed,
    FailureRate,
    ErrorsBurst,
    LongRun,
    DeadLettersGrowing,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::RunFailed,
        Rule::SourceDown,
        Rule::ComparisonFailed,
        Rule::FailureRate,
        Rule::ErrorsBurst,
        Rule::LongRun,
        Rule::DeadLettersGrowing,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Rule::RunFailed => "run_failed",
            Rule::SourceDown => "source_down",
            Rule::ComparisonFailed => "comparison_failed",
            Rule::FailureRate => "failure_rate",
            Rule::ErrorsBurst => "errors_burst",
            Rule::LongRun => "long_run",
            Rule::DeadLettersGrowing => "dead_letters_growing",
        }
    }

    pub fn parse(kind: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == kind)
    }

    /// The severity of the rule's alerts unless the tenant overrides it.
    pub fn default_severity(self) -> Severity {
        match self {
            Rule::RunFailed | Rule::SourceDown | Rule::ComparisonFailed | Rule::ErrorsBurst => Severity::Error,
            Rule::FailureRate | Rule::LongRun | Rule::DeadLettersGrowing => Severity::Warning,
        }
    }

    pub fn enabled(self, settings: &AlertSettings) -> bool {
        let rules = &settings.rules;
        match self {
            Rule::RunFailed => rules.run_failed.enabled,
            Rule::SourceDown => rules.source_down.enabled,
            Rule::ComparisonFailed => rules.comparison_failed.enabled,
            Rule::FailureRate => rules.failure_rate.enabled,
            Rule::ErrorsBurst => rules.errors_burst.enabled,
            Rule::LongRun => rules.long_run.enabled,
            Rule::DeadLettersGrowing => rules.dead_letters_growing.enabled,
        }
    }

    pub fn severity(self, settings: &AlertSettings) -> Severity {
        let rules = &settings.rules;
        let chosen = match self {
            Rule::RunFailed => rules.run_failed.severity,
            Rule::SourceDown => rules.source_down.severity,
            Rule::ComparisonFailed => rules.comparison_failed.severity,
            Rule::FailureRate => rules.failure_rate.severity,
            Rule::ErrorsBurst => rules.errors_burst.severity,
            Rule::LongRun => rules.long_run.severity,
            Rule::DeadLettersGrowing => rules.dead_letters_growing.severity,
        };
        chosen.unwrap_or(self.default_severity())
    }
}

/// A tenant's alert settings: the `alerts` block of its sync config, else the defaults (a
/// tenant with only an importer-of-record config, or a config that cannot be read: alerting
/// must not stop because of it).
pub async fn tenant_settings(state: &dyn StateStore, tenant: &str) -> AlertSettings {
    let Ok(tenant_id) = TenantId::parse(tenant) else { return AlertSettings::default() };
    match state.get_tenant(&tenant_id).await {
        Ok(Some(raw)) => *raw.alerts,
        Ok(None) => AlertSettings::default(),
        Err(e) => {
            tracing::warn!(tenant, "alert settings not readable, using the defaults: {e}");
            AlertSettings::default()
        }
    }
}

/// Delivers alerts to the channels of their severity in their tenant's routes, after the
/// tenant's rule settings and the once-per-run check. Channels not set up in this process are
/// skipped; the others are sent to at once, and one failing does not stop the rest.
pub struct AlertRouter {
    pub state: Arc<dyn StateStore>,
    pub channels: Channels,
}

/// The notifier of each channel set up in the process.
pub type Channels = Vec<(AlertChannel, Box<dyn Notifier>)>;

#[async_trait]
impl Notifier for AlertRouter {
    async fn notify(&self, alert: &Alert) -> Result<(), String> {
        let state = self.state.as_ref();
        let settings = tenant_settings(state, &alert.tenant_id).await;
        let Some(alert) = apply_settings(&settings, alert) else {
            tracing::debug!(tenant = %alert.tenant_id, kind = %alert.kind, "alert rule disabled for the tenant");
            return Ok(());
        };
        if Rule::parse(&alert.kind) == Some(Rule::SourceDown)
            && let Some(attempts) = source_attempts(state, &alert).await
            && attempts < settings.rules.source_down.min_attempts
        {
            tracing::info!(tenant = %alert.tenant_id, attempts, "source failure below the tenant's min_attempts: no alert");
            return Ok(());
        }
        let key = fired_key(&alert);
        if let Some(key) = &key
            && already_fired(state, &alert.tenant_id, key).await
        {
            return Ok(());
        }
        let routed = settings.routes.channels(alert.severity);
        let deliveries = self
            .channels
            .iter()
            .filter(|(channel, _)| routed.contains(channel))
            .map(|(channel, notifier)| async { (*channel, notifier.notify(&alert).await) });
        let outcomes = futures::future::join_all(deliveries).await;
        let delivered = outcomes.iter().filter(|(_, outcome)| outcome.is_ok()).count();
        if delivered > 0 || outcomes.is_empty() {
            if let Some(key) = &key {
                mark_fired(state, &alert, key).await;
            }
            metrics::count_alert(&alert.tenant_id, &alert.kind, alert.severity.as_str());
        }
        let errors: Vec<String> = outcomes
            .into_iter()
            .filter_map(|(channel, outcome)| outcome.err().map(|e| format!("{}: {e}", channel.as_str())))
            .collect();
        if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
    }
}

/// The alert as the tenant wants it: `None` when its rule is disabled; otherwise with the
/// rule's severity (the tenant's override, else the rule's default). An event that is not a
/// rule passes as it is.
fn apply_settings(settings: &AlertSettings, alert: &Alert) -> Option<Alert> {
    let mut alert = alert.clone();
    if let Some(rule) = Rule::parse(&alert.kind) {
        if !rule.enabled(settings) {
            return None;
        }
        alert.severity = rule.severity(settings);
    }
    Some(alert)
}

/// The `alert_state` key that records a rule's alert for a run. `source_down` may fire once per
/// source of a run, so its key adds a hash of the message (which names the source).
fn fired_key(alert: &Alert) -> Option<String> {
    let rule = Rule::parse(&alert.kind)?;
    let run = alert.run_id.as_deref()?;
    Some(match rule {
        Rule::SourceDown => format!("fired/{}/{run}/{:016x}", rule.name(), fnv1a(alert.message.as_bytes())),
        _ => format!("fired/{}/{run}", rule.name()),
    })
}

/// FNV-1a: a hash that stays the same across processes and Rust versions.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

async fn already_fired(state: &dyn StateStore, tenant: &str, key: &str) -> bool {
    let Ok(tenant) = TenantId::parse(tenant) else { return false };
    match state.get_row(&tenant, ALERT_STATE, key).await {
        Ok(row) => row.is_some(),
        Err(e) => {
            tracing::warn!(%tenant, "alert state not readable, the alert may repeat: {e}");
            false
        }
    }
}

async fn mark_fired(state: &dyn StateStore, alert: &Alert, key: &str) {
    let Ok(tenant) = TenantId::parse(&alert.tenant_id) else { return };
    let row =
        serde_json::json!({"fired_at": Utc::now().to_rfc3339(), "severity": alert.severity, "message": alert.message});
    if let Err(e) = state.upsert_rows(&tenant, ALERT_STATE, &[(key.to_string(), row)]).await {
        tracing::warn!(%tenant, "alert state not written, the alert may repeat: {e}");
    }
}

/// How often the source of a `source_down` alert was tried: the attempts of the dead letter the
/// ingest wrote for it (same run, its error quoted in the message). `None` when unknown, and
/// then the alert fires.
async fn source_attempts(state: &dyn StateStore, alert: &Alert) -> Option<u32> {
    let run = alert.run_id.as_deref()?;
    let tenant = TenantId::parse(&alert.tenant_id).ok()?;
    let letters = state.list_dead_letters(Some(&tenant), 0).await.ok()?;
    letters
        .iter()
        .filter(|l| l.run_id == run && !l.error.is_empty() && alert.message.contains(&l.error))
        .map(|l| l.attempts)
        .max()
}

/// Sends an alert of a rule evaluated here, unless the tenant disabled the rule or it already
/// fired for this run. A delivery failure is logged; the alert is returned all the same (it
/// was raised), and fires again at the next evaluation unless some channel delivered it.
async fn raise(engine: &Engine, settings: &AlertSettings, rule: Rule, alert: Alert) -> Option<Alert> {
    if !rule.enabled(settings) {
        return None;
    }
    let alert = Alert { severity: rule.severity(settings), kind: rule.name().into(), ..alert };
    let key = fired_key(&alert);
    let state = engine.state.as_ref();
    if let Some(key) = &key
        && already_fired(state, &alert.tenant_id, key).await
    {
        return None;
    }
    match engine.notifier.notify(&alert).await {
        Ok(()) => {
            if let Some(key) = &key {
                mark_fired(state, &alert, key).await;
            }
        }
        Err(e) => tracing::warn!(tenant = %alert.tenant_id, kind = %alert.kind, "alert not delivered: {e}"),
    }
    Some(alert)
}

/// What the runner calls when a run ends, successfully or not: records the run's metrics, then
/// evaluates the rules. Never fails the run: a problem is logged.
pub async fn after_run(engine: &Engine, run: &RunRecord) {
    metrics::record_run(run);
    if let Err(e) = evaluate_run(engine, run, Utc::now()).await {
        tracing::warn!(tenant = %run.tenant_id, run_id = %run.run_id, "alert rules not evaluated: {e}");
    }
}

/// Evaluates the run-end rules for a finished run as of `now`; returns the alerts raised.
pub async fn evaluate_run(engine: &Engine, run: &RunRecord, now: DateTime<Utc>) -> Result<Vec<Alert>, StoreError> {
    let Ok(tenant) = TenantId::parse(&run.tenant_id) else { return Ok(Vec::new()) };
    let settings = tenant_settings(engine.state.as_ref(), &run.tenant_id).await;
    let rules = &settings.rules;
    let alert = |message: String| Alert {
        tenant_id: run.tenant_id.clone(),
        pipeline: run.pipeline.clone(),
        run_id: Some(run.run_id.clone()),
        severity: Severity::Info,
        kind: String::new(),
        message,
    };
    let mut raised = Vec::new();

    let counters = &run.counters;
    let bad = counters.failed + counters.quarantined;
    if counters.extracted > 0 && bad as f64 / counters.extracted as f64 > rules.failure_rate.threshold {
        let message = format!(
            "tenant {}: run {} of {}: {bad} of {} records failed or were quarantined ({:.1} %), above {:.1} %; see `lading quarantine list --run {}` and `lading dlq list --tenant {}`",
            run.tenant_id,
            run.run_id,
            run.pipeline,
            counters.extracted,
            bad as f64 * 100.0 / counters.extracted as f64,
            rules.failure_rate.threshold * 100.0,
            run.run_id,
            run.tenant_id
        );
        raised.extend(raise(engine, &settings, Rule::FailureRate, alert(message)).await);
    }

    if let Some(seconds) = metrics::run_duration_secs(run)
        && seconds > rules.long_run.max_duration_secs as f64
    {
        let message = format!(
            "tenant {}: run {} of {} took {}, longer than {}",
            run.tenant_id,
            run.run_id,
            run.pipeline,
            minutes(seconds),
            minutes(rules.long_run.max_duration_secs as f64)
        );
        raised.extend(raise(engine, &settings, Rule::LongRun, alert(message)).await);
    }

    if run.status == Status::Failed
        && run.pipeline == crate::product_sync::PIPELINE
        && run.failed_step.as_deref() == Some("extract")
    {
        let steps = engine.state.list_steps(&run.run_id).await?;
        let attempts = steps.iter().find(|s| s.name == "extract").map_or(0, |s| s.attempts);
        if attempts >= rules.source_down.min_attempts {
            let message = format!(
                "tenant {}: siesa could not be read by run {} after {attempts} attempts of the extract step: {}",
                run.tenant_id,
                run.run_id,
                run.error.as_deref().unwrap_or("unknown reason")
            );
            raised.extend(raise(engine, &settings, Rule::SourceDown, alert(message)).await);
        }
    }

    if run.pipeline == crate::ior_daily::PIPELINE
        && let Some(row) = engine.state.get_row(&tenant, crate::ior_daily::COMPARISON_REPORTS, &run.run_id).await?
    {
        let differences = &row["summary"]["differences"];
        metrics::set_comparison_differences(
            &run.tenant_id,
            differences["fail"].as_u64().unwrap_or(0),
            differences["warn"].as_u64().unwrap_or(0),
        );
    }

    let letters = engine.state.list_dead_letters(Some(&tenant), 0).await?;
    let of_run = letters.iter().filter(|l| l.run_id == run.run_id).count() as u64;
    metrics::add_dead_letters(&run.tenant_id, &run.pipeline, of_run);
    let pending = letters.iter().filter(|l| l.replayed_at.is_none()).count() as u64;
    metrics::set_dead_letters_pending(&run.tenant_id, pending);
    let previous = engine
        .state
        .get_row(&tenant, ALERT_STATE, "dead_letters")
        .await?
        .and_then(|row| row["pending"].as_u64())
        .unwrap_or(0);
    let row = serde_json::json!({"pending": pending, "evaluated_at": now.to_rfc3339()});
    engine.state.upsert_rows(&tenant, ALERT_STATE, &[("dead_letters".into(), row)]).await?;
    if pending > previous {
        let message = format!(
            "tenant {}: {pending} dead letters wait for a replay, up from {previous} (run {} of {}); see `lading dlq list --tenant {}`",
            run.tenant_id, run.run_id, run.pipeline, run.tenant_id
        );
        raised.extend(raise(engine, &settings, Rule::DeadLettersGrowing, alert(message)).await);
    }

    raised.extend(errors_burst(engine, &settings, &tenant, run, &letters, now).await?);
    Ok(raised)
}

/// More than `max_errors` errors of the tenant in the last `window_secs`: failed runs that
/// ended in the window plus dead letters written in it. Fires at most once per window.
async fn errors_burst(
    engine: &Engine,
    settings: &AlertSettings,
    tenant: &TenantId,
    run: &RunRecord,
    letters: &[DeadLetter],
    now: DateTime<Utc>,
) -> Result<Option<Alert>, StoreError> {
    let rule = &settings.rules.errors_burst;
    if !rule.enabled {
        return Ok(None);
    }
    let since = now - chrono::Duration::seconds(i64::try_from(rule.window_secs).unwrap_or(i64::MAX / 1000));
    let in_window = |instant: Option<&str>| {
        instant.and_then(|t| DateTime::parse_from_rfc3339(t).ok()).is_some_and(|t| t >= since && t <= now)
    };
    let filter = RunFilter {
        tenant_id: Some(tenant.to_string()),
        status: Some(Status::Failed),
        limit: 1000,
        ..RunFilter::default()
    };
    let failed_runs = engine.state.list_runs(&filter).await?;
    let failed_runs = failed_runs.iter().filter(|r| in_window(r.finished_at.as_deref())).count() as u64;
    let new_letters = letters.iter().filter(|l| in_window(Some(&l.created_at))).count() as u64;
    let errors = failed_runs + new_letters;
    if errors <= u64::from(rule.max_errors) {
        return Ok(None);
    }
    let last = engine.state.get_row(tenant, ALERT_STATE, "errors_burst").await?;
    if last.as_ref().is_some_and(|row| in_window(row["fired_at"].as_str())) {
        return Ok(None);
    }
    let message = format!(
        "tenant {tenant}: {errors} errors in the last {} ({failed_runs} failed runs, {new_letters} dead letters), more than {}; latest run {} of {}",
        minutes(rule.window_secs as f64),
        rule.max_errors,
        run.run_id,
        run.pipeline
    );
    let alert = Alert {
        tenant_id: tenant.to_string(),
        pipeline: run.pipeline.clone(),
        run_id: Some(run.run_id.clone()),
        severity: Severity::Error,
        kind: String::new(),
        message,
    };
    let raised = raise(engine, settings, Rule::ErrorsBurst, alert).await;
    if raised.is_some() {
        let row = serde_json::json!({"fired_at": now.to_rfc3339()});
        engine.state.upsert_rows(tenant, ALERT_STATE, &[("errors_burst".into(), row)]).await?;
    }
    Ok(raised)
}

/// Runs still running longer than their tenant's `long_run.max_duration_secs` as of `now`:
/// raises `long_run` once per run (a run that then ends late does not raise it again), and sets
/// the running-age gauge. For the server's scheduler loop, on every tick.
pub async fn check_stuck_runs(engine: &Engine, now: DateTime<Utc>) -> Result<Vec<Alert>, StoreError> {
    let filter = RunFilter { status: Some(Status::Running), limit: 1000, ..RunFilter::default() };
    let running = engine.state.list_runs(&filter).await?;
    let mut ages: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut settings: HashMap<String, AlertSettings> = HashMap::new();
    let mut raised = Vec::new();
    for run in &running {
        let Ok(started) = DateTime::parse_from_rfc3339(&run.started_at) else { continue };
        let age = (now - started.with_timezone(&Utc)).num_milliseconds().max(0) as f64 / 1000.0;
        let oldest = ages.entry((run.tenant_id.clone(), run.pipeline.clone())).or_default();
        *oldest = oldest.max(age);
        if !settings.contains_key(&run.tenant_id) {
            let loaded = tenant_settings(engine.state.as_ref(), &run.tenant_id).await;
            settings.insert(run.tenant_id.clone(), loaded);
        }
        let tenant_settings = &settings[&run.tenant_id];
        let limit = tenant_settings.rules.long_run.max_duration_secs;
        if age > limit as f64 {
            let alert = Alert {
                tenant_id: run.tenant_id.clone(),
                pipeline: run.pipeline.clone(),
                run_id: Some(run.run_id.clone()),
                severity: Severity::Warning,
                kind: String::new(),
                message: format!(
                    "tenant {}: run {} of {} has been running for {}, longer than {}; check that it progresses with `lading runs show {}`",
                    run.tenant_id,
                    run.run_id,
                    run.pipeline,
                    minutes(age),
                    minutes(limit as f64),
                    run.run_id
                ),
            };
            raised.extend(raise(engine, tenant_settings, Rule::LongRun, alert).await);
        }
    }
    metrics::set_running_ages(&ages);
    Ok(raised)
}

/// `42 min`, or `45 s` below a minute.
fn minutes(seconds: f64) -> String {
    if seconds < 60.0 { format!("{seconds:.0} s") } else { format!("{:.0} min", seconds / 60.0) }
}
