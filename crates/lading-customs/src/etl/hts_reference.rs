//! `hts_reference`: the importer's HTS table (ZTIOR_HTS) cross-checked with the USITC revision,
//! plus every HTS number the product master uses.
//!
//! The USITC revision is the authority; SAP's table is checked against it:
//! - every `HTSNO` must be a 10-digit leaf of the revision (unknown or not a leaf: a problem);
//! - `UNIT` must be one of the leaf's units of quantity and `GENERAL` must say the same rate as
//!   the 8-digit line the leaf inherits from (`Free` = `free`, `3%` = `3.0 %`); a disagreement
//!   is a problem of the SAP row;
//! - `CH99` must be Chapter 99 numbers (`9903.88.03`); they join the footnote references.
//!
//! Output: one [`HtsEntry`] per number in use — SAP's valid rows and every product's number —
//! taken from the revision, its Chapter 99 list extended by SAP's references.

use super::check::{self, HtsCatalog};
use super::values::RowReader;
use super::{Issue, JobOutput, Row};
use crate::model::{HtsEntry, Rate};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Checks SAP's HTS rows and collects the entries of every number in use.
pub fn hts_reference(sap_rows: &[Row], product_numbers: &[String], catalog: &dyn HtsCatalog) -> JobOutput<HtsEntry> {
    let mut output = JobOutput::default();
    let mut entries: BTreeMap<String, HtsEntry> = BTreeMap::new();
    let mut seen: BTreeMap<String, &Row> = BTreeMap::new();
    for (index, row) in sap_rows.iter().enumerate() {
        let mut reader = RowReader::new(row);
        let Some(text) = reader.required("HTSNO", "the 10-digit hts number") else {
            output.reject(format!("ZTIOR_HTS row {}", index + 1), reader.finish(), Value::Object(row.clone()));
            continue;
        };
        let key = check::hts10(&text).unwrap_or_else(|_| text.clone());
        if let Some(first) = seen.get(&key) {
            output.duplicates += 1;
            if same_content(first, row) {
                continue;
            }
            reader.issue(
                "HTSNO",
                "conflicting_rows",
                format!("{key} is listed twice with different values: keep one row in ZTIOR_HTS"),
            );
            output.reject(format!("{key} (row {})", index + 1), reader.finish(), Value::Object(row.clone()));
            continue;
        }
        seen.insert(key.clone(), row);
        match sap_entry(&mut reader, &text, catalog) {
            Some(entry) if !reader.has_issues() => {
                entries.insert(entry.hts10.clone(), entry);
            }
            _ => output.reject(key, reader.finish(), Value::Object(row.clone())),
        }
    }
    for number in product_numbers {
        let Ok(key) = check::hts10(number) else {
            output.reject(
                format!("product hts {number}"),
                vec![Issue::new(
                    "hts10",
                    "hts_not_10_digits",
                    format!("product hts {number:?} is not a 10-digit number"),
                )],
                json!({"hts10": number}),
            );
            continue;
        };
        if entries.contains_key(&key) {
            continue;
        }
        match check::hts_leaf(catalog, &key) {
            Ok(entry) => {
                entries.insert(key, entry);
            }
            Err((code, message)) => {
                if !output.rejected.iter().any(|r| r.key == format!("product hts {key}")) {
                    output.reject(
                        format!("product hts {key}"),
                        vec![Issue::new("hts10", code, message)],
                        json!({"hts10": key}),
                    );
                }
            }
        }
    }
    output.rows = entries.into_iter().collect();
    output
}

/// Whether two rows of one number say the same: same unit, same rate, same references.
fn same_content(a: &Row, b: &Row) -> bool {
    let text = |row: &Row, field: &str| super::values::text_of(row.get(field)).unwrap_or_default();
    let references = |row: &Row| {
        let mut numbers: Vec<String> = RowReader::new(row)
            .words("CH99")
            .iter()
            .map(|w| check::chapter99(w).unwrap_or_else(|_| w.clone()))
            .collect();
        numbers.sort();
        numbers.dedup();
        numbers
    };
    crate::hts::normalise_unit(&text(a, "UNIT")) == crate::hts::normalise_unit(&text(b, "UNIT"))
        && same_rate_text(&text(a, "GENERAL"), &text(b, "GENERAL"))
        && references(a) == references(b)
}

/// The revision's entry for one SAP row, with every disagreement recorded on the reader.
fn sap_entry(reader: &mut RowReader<'_>, text: &str, catalog: &dyn HtsCatalog) -> Option<HtsEntry> {
    let mut entry = match check::hts_leaf(catalog, text) {
        Ok(entry) => entry,
        Err((code, message)) => {
            reader.issue("HTSNO", code, message);
            return None;
        }
    };
    if let Some(text) = reader.text("UNIT") {
        // One unit (`No.`, `doz. prs.`), or several separated by spaces (`kg No.`).
        let whole = crate::hts::normalise_unit(&text);
        let agrees = entry.units.is_empty()
            || entry.units.contains(&whole)
            || text.split_whitespace().all(|part| entry.units.contains(&crate::hts::normalise_unit(part)));
        if !agrees {
            reader.issue(
                "UNIT",
                "unit_mismatch",
                format!(
                    "{} is reported in {:?} by the usitc revision but ZTIOR_HTS says {text:?}: correct UNIT",
                    entry.hts10, entry.units
                ),
            );
        }
    }
    if let Some(general) = reader.text("GENERAL")
        && !same_rate_text(&general, &entry.general_text)
    {
        reader.issue(
            "GENERAL",
            "rate_mismatch",
            format!(
                "the general rate of {} is {:?} in the usitc revision but ZTIOR_HTS says {general:?}: correct GENERAL",
                entry.hts10, entry.general_text
            ),
        );
    }
    for word in reader.words("CH99") {
        match check::chapter99(&word) {
            Ok(number) => {
                if !entry.chapter99.contains(&number) {
                    entry.chapter99.push(number);
                }
            }
            Err(message) => reader.issue("CH99", "invalid_chapter99", message),
        }
    }
    Some(entry)
}

/// Whether two rate texts state the same rate: case, spaces, a trailing period and the form of
/// a percentage (`3%`, `3.0 %`) do not matter.
pub fn same_rate_text(a: &str, b: &str) -> bool {
    let (rate_a, rate_b) = (crate::rate::parse_rate(a), crate::rate::parse_rate(b));
    if !matches!(rate_a, Rate::Unparsed { .. }) && !matches!(rate_b, Rate::Unparsed { .. }) {
        return rate_a == rate_b;
    }
    let canonical = |text: &str| -> String {
        let compact: String = text.to_lowercase().split_whitespace().collect();
        let compact = compact.trim_end_matches('.').to_string();
        match compact.strip_suffix('%').map(super::values::parse_number) {
            Some(Ok(percent)) => format!("{}%", percent.normalize()),
            _ => compact,
        }
    };
    canonical(a) == canonical(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etl::product_master::tests::{Catalog, rows};

    fn run(sap: Value, products: &[&str]) -> JobOutput<HtsEntry> {
        let products: Vec<String> = products.iter().map(|p| p.to_string()).collect();
        hts_reference(&rows(sap), &products, &Catalog)
    }

    use crate::etl::reason_codes as reasons;

    #[test]
    fn sap_rows_and_product_numbers_become_usitc_entries() {
        let output = run(
            json!([
                {"HTSNO": "9403.20.00.35", "DESCR": "ADJ BASE", "UNIT": "NO", "GENERAL": "Free", "CH99": "9903.88.03 9903.01.24"},
                {"HTSNO": "9403200035", "DESCR": "ADJ BASE", "UNIT": "No.", "GENERAL": "free", "CH99": "99038803 9903.01.24"},
                {"HTSNO": "9404.21.00.13", "UNIT": "No.", "GENERAL": "3.0 %"},
            ]),
            &["9403.20.00.35", "9403.99.90.45"],
        );
        assert!(output.rejected.is_empty(), "{:?}", reasons(&output));
        let keys: Vec<&str> = output.rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["9403.20.00.35", "9403.99.90.45", "9404.21.00.13"]);
        assert_eq!(output.duplicates, 1);
        assert_eq!(output.rows[0].1.chapter99, ["9903.88.03", "9903.01.24"], "footnotes then SAP's references");
        assert_eq!(output.rows[0].1.description, "line 9403.20.00.35", "descriptions come from the usitc revision");
    }

    #[test]
    fn unknown_non_leaf_and_disagreeing_rows_are_problems() {
        let output = run(
            json!([
                {"HTSNO": "9999.99.99.99", "UNIT": "No.", "GENERAL": "Free"},
                {"HTSNO": "9403.20.00.90", "UNIT": "No.", "GENERAL": "Free"},
                {"HTSNO": "9403.20.00", "UNIT": "No.", "GENERAL": "Free"},
                {"HTSNO": "9404.21.00.13", "UNIT": "kg", "GENERAL": "6%", "CH99": "9903.88 abc"},
                {"DESCR": "no number"},
            ]),
            &["9404.21.00.13", "9403.20.00.36"],
        );
        assert_eq!(
            reasons(&output),
            [
                "9999.99.99.99 HTSNO:hts_unknown",
                "9403.20.00.90 HTSNO:hts_not_leaf",
                "9403.20.00 HTSNO:hts_not_10_digits",
                "9404.21.00.13 UNIT:unit_mismatch",
                "9404.21.00.13 GENERAL:rate_mismatch",
                "9404.21.00.13 CH99:invalid_chapter99",
                "9404.21.00.13 CH99:invalid_chapter99",
                "ZTIOR_HTS row 5 HTSNO:missing",
                "product hts 9403.20.00.36 hts10:hts_unknown",
            ]
        );
        let keys: Vec<&str> = output.rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["9404.21.00.13"], "a product's number still comes from the revision");
        assert_eq!(output.rows[0].1.chapter99, ["9903.88.03"], "without the rejected row's references");
    }

    #[test]
    fn a_number_listed_twice_with_different_values_is_a_problem() {
        let output = run(
            json!([
                {"HTSNO": "9404.21.00.13", "UNIT": "No.", "GENERAL": "3%"},
                {"HTSNO": "9404.21.00.13", "UNIT": "No.", "GENERAL": "4%"},
            ]),
            &[],
        );
        assert_eq!(reasons(&output), ["9404.21.00.13 (row 2) HTSNO:conflicting_rows"]);
        assert_eq!(output.rows.len(), 1);
    }

    #[test]
    fn rate_texts_compare_by_meaning() {
        assert!(same_rate_text("Free", "free"));
        assert!(same_rate_text("3%", "3.0 %"));
        assert!(same_rate_text("2.5¢/kg", "2.5¢/kg."));
        assert!(!same_rate_text("3%", "6%"));
        assert!(!same_rate_text("Free", "3%"));
    }
}
