//! The WMS's HTTP surface: `/auth` issuing HS256 JWTs, the bearer-token extractor, product
//! create/patch/get/list with cursor pagination, and the `/_sim/state` control.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{get, post};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::store::{WmsStore, check_product, validate};
use super::{DEFAULT_PAGE_LIMIT, DEFAULT_TOKEN_LIFETIME_SECS, MAX_PAGE_LIMIT};
use crate::fault_engine::{ItemFailure, lock};
use crate::faults::DuplicateMode;
use crate::http::{SimCommon, apply_faults, json_response, parse_body};

pub(crate) const LOGIN_PATH: &str = "/auth";

#[derive(Clone)]
struct AppState {
    store: Arc<Mutex<WmsStore>>,
    common: Arc<SimCommon>,
    keys: Arc<JwtKeys>,
}

struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: u64,
    exp: u64,
    jti: String,
}

pub(crate) fn router(store: Arc<Mutex<WmsStore>>, common: Arc<SimCommon>, secret: &str) -> Router {
    let state = AppState {
        store,
        common: Arc::clone(&common),
        keys: Arc::new(JwtKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
        }),
    };
    let api = Router::new()
        .route(LOGIN_PATH, post(login))
        .route("/products", get(list_products).post(create_product))
        .route("/products/{id}", get(get_product).patch(patch_product))
        .route_layer(from_fn_with_state(common, apply_faults));
    let controls = Router::new().route("/_sim/state", get(sim_state));
    api.merge(controls).with_state(state)
}

fn error(status: StatusCode, error: &str, message: &str) -> Response {
    json_response(status, json!({ "error": error, "message": message }))
}

fn validation_error(details: Vec<Value>) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"error": "validation_error", "message": "the product is not valid", "details": details}),
    )
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The user behind a valid `Authorization: Bearer <JWT>` header.
struct WmsUserAuth(String);

impl FromRequestParts<AppState> for WmsUserAuth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = token else {
            return Err(error(StatusCode::UNAUTHORIZED, "unauthorized", "missing bearer token"));
        };
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked below, to the second and without leeway, so a token issued with a
        // zero lifetime is already expired.
        validation.validate_exp = false;
        let claims = match jsonwebtoken::decode::<Claims>(token, &state.keys.decoding, &validation) {
            Ok(data) => data.claims,
            Err(_) => {
                return Err(error(StatusCode::UNAUTHORIZED, "unauthorized", "invalid token"));
            }
        };
        let ttl = state.common.engine.faults().token_ttl_requests;
        let mut store = lock(&state.store);
        if !store.has_user(&claims.sub) {
            return Err(error(StatusCode::UNAUTHORIZED, "unauthorized", "invalid token"));
        }
        let fresh = unix_now() < claims.exp;
        if !fresh || !store.use_token(&claims.jti, ttl) {
            store.count_unauthorized(&claims.sub);
            return Err(error(StatusCode::UNAUTHORIZED, "token_expired", "the token has expired, authenticate again"));
        }
        Ok(Self(claims.sub))
    }
}

async fn login(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(message) => return error(StatusCode::BAD_REQUEST, "bad_request", &message),
    };
    let username = body.get("username").and_then(Value::as_str);
    let password = body.get("password").and_then(Value::as_str);
    if let Some(username) = username {
        state.common.note_credential(username);
    }
    let (Some(username), Some(password)) = (username, password) else {
        return error(StatusCode::BAD_REQUEST, "bad_request", "username and password are required");
    };
    let jti = uuid::Builder::from_random_bytes(state.common.engine.random_bytes::<16>()).into_uuid().to_string();
    if !lock(&state.store).login(username, password, &jti) {
        return error(StatusCode::UNAUTHORIZED, "unauthorized", "invalid username or password");
    }
    let lifetime = state.common.engine.faults().token_lifetime_secs.unwrap_or(DEFAULT_TOKEN_LIFETIME_SECS);
    let iat = unix_now();
    let claims = Claims { sub: username.to_string(), iat, exp: iat.saturating_add(lifetime), jti };
    match jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &state.keys.encoding) {
        Ok(token) => json_response(StatusCode::OK, json!({ "token": token })),
        Err(failure) => {
            tracing::warn!(%failure, "could not sign a wms token");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "could not issue a token")
        }
    }
}

fn rejected_item(failure: ItemFailure, external_id: &str) -> Response {
    match failure {
        ItemFailure::Permanent => validation_error(vec![json!({
            "field": "external_id",
            "message": format!("product {external_id} is rejected by the warehouse"),
        })]),
        ItemFailure::Transient => {
            json_response(StatusCode::SERVICE_UNAVAILABLE, json!({"message": "Service Unavailable"}))
        }
    }
}

async fn create_product(State(state): State<AppState>, WmsUserAuth(username): WmsUserAuth, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(message) => return error(StatusCode::BAD_REQUEST, "bad_request", &message),
    };
    let fields = match validate(&body, false) {
        Ok(fields) => fields,
        Err(details) => return validation_error(details),
    };
    let details = check_product(&fields);
    if !details.is_empty() {
        return validation_error(details);
    }
    let external_id = fields.get("external_id").and_then(Value::as_str).map(str::to_string);
    let failure = external_id.as_deref().and_then(|external_id| {
        let failure = state.common.engine.item_failure(&username, external_id)?;
        Some((failure, external_id))
    });
    if let Some((failure, external_id)) = failure {
        return rejected_item(failure, external_id);
    }
    let mode = state.common.engine.faults().duplicate_mode;
    let id = uuid::Builder::from_random_bytes(state.common.engine.random_bytes::<16>()).into_uuid().to_string();
    let now = now();
    let mut store = lock(&state.store);
    let existing = external_id.as_deref().and_then(|external_id| store.position_of_external_id(&username, external_id));
    let conflict_message =
        || format!("a product with external_id {} already exists", external_id.as_deref().unwrap_or_default());
    match (existing, mode) {
        (None, _) | (Some(_), DuplicateMode::AcceptDuplicate) => match store.create(&username, id, fields, &now) {
            Some(product) => json_response(StatusCode::CREATED, product),
            None => error(StatusCode::NOT_FOUND, "not_found", "unknown user"),
        },
        (Some(position), DuplicateMode::Upsert) => match store.patch(&username, position, fields, &now) {
            Some(Ok(product)) => json_response(StatusCode::OK, product),
            Some(Err(details)) => validation_error(details),
            None => error(StatusCode::NOT_FOUND, "not_found", "unknown user"),
        },
        (Some(_), DuplicateMode::Reject400) => error(StatusCode::BAD_REQUEST, "bad_request", &conflict_message()),
        (Some(_), DuplicateMode::Native | DuplicateMode::Conflict409) => {
            store.count_conflict(&username);
            error(StatusCode::CONFLICT, "conflict", &conflict_message())
        }
    }
}

async fn get_product(
    State(state): State<AppState>,
    WmsUserAuth(username): WmsUserAuth,
    Path(id): Path<String>,
) -> Response {
    let store = lock(&state.store);
    let product = store.position_of(&username, &id).and_then(|position| store.product_at(&username, position));
    match product {
        Some(product) => json_response(StatusCode::OK, Value::Object(product.clone())),
        None => error(StatusCode::NOT_FOUND, "not_found", "product not found"),
    }
}

async fn patch_product(
    State(state): State<AppState>,
    WmsUserAuth(username): WmsUserAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(message) => return error(StatusCode::BAD_REQUEST, "bad_request", &message),
    };
    let fields = match validate(&body, true) {
        Ok(fields) => fields,
        Err(details) => return validation_error(details),
    };
    let new_external_id = fields.get("external_id").and_then(Value::as_str).map(str::to_string);
    let (position, external_id) = {
        let store = lock(&state.store);
        let Some(position) = store.position_of(&username, &id) else {
            return error(StatusCode::NOT_FOUND, "not_found", "product not found");
        };
        let taken = new_external_id
            .as_deref()
            .and_then(|external_id| store.position_of_external_id(&username, external_id))
            .is_some_and(|other| other != position);
        if taken {
            return error(StatusCode::CONFLICT, "conflict", "another product already has this external_id");
        }
        let current = store
            .product_at(&username, position)
            .and_then(|product| product.get("external_id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        (position, new_external_id.or(current))
    };
    let failure = external_id.as_deref().and_then(|external_id| {
        let failure = state.common.engine.item_failure(&username, external_id)?;
        Some((failure, external_id))
    });
    if let Some((failure, external_id)) = failure {
        return rejected_item(failure, external_id);
    }
    let now = now();
    match lock(&state.store).patch(&username, position, fields, &now) {
        Some(Ok(product)) => json_response(StatusCode::OK, product),
        Some(Err(details)) => validation_error(details),
        None => error(StatusCode::NOT_FOUND, "not_found", "product not found"),
    }
}

async fn list_products(
    State(state): State<AppState>,
    WmsUserAuth(username): WmsUserAuth,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let limit = match params.get("limit").map(|limit| limit.parse::<usize>()) {
        None => DEFAULT_PAGE_LIMIT,
        Some(Ok(limit)) if (1..=MAX_PAGE_LIMIT).contains(&limit) => limit,
        Some(_) => {
            return validation_error(vec![json!({
                "field": "limit",
                "message": format!("limit must be an integer from 1 to {MAX_PAGE_LIMIT}"),
            })]);
        }
    };
    let store = lock(&state.store);
    let matching = store.list(&username, params.get("external_id__eq").map(String::as_str));
    let start = match params.get("last_evaluated_key_id") {
        None => 0,
        Some(cursor) => {
            let position =
                matching.iter().position(|product| product.get("id").and_then(Value::as_str) == Some(cursor));
            match position {
                Some(position) => position + 1,
                None => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        "last_evaluated_key_id does not match any product of this query",
                    );
                }
            }
        }
    };
    let page: Vec<Value> =
        matching.iter().skip(start).take(limit).map(|product| Value::Object((*product).clone())).collect();
    // Like DynamoDB, a full page always carries a cursor, even when nothing follows it: the
    // page after it is then empty and has none.
    let cursor = (page.len() == limit).then(|| page.last().map(|last| last["id"].clone())).flatten();
    let mut answer = json!({ "items": page });
    if let (Some(object), Some(cursor)) = (answer.as_object_mut(), cursor) {
        object.insert("last_evaluated_key_id".to_string(), cursor);
    }
    json_response(StatusCode::OK, answer)
}

async fn sim_state(State(state): State<AppState>) -> Response {
    let mut summary = state.common.state_summary();
    let users = lock(&state.store).state();
    if let Some(object) = summary.as_object_mut() {
        object.insert("users".to_string(), users);
    }
    json_response(StatusCode::OK, summary)
}
