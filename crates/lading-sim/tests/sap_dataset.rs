//! The SAP simulator's demo importer dataset without HTTP: its volumes, its reference data
//! against the customs crate's own checks, the importer's CSVs, and the planted discrepancies
//! against what the customs comparison actually finds.

use std::collections::BTreeSet;

use lading_customs::compare::{Severity, Tolerances, compare};
use lading_customs::rules::check_rules;
use lading_sim::sap::{CSV_FILES, DatasetSize, ImporterDataset};

#[test]
fn the_standard_dataset_has_the_importers_volumes() {
    let dataset = ImporterDataset::generate(42, DatasetSize::Standard);
    let summary = dataset.summary();
    assert_eq!(summary.products, 73);
    assert_eq!(summary.hts_codes, 21);
    assert!((60..=75).contains(&summary.packaging), "{summary:?}");
    assert_eq!(summary.entries, 300);
    assert!(summary.billing_items > 3 * summary.entries, "{summary:?}");
    assert!(summary.credit_memo_items > 0 && summary.cancellation_items > 0, "{summary:?}");
    assert!(summary.movements > summary.billing_items, "{summary:?}");
    assert!(summary.generated_lines >= summary.entries, "{summary:?}");
    // The generator refuses only the credit memo and cancellation items (dated after entry).
    let refused = dataset.customs.issues.iter().filter(|issue| issue.code == "quantity_not_positive").count();
    assert_eq!(refused, summary.credit_memo_items + summary.cancellation_items);
    let origins: BTreeSet<&str> = dataset.entries.iter().map(|entry| entry.origin.as_str()).collect();
    assert_eq!(origins, BTreeSet::from(["CN", "MX", "VN"]));
    let first = dataset.entries.iter().map(|entry| entry.entry_date).min();
    let last = dataset.entries.iter().map(|entry| entry.entry_date).max();
    assert!(first.is_some_and(|date| date.to_string().starts_with("2025-01")), "{first:?}");
    assert!(last.is_some_and(|date| date.to_string().starts_with("2026-06")), "{last:?}");
    let currencies: BTreeSet<&str> = dataset.billing.iter().map(|item| item.currency.as_str()).collect();
    assert_eq!(currencies, BTreeSet::from(["CNY", "USD"]));
    // Metal splits, claim codes and Section 122 all occur.
    let numbers: BTreeSet<&str> = dataset
        .customs
        .generated
        .iter()
        .flat_map(|line| line.tariffs.iter().map(|tariff| tariff.hts_number.as_str()))
        .collect();
    for number in
        ["9903.88.03", "9903.01.24", "9903.01.25", "9903.01.33", "9903.03.01", "9903.03.06", "9903.85.08", "9903.76.02"]
    {
        assert!(numbers.contains(number), "{number} never reported");
    }
    assert!(dataset.customs.generated.iter().any(|line| line.part == lading_customs::model::LinePart::Metal));
    let small = ImporterDataset::generate(42, DatasetSize::Small).summary();
    assert_eq!(small.entries, 40);
    assert_eq!(small.products, 73);
}

#[test]
fn the_tariff_table_passes_the_customs_crates_checks() {
    let dataset = ImporterDataset::generate(1, DatasetSize::Small);
    let problems = check_rules(&dataset.tariff_rules);
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn the_planted_discrepancies_are_exactly_what_the_comparison_finds() {
    for (seed, size) in [(42, DatasetSize::Standard), (7, DatasetSize::Standard), (3, DatasetSize::Small)] {
        let dataset = ImporterDataset::generate(seed, size);
        let planted = &dataset.customs.planted;
        assert!((8..=15).contains(&planted.len()), "seed {seed}: {} planted", planted.len());
        // Each refers to a line that exists on one side, one change per entry.
        let entries: BTreeSet<&str> = planted.iter().map(|p| p.entry_number.as_str()).collect();
        assert_eq!(entries.len(), planted.len());
        for p in planted {
            let exists = |lines: &[lading_customs::model::CustomsLine]| {
                lines.iter().any(|line| line.entry_number == p.entry_number && line.line_number == p.line_number)
            };
            assert!(exists(&dataset.customs.generated) || exists(&dataset.customs.reported), "{p:?}");
        }

        let report = compare(&dataset.customs.generated, &dataset.customs.reported, &Tolerances::default());
        let mut found = BTreeSet::new();
        for entry in &report.entries {
            for pair in &entry.pairs {
                for diff in pair.differences.iter().filter(|diff| diff.severity != Severity::Match) {
                    found.insert((
                        entry.entry_number.clone(),
                        pair.generated_line,
                        diff.field.as_str().to_string(),
                        diff.hts_number.clone(),
                        diff.severity.as_str().to_string(),
                    ));
                }
            }
            for line in entry.unpaired_generated.iter().chain(&entry.unpaired_reported) {
                found.insert((
                    entry.entry_number.clone(),
                    line.line_number,
                    "line".to_string(),
                    None,
                    "fail".to_string(),
                ));
            }
        }
        let expected: BTreeSet<_> = planted
            .iter()
            .map(|p| (p.entry_number.clone(), p.line_number, p.field.clone(), p.hts_number.clone(), p.severity.clone()))
            .collect();
        assert_eq!(found, expected, "seed {seed}");
        // Entry totals differ only where something was planted.
        for entry in report.entries.iter().filter(|entry| entry.severity != Severity::Match) {
            assert!(entries.contains(entry.entry_number.as_str()), "{} differs unplanted", entry.entry_number);
        }
    }
}

#[test]
fn the_importer_csvs_hold_the_sap_tables_in_human_formats() {
    let dataset = ImporterDataset::generate(42, DatasetSize::Small);
    let files = dataset.importer_csvs();
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, CSV_FILES);
    let lines = |name: &str| files.iter().find(|(file, _)| file == name).map(|(_, text)| text.lines().count());
    assert_eq!(lines("Product_List.csv"), Some(74));
    assert_eq!(lines("HTS_Code.csv"), Some(22));
    assert_eq!(lines("HTS Tariff.csv"), Some(dataset.tariff_rules.len() + 1));
    assert_eq!(lines("Packaging_Material.csv"), Some(dataset.packaging.len() + 1));
    let products = &files[0].1;
    assert!(
        products.starts_with("Material,Description,HTS,Country of Origin,MID,Unit,Net Weight KG,Gross Weight KG\r\n")
    );
    assert!(products.contains(",9403.20.00.35,CN,CNNINKAI1888NIN,pieces,"));
    let tariff = &files[2].1;
    assert!(tariff.contains(
        "9903.85.08,S232,40,50,METAL,9403200035 9403200046,,,2025-06-04,2026-02-23,IEEPA_RECIPROCAL,9903.01.33,Y"
    ));
}
