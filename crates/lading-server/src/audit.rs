//! The audit entries of what people do through the server: sign-ins, sign-outs, tenant and
//! user changes, uploads, replays. A failure to write one is logged as an error and does not
//! undo the action (it happened; `lading audit verify` will show the chain is intact or not).

use crate::app::AppState;
use crate::auth::Session;
use lading_core::TenantId;
use lading_runtime::audit::{self, Action, AuditEvent};

pub use lading_runtime::audit::Action as AuditAction;

/// Records `action` on `target` by the signed-in user.
pub async fn by(
    state: &AppState,
    session: &Session,
    action: Action,
    target: impl Into<String>,
    tenant: Option<&TenantId>,
    details: serde_json::Value,
) {
    record(state, format!("user:{}", session.user.username), action, target, tenant, details).await;
}

pub async fn record(
    state: &AppState,
    actor: String,
    action: Action,
    target: impl Into<String>,
    tenant: Option<&TenantId>,
    details: serde_json::Value,
) {
    let event = AuditEvent { tenant: tenant.cloned(), details, ..AuditEvent::new(actor, action, target) };
    audit::record_or_log(&state.engine, event).await;
}
