//! Shadow validation: every master table the pipeline wrote, compared row by row and field by
//! field with the importer's CSV file, to prove the pipeline matches before cutover.
//!
//! Each CSV is read through the same job as an upload (so both sides are normalised alike:
//! dotted HTS, kilograms, the USITC entry of each number) but nothing is written. Rows are
//! paired by their table key; a field matches when both values are equal, numbers compared by
//! value (`1.50` = `1.5`) and kilograms within half a gram (a hand-kept file at three
//! decimals). A table's match percentage is the share of keys, on either side, whose rows match
//! in every field.

use super::IorError;
use super::etl::{hts_reference, read_table};
use super::upload::{UploadProblem, config_or_default, problems, run_job};
use crate::engine::Engine;
use lading_core::TenantId;
use lading_customs::etl::csv_files::{self, ImporterFile};
use lading_customs::model::Product;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

/// How many differences a table lists.
pub const MAX_DIFFERENCES: usize = 50;

/// Fields whose values are kilograms: equal within [`KG_TOLERANCE`].
const KG_FIELDS: [&str; 3] = ["net_kg_per_unit", "gross_kg_per_unit", "kg_per_unit"];

/// Half a gram: a hand-kept file holds kilograms to three decimals.
const KG_TOLERANCE: Decimal = Decimal::from_parts(5, 0, 0, false, 4);

/// One field that differs, or one row only one side has (`field` empty, the missing side
/// `null`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    pub key: String,
    pub field: String,
    pub pipeline: Value,
    pub csv: Value,
}

/// One table against its CSV file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableComparison {
    pub table: String,
    pub file: String,
    pub pipeline_rows: usize,
    pub csv_rows: usize,
    /// Keys whose rows match in every field.
    pub matched: usize,
    /// Keys on both sides whose rows differ.
    pub differing: usize,
    pub only_in_pipeline: Vec<String>,
    pub only_in_csv: Vec<String>,
    /// `matched` over every key of either side, in percent (100 when both are empty).
    pub match_percent: f64,
    /// The first [`MAX_DIFFERENCES`] differences, by key.
    pub differences: Vec<Difference>,
    /// CSV records the job rejected (they cannot match anything).
    pub csv_problems: Vec<UploadProblem>,
}

/// Every table compared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShadowReport {
    pub tenant: String,
    pub tables: Vec<TableComparison>,
    /// Files that are none of the importer's four.
    pub ignored_files: Vec<String>,
}

impl ShadowReport {
    pub fn table(&self, name: &str) -> Option<&TableComparison> {
        self.tables.iter().find(|t| t.table == name)
    }

    /// Whether every compared table matches to 100 %.
    pub fn is_full_match(&self) -> bool {
        !self.tables.is_empty()
            && self.tables.iter().all(|t| t.differing == 0 && t.only_in_csv.is_empty() && t.only_in_pipeline.is_empty())
    }
}

/// Compares the tenant's tables with the importer's files: `(file name, bytes)`, named as the
/// importer names them (`Product_List.csv`, `HTS_Code.csv`, `HTS Tariff.csv`,
/// `Packaging_Material.csv`; case and `_`/space do not matter).
pub async fn validate_against(
    engine: &Engine,
    tenant: &TenantId,
    files: Vec<(String, Vec<u8>)>,
) -> Result<ShadowReport, IorError> {
    let config = config_or_default(engine, tenant).await?;
    let reference = hts_reference(&config)?;
    let mut known: BTreeMap<ImporterFile, Vec<u8>> = BTreeMap::new();
    let mut ignored_files = Vec::new();
    for (name, bytes) in files {
        match ImporterFile::from_file_name(&name) {
            Some(file) => {
                known.insert(file, bytes);
            }
            None => ignored_files.push(name),
        }
    }
    let mut report = ShadowReport { tenant: tenant.to_string(), tables: Vec::new(), ignored_files };
    // The HTS numbers in use: those of Product_List.csv when given, like the pipeline's own.
    let mut numbers: Option<Vec<String>> = None;
    for (file, bytes) in known {
        let rows =
            csv_files::read(file, &bytes).map_err(|error| IorError::Csv { tenant: tenant.to_string(), error })?;
        if file == ImporterFile::HtsCode && numbers.is_none() {
            let products: Vec<Product> = read_table(engine, tenant, file.table()).await.unwrap_or_default();
            numbers = Some(products.into_iter().map(|p| p.hts10).collect());
        }
        let output = run_job(file, &rows, reference.as_ref(), numbers.as_deref().unwrap_or(&[]));
        if file == ImporterFile::ProductList {
            numbers =
                Some(output.rows.iter().filter_map(|(_, p)| p.get("hts10")?.as_str().map(str::to_string)).collect());
        }
        let csv: BTreeMap<String, Value> = output.rows.iter().cloned().collect();
        let pipeline: BTreeMap<String, Value> =
            engine.state.get_table(tenant, file.table()).await?.into_iter().collect();
        let mut comparison = compare(file.table(), file.file_name(), &pipeline, &csv);
        comparison.csv_problems = problems(file, &output.rejected);
        tracing::info!(tenant = %tenant, table = file.table(), match_percent = comparison.match_percent, differing = comparison.differing, "shadow comparison");
        report.tables.push(comparison);
    }
    Ok(report)
}

/// Compares two tables keyed alike.
pub fn compare(
    table: &str,
    file: &str,
    pipeline: &BTreeMap<String, Value>,
    csv: &BTreeMap<String, Value>,
) -> TableComparison {
    let keys: BTreeSet<&String> = pipeline.keys().chain(csv.keys()).collect();
    let mut comparison = TableComparison {
        table: table.into(),
        file: file.into(),
        pipeline_rows: pipeline.len(),
        csv_rows: csv.len(),
        matched: 0,
        differing: 0,
        only_in_pipeline: Vec::new(),
        only_in_csv: Vec::new(),
        match_percent: 100.0,
        differences: Vec::new(),
        csv_problems: Vec::new(),
    };
    for key in &keys {
        let mut differences = Vec::new();
        match (pipeline.get(*key), csv.get(*key)) {
            (Some(left), Some(right)) => diff("", left, right, &mut differences),
            (Some(left), None) => {
                comparison.only_in_pipeline.push(key.to_string());
                differences.push((String::new(), left.clone(), Value::Null));
            }
            (None, Some(right)) => {
                comparison.only_in_csv.push(key.to_string());
                differences.push((String::new(), Value::Null, right.clone()));
            }
            (None, None) => {}
        }
        if differences.is_empty() {
            comparison.matched += 1;
            continue;
        }
        if pipeline.contains_key(*key) && csv.contains_key(*key) {
            comparison.differing += 1;
        }
        for (field, left, right) in differences {
            if comparison.differences.len() < MAX_DIFFERENCES {
                comparison.differences.push(Difference { key: key.to_string(), field, pipeline: left, csv: right });
            }
        }
    }
    if !keys.is_empty() {
        comparison.match_percent = comparison.matched as f64 * 100.0 / keys.len() as f64;
    }
    comparison
}

/// The fields in which two values differ, as `(path, left, right)`.
fn diff(path: &str, left: &Value, right: &Value, out: &mut Vec<(String, Value, Value)>) {
    match (left, right) {
        (Value::Object(a), Value::Object(b)) => {
            let fields: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for field in fields {
                let child = if path.is_empty() { field.clone() } else { format!("{path}.{field}") };
                diff(&child, a.get(field).unwrap_or(&Value::Null), b.get(field).unwrap_or(&Value::Null), out);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            let mut inner = Vec::new();
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                diff(&format!("{path}[{index}]"), x, y, &mut inner);
            }
            if !inner.is_empty() {
                out.push((path.to_string(), left.clone(), right.clone()));
            }
        }
        _ if leaf_equal(path, left, right) => {}
        _ => out.push((path.to_string(), left.clone(), right.clone())),
    }
}

fn number(value: &Value) -> Option<Decimal> {
    match value {
        Value::String(text) => Decimal::from_str(text.trim()).ok(),
        Value::Number(number) => Decimal::from_str(&number.to_string()).ok(),
        _ => None,
    }
}

fn leaf_equal(path: &str, left: &Value, right: &Value) -> bool {
    if left == right {
        return true;
    }
    match (number(left), number(right)) {
        (Some(a), Some(b)) => {
            let field = path.rsplit('.').next().unwrap_or(path);
            let tolerance = if KG_FIELDS.contains(&field) { KG_TOLERANCE } else { Decimal::ZERO };
            a.checked_sub(b).is_some_and(|difference| difference.abs() <= tolerance)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(rows: Value) -> BTreeMap<String, Value> {
        rows.as_object().map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
    }

    #[test]
    fn rows_match_by_value_and_differences_are_listed() {
        let pipeline = table(json!({
            "1001": {"material": "1001", "net_kg_per_unit": "17.2365", "hts10": "9403.20.00.35"},
            "1002": {"material": "1002", "net_kg_per_unit": "20.0", "hts10": "9404.21.00.13"},
            "1003": {"material": "1003", "net_kg_per_unit": "1"},
        }));
        let csv = table(json!({
            "1001": {"material": "1001", "net_kg_per_unit": "17.237", "hts10": "9403.20.00.35"},
            "1002": {"material": "1002", "net_kg_per_unit": "20", "hts10": "9404.21.00.95"},
            "1004": {"material": "1004", "net_kg_per_unit": "1"},
        }));
        let comparison = compare("product_master", "Product_List.csv", &pipeline, &csv);
        assert_eq!(comparison.matched, 1, "17.2365 and 17.237 are within half a gram; 20.0 is 20");
        assert_eq!(comparison.differing, 1);
        assert_eq!(comparison.only_in_pipeline, ["1003"]);
        assert_eq!(comparison.only_in_csv, ["1004"]);
        assert_eq!(comparison.match_percent, 25.0);
        assert_eq!(
            comparison.differences[0],
            Difference {
                key: "1002".into(),
                field: "hts10".into(),
                pipeline: json!("9404.21.00.13"),
                csv: json!("9404.21.00.95")
            }
        );
    }

    #[test]
    fn nested_values_and_empty_tables() {
        let a = table(json!({"k": {"general": {"kind": "ad_valorem", "percent": "3.0"}, "chapter99": ["9903.88.03"]}}));
        let b = table(json!({"k": {"general": {"kind": "ad_valorem", "percent": "3"}, "chapter99": ["9903.88.03"]}}));
        assert_eq!(compare("t", "f", &a, &b).match_percent, 100.0);
        let c = table(json!({"k": {"general": {"kind": "ad_valorem", "percent": "3"}, "chapter99": ["9903.88.04"]}}));
        let comparison = compare("t", "f", &a, &c);
        assert_eq!(comparison.differences[0].field, "chapter99");
        assert_eq!(compare("t", "f", &BTreeMap::new(), &BTreeMap::new()).match_percent, 100.0);
    }
}
