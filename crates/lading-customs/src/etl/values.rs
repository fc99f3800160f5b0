//! SAP values as they arrive, read into typed values: numbers, dates, flags, material numbers.
//!
//! Every value may come as a string (through the middleware) or as JSON of its own type, padded
//! or not. Readers never fail a whole record: [`RowReader`] collects one [`Issue`] per unusable
//! field, so a record comes back with every problem at once.

use super::{Issue, Row};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// A SAP number: `"0.250"`, `"1,25"`, report format `"1.234,50-"` (decimal comma, trailing
/// minus), `"-3"`, `"1,234.50"`. Which separator is the decimal one: the last of `.` and `,`
/// when both appear; a single `,` alone; a single `.` alone (SAP's JSON decimals, `"0.250"`);
/// repeated marks are thousands separators. So `"1.234"` is 1.234 — report-formatted amounts
/// always carry decimals (`"1.234,00"`), which is what makes the rule safe.
pub fn parse_number(text: &str) -> Result<Decimal, String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err("is empty".into());
    }
    let (negative, digits) = if let Some(rest) = compact.strip_suffix('-') {
        (true, rest)
    } else if let Some(rest) = compact.strip_prefix('-') {
        (true, rest)
    } else {
        (false, compact.strip_prefix('+').unwrap_or(&compact))
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
        return Err(format!("{text:?} is not a number"));
    }
    let last_dot = digits.rfind('.');
    let last_comma = digits.rfind(',');
    let dots = digits.matches('.').count();
    let commas = digits.matches(',').count();
    let decimal_mark = match (last_dot, last_comma) {
        (Some(dot), Some(comma)) => Some(if dot > comma { '.' } else { ',' }),
        (Some(_), None) if dots == 1 => Some('.'),
        (None, Some(_)) if commas == 1 => Some(','),
        _ => None,
    };
    let mut plain = String::with_capacity(digits.len());
    for c in digits.chars() {
        if Some(c) == decimal_mark {
            plain.push('.');
        } else if c.is_ascii_digit() {
            plain.push(c);
        }
    }
    if decimal_mark.is_some_and(|mark| digits.matches(mark).count() > 1) {
        return Err(format!("{text:?} has more than one decimal mark"));
    }
    let value = Decimal::from_str(&plain).map_err(|_| format!("{text:?} is not a number"))?;
    Ok(if negative { -value } else { value })
}

/// A number in SAP's report format: `.` between thousands, `,` before the decimals, a trailing
/// minus (`1.234,50-`, `1.040` = 1040). ZSDR002 prints whole rows this way (see
/// [`RowReader::for_report`]).
pub fn parse_report_number(text: &str) -> Result<Decimal, String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace() && *c != '.').collect();
    if compact.matches(',').count() > 1 {
        return Err(format!("{text:?} has more than one decimal comma"));
    }
    parse_number(&compact).map_err(|_| format!("{text:?} is not a number"))
}

/// Whether a row is printed in report format: some number in it has a decimal comma.
pub fn is_report_row(row: &Row) -> bool {
    row.values().any(|value| {
        value.as_str().is_some_and(|text| {
            let text = text.trim().trim_end_matches('-');
            text.contains(',') && text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        })
    })
}

/// A SAP date: `YYYYMMDD`, also `YYYY-MM-DD` (the importer's CSV files). `00000000` and blank
/// mean "no date" (`Ok(None)`).
pub fn parse_date(text: &str) -> Result<Option<NaiveDate>, String> {
    let text = text.trim();
    if text.is_empty() || text.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    let format = if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) { "%Y%m%d" } else { "%Y-%m-%d" };
    NaiveDate::parse_from_str(text, format)
        .map(Some)
        .map_err(|_| format!("{text:?} is not a date (YYYYMMDD or YYYY-MM-DD)"))
}

/// A material number without its leading zeros (`000000000000001001` → `1001`). Alphanumeric
/// numbers are kept as they are, trimmed.
pub fn material_number(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let stripped = text.trim_start_matches('0');
        return (!stripped.is_empty()).then(|| stripped.to_string());
    }
    Some(text.to_uppercase())
}

/// A value as trimmed text: strings trimmed, numbers and booleans printed; blank → `None`.
pub fn text_of(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(text) => text.trim().to_string(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// Reads the fields of one row, collecting a problem for each field it cannot use.
pub struct RowReader<'a> {
    row: &'a Row,
    issues: Vec<Issue>,
    report_format: bool,
}

impl<'a> RowReader<'a> {
    pub fn new(row: &'a Row) -> RowReader<'a> {
        RowReader { row, issues: Vec::new(), report_format: false }
    }

    /// A reader of a row a report printed (ZSDR002): when any number of the row has a decimal
    /// comma, every `.` in its numbers is a thousands separator (`1.040` = 1040).
    pub fn for_report(row: &'a Row) -> RowReader<'a> {
        RowReader { row, issues: Vec::new(), report_format: is_report_row(row) }
    }

    pub fn row(&self) -> &'a Row {
        self.row
    }

    /// Records a problem of this row.
    pub fn issue(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.issues.push(Issue::new(field, code, message));
    }

    pub fn has_issues(&self) -> bool {
        !self.issues.is_empty()
    }

    /// The problems found so far.
    pub fn finish(self) -> Vec<Issue> {
        self.issues
    }

    /// The field as trimmed text, `None` when blank or missing.
    pub fn text(&self, field: &str) -> Option<String> {
        text_of(self.row.get(field))
    }

    /// The field as trimmed text; missing or blank is a `missing` problem saying `what` it is.
    pub fn required(&mut self, field: &str, what: &str) -> Option<String> {
        let value = self.text(field);
        if value.is_none() {
            self.issue(field, "missing", format!("{field} is empty: maintain {what}"));
        }
        value
    }

    /// The field as a number (see [`parse_number`]); blank is `None`, unreadable a problem.
    pub fn number(&mut self, field: &str) -> Option<Decimal> {
        let text = self.text(field)?;
        let parsed = if self.report_format { parse_report_number(&text) } else { parse_number(&text) };
        match parsed {
            Ok(value) => Some(value),
            Err(reason) => {
                self.issue(field, "invalid_number", format!("{field} {reason}"));
                None
            }
        }
    }

    /// The field as a number; blank is a `missing` problem.
    pub fn required_number(&mut self, field: &str, what: &str) -> Option<Decimal> {
        if self.text(field).is_none() {
            self.issue(field, "missing", format!("{field} is empty: maintain {what}"));
            return None;
        }
        self.number(field)
    }

    /// The field as a date; blank or `00000000` is `None`, unreadable a problem.
    pub fn date(&mut self, field: &str) -> Option<NaiveDate> {
        let text = self.text(field)?;
        match parse_date(&text) {
            Ok(date) => date,
            Err(reason) => {
                self.issue(field, "invalid_date", format!("{field} {reason}"));
                None
            }
        }
    }

    /// The field as a date; blank or `00000000` is a `missing` problem.
    pub fn required_date(&mut self, field: &str, what: &str) -> Option<NaiveDate> {
        let present = self.text(field).is_some_and(|t| !t.bytes().all(|b| b == b'0'));
        if !present {
            self.issue(field, "missing", format!("{field} is empty: maintain {what}"));
            return None;
        }
        self.date(field)
    }

    /// A SAP boolean: `X` (also `Y`, `true`, `1`) is true; blank is false.
    pub fn flag(&self, field: &str) -> bool {
        matches!(self.text(field).map(|t| t.to_ascii_uppercase()).as_deref(), Some("X" | "Y" | "TRUE" | "1" | "YES"))
    }

    /// The field as a material number without leading zeros; blank is a `missing` problem.
    pub fn material(&mut self, field: &str) -> Option<String> {
        let text = self.required(field, "the material number")?;
        let material = material_number(&text);
        if material.is_none() {
            self.issue(field, "invalid_material", format!("{field} {text:?} is not a material number"));
        }
        material
    }

    /// Whitespace- or comma-separated words of the field, upper case.
    pub fn words(&self, field: &str) -> Vec<String> {
        self.text(field)
            .map(|t| {
                t.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
                    .filter(|w| !w.is_empty())
                    .map(str::to_uppercase)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn number(text: &str) -> Result<String, String> {
        parse_number(text).map(|d| d.normalize().to_string())
    }

    #[test]
    fn numbers_in_every_sap_style() {
        let cases = [
            ("0.250", "0.25"),
            ("1,25", "1.25"),
            ("1.234,50-", "-1234.5"),
            ("1.234,50", "1234.5"),
            ("1,234.50", "1234.5"),
            ("1.234.567", "1234567"),
            ("  12 ", "12"),
            ("-3", "-3"),
            ("3-", "-3"),
            ("0.000", "0"),
            ("92.000,00", "92000"),
            ("+7", "7"),
        ];
        for (text, expected) in cases {
            assert_eq!(number(text), Ok(expected.to_string()), "{text}");
        }
        for bad in ["", "abc", "1.2.3,4,5", "1e5", "--1", "-"] {
            assert!(parse_number(bad).is_err(), "{bad:?} must not parse");
        }
    }

    #[test]
    fn report_rows_read_dots_as_thousands() {
        let row = json!({"ZZVALUE": "92.000,00", "ZZGROSS_KG": "1.040", "ZZNET_KG": "960,500", "ZZDUTY": "0,50-"});
        let row = row.as_object().unwrap();
        assert!(is_report_row(row));
        let mut reader = RowReader::for_report(row);
        assert_eq!(reader.number("ZZGROSS_KG"), Some(Decimal::from(1040)));
        assert_eq!(reader.number("ZZVALUE"), Some(Decimal::from(92_000)));
        assert_eq!(reader.number("ZZDUTY"), Some(Decimal::new(-5, 1)));
        let plain = json!({"NTGEW": "1.040", "NETWR": "1234.50", "MATNR": "0001"});
        let plain = plain.as_object().unwrap();
        assert!(!is_report_row(plain), "no decimal comma: plain format");
        assert_eq!(RowReader::for_report(plain).number("NTGEW"), Some(Decimal::new(104, 2)));
        assert!(parse_report_number("1,2,3").is_err());
    }

    #[test]
    fn dates_and_empty_dates() {
        assert_eq!(parse_date("20251020"), Ok(NaiveDate::from_ymd_opt(2025, 10, 20)));
        assert_eq!(parse_date("2025-10-20"), Ok(NaiveDate::from_ymd_opt(2025, 10, 20)));
        assert_eq!(parse_date("00000000"), Ok(None));
        assert_eq!(parse_date(" "), Ok(None));
        assert!(parse_date("20251332").is_err());
        assert!(parse_date("20/10/2025").is_err());
    }

    #[test]
    fn material_numbers_lose_their_leading_zeros() {
        assert_eq!(material_number("000000000000001001"), Some("1001".into()));
        assert_eq!(material_number("1001  "), Some("1001".into()));
        assert_eq!(material_number("bed-q1"), Some("BED-Q1".into()));
        assert_eq!(material_number("0000"), None);
        assert_eq!(material_number(""), None);
    }

    #[test]
    fn a_reader_collects_every_problem() {
        let row = json!({"A": " 1,5 ", "B": "x", "C": "2025-13-01", "D": "X", "E": 7});
        let row = row.as_object().unwrap();
        let mut reader = RowReader::new(row);
        assert_eq!(reader.number("A"), Some(Decimal::new(15, 1)));
        assert_eq!(reader.number("B"), None);
        assert_eq!(reader.date("C"), None);
        assert!(reader.flag("D"));
        assert!(!reader.flag("Z"));
        assert_eq!(reader.text("E"), Some("7".into()));
        assert_eq!(reader.required("Z", "the thing"), None);
        let codes: Vec<String> = reader.finish().into_iter().map(|i| format!("{}:{}", i.field, i.code)).collect();
        assert_eq!(codes, ["B:invalid_number", "C:invalid_date", "Z:missing"]);
    }
}
