//! The value parsers behind the `decimal`, `boolean` and `date` types, as ERPs write values.

use lading_core::mapping::{parse_boolean, parse_date, parse_decimal};

fn check<T: ToString, E: ToString>(input: &str, actual: Result<T, E>, expected: Result<&str, &str>) {
    let actual = actual.map(|v| v.to_string()).map_err(|e| e.to_string());
    let expected = expected.map(str::to_string).map_err(str::to_string);
    assert_eq!(actual, expected, "input {input:?}");
}

const DECIMAL_HINT: &str = "; expected a number such as 1.25, 1,25, 1.234,50 or 1.234,50-";

#[test]
fn decimals_tolerate_separators_and_sap_signs() {
    let ok: &[(&str, &str)] = &[
        ("1.25", "1.25"),
        ("1,25", "1.25"),
        ("0.250", "0.250"),
        ("12,0000", "12.0000"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1.234,50-", "-1234.50"),
        ("1,234.50-", "-1234.50"),
        ("-1.25", "-1.25"),
        ("+1.25", "1.25"),
        ("1.234.567", "1234567"),
        ("1,234,567", "1234567"),
        ("1.234.567,891", "1234567.891"),
        ("1.234", "1.234"),
        ("  42  ", "42"),
        (",5", "0.5"),
        ("0", "0"),
        ("0.000", "0.000"),
        ("79228162514264337593543950335", "79228162514264337593543950335"),
        ("0.0000000000000000000000000001", "0.0000000000000000000000000001"),
    ];
    for (input, expected) in ok {
        check(input, parse_decimal(input), Ok(expected));
    }
    let bad: &[(&str, &str)] = &[
        ("", "no digits"),
        ("-", "no digits"),
        ("abc", "'a' is not a digit or separator"),
        ("1e5", "'e' is not a digit or separator"),
        ("1 234,50", "' ' is not a digit or separator"),
        ("-1,5-", "a sign on both sides"),
        ("1.234,56,78", "more than one decimal separator"),
        ("1.2.3", "thousands groups must have 3 digits"),
        ("12,34,56", "thousands groups must have 3 digits"),
        ("1234.567,8", "thousands groups must have 3 digits"),
        ("1,", "no digits after the decimal separator"),
        ("79228162514264337593543950336", "too many digits"),
        ("0.00000000000000000000000000001", "more than 28 decimal places"),
    ];
    for (input, reason) in bad {
        check(input, parse_decimal(input), Err(&format!("not a decimal number: {reason}{DECIMAL_HINT}")));
    }
}

#[test]
fn booleans_read_erp_flags() {
    for truthy in ["X", "x", "S", "s", "Si", "SÍ", "sí", "Y", "yes", "1", "true", "TRUE", " X "] {
        check(truthy, parse_boolean(truthy), Ok("true"));
    }
    for falsy in ["", "   ", "N", "n", "No", "0", "false", "False"] {
        check(falsy, parse_boolean(falsy), Ok("false"));
    }
    for bad in ["2", "maybe", "-1", "XX"] {
        check(bad, parse_boolean(bad), Err("not a boolean; expected X or blank, S or N, 1 or 0, true or false"));
    }
}

#[test]
fn dates_become_iso_and_zeros_mean_none() {
    let ok: &[(&str, Option<&str>)] = &[
        ("20230501", Some("2023-05-01")),
        ("2023-05-01", Some("2023-05-01")),
        ("2023-05-01T00:00:00", Some("2023-05-01")),
        ("2023-05-01T23:59:59.123", Some("2023-05-01")),
        ("2023-05-01 08:30:00Z", Some("2023-05-01")),
        ("2023-05-01T08:30:00-05:00", Some("2023-05-01")),
        ("2023-05-01T08:30", Some("2023-05-01")),
        ("01/05/2023", Some("2023-05-01")),
        ("29/02/2024", Some("2024-02-29")),
        ("00000000", None),
        (" 20230501 ", Some("2023-05-01")),
    ];
    for (input, expected) in ok {
        let actual = parse_date(input).map(|d| d.map(|d| d.to_string()));
        assert_eq!(actual, Ok(expected.map(str::to_string)), "input {input:?}");
    }
    let hint = "; expected YYYYMMDD, YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or DD/MM/YYYY";
    let bad: &[(&str, &str)] = &[
        ("20230230", "no such day in the calendar"),
        ("2023-13-01", "no such day in the calendar"),
        ("29/02/2023", "no such day in the calendar"),
        ("2023-05-01T25:00:00", "the time after the date is not HH:MM:SS"),
        ("2023-05-01X", "the time after the date is not HH:MM:SS"),
        ("05/01/23", "unrecognised format"),
        ("May 1, 2023", "unrecognised format"),
        ("", "unrecognised format"),
    ];
    for (input, reason) in bad {
        let actual = parse_date(input).map_err(|e| e.to_string());
        assert_eq!(actual, Err(format!("not a date: {reason}{hint}")), "input {input:?}");
    }
}
