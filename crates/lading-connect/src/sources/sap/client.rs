//! The SAP function-module wire: one FM called page by page until `E_TOTAL` rows are read.
//!
//! Paging: every call carries `I_MAXROWS` (the endpoint's page size) and `I_SKIP` (rows of
//! the main table read so far). The main table is the first one the caller names, the one
//! `E_TOTAL` counts; other tables (ZSDR002's `ET_CUSTOMS`) come attached to each page of it and
//! may repeat rows across pages. The data ends when the main table has `E_TOTAL` rows or a page
//! brings none; an answer without `E_TOTAL` ends at the first page shorter than `I_MAXROWS`.
//! Fewer rows than `E_TOTAL` promised is an error, never a silent short read.
//!
//! An answer is checked before its rows are used: `ET_RETURN` rows of TYPE `E` or `A` fail the
//! read with the FM, the message and what to do; `S`, `I` and `W` rows are logged and kept.
//! A table that arrives as one object (a one-row table through the middleware) is a one-row
//! array; a missing, `null` or empty table is empty.

use super::SYSTEM;
use super::config::SapEndpoint;
use crate::error::{ConnectError, ErrorKind};
use crate::http::{ApiRequest, HttpClient};
use base64::Engine as _;
use lading_core::Secret;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The path below the base URL: `POST {base}/sap/rfc/{FM}`.
pub const RFC_PATH: &str = "/sap/rfc";
/// `I_MAXROWS` when a config does not say: the wire contract's default.
pub const DEFAULT_PAGE_SIZE: usize = 500;
/// The most rows one call may ask for.
pub const MAX_PAGE_SIZE: usize = 5_000;
/// A hard stop for a server that never signals the end.
pub const MAX_PAGES: u32 = 100_000;

pub(crate) type Row = Map<String, Value>;

/// One `ET_RETURN` row (BAPIRET2): `TYPE` S/I/W/E/A, `ID`, `NUMBER`, `MESSAGE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SapMessage {
    pub kind: String,
    pub id: String,
    pub number: String,
    pub message: String,
}

impl SapMessage {
    /// `E` (error) and `A` (abort) fail the call.
    pub fn is_error(&self) -> bool {
        matches!(self.kind.as_str(), "E" | "A")
    }

    fn describe(&self) -> String {
        let id = [self.id.as_str(), self.number.as_str()].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>();
        if id.is_empty() {
            format!("{} message {:?}", self.kind, self.message)
        } else {
            format!("{} message {} {:?}", self.kind, id.join(" "), self.message)
        }
    }
}

/// One answer as SAP sent it, for the raw landing zone.
#[derive(Clone, Debug, PartialEq)]
pub struct SapPage {
    pub fm: String,
    /// The `I_SKIP` this page was asked with.
    pub skip: u64,
    pub body: String,
}

/// One function module read to its end.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SapRead {
    pub fm: String,
    /// The import parameters the caller gave (paging parameters not included).
    pub params: Map<String, Value>,
    /// The rows of each table the caller asked for, in the order received.
    pub tables: BTreeMap<String, Vec<Map<String, Value>>>,
    /// Every answer, in order, as received.
    pub pages: Vec<SapPage>,
    /// `E_TOTAL` as SAP last stated it.
    pub total: Option<u64>,
    /// The `S`, `I` and `W` rows of `ET_RETURN`.
    pub messages: Vec<SapMessage>,
    /// Calls sent (retries of one call not counted).
    pub requests: u32,
}

impl SapRead {
    /// The rows of `table` (empty when the FM sent none).
    pub fn rows(&self, table: &str) -> &[Map<String, Value>] {
        self.tables.get(table).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// What one answer holds, once checked.
#[derive(Debug, PartialEq)]
pub(crate) struct Answer {
    pub(crate) total: Option<u64>,
    /// `(table, rows)` in the order the caller named the tables.
    pub(crate) tables: Vec<(String, Vec<Row>)>,
    pub(crate) messages: Vec<SapMessage>,
}

/// Why an answer is not usable.
#[derive(Debug, PartialEq)]
pub(crate) enum AnswerProblem {
    /// `ET_RETURN` holds an `E` or `A` row (the first one is reported).
    Failed(SapMessage),
    /// JSON of an unexpected shape.
    Shape(String),
}

/// Reads one answer: `ET_RETURN` first, then `E_TOTAL` and the named tables.
pub(crate) fn read_answer(json: &Value, tables: &[&str]) -> Result<Answer, AnswerProblem> {
    let Some(object) = json.as_object() else {
        return Err(AnswerProblem::Shape(format!("expected a json object, got {}", crate::sources::json_type(json))));
    };
    let messages: Vec<SapMessage> = table_rows(object, "ET_RETURN")?.iter().map(message).collect::<Result<_, _>>()?;
    if let Some(error) = messages.iter().find(|m| m.is_error()) {
        return Err(AnswerProblem::Failed(error.clone()));
    }
    let total = match field(object, "E_TOTAL") {
        None | Some(Value::Null) => None,
        Some(value) => {
            Some(count(value).ok_or_else(|| AnswerProblem::Shape(format!("E_TOTAL {value} is not a row count")))?)
        }
    };
    let tables = tables
        .iter()
        .map(|name| Ok((name.to_string(), table_rows(object, name)?)))
        .collect::<Result<Vec<_>, AnswerProblem>>()?;
    Ok(Answer { total, tables, messages })
}

/// A parameter by name; SAP sends upper case, a middleware may not.
fn field<'a>(object: &'a Row, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| object.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// The rows of table `name` in one answer as SAP sent it (a landed page): an array of objects,
/// one object (a one-row table through the middleware), or nothing. The error says what is
/// wrong with the shape.
pub fn rows_of(answer: &Value, name: &str) -> Result<Vec<Map<String, Value>>, String> {
    let Some(object) = answer.as_object() else {
        return Err(format!("expected a json object, got {}", crate::sources::json_type(answer)));
    };
    table_rows(object, name).map_err(|problem| match problem {
        AnswerProblem::Shape(detail) => detail,
        AnswerProblem::Failed(message) => message.describe(),
    })
}

/// A table parameter as rows: an array of objects, one object (a one-row table), or nothing.
pub(crate) fn table_rows(object: &Row, name: &str) -> Result<Vec<Row>, AnswerProblem> {
    match field(object, name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(Vec::new()),
        Some(Value::Object(row)) if row.is_empty() => Ok(Vec::new()),
        Some(Value::Object(row)) => Ok(vec![row.clone()]),
        Some(Value::Array(rows)) => rows
            .iter()
            .enumerate()
            .map(|(index, row)| match row {
                Value::Object(row) => Ok(row.clone()),
                other => Err(AnswerProblem::Shape(format!(
                    "row {index} of {name} is {}, not an object",
                    crate::sources::json_type(other)
                ))),
            })
            .collect(),
        Some(other) => {
            Err(AnswerProblem::Shape(format!("{name} is {}, not a table", crate::sources::json_type(other))))
        }
    }
}

fn message(row: &Row) -> Result<SapMessage, AnswerProblem> {
    let text = |name: &str| match field(row, name) {
        Some(Value::String(text)) => text.trim().to_string(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    Ok(SapMessage {
        kind: text("TYPE").to_ascii_uppercase(),
        id: text("ID"),
        number: text("NUMBER"),
        message: text("MESSAGE"),
    })
}

fn count(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Whether reading may stop after a page. `main_read` counts the rows of the main table so
/// far, `main_rows` its rows in this page, `page_size` what was asked.
pub(crate) fn is_last_page(total: Option<u64>, main_read: usize, main_rows: usize, page_size: usize) -> bool {
    if main_rows == 0 {
        return true;
    }
    match total {
        Some(total) => main_read as u64 >= total,
        None => main_rows < page_size,
    }
}

/// Reads one tenant's SAP function modules.
#[derive(Clone, Debug)]
pub struct SapClient {
    client: HttpClient,
    endpoint: SapEndpoint,
    authorization: Secret,
}

impl SapClient {
    /// A client reading `endpoint` with `client` (a client of the tenant for system `sap`).
    pub fn new(client: HttpClient, endpoint: SapEndpoint) -> Result<SapClient, ConnectError> {
        if !(1..=MAX_PAGE_SIZE).contains(&endpoint.page_size) {
            return Err(client.error(
                ErrorKind::Config,
                format!(
                    "sap page_size {} must be between 1 and {MAX_PAGE_SIZE}: fix sap.page_size in the ior config",
                    endpoint.page_size
                ),
            ));
        }
        let pair = format!("{}:{}", endpoint.credentials.username, endpoint.credentials.password.expose());
        let authorization = Secret::new(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)));
        Ok(SapClient { client, endpoint, authorization })
    }

    /// The HTTP client, for its counters.
    pub fn http(&self) -> &HttpClient {
        &self.client
    }

    pub fn endpoint(&self) -> &SapEndpoint {
        &self.endpoint
    }

    /// Reads `fm` page by page until its end. `tables` names the table parameters to collect,
    /// the FM's main table (the one `E_TOTAL` counts) first; `params` are the import
    /// parameters (`I_FKDAT_FROM` …) without the paging ones.
    pub async fn read(&self, fm: &str, tables: &[&str], params: &Map<String, Value>) -> Result<SapRead, ConnectError> {
        let url = self.url(fm)?;
        if tables.is_empty() {
            return Err(self
                .client
                .error(ErrorKind::Config, format!("sap function module {fm}: name at least one table to read")));
        }
        let mut read = SapRead { fm: fm.to_string(), params: params.clone(), ..SapRead::default() };
        for table in tables {
            read.tables.insert(table.to_string(), Vec::new());
        }
        let page_size = self.endpoint.page_size;
        let mut skip: u64 = 0;
        for _ in 0..MAX_PAGES {
            let mut body = params.clone();
            body.insert("I_MAXROWS".into(), json!(page_size));
            body.insert("I_SKIP".into(), json!(skip));
            let request = ApiRequest::post(url.clone())
                .json(&Value::Object(body))
                .header("sap-client", self.endpoint.client.clone())
                .secret_header("authorization", &self.authorization)
                .redact(&self.endpoint.credentials.password)
                .retry_safe();
            let response = self.client.send(request).await?;
            read.requests += 1;
            if !response.is_success() {
                return Err(self.client.unexpected(
                    &response,
                    &format!("function module {fm}"),
                    &self.endpoint.credentials_fix(),
                ));
            }
            let answer =
                read_answer(&response.json, tables).map_err(|problem| self.answer_error(fm, params, skip, problem))?;
            for message in &answer.messages {
                let text = message.describe();
                if message.kind == "W" {
                    tracing::warn!(tenant = %self.client.tenant(), system = SYSTEM, fm, "sap answered {text}");
                } else {
                    tracing::info!(tenant = %self.client.tenant(), system = SYSTEM, fm, "sap answered {text}");
                }
            }
            read.messages.extend(answer.messages);
            if answer.total.is_some() {
                read.total = answer.total;
            }
            let main_rows = answer.tables.first().map_or(0, |(_, rows)| rows.len());
            for (name, rows) in answer.tables {
                read.tables.entry(name).or_default().extend(rows);
            }
            read.pages.push(SapPage { fm: fm.to_string(), skip, body: response.text() });
            let main_read = read.rows(tables[0]).len();
            tracing::debug!(tenant = %self.client.tenant(), system = SYSTEM, fm, skip, rows = main_rows, total = ?read.total, "sap page read");
            skip += main_rows as u64;
            if is_last_page(read.total, main_read, main_rows, page_size) {
                if let Some(total) = read.total
                    && (main_read as u64) < total
                {
                    return Err(self.client.error(
                        ErrorKind::BadResponse,
                        format!(
                            "sap function module {fm} promised E_TOTAL {total} rows of {} but sent {main_read}: the data changed while it was read or the fm pages wrongly; run the ingest again",
                            tables[0]
                        ),
                    ));
                }
                tracing::info!(tenant = %self.client.tenant(), system = SYSTEM, fm, rows = main_read, calls = read.requests, "sap function module read");
                return Ok(read);
            }
        }
        Err(self.client.error(
            ErrorKind::BadResponse,
            format!("sap function module {fm} did not end within {MAX_PAGES} pages: raise sap.page_size or check the fm's paging"),
        ))
    }

    /// Reads the one table of `fm`: its rows, and the read for its pages.
    pub async fn read_table(
        &self,
        fm: &str,
        table: &str,
        params: &Map<String, Value>,
    ) -> Result<SapRead, ConnectError> {
        self.read(fm, &[table], params).await
    }

    fn url(&self, fm: &str) -> Result<String, ConnectError> {
        if fm.is_empty() || !fm.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(self.client.error(
                ErrorKind::Config,
                format!("sap function module name {fm:?} is invalid: use letters, digits and '_' such as ZFMIOR002"),
            ));
        }
        let base = self.endpoint.base_url.trim_end_matches('/');
        let mut url = reqwest::Url::parse(&format!("{base}{RFC_PATH}/{fm}")).map_err(|e| {
            self.client.error(
                ErrorKind::Config,
                format!(
                    "sap base_url {:?} is invalid ({e}): fix sap.base_url in the ior config",
                    self.endpoint.base_url
                ),
            )
        })?;
        if !self.endpoint.client.trim().is_empty() {
            url.query_pairs_mut().append_pair("sap-client", self.endpoint.client.trim());
        }
        Ok(url.to_string())
    }

    fn answer_error(&self, fm: &str, params: &Map<String, Value>, skip: u64, problem: AnswerProblem) -> ConnectError {
        match problem {
            AnswerProblem::Failed(message) => self.client.error(
                ErrorKind::QueryFailed { code: message.number.trim().parse().ok() },
                format!(
                    "sap function module {fm} answered {} for parameters {}: check the parameters, and ask the sap team about this message if they are right",
                    message.describe(),
                    Value::Object(params.clone())
                ),
            ),
            AnswerProblem::Shape(detail) => self.client.error(
                ErrorKind::BadResponse,
                format!(
                    "sap answered function module {fm} (I_SKIP {skip}) in an unexpected shape ({detail}): check that sap.base_url points at the sap rfc gateway"
                ),
            ),
        }
    }
}
