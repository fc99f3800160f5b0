//! The email notifier against a real SMTP conversation on loopback: a minimal sink written here
//! (greeting, EHLO, MAIL FROM, RCPT TO, DATA, QUIT) that can hang up, greylist (451) or refuse a
//! mailbox (550) on chosen connections.

use lading_core::Secret;
use lading_core::config::RawTenantConfig;
use lading_core::retry::RetryPolicy;
use lading_runtime::Engine;
use lading_runtime::alerts::AlertRouter;
use lading_runtime::notify::{Alert, AlertChannel, EmailNotifier, EmailSettings, LogNotifier, Notifier, Severity};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the sink does on one connection.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    /// Closes the connection before the greeting.
    HangUp,
    /// Answers `MAIL FROM` with 451 (try again later).
    Greylist,
    /// Answers `RCPT TO` with 550 (no such mailbox).
    RejectMailbox,
    Accept,
}

#[derive(Clone, Debug, Default)]
struct Received {
    from: String,
    to: Vec<String>,
    data: String,
}

struct Sink {
    url: String,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Sink {
    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// A sink that behaves as `script` says on its first connections, then accepts.
async fn sink(script: Vec<Behaviour>) -> Sink {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let received: Arc<Mutex<Vec<Received>>> = Arc::default();
    let (count, store) = (connections.clone(), received.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let behaviour = script.get(n).copied().unwrap_or(Behaviour::Accept);
            let store = store.clone();
            tokio::spawn(async move {
                let _ = session(stream, behaviour, store).await;
            });
        }
    });
    Sink { url, connections, received }
}

async fn session(stream: TcpStream, behaviour: Behaviour, store: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    if matches!(behaviour, Behaviour::HangUp) {
        return Ok(());
    }
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP\r\n").await?;
    let mut message = Received::default();
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if command.starts_with("HELO") || command.starts_with("RSET") || command.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if command.starts_with("MAIL FROM:") {
            if matches!(behaviour, Behaviour::Greylist) {
                b"451 4.7.1 greylisted, try again later\r\n"
            } else {
                message.from = line.trim_end()[10..].trim().to_string();
                b"250 OK\r\n"
            }
        } else if command.starts_with("RCPT TO:") {
            if matches!(behaviour, Behaviour::RejectMailbox) {
                b"550 5.1.1 no such mailbox\r\n"
            } else {
                message.to.push(line.trim_end()[8..].trim().to_string());
                b"250 OK\r\n"
            }
        } else if command == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            loop {
                let mut data = String::new();
                if lines.read_line(&mut data).await? == 0 {
                    return Ok(());
                }
                if data == ".\r\n" {
                    break;
                }
                message.data.push_str(&data);
            }
            store.lock().unwrap().push(std::mem::take(&mut message));
            b"250 2.0.0 queued\r\n"
        } else if command == "QUIT" {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 5.5.2 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

fn settings(url: &str, to: &[&str]) -> EmailSettings {
    EmailSettings {
        timeout: Duration::from_secs(5),
        retry: RetryPolicy { max_attempts: 3, initial_backoff_ms: 1, max_backoff_ms: 5, backoff_rate: 2.0 },
        ..EmailSettings::new(
            Secret::new(url),
            "Lading <lading@example.com>",
            to.iter().map(|s| s.to_string()).collect(),
        )
    }
}

fn alert(tenant: &str, severity: Severity, kind: &str) -> Alert {
    Alert {
        tenant_id: tenant.into(),
        pipeline: "product-sync".into(),
        run_id: Some("r1".into()),
        severity,
        kind: kind.into(),
        message: format!("tenant {tenant}: run r1 failed: step load failed"),
    }
}

#[tokio::test]
async fn an_alert_email_carries_the_alert_to_every_recipient() {
    let sink = sink(vec![]).await;
    let email = EmailNotifier::new(settings(&sink.url, &["ops@example.com", "oncall@example.com"])).unwrap();
    email.notify(&alert("acme", Severity::Error, "run_failed")).await.unwrap();
    let received = sink.received();
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert_eq!(message.from, "<lading@example.com>");
    assert_eq!(message.to, ["<ops@example.com>", "<oncall@example.com>"]);
    assert!(message.data.contains("Subject: [lading] error run_failed: tenant acme"), "{}", message.data);
    assert!(message.data.contains("tenant acme: run r1 failed: step load failed"), "{}", message.data);
    assert!(message.data.contains("pipeline: product-sync"), "{}", message.data);
}

#[tokio::test]
async fn a_hang_up_and_greylisting_are_retried_until_the_server_accepts() {
    let sink = sink(vec![Behaviour::HangUp, Behaviour::Greylist]).await;
    let email = EmailNotifier::new(settings(&sink.url, &["ops@example.com"])).unwrap();
    email.notify(&alert("acme", Severity::Error, "run_failed")).await.unwrap();
    assert_eq!(sink.connections(), 3, "hang-up, 451, then delivered");
    assert_eq!(sink.received().len(), 1, "delivered once");
}

#[tokio::test]
async fn a_refused_mailbox_is_not_retried_and_the_error_says_why() {
    let sink = sink(vec![Behaviour::RejectMailbox]).await;
    let email = EmailNotifier::new(settings(&sink.url, &["nobody@example.com"])).unwrap();
    let err = email.notify(&alert("acme", Severity::Error, "run_failed")).await.unwrap_err();
    assert_eq!(sink.connections(), 1, "a 5xx would fail the same way again");
    assert!(err.contains("tenant acme") && err.contains("after 1 attempt") && err.contains("550"), "{err}");
    assert!(err.contains("nobody@example.com") && err.contains("127.0.0.1"), "{err}");
}

#[tokio::test]
async fn a_server_that_stays_down_is_an_error_after_the_last_attempt() {
    let sink = sink(vec![Behaviour::HangUp; 10]).await;
    let email = EmailNotifier::new(settings(&sink.url, &["ops@example.com"])).unwrap();
    let err = email.notify(&alert("acme", Severity::Error, "run_failed")).await.unwrap_err();
    assert_eq!(sink.connections(), 3, "max_attempts bounds the retries");
    assert!(err.contains("after 3 attempt(s)"), "{err}");
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn errors_are_emailed_and_warnings_are_not_per_tenant_routes() {
    let sink = sink(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut engine = Engine::embedded(dir.path()).unwrap();
    for (tenant, alerts) in [("acme", None), ("quiet", Some(serde_json::json!({"routes": {"error": ["log"]}})))] {
        let mut config = serde_json::json!({
            "version": 1, "tenant_id": tenant, "product_type": "kong", "mapping_key": "field-mappings-kong.json",
            "source": {"kind": "siesa", "base_url": "http://127.0.0.1:9", "company_id": "1"},
            "target": {"base_url": "http://127.0.0.1:9"}
        });
        if let Some(alerts) = alerts {
            config["alerts"] = alerts;
        }
        let raw: RawTenantConfig = serde_json::from_value(config).unwrap();
        engine.state.put_tenant(&raw.validate().unwrap().raw).await.unwrap();
    }
    let email = EmailNotifier::new(settings(&sink.url, &["ops@example.com"])).unwrap();
    engine.notifier = Arc::new(AlertRouter {
        state: engine.state.clone(),
        channels: vec![(AlertChannel::Log, Box::new(LogNotifier)), (AlertChannel::Email, Box::new(email))],
    });

    engine.notifier.notify(&alert("acme", Severity::Warning, "records_quarantined")).await.unwrap();
    assert!(sink.received().is_empty(), "a warning is not emailed");
    engine.notifier.notify(&alert("acme", Severity::Error, "run_failed")).await.unwrap();
    assert_eq!(sink.received().len(), 1, "an error is");
    engine.notifier.notify(&alert("quiet", Severity::Error, "run_failed")).await.unwrap();
    assert_eq!(sink.received().len(), 1, "quiet routes its errors to the log only");
}

#[tokio::test]
async fn a_failing_channel_is_named_and_does_not_stop_the_others() {
    let down = sink(vec![Behaviour::HangUp; 10]).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::embedded(dir.path()).unwrap();
    let log = Arc::new(lading_runtime::notify::MemoryNotifier::default());
    let router = AlertRouter {
        state: engine.state.clone(),
        channels: vec![
            (AlertChannel::Email, Box::new(EmailNotifier::new(settings(&down.url, &["ops@example.com"])).unwrap())),
            (AlertChannel::Log, Box::new(log.clone())),
        ],
    };
    let err = router.notify(&alert("acme", Severity::Error, "run_failed")).await.unwrap_err();
    assert!(err.starts_with("email: tenant acme: alert email"), "{err}");
    assert_eq!(log.alerts().len(), 1, "the log still got it");
    // It reached a channel, so it counts as fired: the same alert again is not re-sent.
    router.notify(&alert("acme", Severity::Error, "run_failed")).await.unwrap();
    assert_eq!(log.alerts().len(), 1);
}
