//! The overview: how the runs of the last two weeks (or month) went, per tenant and per day.

use super::charts::{self, Chart, Series};
use super::display::{count, count_f64, duration, duration_f64, percent, query_string, when};
use super::{Nav, error_page, render};
use crate::app::AppState;
use crate::auth::Session;
use crate::error::ApiError;
use crate::query::{self, Overview};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

/// The spans the page offers; any whole number of days from 1 to [`MAX_DAYS`] is accepted.
const DAY_CHOICES: [u32; 3] = [7, 14, 30];
const DEFAULT_DAYS: u32 = 14;
const MAX_DAYS: u32 = 90;

#[derive(Deserialize)]
pub struct OverviewQuery {
    days: Option<String>,
}

struct Card {
    label: &'static str,
    value: String,
    class: &'static str,
}

struct TenantRow {
    tenant: String,
    runs_link: String,
    runs: String,
    success_rate: String,
    mean_duration: String,
    max_duration: String,
    records_processed: String,
    records_failed: String,
    last_run: String,
    last_status: String,
}

struct ChartView {
    title: &'static str,
    svg: String,
}

struct DayRow {
    date: String,
    runs: String,
    succeeded: String,
    failed: String,
    records_processed: String,
    records_failed: String,
    mean_duration: String,
}

struct DayChoice {
    days: u32,
    current: bool,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    nav: Option<Nav>,
    days: u32,
    choices: Vec<DayChoice>,
    cards: Vec<Card>,
    tenants: Vec<TenantRow>,
    charts: Vec<ChartView>,
    daily: Vec<DayRow>,
}

fn parse_days(raw: Option<&str>) -> Result<u32, ApiError> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(DEFAULT_DAYS),
        Some(raw) => raw.parse::<u32>().ok().filter(|d| (1..=MAX_DAYS).contains(d)).ok_or_else(|| {
            ApiError::bad_request(format!("days {raw:?} must be a whole number of days from 1 to {MAX_DAYS}"))
        }),
    }
}

pub async fn page(State(state): State<AppState>, session: Session, Query(query): Query<OverviewQuery>) -> Response {
    let nav = Nav::new(&session, "overview");
    let days = match parse_days(query.days.as_deref()) {
        Ok(days) => days,
        Err(err) => return error_page(nav, &err),
    };
    match query::overview(&state, days).await {
        Ok(overview) => render(&view(nav, days, &overview)),
        Err(err) => error_page(nav, &err),
    }
}

fn view(nav: Nav, days: u32, overview: &Overview) -> OverviewPage {
    let finished = overview.succeeded + overview.failed;
    let rate = (finished > 0).then(|| overview.succeeded as f64 / finished as f64);
    let cards = vec![
        Card { label: "Runs", value: count(overview.runs), class: "" },
        Card {
            label: "Success rate",
            value: percent(rate),
            class: if rate.is_some_and(|r| r < 0.9) { "card-warn" } else { "" },
        },
        Card {
            label: "Failed",
            value: count(overview.failed),
            class: if overview.failed > 0 { "card-fail" } else { "" },
        },
        Card { label: "Running", value: count(overview.running), class: "" },
    ];
    let tenants = overview
        .tenants
        .iter()
        .map(|t| TenantRow {
            tenant: t.tenant.clone(),
            runs_link: format!("/runs{}", query_string(&[("tenant", &t.tenant)])),
            runs: count(t.runs),
            success_rate: percent(t.success_rate),
            mean_duration: duration(t.mean_duration_ms),
            max_duration: duration(t.max_duration_ms),
            records_processed: count(t.records_processed),
            records_failed: count(t.records_failed),
            last_run: t.last_run_at.as_deref().map(when).unwrap_or_else(|| "–".into()),
            last_status: t.last_status.clone().unwrap_or_default(),
        })
        .collect();
    let labels: Vec<String> = overview.days.iter().map(|d| d.date.clone()).collect();
    let per_day = |f: fn(&query::DayStats) -> Option<f64>| overview.days.iter().map(f).collect::<Vec<_>>();
    let runs_chart = Chart {
        id: "chart-runs",
        title: "Runs per day",
        labels: &labels,
        series: vec![
            Series { name: "Succeeded".into(), class: "ok", values: per_day(|d| Some(d.succeeded as f64)) },
            Series { name: "Failed".into(), class: "fail", values: per_day(|d| Some(d.failed as f64)) },
            Series {
                name: "Running".into(),
                class: "muted",
                values: per_day(|d| Some(d.runs.saturating_sub(d.succeeded + d.failed) as f64)),
            },
        ],
        format: count_f64,
    };
    let records_chart = Chart {
        id: "chart-records",
        title: "Records processed and failed per day",
        labels: &labels,
        series: vec![
            Series { name: "Processed".into(), class: "accent", values: per_day(|d| Some(d.records_processed as f64)) },
            Series {
                name: "Failed or quarantined".into(),
                class: "fail",
                values: per_day(|d| Some(d.records_failed as f64)),
            },
        ],
        format: count_f64,
    };
    let duration_chart = Chart {
        id: "chart-duration",
        title: "Mean run duration per day",
        labels: &labels,
        series: vec![Series {
            name: "Mean duration".into(),
            class: "accent",
            values: per_day(|d| d.mean_duration_ms.map(|ms| ms as f64)),
        }],
        format: duration_f64,
    };
    let charts = vec![
        ChartView { title: runs_chart.title, svg: charts::stacked_bars(&runs_chart) },
        ChartView { title: records_chart.title, svg: charts::lines(&records_chart) },
        ChartView { title: duration_chart.title, svg: charts::lines(&duration_chart) },
    ];
    let daily = overview
        .days
        .iter()
        .rev()
        .map(|d| DayRow {
            date: d.date.clone(),
            runs: count(d.runs),
            succeeded: count(d.succeeded),
            failed: count(d.failed),
            records_processed: count(d.records_processed),
            records_failed: count(d.records_failed),
            mean_duration: duration(d.mean_duration_ms),
        })
        .collect();
    OverviewPage {
        nav: Some(nav),
        days,
        choices: DAY_CHOICES.iter().map(|&d| DayChoice { days: d, current: d == days }).collect(),
        cards,
        tenants,
        charts,
        daily,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_a_whole_number_up_to_ninety() {
        assert_eq!(parse_days(None).unwrap(), 14);
        assert_eq!(parse_days(Some("")).unwrap(), 14);
        assert_eq!(parse_days(Some("30")).unwrap(), 30);
        for bad in ["0", "91", "-1", "two", "1e3"] {
            let err = parse_days(Some(bad)).unwrap_err();
            assert_eq!(err.status, 400, "{bad}");
            assert!(err.message.contains("from 1 to 90"), "{}", err.message);
        }
    }
}
