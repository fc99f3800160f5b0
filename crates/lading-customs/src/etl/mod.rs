//! Pure ETL of the importer-of-record master data and transactions: SAP rows (or the
//! importer's CSV files, read into the same rows) validated into the model types.
//!
//! One validation framework serves every job: a record is read field by field with a
//! [`values::RowReader`], each unusable field adds an [`Issue`] (field, code, message), and a
//! record with any issue is [`Rejected`] with all of them — the runtime quarantines it. Jobs
//! never stop at the first bad record and never panic on any input.
//!
//! Jobs and the tables they fill (keys in brackets):
//! - [`product_master::product_master`]: ZFMIOR002 + ZEMM005 → `product_master` [material];
//! - [`hts_reference::hts_reference`]: ZTIOR_HTS + product numbers + USITC → `hts_reference`
//!   [dotted HTS10];
//! - [`tariff::tariff_sequencing`]: ZTIOR_TARIFF → `tariff_sequencing` [Chapter 99 | from |
//!   scope];
//! - [`packaging::packaging_materials`]: ZFMIOR003 → `packaging_materials` [material | type]
//!   and `unit_conversions` [material | unit];
//! - [`transactions`]: ZSDR002 `ET_BILLING` → `transactions` [invoice | item], ZEMM004 →
//!   `movements` [document | year | item], ZSDR002 `ET_CUSTOMS` → `reported_lines`
//!   [entry | line].
//!
//! [`csv_files`] reads the importer's four hand-kept CSV files into the same SAP-shaped rows,
//! so an upload goes through exactly these jobs.

pub mod check;
pub mod csv_files;
pub mod hts_reference;
pub mod packaging;
pub mod product_master;
pub mod tariff;
pub mod transactions;
pub mod values;

pub use check::{HtsCatalog, HtsLookup};
pub use lading_core::Issue;

use serde::Serialize;
use serde_json::Value;

/// One SAP row (or one CSV row under SAP's field names): field name → value as received.
pub type Row = serde_json::Map<String, Value>;

pub const PRODUCT_MASTER: &str = "product_master";
pub const HTS_REFERENCE: &str = "hts_reference";
pub const TARIFF_SEQUENCING: &str = "tariff_sequencing";
pub const PACKAGING_MATERIALS: &str = "packaging_materials";
pub const UNIT_CONVERSIONS: &str = "unit_conversions";
pub const TRANSACTIONS: &str = "transactions";
pub const MOVEMENTS: &str = "movements";
pub const REPORTED_LINES: &str = "reported_lines";

/// A record a job could not use: its key, every reason, and the record as received.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejected {
    pub key: String,
    pub reasons: Vec<Issue>,
    pub record: Value,
}

/// What one job produced: its table's rows (unique keys, sorted), the records it rejected,
/// and what it left out on purpose.
#[derive(Clone, Debug, PartialEq)]
pub struct JobOutput<T> {
    pub rows: Vec<(String, T)>,
    pub rejected: Vec<Rejected>,
    /// Keys of records deliberately left out (a material flagged for deletion).
    pub excluded: Vec<String>,
    /// Rows merged into another row with the same key (SAP's fan-out per plant, unit, language).
    pub duplicates: usize,
}

impl<T> Default for JobOutput<T> {
    fn default() -> Self {
        JobOutput { rows: Vec::new(), rejected: Vec::new(), excluded: Vec::new(), duplicates: 0 }
    }
}

impl<T: Serialize> JobOutput<T> {
    /// The rows as the state store keeps them: `(key, JSON)`.
    pub fn table_rows(&self) -> Vec<(String, Value)> {
        self.rows.iter().map(|(key, row)| (key.clone(), serde_json::to_value(row).unwrap_or(Value::Null))).collect()
    }
}

impl<T> JobOutput<T> {
    /// Records read: kept, rejected and excluded (merged duplicates not counted).
    pub fn records(&self) -> usize {
        self.rows.len() + self.rejected.len() + self.excluded.len()
    }

    fn reject(&mut self, key: impl Into<String>, reasons: Vec<Issue>, record: Value) {
        self.rejected.push(Rejected { key: key.into(), reasons, record });
    }

    fn sort(&mut self) {
        self.rows.sort_by(|a, b| a.0.cmp(&b.0));
    }
}

/// The rows as one JSON array, for a rejected record's payload.
fn rows_value<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Value {
    Value::Array(rows.into_iter().map(|row| Value::Object(row.clone())).collect())
}

/// `"{key} {field}:{code}"` of every reason of every rejected record: what the jobs' tests read.
#[cfg(test)]
pub(crate) fn reason_codes<T>(output: &JobOutput<T>) -> Vec<String> {
    output
        .rejected
        .iter()
        .flat_map(|r| r.reasons.iter().map(move |i| format!("{} {}:{}", r.key, i.field, i.code)))
        .collect()
}
