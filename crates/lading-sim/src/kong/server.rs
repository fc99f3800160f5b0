//! Kong's HTTP surface: token login, the `Token` auth extractor, SKU list/create/patch, the bulk
//! upsert with idempotency keys, and the `/_sim/state` control.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::store::{IdempotentAnswer, KongStore, Unauthorized, validate};
use super::{BULK_LIMIT, PAGE_SIZE};
use crate::fault_engine::{ItemFailure, lock};
use crate::faults::DuplicateMode;
use crate::http::{SimCommon, apply_faults, json_response, parse_body, raw_json};

pub(crate) const LOGIN_PATH: &str = "/auth/token/login/";

#[derive(Clone)]
struct AppState {
    store: Arc<Mutex<KongStore>>,
    common: Arc<SimCommon>,
}

pub(crate) fn router(store: Arc<Mutex<KongStore>>, common: Arc<SimCommon>) -> Router {
    let state = AppState { store, common: Arc::clone(&common) };
    let api = Router::new()
        .route(LOGIN_PATH, post(login))
        .route("/inventory/skus/", get(list_skus).post(create_sku))
        .route("/inventory/skus/bulk/", post(bulk_upsert))
        .route("/inventory/skus/{id}/", get(get_sku).patch(patch_sku))
        .route_layer(from_fn_with_state(common, apply_faults));
    let controls = Router::new().route("/_sim/state", get(sim_state));
    api.merge(controls).with_state(state)
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn detail(status: StatusCode, message: &str) -> Response {
    json_response(status, json!({ "detail": message }))
}

fn invalid_body(message: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({ "non_field_errors": [message] }))
}

/// The account behind a valid `Authorization: Token …` header.
struct KongUser(String);

impl FromRequestParts<AppState> for KongUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Token "))
            .map(str::trim);
        let ttl = state.common.engine.faults().token_ttl_requests;
        let outcome = match token {
            Some(token) => lock(&state.store).authenticate(token, ttl),
            None => Err(Unauthorized),
        };
        outcome.map(KongUser).map_err(|Unauthorized| {
            let mut response = detail(StatusCode::UNAUTHORIZED, "Invalid token.");
            response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
            response
        })
    }
}

async fn login(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(message) => return detail(StatusCode::BAD_REQUEST, &message),
    };
    let username = body.get("username").and_then(Value::as_str);
    let password = body.get("password").and_then(Value::as_str);
    if let Some(username) = username {
        state.common.note_credential(username);
    }
    let (Some(username), Some(password)) = (username, password) else {
        let mut errors = serde_json::Map::new();
        for field in ["username", "password"] {
            if body.get(field).and_then(Value::as_str).is_none() {
                errors.insert(field.to_string(), json!(["This field is required."]));
            }
        }
        return json_response(StatusCode::BAD_REQUEST, Value::Object(errors));
    };
    let token = hex(&state.common.engine.random_bytes::<20>());
    if lock(&state.store).login(username, password, token.clone()) {
        json_response(StatusCode::OK, json!({ "auth_token": token }))
    } else {
        invalid_body("Unable to log in with provided credentials.")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
fn encode_query_value(value: &str) -> String {
    value.bytes().fold(String::new(), |mut text, byte| {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            text.push(char::from(byte));
        } else {
            let _ = write!(text, "%{byte:02X}");
        }
        text
    })
}

async fn list_skus(
    State(state): State<AppState>,
    KongUser(username): KongUser,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let page = match params.get("page").map(|page| page.parse::<usize>()) {
        None => 1,
        Some(Ok(page)) if page >= 1 => page,
        Some(_) => return detail(StatusCode::NOT_FOUND, "Invalid page."),
    };
    let external_id = params.get("external_id").map(String::as_str);
    let skip = (page - 1).saturating_mul(PAGE_SIZE);
    let (count, results) = lock(&state.store).list_page(&username, external_id, skip, PAGE_SIZE);
    let pages = count.div_ceil(PAGE_SIZE).max(1);
    // Django REST framework answers 404 for a page past the last one.
    if page > pages {
        return detail(StatusCode::NOT_FOUND, "Invalid page.");
    }
    let page_url = |number: usize| {
        let mut url = format!("{}/inventory/skus/?", state.common.base_url);
        if let Some(external_id) = external_id {
            let _ = write!(url, "external_id={}&", encode_query_value(external_id));
        }
        let _ = write!(url, "page={number}");
        json!(url)
    };
    json_response(
        StatusCode::OK,
        json!({
            "count": count,
            "next": if page < pages { page_url(page + 1) } else { Value::Null },
            "previous": if page > 1 { page_url(page - 1) } else { Value::Null },
            "results": results,
        }),
    )
}

async fn get_sku(State(state): State<AppState>, KongUser(username): KongUser, Path(id): Path<String>) -> Response {
    let store = lock(&state.store);
    let sku = id
        .parse::<u64>()
        .ok()
        .and_then(|id| store.position_of(&username, id))
        .and_then(|position| store.sku_at(&username, position));
    match sku {
        Some(sku) => json_response(StatusCode::OK, sku.to_json()),
        None => detail(StatusCode::NOT_FOUND, "Not found."),
    }
}

fn rejected_item(failure: ItemFailure) -> Response {
    match failure {
        ItemFailure::Permanent => {
            json_response(StatusCode::BAD_REQUEST, json!({"external_id": ["This SKU was rejected by the platform."]}))
        }
        ItemFailure::Transient => {
            detail(StatusCode::SERVICE_UNAVAILABLE, "The SKU service is temporarily unavailable, try again later.")
        }
    }
}

async fn create_sku(State(state): State<AppState>, KongUser(username): KongUser, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(message) => return detail(StatusCode::BAD_REQUEST, &message),
    };
    let fields = match validate(&body, false) {
        Ok(fields) => fields,
        Err(errors) => return json_response(StatusCode::BAD_REQUEST, Value::Object(errors)),
    };
    let external_id = fields.external_id.clone().unwrap_or_default();
    if let Some(failure) = state.common.engine.item_failure(&username, &external_id) {
        return rejected_item(failure);
    }
    let mode = state.common.engine.faults().duplicate_mode;
    let now = now();
    let mut store = lock(&state.store);
    let existing = store.position_of_external_id(&username, &external_id);
    let outcome = match (existing, mode) {
        (None, _) | (Some(_), DuplicateMode::AcceptDuplicate) => {
            store.create(&username, fields, &now).map(|sku| (StatusCode::CREATED, sku))
        }
        (Some(position), DuplicateMode::Upsert) => {
            store.update_at(&username, position, fields, &now).map(|(_, sku)| (StatusCode::OK, sku))
        }
        (Some(_), DuplicateMode::Conflict409) => {
            return detail(StatusCode::CONFLICT, "A SKU with this external id already exists.");
        }
        (Some(_), DuplicateMode::Native | DuplicateMode::Reject400) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({"external_id": ["sku with this external id already exists."]}),
            );
        }
    };
    match outcome {
        Some((status, sku)) => json_response(status, sku.to_json()),
        None => detail(StatusCode::NOT_FOUND, "Not found."),
    }
}

async fn patch_sku(
    State(state): State<AppState>,
    KongUser(username): KongUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(message) => return detail(StatusCode::BAD_REQUEST, &message),
    };
    let fields = match validate(&body, true) {
        Ok(fields) => fields,
        Err(errors) => return json_response(StatusCode::BAD_REQUEST, Value::Object(errors)),
    };
    let (position, external_id) = {
        let store = lock(&state.store);
        let found = id.parse::<u64>().ok().and_then(|id| store.position_of(&username, id));
        let Some(position) = found else {
            return detail(StatusCode::NOT_FOUND, "Not found.");
        };
        let current = store.sku_at(&username, position).map(|sku| sku.external_id.clone()).unwrap_or_default();
        if let Some(new_id) = fields.external_id.as_deref() {
            let taken = store.position_of_external_id(&username, new_id).is_some_and(|other| other != position);
            if taken {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    json!({"external_id": ["sku with this external id already exists."]}),
                );
            }
        }
        (position, fields.external_id.clone().unwrap_or(current))
    };
    if let Some(failure) = state.common.engine.item_failure(&username, &external_id) {
        return rejected_item(failure);
    }
    let now = now();
    let mut store = lock(&state.store);
    match store.update_at(&username, position, fields, &now) {
        Some((_, sku)) => json_response(StatusCode::OK, sku.to_json()),
        None => detail(StatusCode::NOT_FOUND, "Not found."),
    }
}

async fn bulk_upsert(
    State(state): State<AppState>,
    KongUser(username): KongUser,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = match parse_body(&body) {
        Ok(request) => request,
        Err(message) => return detail(StatusCode::BAD_REQUEST, &message),
    };
    let Some(items) = request.get("items").and_then(Value::as_array) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"items": ["This field is required and must be a list."]}),
        );
    };
    if items.len() > BULK_LIMIT {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"items": [format!("Ensure this field has no more than {BULK_LIMIT} elements.")]}),
        );
    }
    let key = match headers.get("Idempotency-Key").map(HeaderValue::to_str) {
        None => None,
        Some(Ok(key)) if !key.trim().is_empty() => Some(key.to_string()),
        Some(_) => return detail(StatusCode::BAD_REQUEST, "Invalid Idempotency-Key header."),
    };

    // One lock for the whole request: a concurrent retry with the same key waits and replays.
    let mut store = lock(&state.store);
    if let Some(key) = &key {
        let Some(account) = store.account_mut(&username) else {
            return detail(StatusCode::UNAUTHORIZED, "Invalid token.");
        };
        if let Some(answer) = account.idempotency.get(key) {
            if answer.request != request {
                return json_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({"detail": "Idempotency-Key was already used with a different request body."}),
                );
            }
            let (status, body) = (answer.status, answer.body.clone());
            account.stats.replays += 1;
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = raw_json(status, body);
            response.headers_mut().insert("Idempotent-Replayed", HeaderValue::from_static("true"));
            return response;
        }
    }

    let now = now();
    let mut results = Vec::with_capacity(items.len());
    let mut failed = false;
    for (index, item) in items.iter().enumerate() {
        let external_id = item.get("external_id").cloned().unwrap_or(Value::Null);
        let error = |code: &str, errors: Value| {
            json!({"index": index, "external_id": external_id, "status": "error", "id": null,
                   "errors": errors, "code": code})
        };
        let fields = match validate(item, false) {
            Ok(fields) => fields,
            Err(errors) => {
                failed = true;
                results.push(error("invalid", Value::Object(errors)));
                continue;
            }
        };
        let id_text = fields.external_id.clone().unwrap_or_default();
        match state.common.engine.item_failure(&username, &id_text) {
            Some(ItemFailure::Permanent) => {
                failed = true;
                results.push(error("invalid", json!({"external_id": ["This SKU was rejected by the platform."]})));
                continue;
            }
            Some(ItemFailure::Transient) => {
                failed = true;
                results.push(error(
                    "unavailable",
                    json!({"non_field_errors": ["Temporarily unavailable, send it again."]}),
                ));
                continue;
            }
            None => {}
        }
        match store.upsert(&username, fields, &now) {
            Some((outcome, sku)) => results.push(json!({
                "index": index, "external_id": external_id, "status": outcome.as_str(),
                "id": sku.id, "errors": null, "code": null,
            })),
            None => {
                failed = true;
                results.push(error("unavailable", json!({"non_field_errors": ["Unknown account."]})));
            }
        }
    }
    let status = if failed { StatusCode::MULTI_STATUS } else { StatusCode::OK };
    let body = json!({ "results": results }).to_string();
    if let Some(account) = store.account_mut(&username) {
        account.stats.bulk_requests += 1;
        account.stats.items_received += u64::try_from(items.len()).unwrap_or(u64::MAX);
        if let Some(key) = key {
            account.idempotency.insert(key, IdempotentAnswer { request, status: status.as_u16(), body: body.clone() });
        }
    }
    raw_json(status, body)
}

async fn sim_state(State(state): State<AppState>) -> Response {
    let mut summary = state.common.state_summary();
    let accounts = lock(&state.store).state();
    if let Some(object) = summary.as_object_mut() {
        object.insert("accounts".to_string(), accounts);
    }
    json_response(StatusCode::OK, summary)
}
