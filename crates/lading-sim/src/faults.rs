//! The fault knobs a test turns on a simulator: what can go wrong, as plain serialisable data.
//!
//! Every knob defaults to off. Bursts count down as they fire, so [`Faults`] read back from a
//! running simulator shows what is left. Setting faults starts a new fault generation: the seeded
//! random sequence, the throttle window and the transient-failure counts start over.

use serde::{Deserialize, Serialize};

/// Faults applied by one simulator. Unknown keys are rejected so a typo in a test's JSON does
/// not silently turn a fault off.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every request before anything else happens.
    pub latency_ms: u64,
    /// Share (0.0–1.0) of requests answered 5xx, drawn from the seeded generator.
    pub error_rate: f64,
    /// The next N requests answer 500.
    pub error_burst: u32,
    /// After this many requests (counted from when the faults were set) answer 429.
    pub throttle_after: Option<u32>,
    /// How many requests the 429 window lasts; 0 means it never ends (a hard rate limit).
    pub throttle_count: u32,
    /// How a 429 says when to come back (the WMS never sends `Retry-After`, like API Gateway).
    pub retry_after: RetryAfterStyle,
    /// The next N requests are processed, then held `hang_ms` before the answer goes out.
    pub timeout_burst: u32,
    pub hang_ms: u64,
    /// The next N requests have their connection reset without any response.
    pub reset_burst: u32,
    /// The next N successful data responses carry truncated JSON.
    pub malformed_burst: u32,
    /// A Kong token or WMS JWT stops working after this many uses.
    pub token_ttl_requests: Option<u32>,
    /// Lifetime of WMS JWTs issued while set (`exp` = issue time + this); 3600 s otherwise.
    pub token_lifetime_secs: Option<u64>,
    /// Siesa serves at most this many rows per page, whatever `tamPag` asks.
    pub page_size_cap: Option<usize>,
    /// What Siesa answers for a page past the end.
    pub end_of_data: EndOfData,
    /// Siesa answers every data query with one `{"alerta": …}` row (a rejected query).
    pub alerta: Option<String>,
    /// Siesa answers HTTP 200 with `{"codigo": n, "mensaje": …}`, a failure.
    pub codigo_error: Option<i64>,
    /// External ids the targets reject permanently.
    pub fail_items: Vec<String>,
    /// External ids the targets reject the first `transient_failures` times they are sent.
    pub transient_fail_items: Vec<String>,
    pub transient_failures: u32,
    /// What a single create does with an external id that already exists.
    pub duplicate_mode: DuplicateMode,
}

/// How a 429 tells the client when to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryAfterStyle {
    /// `Retry-After: N`.
    Seconds(u64),
    /// `Retry-After: <HTTP date N seconds from now>`.
    HttpDate(u64),
    /// No `Retry-After` header.
    None,
}

impl Default for RetryAfterStyle {
    fn default() -> Self {
        Self::Seconds(1)
    }
}

impl RetryAfterStyle {
    /// The wait this style announces, for messages that quote it.
    pub fn seconds(self) -> Option<u64> {
        match self {
            Self::Seconds(seconds) | Self::HttpDate(seconds) => Some(seconds),
            Self::None => None,
        }
    }
}

/// What Siesa answers for a page past the last row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndOfData {
    /// `{"codigo":0,…,"detalle":{"Table":[]}}`.
    #[default]
    EmptyTable,
    /// `{"codigo":1,"mensaje":"Consulta existente sin datos."}`.
    Codigo1,
    /// HTTP 400 whose body says "No se encontraron registros".
    Http400,
}

/// What a single create does when the external id already exists. Bulk upserts ignore it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateMode {
    /// Each system's own behaviour: Kong 400 "already exists", WMS 409.
    #[default]
    Native,
    /// The create updates the existing record and answers 200.
    Upsert,
    /// 400 in the system's error shape.
    Reject400,
    /// 409 in the system's error shape.
    Conflict409,
    /// A second record with the same external id is created (a system without a unique
    /// constraint): what makes a client that blindly re-creates visible in `create_count`.
    AcceptDuplicate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_json_fills_defaults_and_typos_are_rejected() {
        let faults: Faults =
            serde_json::from_str(r#"{"error_burst":2,"retry_after":{"http_date":5}}"#).expect("valid faults");
        assert_eq!(faults.error_burst, 2);
        assert_eq!(faults.retry_after, RetryAfterStyle::HttpDate(5));
        assert_eq!(faults.end_of_data, EndOfData::EmptyTable);
        assert!(serde_json::from_str::<Faults>(r#"{"eror_burst":2}"#).is_err());
        let none: Faults =
            serde_json::from_str(r#"{"retry_after":"none","end_of_data":"codigo1"}"#).expect("valid faults");
        assert_eq!(none.retry_after, RetryAfterStyle::None);
        assert_eq!(none.end_of_data, EndOfData::Codigo1);
    }
}
