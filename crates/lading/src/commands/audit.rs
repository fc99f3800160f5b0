//! `lading audit verify|list|prune`, and the audit entries the other commands record.

use super::tenant_id;
use crate::cli::AuditCommand;
use crate::exit::{Failure, INTERNAL};
use crate::output;
use chrono::{DateTime, NaiveDate, Utc};
use lading_core::TenantId;
use lading_runtime::Engine;
use lading_runtime::audit::{self, Action, AuditEvent, ListFilter, Retention, VerifyReport};
use std::process::ExitCode;

/// Who acts from the command line: `cli:{login name}`.
pub fn actor() -> String {
    let user =
        ["USER", "USERNAME", "LOGNAME"].iter().find_map(|name| std::env::var(name).ok().filter(|u| !u.is_empty()));
    match user {
        Some(user) => format!("cli:{user}"),
        None => "cli".into(),
    }
}

/// An entry for a command-line action on `target`.
pub fn event(action: Action, tenant: Option<&TenantId>, target: String, details: serde_json::Value) -> AuditEvent {
    AuditEvent { tenant: tenant.cloned(), details, ..AuditEvent::new(actor(), action, target) }
}

/// Records an action that already happened; if the entry cannot be written the command fails
/// (exit 5) saying so, because an unrecorded change must not pass unnoticed.
pub async fn record(engine: &Engine, event: AuditEvent) -> Result<(), Failure> {
    let action = event.action.as_str();
    let target = event.target.clone();
    audit::record(engine, event).await.map(|_| ()).map_err(|e| {
        Failure::new(INTERNAL, format!("{action} of {target} was done, but its audit entry was not recorded: {e}"))
    })
}

pub async fn run(engine: &Engine, command: AuditCommand, json: bool) -> Result<ExitCode, Failure> {
    match command {
        AuditCommand::Verify => {
            let report = audit::verify(engine).await.map_err(failure)?;
            if json {
                output::json(&report);
            } else {
                print_verify(&report);
            }
            if let Some(first) = report.problems.first() {
                let more = match report.problems.len() {
                    1 => String::new(),
                    n => format!(" (and {} more problems)", n - 1),
                };
                return Err(Failure::new(
                    INTERNAL,
                    format!("the audit chain does not verify: {}{more}; {}", first.message, first.what_to_do),
                ));
            }
        }
        AuditCommand::List { since, action, tenant, limit } => {
            let filter = ListFilter {
                since: since.as_deref().map(parse_since).transpose()?,
                action,
                tenant: tenant.as_deref().map(tenant_id).transpose()?,
                limit: Some(limit),
            };
            let listing = audit::list(engine, &filter).await.map_err(failure)?;
            if json {
                output::json(&listing);
            } else {
                println!("{:>6}  {:<24}  {:<16} {:<20} {:<12} target", "seq", "at", "actor", "action", "tenant");
                for e in &listing.entries {
                    println!(
                        "{:>6}  {:<24}  {:<16} {:<20} {:<12} {}",
                        e.seq,
                        e.at,
                        e.actor,
                        e.action,
                        e.tenant.as_deref().unwrap_or("-"),
                        e.target
                    );
                }
                if listing.entries.is_empty() {
                    println!("no audit entries");
                }
            }
            if !listing.unreadable.is_empty() {
                eprintln!(
                    "warning: {} audit objects could not be read (first {}); run `lading audit verify`",
                    listing.unreadable.len(),
                    listing.unreadable[0]
                );
            }
        }
        AuditCommand::Prune { retention_days } => {
            let retention = Retention { days: retention_days };
            let report = audit::prune(engine, retention, Utc::now(), &actor()).await.map_err(failure)?;
            if json {
                output::json(&report);
            } else if report.pruned == 0 {
                println!("nothing to prune: no entry before {} ({} days kept)", report.cutoff, report.retention_days);
            } else {
                println!(
                    "pruned {} audit entries before {}; the chain now starts at entry {}, vouched for by checkpoint entry {}",
                    report.pruned,
                    report.cutoff,
                    report.first_kept_seq.unwrap_or_default(),
                    report.checkpoint_seq.unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn failure(err: audit::AuditError) -> Failure {
    match err {
        audit::AuditError::Store(store) => store.into(),
        other => Failure::new(INTERNAL, other.to_string()),
    }
}

/// A day (`2025-01-31`, from its start in UTC) or an RFC 3339 instant.
fn parse_since(text: &str) -> Result<DateTime<Utc>, Failure> {
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)).map_err(|e| {
        Failure::invalid(format!("--since {text:?}: {e}; use a day such as 2025-01-31 or an RFC 3339 instant"))
    })
}

fn print_verify(report: &VerifyReport) {
    let span = match (report.first_seq, report.last_seq) {
        (Some(first), Some(last)) => format!("entries {first} to {last}"),
        _ => "no entries".into(),
    };
    let anchor = report.anchor.as_ref().map_or("no anchor".to_string(), |a| format!("anchored at entry {}", a.seq));
    println!("audit chain: {} objects, {span}, {anchor}", report.entries);
    if let Some(checkpoint) = report.checkpoint_seq {
        println!("pruned earlier: the start is vouched for by checkpoint entry {checkpoint}");
    }
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    let Some(first) = report.problems.first() else {
        println!("ok: no entry was edited, inserted, deleted, reordered or cut off");
        return;
    };
    let at = first.seq.map_or("-".to_string(), |s| s.to_string());
    println!("DAMAGED: {} problem(s); the first bad entry is {at}", report.problems.len());
    for problem in &report.problems {
        let key = problem.key.as_deref().unwrap_or("");
        println!("  {} {key}: {}", format!("{:?}", problem.kind).to_lowercase(), problem.message);
    }
    println!("what to do: {}", first.what_to_do);
}
