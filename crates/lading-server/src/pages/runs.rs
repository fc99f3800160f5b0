//! Runs: the list with its filters, one run in detail (steps, counters, quarantined records
//! with their reasons, dead letters), and the replay of a dead letter.

use super::display::{count, duration, elapsed, query_string, segment, when};
use super::{Flash, Nav, error_page, redirect_with_flash, render, render_with_status};
use crate::app::AppState;
use crate::auth::{Operator, Session};
use crate::error::ApiError;
use crate::query::{self, RunsQuery};
use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use lading_runtime::pipelines::Pipeline;
use lading_store::Status;
use serde::Deserialize;

/// Runs per page of the list.
const PAGE_SIZE: usize = 50;

struct Choice {
    value: String,
    selected: bool,
}

fn choices(values: impl IntoIterator<Item = String>, selected: &str) -> Vec<Choice> {
    values.into_iter().map(|value| Choice { selected: value == selected, value }).collect()
}

struct RunRow {
    link: String,
    started: String,
    tenant: String,
    pipeline: String,
    status: &'static str,
    trigger: String,
    duration: String,
    extracted: String,
    written: String,
    unchanged: String,
    quarantined: String,
    failed: String,
}

#[derive(Template)]
#[template(path = "runs.html")]
struct RunsPage {
    nav: Option<Nav>,
    error: Option<String>,
    tenants: Vec<Choice>,
    statuses: Vec<Choice>,
    pipelines: Vec<Choice>,
    runs: Vec<RunRow>,
    /// The filters without the cursor: the link back to the newest runs.
    newest_link: Option<String>,
    older_link: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    session: Session,
    query: Result<Query<RunsQuery>, QueryRejection>,
) -> Response {
    let nav = Nav::new(&session, "runs");
    let (mut query, mut error) = match query {
        Ok(Query(query)) => (query, None),
        Err(rejection) => (RunsQuery::default(), Some(ApiError::bad_request(rejection.body_text()))),
    };
    query.limit.get_or_insert(PAGE_SIZE);
    let tenant_ids = match super::data::tenant_ids(&state).await {
        Ok(ids) => ids,
        Err(err) => return error_page(nav, &err),
    };
    let mut runs = Vec::new();
    let mut next = None;
    if error.is_none() {
        match query::runs(&state, &query).await {
            Ok((found, cursor)) => (runs, next) = (found, cursor),
            Err(err) if err.status.is_server_error() => return error_page(nav, &err),
            Err(err) => error = Some(err),
        }
    }
    let tenant = query.tenant.clone().unwrap_or_default();
    let status = query.status.clone().unwrap_or_default();
    let pipeline = query.pipeline.clone().unwrap_or_default();
    let filters = [("tenant", tenant.as_str()), ("status", status.as_str()), ("pipeline", pipeline.as_str())];
    let older_link = next.map(|before| {
        let mut pairs = filters.to_vec();
        pairs.push(("before", &before));
        format!("/runs{}", query_string(&pairs))
    });
    let newest_link =
        query.before.as_deref().filter(|b| !b.is_empty()).map(|_| format!("/runs{}", query_string(&filters)));
    let page = RunsPage {
        nav: Some(nav),
        error: error.as_ref().map(|e| e.message.clone()),
        tenants: choices(tenant_ids, &tenant),
        statuses: choices(
            [Status::Pending, Status::Running, Status::Succeeded, Status::Failed].map(|s| s.as_str().to_string()),
            &status,
        ),
        pipelines: choices(Pipeline::ALL.map(|p| p.name().to_string()), &pipeline),
        runs: runs.iter().map(run_row).collect(),
        newest_link,
        older_link,
    };
    match error {
        Some(err) => render_with_status(err.status, &page),
        None => render(&page),
    }
}

fn run_row(run: &lading_store::RunRecord) -> RunRow {
    let c = &run.counters;
    RunRow {
        link: format!("/runs/{}", segment(&run.run_id)),
        started: when(&run.started_at),
        tenant: run.tenant_id.clone(),
        pipeline: run.pipeline.clone(),
        status: run.status.as_str(),
        trigger: format!("{}{}", run.trigger, if run.full { " · full" } else { "" }),
        duration: elapsed(&run.started_at, run.finished_at.as_deref()),
        extracted: count(c.extracted),
        written: count(c.created + c.updated),
        unchanged: count(c.unchanged),
        quarantined: count(c.quarantined),
        failed: count(c.failed),
    }
}

struct Fact {
    label: &'static str,
    value: String,
}

struct StepRow {
    name: String,
    status: &'static str,
    attempts: u32,
    started: String,
    duration: String,
    output: String,
    error: String,
}

struct ReasonView {
    field: String,
    code: String,
    message: String,
}

struct QuarantineRow {
    record_key: String,
    reasons: Vec<ReasonView>,
    created: String,
}

/// Runs whose quarantined records can be mapped again from the page (the ERP's own data of
/// the importer of record is corrected in the ERP instead).
fn retries_quarantine(pipeline: &str) -> bool {
    pipeline == lading_runtime::product_sync::PIPELINE
}

struct DeadLetterRow {
    id: i64,
    record_key: String,
    error: String,
    attempts: u32,
    created: String,
    replayed: Option<String>,
    replay_action: String,
}

#[derive(Template)]
#[template(path = "run.html")]
struct RunPage {
    nav: Option<Nav>,
    flash: Flash,
    run_id: String,
    status: &'static str,
    error: Option<String>,
    facts: Vec<Fact>,
    counters: Vec<Fact>,
    steps: Vec<StepRow>,
    quarantined: Vec<QuarantineRow>,
    /// Set when the run quarantined more records than the page lists.
    quarantined_total: Option<String>,
    /// The form's action that maps a quarantined record again, when this pipeline can.
    retry_action: Option<String>,
    dead_letters: Vec<DeadLetterRow>,
    report_link: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path(run_id): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let nav = Nav::new(&session, "runs");
    let detail = match query::run_id(&run_id) {
        Ok(run_id) => query::run_detail(&state, run_id).await,
        Err(err) => Err(err),
    };
    let detail = match detail {
        Ok(detail) => detail,
        Err(err) => return error_page(nav, &err),
    };
    let run = &detail.run;
    // An importer-of-record run made a comparison report: link it.
    let report_link = match lading_core::TenantId::parse(&run.tenant_id) {
        Ok(tenant) if run.pipeline == lading_runtime::ior_daily::PIPELINE => {
            match query::reports(&state, Some(&tenant)).await {
                Ok(reports) => reports
                    .iter()
                    .find(|r| r.run_id == run.run_id)
                    .map(|r| format!("/comparisons/{}/{}", segment(&r.tenant), segment(&r.run_id))),
                Err(err) => return error_page(nav, &err),
            }
        }
        _ => None,
    };
    let mut facts = vec![
        Fact { label: "Tenant", value: run.tenant_id.clone() },
        Fact { label: "Pipeline", value: run.pipeline.clone() },
        Fact { label: "Trigger", value: format!("{}{}", run.trigger, if run.full { " (full load)" } else { "" }) },
        Fact { label: "Started", value: when(&run.started_at) },
        Fact { label: "Finished", value: run.finished_at.as_deref().map(when).unwrap_or_else(|| "–".into()) },
        Fact { label: "Duration", value: elapsed(&run.started_at, run.finished_at.as_deref()) },
    ];
    if let Some(step) = &run.failed_step {
        facts.push(Fact { label: "Failed step", value: step.clone() });
    }
    if let Some(params) = &run.params {
        facts.push(Fact { label: "Parameters", value: params.to_string() });
    }
    let c = &run.counters;
    let counters = vec![
        Fact { label: "Extracted", value: count(c.extracted) },
        Fact { label: "Valid", value: count(c.valid) },
        Fact { label: "Quarantined", value: count(c.quarantined) },
        Fact { label: "Created", value: count(c.created) },
        Fact { label: "Updated", value: count(c.updated) },
        Fact { label: "Unchanged", value: count(c.unchanged) },
        Fact { label: "Failed", value: count(c.failed) },
    ];
    let steps = detail
        .steps
        .iter()
        .map(|s| StepRow {
            name: s.name.clone(),
            status: s.status.as_str(),
            attempts: s.attempts,
            started: s.started_at.as_deref().map(when).unwrap_or_else(|| "–".into()),
            duration: if s.started_at.is_some() { duration(Some(s.duration_ms)) } else { "–".into() },
            output: s.output_ref.clone().unwrap_or_default(),
            error: s.error.clone().unwrap_or_default(),
        })
        .collect();
    let quarantined: Vec<QuarantineRow> = detail
        .quarantined
        .iter()
        .map(|q| QuarantineRow {
            record_key: q.record_key.clone(),
            reasons: q
                .reasons
                .iter()
                .map(|r| ReasonView { field: r.field.clone(), code: r.code.clone(), message: r.message.clone() })
                .collect(),
            created: when(&q.created_at),
        })
        .collect();
    let quarantined_total = (c.quarantined > quarantined.len() as u64).then(|| count(c.quarantined));
    let dead_letters = detail
        .dead_letters
        .iter()
        .map(|d| DeadLetterRow {
            id: d.id,
            record_key: d.record_key.clone(),
            error: d.error.clone(),
            attempts: d.attempts,
            created: when(&d.created_at),
            replayed: d.replayed_at.as_deref().map(when),
            replay_action: format!("/runs/{}/dead-letters/{}/replay", segment(&run.run_id), d.id),
        })
        .collect();
    render(&RunPage {
        nav: Some(nav),
        flash,
        run_id: run.run_id.clone(),
        status: run.status.as_str(),
        error: run.error.clone(),
        facts,
        counters,
        steps,
        quarantined,
        quarantined_total,
        retry_action: retries_quarantine(&run.pipeline)
            .then(|| format!("/runs/{}/quarantine/replay", segment(&run.run_id))),
        dead_letters,
        report_link,
    })
}

/// Sends a dead letter again, then back to its run with what happened.
pub async fn replay_dead_letter(
    State(state): State<AppState>,
    Operator(session): Operator,
    Path((run_id, id)): Path<(String, String)>,
) -> Response {
    let nav = Nav::new(&session, "runs");
    let run_id = match query::run_id(&run_id) {
        Ok(run_id) => run_id.to_string(),
        Err(err) => return error_page(nav, &err),
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(nav, &ApiError::bad_request(format!("dead letter id {id:?} must be a whole number")));
    };
    let back = format!("/runs/{}", segment(&run_id));
    let letters = match query::run_detail(&state, &run_id).await {
        Ok(detail) => detail.dead_letters,
        Err(err) => return error_page(nav, &err),
    };
    if !letters.iter().any(|d| d.id == id) {
        return redirect_with_flash(&back, Err(format!("run {run_id} has no dead letter {id}")));
    }
    let engine = state.engine.clone();
    let outcome = crate::background::spawn(move || async move {
        lading_runtime::replay::replay_dead_letter(&engine, id).await.map_err(ApiError::from)
    })
    .await;
    match outcome {
        Ok(Ok(outcome)) => {
            tracing::info!(dead_letter = id, by = %session.user.username, delivered = outcome.delivered, "replay from the run page");
            let tenant = lading_core::TenantId::parse(&outcome.tenant_id).ok();
            let details = serde_json::json!({"delivered": outcome.delivered, "message": outcome.message});
            crate::audit::by(
                &state,
                &session,
                lading_runtime::audit::Action::ReplayDeadLetter,
                format!("dead-letter/{id}"),
                tenant.as_ref(),
                details,
            )
            .await;
            let message = format!("dead letter {id} ({}): {}", outcome.record_key, outcome.message);
            redirect_with_flash(&back, if outcome.delivered { Ok(message) } else { Err(message) })
        }
        Ok(Err(err)) if err.status.is_server_error() => error_page(nav, &err),
        Ok(Err(err)) => redirect_with_flash(&back, Err(err.message)),
        Err(join) => error_page(nav, &ApiError::internal(format!("the replay task stopped: {join}"))),
    }
}

#[derive(Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    record_key: String,
}

/// Maps a quarantined record again with the tenant's current mapping and, if it now passes,
/// loads it; then back to its run with what happened.
pub async fn replay_quarantined(
    State(state): State<AppState>,
    Operator(session): Operator,
    Path(run_id): Path<String>,
    form: Result<Form<RetryForm>, FormRejection>,
) -> Response {
    let nav = Nav::new(&session, "runs");
    let run_id = match query::run_id(&run_id) {
        Ok(run_id) => run_id.to_string(),
        Err(err) => return error_page(nav, &err),
    };
    let record_key = match form {
        Ok(Form(form)) if !form.record_key.is_empty() => form.record_key,
        Ok(_) => return error_page(nav, &ApiError::bad_request("record_key: name the quarantined record")),
        Err(rejection) => return error_page(nav, &ApiError::bad_request(rejection.body_text())),
    };
    let back = format!("/runs/{}", segment(&run_id));
    let engine = state.engine.clone();
    let (run, key) = (run_id.clone(), record_key.clone());
    let outcome = crate::background::spawn(move || async move {
        lading_runtime::replay::replay_quarantined(&engine, &run, &key).await.map_err(ApiError::from)
    })
    .await;
    match outcome {
        Ok(Ok(outcome)) => {
            tracing::info!(run_id, record_key, by = %session.user.username, delivered = outcome.delivered, "quarantined record retried from the run page");
            let tenant = lading_core::TenantId::parse(&outcome.tenant_id).ok();
            let details = serde_json::json!({"delivered": outcome.delivered, "message": outcome.message});
            let target = format!("run/{run_id}/record/{record_key}");
            crate::audit::by(
                &state,
                &session,
                lading_runtime::audit::Action::ReplayQuarantined,
                target,
                tenant.as_ref(),
                details,
            )
            .await;
            let message = format!("record {record_key}: {}", outcome.message);
            redirect_with_flash(&back, if outcome.delivered { Ok(message) } else { Err(message) })
        }
        Ok(Err(err)) if err.status.is_server_error() => error_page(nav, &err),
        Ok(Err(err)) => redirect_with_flash(&back, Err(err.message)),
        Err(join) => error_page(nav, &ApiError::internal(format!("the retry task stopped: {join}"))),
    }
}
