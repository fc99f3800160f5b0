//! How lines are paired, how HTS numbers are matched on a pair, and what is left unpaired.

mod compare_support;

use compare_support::{compare_one, dec, differences, line, mattress};
use lading_customs::compare::{Field, PairedBy, Severity, Tolerances, compare};

fn fields(report: &lading_customs::compare::ComparisonReport) -> Vec<(Field, Option<String>, Severity)> {
    differences(report).into_iter().map(|d| (d.field, d.hts_number.clone(), d.severity)).collect()
}

#[test]
fn identical_lines_pair_by_line_number_and_nothing_is_reported() {
    let lines = vec![line("E1", 1), mattress("E1", 2, "5000"), line("E2", 1)];
    let report = compare(&lines, &lines, &Tolerances::default());
    let summary = &report.summary;
    assert_eq!((summary.paired_lines, summary.paired_by_line_number, summary.identical_lines), (3, 3, 3));
    assert_eq!((summary.unpaired_generated, summary.unpaired_reported), (0, 0));
    assert_eq!(summary.differences.fail + summary.differences.warn + summary.differences.matched, 0);
    assert!(!report.failed());
    assert_eq!(report.entries.len(), 2);
    assert!(report.entries.iter().all(|e| e.pairs.is_empty() && e.severity == Severity::Match));
}

#[test]
fn renumbered_lines_pair_by_best_match_and_warn_about_the_number() {
    let generated = vec![line("E1", 1), mattress("E1", 2, "5000")];
    let mut reported = vec![mattress("E1", 1, "5000"), line("E1", 2)];
    reported[1].tariffs[0].duty = dec("250.01");
    let report = compare(&generated, &reported, &Tolerances::default());
    assert_eq!(report.summary.paired_by_best_match, 2);
    let pairs = &report.entries[0].pairs;
    assert_eq!(
        pairs.iter().map(|p| (p.generated_line, p.reported_line, p.paired_by)).collect::<Vec<_>>(),
        vec![(1, 2, PairedBy::BestMatch), (2, 1, PairedBy::BestMatch)]
    );
    assert_eq!(
        fields(&report),
        vec![
            (Field::LineNumber, None, Severity::Warn),
            (Field::Duty, Some("9903.88.03".into()), Severity::Match),
            (Field::LineNumber, None, Severity::Warn),
        ]
    );
    assert!(!report.failed());
}

#[test]
fn best_match_prefers_the_closest_value_among_look_alikes() {
    let generated = vec![mattress("E1", 1, "1000"), mattress("E1", 2, "5000")];
    let reported = vec![mattress("E1", 7, "5000"), mattress("E1", 8, "1000.40")];
    let report = compare(&generated, &reported, &Tolerances::default());
    let pairs: Vec<(u16, u16)> = report.entries[0].pairs.iter().map(|p| (p.generated_line, p.reported_line)).collect();
    assert_eq!(pairs, vec![(1, 8), (2, 7)]);
}

#[test]
fn a_different_commodity_under_the_same_number_still_pairs_on_origin_mid_and_value() {
    let generated = line("E1", 1);
    let mut reported = line("E1", 1);
    reported.tariffs[3].hts_number = "9404.21.00.13".into();
    let report = compare_one(generated, reported);
    assert_eq!(report.summary.paired_by_best_match, 1);
    assert_eq!(fields(&report), vec![(Field::Hts10, None, Severity::Fail)]);
    let diff = differences(&report)[0];
    assert_eq!((diff.generated.as_str(), diff.reported.as_str()), ("9403.20.00.35", "9404.21.00.13"));
}

#[test]
fn lines_that_share_too_little_stay_unpaired_on_both_sides() {
    let generated = vec![line("E1", 1), line("E1", 3)];
    let reported = vec![line("E1", 1), mattress("E1", 3, "7000")];
    let report = compare(&generated, &reported, &Tolerances::default());
    let entry = &report.entries[0];
    assert_eq!(entry.unpaired_generated.iter().map(|l| l.line_number).collect::<Vec<_>>(), vec![3]);
    assert_eq!(entry.unpaired_reported.iter().map(|l| l.line_number).collect::<Vec<_>>(), vec![3]);
    assert_eq!(entry.unpaired_reported[0].hts10, "9404.21.00.13");
    assert_eq!(entry.unpaired_reported[0].duty, dec("910.00"));
    assert_eq!(entry.severity, Severity::Fail);
    assert_eq!((report.summary.unpaired_generated, report.summary.unpaired_reported), (1, 1));
    assert!(report.failed());
}

#[test]
fn a_missing_line_and_an_extra_entry_are_both_failures() {
    let generated = vec![line("E1", 1), line("E1", 2)];
    let reported = vec![line("E1", 1), line("E9", 1)];
    let report = compare(&generated, &reported, &Tolerances::default());
    let entries: Vec<(&str, usize, usize)> = report
        .entries
        .iter()
        .map(|e| (e.entry_number.as_str(), e.unpaired_generated.len(), e.unpaired_reported.len()))
        .collect();
    assert_eq!(entries, vec![("E1", 1, 0), ("E9", 0, 1)]);
    // The two lines, then the totals past $1 × lines: E1 (tolerance $2) value, charges, duty,
    // three programmes' duty and MPF; E9 (tolerance $1) the same and HMF.
    assert_eq!(report.summary.differences.fail, 2 + 7 + 8);
}

#[test]
fn entry_numbers_pair_across_dashes_and_case() {
    let report = compare_one(line("ABC-1234567-8", 1), line("abc12345678", 1));
    assert_eq!((report.summary.paired_lines, report.summary.entries), (1, 1));
    assert!(!report.failed());
}

#[test]
fn chapter_99_numbers_in_another_order_fail_once() {
    let generated = line("E1", 1);
    let mut reported = generated.clone();
    reported.tariffs.swap(0, 1);
    let report = compare_one(generated, reported);
    assert_eq!(fields(&report), vec![(Field::Chapter99Order, None, Severity::Fail)]);
    let diff = differences(&report)[0];
    assert_eq!(diff.generated, "9903.88.03 9903.01.24 9903.01.25");
    assert_eq!(diff.reported, "9903.01.24 9903.88.03 9903.01.25");
}

#[test]
fn an_hts_number_on_one_side_only_fails_naming_it() {
    let generated = line("E1", 1);
    let mut reported = generated.clone();
    reported.tariffs.remove(1);
    let report = compare_one(generated.clone(), reported);
    assert_eq!(fields(&report), vec![(Field::HtsNumber, Some("9903.01.24".into()), Severity::Fail)]);
    let diff = differences(&report)[0];
    assert_eq!((diff.generated.as_str(), diff.reported.as_str()), ("20% duty 200.00", "absent"));

    let mut reported = generated.clone();
    reported.tariffs.insert(
        3,
        compare_support::tariff("9903.85.08", Some(lading_customs::model::Programme::S232), "50%", "500.00"),
    );
    let report = compare_one(generated, reported);
    assert_eq!(fields(&report), vec![(Field::HtsNumber, Some("9903.85.08".into()), Severity::Fail)]);
    assert_eq!(differences(&report)[0].generated, "absent");
}

#[test]
fn a_missing_number_and_a_swap_report_both() {
    let generated = line("E1", 1);
    let mut reported = generated.clone();
    reported.tariffs.remove(0);
    reported.tariffs.swap(0, 1);
    let report = compare_one(generated, reported);
    assert_eq!(
        fields(&report),
        vec![
            (Field::HtsNumber, Some("9903.88.03".into()), Severity::Fail),
            (Field::Chapter99Order, None, Severity::Fail),
        ]
    );
}

#[test]
fn rate_duty_and_programme_are_compared_per_hts_number() {
    let generated = line("E1", 1);
    let mut reported = generated.clone();
    reported.tariffs[0].rate_text = "7.5%".into();
    reported.tariffs[0].duty = dec("75.00");
    reported.tariffs[2].duty = dec("100.50");
    let report = compare_one(generated, reported);
    assert_eq!(
        fields(&report),
        vec![
            (Field::Rate, Some("9903.88.03".into()), Severity::Fail),
            (Field::Duty, Some("9903.88.03".into()), Severity::Fail),
            (Field::Duty, Some("9903.01.25".into()), Severity::Warn),
        ]
    );
}

#[test]
fn many_leftovers_in_one_entry_pair_by_bucket_without_scoring_every_pair() {
    // 600 × 600 leftovers (no reported number exists on the generated side) exceed the
    // scored limit: lines with the same HTS, origin and MID pair in order of value.
    let generated: Vec<_> = (1..=600).map(|n| mattress("BIG", n, &(1000 * u32::from(n)).to_string())).collect();
    let reported: Vec<_> = (1..=600).map(|n| mattress("BIG", 1201 - n, &(1000 * u32::from(n)).to_string())).collect();
    let report = compare(&generated, &reported, &Tolerances::default());
    assert_eq!(report.summary.paired_by_best_match, 600);
    assert_eq!(report.summary.differences.fail, 0);
    let first = &report.entries[0].pairs[0];
    assert_eq!((first.generated_line, first.reported_line), (1, 1200));
}

#[test]
fn extreme_and_odd_lines_never_panic() {
    use rust_decimal::Decimal;
    let mut huge = line("E1", 1);
    huge.entered_value = Decimal::MAX;
    huge.gross_kg = Decimal::MIN;
    huge.tariffs[0].duty = Decimal::MAX;
    let mut tiny = line("E1", 1);
    tiny.entered_value = Decimal::MIN;
    tiny.gross_kg = Decimal::MAX;
    tiny.tariffs[0].duty = Decimal::MIN;
    let mut bare = line("", u16::MAX);
    bare.tariffs.clear();
    bare.quantities.clear();
    bare.origin.clear();
    let odd = vec![huge.clone(), huge.clone(), bare.clone(), tiny.clone(), line("E1", 0)];
    let others = vec![tiny, bare, huge, line("E1", 1), line("E1", 1)];
    for (generated, reported) in [(&odd, &others), (&others, &odd), (&odd, &odd), (&odd, &Vec::new())] {
        let report = compare(generated, reported, &Tolerances::default());
        let _ = (report.to_json(), report.to_csv(), report.failed());
    }
}
