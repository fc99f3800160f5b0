//! Comparison reports: the list of past comparisons and one report, with every discrepancy
//! beside both values and highlighted by severity, the lines only one side has, the entry
//! totals and the revenue impact.
//!
//! The report is read back from its stored JSON (`lading_customs::compare::ComparisonReport`
//! serialised) into the lenient view types below: a field the page does not know is ignored,
//! one it misses reads as empty.

use super::display::{count, money, query_string, segment, signed_money, when};
use super::{Nav, error_page, render, render_with_status};
use crate::app::AppState;
use crate::auth::Session;
use crate::error::ApiError;
use crate::query;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use rust_decimal::Decimal;
use serde::Deserialize;

/// The most entries one page lists; the rest are counted.
const MAX_ENTRIES: usize = 300;

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReportJson {
    summary: SummaryJson,
    tolerances: serde_json::Map<String, serde_json::Value>,
    entries: Vec<EntryJson>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SummaryJson {
    generated_lines: u64,
    reported_lines: u64,
    entries: u64,
    entries_failed: u64,
    paired_lines: u64,
    paired_by_line_number: u64,
    paired_by_best_match: u64,
    identical_lines: u64,
    unpaired_generated: u64,
    unpaired_reported: u64,
    differences: CountsJson,
    lines_by_severity: CountsJson,
    generated_duty_and_fees: Decimal,
    reported_duty_and_fees: Decimal,
    revenue_impact: Decimal,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(default)]
struct CountsJson {
    #[serde(rename = "match")]
    matched: u64,
    warn: u64,
    fail: u64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EntryJson {
    entry_number: String,
    severity: String,
    paired_lines: u32,
    identical_lines: u32,
    pairs: Vec<PairJson>,
    unpaired_generated: Vec<UnpairedJson>,
    unpaired_reported: Vec<UnpairedJson>,
    totals: TotalsJson,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PairJson {
    generated_line: u32,
    reported_line: u32,
    paired_by: String,
    differences: Vec<DiffJson>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DiffJson {
    field: String,
    hts_number: Option<String>,
    generated: String,
    reported: String,
    difference: Option<Decimal>,
    tolerance: String,
    severity: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UnpairedJson {
    line_number: u32,
    part: String,
    hts10: String,
    origin: String,
    mid: String,
    entered_value: Decimal,
    duty: Decimal,
    fees: Decimal,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TotalsJson {
    tolerance_usd: Decimal,
    entered_value: TotalJson,
    charges: TotalJson,
    duty: TotalJson,
    duty_by_programme: Vec<ProgrammeDutyJson>,
    mpf: TotalJson,
    hmf: TotalJson,
    generated_duty_and_fees: Decimal,
    reported_duty_and_fees: Decimal,
    revenue_impact: Decimal,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TotalJson {
    generated: Decimal,
    reported: Decimal,
    difference: Decimal,
    severity: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProgrammeDutyJson {
    programme: String,
    #[serde(flatten)]
    total: TotalJson,
}

/// A severity as a CSS class: `fail`, `warn`, `match`; anything else `info`.
fn severity_class(severity: &str) -> &'static str {
    match severity {
        "fail" => "fail",
        "warn" => "warn",
        "match" => "match",
        _ => "info",
    }
}

/// A field name as a person reads it: `entered_value` → `entered value`.
fn field_label(field: &str) -> String {
    match field {
        "hts10" => "commodity number".into(),
        "hts_number" => "HTS number present".into(),
        "chapter99_order" => "Chapter 99 order".into(),
        "mpf" => "MPF".into(),
        "hmf" => "HMF".into(),
        "mid" => "MID".into(),
        "spi" => "SPI".into(),
        other => other.replace('_', " "),
    }
}

// ---- the list ----

#[derive(Deserialize, Default)]
pub struct ListQuery {
    tenant: Option<String>,
}

struct ReportRow {
    link: String,
    tenant: String,
    compared_at: String,
    run_id: String,
    failed: bool,
    fail: String,
    warn: String,
    matched: String,
    entries: String,
    revenue_impact: String,
}

struct TenantChoice {
    value: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "comparisons.html")]
struct ComparisonsPage {
    nav: Option<Nav>,
    error: Option<String>,
    tenants: Vec<TenantChoice>,
    reports: Vec<ReportRow>,
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let nav = Nav::new(&session, "comparisons");
    let (query, mut error) = match query {
        Ok(Query(query)) => (query, None),
        Err(rejection) => (ListQuery::default(), Some(ApiError::bad_request(rejection.body_text()))),
    };
    let selected = query.tenant.clone().unwrap_or_default();
    let tenant = match selected.as_str() {
        "" => None,
        raw => match query::known_tenant(&state, raw).await {
            Ok(tenant) => Some(tenant),
            Err(err) if err.status.is_server_error() => return error_page(nav, &err),
            Err(err) => {
                error = Some(err);
                None
            }
        },
    };
    let mut reports = Vec::new();
    if error.is_none() {
        match query::reports(&state, tenant.as_ref()).await {
            Ok(found) => reports = found,
            Err(err) => return error_page(nav, &err),
        }
    }
    let all_tenants = match state.engine.state.tenants_with_table(lading_runtime::ior_daily::COMPARISON_REPORTS).await {
        Ok(tenants) => tenants,
        Err(err) => return error_page(nav, &ApiError::from(err)),
    };
    let rows = reports
        .iter()
        .map(|r| {
            let summary: SummaryJson = serde_json::from_value(r.summary.clone()).unwrap_or_default();
            ReportRow {
                link: format!("/comparisons/{}/{}", segment(&r.tenant), segment(&r.run_id)),
                tenant: r.tenant.clone(),
                compared_at: when(&r.compared_at),
                run_id: r.run_id.clone(),
                failed: r.failed,
                fail: count(summary.differences.fail),
                warn: count(summary.differences.warn),
                matched: count(summary.differences.matched),
                entries: format!("{} of {}", count(summary.entries_failed), count(summary.entries)),
                revenue_impact: signed_money(summary.revenue_impact),
            }
        })
        .collect();
    let page = ComparisonsPage {
        nav: Some(nav),
        error: error.as_ref().map(|e| e.message.clone()),
        tenants: all_tenants
            .iter()
            .map(|t| TenantChoice { value: t.to_string(), selected: t.as_str() == selected })
            .collect(),
        reports: rows,
    };
    match error {
        Some(err) => render_with_status(err.status, &page),
        None => render(&page),
    }
}

// ---- one report ----

struct Card {
    label: &'static str,
    value: String,
    class: &'static str,
}

struct Fact {
    label: &'static str,
    value: String,
}

struct DiffRow {
    lines: String,
    paired_by: String,
    hts_number: String,
    field: String,
    generated: String,
    reported: String,
    difference: String,
    tolerance: String,
    severity: &'static str,
}

struct UnpairedRow {
    line: u32,
    part: String,
    hts10: String,
    origin: String,
    mid: String,
    entered_value: String,
    duty: String,
    fees: String,
}

struct TotalRow {
    label: String,
    generated: String,
    reported: String,
    difference: String,
    severity: &'static str,
}

struct EntryView {
    id: String,
    entry_number: String,
    severity: &'static str,
    paired: String,
    differences: Vec<DiffRow>,
    only_generated: Vec<UnpairedRow>,
    only_reported: Vec<UnpairedRow>,
    totals: Vec<TotalRow>,
    tolerance: String,
    revenue_impact: String,
}

#[derive(Template)]
#[template(path = "comparison.html")]
struct ComparisonPage {
    nav: Option<Nav>,
    tenant: String,
    run_id: String,
    run_link: Option<String>,
    compared_at: String,
    failed: bool,
    cards: Vec<Card>,
    lines: Vec<Fact>,
    money: Vec<Fact>,
    revenue_impact: String,
    revenue_reading: &'static str,
    tolerances: Vec<Fact>,
    show_all: bool,
    all_link: String,
    problems_link: String,
    entries: Vec<EntryView>,
    /// Entries left out: identical ones (when only problems show) and those past the cap.
    hidden_matching: u64,
    hidden_over_cap: usize,
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    show: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path((tenant, run_id)): Path<(String, String)>,
    query: Result<Query<DetailQuery>, QueryRejection>,
) -> Response {
    let nav = Nav::new(&session, "comparisons");
    let show_all = match query {
        Ok(Query(DetailQuery { show: None })) => false,
        Ok(Query(DetailQuery { show: Some(show) })) => match show.as_str() {
            "" | "problems" => false,
            "all" => true,
            other => {
                return error_page(nav, &ApiError::bad_request(format!("show {other:?} must be problems or all")));
            }
        },
        Err(rejection) => return error_page(nav, &ApiError::bad_request(rejection.body_text())),
    };
    let tenant = match query::known_tenant(&state, &tenant).await {
        Ok(tenant) => tenant,
        Err(err) => return error_page(nav, &err),
    };
    let run_id = match query::run_id(&run_id) {
        Ok(run_id) => run_id.to_string(),
        Err(err) => return error_page(nav, &err),
    };
    let (summary, body) = match query::report(&state, &tenant, &run_id).await {
        Ok(found) => found,
        Err(err) => return error_page(nav, &err),
    };
    let report: ReportJson = match serde_json::from_value(body) {
        Ok(report) => report,
        Err(e) => {
            let err = ApiError::internal(format!("comparison report {} does not read: {e}", summary.report));
            return error_page(nav, &err);
        }
    };
    let run_link = match state.engine.state.get_run(&run_id).await {
        Ok(Some(run)) => Some(format!("/runs/{}", segment(&run.run_id))),
        Ok(None) => None,
        Err(err) => return error_page(nav, &ApiError::from(err)),
    };
    let base = format!("/comparisons/{}/{}", segment(tenant.as_str()), segment(&run_id));
    render(&view(nav, &summary, &report, run_link, show_all, &base))
}

fn view(
    nav: Nav,
    stored: &query::ReportSummary,
    report: &ReportJson,
    run_link: Option<String>,
    show_all: bool,
    base: &str,
) -> ComparisonPage {
    let s = &report.summary;
    let cards = vec![
        Card {
            label: "Failing differences",
            value: count(s.differences.fail),
            class: if s.differences.fail > 0 { "card-fail" } else { "" },
        },
        Card {
            label: "Warnings",
            value: count(s.differences.warn),
            class: if s.differences.warn > 0 { "card-warn" } else { "" },
        },
        Card { label: "Within tolerance", value: count(s.differences.matched), class: "" },
        Card {
            label: "Entries failing",
            value: format!("{} of {}", count(s.entries_failed), count(s.entries)),
            class: if s.entries_failed > 0 { "card-fail" } else { "" },
        },
        Card {
            label: "Revenue impact",
            value: signed_money(s.revenue_impact),
            class: if s.revenue_impact.is_zero() { "" } else { "card-warn" },
        },
    ];
    let lines = vec![
        Fact { label: "Lines generated by Lading", value: count(s.generated_lines) },
        Fact { label: "Lines reported by the ERP", value: count(s.reported_lines) },
        Fact {
            label: "Paired",
            value: format!(
                "{} ({} by line number, {} by best match)",
                count(s.paired_lines),
                count(s.paired_by_line_number),
                count(s.paired_by_best_match)
            ),
        },
        Fact { label: "Identical", value: count(s.identical_lines) },
        Fact {
            label: "Paired lines by worst difference",
            value: format!(
                "{} fail, {} warn, {} within tolerance",
                count(s.lines_by_severity.fail),
                count(s.lines_by_severity.warn),
                count(s.lines_by_severity.matched)
            ),
        },
        Fact { label: "Only in Lading's lines", value: count(s.unpaired_generated) },
        Fact { label: "Only in the ERP's report", value: count(s.unpaired_reported) },
    ];
    let money_facts = vec![
        Fact { label: "Duty and fees, generated", value: money(s.generated_duty_and_fees) },
        Fact { label: "Duty and fees, reported", value: money(s.reported_duty_and_fees) },
    ];
    let revenue_reading = if s.revenue_impact > Decimal::ZERO {
        "The ERP declares more than Lading computes (over-declared): money to recover."
    } else if s.revenue_impact < Decimal::ZERO {
        "The ERP declares less than Lading computes (under-declared): exposure to CBP."
    } else {
        "The ERP declares what Lading computes."
    };
    let tolerances = report
        .tolerances
        .iter()
        .filter(|(k, _)| k.as_str() != "version")
        .map(|(k, v)| Fact {
            label: "",
            value: format!(
                "{}: {}",
                k.replace('_', " "),
                v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
            ),
        })
        .collect();
    let shown: Vec<&EntryJson> = report.entries.iter().filter(|e| show_all || e.severity != "match").collect();
    let hidden_matching = (report.entries.len() - shown.len()) as u64;
    let hidden_over_cap = shown.len().saturating_sub(MAX_ENTRIES);
    let entries = shown.into_iter().take(MAX_ENTRIES).map(entry_view).collect();
    ComparisonPage {
        nav: Some(nav),
        tenant: stored.tenant.clone(),
        run_id: stored.run_id.clone(),
        run_link,
        compared_at: when(&stored.compared_at),
        failed: stored.failed || s.differences.fail > 0,
        cards,
        lines,
        money: money_facts,
        revenue_impact: signed_money(s.revenue_impact),
        revenue_reading,
        tolerances,
        show_all,
        all_link: format!("{base}{}", query_string(&[("show", "all")])),
        problems_link: base.to_string(),
        entries,
        hidden_matching,
        hidden_over_cap,
    }
}

fn entry_view(entry: &EntryJson) -> EntryView {
    let mut differences = Vec::new();
    for pair in &entry.pairs {
        let lines = if pair.generated_line == pair.reported_line {
            pair.generated_line.to_string()
        } else {
            format!("{} ↔ {}", pair.generated_line, pair.reported_line)
        };
        for diff in &pair.differences {
            differences.push(DiffRow {
                lines: lines.clone(),
                paired_by: pair.paired_by.replace('_', " "),
                hts_number: diff.hts_number.clone().unwrap_or_default(),
                field: field_label(&diff.field),
                generated: diff.generated.clone(),
                reported: diff.reported.clone(),
                difference: diff.difference.map(|d| d.to_string()).unwrap_or_default(),
                tolerance: diff.tolerance.clone(),
                severity: severity_class(&diff.severity),
            });
        }
    }
    let unpaired = |lines: &[UnpairedJson]| -> Vec<UnpairedRow> {
        lines
            .iter()
            .map(|l| UnpairedRow {
                line: l.line_number,
                part: l.part.replace('_', "-"),
                hts10: l.hts10.clone(),
                origin: l.origin.clone(),
                mid: l.mid.clone(),
                entered_value: money(l.entered_value),
                duty: money(l.duty),
                fees: money(l.fees),
            })
            .collect()
    };
    let t = &entry.totals;
    let total = |label: String, total: &TotalJson| TotalRow {
        label,
        generated: money(total.generated),
        reported: money(total.reported),
        difference: signed_money(total.difference),
        severity: severity_class(&total.severity),
    };
    let mut totals = vec![
        total("Entered value".into(), &t.entered_value),
        total("Charges".into(), &t.charges),
        total("Duty".into(), &t.duty),
    ];
    for programme in &t.duty_by_programme {
        totals.push(total(format!("Duty · {}", programme.programme), &programme.total));
    }
    totals.push(total("MPF".into(), &t.mpf));
    totals.push(total("HMF".into(), &t.hmf));
    totals.push(TotalRow {
        label: "Duty and fees".into(),
        generated: money(t.generated_duty_and_fees),
        reported: money(t.reported_duty_and_fees),
        difference: signed_money(t.revenue_impact),
        severity: if t.revenue_impact.is_zero() { "match" } else { "info" },
    });
    EntryView {
        id: format!("entry-{}", entry.entry_number.chars().filter(char::is_ascii_alphanumeric).collect::<String>()),
        entry_number: entry.entry_number.clone(),
        severity: severity_class(&entry.severity),
        paired: format!(
            "{} paired lines, {} identical",
            count(u64::from(entry.paired_lines)),
            count(u64::from(entry.identical_lines))
        ),
        differences,
        only_generated: unpaired(&entry.unpaired_generated),
        only_reported: unpaired(&entry.unpaired_reported),
        totals,
        tolerance: format!("± {} per total", money(t.tolerance_usd)),
        revenue_impact: signed_money(t.revenue_impact),
    }
}
