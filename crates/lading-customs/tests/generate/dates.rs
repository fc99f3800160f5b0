//! Rules start and end on their dates, inclusive: 2025-03-12 and 2025-06-04 (Section 232
//! aluminium at 25 % then 50 %), 2026-02-24 (IEEPA ends, Section 122 begins), 2026-04-06 (the
//! metal split ends).

use chrono::NaiveDate;
use lading_customs::generate::GenerateOptions;
use lading_customs::generate::fixtures::{date, reference_data, worked_example_item};

use crate::support::run;

/// Each line as `part: number rate duty, …` for the worked example's goods entered on `on`.
fn numbers_on(on: NaiveDate) -> Vec<String> {
    let generated = run(&reference_data(), &GenerateOptions::default(), &[worked_example_item(on)]);
    assert!(generated.issues.is_empty(), "{:#?}", generated.issues);
    generated
        .lines
        .iter()
        .map(|line| {
            let tariffs: Vec<String> =
                line.tariffs.iter().map(|t| format!("{} {} {}", t.hts_number, t.rate_text, t.duty)).collect();
            format!("{:?} {}: {}", line.part, line.entered_value, tariffs.join(", "))
        })
        .collect()
}

fn check(on: NaiveDate, expected: &[&str]) {
    assert_eq!(numbers_on(on), expected, "entered {on}");
}

#[test]
fn aluminium_starts_on_2025_03_12() {
    check(
        date(2025, 3, 11),
        &["Whole 100000: 9903.88.03 25% 25000.00, 9903.01.24 20% 20000.00, 9403.20.00.35 Free 0.00"],
    );
    check(
        date(2025, 3, 12),
        &[
            "NonMetal 92000: 9903.88.03 25% 23000.00, 9903.01.24 20% 18400.00, 9403.20.00.35 Free 0.00",
            "Metal 8000: 9903.88.03 25% 2000.00, 9903.01.24 20% 1600.00, 9903.85.08 25% 2000.00, 9403.20.00.35 Free 0.00",
        ],
    );
}

#[test]
fn aluminium_goes_from_25_to_50_percent_on_2025_06_04() {
    check(
        date(2025, 6, 3),
        &[
            "NonMetal 92000: 9903.88.03 25% 23000.00, 9903.01.24 20% 18400.00, 9903.01.25 10% 9200.00, 9403.20.00.35 Free 0.00",
            "Metal 8000: 9903.88.03 25% 2000.00, 9903.01.24 20% 1600.00, 9903.01.33 0 0.00, 9903.85.08 25% 2000.00, 9403.20.00.35 Free 0.00",
        ],
    );
    check(
        date(2025, 6, 4),
        &[
            "NonMetal 92000: 9903.88.03 25% 23000.00, 9903.01.24 20% 18400.00, 9903.01.25 10% 9200.00, 9403.20.00.35 Free 0.00",
            "Metal 8000: 9903.88.03 25% 2000.00, 9903.01.24 20% 1600.00, 9903.01.33 0 0.00, 9903.85.08 50% 4000.00, 9403.20.00.35 Free 0.00",
        ],
    );
}

#[test]
fn ieepa_ends_and_section_122_begins_on_2026_02_24() {
    check(
        date(2026, 2, 23),
        &[
            "NonMetal 92000: 9903.88.03 25% 23000.00, 9903.01.24 20% 18400.00, 9903.01.25 10% 9200.00, 9403.20.00.35 Free 0.00",
            "Metal 8000: 9903.88.03 25% 2000.00, 9903.01.24 20% 1600.00, 9903.01.33 0 0.00, 9903.85.08 50% 4000.00, 9403.20.00.35 Free 0.00",
        ],
    );
    check(
        date(2026, 2, 24),
        &[
            "NonMetal 92000: 9903.88.03 25% 23000.00, 9903.03.01 10% 9200.00, 9403.20.00.35 Free 0.00",
            "Metal 8000: 9903.88.03 25% 2000.00, 9903.03.06 0 0.00, 9903.85.08 50% 4000.00, 9403.20.00.35 Free 0.00",
        ],
    );
}

#[test]
fn the_metal_split_ends_on_2026_04_06() {
    check(
        date(2026, 4, 5),
        &[
            "NonMetal 92000: 9903.88.03 25% 23000.00, 9903.03.01 10% 9200.00, 9403.20.00.35 Free 0.00",
            "Metal 8000: 9903.88.03 25% 2000.00, 9903.03.06 0 0.00, 9903.85.08 50% 4000.00, 9403.20.00.35 Free 0.00",
        ],
    );
    check(
        date(2026, 4, 6),
        &["Whole 100000: 9903.88.03 25% 25000.00, 9903.03.01 10% 10000.00, 9403.20.00.35 Free 0.00"],
    );
}
