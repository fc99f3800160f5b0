//! The benchmark data is valid, deterministic, and exercises splits, fees and every rule period.

use std::collections::BTreeSet;

use lading_customs::generate::fixtures::{bench_items, reference_data};
use lading_customs::generate::generate;
use lading_customs::model::LinePart;

#[test]
fn bench_items_are_valid_and_deterministic() {
    let (items, data) = bench_items(3_000);
    assert_eq!(items.len(), 3_000);
    let first = generate(&items, &data.reference());
    assert_eq!(first.issues, vec![], "every bench item is valid");
    let (again, _) = bench_items(3_000);
    assert_eq!(items, again);
    assert_eq!(generate(&again, &data.reference()).lines, first.lines);

    assert!(first.lines.iter().any(|l| l.part == LinePart::Metal));
    assert!(first.lines.iter().any(|l| l.hmf.is_zero()) && first.lines.iter().any(|l| !l.hmf.is_zero()));
    let numbers: BTreeSet<&str> =
        first.lines.iter().flat_map(|l| l.tariffs.iter().map(|t| t.hts_number.as_str())).collect();
    for number in ["9903.88.03", "9903.01.24", "9903.01.25", "9903.01.33", "9903.03.01", "9903.03.06", "9903.85.08"] {
        assert!(numbers.contains(number), "{number} appears in the bench lines");
    }
}

#[test]
fn fixture_products_are_all_in_the_reference() {
    let data = reference_data();
    for product in data.products.values() {
        assert!(data.hts.contains_key(&product.hts10), "{} has its hts line", product.material);
        assert!(data.packaging.contains_key(&product.material), "{} has packaging", product.material);
    }
}
