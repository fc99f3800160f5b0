//! The REST API against a real server, route by route: the happy path over data made by real
//! runs against the simulators, and the bad input each route must refuse with `{code, message}`.

mod common;
#[path = "common/forged.rs"]
mod forged;
#[path = "common/seed.rs"]
mod seed;

use common::{ADMIN, OPERATOR, TestServer};
use lading_server::ServerSettings;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// A server with a signed-in admin and operator.
struct Api {
    server: TestServer,
    admin: String,
    operator: String,
    client: reqwest::Client,
}

/// One answer: status and JSON body (Null when the body is not JSON).
struct Answer {
    status: u16,
    body: Value,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Api {
    async fn start() -> Api {
        Api::over(TestServer::start().await).await
    }

    async fn over(server: TestServer) -> Api {
        let admin = server.token(ADMIN).await;
        let operator = server.token(OPERATOR).await;
        Api { server, admin, operator, client: TestServer::client() }
    }

    async fn send(&self, method: Method, token: &str, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.client.request(method, self.server.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        read_answer(request.send().await.unwrap()).await
    }

    async fn get(&self, token: &str, path: &str) -> Answer {
        self.send(Method::GET, token, path, None).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Answer {
        self.send(Method::POST, token, path, Some(body)).await
    }

    async fn upload(&self, token: &str, path: &str, csv: &str) -> Answer {
        let request = self
            .client
            .post(self.server.url(path))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv.to_string());
        read_answer(request.send().await.unwrap()).await
    }

    /// Asserts an error answer: the status, the code, a message free of internals.
    fn refused(&self, answer: &Answer, status: u16, code: &str) {
        assert_eq!(answer.status, status, "{}", answer.text);
        assert_eq!(answer.body["code"], code, "{}", answer.text);
        let message = answer.body["message"].as_str().unwrap_or_else(|| panic!("a message: {}", answer.text));
        assert!(!message.is_empty());
        let dir = self.server.dir.path().display().to_string();
        for internal in [dir.as_str(), "state.db", "sqlite", "SELECT", "panicked", "src/"] {
            assert!(!message.contains(internal), "{internal:?} in {message:?}");
        }
        assert_eq!(answer.body.as_object().unwrap().len(), 2, "only code and message: {}", answer.text);
    }
}

async fn read_answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { status, body, headers, text }
}

fn tenant_json(tenant: &str) -> Value {
    seed::tenant_config(tenant, "http://127.0.0.1:9", "http://127.0.0.1:9")
}

/// Polls a run until it has finished.
async fn finished(api: &Api, run_id: &str) -> Value {
    for _ in 0..300 {
        let detail = api.get(&api.operator, &format!("/api/runs/{run_id}")).await;
        assert_eq!(detail.status, 200, "{}", detail.text);
        if matches!(detail.body["run"]["status"].as_str(), Some("succeeded" | "failed")) {
            return detail.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("run {run_id} did not finish in 30 s");
}

#[tokio::test]
async fn admins_add_replace_disable_and_read_tenants() {
    let api = Api::start().await;
    let added = api.post(&api.admin, "/api/tenants", tenant_json("acme")).await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.body["tenant_id"], "acme");
    assert_eq!(added.body["sync"]["enabled"], true);
    assert_eq!(added.body["sync"]["batch_size"], 100, "defaults are filled in");

    let again = api.post(&api.admin, "/api/tenants", tenant_json("acme")).await;
    api.refused(&again, 409, "conflict");

    let listed = api.get(&api.operator, "/api/tenants").await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["tenants"].as_array().unwrap().len(), 1);
    let one = api.get(&api.operator, "/api/tenants/acme").await;
    assert_eq!(one.body["sync"]["mapping_key"], "field-mappings-kong.json");

    let mut changed = tenant_json("acme");
    changed["batch_size"] = json!(50);
    let replaced = api.send(Method::PUT, &api.admin, "/api/tenants/acme", Some(changed.clone())).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.body["sync"]["batch_size"], 50);
    let other = api.send(Method::PUT, &api.admin, "/api/tenants/globex", Some(changed.clone())).await;
    api.refused(&other, 400, "bad_request");
    let missing = api.send(Method::PUT, &api.admin, "/api/tenants/globex", Some(tenant_json("globex"))).await;
    api.refused(&missing, 404, "not_found");

    let disabled = api.send(Method::PATCH, &api.admin, "/api/tenants/acme", Some(json!({"enabled": false}))).await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    assert_eq!(disabled.body["sync"]["enabled"], false);
    let run = api.post(&api.operator, "/api/runs", json!({"tenant": "acme", "pipeline": "product-sync"})).await;
    api.refused(&run, 409, "conflict");
    assert!(run.body["message"].as_str().unwrap().contains("PATCH /api/tenants/acme"), "{}", run.text);

    // Operators read but do not write.
    let denied = api.post(&api.operator, "/api/tenants", tenant_json("globex")).await;
    api.refused(&denied, 403, "forbidden");
    let denied = api.send(Method::PATCH, &api.operator, "/api/tenants/acme", Some(json!({"enabled": true}))).await;
    api.refused(&denied, 403, "forbidden");
    api.server.stop().await;
}

#[tokio::test]
async fn a_tenant_config_is_checked_like_the_command_line_checks_it() {
    let api = Api::start().await;
    // Every problem at once, each naming its field.
    let mut invalid = tenant_json("ACME");
    invalid["source"]["base_url"] = json!("ftp://nowhere");
    invalid["batch_size"] = json!(500);
    let answer = api.post(&api.admin, "/api/tenants", invalid).await;
    api.refused(&answer, 422, "invalid_config");
    let message = answer.body["message"].as_str().unwrap();
    for field in ["tenant_id", "source.base_url", "batch_size"] {
        assert!(message.contains(field), "{field} in {message}");
    }
    let mut unknown_mapping = tenant_json("acme");
    unknown_mapping["mapping_key"] = json!("field-mappings-nope.json");
    let answer = api.post(&api.admin, "/api/tenants", unknown_mapping).await;
    api.refused(&answer, 422, "invalid_config");
    assert!(answer.body["message"].as_str().unwrap().contains("field-mappings-nope.json"), "{}", answer.text);
    let mut path_mapping = tenant_json("acme");
    path_mapping["mapping_key"] = json!("../../keys/field-mappings.json");
    let answer = api.post(&api.admin, "/api/tenants", path_mapping).await;
    api.refused(&answer, 422, "invalid_config");
    let mut no_adapter = tenant_json("acme");
    no_adapter["product_type"] = json!("shopify");
    let answer = api.post(&api.admin, "/api/tenants", no_adapter).await;
    assert!(answer.body["message"].as_str().unwrap().contains("product_type"), "{}", answer.text);

    // Bodies that do not read name the field.
    let mut unknown_field = tenant_json("acme");
    unknown_field["colour"] = json!("blue");
    let answer = api.post(&api.admin, "/api/tenants", unknown_field).await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert!(answer.body["message"].as_str().unwrap().contains("colour"), "{}", answer.text);
    let mut wrong_type = tenant_json("acme");
    wrong_type["version"] = json!("one");
    let answer = api.post(&api.admin, "/api/tenants", wrong_type).await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert!(answer.body["message"].as_str().unwrap().contains("version"), "{}", answer.text);
    let not_json = api
        .client
        .post(api.server.url("/api/tenants"))
        .bearer_auth(&api.admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let not_json =
        api.client.post(api.server.url("/api/tenants")).bearer_auth(&api.admin).body("version=1").send().await.unwrap();
    let refused = read_answer(not_json).await;
    api.refused(&refused, 415, "unsupported_media_type");

    // Unknown and malformed tenants.
    api.refused(&api.get(&api.operator, "/api/tenants/nobody").await, 404, "not_found");
    api.refused(&api.get(&api.operator, "/api/tenants/NOT%20A%20TENANT").await, 400, "bad_request");
    let patch = api.send(Method::PATCH, &api.admin, "/api/tenants/nobody", Some(json!({"enabled": true}))).await;
    api.refused(&patch, 404, "not_found");
    let patch = api.send(Method::PATCH, &api.admin, "/api/tenants/nobody", Some(json!({"enabled": "yes"}))).await;
    assert_eq!(patch.status, 422, "{}", patch.text);
    api.server.stop().await;
}

#[tokio::test]
async fn runs_are_listed_read_and_triggered() {
    let api = Api::start().await;
    let sync = seed::product_sync(&api.server.engine, 60).await;

    let listed = api.get(&api.operator, "/api/runs").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["runs"][0]["run_id"], sync.run.run_id.as_str());
    assert!(listed.body["next_before"].is_null());
    for filter in ["tenant=t1", "status=succeeded", "pipeline=product-sync", "since=2020-01-01", "limit=1"] {
        let page = api.get(&api.operator, &format!("/api/runs?{filter}")).await;
        assert_eq!(page.status, 200, "{filter}: {}", page.text);
        assert_eq!(page.body["runs"].as_array().unwrap().len(), 1, "{filter}");
    }
    let page = api.get(&api.operator, "/api/runs?limit=1").await;
    assert_eq!(page.body["next_before"], page.body["runs"][0]["started_at"]);
    let none = api.get(&api.operator, "/api/runs?status=failed").await;
    assert!(none.body["runs"].as_array().unwrap().is_empty());
    for (filter, word) in [
        ("status=sleeping", "status"),
        ("since=yesterday", "since"),
        ("before=2026-13-45", "before"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("tenant=Not%20A%20Tenant", "tenant"),
    ] {
        let bad = api.get(&api.operator, &format!("/api/runs?{filter}")).await;
        api.refused(&bad, 400, "bad_request");
        assert!(bad.body["message"].as_str().unwrap().contains(word), "{filter}: {}", bad.text);
    }
    let bad = api.get(&api.operator, "/api/runs?limit=many").await;
    api.refused(&bad, 400, "bad_request");
    api.refused(&api.get(&api.operator, "/api/runs?tenant=nobody").await, 404, "not_found");

    let detail = api.get(&api.operator, &format!("/api/runs/{}", sync.run.run_id)).await;
    assert_eq!(detail.status, 200, "{}", detail.text);
    let steps: Vec<&str> =
        detail.body["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(steps, ["extract", "transform", "load", "report"]);
    assert_eq!(detail.body["quarantined"].as_array().unwrap().len() as u64, sync.run.counters.quarantined);
    assert_eq!(detail.body["dead_letters"].as_array().unwrap().len(), 2);
    api.refused(&api.get(&api.operator, "/api/runs/0190a0b0-0000-7000-8000-000000000000").await, 404, "not_found");
    api.refused(&api.get(&api.operator, "/api/runs/not%20an%20id").await, 400, "bad_request");

    // An operator starts a run: the answer comes at once, the run goes on in the background.
    let started = api.post(&api.operator, "/api/runs", json!({"tenant": "t1", "pipeline": "product-sync"})).await;
    assert_eq!(started.status, 202, "{}", started.text);
    assert_eq!(started.body["status"], "running");
    assert_eq!(started.body["trigger"], "api:ada");
    let run_id = started.body["run_id"].as_str().unwrap().to_string();
    let done = finished(&api, &run_id).await;
    assert_eq!(done["run"]["status"], "succeeded", "{done}");
    assert_eq!(done["run"]["counters"]["created"], 2, "the two refused records go again: {done}");

    for (body, status, code) in [
        (json!({"tenant": "nobody", "pipeline": "product-sync"}), 404, "not_found"),
        (json!({"tenant": "t1", "pipeline": "product-sync", "run_date": "2026-07-01"}), 400, "bad_request"),
        (json!({"tenant": "t1", "pipeline": "ior-daily", "full": true}), 400, "bad_request"),
        (json!({"tenant": "t1", "pipeline": "ior-daily"}), 409, "tenant_not_ready"),
        (json!({"tenant": "t1", "pipeline": "nightly"}), 422, "bad_request"),
        (json!({"tenant": "t1", "pipeline": "ior-daily", "run_date": "July 1st"}), 422, "bad_request"),
    ] {
        let refused = api.post(&api.operator, "/api/runs", body.clone()).await;
        api.refused(&refused, status, code);
    }
    drop(sync);
    api.server.stop().await;
}

#[tokio::test]
async fn quarantined_records_and_dead_letters_are_listed_and_replayed() {
    let api = Api::start().await;
    let sync = seed::product_sync(&api.server.engine, 60).await;

    let quarantine = api.get(&api.operator, "/api/quarantine?tenant=t1").await;
    assert_eq!(quarantine.status, 200, "{}", quarantine.text);
    let entries = quarantine.body["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len() as u64, sync.run.counters.quarantined);
    assert!(entries.iter().all(|e| !e["reasons"].as_array().unwrap().is_empty()));
    let by_run = api.get(&api.operator, &format!("/api/quarantine?run={}&limit=1", sync.run.run_id)).await;
    assert_eq!(by_run.body["entries"].as_array().unwrap().len(), 1);
    api.refused(&api.get(&api.operator, "/api/quarantine?tenant=nobody").await, 404, "not_found");
    api.refused(&api.get(&api.operator, "/api/quarantine?run=a%20b").await, 400, "bad_request");

    let letters = api.get(&api.operator, "/api/dead-letters?tenant=t1").await;
    assert_eq!(letters.status, 200, "{}", letters.text);
    let letters = letters.body["dead_letters"].as_array().unwrap().clone();
    let mut keys: Vec<String> = letters.iter().map(|l| l["record_key"].as_str().unwrap().to_string()).collect();
    keys.sort();
    let mut dead = sync.dead.clone();
    dead.sort();
    assert_eq!(keys, dead);
    api.refused(&api.get(&api.operator, "/api/dead-letters?limit=-1").await, 400, "bad_request");

    // Kong takes the record now: the replay delivers it, and a second one is refused.
    let id = letters[0]["id"].as_i64().unwrap();
    let replayed = api.post(&api.operator, &format!("/api/dead-letters/{id}/replay"), json!({})).await;
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    assert_eq!(replayed.body["delivered"], true, "{}", replayed.text);
    assert_eq!(replayed.body["id"], id);
    let again = api.post(&api.operator, &format!("/api/dead-letters/{id}/replay"), json!({})).await;
    api.refused(&again, 409, "already_replayed");
    api.refused(&api.post(&api.operator, "/api/dead-letters/999999/replay", json!({})).await, 404, "not_found");
    api.refused(&api.post(&api.operator, "/api/dead-letters/abc/replay", json!({})).await, 400, "bad_request");

    // A quarantined record is still invalid under the same mapping: replayed, not delivered.
    let entry = &entries[0];
    let body = json!({"run_id": entry["run_id"], "record_key": entry["record_key"]});
    let replayed = api.post(&api.operator, "/api/quarantine/replay", body).await;
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    assert_eq!(replayed.body["delivered"], false, "{}", replayed.text);
    let body = json!({"run_id": sync.run.run_id, "record_key": "no-such-record"});
    api.refused(&api.post(&api.operator, "/api/quarantine/replay", body).await, 404, "not_found");
    let body = json!({"run_id": "../etc", "record_key": "x"});
    api.refused(&api.post(&api.operator, "/api/quarantine/replay", body).await, 400, "bad_request");
    let body = json!({"run": "x"});
    assert_eq!(api.post(&api.operator, "/api/quarantine/replay", body).await.status, 422);
    drop(sync);
    api.server.stop().await;
}

#[tokio::test]
async fn customs_lines_come_as_pages_or_csv_and_compare_with_sap() {
    let api = Api::start().await;
    let ior = seed::ior_daily(&api.server.engine).await;

    let page = api.get(&api.operator, "/api/customs-lines?tenant=ergo&limit=5").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let total = page.body["total"].as_u64().unwrap();
    assert_eq!(total, ior.run.counters.created);
    assert_eq!((page.body["tenant"].as_str(), page.body["limit"].as_u64()), (Some("ergo"), Some(5)));
    let lines = page.body["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 5);
    assert!(lines[0]["tariffs"].is_array(), "the Chapter 99 stack of each line");
    let entry = lines[0]["entry_number"].as_str().unwrap().to_string();
    let date = lines[0]["entry_date"].as_str().unwrap().to_string();
    let one_entry = api.get(&api.operator, &format!("/api/customs-lines?entry={entry}&limit=1000")).await;
    let entry_lines = one_entry.body["lines"].as_array().unwrap();
    assert!(!entry_lines.is_empty() && entry_lines.iter().all(|l| l["entry_number"] == entry.as_str()));
    let next = api.get(&api.operator, "/api/customs-lines?offset=5&limit=5").await;
    assert_ne!(next.body["lines"][0], lines[0]);

    let csv = api.client.get(api.server.url("/api/customs-lines?tenant=ergo&format=csv")).bearer_auth(&api.operator);
    let csv = read_answer(csv.send().await.unwrap()).await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(csv.headers["content-disposition"], "attachment; filename=\"customs-lines-ergo.csv\"");
    let rows = csv.text.lines().count() as u64;
    assert!(rows > total, "a header and at least a row per line: {rows} rows for {total} lines");
    let accepted = api
        .client
        .get(api.server.url(&format!("/api/customs-lines?entry={entry}")))
        .bearer_auth(&api.operator)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    let accepted = read_answer(accepted).await;
    assert!(accepted.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(accepted.text.lines().skip(1).all(|row| row.contains(&entry)), "{}", accepted.text);

    for (query, status, code) in [
        ("tenant=nobody", 404, "not_found"),
        ("from=2026-02-30", 400, "bad_request"),
        ("from=2026-03-01&to=2026-02-01", 400, "bad_request"),
        ("limit=0", 400, "bad_request"),
        ("offset=-3", 400, "bad_request"),
        ("format=xml", 400, "bad_request"),
    ] {
        let refused = api.get(&api.operator, &format!("/api/customs-lines?{query}")).await;
        api.refused(&refused, status, code);
    }

    // The daily run's comparison, listed and read.
    let reports = api.get(&api.operator, "/api/comparisons?tenant=ergo").await;
    assert_eq!(reports.status, 200, "{}", reports.text);
    assert_eq!(reports.body["reports"].as_array().unwrap().len(), 1);
    assert_eq!(reports.body["reports"][0]["run_id"], ior.run.run_id.as_str());
    assert_eq!(reports.body["reports"][0]["failed"], true, "the simulator plants discrepancies");
    let report = api.get(&api.operator, &format!("/api/comparisons/ergo/{}", ior.run.run_id)).await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert!(!report.body["report"]["entries"].as_array().unwrap().is_empty());
    api.refused(&api.get(&api.operator, "/api/comparisons/ergo/adhoc-none").await, 404, "not_found");
    api.refused(&api.get(&api.operator, "/api/comparisons/nobody/x").await, 404, "not_found");
    api.refused(&api.get(&api.operator, "/api/comparisons/ergo/a%20b").await, 400, "bad_request");
    api.refused(&api.get(&api.operator, "/api/comparisons?tenant=nobody").await, 404, "not_found");

    // An ad-hoc comparison of one entry, then of a date range; both kept with the daily one.
    let compared = api.post(&api.operator, "/api/compare", json!({"tenant": "ergo", "entry": entry})).await;
    assert_eq!(compared.status, 200, "{}", compared.text);
    assert!(compared.body["summary"]["run_id"].as_str().unwrap().starts_with("adhoc-"));
    let entries = compared.body["report"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["entry_number"], entry.as_str());
    let ranged = api.post(&api.operator, "/api/compare", json!({"tenant": "ergo", "from": date, "to": date})).await;
    assert_eq!(ranged.status, 200, "{}", ranged.text);
    let adhoc = ranged.body["summary"]["run_id"].as_str().unwrap().to_string();
    let stored = api.get(&api.operator, &format!("/api/comparisons/ergo/{adhoc}")).await;
    assert_eq!(stored.status, 200, "{}", stored.text);
    assert_eq!(stored.body["report"], ranged.body["report"]);
    let reports = api.get(&api.operator, "/api/comparisons").await;
    assert_eq!(reports.body["reports"].as_array().unwrap().len(), 3);

    for (body, status, code) in [
        (json!({"tenant": "ergo"}), 400, "bad_request"),
        (json!({"tenant": "ergo", "entry": entry, "from": date}), 400, "bad_request"),
        (json!({"tenant": "ergo", "from": "2026-03-01", "to": "2026-02-01"}), 400, "bad_request"),
        (json!({"tenant": "ergo", "entry": "NO-SUCH-ENTRY"}), 404, "not_found"),
        (json!({"tenant": "nobody", "entry": entry}), 404, "not_found"),
        (json!({"tenant": "ergo", "from": "01/02/2026"}), 422, "bad_request"),
    ] {
        let refused = api.post(&api.operator, "/api/compare", body.clone()).await;
        api.refused(&refused, status, code);
    }
    drop(ior);
    api.server.stop().await;
}

#[tokio::test]
async fn admins_upload_importer_csvs_and_malformed_ones_name_row_and_column() {
    let api = Api::start().await;
    let ior = seed::ior_daily(&api.server.engine).await;
    let csvs: std::collections::BTreeMap<String, String> = ior.sap.dataset().importer_csvs().into_iter().collect();

    let path = "/api/uploads/packaging_materials?tenant=ergo";
    let loaded = api.upload(&api.admin, path, &csvs["Packaging_Material.csv"]).await;
    assert_eq!(loaded.status, 200, "{}", loaded.text);
    assert_eq!(loaded.body["table"], "packaging_materials");
    assert!(loaded.body["records"].as_u64().unwrap() > 0);
    assert_eq!(loaded.body["rows_written"], loaded.body["records"]);
    let run = api.get(&api.operator, &format!("/api/runs/{}", loaded.body["run_id"].as_str().unwrap())).await;
    assert_eq!(run.body["run"]["pipeline"], "ior-upload");

    let malformed =
        "Material,Packaging Type,KG per Unit,Units per Pack\r\n300101,CARTON,3.2,1\r\n300102,PALLET,1.25\r\n";
    let refused = api.upload(&api.admin, path, malformed).await;
    api.refused(&refused, 422, "invalid_csv");
    let message = refused.body["message"].as_str().unwrap();
    assert!(message.contains("row 3, column 4"), "{message}");
    let refused =
        api.upload(&api.admin, "/api/uploads/product_master?tenant=ergo", "Material,HTS\r\n1,9403.20.00.35\r\n").await;
    api.refused(&refused, 422, "invalid_csv");
    assert!(refused.body["message"].as_str().unwrap().contains("column origin"), "{}", refused.text);
    api.refused(&api.upload(&api.admin, path, "").await, 422, "invalid_csv");

    api.refused(&api.upload(&api.operator, path, malformed).await, 403, "forbidden");
    api.refused(&api.upload(&api.admin, "/api/uploads/salaries?tenant=ergo", malformed).await, 404, "not_found");
    api.refused(
        &api.upload(&api.admin, "/api/uploads/packaging_materials?tenant=nobody", malformed).await,
        404,
        "not_found",
    );
    api.refused(&api.upload(&api.admin, "/api/uploads/packaging_materials", malformed).await, 400, "bad_request");
    let json_body = api.post(&api.admin, path, json!({"rows": []})).await;
    api.refused(&json_body, 415, "unsupported_media_type");
    drop(ior);
    api.server.stop().await;
}

#[tokio::test]
async fn admins_manage_users_and_the_last_admin_stays() {
    let api = Api::start().await;
    let listed = api.get(&api.admin, "/api/users").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let names: Vec<&str> =
        listed.body["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["ada", "root"]);
    assert!(!listed.text.contains("argon2"), "no password hash is shown");

    let body = json!({"username": "grace", "role": "operator", "password": "a long enough secret"});
    let added = api.post(&api.admin, "/api/users", body.clone()).await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!((added.body["role"].as_str(), added.body["enabled"].as_bool()), (Some("operator"), Some(true)));
    api.refused(&api.post(&api.admin, "/api/users", body).await, 409, "conflict");
    let grace = api.server.token(("grace", "a long enough secret")).await;
    assert_eq!(api.get(&grace, "/api/runs").await.status, 200);
    api.refused(&api.get(&grace, "/api/users").await, 403, "forbidden");

    let promoted = api.send(Method::PATCH, &api.admin, "/api/users/grace", Some(json!({"role": "admin"}))).await;
    assert_eq!(promoted.body["role"], "admin", "{}", promoted.text);
    assert_eq!(api.get(&grace, "/api/users").await.status, 200, "a new role counts at once");
    let disabled = api.send(Method::PATCH, &api.admin, "/api/users/grace", Some(json!({"enabled": false}))).await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    api.refused(&api.get(&grace, "/api/runs").await, 401, "unauthenticated");
    assert_eq!(api.send(Method::DELETE, &api.admin, "/api/users/grace", None).await.status, 204);

    for (body, word) in [
        (json!({"username": "bad name", "role": "operator", "password": "a long enough secret"}), "username"),
        (json!({"username": "linus", "role": "operator", "password": "short"}), "12"),
    ] {
        let refused = api.post(&api.admin, "/api/users", body).await;
        api.refused(&refused, 400, "bad_request");
        assert!(refused.body["message"].as_str().unwrap().contains(word), "{}", refused.text);
    }
    let refused =
        api.post(&api.admin, "/api/users", json!({"username": "linus", "role": "owner", "password": "x"})).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    let demote = api.send(Method::PATCH, &api.admin, "/api/users/root", Some(json!({"role": "operator"}))).await;
    api.refused(&demote, 409, "last_admin");
    api.refused(&api.send(Method::DELETE, &api.admin, "/api/users/root", None).await, 409, "last_admin");
    api.refused(&api.send(Method::DELETE, &api.admin, "/api/users/nobody", None).await, 404, "not_found");
    api.refused(&api.send(Method::DELETE, &api.admin, "/api/users/no%20body", None).await, 400, "bad_request");
    let patch = api.send(Method::PATCH, &api.admin, "/api/users/nobody", Some(json!({"enabled": true}))).await;
    api.refused(&patch, 404, "not_found");
    api.refused(&api.send(Method::DELETE, &api.operator, "/api/users/ada", None).await, 403, "forbidden");
    api.server.stop().await;
}

#[tokio::test]
async fn bad_tokens_wrong_roles_big_bodies_and_unknown_routes_get_json_errors() {
    let settings = ServerSettings { scheduler: false, max_body_bytes: 4096, ..ServerSettings::default() };
    let api = Api::over(TestServer::with_settings(settings).await).await;
    let forged = forged::tokens(&api.server).await;
    for (name, token) in forged.all() {
        let refused = api.get(token, "/api/users").await;
        let code = if name == "expired" { "token_expired" } else { "invalid_token" };
        api.refused(&refused, 401, code);
    }
    let refused = api.get("", "/api/users").await;
    assert_eq!(refused.status, 401, "{}", refused.text);
    let basic = api.client.get(api.server.url("/api/users")).basic_auth("root", Some(ADMIN.1)).send().await.unwrap();
    api.refused(&read_answer(basic).await, 401, "unauthenticated");

    api.refused(&api.get(&api.operator, "/api/users").await, 403, "forbidden");
    let big = "Material,Packaging Type,KG per Unit,Units per Pack\r\n".to_string() + &"1,CARTON,1,1\r\n".repeat(1000);
    api.refused(&api.upload(&api.admin, "/api/uploads/packaging_materials?tenant=t1", &big).await, 413, "too_large");
    let big_json = json!({"tenant": "x".repeat(10_000), "pipeline": "product-sync"});
    api.refused(&api.post(&api.operator, "/api/runs", big_json).await, 413, "too_large");

    api.refused(&api.get(&api.operator, "/api/nothing-here").await, 404, "not_found");
    let wrong_method = api.send(Method::DELETE, &api.admin, "/api/runs", None).await;
    api.refused(&wrong_method, 405, "method_not_allowed");
    api.server.stop().await;
}
