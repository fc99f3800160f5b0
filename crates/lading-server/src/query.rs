//! What the API and the pages read, in one place: runs with their steps and records, customs
//! lines by filter, comparison reports, and the overview's numbers. Handlers turn these into
//! JSON or HTML; nothing here knows which.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use lading_core::TenantId;
use lading_core::config::RawTenantConfig;
use lading_customs::model::CustomsLine;
use lading_runtime::ior::RawIorConfig;
use lading_runtime::ior::config::{CONFIG_KEY, CONFIG_TABLE};
use lading_runtime::ior_daily::{COMPARISON_REPORTS, CUSTOMS_LINES};
use lading_store::{DeadLetter, QuarantineEntry, RunFilter, RunRecord, Status, StepRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The most rows a list answers at once.
pub const MAX_PAGE: usize = 1000;
pub const DEFAULT_PAGE: usize = 100;

/// A tenant id from a request: malformed ones are a 400, unknown ones a 404.
pub async fn known_tenant(state: &AppState, raw: &str) -> ApiResult<TenantId> {
    let tenant = TenantId::parse(raw).map_err(|e| ApiError::bad_request(format!("tenant: {e}")))?;
    if state.engine.state.get_tenant(&tenant).await?.is_some()
        || state.engine.state.get_row(&tenant, CONFIG_TABLE, CONFIG_KEY).await?.is_some()
    {
        Ok(tenant)
    } else {
        Err(ApiError::not_found(format!("unknown tenant {raw:?}; list tenants with GET /api/tenants")))
    }
}

/// A page size from a request: 1..=MAX_PAGE, `default` when absent.
pub fn page_size(limit: Option<usize>, default: usize) -> ApiResult<usize> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(format!("limit {n} must be between 1 and {MAX_PAGE}"))),
    }
}

/// Parses an RFC 3339 instant or a `YYYY-MM-DD` date (its midnight, UTC).
pub fn instant(field: &str, raw: &str) -> ApiResult<String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc).to_rfc3339());
    }
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().to_rfc3339());
    }
    Err(ApiError::bad_request(format!("{field} {raw:?} must be a date (2026-03-01) or an RFC 3339 instant")))
}

pub fn date(field: &str, raw: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("{field} {raw:?} must be a date like 2026-03-01")))
}

/// Filters of a run listing; every field optional.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    #[param(pattern = r"^[a-z0-9_-]{0,64}$")]
    pub tenant: Option<String>,
    /// `pending`, `running`, `succeeded` or `failed`.
    #[param(pattern = r"^(pending|running|succeeded|failed)?$")]
    pub status: Option<String>,
    /// `product-sync`, `ior-daily`, …
    pub pipeline: Option<String>,
    /// Runs started at or after (date or RFC 3339).
    pub since: Option<String>,
    /// Runs started before (date or RFC 3339); the `next_before` of the previous page.
    pub before: Option<String>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// Runs, newest first, and the cursor of the next page.
pub async fn runs(state: &AppState, query: &RunsQuery) -> ApiResult<(Vec<RunRecord>, Option<String>)> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(Status::parse(raw).ok_or_else(|| {
            ApiError::bad_request(format!("status {raw:?} must be pending, running, succeeded or failed"))
        })?),
    };
    let tenant = match query.tenant.as_deref().filter(|t| !t.is_empty()) {
        Some(raw) => Some(known_tenant(state, raw).await?.to_string()),
        None => None,
    };
    let limit = page_size(query.limit, DEFAULT_PAGE)?;
    let filter = RunFilter {
        tenant_id: tenant,
        status,
        pipeline: query.pipeline.clone().filter(|p| !p.is_empty()),
        since: query.since.as_deref().filter(|s| !s.is_empty()).map(|s| instant("since", s)).transpose()?,
        before: query.before.as_deref().filter(|s| !s.is_empty()).map(|s| instant("before", s)).transpose()?,
        limit,
    };
    let runs = state.engine.state.list_runs(&filter).await?;
    let next = (runs.len() == limit).then(|| runs.last().map(|r| r.started_at.clone())).flatten();
    Ok((runs, next))
}

/// A run with what happened in it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RunDetail {
    #[schema(value_type = Object)]
    pub run: RunRecord,
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<StepRecord>,
    /// The run's quarantined records with their reasons (the first 500).
    #[schema(value_type = Vec<Object>)]
    pub quarantined: Vec<QuarantineEntry>,
    /// The run's dead letters.
    #[schema(value_type = Vec<Object>)]
    pub dead_letters: Vec<DeadLetter>,
}

pub async fn run_detail(state: &AppState, run_id: &str) -> ApiResult<RunDetail> {
    let store = &state.engine.state;
    let run = store
        .get_run(run_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("unknown run {run_id:?}; list runs with GET /api/runs")))?;
    let steps = store.list_steps(run_id).await?;
    let quarantined = store.list_quarantine(None, Some(run_id), 500).await?;
    let tenant = TenantId::parse(&run.tenant_id).ok();
    let dead_letters = match tenant {
        Some(tenant) => {
            store.list_dead_letters(Some(&tenant), 0).await?.into_iter().filter(|d| d.run_id == run_id).collect()
        }
        None => Vec::new(),
    };
    Ok(RunDetail { run, steps, quarantined, dead_letters })
}

/// A run id from a request (a UUID, or `adhoc-…` for an ad-hoc comparison): anything else is
/// a 400 before the store is asked.
pub fn run_id(raw: &str) -> ApiResult<&str> {
    let ok = !raw.is_empty()
        && raw.len() <= 100
        && raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(raw)
    } else {
        Err(ApiError::bad_request(format!(
            "run id {raw:?} is malformed: expected letters, digits and '-', as in GET /api/runs"
        )))
    }
}

/// A tenant with the configs it has: the product sync's, the importer of record's, or both.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TenantView {
    pub tenant_id: String,
    /// The product sync's config (docs/configuration.md), when the tenant has one.
    #[schema(value_type = Option<Object>)]
    pub sync: Option<RawTenantConfig>,
    /// The importer-of-record config (docs/ior.md), when the tenant has one.
    #[schema(value_type = Option<Object>)]
    pub ior: Option<RawIorConfig>,
}

/// Every tenant, sorted by id.
pub async fn tenants(state: &AppState) -> ApiResult<Vec<TenantView>> {
    let store = &state.engine.state;
    let mut views: BTreeMap<String, TenantView> = BTreeMap::new();
    for raw in store.list_tenants().await? {
        let id = raw.tenant_id.clone();
        views.insert(id.clone(), TenantView { tenant_id: id, sync: Some(raw), ior: None });
    }
    for tenant in store.tenants_with_table(CONFIG_TABLE).await? {
        let ior = ior_config(state, &tenant).await?;
        views
            .entry(tenant.to_string())
            .or_insert_with(|| TenantView { tenant_id: tenant.to_string(), sync: None, ior: None })
            .ior = ior;
    }
    Ok(views.into_values().collect())
}

/// One tenant; 404 when it has neither config.
pub async fn tenant(state: &AppState, tenant: &TenantId) -> ApiResult<TenantView> {
    let sync = state.engine.state.get_tenant(tenant).await?;
    let ior = ior_config(state, tenant).await?;
    if sync.is_none() && ior.is_none() {
        return Err(ApiError::not_found(format!(
            "unknown tenant {:?}; list tenants with GET /api/tenants",
            tenant.as_str()
        )));
    }
    Ok(TenantView { tenant_id: tenant.to_string(), sync, ior })
}

async fn ior_config(state: &AppState, tenant: &TenantId) -> ApiResult<Option<RawIorConfig>> {
    let row = state.engine.state.get_row(tenant, CONFIG_TABLE, CONFIG_KEY).await?;
    row.map(|value| {
        serde_json::from_value(value).map_err(|e| ApiError::internal(format!("ior config of tenant {tenant}: {e}")))
    })
    .transpose()
}

/// Filters of the quarantine listing.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuarantineQuery {
    #[param(pattern = r"^[a-z0-9_-]{0,64}$")]
    pub tenant: Option<String>,
    /// Only the records of this run.
    #[param(pattern = r"^[A-Za-z0-9._:-]{0,100}$")]
    pub run: Option<String>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// Quarantined records, newest first.
pub async fn quarantine(state: &AppState, query: &QuarantineQuery) -> ApiResult<Vec<QuarantineEntry>> {
    let tenant = match query.tenant.as_deref().filter(|t| !t.is_empty()) {
        Some(raw) => Some(known_tenant(state, raw).await?),
        None => None,
    };
    let run = query.run.as_deref().filter(|r| !r.is_empty()).map(run_id).transpose()?;
    let limit = page_size(query.limit, DEFAULT_PAGE)?;
    Ok(state.engine.state.list_quarantine(tenant.as_ref(), run, limit).await?)
}

/// Filters of the dead-letter listing.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadLettersQuery {
    #[param(pattern = r"^[a-z0-9_-]{0,64}$")]
    pub tenant: Option<String>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// Dead letters, newest first.
pub async fn dead_letters(state: &AppState, query: &DeadLettersQuery) -> ApiResult<Vec<DeadLetter>> {
    let tenant = match query.tenant.as_deref().filter(|t| !t.is_empty()) {
        Some(raw) => Some(known_tenant(state, raw).await?),
        None => None,
    };
    let limit = page_size(query.limit, DEFAULT_PAGE)?;
    Ok(state.engine.state.list_dead_letters(tenant.as_ref(), limit).await?)
}

/// Filters of the customs lines.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomsQuery {
    /// Required when more than one tenant has lines.
    #[param(pattern = r"^[a-z0-9_-]{0,64}$")]
    pub tenant: Option<String>,
    /// An entry number, exactly.
    pub entry: Option<String>,
    /// Entries dated on or after (YYYY-MM-DD). Lines come in entry order; with a date range and
    /// no entry, in date order.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Entries dated on or before (YYYY-MM-DD).
    #[param(format = Date)]
    pub to: Option<String>,
    /// Lines carrying this HTS number (commodity or Chapter 99), dotted or not.
    pub hts: Option<String>,
    pub offset: Option<usize>,
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// One page of customs lines and how many matched in all.
pub struct CustomsPage {
    pub tenant: Option<TenantId>,
    pub total: usize,
    pub offset: usize,
    pub lines: Vec<CustomsLine>,
}

/// The tenants with generated customs lines.
pub async fn customs_tenants(state: &AppState) -> ApiResult<Vec<TenantId>> {
    Ok(state.engine.state.tenants_with_table(CUSTOMS_LINES).await?)
}

/// Which customs lines a listing, an export or a comparison is about.
#[derive(Clone, Debug, Default)]
pub struct LineFilter {
    pub entry: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Without dots.
    pub hts: Option<String>,
}

impl LineFilter {
    pub fn from_query(query: &CustomsQuery) -> ApiResult<LineFilter> {
        let from = query.from.as_deref().filter(|s| !s.is_empty()).map(|s| date("from", s)).transpose()?;
        let to = query.to.as_deref().filter(|s| !s.is_empty()).map(|s| date("to", s)).transpose()?;
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(ApiError::bad_request(format!("from {from} is after to {to}")));
        }
        Ok(LineFilter {
            entry: query.entry.clone().filter(|s| !s.is_empty()),
            from,
            to,
            hts: query.hts.as_deref().filter(|s| !s.is_empty()).map(|s| s.replace('.', "")),
        })
    }

    pub fn matches(&self, line: &CustomsLine) -> bool {
        self.entry.as_deref().is_none_or(|e| line.entry_number == e)
            && self.from.is_none_or(|d| line.entry_date >= d)
            && self.to.is_none_or(|d| line.entry_date <= d)
            && self
                .hts
                .as_deref()
                .is_none_or(|h| line.tariffs.iter().any(|t| t.hts_number.chars().filter(|c| *c != '.').eq(h.chars())))
    }
}

/// The customs lines matching `query`; `page` false returns every match (CSV export).
pub async fn customs_lines(state: &AppState, query: &CustomsQuery, page: bool) -> ApiResult<CustomsPage> {
    let tenant = match query.tenant.as_deref().filter(|t| !t.is_empty()) {
        Some(raw) => Some(known_tenant(state, raw).await?),
        None => {
            let mut tenants = customs_tenants(state).await?;
            match tenants.len() {
                0 => None,
                1 => tenants.pop(),
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "several tenants have customs lines ({}); choose one with tenant=",
                        tenants.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
    };
    let Some(tenant) = tenant else { return Ok(CustomsPage { tenant: None, total: 0, offset: 0, lines: Vec::new() }) };
    let filter = LineFilter::from_query(query)?;
    let index = state.cache.customs_lines(&state.engine, &tenant).await?;
    let limit = if page { page_size(query.limit, DEFAULT_PAGE)? } else { usize::MAX };
    let offset = query.offset.unwrap_or(0);
    // Narrow by the index first (an entry, then a date range), then check every filter.
    let candidates: Box<dyn Iterator<Item = &CustomsLine>> = match (&filter.entry, filter.from, filter.to) {
        (Some(entry), _, _) => Box::new(index.entry(entry).iter()),
        (None, None, None) if filter.hts.is_none() => {
            let lines = index.lines.iter().skip(offset).take(limit).cloned().collect();
            return Ok(CustomsPage { tenant: Some(tenant), total: index.lines.len(), offset, lines });
        }
        (None, None, None) => Box::new(index.lines.iter()),
        (None, from, to) => Box::new(index.dated(from, to)),
    };
    let mut total = 0;
    let mut lines = Vec::new();
    for line in candidates.filter(|line| filter.matches(line)) {
        if total >= offset && lines.len() < limit {
            lines.push(line.clone());
        }
        total += 1;
    }
    Ok(CustomsPage { tenant: Some(tenant), total, offset, lines })
}

/// A past comparison, as listed.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportSummary {
    pub tenant: String,
    /// The run (or ad-hoc comparison) that made it.
    pub run_id: String,
    pub compared_at: String,
    /// Any difference beyond the fail tolerance.
    pub failed: bool,
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    /// The object key of the full report.
    pub report: String,
}

impl ReportSummary {
    /// A row of the `comparison_reports` table, keyed `key`.
    pub fn from_row(tenant: &TenantId, key: &str, row: &serde_json::Value) -> ReportSummary {
        ReportSummary {
            tenant: tenant.to_string(),
            run_id: row["run_id"].as_str().unwrap_or(key).to_string(),
            compared_at: row["compared_at"].as_str().unwrap_or_default().to_string(),
            failed: row["failed"].as_bool().unwrap_or(false),
            summary: row["summary"].clone(),
            report: row["report"].as_str().unwrap_or_default().to_string(),
        }
    }
}

/// Comparison reports, newest first, of one tenant or all.
pub async fn reports(state: &AppState, tenant: Option<&TenantId>) -> ApiResult<Vec<ReportSummary>> {
    let tenants = match tenant {
        Some(t) => vec![t.clone()],
        None => state.engine.state.tenants_with_table(COMPARISON_REPORTS).await?,
    };
    let mut out = Vec::new();
    for tenant in tenants {
        for (key, row) in state.engine.state.get_table(&tenant, COMPARISON_REPORTS).await? {
            out.push(ReportSummary::from_row(&tenant, &key, &row));
        }
    }
    out.sort_by(|a, b| b.compared_at.cmp(&a.compared_at));
    Ok(out)
}

/// The full report of one comparison (the JSON of `ComparisonReport`).
pub async fn report(
    state: &AppState,
    tenant: &TenantId,
    run_id: &str,
) -> ApiResult<(ReportSummary, serde_json::Value)> {
    let summary = reports(state, Some(tenant))
        .await?
        .into_iter()
        .find(|r| r.run_id == run_id)
        .ok_or_else(|| ApiError::not_found(format!("tenant {tenant} has no comparison {run_id:?}")))?;
    let body = state.engine.objects.get_json(&summary.report).await.map_err(|e| {
        tracing::error!(error = %e, key = %summary.report, "comparison report missing");
        ApiError::not_found(format!("the report of comparison {run_id} is missing from the object store"))
    })?;
    Ok((summary, body))
}

/// The overview's numbers over the last `days` days.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub since: String,
    pub runs: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub running: u64,
    pub tenants: Vec<TenantStats>,
    /// One point per day, oldest first, every day present.
    pub days: Vec<DayStats>,
}

#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct TenantStats {
    pub tenant: String,
    pub runs: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Succeeded over finished, 0–1; absent with no finished run.
    pub success_rate: Option<f64>,
    pub mean_duration_ms: Option<u64>,
    pub max_duration_ms: Option<u64>,
    pub records_processed: u64,
    pub records_failed: u64,
    pub last_run_at: Option<String>,
    pub last_status: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DayStats {
    pub date: String,
    pub runs: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub records_processed: u64,
    pub records_failed: u64,
    pub mean_duration_ms: Option<u64>,
}

fn duration_ms(run: &RunRecord) -> Option<u64> {
    let start = DateTime::parse_from_rfc3339(&run.started_at).ok()?;
    let end = DateTime::parse_from_rfc3339(run.finished_at.as_deref()?).ok()?;
    u64::try_from((end - start).num_milliseconds()).ok()
}

/// Computes the overview from the runs of the last `days` days (at most 100,000 runs).
/// The overview of the last `days` days, from the cache when it is fresh (see
/// [`crate::cache::OVERVIEW_TTL`]).
pub async fn overview(state: &AppState, days: u32) -> ApiResult<Arc<Overview>> {
    if let Some(cached) = state.cache.overview(days) {
        return Ok(cached);
    }
    let overview = compute_overview(state, days).await?;
    Ok(state.cache.keep_overview(days, overview))
}

async fn compute_overview(state: &AppState, days: u32) -> ApiResult<Overview> {
    let now = Utc::now();
    let since = (now - Duration::days(i64::from(days.saturating_sub(1)))).date_naive();
    let since_text = since.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().to_rfc3339();
    let filter = RunFilter { since: Some(since_text.clone()), limit: 100_000, ..RunFilter::default() };
    let runs = state.engine.state.list_runs(&filter).await?;
    let mut overview = Overview { since: since_text, ..Overview::default() };
    let mut tenants: BTreeMap<String, (TenantStats, u64, u64)> = BTreeMap::new();
    let mut by_day: BTreeMap<NaiveDate, (DayStats, u64, u64)> = BTreeMap::new();
    let mut day = since;
    while day <= now.date_naive() {
        by_day.insert(day, (DayStats { date: day.to_string(), ..DayStats::default() }, 0, 0));
        day = day.succ_opt().unwrap_or(day);
        if day == since {
            break;
        }
    }
    for run in &runs {
        overview.runs += 1;
        let processed = run.counters.created + run.counters.updated + run.counters.unchanged;
        let failed_records = run.counters.failed + run.counters.quarantined;
        let duration = duration_ms(run);
        let (stats, total_ms, timed) = tenants
            .entry(run.tenant_id.clone())
            .or_insert_with(|| (TenantStats { tenant: run.tenant_id.clone(), ..TenantStats::default() }, 0, 0));
        stats.runs += 1;
        stats.records_processed += processed;
        stats.records_failed += failed_records;
        if stats.last_run_at.is_none() {
            // Runs come newest first.
            stats.last_run_at = Some(run.started_at.clone());
            stats.last_status = Some(run.status.as_str().to_string());
        }
        match run.status {
            Status::Succeeded => {
                stats.succeeded += 1;
                overview.succeeded += 1;
            }
            Status::Failed => {
                stats.failed += 1;
                overview.failed += 1;
            }
            Status::Running | Status::Pending => overview.running += 1,
        }
        if let Some(ms) = duration {
            *total_ms += ms;
            *timed += 1;
            stats.max_duration_ms = Some(stats.max_duration_ms.unwrap_or(0).max(ms));
        }
        let day = DateTime::parse_from_rfc3339(&run.started_at).map(|d| d.with_timezone(&Utc).date_naive());
        if let Some((point, total_ms, timed)) = day.ok().and_then(|d| by_day.get_mut(&d)) {
            point.runs += 1;
            point.records_processed += processed;
            point.records_failed += failed_records;
            match run.status {
                Status::Succeeded => point.succeeded += 1,
                Status::Failed => point.failed += 1,
                _ => {}
            }
            if let Some(ms) = duration {
                *total_ms += ms;
                *timed += 1;
            }
        }
    }
    overview.tenants = tenants
        .into_values()
        .map(|(mut stats, total_ms, timed)| {
            let finished = stats.succeeded + stats.failed;
            stats.success_rate = (finished > 0).then(|| stats.succeeded as f64 / finished as f64);
            stats.mean_duration_ms = (timed > 0).then(|| total_ms / timed);
            stats
        })
        .collect();
    overview.days = by_day
        .into_values()
        .map(|(mut point, total_ms, timed)| {
            point.mean_duration_ms = (timed > 0).then(|| total_ms / timed);
            point
        })
        .collect();
    Ok(overview)
}
