//! MPF clamped per entry to the fiscal year's minimum and maximum and prorated back exactly;
//! HMF on vessel entries only, waived at $3 or less when no duty is owed.

use lading_customs::generate::fixtures::{UPHOLSTERED_SEAT, date, item, reference_data};
use lading_customs::generate::{FeeSchedule, GenerateOptions};
use lading_customs::model::{InvoiceItem, Transport};
use rust_decimal::Decimal;

use crate::support::{d, run, traced};

/// Upholstered seats (Vietnam, Free), one invoice per value so each value is its own line.
fn seats(on: chrono::NaiveDate, transport: Transport, values: &[&str]) -> Vec<InvoiceItem> {
    values
        .iter()
        .enumerate()
        .map(|(i, value)| InvoiceItem {
            invoice: format!("INV-{}", i + 1),
            transport,
            ..item("10", UPHOLSTERED_SEAT, 1, d(value), on)
        })
        .collect()
}

/// `(mpf, hmf)` of each line.
fn fees_with(options: &GenerateOptions, items: &[InvoiceItem]) -> Vec<(String, String)> {
    let generated = run(&reference_data(), options, items);
    assert!(generated.issues.is_empty(), "{:#?}", generated.issues);
    generated.lines.iter().map(|l| (l.mpf.to_string(), l.hmf.to_string())).collect()
}

fn fees(items: &[InvoiceItem]) -> Vec<(String, String)> {
    fees_with(&GenerateOptions::default(), items)
}

fn check(items: &[InvoiceItem], expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected.iter().map(|(m, h)| (m.to_string(), h.to_string())).collect();
    assert_eq!(fees(items), expected);
}

#[test]
fn mpf_minimum_is_the_fiscal_years() {
    check(&seats(date(2025, 9, 30), Transport::Air, &["5000"]), &[("32.71", "0.00")]);
    check(&seats(date(2025, 10, 1), Transport::Air, &["5000"]), &[("33.58", "0.00")]);
}

#[test]
fn mpf_maximum_is_the_fiscal_years_and_prorates_exactly() {
    check(&seats(date(2025, 9, 30), Transport::Air, &["200000", "100000"]), &[("423.08", "0.00"), ("211.54", "0.00")]);
    check(&seats(date(2025, 10, 1), Transport::Air, &["200000", "100000"]), &[("434.33", "0.00"), ("217.17", "0.00")]);
}

#[test]
fn mpf_between_the_bounds_is_each_lines_own() {
    check(&seats(date(2025, 10, 1), Transport::Air, &["50000", "40000"]), &[("173.20", "0.00"), ("138.56", "0.00")]);
}

#[test]
fn clamped_mpf_prorated_by_value_sums_to_the_bound_to_the_cent() {
    let values = ["1", "13", "17", "101", "997", "5", "2", "0"];
    for (on, bound) in [(date(2025, 9, 30), d("32.71")), (date(2025, 10, 1), d("33.58"))] {
        let generated = run(&reference_data(), &GenerateOptions::default(), &seats(on, Transport::Air, &values));
        let total: Decimal = generated.lines.iter().map(|l| l.mpf).sum();
        assert_eq!(total, bound, "on {on}");
        assert_eq!(generated.lines[7].mpf, d("0.00"), "a line with no value gets no share");
        assert!(generated.lines[4].mpf > generated.lines[3].mpf);
        assert_eq!(
            traced(&generated.lines[0], "mpf"),
            vec![format!(
                "mpf entry total $3.94 clamped to minimum ${bound} ({}), prorated by value: ${}",
                if bound == d("32.71") { "FY2025" } else { "FY2026" },
                generated.lines[0].mpf
            )]
        );
    }
    let huge = ["123457", "98765", "55555", "3"];
    let generated =
        run(&reference_data(), &GenerateOptions::default(), &seats(date(2026, 1, 5), Transport::Air, &huge));
    assert_eq!(generated.lines.iter().map(|l| l.mpf).sum::<Decimal>(), d("651.50"));
}

#[test]
fn a_fee_table_is_data() {
    let mut options = GenerateOptions::default();
    options.fees.mpf[1].min_usd = d("40");
    assert_eq!(
        fees_with(&options, &seats(date(2025, 10, 1), Transport::Air, &["5000"])),
        vec![("40.00".into(), "0.00".into())]
    );
    let parsed: FeeSchedule = serde_json::from_value(serde_json::to_value(FeeSchedule::default()).unwrap_or_default())
        .unwrap_or_else(|e| panic!("fee schedule round trip: {e}"));
    assert_eq!(parsed, FeeSchedule::default());
}

#[test]
fn hmf_is_charged_on_vessel_entries_only() {
    check(&seats(date(2025, 10, 1), Transport::Vessel, &["50000"]), &[("173.20", "62.50")]);
    check(&seats(date(2025, 10, 1), Transport::Air, &["50000"]), &[("173.20", "0.00")]);
    check(&seats(date(2025, 10, 1), Transport::Truck, &["50000"]), &[("173.20", "0.00")]);
}

#[test]
fn hmf_of_three_dollars_or_less_is_waived_when_no_duty_is_owed() {
    // Before 2025-04-05 no Chapter 99 rule applies to Vietnamese seats, which are Free.
    let before_reciprocal = date(2025, 3, 1);
    check(&seats(before_reciprocal, Transport::Vessel, &["2400"]), &[("32.71", "0.00")]);
    check(&seats(before_reciprocal, Transport::Vessel, &["1000", "1000"]), &[("16.36", "0.00"), ("16.35", "0.00")]);
    check(&seats(before_reciprocal, Transport::Vessel, &["2404"]), &[("32.71", "3.01")]);
    // With the reciprocal duty owed, $3.00 is charged.
    check(&seats(date(2025, 6, 1), Transport::Vessel, &["2400"]), &[("32.71", "3.00")]);
    // The strict reading counts MPF as owed.
    let mut strict = GenerateOptions::default();
    strict.fees.hmf_waiver_counts_mpf = true;
    assert_eq!(
        fees_with(&strict, &seats(before_reciprocal, Transport::Vessel, &["2400"])),
        vec![("32.71".to_string(), "3.00".to_string())]
    );
}
