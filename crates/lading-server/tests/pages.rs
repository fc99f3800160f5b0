//! The dashboards over HTTP, without a browser: every page over data the real pipelines made,
//! bad input answered with a 4xx page (never a 500), forms that need their CSRF token and the
//! right role, and the markup rules the CSP and accessibility set (no inline style or script,
//! every control labelled, every header cell scoped).

mod common;
#[path = "common/pages_seed.rs"]
mod pages_seed;

use common::{ADMIN, OPERATOR, TestServer};
use reqwest::StatusCode;

/// A signed-in browser without a browser: the session cookie and the page's CSRF token.
struct Visitor<'a> {
    server: &'a TestServer,
    cookie: String,
    csrf: String,
}

struct Answer {
    status: StatusCode,
    location: String,
    body: String,
}

impl<'a> Visitor<'a> {
    async fn new(server: &'a TestServer, user: (&str, &str)) -> Visitor<'a> {
        let (cookie, csrf) = server.cookie(user).await;
        Visitor { server, cookie, csrf }
    }

    async fn get(&self, path: &str) -> Answer {
        let response =
            TestServer::client().get(self.server.url(path)).header("cookie", &self.cookie).send().await.unwrap();
        answer(response).await
    }

    /// Posts a form with the CSRF token (`csrf: false` leaves it out).
    async fn post(&self, path: &str, fields: &[(&str, &str)], csrf: bool) -> Answer {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        if csrf {
            form.push(("csrf", &self.csrf));
        }
        let response = TestServer::client()
            .post(self.server.url(path))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(&form).unwrap())
            .send()
            .await
            .unwrap();
        answer(response).await
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = response.text().await.unwrap();
    Answer { status, location, body }
}

/// The markup rules every page keeps.
fn check_markup(path: &str, html: &str) {
    assert!(!html.contains("style="), "{path}: an inline style, which the CSP refuses");
    assert!(!html.contains("<script"), "{path}: a script");
    assert!(html.contains(r##"<a class="skip" href="#main">"##), "{path}: the skip link");
    let header_cells = html.matches("<th>").count() + html.matches("<th ").count();
    assert_eq!(header_cells, html.matches("<th scope=").count(), "{path}: a <th> without scope");
    for control in html.split('<').filter(|tag| tag.starts_with("input ") || tag.starts_with("select ")) {
        let tag = control.split('>').next().unwrap();
        if tag.contains(r#"type="hidden""#) {
            continue;
        }
        let id = tag.split(r#"id=""#).nth(1).and_then(|rest| rest.split('"').next());
        let id = id.unwrap_or_else(|| panic!("{path}: a control without id: <{tag}>"));
        assert!(html.contains(&format!(r#"for="{id}""#)), "{path}: control {id} has no label");
    }
    for svg in html.split("<svg").skip(1) {
        let head = svg.split('>').next().unwrap();
        assert!(head.contains(r#"role="img""#) && head.contains("aria-label="), "{path}: an unlabelled chart");
        assert!(svg.contains("<title"), "{path}: a chart without <title>");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_shows_an_operator_what_the_pipelines_did() {
    let seeded = pages_seed::seeded_server().await;
    let operator = Visitor::new(&seeded.server, OPERATOR).await;
    let sync = &seeded.sync_run.run_id;
    let ior = &seeded.ior_run.run_id;
    let report = format!("/comparisons/ergo/{ior}");
    let pages: Vec<(String, Vec<String>)> = vec![
        (
            "/".into(),
            vec!["Runs per day".into(), "Mean run duration per day".into(), r#"href="/runs?tenant=t1""#.into()],
        ),
        ("/?days=30".into(), vec!["last 30 days".into()]),
        ("/tenants".into(), vec!["siesa (company 1)".into(), "sap (client 100)".into()]),
        ("/runs".into(), vec![format!(r#"href="/runs/{sync}""#), format!(r#"href="/runs/{ior}""#)]),
        ("/runs?tenant=t1&status=failed".into(), vec![format!(r#"href="/runs/{}""#, seeded.failed_run.run_id)]),
        (
            format!("/runs/{sync}"),
            vec!["<th scope=\"row\">extract</th>".into(), "invalid_ean13".into(), "Replay".into()],
        ),
        (format!("/runs/{ior}"), vec![format!(r#"href="{report}""#), "<th scope=\"row\">compare</th>".into()]),
        (format!("/runs/{}", seeded.failed_run.run_id), vec!["La consulta no es valida".into()]),
        (
            "/customs-lines".into(),
            vec![
                "Lines 1–50 of".into(),
                "ol class=\"hts-stack\"".into(),
                "href=\"/api/customs-lines?format=csv".into(),
            ],
        ),
        (
            "/customs-lines?hts=9903.88.03&offset=10&limit=5".into(),
            vec!["Lines 11–15 of".into(), "hts=9903.88.03&#38;offset=5&#38;limit=5".into()],
        ),
        ("/comparisons".into(), vec![format!(r#"href="{report}""#), "failed".into()]),
        (report.clone(), vec!["sev-row-fail".into(), "Generated (Lading)".into(), "Revenue impact".into()]),
        (format!("{report}?show=all"), vec!["Entries (all)".into(), "entry-match".into()]),
    ];
    for (path, expected) in &pages {
        let page = operator.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        for text in expected {
            assert!(page.body.contains(text.as_str()), "{path} lacks {text:?}");
        }
        check_markup(path, &page.body);
    }
    seeded.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_a_page_is_a_message_and_a_4xx_never_a_500() {
    let seeded = pages_seed::seeded_server().await;
    let operator = Visitor::new(&seeded.server, OPERATOR).await;
    let ior = &seeded.ior_run.run_id;
    let cases: Vec<(String, u16, &str)> = vec![
        ("/?days=0".into(), 400, "from 1 to 90"),
        ("/?days=lots".into(), 400, "from 1 to 90"),
        ("/runs?status=bogus".into(), 400, "must be pending, running, succeeded or failed"),
        ("/runs?limit=abc".into(), 400, "limit"),
        ("/runs?limit=0".into(), 400, "between 1 and 1000"),
        ("/runs?tenant=Not%20A%20Tenant".into(), 400, "invalid tenant id"),
        ("/runs?tenant=nobody".into(), 404, "unknown tenant"),
        ("/runs?before=yesterday".into(), 400, "before"),
        ("/customs-lines?from=yesterday".into(), 400, "must be a date"),
        ("/customs-lines?to=2026-13-01".into(), 400, "must be a date"),
        ("/customs-lines?offset=-1".into(), 400, "offset"),
        ("/customs-lines?limit=5000".into(), 400, "between 1 and 1000"),
        ("/customs-lines?tenant=nobody".into(), 404, "unknown tenant"),
        ("/comparisons?tenant=nobody".into(), 404, "unknown tenant"),
        ("/comparisons/ergo/nope".into(), 404, "no comparison"),
        ("/comparisons/nobody/x".into(), 404, "unknown tenant"),
        (format!("/comparisons/ergo/{ior}?show=bogus"), 400, "problems or all"),
        ("/runs/not%20a%20run".into(), 400, "malformed"),
        ("/runs/00000000-0000-0000-0000-000000000000".into(), 404, "unknown run"),
    ];
    for (path, status, message) in &cases {
        let page = operator.get(path).await;
        assert_eq!(page.status.as_u16(), *status, "{path}: {}", page.body);
        assert!(page.body.contains("role=\"alert\""), "{path}: the message is an alert: {}", page.body);
        assert!(page.body.contains(message), "{path}: {message:?} not in {}", page.body);
        assert!(page.body.contains("<header class=\"top\">"), "{path}: the error keeps the layout");
    }
    seeded.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_need_the_csrf_token_and_the_right_role() {
    let seeded = pages_seed::seeded_server().await;
    let server = &seeded.server;
    let operator = Visitor::new(server, OPERATOR).await;
    let admin = Visitor::new(server, ADMIN).await;
    let t1 = lading_core::TenantId::parse("t1").unwrap();
    let enabled = || async { server.engine.state.get_tenant(&t1).await.unwrap().unwrap().enabled };

    // Tenants: admins only, with the token.
    let flow = [("flow", "product-sync")];
    assert_eq!(operator.post("/tenants/t1/disable", &flow, true).await.status, StatusCode::FORBIDDEN);
    assert_eq!(admin.post("/tenants/t1/disable", &flow, false).await.status, StatusCode::FORBIDDEN);
    assert!(enabled().await);
    let done = admin.post("/tenants/t1/disable", &flow, true).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(done.location.starts_with("/tenants?flash="), "{}", done.location);
    assert!(!enabled().await);
    assert_eq!(admin.post("/tenants/t1/enable", &flow, true).await.status, StatusCode::SEE_OTHER);
    assert!(enabled().await);
    let ior = admin.post("/tenants/ergo/disable", &[("flow", "ior")], true).await;
    assert!(ior.location.starts_with("/tenants?flash=ior"), "{}", ior.location);
    let ergo = lading_core::TenantId::parse("ergo").unwrap();
    assert!(!lading_runtime::ior::load_config(&server.engine, &ergo).await.unwrap().raw.enabled);
    let bad = admin.post("/tenants/t1/disable", &[("flow", "bogus")], true).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let unknown = admin.post("/tenants/nobody/disable", &flow, true).await;
    assert!(unknown.location.starts_with("/tenants?flash_error="), "{}", unknown.location);

    // Users: the password policy and the last admin are kept.
    assert_eq!(operator.get("/users").await.status, StatusCode::FORBIDDEN);
    let users = admin.get("/users").await;
    assert_eq!(users.status, StatusCode::OK);
    check_markup("/users", &users.body);
    check_markup("/tenants (admin)", &admin.get("/tenants").await.body);
    let short = admin.post("/users", &[("username", "grace"), ("role", "operator"), ("password", "short")], true).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.body.contains("at least 12") && short.body.contains(r#"value="grace""#), "{}", short.body);
    let added = admin
        .post("/users", &[("username", "grace"), ("role", "operator"), ("password", "long enough secret")], true)
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert!(server.engine.state.get_user("grace").await.unwrap().is_some());
    let twice = admin
        .post("/users", &[("username", "grace"), ("role", "operator"), ("password", "long enough secret")], true)
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let demote = admin.post("/users/root/role", &[("role", "operator")], true).await;
    assert!(demote.location.starts_with("/users?flash_error="), "{}", demote.location);
    let promote = admin.post("/users/grace/role", &[("role", "admin")], true).await;
    assert!(promote.location.starts_with("/users?flash="), "{}", promote.location);
    assert_eq!(admin.post("/users/grace/disable", &[], true).await.status, StatusCode::SEE_OTHER);
    assert!(!server.engine.state.get_user("grace").await.unwrap().unwrap().enabled);
    assert_eq!(admin.post("/users/grace/role", &[("role", "root")], true).await.status, StatusCode::BAD_REQUEST);

    // A dead letter replayed from its run page: delivered once, then refused.
    let sync = &seeded.sync_run.run_id;
    let letters = server.engine.state.list_dead_letters(None, 0).await.unwrap();
    let letter = letters.iter().find(|l| &l.run_id == sync).unwrap();
    let path = format!("/runs/{sync}/dead-letters/{}/replay", letter.id);
    assert_eq!(operator.post(&path, &[], false).await.status, StatusCode::FORBIDDEN);
    let replayed = operator.post(&path, &[], true).await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER);
    assert!(replayed.location.starts_with(&format!("/runs/{sync}?flash=")), "{}", replayed.location);
    let page = operator.get(&replayed.location).await;
    assert!(page.body.contains("flash-ok") && page.body.contains("created in kong"), "{}", page.body);
    let again = operator.post(&path, &[], true).await;
    assert!(again.location.contains("flash_error=") && again.location.contains("already"), "{}", again.location);
    let other_run = operator
        .post(&format!("/runs/{}/dead-letters/{}/replay", seeded.failed_run.run_id, letter.id), &[], true)
        .await;
    assert!(other_run.location.contains("flash_error="), "a letter is replayed from its own run");
    let bad_id = operator.post(&format!("/runs/{sync}/dead-letters/abc/replay"), &[], true).await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);

    // A quarantined record mapped again with the same mapping is still invalid, and stays.
    let quarantined = server.engine.state.list_quarantine(None, Some(sync), 0).await.unwrap();
    let key = quarantined[0].record_key.clone();
    let retry = operator.post(&format!("/runs/{sync}/quarantine/replay"), &[("record_key", &key)], true).await;
    assert_eq!(retry.status, StatusCode::SEE_OTHER);
    let page = operator.get(&retry.location).await;
    assert!(page.body.contains("flash-error") && page.body.contains("still invalid"), "{}", page.body);
    assert_eq!(server.engine.state.list_quarantine(None, Some(sync), 0).await.unwrap().len(), quarantined.len());
    let no_key = operator.post(&format!("/runs/{sync}/quarantine/replay"), &[], true).await;
    assert_eq!(no_key.status, StatusCode::BAD_REQUEST);
    seeded.server.stop().await;
}

#[tokio::test]
async fn without_a_session_every_page_sends_the_browser_to_sign_in() {
    let server = TestServer::start().await;
    for path in
        ["/", "/tenants", "/runs", "/runs/x", "/customs-lines?entry=1", "/comparisons", "/comparisons/a/b", "/users"]
    {
        let response = TestServer::client().get(server.url(path)).send().await.unwrap();
        assert!(response.status().is_redirection(), "{path}: {}", response.status());
        let location = response.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/login?next=/"), "{path}: {location}");
    }
    let form = TestServer::client()
        .post(server.url("/runs/x/dead-letters/1/replay"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf=x")
        .send()
        .await
        .unwrap();
    assert!(form.status().is_redirection(), "{}", form.status());
    server.stop().await;
}

#[tokio::test]
async fn an_empty_store_shows_empty_pages_not_errors() {
    let server = TestServer::start().await;
    let operator = Visitor::new(&server, OPERATOR).await;
    for (path, text) in [
        ("/", "No runs in the last 14 days."),
        ("/tenants", "No tenant is configured yet."),
        ("/runs", "No run matches these filters."),
        ("/customs-lines", "No customs lines have been generated yet."),
        ("/comparisons", "No comparison yet"),
    ] {
        let page = operator.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains(text), "{path}: {}", page.body);
        check_markup(path, &page.body);
    }
    server.stop().await;
}
