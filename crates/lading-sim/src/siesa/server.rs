//! Siesa's HTTP surface: the query endpoint (auth, paging, end-of-data variants, rejected
//! queries) and the `/_sim` state, catalogue and mutate controls.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::catalogue::{CatalogueItem, Company, Mutation, Table};
use super::{QUERIES, QUERY_PATH, SiesaCompany};
use crate::faults::EndOfData;
use crate::http::{SimCommon, apply_faults, json_error, json_response, parse_body, raw_json};

pub(crate) struct SiesaState {
    companies: Vec<CompanyEntry>,
}

struct CompanyEntry {
    company_id: String,
    conni_key: String,
    conni_token: String,
    data: RwLock<Company>,
}

impl SiesaState {
    pub(crate) fn new(seed: u64, companies: &[SiesaCompany]) -> Self {
        Self {
            companies: companies
                .iter()
                .map(|company| CompanyEntry {
                    company_id: company.company_id.clone(),
                    conni_key: company.conni_key.clone(),
                    conni_token: company.conni_token.clone(),
                    data: RwLock::new(Company::generate(seed, &company.company_id, company.items)),
                })
                .collect(),
        }
    }

    fn company(&self, company_id: &str) -> Option<&CompanyEntry> {
        self.companies.iter().find(|entry| entry.company_id == company_id)
    }

    pub(crate) fn catalogue(&self, company_id: &str) -> Option<Vec<CatalogueItem>> {
        self.company(company_id).map(|entry| read(&entry.data).catalogue())
    }

    pub(crate) fn mutate(&self, company_id: &str, changed: usize, added: usize) -> Option<Mutation> {
        self.company(company_id).map(|entry| write(&entry.data).mutate(changed, added))
    }
}

fn read(lock: &RwLock<Company>) -> RwLockReadGuard<'_, Company> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write(lock: &RwLock<Company>) -> RwLockWriteGuard<'_, Company> {
    lock.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Clone)]
struct AppState {
    siesa: Arc<SiesaState>,
    common: Arc<SimCommon>,
}

pub(crate) fn router(siesa: Arc<SiesaState>, common: Arc<SimCommon>) -> Router {
    let state = AppState { siesa, common: Arc::clone(&common) };
    let api = Router::new().route(QUERY_PATH, get(run_query)).route_layer(from_fn_with_state(common, apply_faults));
    let controls = Router::new()
        .route("/_sim/state", get(sim_state))
        .route("/_sim/catalogue", get(sim_catalogue))
        .route("/_sim/mutate", post(sim_mutate));
    api.merge(controls).with_state(state)
}

/// ASP.NET Web API's answer to a request without valid keys.
fn unauthorized() -> Response {
    json_response(StatusCode::UNAUTHORIZED, json!({"Message": "Authorization has been denied for this request."}))
}

fn bad_request(message: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({"codigo": 2, "mensaje": message, "detalle": null}))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

async fn run_query(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let key = header(&headers, "ConniKey");
    let token = header(&headers, "ConniToken");
    if let Some(key) = key {
        state.common.note_credential(key);
    }
    let Some(entry) = state
        .siesa
        .companies
        .iter()
        .find(|entry| Some(entry.conni_key.as_str()) == key && Some(entry.conni_token.as_str()) == token)
    else {
        return unauthorized();
    };
    let Some(company_id) = params.get("idCompania") else {
        return bad_request("Falta el parámetro idCompania.");
    };
    // Keys are per company: valid keys never read another tenant's data.
    if company_id.trim() != entry.company_id {
        return unauthorized();
    }
    let Some(query) = params.get("descripcion").map(|query| query.trim()) else {
        return bad_request("Falta el parámetro descripcion.");
    };
    if !QUERIES.contains(&query) {
        return bad_request(&format!(
            "La consulta '{query}' no existe para la compañía {company_id}. Consultas disponibles: {}.",
            QUERIES.join(", ")
        ));
    }
    let (page, size) = match parse_pagination(params.get("paginacion").map(String::as_str)) {
        Ok(pagination) => pagination,
        Err(message) => return bad_request(&message),
    };
    let filter = match parse_filter(params.get("parametros").map(String::as_str)) {
        Ok(filter) => filter,
        Err(message) => return bad_request(&message),
    };

    let faults = state.common.engine.faults();
    if let Some(codigo) = faults.codigo_error {
        return json_response(
            StatusCode::OK,
            json!({
                "codigo": codigo,
                "mensaje": format!("Error al ejecutar la consulta {query}: tiempo de espera agotado en el servidor de base de datos."),
                "detalle": null,
            }),
        );
    }
    if let Some(alerta) = faults.alerta {
        return json_response(
            StatusCode::OK,
            json!({
                "codigo": 0,
                "mensaje": "Consulta exitosa",
                "detalle": {"Table": [{"alerta": alerta}]},
            }),
        );
    }

    let size = faults.page_size_cap.map_or(size, |cap| size.min(cap.max(1)));
    let company = read(&entry.data);
    let table = match query {
        "API_v2_Items" => &company.tables.items,
        "API_v2_ItemsBarras" => &company.tables.barcodes,
        _ => &company.tables.units,
    };
    let rows: Vec<&str> = if filter.is_empty() {
        page_of(&table.json, page, size).iter().map(String::as_str).collect()
    } else {
        match filtered(table, &filter) {
            Ok(matching) => page_of(&matching, page, size).to_vec(),
            Err(message) => return bad_request(&message),
        }
    };
    if rows.is_empty() {
        return end_of_data(faults.end_of_data, query);
    }
    let mut body = String::with_capacity(rows.iter().map(|row| row.len() + 1).sum::<usize>() + 80);
    body.push_str(r#"{"codigo":0,"mensaje":"Consulta exitosa","detalle":{"Table":["#);
    for (index, row) in rows.iter().enumerate() {
        if index > 0 {
            body.push(',');
        }
        body.push_str(row);
    }
    body.push_str("]}}");
    raw_json(StatusCode::OK, body)
}

/// The 1-based `page` of `size` rows; empty past the end.
fn page_of<T>(rows: &[T], page: usize, size: usize) -> &[T] {
    let start = (page - 1).saturating_mul(size);
    if start >= rows.len() {
        return &[];
    }
    &rows[start..rows.len().min(start.saturating_add(size))]
}

fn end_of_data(style: EndOfData, query: &str) -> Response {
    match style {
        EndOfData::EmptyTable => {
            raw_json(StatusCode::OK, r#"{"codigo":0,"mensaje":"Consulta exitosa","detalle":{"Table":[]}}"#.to_string())
        }
        EndOfData::Codigo1 => {
            json_response(StatusCode::OK, json!({"codigo": 1, "mensaje": "Consulta existente sin datos."}))
        }
        EndOfData::Http400 => json_response(
            StatusCode::BAD_REQUEST,
            json!({"codigo": 1, "mensaje": format!("No se encontraron registros para la consulta {query}."), "detalle": null}),
        ),
    }
}

/// `numPag=<n>|tamPag=<size>`, 1-based, both required.
fn parse_pagination(raw: Option<&str>) -> Result<(usize, usize), String> {
    let raw = raw.ok_or("Falta el parámetro paginacion (numPag=<n>|tamPag=<tamaño>).")?;
    let mut page = None;
    let mut size = None;
    for part in raw.split('|').map(str::trim).filter(|part| !part.is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| format!("Paginación inválida: '{part}' no tiene la forma nombre=valor."))?;
        let value: usize =
            value.trim().parse().map_err(|_| format!("Paginación inválida: '{value}' no es un número entero."))?;
        match name.trim().to_ascii_lowercase().as_str() {
            "numpag" => page = Some(value),
            "tampag" => size = Some(value),
            other => return Err(format!("Paginación inválida: parámetro desconocido '{other}'.")),
        }
    }
    match (page, size) {
        (Some(0), _) => Err("Paginación inválida: numPag empieza en 1.".to_string()),
        (_, Some(0)) => Err("Paginación inválida: tamPag debe ser mayor que 0.".to_string()),
        (Some(page), Some(size)) => Ok((page, size)),
        _ => Err("Paginación inválida: se requieren numPag y tamPag.".to_string()),
    }
}

/// `campo=valor|campo=valor`: rows whose trimmed value equals every given value.
fn parse_filter(raw: Option<&str>) -> Result<Vec<(String, String)>, String> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split('|')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((field, value)) if !field.trim().is_empty() => {
                Ok((field.trim().to_string(), value.trim().to_string()))
            }
            _ => Err(format!("Parámetros inválidos: '{part}' no tiene la forma campo=valor.")),
        })
        .collect()
}

fn filtered<'a>(table: &'a Table, filter: &[(String, String)]) -> Result<Vec<&'a str>, String> {
    let unknown = table.rows.first().and_then(|first| filter.iter().find(|(field, _)| first.get(field).is_none()));
    if let Some((field, _)) = unknown {
        return Err(format!("Parámetros inválidos: el campo '{field}' no existe."));
    }
    Ok(table
        .rows
        .iter()
        .zip(&table.json)
        .filter(|(row, _)| {
            filter.iter().all(|(field, wanted)| row.get(field).is_some_and(|value| text_of(value) == *wanted))
        })
        .map(|(_, json)| json.as_str())
        .collect())
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.trim().to_string(),
        other => other.to_string(),
    }
}

async fn sim_state(State(state): State<AppState>) -> Response {
    let mut summary = state.common.state_summary();
    let companies: Vec<Value> = state
        .siesa
        .companies
        .iter()
        .map(|entry| {
            let company = read(&entry.data);
            json!({
                "company_id": entry.company_id,
                "conni_key": entry.conni_key,
                "items": company.catalogue().len(),
                "rows": {
                    "API_v2_Items": company.tables.items.rows.len(),
                    "API_v2_ItemsBarras": company.tables.barcodes.rows.len(),
                    "API_v2_ItemsUnidadesMedida": company.tables.units.rows.len(),
                },
            })
        })
        .collect();
    if let Some(object) = summary.as_object_mut() {
        object.insert("companies".to_string(), Value::Array(companies));
    }
    json_response(StatusCode::OK, summary)
}

async fn sim_catalogue(State(state): State<AppState>, Query(params): Query<HashMap<String, String>>) -> Response {
    let Some(company_id) = params.get("company_id") else {
        return json_error(StatusCode::BAD_REQUEST, "company_id is required");
    };
    match state.siesa.catalogue(company_id) {
        Some(catalogue) => json_response(StatusCode::OK, json!(catalogue)),
        None => json_error(StatusCode::NOT_FOUND, "unknown company"),
    }
}

async fn sim_mutate(State(state): State<AppState>, body: Bytes) -> Response {
    let request = match parse_body(&body) {
        Ok(request) => request,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
    };
    let company_id = request.get("company_id").and_then(Value::as_str);
    let count = |name: &str| match request.get(name) {
        None | Some(Value::Null) => Some(0),
        Some(value) => value.as_u64().and_then(|count| usize::try_from(count).ok()),
    };
    let (Some(company_id), Some(changed), Some(added)) = (company_id, count("changed"), count("added")) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "expected {\"company_id\": string, \"changed\": count, \"added\": count}",
        );
    };
    match state.siesa.mutate(company_id, changed, added) {
        Some(mutation) => json_response(StatusCode::OK, json!(mutation)),
        None => json_error(StatusCode::NOT_FOUND, "unknown company"),
    }
}
