//! How SAP prints values on the wire: material numbers with leading zeros, fixed-scale decimal
//! strings, report-formatted amounts (`1.234,50-`), `YYYYMMDD` dates and `X` flags, plus the
//! quirk knobs that switch the awkward parts on and off.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::catalogue::round;

/// The awkward parts of SAP's answers. Each defaults to on (what the real landscape does).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SapQuirks {
    /// `MATNR` is left-padded with zeros to this many characters: 18 (ECC), 40 (S/4), 0 = none.
    pub matnr_width: usize,
    /// ZSDR002 prints its numbers as the report does: `1.234,50`, and a cancellation's amounts
    /// with a trailing minus (`1.234,50-`). Off: plain `1234.50`, unsigned.
    pub report_format: bool,
    /// A table with exactly one row on the page arrives as an object instead of an array.
    pub one_row_as_object: bool,
    /// ZEMM005 sends one row per plant and ZFMIOR002 repeats its row per plant: dedupe by MATNR.
    pub fan_out: bool,
}

impl Default for SapQuirks {
    fn default() -> Self {
        Self { matnr_width: 18, report_format: true, one_row_as_object: true, fan_out: true }
    }
}

impl SapQuirks {
    /// `material` as `MATNR`: numeric numbers padded with zeros to `matnr_width`.
    pub fn matnr(&self, material: &str) -> String {
        if material.bytes().all(|byte| byte.is_ascii_digit()) && material.len() < self.matnr_width {
            format!("{material:0>width$}", width = self.matnr_width)
        } else {
            material.to_string()
        }
    }

    /// A ZSDR002 number: report format (with `negative` as a trailing minus) or plain.
    pub fn report_number(&self, value: Decimal, scale: u32, negative: bool) -> String {
        if self.report_format { report(value, scale, negative) } else { plain(value.abs(), scale) }
    }
}

/// A plain SAP decimal: fixed scale, `.` as the separator, `-` in front when negative.
pub fn plain(value: Decimal, scale: u32) -> String {
    let mut rounded = round(value, scale);
    rounded.rescale(scale);
    rounded.to_string()
}

/// Report format: `.` between thousands, `,` before the decimals, a trailing `-` when
/// `negative` (or the value itself is negative). Zero never carries a sign.
pub fn report(value: Decimal, scale: u32, negative: bool) -> String {
    let mut rounded = round(value.abs(), scale);
    rounded.rescale(scale);
    let text = rounded.to_string();
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole.to_string(), Some(fraction.to_string())),
        None => (text, None),
    };
    let mut grouped = String::new();
    for (position, digit) in whole.chars().enumerate() {
        if position > 0 && (whole.len() - position) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push(',');
        grouped.push_str(&fraction);
    }
    if (negative || value.is_sign_negative()) && !rounded.is_zero() {
        grouped.push('-');
    }
    grouped
}

/// `YYYYMMDD`, or `00000000` for no date.
pub fn date(value: Option<NaiveDate>) -> String {
    value.map_or_else(|| "00000000".to_string(), |date| date.format("%Y%m%d").to_string())
}

/// `X` for true, blank for false.
pub fn flag(value: bool) -> String {
    if value { "X".to_string() } else { String::new() }
}

/// Ten bare digits of a dotted HTS number.
pub fn hts_digits(dotted: &str) -> String {
    dotted.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_format_groups_thousands_and_puts_the_minus_last() {
        assert_eq!(report(Decimal::new(123_450, 2), 2, true), "1.234,50-");
        assert_eq!(report(Decimal::new(123_450, 2), 2, false), "1.234,50");
        assert_eq!(report(Decimal::new(-5, 1), 2, false), "0,50-");
        assert_eq!(report(Decimal::ZERO, 2, true), "0,00");
        assert_eq!(report(Decimal::from(1_234_567), 0, false), "1.234.567");
        assert_eq!(report(Decimal::new(999, 0), 3, false), "999,000");
        assert_eq!(plain(Decimal::new(25, 2), 3), "0.250");
        assert_eq!(plain(Decimal::ZERO, 3), "0.000");
    }

    #[test]
    fn material_numbers_are_padded_when_numeric() {
        let quirks = SapQuirks::default();
        assert_eq!(quirks.matnr("300101"), "000000000000300101");
        assert_eq!(quirks.matnr("ABC-1"), "ABC-1");
        let bare = SapQuirks { matnr_width: 0, ..SapQuirks::default() };
        assert_eq!(bare.matnr("300101"), "300101");
        assert_eq!(date(None), "00000000");
        assert_eq!(date(NaiveDate::from_ymd_opt(2025, 3, 4)), "20250304");
    }
}
