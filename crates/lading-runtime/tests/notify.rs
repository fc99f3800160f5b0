//! Notifiers against a real HTTP server on loopback.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use lading_runtime::notify::{Alert, FanoutNotifier, LogNotifier, Notifier, Severity, WebhookNotifier};
use std::sync::{Arc, Mutex};

type Received = Arc<Mutex<Vec<serde_json::Value>>>;

async fn hook(State(received): State<Received>, Json(body): Json<serde_json::Value>) -> StatusCode {
    let mut received = received.lock().unwrap();
    received.push(body);
    // The first delivery fails, as a flaky chat service would: the notifier must retry it.
    if received.len() == 1 { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK }
}

async fn server() -> (String, Received) {
    let received: Received = Arc::default();
    let app = axum::Router::new().route("/hook", post(hook)).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

fn alert() -> Alert {
    Alert {
        tenant_id: "acme".into(),
        pipeline: "product-sync".into(),
        run_id: Some("r1".into()),
        severity: Severity::Error,
        kind: "run_failed".into(),
        message: "tenant acme: run r1 failed: step extract failed".into(),
    }
}

fn fast_settings() -> lading_connect::ClientSettings {
    lading_connect::ClientSettings {
        retry: lading_core::retry::RetryPolicy {
            max_attempts: 3,
            initial_backoff_ms: 1,
            max_backoff_ms: 5,
            backoff_rate: 2.0,
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn the_webhook_gets_slack_compatible_json_and_is_retried() {
    let (url, received) = server().await;
    let notifier =
        FanoutNotifier(vec![Box::new(LogNotifier), Box::new(WebhookNotifier { url, settings: fast_settings() })]);
    notifier.notify(&alert()).await.unwrap();
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "one failed delivery, one retry");
    let body = &received[1];
    assert!(body["text"].as_str().unwrap().contains("run r1 failed"), "{body}");
    assert_eq!(body["tenant_id"], "acme");
    assert_eq!(body["severity"], "error");
    assert_eq!(body["kind"], "run_failed");
}

#[tokio::test]
async fn an_unreachable_webhook_is_an_error_not_a_panic() {
    let notifier = WebhookNotifier { url: "http://127.0.0.1:9/hook".into(), settings: fast_settings() };
    let err = notifier.notify(&alert()).await.unwrap_err();
    assert!(err.contains("acme") && err.contains("webhook"), "{err}");
}
