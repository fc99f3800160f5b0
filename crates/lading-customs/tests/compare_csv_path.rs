//! The CSV path (`compare_csv`, `LineTable::from_csv`) and the lines path agree, on the bench
//! data with its known sprinkling of differences.

use lading_customs::compare::{
    CompareCsvError, Field, PairedBy, Severity, Tolerances, bench_lines, bench_lines_range, compare, compare_csv,
};
use lading_customs::lines_csv::write_lines_csv;

#[test]
fn csv_and_lines_give_the_same_report() {
    let (generated, reported) = bench_lines(20_000, 3);
    let tolerances = Tolerances::default();
    let from_lines = compare(&generated, &reported, &tolerances);
    let from_csv =
        compare_csv(write_lines_csv(&generated).as_bytes(), write_lines_csv(&reported).as_bytes(), &tolerances);
    assert_eq!(from_csv.as_ref().ok(), Some(&from_lines));
}

#[test]
fn bench_data_carries_every_kind_of_difference() {
    let (generated, reported) = bench_lines(20_000, 3);
    let report = compare(&generated, &reported, &Tolerances::default());
    let summary = &report.summary;
    assert!(report.failed());
    assert!(summary.identical_lines > 19_000, "{summary:?}");
    assert!(summary.unpaired_generated > 0 && summary.unpaired_reported > 0);
    assert!(summary.paired_by_best_match > 0);
    let seen = |field: Field, severity: Severity| {
        report
            .entries
            .iter()
            .flat_map(|e| &e.pairs)
            .flat_map(|p| &p.differences)
            .any(|d| d.field == field && d.severity == severity)
    };
    for (field, severity) in [
        (Field::EnteredValue, Severity::Match),
        (Field::EnteredValue, Severity::Warn),
        (Field::EnteredValue, Severity::Fail),
        (Field::Duty, Severity::Match),
        (Field::Duty, Severity::Warn),
        (Field::Duty, Severity::Fail),
        (Field::GrossKg, Severity::Match),
        (Field::GrossKg, Severity::Fail),
        (Field::Chapter99Order, Severity::Fail),
        (Field::HtsNumber, Severity::Fail),
        (Field::Rate, Severity::Fail),
        (Field::Mpf, Severity::Fail),
    ] {
        assert!(seen(field, severity), "no {field:?} {severity:?} in the bench data");
    }
    assert!(report.entries.iter().flat_map(|e| &e.pairs).any(|p| p.paired_by == PairedBy::BestMatch));
}

#[test]
fn bench_pieces_join_up() {
    let whole = bench_lines(100, 9);
    let (mut generated, mut reported) = bench_lines_range(0..50, 9);
    let (g, r) = bench_lines_range(50..100, 9);
    generated.extend(g);
    reported.extend(r);
    assert_eq!((generated, reported), whole);
}

#[test]
fn a_bad_side_is_named() {
    let good = write_lines_csv(&bench_lines(10, 1).0);
    let bad = good.replacen("2025-10", "2025-1x", 1);
    let error = compare_csv(good.as_bytes(), bad.as_bytes(), &Tolerances::default()).err();
    assert!(matches!(error, Some(CompareCsvError::Reported(_))), "{error:?}");
    assert_eq!(
        error.map(|e| e.to_string()),
        Some(r#"reported lines: row 2, column entry_date: "2025-1x-01" is not a date (YYYY-MM-DD, YYYYMMDD or DD.MM.YYYY)"#.to_owned())
    );
}
