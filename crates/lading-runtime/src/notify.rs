//! Notifications: the alerts Lading raises and the channels that deliver them.
//!
//! Embedded, alerts go to the log, a Slack-compatible webhook and SMTP email; on AWS an SNS
//! notifier implements the same trait. Which channels an alert reaches, and whether a rule
//! fires at all, is decided per tenant by [`crate::alerts::AlertRouter`]; the notifiers here
//! only deliver. Each delivering notifier retries with backoff and full jitter, a bounded
//! number of times, and then returns an error that says what was tried.

use async_trait::async_trait;
use lading_core::Secret;
use lading_core::retry::RetryPolicy;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use lading_core::config::{AlertChannel, Severity};

/// One alert, always about one tenant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    pub tenant_id: String,
    pub pipeline: String,
    pub run_id: Option<String>,
    pub severity: Severity,
    /// A short machine-readable kind: a rule of [`crate::alerts::Rule`] (`run_failed`,
    /// `source_down`, …) or an event such as `records_quarantined`.
    pub kind: String,
    pub message: String,
}

#[async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers an alert; a delivery failure is returned, never panics.
    async fn notify(&self, alert: &Alert) -> Result<(), String>;
}

/// A shared notifier is a notifier: a test keeps an `Arc` of the one it hands over.
#[async_trait]
impl<T: Notifier + ?Sized> Notifier for Arc<T> {
    async fn notify(&self, alert: &Alert) -> Result<(), String> {
        (**self).notify(alert).await
    }
}

/// Writes alerts to the structured log.
pub struct LogNotifier;

#[async_trait]
impl Notifier for LogNotifier {
    async fn notify(&self, alert: &Alert) -> Result<(), String> {
        let run_id = alert.run_id.as_deref().unwrap_or("-");
        match alert.severity {
            Severity::Error | Severity::Critical => {
                tracing::error!(tenant = %alert.tenant_id, pipeline = %alert.pipeline, run_id, kind = %alert.kind, severity = alert.severity.as_str(), "{}", alert.message)
            }
            Severity::Warning => {
                tracing::warn!(tenant = %alert.tenant_id, pipeline = %alert.pipeline, run_id, kind = %alert.kind, "{}", alert.message)
            }
            Severity::Info => {
                tracing::info!(tenant = %alert.tenant_id, pipeline = %alert.pipeline, run_id, kind = %alert.kind, "{}", alert.message)
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

/// Posts alerts to a Slack-compatible webhook: `{"text": …}` for the chat, plus the alert's
/// fields for anything else that reads it. It goes through the shared HTTP client, which
/// retries network errors, 429 and 5xx up to `settings.retry.max_attempts` with backoff (the
/// post is marked safe to repeat). Delivery is at least once: a retried post after a lost
/// answer may show an alert twice, which beats losing it.
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
            Severity::Critical => ":rotating_light:",
            Severity::Error => ":red_circle:",
            Severity::Warning => ":warning:",
            Severity::Info => ":information_source:",
        };
        let body = serde_json::json!({
            "text": format!("{icon} *{}* [{}] {}", alert.severity.as_str(), alert.kind, alert.message),
            "tenant_id": alert.tenant_id,
            "pipeline": alert.pipeline,
            "run_id": alert.run_id,
            "severity": alert.severity,
            "kind": alert.kind,
            "message": alert.message,
        });
        let request = lading_connect::ApiRequest::post(self.url.clone()).json(&body).retry_safe();
        let response = client.send(request).await.map_err(|e| format!("alert webhook: {e}"))?;
        if response.is_success() {
            Ok(())
        } else {
            Err(format!(
                "tenant {}: alert webhook answered {}: {}",
                alert.tenant_id,
                response.status,
                response.body_excerpt()
            ))
        }
    }
}

/// Where and how alert emails are sent.
#[derive(Clone, Debug)]
pub struct EmailSettings {
    /// The SMTP server: `smtp://host:port` (no TLS: a local relay, a test sink),
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@host:465` (implicit TLS). A secret, since it may hold a password.
    pub url: Secret,
    /// The sender, e.g. `Lading <lading@example.com>`.
    pub from: String,
    /// The recipients.
    pub to: Vec<String>,
    /// Per SMTP command and connection.
    pub timeout: Duration,
    /// Attempts in all and the backoff between them.
    pub retry: RetryPolicy,
}

impl EmailSettings {
    /// Settings for `url`, `from` and `to` with a 10 s timeout and 3 attempts, 1 s doubling up
    /// to 10 s: a run's end waits for its alerts, so a dead mail server must not hold it long.
    pub fn new(url: Secret, from: impl Into<String>, to: Vec<String>) -> EmailSettings {
        EmailSettings {
            url,
            from: from.into(),
            to,
            timeout: Duration::from_secs(10),
            retry: RetryPolicy {
                max_attempts: 3,
                initial_backoff_ms: 1_000,
                max_backoff_ms: 10_000,
                backoff_rate: 2.0,
            },
        }
    }
}

/// Sends alerts as plain-text email over SMTP (lettre, tokio, rustls). A connection refused,
/// a timeout or a 4xx reply (greylisting, a full queue) is tried again; a 5xx reply (an
/// unknown mailbox, a refused sender) or a TLS failure is not, since it would fail the same way.
pub struct EmailNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    /// `host:port` of the server, for messages (the URL may hold a password).
    server: String,
    retry: RetryPolicy,
}

impl EmailNotifier {
    /// Checks the settings (URL, addresses, retry policy) and builds the transport; nothing is
    /// sent yet.
    pub fn new(settings: EmailSettings) -> Result<EmailNotifier, String> {
        let server = smtp_server(settings.url.expose());
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.url.expose())
            .map_err(|e| {
                format!("smtp url of {server} is not usable ({}): use smtp://host:port, smtp://user:password@host:587?tls=required or smtps://user:password@host:465", error_chain(&e))
            })?
            .timeout(Some(settings.timeout))
            .build();
        let from = settings
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("alert email sender {:?} is not an address ({e})", settings.from))?;
        if settings.to.is_empty() {
            return Err("alert email has no recipient".into());
        }
        let to = settings
            .to
            .iter()
            .map(|to| {
                to.trim()
                    .parse::<Mailbox>()
                    .map_err(|e| format!("alert email recipient {to:?} is not an address ({e})"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        settings.retry.validate().map_err(|e| format!("alert email {e}"))?;
        Ok(EmailNotifier { transport, from, to, server, retry: settings.retry })
    }

    fn message(&self, alert: &Alert) -> Result<Message, String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(format!("[lading] {} {}: tenant {}", alert.severity.as_str(), alert.kind, alert.tenant_id))
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let body = format!(
            "{}\n\ntenant:   {}\npipeline: {}\nrun:      {}\nseverity: {}\nkind:     {}\n",
            alert.message,
            alert.tenant_id,
            alert.pipeline,
            alert.run_id.as_deref().unwrap_or("-"),
            alert.severity.as_str(),
            alert.kind
        );
        builder.body(body).map_err(|e| format!("tenant {}: alert email could not be built: {e}", alert.tenant_id))
    }
}

#[async_trait]
impl Notifier for EmailNotifier {
    async fn notify(&self, alert: &Alert) -> Result<(), String> {
        let message = self.message(alert)?;
        let mut delays = lading_connect::http::retry_delays(&self.retry);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let error = match self.transport.send(message.clone()).await {
                Ok(_) => return Ok(()),
                Err(error) => error,
            };
            let retryable = !(error.is_permanent() || error.is_client() || error.is_tls());
            match delays.next() {
                Some(wait) if retryable => {
                    tracing::warn!(tenant = %alert.tenant_id, server = %self.server, attempt = attempts, wait_ms = wait.as_millis() as u64, "alert email not sent, retrying: {}", error_chain(&error));
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    let to: Vec<String> = self.to.iter().map(|m| m.email.to_string()).collect();
                    return Err(format!(
                        "tenant {}: alert email to {} via smtp {} failed after {attempts} attempt(s): {}",
                        alert.tenant_id,
                        to.join(", "),
                        self.server,
                        error_chain(&error)
                    ));
                }
            }
        }
    }
}

/// `host[:port]` of an SMTP URL, without the scheme, the credentials or the query.
fn smtp_server(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split(['/', '?']).next().unwrap_or_default().to_string()
}

/// An error and its causes on one line, lowercase.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_of_an_smtp_url_hides_the_credentials() {
        assert_eq!(smtp_server("smtps://ops:s3cr3t@mail.example.com:465"), "mail.example.com:465");
        assert_eq!(smtp_server("smtp://mail.example.com:587?tls=required"), "mail.example.com:587");
        assert_eq!(smtp_server("smtp://127.0.0.1:2525"), "127.0.0.1:2525");
    }

    #[test]
    fn bad_email_settings_are_refused_without_printing_the_password() {
        let settings = |url: &str, from: &str, to: &[&str]| {
            EmailSettings::new(Secret::new(url), from, to.iter().map(|s| s.to_string()).collect())
        };
        let err =
            EmailNotifier::new(settings("imap://ops:s3cr3t@mail.example.com", "a@example.com", &["b@example.com"]))
                .err()
                .unwrap();
        assert!(err.contains("smtp url of mail.example.com") && !err.contains("s3cr3t"), "{err}");
        let err =
            EmailNotifier::new(settings("smtp://127.0.0.1:25", "not an address", &["b@example.com"])).err().unwrap();
        assert!(err.contains("sender"), "{err}");
        let err = EmailNotifier::new(settings("smtp://127.0.0.1:25", "a@example.com", &[])).err().unwrap();
        assert!(err.contains("no recipient"), "{err}");
        assert!(
            EmailNotifier::new(settings("smtp://127.0.0.1:25", "Lading <a@example.com>", &["b@example.com"])).is_ok()
        );
    }
}
