//! Kong: token login, tenant isolation, bulk upserts with per-item results, idempotency keys,
//! duplicate handling of single creates and list pagination.

use lading_sim::faults::{DuplicateMode, Faults};
use lading_sim::kong::{self, KongAccount, KongConfig, KongSim};
use serde_json::{Value, json};

use crate::support::{any_port, client, status_and_json};

async fn start() -> KongSim {
    kong::start(
        KongConfig {
            seed: 1,
            accounts: vec![
                KongAccount::new("alpha", "alpha-pass", "101"),
                KongAccount::new("beta", "beta-pass", "202"),
            ],
            faults: Faults::default(),
        },
        any_port(),
    )
    .await
    .expect("kong starts")
}

async fn login(client: &reqwest::Client, sim: &KongSim, username: &str, password: &str) -> (u16, Value) {
    let response = client
        .post(format!("{}/auth/token/login/", sim.base_url()))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("kong answers");
    status_and_json(response).await
}

async fn token(client: &reqwest::Client, sim: &KongSim, username: &str) -> String {
    let (status, body) = login(client, sim, username, &format!("{username}-pass")).await;
    assert_eq!(status, 200, "{body}");
    body["auth_token"].as_str().unwrap_or_default().to_string()
}

fn item(external_id: &str, name: &str) -> Value {
    json!({"external_id": external_id, "name": name, "product_id": external_id,
           "reference": format!("REF-{external_id}"), "barcode": "7705751519063",
           "ean": "7705751519063", "rfid_tag_id": null, "properties": {"COLOR": "GRIS"}})
}

async fn bulk(
    client: &reqwest::Client,
    sim: &KongSim,
    token: &str,
    key: Option<&str>,
    items: &[Value],
) -> (u16, String) {
    let mut request = client
        .post(format!("{}/inventory/skus/bulk/", sim.base_url()))
        .header("Authorization", format!("Token {token}"))
        .json(&json!({ "items": items }));
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.expect("kong answers");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

fn statuses(body: &str) -> Vec<String> {
    let body: Value = serde_json::from_str(body).unwrap_or_default();
    body["results"]
        .as_array()
        .map(|results| {
            results
                .iter()
                .map(|result| {
                    let status = result["status"].as_str().unwrap_or_default();
                    match result["code"].as_str() {
                        Some(code) => format!("{status}:{code}"),
                        None => status.to_string(),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn login_and_token_checks() {
    let sim = start().await;
    let client = client();
    let (status, body) = login(&client, &sim, "alpha", "nope").await;
    assert_eq!(status, 400);
    assert_eq!(body, json!({"non_field_errors": ["Unable to log in with provided credentials."]}));
    let skus = format!("{}/inventory/skus/", sim.base_url());
    let (status, body) = status_and_json(client.get(&skus).send().await.expect("answer")).await;
    assert_eq!((status, body), (401, json!({"detail": "Invalid token."})));
    let (status, _) =
        status_and_json(client.get(&skus).header("Authorization", "Token forged").send().await.expect("answer")).await;
    assert_eq!(status, 401);
    let token = token(&client, &sim, "alpha").await;
    let (status, body) = status_and_json(
        client.get(&skus).header("Authorization", format!("Token {token}")).send().await.expect("answer"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"count": 0, "next": null, "previous": null, "results": []}));
    assert_eq!(sim.credentials_seen(), ["alpha"]);
    assert_eq!(sim.stats("alpha").logins, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn bulk_rejects_more_than_a_hundred_items() {
    let sim = start().await;
    let client = client();
    let token = token(&client, &sim, "alpha").await;
    let items: Vec<Value> = (0..101).map(|index| item(&index.to_string(), "X")).collect();
    let (status, _) = bulk(&client, &sim, &token, Some("k-101"), &items).await;
    assert_eq!(status, 400);
    assert!(sim.skus("alpha").is_empty());
    let (status, _) = bulk(&client, &sim, &token, Some("k-100"), &items[..100]).await;
    assert_eq!(status, 200);
    assert_eq!(sim.skus("alpha").len(), 100);
    sim.shutdown().await;
}

#[tokio::test]
async fn bulk_upserts_and_reports_each_item() {
    let sim = start().await;
    let client = client();
    let token = token(&client, &sim, "alpha").await;
    sim.set_faults(Faults {
        fail_items: vec!["BAD".into()],
        transient_fail_items: vec!["SLOW".into()],
        transient_failures: 1,
        ..Faults::default()
    });
    let invalid_ean = json!({"external_id": "E1", "name": "X", "ean": "1234567890123"});
    let first = [item("A", "Uno"), item("B", "Dos"), invalid_ean, item("BAD", "X"), item("SLOW", "X")];
    let (status, body) = bulk(&client, &sim, &token, Some("k1"), &first).await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(statuses(&body), ["created", "created", "error:invalid", "error:invalid", "error:unavailable"]);
    let parsed: Value = serde_json::from_str(&body).unwrap_or_default();
    assert_eq!(parsed["results"][2]["index"], 2);
    assert!(parsed["results"][2]["errors"]["ean"].is_array());
    assert!(parsed["results"][0]["id"].is_u64());

    let second = [item("A", "Uno"), item("B", "Dos cambiado"), item("SLOW", "X")];
    let (status, body) = bulk(&client, &sim, &token, Some("k2"), &second).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(statuses(&body), ["unchanged", "updated", "created"]);

    let stats = sim.stats("alpha");
    assert_eq!((stats.creates, stats.updates, stats.unchanged), (3, 1, 1));
    assert_eq!((stats.bulk_requests, stats.items_received), (2, 8));
    let stored = sim.skus("alpha");
    let b = stored.iter().find(|sku| sku["external_id"] == "B").cloned().unwrap_or_default();
    assert_eq!(b["name"], "Dos cambiado");
    assert_eq!(b["customer_id"], "101");
    assert_eq!(b["properties"], json!({"COLOR": "GRIS"}));
    for field in ["id", "reference", "product_id", "barcode", "ean", "rfid_tag_id", "created_at", "updated_at"] {
        assert!(b.get(field).is_some(), "{field}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn an_idempotency_key_replays_and_refuses_a_different_body() {
    let sim = start().await;
    let client = client();
    let token = token(&client, &sim, "alpha").await;
    let items = [item("A", "Uno"), item("B", "Dos")];
    let first = bulk(&client, &sim, &token, Some("batch-1"), &items).await;
    let replay = bulk(&client, &sim, &token, Some("batch-1"), &items).await;
    assert_eq!(first, replay);
    assert_eq!(statuses(&replay.1), ["created", "created"]);
    let stats = sim.stats("alpha");
    assert_eq!((stats.creates, stats.replays, stats.bulk_requests), (2, 1, 1));
    assert_eq!(sim.create_count("alpha", "A"), 1);

    let (status, body) = bulk(&client, &sim, &token, Some("batch-1"), &[item("A", "Otro")]).await;
    assert_eq!(status, 422, "{body}");
    assert!(serde_json::from_str::<Value>(&body).unwrap_or_default()["detail"].is_string());

    // Keys belong to one account: the same key elsewhere is a new request.
    let beta = self::token(&client, &sim, "beta").await;
    let (status, body) = bulk(&client, &sim, &beta, Some("batch-1"), &[item("A", "Otro")]).await;
    assert_eq!((status, statuses(&body)), (200, vec!["created".to_string()]));
    sim.shutdown().await;
}

#[tokio::test]
async fn accounts_share_nothing() {
    let sim = start().await;
    let client = client();
    let alpha = token(&client, &sim, "alpha").await;
    let beta = token(&client, &sim, "beta").await;
    bulk(&client, &sim, &alpha, None, &[item("A", "Uno")]).await;
    let id = sim.skus("alpha")[0]["id"].clone();
    let (status, body) = status_and_json(
        client
            .get(format!("{}/inventory/skus/", sim.base_url()))
            .header("Authorization", format!("Token {beta}"))
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!((status, body["count"].clone()), (200, json!(0)));
    let patch = client
        .patch(format!("{}/inventory/skus/{id}/", sim.base_url()))
        .header("Authorization", format!("Token {beta}"))
        .json(&json!({"name": "hijacked"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(patch.status().as_u16(), 404);
    assert_eq!(sim.skus("alpha")[0]["name"], "Uno");
    sim.shutdown().await;
}

#[tokio::test]
async fn single_creates_follow_the_duplicate_mode_and_patches_apply() {
    let sim = start().await;
    let client = client();
    let token = token(&client, &sim, "alpha").await;
    let create = |body: Value| {
        client
            .post(format!("{}/inventory/skus/", sim.base_url()))
            .header("Authorization", format!("Token {token}"))
            .json(&body)
            .send()
    };
    let (status, created) = status_and_json(create(item("A", "Uno")).await.expect("answer")).await;
    assert_eq!(status, 201);
    let (status, body) = status_and_json(create(item("A", "Uno")).await.expect("answer")).await;
    assert_eq!(status, 400);
    assert_eq!(body, json!({"external_id": ["sku with this external id already exists."]}));

    sim.set_faults(Faults { duplicate_mode: DuplicateMode::Conflict409, ..Faults::default() });
    let (status, _) = status_and_json(create(item("A", "Uno")).await.expect("answer")).await;
    assert_eq!(status, 409);
    sim.set_faults(Faults { duplicate_mode: DuplicateMode::Upsert, ..Faults::default() });
    let (status, body) = status_and_json(create(item("A", "Uno bis")).await.expect("answer")).await;
    assert_eq!((status, body["name"].clone()), (200, json!("Uno bis")));
    assert_eq!(sim.create_count("alpha", "A"), 1);
    sim.set_faults(Faults { duplicate_mode: DuplicateMode::AcceptDuplicate, ..Faults::default() });
    let (status, _) = status_and_json(create(item("A", "Uno")).await.expect("answer")).await;
    assert_eq!(status, 201);
    assert_eq!(sim.create_count("alpha", "A"), 2, "a careless client is visible");

    let (status, body) = status_and_json(create(json!({"external_id": "Z"})).await.expect("answer")).await;
    assert_eq!((status, body["name"].clone()), (400, json!(["This field is required."])));

    let patch = client
        .patch(format!("{}/inventory/skus/{}/", sim.base_url(), created["id"]))
        .header("Authorization", format!("Token {token}"))
        .json(&json!({"name": "Parchado", "rfid_tag_id": "3035D6525C32B08000000025"}))
        .send()
        .await
        .expect("answer");
    let (status, body) = status_and_json(patch).await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "Parchado");
    assert_eq!(body["rfid_tag_id"], "3035D6525C32B08000000025");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_list_pages_by_a_hundred_with_absolute_links() {
    let sim = start().await;
    let client = client();
    let token = token(&client, &sim, "alpha").await;
    for chunk in 0..3 {
        let items: Vec<Value> = (0..100).map(|index| item(&format!("{chunk}-{index}"), "X")).collect();
        assert_eq!(bulk(&client, &sim, &token, None, &items).await.0, 200);
    }
    let items: Vec<Value> = (0..5).map(|index| item(&format!("3-{index}"), "X")).collect();
    bulk(&client, &sim, &token, None, &items).await;

    let mut url = format!("{}/inventory/skus/", sim.base_url());
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let (status, body) = status_and_json(
            client.get(&url).header("Authorization", format!("Token {token}")).send().await.expect("answer"),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["count"], 305);
        seen += body["results"].as_array().map_or(0, Vec::len);
        pages += 1;
        match body["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&sim.base_url()));
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!((seen, pages), (305, 4));
    let past = client
        .get(format!("{}/inventory/skus/?page=9", sim.base_url()))
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .expect("answer");
    assert_eq!(past.status().as_u16(), 404);
    let (_, one) = status_and_json(
        client
            .get(format!("{}/inventory/skus/?external_id=2-7", sim.base_url()))
            .header("Authorization", format!("Token {token}"))
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!(one["count"], 1);
    assert_eq!(one["results"][0]["external_id"], "2-7");
    sim.shutdown().await;
}

#[tokio::test]
async fn tokens_expire_after_their_uses() {
    let sim = start().await;
    let client = client();
    sim.set_faults(Faults { token_ttl_requests: Some(2), ..Faults::default() });
    let token = token(&client, &sim, "alpha").await;
    let list = || {
        client
            .get(format!("{}/inventory/skus/", sim.base_url()))
            .header("Authorization", format!("Token {token}"))
            .send()
    };
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(list().await.expect("answer").status().as_u16());
    }
    assert_eq!(seen, [200, 200, 401]);
    let fresh = self::token(&client, &sim, "alpha").await;
    assert_ne!(fresh, token);
    assert_eq!(sim.stats("alpha").logins, 2);
    sim.shutdown().await;
}
