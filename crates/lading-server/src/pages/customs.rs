//! The generated customs lines: filter by tenant, entry, dates and HTS number; each line with
//! its Chapter 99 stack in reporting order, the commodity number last; CSV download of the same
//! filter from the API.

use super::display::{count, money, query_string};
use super::{Nav, error_page, render, render_with_status};
use crate::app::AppState;
use crate::auth::Session;
use crate::error::ApiError;
use crate::query::{self, CustomsQuery};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use lading_customs::model::{CustomsLine, LinePart};

/// Lines per page.
const PAGE_SIZE: usize = 50;

struct TenantChoice {
    value: String,
    selected: bool,
}

struct TariffView {
    hts_number: String,
    /// The Chapter 99 programme's code; empty on the commodity number.
    programme: String,
    rate: String,
    duty: String,
    commodity: bool,
}

struct LineRow {
    entry: String,
    line: u16,
    part: Option<&'static str>,
    date: String,
    origin: String,
    tariffs: Vec<TariffView>,
    entered_value: String,
    duty: String,
    mpf: String,
    hmf: String,
    flags: Vec<String>,
}

/// The filter as the form shows it back.
#[derive(Default)]
struct Filters {
    entry: String,
    from: String,
    to: String,
    hts: String,
}

#[derive(Template)]
#[template(path = "customs.html")]
struct CustomsPage {
    nav: Option<Nav>,
    error: Option<String>,
    tenants: Vec<TenantChoice>,
    filters: Filters,
    lines: Vec<LineRow>,
    /// `Lines 1–50 of 1,234`.
    showing: String,
    csv_link: Option<String>,
    previous_link: Option<String>,
    next_link: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    query: Result<Query<CustomsQuery>, QueryRejection>,
) -> Response {
    let nav = Nav::new(&session, "customs");
    let (mut query, mut error) = match query {
        Ok(Query(query)) => (query, None),
        Err(rejection) => (CustomsQuery::default(), Some(ApiError::bad_request(rejection.body_text()))),
    };
    let tenants = match query::customs_tenants(&state).await {
        Ok(tenants) => tenants,
        Err(err) => return error_page(nav, &err),
    };
    // With several tenants the page shows the first rather than asking; the API asks.
    if query.tenant.as_deref().is_none_or(str::is_empty) {
        query.tenant = tenants.first().map(|t| t.to_string());
    }
    query.limit.get_or_insert(PAGE_SIZE);
    let mut found = None;
    if error.is_none() {
        match query::customs_lines(&state, &query, true).await {
            Ok(page) => found = Some(page),
            Err(err) if err.status.is_server_error() => return error_page(nav, &err),
            Err(err) => error = Some(err),
        }
    }
    let tenant = query.tenant.clone().unwrap_or_default();
    let filters = Filters {
        entry: query.entry.clone().unwrap_or_default(),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        hts: query.hts.clone().unwrap_or_default(),
    };
    let filter_pairs = [
        ("tenant", tenant.as_str()),
        ("entry", filters.entry.as_str()),
        ("from", filters.from.as_str()),
        ("to", filters.to.as_str()),
        ("hts", filters.hts.as_str()),
    ];
    let limit = query.limit.unwrap_or(PAGE_SIZE);
    let page_link = |offset: usize| {
        let (offset, limit_text) = (offset.to_string(), limit.to_string());
        let mut pairs = filter_pairs.to_vec();
        if offset != "0" {
            pairs.push(("offset", &offset));
        }
        if limit != PAGE_SIZE {
            pairs.push(("limit", &limit_text));
        }
        format!("/customs-lines{}", query_string(&pairs))
    };
    let (lines, showing, previous_link, next_link, csv_link) = match &found {
        Some(page) if page.tenant.is_some() => {
            let shown_to = page.offset + page.lines.len();
            let showing = if page.lines.is_empty() {
                format!("No line matches ({} in all with these filters).", count(page.total as u64))
            } else {
                format!(
                    "Lines {}–{} of {}",
                    count(page.offset as u64 + 1),
                    count(shown_to as u64),
                    count(page.total as u64)
                )
            };
            let previous = (page.offset > 0).then(|| page_link(page.offset.saturating_sub(limit)));
            let next = (shown_to < page.total).then(|| page_link(shown_to));
            let mut csv = vec![("format", "csv")];
            csv.extend(filter_pairs);
            let csv_link = Some(format!("/api/customs-lines{}", query_string(&csv)));
            (page.lines.iter().map(line_row).collect(), showing, previous, next, csv_link)
        }
        Some(_) => (Vec::new(), "No customs lines have been generated yet.".to_string(), None, None, None),
        None => (Vec::new(), String::new(), None, None, None),
    };
    let page = CustomsPage {
        nav: Some(nav),
        error: error.as_ref().map(|e| e.message.clone()),
        tenants: tenants
            .iter()
            .map(|t| TenantChoice { value: t.to_string(), selected: t.as_str() == tenant })
            .collect(),
        filters,
        lines,
        showing,
        csv_link,
        previous_link,
        next_link,
    };
    match error {
        Some(err) => render_with_status(err.status, &page),
        None => render(&page),
    }
}

fn line_row(line: &CustomsLine) -> LineRow {
    let last = line.tariffs.len().saturating_sub(1);
    LineRow {
        entry: line.entry_number.clone(),
        line: line.line_number,
        part: match line.part {
            LinePart::Whole => None,
            LinePart::NonMetal => Some("non-metal part"),
            LinePart::Metal => Some("metal part"),
        },
        date: line.entry_date.to_string(),
        origin: line.origin.clone(),
        tariffs: line
            .tariffs
            .iter()
            .enumerate()
            .map(|(i, t)| TariffView {
                hts_number: t.hts_number.clone(),
                programme: t.programme.map(|p| p.code().to_string()).unwrap_or_default(),
                rate: t.rate_text.clone(),
                duty: money(t.duty),
                commodity: i == last,
            })
            .collect(),
        entered_value: money(line.entered_value),
        duty: money(line.total_duty()),
        mpf: money(line.mpf),
        hmf: money(line.hmf),
        flags: line.flags.clone(),
    }
}
