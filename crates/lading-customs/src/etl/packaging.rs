//! `packaging_materials` and `unit_conversions`: ZFMIOR003 (units of measure per material).
//!
//! Each row is one unit of a material (`MEINH`): `UMREZ` / `UMREN` base units make one of it.
//! A unit without that conversion (blank, zero or unreadable) is a problem of the row — the
//! transactions could not turn quantities in it into base units. Rows that name a packaging
//! (`ZZPACK_TYPE`: `CARTON`, `CRATE`, `PALLET`) also give its weight, `ZZPACK_KG`, in kg of
//! packaging per base unit. Rows repeated for one key are merged; repeated keys that disagree
//! are problems.

use super::values::RowReader;
use super::{Issue, JobOutput, Row};
use crate::model::Packaging;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// How many base units one unit of a material holds: `UMREZ / UMREN`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitConversion {
    pub material: String,
    /// The unit as SAP names it (`CAR`, `PAL`, `ST`), upper case.
    pub unit: String,
    pub base_units_per_unit: Decimal,
}

/// What the job produced: packaging per product, and every unit's conversion.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PackagingOutput {
    /// The `packaging_materials` table; rejected rows of both tables are listed here.
    pub packaging: JobOutput<Packaging>,
    /// The `unit_conversions` table.
    pub conversions: JobOutput<UnitConversion>,
}

/// The key of a packaging row: `{material}|{packaging type}`.
pub fn packaging_key(packaging: &Packaging) -> String {
    format!("{}|{}", packaging.material, packaging.packaging_type)
}

/// Reads the units and packaging of every material.
pub fn packaging_materials(rows: &[Row]) -> PackagingOutput {
    let mut output = PackagingOutput::default();
    let mut packaging: BTreeMap<String, Packaging> = BTreeMap::new();
    let mut conversions: BTreeMap<String, UnitConversion> = BTreeMap::new();
    for (index, row) in rows.iter().enumerate() {
        let mut reader = RowReader::new(row);
        let material = reader.material("MATNR");
        let unit = reader.required("MEINH", "the unit of measure").map(|u| u.to_uppercase());
        let key = match (&material, &unit) {
            (Some(material), Some(unit)) => format!("{material}|{unit}"),
            _ => format!("ZFMIOR003 row {}", index + 1),
        };
        let numerator = reader.required_number("UMREZ", "the conversion to the base unit");
        let denominator = reader.required_number("UMREN", "the conversion to the base unit");
        let factor = match (numerator, denominator) {
            (Some(n), Some(d)) if n > Decimal::ZERO && d > Decimal::ZERO => match n.checked_div(d) {
                Some(factor) => Some(factor.normalize()),
                None => {
                    reader.issue("UMREZ", "out_of_range", format!("UMREZ/UMREN {n}/{d} is out of range"));
                    None
                }
            },
            (Some(_), Some(_)) => {
                reader.issue(
                    "UMREZ",
                    "no_conversion",
                    format!("unit {} has no conversion to the base unit (UMREZ/UMREN must be above 0): maintain it in the material master", unit.as_deref().unwrap_or("?")),
                );
                None
            }
            _ => None,
        };
        let pack = match reader.text("ZZPACK_TYPE") {
            Some(kind) => {
                let kg = reader.required_number("ZZPACK_KG", "the packaging kg per base unit");
                if kg.is_some_and(|kg| kg < Decimal::ZERO) {
                    reader.issue("ZZPACK_KG", "invalid_weight", "ZZPACK_KG must not be negative");
                }
                kg.map(|kg| (kind.to_uppercase(), kg.normalize()))
            }
            None => None,
        };
        let issues = if reader.has_issues() { reader.finish() } else { Vec::new() };
        let (Some(material), Some(unit), Some(factor), true) = (material, unit, factor, issues.is_empty()) else {
            let issues = if issues.is_empty() {
                vec![Issue::new("MEINH", "invalid_row", "the row could not be read")]
            } else {
                issues
            };
            output.packaging.reject(key, issues, Value::Object(row.clone()));
            continue;
        };
        let conversion = UnitConversion { material: material.clone(), unit, base_units_per_unit: factor };
        if let Some(reason) = merge(&mut conversions, key.clone(), conversion, &mut output.conversions.duplicates) {
            output.packaging.reject(key, vec![reason], Value::Object(row.clone()));
            continue;
        }
        if let Some((packaging_type, kg)) = pack {
            let item = Packaging { material, packaging_type, kg_per_unit: kg };
            let pack_key = packaging_key(&item);
            if let Some(reason) = merge(&mut packaging, pack_key.clone(), item, &mut output.packaging.duplicates) {
                output.packaging.reject(pack_key, vec![reason], Value::Object(row.clone()));
            }
        }
    }
    output.packaging.rows = packaging.into_iter().collect();
    output.conversions.rows = conversions.into_iter().collect();
    output
}

/// Adds `value` under `key`; the same value again is a duplicate, a different one a problem.
fn merge<T: PartialEq>(
    table: &mut BTreeMap<String, T>,
    key: String,
    value: T,
    duplicates: &mut usize,
) -> Option<Issue> {
    match table.get(&key) {
        None => {
            table.insert(key, value);
            None
        }
        Some(first) if *first == value => {
            *duplicates += 1;
            None
        }
        Some(_) => Some(Issue::new(
            "MEINH",
            "conflicting_rows",
            format!("{key} is listed twice with different values: keep one row"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etl::product_master::tests::rows;
    use serde_json::json;

    fn uom() -> Vec<Row> {
        rows(json!([
            {"MATNR": "000000000000001001", "MEINH": "ST", "UMREZ": "1", "UMREN": "1", "BRGEW": "52.500", "GEWEI": "KG"},
            {"MATNR": "000000000000001001", "MEINH": "CAR", "UMREZ": "1", "UMREN": "1", "ZZPACK_TYPE": "CARTON", "ZZPACK_KG": "3.200"},
            {"MATNR": "000000000000001001", "MEINH": "PAL", "UMREZ": "20", "UMREN": "1", "ZZPACK_TYPE": "PALLET", "ZZPACK_KG": "1.250"},
            {"MATNR": "1001", "MEINH": "PAL", "UMREZ": "20", "UMREN": "1", "ZZPACK_TYPE": "PALLET", "ZZPACK_KG": "1.25"},
            {"MATNR": "1002", "MEINH": "DZ", "UMREZ": "12", "UMREN": "1"},
            {"MATNR": "1002", "MEINH": "KAR", "UMREZ": "1", "UMREN": "3"},
        ]))
    }

    #[test]
    fn units_become_conversions_and_packaging_rows() {
        let output = packaging_materials(&uom());
        assert!(output.packaging.rejected.is_empty(), "{:?}", output.packaging.rejected);
        let keys: Vec<&str> = output.packaging.rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["1001|CARTON", "1001|PALLET"]);
        assert_eq!(output.packaging.rows[1].1.kg_per_unit, Decimal::new(125, 2));
        assert_eq!(output.packaging.duplicates, 1);
        let conversions: Vec<(String, String)> =
            output.conversions.rows.iter().map(|(k, c)| (k.clone(), c.base_units_per_unit.to_string())).collect();
        assert_eq!(
            conversions,
            [
                ("1001|CAR".to_string(), "1".to_string()),
                ("1001|PAL".into(), "20".into()),
                ("1001|ST".into(), "1".into()),
                ("1002|DZ".into(), "12".into()),
                ("1002|KAR".into(), "0.3333333333333333333333333333".into()),
            ]
        );
    }

    #[test]
    fn a_unit_with_no_conversion_is_a_problem() {
        let mut rows = uom();
        rows[4].insert("UMREZ".into(), json!("0"));
        rows[5].insert("UMREN".into(), json!(""));
        rows[1].insert("ZZPACK_KG".into(), json!("-1"));
        rows[3].insert("ZZPACK_KG".into(), json!("2"));
        let output = packaging_materials(&rows);
        let reasons: Vec<String> = output
            .packaging
            .rejected
            .iter()
            .flat_map(|r| r.reasons.iter().map(move |i| format!("{} {}:{}", r.key, i.field, i.code)))
            .collect();
        assert_eq!(
            reasons,
            [
                "1001|CAR ZZPACK_KG:invalid_weight",
                "1001|PALLET MEINH:conflicting_rows",
                "1002|DZ UMREZ:no_conversion",
                "1002|KAR UMREN:missing",
            ]
        );
        assert!(output.packaging.rejected[2].reasons[0].message.contains("no conversion"));
    }
}
