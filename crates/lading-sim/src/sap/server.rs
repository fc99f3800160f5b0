//! SAP's HTTP surface: `POST /sap/rfc/{FM}` behind HTTP Basic auth (ICF's HTML 401), import
//! parameters checked the way a function module does (business errors are HTTP 200 with an `E`
//! row in `ET_RETURN`), paging with `I_MAXROWS` / `I_SKIP` / `E_TOTAL`, and the `/_sim`
//! controls for quirks, state, planted discrepancies and the importer's CSVs.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::dataset::ImporterDataset;
use super::fm::{self, Fm, Row, Window};
use super::voice::apply_faults;
use super::wire::SapQuirks;
use super::{DEFAULT_MAXROWS, MAX_MAXROWS, RFC_PATH, SapUser};
use crate::http::{SimCommon, json_error, json_response};

pub(crate) struct SapState {
    pub(crate) dataset: Arc<ImporterDataset>,
    users: Vec<SapUser>,
    quirks: RwLock<SapQuirks>,
}

impl SapState {
    pub(crate) fn new(dataset: Arc<ImporterDataset>, users: Vec<SapUser>, quirks: SapQuirks) -> Self {
        Self { dataset, users, quirks: RwLock::new(quirks) }
    }

    pub(crate) fn quirks(&self) -> SapQuirks {
        self.quirks.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    pub(crate) fn set_quirks(&self, quirks: SapQuirks) {
        *self.quirks.write().unwrap_or_else(std::sync::PoisonError::into_inner) = quirks;
    }
}

#[derive(Clone)]
struct AppState {
    sap: Arc<SapState>,
    common: Arc<SimCommon>,
}

pub(crate) fn router(sap: Arc<SapState>, common: Arc<SimCommon>) -> Router {
    let state = AppState { sap, common: Arc::clone(&common) };
    let api = Router::new()
        .route(&format!("{RFC_PATH}/{{fm}}"), post(call))
        .route_layer(from_fn_with_state(common, apply_faults));
    let controls = Router::new()
        .route("/_sim/state", get(sim_state))
        .route("/_sim/quirks", get(get_quirks).put(put_quirks))
        .route("/_sim/planted", get(sim_planted))
        .route("/_sim/importer_csvs", get(sim_csvs));
    api.merge(controls).with_state(state)
}

/// One BAPIRET2 message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Message {
    kind: &'static str,
    id: &'static str,
    number: &'static str,
    text: String,
}

impl Message {
    fn error(number: &'static str, text: String) -> Self {
        Self { kind: "E", id: "ZIOR_RFC", number, text }
    }

    fn to_row(&self) -> Row {
        let mut row = Map::new();
        row.insert("TYPE".to_string(), json!(self.kind));
        row.insert("ID".to_string(), json!(self.id));
        row.insert("NUMBER".to_string(), json!(self.number));
        row.insert("MESSAGE".to_string(), json!(self.text));
        row
    }
}

/// A table as the middleware sends it: an array, or an object when it holds exactly one row
/// and the quirk is on.
fn table(rows: Vec<Row>, quirks: &SapQuirks) -> Value {
    if quirks.one_row_as_object && rows.len() == 1 {
        rows.into_iter().next().map_or(Value::Null, Value::Object)
    } else {
        Value::Array(rows.into_iter().map(Value::Object).collect())
    }
}

/// The answer of a function module: `E_TOTAL`, its tables, then `ET_RETURN`; every value a
/// string.
fn answer(
    status: StatusCode,
    total: usize,
    tables: Vec<(&str, Vec<Row>)>,
    messages: &[Message],
    quirks: &SapQuirks,
) -> Response {
    let mut body = Map::new();
    body.insert("E_TOTAL".to_string(), json!(total.to_string()));
    for (name, rows) in tables {
        body.insert(name.to_string(), table(rows, quirks));
    }
    body.insert("ET_RETURN".to_string(), table(messages.iter().map(Message::to_row).collect(), quirks));
    json_response(status, Value::Object(body))
}

/// A business error: HTTP 200, empty tables, one `E` row.
fn business_error(fm: Fm, message: Message, quirks: &SapQuirks) -> Response {
    let mut tables = vec![(fm.table(), Vec::new())];
    if fm == Fm::Billing {
        tables.push(("ET_CUSTOMS", Vec::new()));
    }
    answer(StatusCode::OK, 0, tables, &[message], quirks)
}

const ICF_401: &str = "<!DOCTYPE html>\n<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; \
charset=utf-8\"><title>Logon Error Message</title></head>\n<body><table class=\"logonError\"><tr><td>\
<p class=\"title\">401 Unauthorized</p><p class=\"detailText\">Logon failed</p>\
<p>Logon performed in system LD1, client, see system log for details.</p>\
<p>Note: the user name and password are case-sensitive.</p>\
<hr><p class=\"footer\">SAP Internet Communication Framework</p></td></tr></table></body></html>\n";

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (WWW_AUTHENTICATE, "Basic realm=\"SAP NetWeaver Application Server [LD1/100]\""),
        ],
        ICF_401,
    )
        .into_response()
}

/// Decodes standard base64 (padding optional); `None` on any other character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for byte in text.trim_end_matches('=').bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(((bits >> count) & 0xFF) as u8);
        }
    }
    Some(out)
}

/// `(user, password)` from `Authorization: Basic …`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// `sap-client` from the query string or the header of that name.
fn sap_client(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let from_query = query.into_iter().flat_map(|query| query.split('&')).find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.eq_ignore_ascii_case("sap-client").then(|| value.to_string())
    });
    from_query.or_else(|| headers.get("sap-client").and_then(|value| value.to_str().ok()).map(str::to_string))
}

async fn call(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let credentials = basic_credentials(&headers);
    if let Some((user, _)) = &credentials {
        state.common.note_credential(user);
    }
    let client = sap_client(&headers, query.as_deref());
    // SAP user names are case-insensitive; passwords are not.
    let known = credentials.as_ref().and_then(|(user, password)| {
        state.sap.users.iter().find(|known| known.username.eq_ignore_ascii_case(user) && &known.password == password)
    });
    let Some(user) = known else {
        return unauthorized();
    };
    if client.as_deref().is_some_and(|client| client.trim() != user.client) {
        return unauthorized();
    }
    let quirks = state.sap.quirks();
    let Some(fm) = Fm::from_name(&name.to_ascii_uppercase()) else {
        let message = Message {
            kind: "E",
            id: "FL",
            number: "046",
            text: format!("Function module {} not found", name.to_ascii_uppercase()),
        };
        let mut body = Map::new();
        body.insert("EXCEPTION".to_string(), json!("FUNCTION_NOT_FOUND"));
        body.insert("ET_RETURN".to_string(), table(vec![message.to_row()], &quirks));
        return json_response(StatusCode::NOT_FOUND, Value::Object(body));
    };
    let parameters = match parse_body(&body) {
        Ok(parameters) => parameters,
        Err(text) => {
            let message = Message::error("001", text);
            let mut body = Map::new();
            body.insert("ET_RETURN".to_string(), table(vec![message.to_row()], &quirks));
            return json_response(StatusCode::BAD_REQUEST, Value::Object(body));
        }
    };
    let request = match parse_parameters(fm, &parameters) {
        Ok(request) => request,
        Err(message) => return business_error(fm, message, &quirks),
    };
    let dataset = &state.sap.dataset;
    if fm == Fm::Billing {
        let rows = fm::billing(dataset, &quirks, request.window);
        let total = rows.len();
        let page: Vec<(String, Row)> = rows.into_iter().skip(request.skip).take(request.max_rows).collect();
        let entries: BTreeSet<&str> = page.iter().map(|(entry, _)| entry.as_str()).collect();
        let customs = fm::customs(dataset, &quirks, &entries);
        let billing: Vec<Row> = page.iter().map(|(_, row)| row.clone()).collect();
        let message = selected(billing.len(), total);
        return answer(
            StatusCode::OK,
            total,
            vec![(fm.table(), billing), ("ET_CUSTOMS", customs)],
            &[message],
            &quirks,
        );
    }
    let rows = fm::rows(fm, dataset, &quirks, request.window);
    let total = rows.len();
    let page: Vec<Row> = rows.into_iter().skip(request.skip).take(request.max_rows).collect();
    let message = selected(page.len(), total);
    answer(StatusCode::OK, total, vec![(fm.table(), page)], &[message], &quirks)
}

fn selected(returned: usize, total: usize) -> Message {
    Message { kind: "S", id: "ZIOR_RFC", number: "000", text: format!("{returned} of {total} rows selected") }
}

/// The JSON body as an object; an empty body is no parameters at all.
fn parse_body(body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("The request body must be a JSON object of import parameters".to_string()),
        Err(error) => Err(format!("The request body is not valid JSON: {error}")),
    }
}

/// What a call asks for once its import parameters are checked.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    max_rows: usize,
    skip: usize,
    window: Window,
}

/// An import parameter's value as text: strings as sent (trimmed), numbers printed, `null`
/// as initial.
fn parameter_text(name: &str, value: &Value) -> Result<String, Message> {
    match value {
        Value::String(text) => Ok(text.trim().to_string()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Null => Ok(String::new()),
        _ => Err(Message::error("002", format!("Import parameter {name} must be a single value"))),
    }
}

fn parse_count(name: &str, text: &str, default: usize) -> Result<usize, Message> {
    if text.is_empty() {
        return Ok(default);
    }
    text.parse::<usize>().map_err(|_| {
        Message::error("004", format!("Import parameter {name}: '{text}' is not a non-negative whole number"))
    })
}

fn parse_date(name: &str, text: &str) -> Result<Option<NaiveDate>, Message> {
    if text.is_empty() || text == "00000000" {
        return Ok(None);
    }
    let valid = text.len() == 8 && text.bytes().all(|byte| byte.is_ascii_digit());
    valid
        .then(|| NaiveDate::parse_from_str(text, "%Y%m%d").ok())
        .flatten()
        .map(Some)
        .ok_or_else(|| Message::error("006", format!("Import parameter {name}: '{text}' is not a date (YYYYMMDD)")))
}

fn parse_parameters(fm: Fm, parameters: &Map<String, Value>) -> Result<Request, Message> {
    let mut request = Request { max_rows: DEFAULT_MAXROWS, skip: 0, window: Window::default() };
    for (key, value) in parameters {
        let name = key.to_ascii_uppercase();
        let text = parameter_text(&name, value)?;
        match name.as_str() {
            "I_MAXROWS" => {
                let rows = parse_count(&name, &text, DEFAULT_MAXROWS)?;
                if rows == 0 || rows > MAX_MAXROWS {
                    return Err(Message::error(
                        "005",
                        format!("Import parameter I_MAXROWS: {rows} is outside 1 to {MAX_MAXROWS}"),
                    ));
                }
                request.max_rows = rows;
            }
            "I_SKIP" => request.skip = parse_count(&name, &text, 0)?,
            other if fm.date_parameters().contains(&other) => {
                let date = parse_date(other, &text)?;
                if other.ends_with("_FROM") {
                    request.window.from = date;
                } else {
                    request.window.to = date;
                }
            }
            other => {
                return Err(Message::error(
                    "003",
                    format!("Import parameter {other} is not defined for function module {}", fm.name()),
                ));
            }
        }
    }
    if let (Some(from), Some(to)) = (request.window.from, request.window.to)
        && from > to
    {
        return Err(Message::error("007", format!("The date range {from} to {to} is empty (from after to)")));
    }
    Ok(request)
}

async fn sim_state(State(state): State<AppState>) -> Response {
    let mut summary = state.common.state_summary();
    if let Some(object) = summary.as_object_mut() {
        object.insert("dataset".to_string(), json!(state.sap.dataset.summary()));
        object.insert("quirks".to_string(), json!(state.sap.quirks()));
    }
    json_response(StatusCode::OK, summary)
}

async fn get_quirks(State(state): State<AppState>) -> Response {
    json_response(StatusCode::OK, json!(state.sap.quirks()))
}

async fn put_quirks(State(state): State<AppState>, body: Bytes) -> Response {
    match serde_json::from_slice::<SapQuirks>(&body) {
        Ok(quirks) => {
            state.sap.set_quirks(quirks);
            json_response(StatusCode::OK, json!(state.sap.quirks()))
        }
        Err(error) => json_error(StatusCode::BAD_REQUEST, &format!("invalid quirks: {error}")),
    }
}

async fn sim_planted(State(state): State<AppState>) -> Response {
    json_response(StatusCode::OK, json!(state.sap.dataset.customs.planted))
}

async fn sim_csvs(State(state): State<AppState>) -> Response {
    let files: Map<String, Value> =
        state.sap.dataset.importer_csvs().into_iter().map(|(name, text)| (name, Value::String(text))).collect();
    json_response(StatusCode::OK, Value::Object(files))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn base64_round_trips_basic_credentials() {
        assert_eq!(base64_decode("dXNlcjpwYXNz").as_deref(), Some(&b"user:pass"[..]));
        assert_eq!(base64_decode("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64_decode("not base64!"), None);
    }

    #[test]
    fn parameters_are_checked_like_a_function_module() {
        let ok = parse_parameters(
            Fm::Billing,
            &parameters(json!({"I_MAXROWS": "100", "I_SKIP": 5, "I_FKDAT_FROM": "20250101", "I_FKDAT_TO": "00000000"})),
        );
        assert_eq!(
            ok,
            Ok(Request {
                max_rows: 100,
                skip: 5,
                window: Window { from: NaiveDate::from_ymd_opt(2025, 1, 1), to: None }
            })
        );
        for bad in [
            json!({"I_MAXROWS": "abc"}),
            json!({"I_MAXROWS": 5001}),
            json!({"I_MAXROWS": "0"}),
            json!({"I_SKIP": "-1"}),
            json!({"I_FKDAT_FROM": "2025-01-01"}),
            json!({"I_FKDAT_FROM": "20250230"}),
            json!({"I_FKDAT_FROM": "20250301", "I_FKDAT_TO": "20250201"}),
            json!({"I_BUDAT_FROM": "20250101"}),
            json!({"I_MAXROWS": [1]}),
        ] {
            let result = parse_parameters(Fm::Billing, &parameters(bad.clone()));
            assert!(matches!(&result, Err(message) if message.kind == "E"), "{bad} gave {result:?}");
        }
    }
}
