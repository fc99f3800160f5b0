//! Type conversions of the mapping engine, tolerant of how ERPs write values: decimal commas,
//! thousands separators and SAP's trailing minus; `X`/blank and `S`/`N` flags; `YYYYMMDD` dates
//! with `00000000` for none. The `parse_*` functions are public so other crates read ERP values
//! the same way.

use super::model::FieldType;
use super::value::{Val, trim};
use crate::identifiers::{Ean13, Gtin14, IdentifierError, Sgtin96};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Number;
use std::borrow::Cow;

/// Why a value does not convert. Rendered after the field and value: `f120_peso = "1,2,3": …`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("expected {expected}, found {found}")]
    WrongKind { expected: &'static str, found: &'static str },
    #[error("not a decimal number: {reason}; expected a number such as 1.25, 1,25, 1.234,50 or 1.234,50-")]
    Decimal { reason: String },
    #[error("not a whole number; expected an integer such as 12")]
    NotWhole,
    #[error("out of range; expected an integer between -9223372036854775808 and 9223372036854775807")]
    IntegerRange,
    #[error("not a boolean; expected X or blank, S or N, 1 or 0, true or false")]
    Boolean,
    #[error("not a date: {reason}; expected YYYYMMDD, YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or DD/MM/YYYY")]
    Date { reason: &'static str },
    #[error("not a valid {scheme}: {error}")]
    Identifier { scheme: &'static str, error: IdentifierError },
}

fn decimal_error(reason: impl Into<String>) -> ConvertError {
    ConvertError::Decimal { reason: reason.into() }
}

/// Parses a decimal as ERPs write it, exactly (no floating point).
///
/// - an optional sign in front, or SAP's trailing minus: `1.234,50-` is −1234.50;
/// - `.` or `,` as the decimal separator, the other one as thousands separator;
/// - when both appear, the last one is the decimal separator: `1.234,50`, `1,234.50`;
/// - when only one kind appears once, it is the decimal separator: `1,25` and `1.25` are both
///   1.25, and `1.234` is 1.234 (write `1.234,00` or `1234` for a thousand and more);
/// - when one kind appears more than once, it groups thousands: `1.234.567`;
/// - thousands groups have exactly three digits.
pub fn parse_decimal(text: &str) -> Result<Decimal, ConvertError> {
    let text = text.trim();
    let (negative, body) = if let Some(rest) = text.strip_suffix('-') {
        if rest.starts_with(['-', '+']) {
            return Err(decimal_error("a sign on both sides"));
        }
        (true, rest)
    } else if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else {
        (false, text.strip_prefix('+').unwrap_or(text))
    };
    if body.is_empty() {
        return Err(decimal_error("no digits"));
    }
    if let Some(bad) = body.chars().find(|c| !(c.is_ascii_digit() || *c == '.' || *c == ',')) {
        return Err(decimal_error(format!("{bad:?} is not a digit or separator")));
    }
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    let decimal_separator = match (dots, commas) {
        (0, 0) => None,
        (1, 0) => Some('.'),
        (0, 1) => Some(','),
        (_, 0) | (0, _) => None,
        _ => {
            let last = body.rfind(['.', ',']).and_then(|i| body[i..].chars().next());
            let count = if last == Some('.') { dots } else { commas };
            if count > 1 {
                return Err(decimal_error("more than one decimal separator"));
            }
            last
        }
    };
    let (integer, fraction) = match decimal_separator {
        Some(separator) => body.rsplit_once(separator).unwrap_or((body, "")),
        None => (body, ""),
    };
    if decimal_separator.is_some() && fraction.is_empty() {
        return Err(decimal_error("no digits after the decimal separator"));
    }
    let mut groups = integer.split(['.', ',']);
    let first = groups.next().unwrap_or_default();
    let mut grouped = false;
    for group in groups {
        grouped = true;
        if group.len() != 3 {
            return Err(decimal_error("thousands groups must have 3 digits"));
        }
    }
    if grouped && (first.is_empty() || first.len() > 3) {
        return Err(decimal_error("thousands groups must have 3 digits"));
    }
    if fraction.len() > 28 {
        return Err(decimal_error("more than 28 decimal places"));
    }
    let mut mantissa: i128 = 0;
    for digit in integer.bytes().chain(fraction.bytes()).filter(u8::is_ascii_digit) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(digit - b'0')))
            .ok_or_else(|| decimal_error("too many digits"))?;
    }
    if negative {
        mantissa = -mantissa;
    }
    Decimal::try_from_i128_with_scale(mantissa, fraction.len() as u32).map_err(|_| decimal_error("too many digits"))
}

/// Parses an ERP flag: `X`, `S`, `Si`, `Y`, `Yes`, `1`, `true` are true; blank, `N`, `No`, `0`,
/// `false` are false (any case, surrounding whitespace ignored).
pub fn parse_boolean(text: &str) -> Result<bool, ConvertError> {
    let text = text.trim();
    const TRUE: [&str; 8] = ["x", "s", "si", "sí", "y", "yes", "1", "true"];
    const FALSE: [&str; 5] = ["", "n", "no", "0", "false"];
    let is = |words: &[&str]| {
        words.iter().any(|w| w.eq_ignore_ascii_case(text))
            || (!text.is_ascii() && words.contains(&text.to_lowercase().as_str()))
    };
    if is(&TRUE) {
        Ok(true)
    } else if is(&FALSE) {
        Ok(false)
    } else {
        Err(ConvertError::Boolean)
    }
}

/// Parses a date: `YYYYMMDD`, `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS` (the time, fractions and a
/// zone are checked, then dropped) or `DD/MM/YYYY`. `00000000` is SAP's "no date": `None`.
pub fn parse_date(text: &str) -> Result<Option<NaiveDate>, ConvertError> {
    Ok(match date_text(text)? {
        DateText::Empty => None,
        DateText::Iso(iso) => Some(ymd(&iso[0..4], &iso[5..7], &iso[8..10])?),
        DateText::Parsed(date) => Some(date),
    })
}

enum DateText<'a> {
    Empty,
    /// Already `YYYY-MM-DD` and valid: a slice of the input.
    Iso(&'a str),
    Parsed(NaiveDate),
}

fn date_text(text: &str) -> Result<DateText<'_>, ConvertError> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|b| b.iter().all(u8::is_ascii_digit));
    let unrecognised = ConvertError::Date { reason: "unrecognised format" };
    if bytes.len() == 8 && digits(0..8) {
        if text == "00000000" {
            return Ok(DateText::Empty);
        }
        return Ok(DateText::Parsed(ymd(&text[0..4], &text[4..6], &text[6..8])?));
    }
    if bytes.len() >= 10 && digits(0..4) && bytes[4] == b'-' && digits(5..7) && bytes[7] == b'-' && digits(8..10) {
        ymd(&text[0..4], &text[5..7], &text[8..10])?;
        if bytes.len() > 10 {
            let separated = matches!(bytes[10], b'T' | b't' | b' ');
            if !separated || !is_time(&bytes[11..]) {
                return Err(ConvertError::Date { reason: "the time after the date is not HH:MM:SS" });
            }
        }
        return Ok(DateText::Iso(&text[..10]));
    }
    if bytes.len() == 10 && digits(0..2) && bytes[2] == b'/' && digits(3..5) && bytes[5] == b'/' && digits(6..10) {
        return Ok(DateText::Parsed(ymd(&text[6..10], &text[3..5], &text[0..2])?));
    }
    Err(unrecognised)
}

fn ymd(year: &str, month: &str, day: &str) -> Result<NaiveDate, ConvertError> {
    let no_such_date = ConvertError::Date { reason: "no such day in the calendar" };
    let (Ok(y), Ok(m), Ok(d)) = (year.parse::<i32>(), month.parse::<u32>(), day.parse::<u32>()) else {
        return Err(no_such_date);
    };
    NaiveDate::from_ymd_opt(y, m, d).ok_or(no_such_date)
}

/// `HH:MM`, `HH:MM:SS`, optional `.fraction`, optional `Z` or `±HH:MM` / `±HHMM`.
fn is_time(bytes: &[u8]) -> bool {
    let two = |at: usize, max: u8| -> bool {
        match bytes.get(at..at + 2) {
            Some([a, b]) if a.is_ascii_digit() && b.is_ascii_digit() => (a - b'0') * 10 + (b - b'0') <= max,
            _ => false,
        }
    };
    if !(two(0, 23) && bytes.get(2) == Some(&b':') && two(3, 59)) {
        return false;
    }
    let mut at = 5;
    if bytes.get(at) == Some(&b':') {
        if !two(at + 1, 60) {
            return false;
        }
        at += 3;
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            let start = at;
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            if at == start {
                return false;
            }
        }
    }
    match &bytes[at.min(bytes.len())..] {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', rest @ ..] => {
            let zone = |h: &[u8], m: &[u8]| h.iter().chain(m).all(u8::is_ascii_digit) && h.len() == 2 && m.len() == 2;
            match rest {
                [h1, h2, b':', m1, m2] => zone(&[*h1, *h2], &[*m1, *m2]),
                [h1, h2, m1, m2] => zone(&[*h1, *h2], &[*m1, *m2]),
                _ => false,
            }
        }
        _ => false,
    }
}

/// A JSON number as an exact decimal: integers directly, other numbers through their shortest
/// decimal text (what the JSON said), never through float arithmetic.
fn number_to_decimal(number: &Number) -> Result<Decimal, ConvertError> {
    if let Some(i) = number.as_i64() {
        return Ok(Decimal::from(i));
    }
    if let Some(u) = number.as_u64() {
        return Ok(Decimal::from(u));
    }
    let text = number.to_string();
    let parsed =
        if text.contains(['e', 'E']) { Decimal::from_scientific(&text) } else { Decimal::from_str_exact(&text) };
    parsed.map_err(|_| decimal_error("out of the decimal range (28 significant digits)"))
}

fn decimal_to_integer(decimal: Decimal) -> Result<i64, ConvertError> {
    if !decimal.fract().is_zero() {
        return Err(ConvertError::NotWhole);
    }
    decimal.to_i64().ok_or(ConvertError::IntegerRange)
}

/// The text of a value for the identifier types: text as is, whole numbers as their digits.
fn identifier_text<'v>(value: &'v Val<'_>) -> Result<Cow<'v, str>, ConvertError> {
    match value {
        Val::Str(s) => Ok(Cow::Borrowed(s)),
        Val::Int(i) => Ok(Cow::Owned(i.to_string())),
        Val::Num(n) if n.is_u64() => Ok(Cow::Owned(n.to_string())),
        other => Err(ConvertError::WrongKind { expected: "text", found: other.kind() }),
    }
}

/// Whether a value counts as "no value" for a rule of this type: missing, null, blank text,
/// and for dates SAP's `00000000`. A blank flag is not missing: it is SAP's "false".
pub(crate) fn is_empty_for(ty: Option<FieldType>, value: &Val<'_>) -> bool {
    match (ty, value) {
        (_, Val::Missing) => true,
        (Some(FieldType::Boolean), Val::Str(_)) => false,
        (Some(FieldType::Date), Val::Str(s)) => {
            let s = trim(s);
            s.is_empty() || s == "00000000"
        }
        (Some(FieldType::Date), Val::Num(n)) => n.as_u64() == Some(0),
        (_, Val::Str(s)) => trim(s).is_empty(),
        _ => false,
    }
}

/// Converts a present value to a type. Borrowed text stays borrowed when the conversion does
/// not change it (a trimmed EAN-13, an ISO date), so the common case allocates nothing.
pub(crate) fn convert<'a>(ty: FieldType, value: &Val<'a>) -> Result<Val<'a>, ConvertError> {
    let wrong_kind = |expected| ConvertError::WrongKind { expected, found: value.kind() };
    match ty {
        FieldType::String => match value {
            Val::Str(s) => Ok(Val::Str(s.clone())),
            Val::Int(i) => Ok(Val::Str(Cow::Owned(i.to_string()))),
            Val::Dec(d) => Ok(Val::Str(Cow::Owned(d.to_string()))),
            Val::Num(n) => Ok(Val::Str(Cow::Owned(n.to_string()))),
            Val::Bool(b) => Ok(Val::Str(Cow::Borrowed(if *b { "true" } else { "false" }))),
            _ => Err(wrong_kind("text")),
        },
        FieldType::Integer => match value {
            Val::Int(i) => Ok(Val::Int(*i)),
            Val::Num(n) => match n.as_i64() {
                Some(i) => Ok(Val::Int(i)),
                None if n.is_u64() => Err(ConvertError::IntegerRange),
                None => decimal_to_integer(number_to_decimal(n)?).map(Val::Int),
            },
            Val::Dec(d) => decimal_to_integer(*d).map(Val::Int),
            Val::Str(s) => decimal_to_integer(parse_decimal(s)?).map(Val::Int),
            _ => Err(wrong_kind("an integer")),
        },
        FieldType::Decimal => match value {
            Val::Dec(d) => Ok(Val::Dec(*d)),
            Val::Int(i) => Ok(Val::Dec(Decimal::from(*i))),
            Val::Num(n) => Ok(Val::Dec(number_to_decimal(n)?.normalize())),
            Val::Str(s) => Ok(Val::Dec(parse_decimal(s)?.normalize())),
            _ => Err(wrong_kind("a decimal number")),
        },
        FieldType::Boolean => match value {
            Val::Bool(b) => Ok(Val::Bool(*b)),
            Val::Str(s) => parse_boolean(s).map(Val::Bool),
            Val::Int(i) => int_flag(*i),
            Val::Num(n) => n.as_i64().map_or(Err(ConvertError::Boolean), int_flag),
            Val::Dec(d) => decimal_to_integer(*d).map_err(|_| ConvertError::Boolean).and_then(int_flag),
            _ => Err(wrong_kind("a flag")),
        },
        FieldType::Date => match value {
            Val::Str(Cow::Borrowed(s)) => Ok(match date_text(s)? {
                DateText::Iso(iso) => Val::Str(Cow::Borrowed(iso)),
                DateText::Parsed(date) => iso_date(date),
                DateText::Empty => Val::Missing,
            }),
            Val::Str(Cow::Owned(s)) => owned_date(s),
            Val::Int(i) => owned_date(&i.to_string()),
            Val::Num(n) if n.is_u64() => owned_date(&n.to_string()),
            _ => Err(wrong_kind("a date")),
        },
        FieldType::Ean13 => {
            let text = identifier_text(value)?;
            let ean = Ean13::parse(&text).map_err(|error| ConvertError::Identifier { scheme: "EAN-13", error })?;
            Ok(keep_if_same(value, ean.as_str()))
        }
        FieldType::Gtin14 => {
            let text = identifier_text(value)?;
            let gtin = Gtin14::parse(&text).map_err(|error| ConvertError::Identifier { scheme: "GTIN-14", error })?;
            Ok(keep_if_same(value, gtin.as_str()))
        }
        FieldType::Epc => {
            let text = identifier_text(value)?;
            let epc =
                Sgtin96::parse(&text).map_err(|error| ConvertError::Identifier { scheme: "SGTIN-96 EPC", error })?;
            Ok(keep_if_same(value, epc.as_str()))
        }
    }
}

fn iso_date(date: NaiveDate) -> Val<'static> {
    Val::Str(Cow::Owned(date.format("%Y-%m-%d").to_string()))
}

fn int_flag(i: i64) -> Result<Val<'static>, ConvertError> {
    match i {
        1 => Ok(Val::Bool(true)),
        0 => Ok(Val::Bool(false)),
        _ => Err(ConvertError::Boolean),
    }
}

fn owned_date(text: &str) -> Result<Val<'static>, ConvertError> {
    Ok(parse_date(text)?.map_or(Val::Missing, iso_date))
}

/// The normalised identifier: the input's own (trimmed) text when it already is exactly that,
/// else a new string.
fn keep_if_same<'a>(value: &Val<'a>, normalised: &str) -> Val<'a> {
    match value {
        Val::Str(Cow::Borrowed(s)) if trim(s) == normalised => Val::Str(Cow::Borrowed(trim(s))),
        _ => Val::Str(Cow::Owned(normalised.to_string())),
    }
}
