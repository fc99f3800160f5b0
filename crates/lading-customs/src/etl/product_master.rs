//! `product_master`: ZFMIOR002 (weights) merged with ZEMM005 (material master) by material.
//!
//! Rules, each a problem of the product when broken:
//! - materials are matched by `MATNR` without leading zeros; a material needs a row in both;
//! - rows repeated per plant, unit or language are merged (first wins); rows of one material
//!   that disagree on the HTS number or the origin make it ambiguous — a problem naming both;
//! - weights (`BRGEW` gross, `NTGEW` net, per base unit `MEINS`) are converted from `GEWEI`
//!   (`G`, `LB`, `KG` …) to kilograms exactly (no rounding before the customs line); `"0.000"` means "not maintained";
//!   net above gross is a problem;
//! - `STAWN` must be a 10-digit statistical line (a leaf) of the HTS revision in use;
//! - `HERKL` (origin) is required, ISO-2; `ZZMID` optional, at most 15 characters;
//! - a material whose every master row is flagged `LVORM = X` is excluded, not quarantined.

use super::check::{self, HtsCatalog};
use super::values::{RowReader, material_number, text_of};
use super::{Issue, JobOutput, Row, rows_value};
use crate::model::Product;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::BTreeMap;

/// Merges and validates the two extracts into products keyed by material.
pub fn product_master(weights: &[Row], materials: &[Row], catalog: &dyn HtsCatalog) -> JobOutput<Product> {
    let mut output = JobOutput::default();
    let mut by_material: BTreeMap<String, (Vec<&Row>, Vec<&Row>)> = BTreeMap::new();
    for (source, rows, is_weight) in [("ZFMIOR002", weights, true), ("ZEMM005", materials, false)] {
        for (index, row) in rows.iter().enumerate() {
            match text_of(row.get("MATNR")).and_then(|m| material_number(&m)) {
                Some(material) => {
                    let entry = by_material.entry(material).or_default();
                    if is_weight { entry.0.push(row) } else { entry.1.push(row) }
                }
                None => output.reject(
                    format!("{source} row {}", index + 1),
                    vec![Issue::new(
                        "MATNR",
                        "missing",
                        "MATNR is empty or zero: the row cannot be matched to a material",
                    )],
                    json!({ source: row }),
                ),
            }
        }
    }
    for (material, (weight_rows, master_rows)) in by_material {
        let active: Vec<&Row> = master_rows.iter().copied().filter(|row| !RowReader::new(row).flag("LVORM")).collect();
        if !master_rows.is_empty() && active.is_empty() {
            output.excluded.push(material);
            continue;
        }
        output.duplicates += weight_rows.len().saturating_sub(1) + active.len().saturating_sub(1);
        match product(&material, &weight_rows, &active, catalog) {
            Ok(product) => output.rows.push((material, product)),
            Err(reasons) => {
                let record = json!({"ZFMIOR002": rows_value(weight_rows.iter().copied()), "ZEMM005": rows_value(master_rows.iter().copied())});
                output.reject(material, reasons, record);
            }
        }
    }
    output.sort();
    output
}

fn product(
    material: &str,
    weight_rows: &[&Row],
    master_rows: &[&Row],
    catalog: &dyn HtsCatalog,
) -> Result<Product, Vec<Issue>> {
    let mut issues = Vec::new();
    let empty = Row::new();
    let weight_row = weight_rows.first().copied();
    let master_row = master_rows.first().copied();
    if weight_row.is_none() {
        issues.push(Issue::new(
            "ZFMIOR002",
            "missing_weights",
            format!("material {material} has no weights in ZFMIOR002: maintain its gross and net weight"),
        ));
    }
    if master_row.is_none() {
        issues.push(Issue::new(
            "ZEMM005",
            "missing_material_master",
            format!("material {material} has no material master row in ZEMM005: maintain its hts number and origin"),
        ));
    }
    for field in ["STAWN", "HERKL"] {
        let values: Vec<String> =
            master_rows.iter().filter_map(|row| text_of(row.get(field))).map(|v| v.to_uppercase()).collect();
        let canonical = |value: &String| {
            if field == "STAWN" { check::hts_digits(value).unwrap_or_else(|| value.clone()) } else { value.clone() }
        };
        if let Some(other) = values.iter().find(|v| canonical(v) != canonical(&values[0])) {
            let what = if field == "STAWN" { "hts numbers" } else { "origins" };
            issues.push(Issue::new(
                field,
                "conflicting_rows",
                format!(
                    "material {material} has different {what} per plant ({} and {other}): make them agree in ZEMM005",
                    values[0]
                ),
            ));
        }
    }

    let mut weights = RowReader::new(weight_row.unwrap_or(&empty));
    let mut master = RowReader::new(master_row.unwrap_or(&empty));
    let description = master.text("MAKTX").or_else(|| weights.text("MAKTX")).unwrap_or_default();
    let base_unit = master.text("MEINS").or_else(|| weights.text("MEINS"));
    let (gross, net) = if weight_row.is_some() {
        let factor = weight_unit(&mut weights);
        (weight(&mut weights, "BRGEW", "gross", factor), weight(&mut weights, "NTGEW", "net", factor))
    } else {
        (None, None)
    };
    if let (Some(gross), Some(net)) = (gross, net)
        && net > gross
    {
        weights.issue(
            "NTGEW",
            "net_above_gross",
            format!("net weight {net} kg is above the gross weight {gross} kg: correct NTGEW or BRGEW"),
        );
    }
    if weight_row.is_some() && base_unit.is_none() {
        weights.issue("MEINS", "missing", "MEINS is empty: maintain the base unit the weights refer to");
    }

    let mut hts10 = None;
    let mut origin = None;
    let mut mid = None;
    if master_row.is_some() {
        if let Some(code) = master.required("STAWN", "the 10-digit hts number") {
            match check::hts_leaf(catalog, &code) {
                Ok(entry) => hts10 = Some(entry.hts10),
                Err((code_name, message)) => master.issue("STAWN", code_name, message),
            }
        }
        if let Some(text) = master.required("HERKL", "the country of origin") {
            match check::origin(&text) {
                Ok(code) => origin = Some(code),
                Err(message) => master.issue("HERKL", "invalid_origin", message),
            }
        }
        if let Some(text) = master.text("ZZMID") {
            match check::mid(&text) {
                Ok(code) => mid = Some(code),
                Err(message) => master.issue("ZZMID", "invalid_mid", message),
            }
        }
    }
    issues.extend(weights.finish());
    issues.extend(master.finish());
    match (hts10, origin, gross, net, base_unit) {
        (Some(hts10), Some(origin), Some(gross), Some(net), Some(base_unit)) if issues.is_empty() => Ok(Product {
            material: material.to_string(),
            description,
            hts10,
            origin,
            base_unit: check::base_unit(&base_unit),
            net_kg_per_unit: net,
            gross_kg_per_unit: gross,
            mid,
        }),
        _ => Err(issues),
    }
}

/// A weight of the base unit in kilograms (`kg_per_unit` converts `GEWEI`); zero or blank
/// means not maintained.
fn weight(reader: &mut RowReader<'_>, field: &str, what: &str, kg_per_unit: Option<Decimal>) -> Option<Decimal> {
    let value = reader.required_number(field, &format!("the {what} weight per base unit"))?;
    if value <= Decimal::ZERO {
        reader.issue(
            field,
            "weight_not_maintained",
            format!("{field} is {value}: the {what} weight is not maintained; maintain it per base unit"),
        );
        return None;
    }
    let kg = value.checked_mul(kg_per_unit?).map(|kg| kg.normalize());
    if kg.is_none() {
        reader.issue(field, "out_of_range", format!("{field} {value} is too large to be a weight"));
    }
    kg
}

/// Kilograms per `GEWEI` unit; a problem when it is blank or unknown.
fn weight_unit(reader: &mut RowReader<'_>) -> Option<Decimal> {
    let unit = reader.required("GEWEI", "the weight unit (KG, G or LB)")?;
    let factor = check::kg_per(&unit);
    if factor.is_none() {
        reader.issue("GEWEI", "unknown_weight_unit", format!("weight unit {unit:?} is unknown: use KG, G or LB"));
    }
    factor
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::etl::check::HtsLookup;
    use crate::model::{HtsEntry, Rate};
    use serde_json::{Value, json};

    /// A catalogue of a few real numbers: 9403.20.00.35 and 9404.21.00.13 are leaves,
    /// 9403.20.00 is a rate line.
    pub(crate) struct Catalog;

    pub(crate) fn entry(hts10: &str, unit: crate::model::Unit, general: &str) -> HtsEntry {
        HtsEntry {
            hts10: hts10.into(),
            hts8: hts10[..10].into(),
            description: format!("line {hts10}"),
            units: vec![unit],
            general: if general == "Free" {
                Rate::Free
            } else {
                Rate::AdValorem { percent: general.trim_end_matches('%').parse().unwrap_or_default() }
            },
            general_text: general.into(),
            special_text: String::new(),
            other_text: String::new(),
            chapter99: vec!["9903.88.03".into()],
        }
    }

    impl HtsCatalog for Catalog {
        fn lookup(&self, hts10: &str) -> HtsLookup {
            use crate::model::Unit;
            match hts10 {
                "9403.20.00.35" => HtsLookup::Leaf(Box::new(entry(hts10, Unit::Number, "Free"))),
                "9404.21.00.13" => HtsLookup::Leaf(Box::new(entry(hts10, Unit::Number, "3%"))),
                "9403.99.90.45" => HtsLookup::Leaf(Box::new(entry(hts10, Unit::Kilograms, "Free"))),
                "9403.20.00.90" => HtsLookup::NotLeaf,
                _ => HtsLookup::Unknown,
            }
        }
    }

    pub(crate) fn rows(value: Value) -> Vec<Row> {
        value.as_array().map(|rows| rows.iter().filter_map(|r| r.as_object().cloned()).collect()).unwrap_or_default()
    }

    fn weights() -> Vec<Row> {
        rows(json!([
            {"MATNR": "000000000000001001", "MAKTX": "BASE QUEEN", "MEINS": "ST", "BRGEW": "52.500", "NTGEW": "48.000", "GEWEI": "KG"},
            {"MATNR": "1001", "MAKTX": "BASE QUEEN (ES)", "MEINS": "ST", "BRGEW": "52.500", "NTGEW": "48.000", "GEWEI": "KG"},
            {"MATNR": "000000000000001002", "MAKTX": "MATTRESS", "MEINS": "ST", "BRGEW": "30000", "NTGEW": "27500", "GEWEI": "G"},
            {"MATNR": "1003", "MAKTX": "PARTS", "MEINS": "ST", "BRGEW": "10", "NTGEW": "9", "GEWEI": "LB"},
        ]))
    }

    fn materials() -> Vec<Row> {
        rows(json!([
            {"MATNR": "000000000000001001", "MAKTX": "BASE QUEEN", "MEINS": "ST", "WERKS": "1000", "STAWN": "9403200035", "HERKL": "CN", "LVORM": "", "ZZMID": "CNXYZ123SHA"},
            {"MATNR": "000000000000001001", "MAKTX": "BASE QUEEN", "MEINS": "ST", "WERKS": "2000", "STAWN": "9403.20.00.35", "HERKL": "cn", "LVORM": ""},
            {"MATNR": "1002", "MAKTX": "MATTRESS", "MEINS": "ST", "WERKS": "1000", "STAWN": "9404.21.00.13", "HERKL": "VN", "LVORM": ""},
            {"MATNR": "1003", "MAKTX": "PARTS", "MEINS": "ST", "WERKS": "1000", "STAWN": "9403.99.90.45", "HERKL": "CN", "LVORM": ""},
        ]))
    }

    fn run(weights: &[Row], materials: &[Row]) -> JobOutput<Product> {
        product_master(weights, materials, &Catalog)
    }

    fn reasons(output: &JobOutput<Product>, key: &str) -> Vec<String> {
        output
            .rejected
            .iter()
            .filter(|r| r.key == key)
            .flat_map(|r| r.reasons.iter().map(|i| format!("{}:{}", i.field, i.code)))
            .collect()
    }

    #[test]
    fn merges_by_material_converts_weights_and_deduplicates() {
        let output = run(&weights(), &materials());
        assert!(output.rejected.is_empty(), "{:#?}", output.rejected);
        let keys: Vec<&str> = output.rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["1001", "1002", "1003"]);
        assert_eq!(output.duplicates, 2, "one repeated weight row, one repeated plant row");
        let base = &output.rows[0].1;
        assert_eq!(base.hts10, "9403.20.00.35");
        assert_eq!(base.origin, "CN");
        assert_eq!(base.base_unit, "pieces");
        assert_eq!(base.gross_kg_per_unit, Decimal::new(525, 1));
        assert_eq!(base.mid.as_deref(), Some("CNXYZ123SHA"));
        assert_eq!(output.rows[1].1.net_kg_per_unit, Decimal::new(275, 1), "grams to kg");
        assert_eq!(output.rows[2].1.gross_kg_per_unit, Decimal::new(45_359_237, 7), "pounds to kg, exactly");
        assert_eq!(output.rows[2].1.mid, None);
    }

    #[test]
    fn a_deleted_material_is_excluded() {
        let mut materials = materials();
        for row in materials.iter_mut().filter(|r| r["MATNR"] == json!("1002")) {
            row.insert("LVORM".into(), json!("X"));
        }
        let output = run(&weights(), &materials);
        assert_eq!(output.excluded, ["1002"]);
        assert!(output.rows.iter().all(|(k, _)| k != "1002"));
    }

    #[test]
    fn unknown_and_non_leaf_hts_numbers_are_problems() {
        let mut materials = materials();
        materials[2].insert("STAWN".into(), json!("9404.99.99.99"));
        materials[3].insert("STAWN".into(), json!("9403.20.00.90"));
        let output = run(&weights(), &materials);
        assert_eq!(reasons(&output, "1002"), ["STAWN:hts_unknown"]);
        assert_eq!(reasons(&output, "1003"), ["STAWN:hts_not_leaf"]);
        let mut materials = self::materials();
        materials[2].insert("STAWN".into(), json!("9404.21.00"));
        assert_eq!(reasons(&run(&weights(), &materials), "1002"), ["STAWN:hts_not_10_digits"]);
    }

    #[test]
    fn missing_weight_and_origin_are_problems() {
        let mut weights = weights();
        weights[2].insert("BRGEW".into(), json!("0.000"));
        weights[2].insert("NTGEW".into(), json!(""));
        let mut materials = materials();
        materials[2].insert("HERKL".into(), json!(" "));
        materials[3].insert("HERKL".into(), json!("XX"));
        let output = run(&weights, &materials);
        assert_eq!(reasons(&output, "1002"), ["BRGEW:weight_not_maintained", "NTGEW:missing", "HERKL:missing"]);
        assert_eq!(reasons(&output, "1003"), ["HERKL:invalid_origin"]);
        let message = &output.rejected.iter().find(|r| r.key == "1002").unwrap().reasons[0].message;
        assert!(message.contains("not maintained"), "{message}");
    }

    #[test]
    fn a_material_missing_on_one_side_and_conflicting_plants_are_problems() {
        let mut weights = weights();
        weights.retain(|r| r["MATNR"] != json!("1003"));
        let mut materials = materials();
        materials[1].insert("HERKL".into(), json!("VN"));
        let mut extra = materials[2].clone();
        extra.insert("MATNR".into(), json!("1004"));
        let mut orphan = weights[2].clone();
        orphan.insert("MATNR".into(), json!("1005"));
        weights.push(orphan);
        materials.push(extra);
        let output = run(&weights, &materials);
        assert_eq!(reasons(&output, "1001"), ["HERKL:conflicting_rows"]);
        assert_eq!(reasons(&output, "1003"), ["ZFMIOR002:missing_weights"]);
        assert_eq!(reasons(&output, "1004"), ["ZFMIOR002:missing_weights"]);
        assert_eq!(reasons(&output, "1005"), ["ZEMM005:missing_material_master"]);
    }

    #[test]
    fn bad_units_numbers_and_net_above_gross() {
        let mut weights = weights();
        weights[2].insert("GEWEI".into(), json!("ST"));
        weights[3].insert("NTGEW".into(), json!("12"));
        weights[3].insert("BRGEW".into(), json!("abc"));
        let output = run(&weights, &materials());
        assert_eq!(reasons(&output, "1002"), ["GEWEI:unknown_weight_unit"]);
        assert_eq!(reasons(&output, "1003"), ["BRGEW:invalid_number"]);
        let mut weights = self::weights();
        weights[3].insert("NTGEW".into(), json!("12"));
        assert_eq!(reasons(&run(&weights, &materials()), "1003"), ["NTGEW:net_above_gross"]);
    }

    #[test]
    fn rows_without_a_material_number_are_rejected_alone() {
        let mut weights = weights();
        weights.push(rows(json!([{"MATNR": "0000", "BRGEW": "1"}])).remove(0));
        let output = run(&weights, &materials());
        assert_eq!(output.rows.len(), 3);
        assert_eq!(reasons(&output, "ZFMIOR002 row 5"), ["MATNR:missing"]);
    }
}
