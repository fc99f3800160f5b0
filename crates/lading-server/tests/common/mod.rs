//! A real server on 127.0.0.1 over a fresh data directory, with an admin and an operator.

#![allow(dead_code)]

use lading_runtime::Engine;
use lading_server::{AppState, ServerSettings};
use lading_store::Role;
use std::net::SocketAddr;

pub const ADMIN: (&str, &str) = ("root", "admin password 123");
pub const OPERATOR: (&str, &str) = ("ada", "operator password 1");

pub struct TestServer {
    pub base: String,
    pub address: SocketAddr,
    pub engine: Engine,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::with_settings(ServerSettings { scheduler: false, ..ServerSettings::default() }).await
    }

    pub async fn with_settings(settings: ServerSettings) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::embedded(dir.path()).unwrap();
        TestServer::over(engine, dir, settings).await
    }

    pub async fn over(engine: Engine, dir: tempfile::TempDir, settings: ServerSettings) -> TestServer {
        for (user, role) in [(ADMIN, Role::Admin), (OPERATOR, Role::Operator)] {
            if engine.state.get_user(user.0).await.unwrap().is_none() {
                lading_server::users::add(engine.state.as_ref(), user.0, role, user.1).await.unwrap();
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = AppState::load(engine.clone(), settings).await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(lading_server::serve::serve(state.clone(), listener, async move {
            let _ = stopped.await;
        }));
        TestServer {
            base: format!("http://{address}"),
            address,
            engine,
            state,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client that keeps no cookies and follows no redirects.
    pub fn client() -> reqwest::Client {
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// Signs in through the API; returns the bearer token.
    pub async fn token(&self, user: (&str, &str)) -> String {
        let response = TestServer::client()
            .post(self.url("/api/auth/login"))
            .json(&serde_json::json!({"username": user.0, "password": user.1}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "login of {}", user.0);
        let body: serde_json::Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    /// Signs in through the API; returns (session cookie header value, CSRF token).
    pub async fn cookie(&self, user: (&str, &str)) -> (String, String) {
        let response = TestServer::client()
            .post(self.url("/api/auth/login"))
            .json(&serde_json::json!({"username": user.0, "password": user.1}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        let body: serde_json::Value = response.json().await.unwrap();
        (cookie, body["csrf_token"].as_str().unwrap().to_string())
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}
