//! The worked example of `customs.md`, to the cent, on both dates.

use std::collections::HashMap;

use lading_customs::generate::GenerateOptions;
use lading_customs::generate::fixtures::{
    ADJUSTABLE_BASE, date, item, reference_data, worked_example_item, worked_example_rules,
};
use lading_customs::model::{InvoiceItem, LinePart, Programme};
use lading_customs::rules::check_rules;

use crate::support::{check, check_with, d, traced};

fn with_metal_kg() -> GenerateOptions {
    GenerateOptions {
        metal_kg_per_unit: HashMap::from([(ADJUSTABLE_BASE.to_string(), d("12.5"))]),
        ..GenerateOptions::default()
    }
}

#[test]
fn the_fixture_rules_are_clean() {
    assert_eq!(check_rules(&worked_example_rules()), vec![]);
}

#[test]
fn entered_2025_10_20_ieepa_applies_and_aluminium_splits_the_line() {
    let generated = check_with(
        &reference_data(),
        &with_metal_kg(),
        &[worked_example_item(date(2025, 10, 20))],
        "
        ENT-1 001 non_metal CN value 92000 charges 0 gross 11575 net 9625 qty 250 No. mpf 318.69 hmf 115.00
          9903.88.03 25% 23000.00
          9903.01.24 20% 18400.00
          9903.01.25 10% 9200.00
          9403.20.00.35 Free 0.00
        ENT-1 002 metal CN value 8000 charges 0 gross 0 net 3125 qty 0 No. mpf 27.71 hmf 10.00
          9903.88.03 25% 2000.00
          9903.01.24 20% 1600.00
          9903.01.33 0 0.00
          9903.85.08 50% 4000.00
          9403.20.00.35 Free 0.00
        ",
    );
    let lines = &generated.lines;
    assert_eq!(lines[0].total_duty(), d("50600.00"));
    assert_eq!(lines[1].total_duty(), d("7600.00"));
    assert_eq!(lines[1].tariffs[2].programme, Some(Programme::Claim));
    assert_eq!(lines[1].commodity().map(|t| t.hts_number.as_str()), Some("9403.20.00.35"));
}

#[test]
fn entered_2026_03_02_section_122_takes_the_reciprocal_slot() {
    check_with(
        &reference_data(),
        &with_metal_kg(),
        &[worked_example_item(date(2026, 3, 2))],
        "
        ENT-1 001 non_metal CN value 92000 charges 0 gross 11575 net 9625 qty 250 No. mpf 318.69 hmf 115.00
          9903.88.03 25% 23000.00
          9903.03.01 10% 9200.00
          9403.20.00.35 Free 0.00
        ENT-1 002 metal CN value 8000 charges 0 gross 0 net 3125 qty 0 No. mpf 27.71 hmf 10.00
          9903.88.03 25% 2000.00
          9903.03.06 0 0.00
          9903.85.08 50% 4000.00
          9403.20.00.35 Free 0.00
        ",
    );
}

#[test]
fn without_metal_weights_the_metal_line_is_flagged_not_guessed() {
    check(
        &[worked_example_item(date(2025, 10, 20))],
        "
        ENT-1 001 non_metal CN value 92000 charges 0 gross 11575 net 9625 qty 250 No. mpf 318.69 hmf 115.00
          9903.88.03 25% 23000.00
          9903.01.24 20% 18400.00
          9903.01.25 10% 9200.00
          9403.20.00.35 Free 0.00
        ENT-1 002 metal CN value 8000 charges 0 gross 0 net 0 qty 0 No. mpf 27.71 hmf 10.00
          9903.88.03 25% 2000.00
          9903.01.24 20% 1600.00
          9903.01.33 0 0.00
          9903.85.08 50% 4000.00
          9403.20.00.35 Free 0.00
          ! metal kg per unit not maintained for material 100001: the metal line's net kg counts only the others
        ",
    );
}

#[test]
fn three_items_summing_to_the_example_give_the_same_lines() {
    let on = date(2025, 10, 20);
    let part = |number: &str, quantity: i64, value: &str, metal: &str| InvoiceItem {
        metal_value_usd: Some(d(metal)),
        ..item(number, ADJUSTABLE_BASE, quantity, d(value), on)
    };
    let generated = check_with(
        &reference_data(),
        &with_metal_kg(),
        &[
            part("000030", 50, "19999.30", "1599.90"),
            part("000010", 100, "40000.40", "3200.20"),
            part("000020", 100, "40000.30", "3199.90"),
        ],
        "
        ENT-1 001 non_metal CN value 92000 charges 0 gross 11575 net 9625 qty 250 No. mpf 318.69 hmf 115.00
          9903.88.03 25% 23000.00
          9903.01.24 20% 18400.00
          9903.01.25 10% 9200.00
          9403.20.00.35 Free 0.00
        ENT-1 002 metal CN value 8000 charges 0 gross 0 net 3125 qty 0 No. mpf 27.71 hmf 10.00
          9903.88.03 25% 2000.00
          9903.01.24 20% 1600.00
          9903.01.33 0 0.00
          9903.85.08 50% 4000.00
          9403.20.00.35 Free 0.00
        ",
    );
    assert_eq!(
        traced(&generated.lines[0], "grouped"),
        vec!["grouped 3 items: invoice INV-1 item 000010, 000020, 000030"]
    );
}

#[test]
fn the_trace_says_why_each_number_is_there() {
    let generated = check_with(
        &reference_data(),
        &with_metal_kg(),
        &[worked_example_item(date(2025, 10, 20))],
        "
        ENT-1 001 non_metal CN value 92000 charges 0 gross 11575 net 9625 qty 250 No. mpf 318.69 hmf 115.00
          9903.88.03 25% 23000.00
          9903.01.24 20% 18400.00
          9903.01.25 10% 9200.00
          9403.20.00.35 Free 0.00
        ENT-1 002 metal CN value 8000 charges 0 gross 0 net 3125 qty 0 No. mpf 27.71 hmf 10.00
          9903.88.03 25% 2000.00
          9903.01.24 20% 1600.00
          9903.01.33 0 0.00
          9903.85.08 50% 4000.00
          9403.20.00.35 Free 0.00
    ",
    );
    let non_metal = &generated.lines[0];
    let metal = &generated.lines[1];
    assert_eq!(non_metal.part, LinePart::NonMetal);
    let expected_non_metal = [
        "grouped 1 item: invoice INV-1 item 000010",
        "entered value $100,000 (items sum $100,000, rounded half-up once); charges $0",
        "gross 11575 kg = goods 10500 kg + packaging 1075 kg; net 9625 kg",
        "split: metal value $8,000 of $100,000 → non-metal line $92,000 (all quantity and weight)",
        "301 9903.88.03 25% of full value $92,000 = $23,000.00 (rule 0, effective 2018-09-24..)",
        "IEEPA_FENTANYL 9903.01.24 20% of full value $92,000 = $18,400.00 (rule 1, effective 2025-03-04..2026-02-23)",
        "IEEPA_RECIPROCAL 9903.01.25 10% of full value $92,000 = $9,200.00 (rule 2, effective 2025-04-05..2026-02-23)",
        "commodity 9403.20.00.35 Free on $92,000 = $0.00",
        "mpf 0.3464% of $92,000 = $318.69 (entry total $346.40 within FY2026 $33.58–$651.50)",
        "hmf 0.125% of $92,000 = $115.00 (vessel)",
    ];
    assert_eq!(non_metal.trace, expected_non_metal);
    let expected_metal = [
        "split: metal line $8,000 of $100,000 (quantity 0, metal 3125 kg, charges and gross weight on the non-metal line)",
        "S232 9903.85.08 displaces IEEPA_RECIPROCAL 9903.01.25 → claim 9903.01.33 at $0",
        "S232 9903.85.08 50% of metal content $8,000 = $4,000.00 (rule 5, effective 2025-06-04..2026-04-05)",
    ];
    for expected in expected_metal {
        assert!(metal.trace.iter().any(|t| t == expected), "metal trace lacks {expected:?}: {:#?}", metal.trace);
    }
}
