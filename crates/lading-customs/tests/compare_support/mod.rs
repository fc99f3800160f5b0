//! Fixtures shared by the comparison tests: a realistic line and small helpers to vary it.

#![allow(dead_code)]

use std::str::FromStr;

use chrono::NaiveDate;
use lading_customs::compare::{ComparisonReport, Field, FieldDiff, Severity, Tolerances, compare};
use lading_customs::model::{CustomsLine, LinePart, LineTariff, Programme, Unit};
use rust_decimal::Decimal;

pub fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|e| panic!("bad decimal {text:?} in a test: {e}"))
}

pub fn tariff(hts: &str, programme: Option<Programme>, rate: &str, duty: &str) -> LineTariff {
    LineTariff { hts_number: hts.to_owned(), programme, rate_text: rate.to_owned(), duty: dec(duty) }
}

/// A China-origin adjustable bed base entered 2025-10-20 for $1,000: 301, fentanyl and
/// reciprocal duties, then the commodity number (Free).
pub fn line(entry: &str, number: u16) -> CustomsLine {
    CustomsLine {
        entry_number: entry.to_owned(),
        entry_date: NaiveDate::from_ymd_opt(2025, 10, 20).unwrap_or_default(),
        line_number: number,
        part: LinePart::Whole,
        origin: "CN".to_owned(),
        mid: "CNFOSFUR123FOS".to_owned(),
        spi: None,
        related_party: false,
        tariffs: vec![
            tariff("9903.88.03", Some(Programme::S301), "25%", "250.00"),
            tariff("9903.01.24", Some(Programme::IeepaFentanyl), "20%", "200.00"),
            tariff("9903.01.25", Some(Programme::IeepaReciprocal), "10%", "100.00"),
            tariff("9403.20.00.35", None, "Free", "0.00"),
        ],
        entered_value: dec("1000"),
        charges: dec("40"),
        gross_kg: dec("120"),
        net_kg: dec("100"),
        quantities: vec![(Unit::Number, dec("4"))],
        mpf: dec("3.46"),
        hmf: dec("1.25"),
        flags: Vec::new(),
        trace: Vec::new(),
    }
}

/// A Vietnam-origin mattress: reciprocal duty, then 9404.21.00.13 at 3 %.
pub fn mattress(entry: &str, number: u16, value: &str) -> CustomsLine {
    let value = dec(value);
    CustomsLine {
        origin: "VN".to_owned(),
        mid: "VNHCMMAT42HCM".to_owned(),
        tariffs: vec![
            tariff(
                "9903.01.25",
                Some(Programme::IeepaReciprocal),
                "10%",
                &(value * dec("0.10")).round_dp(2).to_string(),
            ),
            tariff("9404.21.00.13", None, "3%", &(value * dec("0.03")).round_dp(2).to_string()),
        ],
        entered_value: value,
        ..line(entry, number)
    }
}

pub fn compare_one(generated: CustomsLine, reported: CustomsLine) -> ComparisonReport {
    compare(&[generated], &[reported], &Tolerances::default())
}

pub fn differences(report: &ComparisonReport) -> Vec<&FieldDiff> {
    report.entries.iter().flat_map(|entry| entry.pairs.iter()).flat_map(|pair| pair.differences.iter()).collect()
}

/// The severity of `field`'s difference after `change` on the reported copy of `base`:
/// `None` when the field shows no difference.
pub fn severity_after(base: &CustomsLine, field: Field, change: impl FnOnce(&mut CustomsLine)) -> Option<Severity> {
    let mut reported = base.clone();
    change(&mut reported);
    let report = compare_one(base.clone(), reported);
    let found: Vec<Severity> =
        differences(&report).into_iter().filter(|diff| diff.field == field).map(|diff| diff.severity).collect();
    assert!(found.len() <= 1, "{field:?} differs more than once: {found:?}");
    found.first().copied()
}
