//! WMS: JWT login and expiry, 409 on duplicate creates then PATCH by id, validation details,
//! cursor pagination and per-user stores.

use lading_sim::faults::Faults;
use lading_sim::wms::{self, WmsConfig, WmsSim, WmsUser};
use serde_json::{Value, json};

use crate::support::{any_port, client, status_and_json};

async fn start() -> WmsSim {
    wms::start(
        WmsConfig {
            seed: 2,
            users: vec![WmsUser::new("north", "north-pass"), WmsUser::new("south", "south-pass")],
            faults: Faults::default(),
            jwt_secret: "test-secret".into(),
        },
        any_port(),
    )
    .await
    .expect("wms starts")
}

async fn token(client: &reqwest::Client, sim: &WmsSim, username: &str) -> String {
    let response = client
        .post(format!("{}/auth", sim.base_url()))
        .json(&json!({"username": username, "password": format!("{username}-pass")}))
        .send()
        .await
        .expect("wms answers");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap_or_default().to_string()
}

fn product(external_id: &str) -> Value {
    json!({
        "name": format!("Producto {external_id}"),
        "display_name": "Producto",
        "external_id": external_id,
        "reference_id": format!("REF-{external_id}"),
        "barcode_type": "EAN13",
        "barcode": "7705751519063",
        "status": "ACTIVE",
        "inventory_unit": "UND",
        "presentation": "CAJ",
        "properties": {"weigth": 1.25, "hight": 30, "COLOR": "GRIS"},
        "groups": ["colchones"],
    })
}

async fn send(request: reqwest::RequestBuilder, token: &str) -> (u16, Value) {
    let response = request.header("Authorization", format!("Bearer {token}")).send().await.expect("wms answers");
    status_and_json(response).await
}

#[tokio::test]
async fn login_rejects_bad_passwords_and_requires_a_bearer_token() {
    let sim = start().await;
    let client = client();
    let response = client
        .post(format!("{}/auth", sim.base_url()))
        .json(&json!({"username": "north", "password": "wrong"}))
        .send()
        .await
        .expect("answer");
    let (status, body) = status_and_json(response).await;
    assert_eq!((status, body["error"].clone()), (401, json!("unauthorized")));
    let (status, _) = send(client.get(format!("{}/products", sim.base_url())), "not-a-jwt").await;
    assert_eq!(status, 401);
    let token = token(&client, &sim, "north").await;
    assert_eq!(token.split('.').count(), 3, "a JWT");
    let (status, body) = send(client.get(format!("{}/products", sim.base_url())), &token).await;
    assert_eq!((status, body), (200, json!({"items": []})));
    let stats = sim.stats("north");
    assert_eq!((stats.logins, stats.unauthorized), (1, 1));
    assert_eq!(sim.credentials_seen(), ["north"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_create_is_409_then_the_client_lists_and_patches() {
    let sim = start().await;
    let client = client();
    let token = token(&client, &sim, "north").await;
    let products = format!("{}/products", sim.base_url());
    let (status, created) = send(client.post(&products).json(&product("P1")), &token).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap_or_default().to_string();
    assert!(!id.is_empty());
    assert_eq!(created["properties"]["weigth"], 1.25);

    let (status, body) = send(client.post(&products).json(&product("P1")), &token).await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "conflict");
    assert!(body.get("id").is_none());

    let (status, listed) = send(client.get(format!("{products}?external_id__eq=P1&limit=10")), &token).await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"][0]["id"], json!(id));

    let (status, patched) =
        send(client.patch(format!("{products}/{id}")).json(&json!({"name": "Nuevo", "status": "INACTIVE"})), &token)
            .await;
    assert_eq!(status, 200);
    assert_eq!((patched["name"].clone(), patched["status"].clone()), (json!("Nuevo"), json!("INACTIVE")));
    let (status, _) = send(client.patch(format!("{products}/nope")).json(&json!({"name": "X"})), &token).await;
    assert_eq!(status, 404);

    let stats = sim.stats("north");
    assert_eq!((stats.creates, stats.conflicts, stats.patches), (1, 1, 1));
    assert_eq!(sim.create_count("north", "P1"), 1);
    // The other user's store is separate.
    let south = self::token(&client, &sim, "south").await;
    let (status, _) = send(client.patch(format!("{products}/{id}")).json(&json!({"name": "X"})), &south).await;
    assert_eq!(status, 404);
    assert!(sim.products("south").is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn validation_errors_list_every_problem() {
    let sim = start().await;
    let client = client();
    let token = token(&client, &sim, "north").await;
    let bad = json!({"status": "active", "barcode_type": "EAN13", "barcode": "1234567890123"});
    let (status, body) = send(client.post(format!("{}/products", sim.base_url())).json(&bad), &token).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "validation_error");
    let fields: Vec<&str> = body["details"]
        .as_array()
        .map(|details| details.iter().filter_map(|detail| detail["field"].as_str()).collect())
        .unwrap_or_default();
    assert!(fields.contains(&"status") && fields.contains(&"name"), "{body}");
    let not_ean = json!({"name": "X", "barcode_type": "EAN13", "barcode": "1234567890123"});
    let (status, body) = send(client.post(format!("{}/products", sim.base_url())).json(&not_ean), &token).await;
    assert_eq!((status, body["details"][0]["field"].clone()), (422, json!("barcode")));
    sim.shutdown().await;
}

#[tokio::test]
async fn cursor_pagination_ends_without_a_key() {
    let sim = start().await;
    let client = client();
    let token = token(&client, &sim, "north").await;
    for index in 0..5 {
        let (status, _) =
            send(client.post(format!("{}/products", sim.base_url())).json(&product(&format!("P{index}"))), &token)
                .await;
        assert_eq!(status, 201);
    }
    let read_pages = |limit: usize| {
        let client = client.clone();
        let token = token.clone();
        let base = sim.base_url();
        async move {
            let mut sizes = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut url = format!("{base}/products?limit={limit}");
                if let Some(cursor) = &cursor {
                    url.push_str(&format!("&last_evaluated_key_id={cursor}"));
                }
                let (status, body) = send(client.get(url), &token).await;
                assert_eq!(status, 200);
                sizes.push(body["items"].as_array().map_or(0, Vec::len));
                match body.get("last_evaluated_key_id").and_then(Value::as_str) {
                    Some(next) => cursor = Some(next.to_string()),
                    None => break,
                }
            }
            sizes
        }
    };
    assert_eq!(read_pages(2).await, [2, 2, 1]);
    // A full last page still carries a cursor; the empty page after it does not.
    assert_eq!(read_pages(5).await, [5, 0]);
    let (status, _) =
        send(client.get(format!("{}/products?last_evaluated_key_id=bogus", sim.base_url())), &token).await;
    assert_eq!(status, 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn tokens_expire_by_use_count_and_by_time() {
    let sim = start().await;
    let client = client();
    sim.set_faults(Faults { token_ttl_requests: Some(1), ..Faults::default() });
    let token = token(&client, &sim, "north").await;
    let products = format!("{}/products", sim.base_url());
    assert_eq!(send(client.get(&products), &token).await.0, 200);
    let (status, body) = send(client.get(&products), &token).await;
    assert_eq!((status, body["error"].clone()), (401, json!("token_expired")));

    sim.set_faults(Faults { token_lifetime_secs: Some(0), ..Faults::default() });
    let stale = self::token(&client, &sim, "north").await;
    let (status, body) = send(client.get(&products), &stale).await;
    assert_eq!((status, body["error"].clone()), (401, json!("token_expired")));
    assert_eq!(sim.stats("north").unauthorized, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn failing_items_are_rejected_permanently_or_for_a_while() {
    let sim = start().await;
    let client = client();
    sim.set_faults(Faults {
        fail_items: vec!["BAD".into()],
        transient_fail_items: vec!["SLOW".into()],
        transient_failures: 2,
        ..Faults::default()
    });
    let token = token(&client, &sim, "north").await;
    let products = format!("{}/products", sim.base_url());
    assert_eq!(send(client.post(&products).json(&product("BAD")), &token).await.0, 422);
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(send(client.post(&products).json(&product("SLOW")), &token).await.0);
    }
    assert_eq!(seen, [503, 503, 201]);
    sim.shutdown().await;
}
