//! The Connekta wire: one query read page by page until Siesa signals the end of the data.
//!
//! Connekta gives no total and no next link. The end of the data arrives as an empty `Table`,
//! as `{"codigo":1,"mensaje":"Consulta existente sin datos."}`, as HTTP 400 "No se encontraron
//! registros", or as a page shorter than a page already seen. A single `{"alerta": …}` row or
//! a `codigo` other than 0 and 1 is a failed query, never the end.
//!
//! Why "shorter than a page already seen" and not "shorter than `tamPag`": a server may cap
//! `tamPag` silently (ask 100, get 50). The first page alone cannot tell a cap from the last
//! page, so a short first page is followed by one more request; from then on the largest page
//! seen is the server's effective size, and a page shorter than that is the last. The price is
//! one extra request when all the data fits in one short page; the gain is never losing the
//! rows behind a cap.

use super::SYSTEM;
use super::config::SiesaEndpoint;
use crate::error::{ConnectError, ErrorKind};
use crate::http::{ApiRequest, ApiResponse, HttpClient};
use serde_json::{Map, Value};

/// The standard-query endpoint, below the base URL.
pub const QUERY_PATH: &str = "/api/siesa/v3/ejecutarconsultaestandar";
pub const ITEMS_QUERY: &str = "API_v2_Items";
pub const BARCODES_QUERY: &str = "API_v2_ItemsBarras";
pub const UNITS_QUERY: &str = "API_v2_ItemsUnidadesMedida";

/// A hard stop for a server that never signals the end.
pub const MAX_PAGES: u32 = 100_000;

/// This many identical pages in a row mean the server ignores `numPag`.
const IDENTICAL_PAGES_LIMIT: u32 = 3;

pub(crate) type Row = Map<String, Value>;

/// What one answer says.
#[derive(Debug, PartialEq)]
pub(crate) enum Page {
    Rows(Vec<Row>),
    End(EndOfData),
}

/// The ways Siesa says "no more rows".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EndOfData {
    EmptyTable,
    Codigo1,
    NoRecords400,
    ShortPage,
}

impl EndOfData {
    pub(crate) fn name(self) -> &'static str {
        match self {
            EndOfData::EmptyTable => "empty table",
            EndOfData::Codigo1 => "codigo 1",
            EndOfData::NoRecords400 => "http 400 no records",
            EndOfData::ShortPage => "short page",
        }
    }
}

/// Why an answer is not a page.
#[derive(Debug, PartialEq)]
pub(crate) enum PageProblem {
    /// 401/403.
    Unauthorized,
    /// Another 4xx.
    Rejected,
    /// A `{"alerta": …}` row: Siesa rejected the query.
    Alerta(String),
    /// `codigo` other than 0 and 1.
    Codigo { code: i64, mensaje: String },
    /// JSON of an unexpected shape.
    Shape(String),
}

/// Reads one answer: `status`, its body as JSON (`Null` if it was not JSON) and as text.
pub(crate) fn read_page(status: u16, json: &Value, text: &str) -> Result<Page, PageProblem> {
    match status {
        200..=299 => {}
        400 if text.to_lowercase().contains("no se encontraron registros") => {
            return Ok(Page::End(EndOfData::NoRecords400));
        }
        401 | 403 => return Err(PageProblem::Unauthorized),
        _ => return Err(PageProblem::Rejected),
    }
    let Some(object) = json.as_object() else {
        return Err(PageProblem::Shape(format!("expected a json object, got {}", crate::sources::json_type(json))));
    };
    let codigo = match object.get("codigo") {
        None | Some(Value::Null) => None,
        Some(value) => {
            Some(integer(value).ok_or_else(|| PageProblem::Shape(format!("codigo {value} is not a number")))?)
        }
    };
    let mensaje = object.get("mensaje").and_then(Value::as_str).unwrap_or("").trim().to_string();
    match codigo {
        None | Some(0) => {}
        Some(1) => return Ok(Page::End(EndOfData::Codigo1)),
        Some(code) => return Err(PageProblem::Codigo { code, mensaje }),
    }
    let Some(table) = object.get("detalle").and_then(|detalle| detalle.get("Table")) else {
        return Err(PageProblem::Shape("no detalle.Table in the answer".to_string()));
    };
    let Some(table) = table.as_array() else {
        return Err(PageProblem::Shape(format!("detalle.Table is {}, not an array", crate::sources::json_type(table))));
    };
    let mut rows = Vec::with_capacity(table.len());
    for (index, row) in table.iter().enumerate() {
        let Some(row) = row.as_object() else {
            return Err(PageProblem::Shape(format!(
                "row {index} of detalle.Table is {}, not an object",
                crate::sources::json_type(row)
            )));
        };
        if let Some(alerta) = row.get("alerta").or_else(|| row.get("Alerta")) {
            let text = match alerta {
                Value::String(text) => text.trim().to_string(),
                other => other.to_string(),
            };
            return Err(PageProblem::Alerta(text));
        }
        rows.push(row.clone());
    }
    if rows.is_empty() {
        return Ok(Page::End(EndOfData::EmptyTable));
    }
    Ok(Page::Rows(rows))
}

/// Whether a page of `rows` rows ends the data, given the largest page seen before it
/// (0 before the first page). See the module comment.
pub(crate) fn is_short_page(rows: usize, largest_before: usize) -> bool {
    rows < largest_before
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => {
            number.as_i64().or_else(|| number.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        }
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// One query read to its end.
#[derive(Debug)]
pub(crate) struct QueryResult {
    pub(crate) query: &'static str,
    pub(crate) rows: Vec<Row>,
    /// `(page number, body)` of every page that carried rows.
    pub(crate) pages: Vec<(u32, String)>,
    pub(crate) requests: u32,
    pub(crate) largest_page: usize,
    pub(crate) end: EndOfData,
}

/// Reads `query` page by page until the end of the data.
pub(crate) async fn fetch_query(
    client: &HttpClient,
    endpoint: &SiesaEndpoint,
    query: &'static str,
) -> Result<QueryResult, ConnectError> {
    let mut result = QueryResult {
        query,
        rows: Vec::new(),
        pages: Vec::new(),
        requests: 0,
        largest_page: 0,
        end: EndOfData::EmptyTable,
    };
    let mut identical_pages = 0;
    for page_number in 1..=MAX_PAGES {
        let request = page_request(client, endpoint, query, page_number)?;
        let response = client.send(request).await?;
        result.requests += 1;
        let text = response.text();
        let rows = match read_page(response.status, &response.json, &text) {
            Ok(Page::Rows(rows)) => rows,
            Ok(Page::End(end)) => {
                tracing::debug!(tenant = %client.tenant(), system = SYSTEM, query, page = page_number, end = end.name(), "end of data");
                result.end = end;
                return Ok(result);
            }
            Err(problem) => return Err(page_error(client, endpoint, query, page_number, &response, problem)),
        };
        let row_count = rows.len();
        let same_as_previous = result.pages.last().is_some_and(|(_, previous)| *previous == text);
        identical_pages = if same_as_previous { identical_pages + 1 } else { 0 };
        if identical_pages + 1 >= IDENTICAL_PAGES_LIMIT {
            return Err(client.error(
                ErrorKind::BadResponse,
                format!(
                    "siesa returned the same page of {query} {IDENTICAL_PAGES_LIMIT} times in a row (pages up to {page_number}): the server seems to ignore numPag; check the connekta version"
                ),
            ));
        }
        tracing::debug!(tenant = %client.tenant(), system = SYSTEM, query, page = page_number, rows = row_count, "page read");
        result.rows.extend(rows);
        result.pages.push((page_number, text));
        let short = is_short_page(row_count, result.largest_page);
        result.largest_page = result.largest_page.max(row_count);
        if short {
            result.end = EndOfData::ShortPage;
            return Ok(result);
        }
    }
    Err(client.error(
        ErrorKind::BadResponse,
        format!(
            "siesa query {query} did not end within {MAX_PAGES} pages: raise page_size or check the connekta server"
        ),
    ))
}

fn page_request(
    client: &HttpClient,
    endpoint: &SiesaEndpoint,
    query: &str,
    page: u32,
) -> Result<ApiRequest, ConnectError> {
    let base = endpoint.base_url.trim_end_matches('/');
    let mut url = reqwest::Url::parse(&format!("{base}{QUERY_PATH}")).map_err(|e| {
        client.error(
            ErrorKind::Config,
            format!(
                "siesa base_url {:?} is invalid ({e}): fix source.base_url in the tenant config",
                endpoint.base_url
            ),
        )
    })?;
    url.query_pairs_mut().append_pair("idCompania", &endpoint.company_id).append_pair("descripcion", query);
    // `paginacion` goes literally, as Connekta documents it: `numPag=N|tamPag=S`.
    let query_string =
        format!("{}&paginacion=numPag={page}|tamPag={}&parametros=", url.query().unwrap_or(""), endpoint.page_size);
    url.set_query(Some(&query_string));
    Ok(ApiRequest::get(url.as_str())
        .secret_header("connikey", &endpoint.credentials.conni_key)
        .secret_header("connitoken", &endpoint.credentials.conni_token))
}

fn page_error(
    client: &HttpClient,
    endpoint: &SiesaEndpoint,
    query: &str,
    page: u32,
    response: &ApiResponse,
    problem: PageProblem,
) -> ConnectError {
    let credentials_fix = format!("check ConniKey/ConniToken in secret {}", endpoint.secret_name);
    match problem {
        PageProblem::Unauthorized | PageProblem::Rejected => {
            client.unexpected(response, &format!("query {query} page {page}"), &credentials_fix)
        }
        PageProblem::Alerta(alerta) => client.error(
            ErrorKind::QueryFailed { code: None },
            format!(
                "siesa rejected query {query} page {page} with alerta {alerta:?}: check the query's parameters and that company {} may run it",
                endpoint.company_id
            ),
        ),
        PageProblem::Codigo { code, mensaje } => client.error(
            ErrorKind::QueryFailed { code: Some(code) },
            format!(
                "siesa failed query {query} page {page} with codigo {code} ({mensaje:?}): check the query and company {} in connekta",
                endpoint.company_id
            ),
        ),
        PageProblem::Shape(detail) => client.error(
            ErrorKind::BadResponse,
            format!("siesa answered query {query} page {page} in an unexpected shape ({detail}): check that source.base_url points at connekta"),
        ),
    }
}
