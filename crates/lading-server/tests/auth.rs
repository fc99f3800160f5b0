//! Sign-in, tokens, roles and CSRF against a real server.

mod common;

use common::{ADMIN, OPERATOR, TestServer};

#[tokio::test]
async fn a_user_signs_in_sees_who_they_are_and_signs_out_for_good() {
    let server = TestServer::start().await;
    let client = TestServer::client();
    let token = server.token(OPERATOR).await;
    let me: serde_json::Value =
        client.get(server.url("/api/auth/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["username"], "ada");
    assert_eq!(me["user"]["role"], "operator");
    assert!(me["user"].get("password_hash").is_none());

    let out = client.post(server.url("/api/auth/logout")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(out.status(), 204);
    let after = client.get(server.url("/api/auth/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(after.status(), 401);
    let body: serde_json::Value = after.json().await.unwrap();
    assert_eq!(body["code"], "token_revoked");
    server.stop().await;
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    let server = TestServer::start().await;
    let client = TestServer::client();
    for (user, password) in [("ada", "not her password"), ("nobody", "whatever it is")] {
        let response = client
            .post(server.url("/api/auth/login"))
            .json(&serde_json::json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"code": "invalid_credentials", "message": "wrong username or password"}));
    }
    server.stop().await;
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_user() {
    let server = TestServer::start().await;
    let client = TestServer::client();
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let response = client
            .post(server.url("/api/auth/login"))
            .json(&serde_json::json!({"username": "ada", "password": "guess guess guess"}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["code"], "rate_limited");
        }
    }
    assert_eq!(statuses, vec![401, 401, 401, 401, 401, 429, 429]);
    // Even the right password waits its turn.
    let right = client
        .post(server.url("/api/auth/login"))
        .json(&serde_json::json!({"username": OPERATOR.0, "password": OPERATOR.1}))
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 429);
    // Another user is not affected.
    assert!(!server.token(ADMIN).await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token_bearer_writes_do_not() {
    let server = TestServer::start().await;
    let client = TestServer::client();
    let (cookie, csrf) = server.cookie(OPERATOR).await;
    let read = client.get(server.url("/api/auth/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(read.status(), 200);
    let forged = client.post(server.url("/api/auth/logout")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(forged.json::<serde_json::Value>().await.unwrap()["code"], "csrf");
    let wrong = client
        .post(server.url("/api/auth/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", "0".repeat(32))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let cross_site = client
        .post(server.url("/api/auth/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let ok = client
        .post(server.url("/api/auth/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 204);
    let cleared = ok.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    server.stop().await;
}

#[tokio::test]
async fn the_session_cookie_is_httponly_and_samesite_strict() {
    let server = TestServer::start().await;
    let response = TestServer::client()
        .post(server.url("/api/auth/login"))
        .json(&serde_json::json!({"username": ADMIN.0, "password": ADMIN.1}))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("lading_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    server.stop().await;
}

#[tokio::test]
async fn a_disabled_account_loses_its_session_at_once() {
    let server = TestServer::start().await;
    let token = server.token(OPERATOR).await;
    lading_server::users::update(server.engine.state.as_ref(), OPERATOR.0, None, None, Some(false)).await.unwrap();
    let response = TestServer::client().get(server.url("/api/auth/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 401);
    server.stop().await;
}

#[tokio::test]
async fn health_and_readiness_answer_without_a_session() {
    let server = TestServer::start().await;
    let client = TestServer::client();
    assert_eq!(client.get(server.url("/healthz")).send().await.unwrap().status(), 200);
    let ready: serde_json::Value = client.get(server.url("/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let doc: serde_json::Value =
        client.get(server.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["paths"]["/api/auth/login"]["post"].is_object());
    server.stop().await;
}

#[tokio::test]
async fn pages_send_strangers_to_the_sign_in_page() {
    let server = TestServer::start().await;
    let response = TestServer::client().get(server.url("/?x=1")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login?next=/%3Fx%3D1");
    server.stop().await;
}

#[tokio::test]
async fn metrics_need_a_session_or_the_scrape_token() {
    let settings = lading_server::ServerSettings {
        scheduler: false,
        metrics_token: Some("scrape-token-0123456789".into()),
        ..lading_server::ServerSettings::default()
    };
    let server = TestServer::with_settings(settings).await;
    let client = TestServer::client();
    let anonymous = client.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.json::<serde_json::Value>().await.unwrap()["code"], "unauthenticated");
    let wrong = client.get(server.url("/metrics")).bearer_auth("scrape-token-0123456780").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let scraper = client.get(server.url("/metrics")).bearer_auth("scrape-token-0123456789").send().await.unwrap();
    assert_eq!(scraper.status(), 200);
    assert!(scraper.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let token = server.token(OPERATOR).await;
    let user = client.get(server.url("/metrics")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(user.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn sign_ins_refusals_and_sign_outs_are_audited() {
    let server = TestServer::start().await;
    let client = TestServer::client();
    let refused = client
        .post(server.url("/api/auth/login"))
        .json(&serde_json::json!({"username": "ada", "password": "not her password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let token = server.token(OPERATOR).await;
    let out = client.post(server.url("/api/auth/logout")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(out.status(), 204);
    let listing =
        lading_runtime::audit::list(&server.engine, &lading_runtime::audit::ListFilter::default()).await.unwrap();
    let actions: Vec<(String, String)> = listing.entries.iter().map(|e| (e.action.clone(), e.actor.clone())).collect();
    for (action, actor) in [("login.failed", "anonymous"), ("login.succeeded", "user:ada"), ("logout", "user:ada")] {
        assert!(
            actions.iter().any(|(a, who)| a == action && who == actor),
            "{action} by {actor} is in the audit log: {actions:?}"
        );
    }
    let report = lading_runtime::audit::verify(&server.engine).await.unwrap();
    assert!(report.entries >= 3);
    server.stop().await;
}
