//! Joins Items, barcode and unit rows into one source record per item, keyed by `f120_id`.
//!
//! Always by `f120_id`, never by `f120_referencia`: a reference can be renamed in Items while
//! the barcode rows still carry the old name. Item rows repeat (per company and unit): the
//! first row of an `f120_id` wins. Barcode rows repeated for one item are kept once, the first
//! of each (code, unit) pair.

use super::client::Row;
use lading_core::SourceRecord;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};

/// The records and what the join had to drop or merge.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Joined {
    pub(crate) records: Vec<SourceRecord>,
    pub(crate) duplicate_item_rows: usize,
    pub(crate) item_rows_without_id: usize,
    pub(crate) orphan_barcode_rows: usize,
    pub(crate) orphan_unit_rows: usize,
}

/// `f120_id` as the record key: numbers as integers (`1042`, also for `1042.0`), text trimmed.
pub(crate) fn record_key(row: &Row) -> Option<String> {
    match row.get("f120_id")? {
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                Some(integer.to_string())
            } else if let Some(integer) = number.as_u64() {
                Some(integer.to_string())
            } else {
                match number.as_f64() {
                    Some(float) if float.fract() == 0.0 && float.abs() < 1e15 => Some(format!("{float:.0}")),
                    _ => Some(number.to_string()),
                }
            }
        }
        Value::String(text) => Some(text.trim().to_string()).filter(|key| !key.is_empty()),
        _ => None,
    }
}

/// A value as trimmed text: strings trimmed, numbers printed; empty or other types → `None`.
fn trimmed(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(text) => text.trim().to_string(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    Some(text).filter(|text| !text.is_empty())
}

pub(crate) fn join(items: Vec<Row>, barcodes: &[Row], units: &[Row]) -> Joined {
    let mut joined = Joined::default();
    let mut barcodes_by_item: HashMap<String, Vec<&Row>> = HashMap::new();
    for row in barcodes {
        match record_key(row) {
            Some(key) => barcodes_by_item.entry(key).or_default().push(row),
            None => joined.orphan_barcode_rows += 1,
        }
    }
    let mut units_by_item: HashMap<String, Vec<&Row>> = HashMap::new();
    for row in units {
        match record_key(row) {
            Some(key) => units_by_item.entry(key).or_default().push(row),
            None => joined.orphan_unit_rows += 1,
        }
    }

    let mut seen = HashSet::new();
    for item in items {
        let Some(key) = record_key(&item) else {
            joined.item_rows_without_id += 1;
            continue;
        };
        if !seen.insert(key.clone()) {
            joined.duplicate_item_rows += 1;
            continue;
        }
        let item_barcodes = barcodes_by_item.get(&key).map(Vec::as_slice).unwrap_or_default();
        let item_units = units_by_item.get(&key).map(Vec::as_slice).unwrap_or_default();
        let fields = record_fields(item, item_barcodes, item_units);
        joined.records.push(SourceRecord { key, fields });
    }
    let orphans = |rows_by_item: &HashMap<String, Vec<&Row>>| -> usize {
        rows_by_item.iter().filter(|(key, _)| !seen.contains(*key)).map(|(_, rows)| rows.len()).sum()
    };
    joined.orphan_barcode_rows += orphans(&barcodes_by_item);
    joined.orphan_unit_rows += orphans(&units_by_item);
    joined
}

/// The Items row as received, plus `barcode`, `epc`, `barcodes` and `f122_factor`.
fn record_fields(mut fields: Map<String, Value>, barcode_rows: &[&Row], unit_rows: &[&Row]) -> Map<String, Value> {
    let mut barcode = None;
    let mut epc = None;
    let mut barcodes = Vec::new();
    let mut seen = HashSet::new();
    for row in barcode_rows {
        let code = trimmed(row.get("f131_id"));
        let unit = trimmed(row.get("f131_id_unidad_medida"));
        if !seen.insert((code.clone(), unit.clone())) {
            continue;
        }
        barcodes.push(json!({
            "f131_id": row.get("f131_id").cloned().unwrap_or(Value::Null),
            "f131_id_unidad_medida": row.get("f131_id_unidad_medida").cloned().unwrap_or(Value::Null),
        }));
        let Some(code) = code else { continue };
        if unit.as_deref() == Some("EPC") {
            epc.get_or_insert(code);
        } else {
            barcode.get_or_insert(code);
        }
    }
    let packaging_unit = trimmed(fields.get("f120_id_unidad_empaque"));
    let factor = packaging_unit.and_then(|unit| {
        unit_rows
            .iter()
            .find(|row| trimmed(row.get("f122_id_unidad")).as_deref() == Some(unit.as_str()))
            .and_then(|row| row.get("f122_factor").cloned())
    });
    fields.insert("barcode".into(), barcode.map_or(Value::Null, Value::String));
    fields.insert("epc".into(), epc.map_or(Value::Null, Value::String));
    fields.insert("barcodes".into(), Value::Array(barcodes));
    fields.insert("f122_factor".into(), factor.unwrap_or(Value::Null));
    fields
}
