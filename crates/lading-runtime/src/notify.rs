//! Notifications: what the catch of a failed run (and, later, alert rules) sends, and where.
//!
//! Embedded, alerts go to the log and optionally to a Slack-compatible webhook; on AWS an SNS
//! notifier implements the same trait.

use async_trait::async_trait;
use serde::Serialize;
use std::sync::Mutex;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One alert, always about one tenant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    pub tenant_id: String,
    pub pipeline: String,
    pub run_id: Option<String>,
    pub severity: Severity,
    /// A short machine-readable kind: `run_failed`, `records_quarantined`, …
    pub kind: String,
    pub message: String,
}

#[async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers an alert; a delivery failure is returned, never panics.
    async fn notify(&self, alert: &Alert) -> Result<(), String>;
}

/// Writes alerts to the structured log.
pub struct LogNotifier;

#[async_trait]
impl Notifier for LogNotifier {
    async fn notify(&self, alert: &Alert) -> Result<(), String> {
        match alert.severity {
            Severity::Error => {
                tracing::error!(tenant = %alert.tenant_id, pipeline = %alert.pipeline, run_id = ?alert.run_id, kind = %alert.kind, "{}", alert.message)
            }
            Severity::Warning => {
                tracing::warn!(tenant = %alert.tenant_id, pipeline = %alert.pipeline, run_id = ?alert.run_id, kind = %alert.kind, "{}", alert.message)
            }
            Severity::Info => {
                tracing::info!(tenant = %alert.tenant_id, pipeline = %alert.pipeline, run_id = ?alert.run_id, kind = %alert.kind, "{}", alert.message)
            }
        }
        Ok(())
    }
}

/// Sends every alert to several notifiers; one failing does not stop the others.
pub struct FanoutNotifier(pub Vec<Box<dyn Notifier>>);

#[async_trait]
impl Notifier for FanoutNotifier {
    async fn notify(&self, alert: &Alert) -> Result<(), String> {
        let mut errors = Vec::new();
        for notifier in &self.0 {
            if let Err(e) = notifier.notify(alert).await {
                errors.push(e);
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
    }
}

/// Keeps alerts in memory: for tests and for a caller that wants to print them.
#[derive(Default)]
pub struct MemoryNotifier(pub Mutex<Vec<Alert>>);

impl MemoryNotifier {
    pub fn alerts(&self) -> Vec<Alert> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl Notifier for MemoryNotifier {
    async fn notify(&self, alert: &Alert) -> Result<(), String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(alert.clone());
        Ok(())
    }
}

/// Posts alerts to a Slack-compatible webhook (`{"text": …}` plus the alert's fields), through
/// the shared HTTP client with its retries. Delivery is at least once: a retried post after a
/// lost answer may show an alert twice, which beats losing it.
pub struct WebhookNotifier {
    pub url: String,
    pub settings: lading_connect::ClientSettings,
}

#[async_trait]
impl Notifier for WebhookNotifier {
    async fn notify(&self, alert: &Alert) -> Result<(), String> {
        let tenant = lading_core::TenantId::parse(&alert.tenant_id)?;
        let client =
            lading_connect::HttpClient::new(&tenant, "webhook", self.settings.clone()).map_err(|e| e.to_string())?;
        let icon = match alert.severity {
            Severity::Error => ":red_circle:",
            Severity::Warning => ":warning:",
            Severity::Info => ":information_source:",
        };
        let body = serde_json::json!({
            "text": format!("{icon} [{}] {}", alert.kind, alert.message),
            "tenant_id": alert.tenant_id,
            "pipeline": alert.pipeline,
            "run_id": alert.run_id,
            "severity": alert.severity,
            "kind": alert.kind,
        });
        let request = lading_connect::ApiRequest::post(self.url.clone()).json(&body).retry_safe();
        let response = client.send(request).await.map_err(|e| e.to_string())?;
        if response.is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered {}: {}", response.status, response.body_excerpt()))
        }
    }
}
