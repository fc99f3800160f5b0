//! Every route refuses a request without a valid session: each operation of the OpenAPI
//! document (so a new API route is covered the day it is added) and each page, with no
//! credentials, a tampered token, an expired token and an `alg: none` token, as a bearer token
//! and as the session cookie. The API answers 401 `{code, message}`; pages send the browser to
//! `/login`.

mod common;
#[path = "common/forged.rs"]
mod forged;

use common::TestServer;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

/// The operations anyone may call: signing in and the health probes.
const PUBLIC: [(&str, &str); 3] = [("post", "/api/auth/login"), ("get", "/healthz"), ("get", "/readyz")];

/// The dashboards (kept by hand: pages are not in the OpenAPI document).
/// Every page route but the sign-in page and the stylesheet, with a value for each parameter;
/// `every_page_route_is_listed` keeps this in step with `src/pages/mod.rs`.
const PAGES: [(&str, &str); 17] = [
    ("get", "/"),
    ("get", "/tenants"),
    ("post", "/tenants/acme/enable"),
    ("post", "/tenants/acme/disable"),
    ("get", "/runs"),
    ("get", "/runs/x"),
    ("post", "/runs/x/dead-letters/1/replay"),
    ("post", "/runs/x/quarantine/replay"),
    ("get", "/customs-lines"),
    ("get", "/comparisons"),
    ("get", "/comparisons/acme/x"),
    ("get", "/users"),
    ("post", "/users"),
    ("post", "/users/ada/role"),
    ("post", "/users/ada/enable"),
    ("post", "/users/ada/disable"),
    ("post", "/logout"),
];
const OPEN_PAGES: [&str; 2] = ["/login", "/static/lading.css"];

#[test]
fn every_page_route_is_listed() {
    let router = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages/mod.rs")).unwrap();
    let shape = |path: &str| -> String {
        path.split('/').map(|part| if part.starts_with('{') { "*" } else { part }).collect::<Vec<_>>().join("/")
    };
    let listed: Vec<String> = PAGES
        .iter()
        .map(|(_, path)| {
            // The listed values stand where the router has parameters.
            let routes = router.lines().filter_map(|l| l.trim().strip_prefix(".route(\"")?.split('"').next());
            routes
                .map(shape)
                .find(|route| {
                    let (r, p): (Vec<&str>, Vec<&str>) = (route.split('/').collect(), path.split('/').collect());
                    r.len() == p.len() && r.iter().zip(&p).all(|(a, b)| *a == "*" || a == b)
                })
                .unwrap_or_else(|| panic!("{path} is listed but no page route has its shape"))
        })
        .collect();
    for line in router.lines() {
        let Some(route) = line.trim().strip_prefix(".route(\"").and_then(|r| r.split('"').next()) else { continue };
        assert!(
            OPEN_PAGES.contains(&route) || listed.contains(&shape(route)),
            "page route {route} is not in PAGES: add it so the stranger test covers it"
        );
    }
}

/// A plausible value for a path parameter, so the request reaches the handler's extractors.
fn fill(path: &str) -> String {
    path.replace("{tenant}", "acme")
        .replace("{run_id}", "0190a0b0-0000-7000-8000-000000000000")
        .replace("{id}", "1")
        .replace("{table}", "product_master")
        .replace("{username}", "ada")
}

/// Each way of presenting a credential: `(description, Authorization header, Cookie header)`.
fn credentials(forged: &forged::Forged) -> Vec<(String, Option<String>, Option<String>)> {
    let mut ways = vec![("no credentials".to_string(), None, None)];
    for (name, token) in forged.all() {
        ways.push((format!("{name} bearer token"), Some(format!("Bearer {token}")), None));
        ways.push((format!("{name} session cookie"), None, Some(format!("lading_session={token}"))));
    }
    ways
}

fn operations(doc: &Value) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            // An operation that declares `security: [{}]` may be called without a session.
            let public =
                operation["security"].as_array().is_some_and(|s| s.iter().any(|r| r == &serde_json::json!({})));
            out.push((method.clone(), path.clone(), public));
        }
    }
    out
}

#[tokio::test]
async fn no_route_answers_without_a_valid_session() {
    let server = TestServer::start().await;
    let client = TestServer::client();
    let doc: Value = client.get(server.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let forged = forged::tokens(&server).await;
    let ways = credentials(&forged);

    let operations = operations(&doc);
    assert!(operations.len() >= 20, "the document lists the API: {operations:?}");
    let public: BTreeSet<(&str, &str)> =
        operations.iter().filter(|o| o.2).map(|(m, p, _)| (m.as_str(), p.as_str())).collect();
    assert_eq!(public, PUBLIC.into_iter().collect(), "only sign-in and the probes are public");

    let mut failures = Vec::new();
    for (method, path, public) in &operations {
        if *public {
            continue;
        }
        let documented = &doc["paths"][path][method]["responses"]["401"];
        if documented.is_null() {
            failures.push(format!("{method} {path}: the document does not list its 401 answer"));
        }
        let url = server.url(&fill(path));
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        for (way, authorization, cookie) in &ways {
            let mut request = client.request(method.clone(), &url);
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            if let Some(value) = cookie {
                request = request.header("cookie", value);
            }
            if method != Method::GET && method != Method::DELETE {
                // A body the handler would accept were it reached: the session must be checked
                // before anything else.
                request = request.header("content-type", "application/json").body("{}");
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let well_formed = body.as_object().is_some_and(|o| o.len() == 2)
                && body["code"].as_str().is_some_and(|c| !c.is_empty())
                && body["message"].as_str().is_some_and(|m| !m.is_empty());
            if status != 401 || !well_formed {
                failures.push(format!("{method} {path} with {way}: {status} {body}"));
            }
        }
    }

    for (method, page) in PAGES {
        for (way, authorization, cookie) in &ways {
            let mut request = match method {
                "post" => client
                    .post(server.url(page))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("csrf=0&role=admin&record_key=k&username=eve&password=long+enough+pass"),
                _ => client.get(server.url(page)),
            };
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            if let Some(value) = cookie {
                request = request.header("cookie", value);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let location = response.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_string();
            if !(status == 303 && location.starts_with("/login")) {
                failures.push(format!("page {method} {page} with {way}: {status} to {location:?}"));
            }
        }
    }
    // Metrics are for a session or the scrape token: a JSON 401, not a redirect.
    for (way, authorization, cookie) in &ways {
        let mut request = client.get(server.url("/metrics"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        if let Some(value) = cookie {
            request = request.header("cookie", value);
        }
        let status = request.send().await.unwrap().status().as_u16();
        if status != 401 {
            failures.push(format!("/metrics with {way}: {status}"));
        }
    }
    assert!(failures.is_empty(), "routes that do not refuse a stranger:\n{}", failures.join("\n"));

    // The public ones answer.
    for (method, path) in PUBLIC {
        if method == "get" {
            assert_eq!(client.get(server.url(path)).send().await.unwrap().status(), 200, "{path}");
        }
    }
    assert_eq!(client.get(server.url("/api/openapi.json")).send().await.unwrap().status(), 200);
    server.stop().await;
}
