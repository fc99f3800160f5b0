//! Every tolerance of customs.md at its edge, as tables: (generated, reported, verdict).

mod compare_support;

use compare_support::{dec, line, severity_after};
use lading_customs::compare::Severity::{self, Fail, Match, Warn};
use lading_customs::compare::{Field, Tolerances, TolerancesError};
use lading_customs::model::Unit;

/// `None`: the values are equal, so nothing is reported.
type Case = (&'static str, &'static str, Option<Severity>);

fn check(field: Field, cases: &[Case], set: fn(&mut lading_customs::model::CustomsLine, rust_decimal::Decimal)) {
    for &(generated, reported, expected) in cases {
        let mut base = line("E1", 1);
        set(&mut base, dec(generated));
        let actual = severity_after(&base, field, |r| set(r, dec(reported)));
        assert_eq!(actual, expected, "{field:?}: generated {generated}, reported {reported}");
    }
}

#[test]
fn entered_value_matches_within_a_dollar_and_warns_up_to_half_a_percent() {
    check(
        Field::EnteredValue,
        &[
            ("1000", "1000", None),
            ("1000", "1001", Some(Match)),   // ± $1 passes
            ("1000", "999", Some(Match)),    // either way
            ("100", "101.01", Some(Fail)),   // $1.01 fails: 0.5 % of 101.01 is only 0.51
            ("1000", "1004", Some(Warn)),    // 0.4 % warns
            ("1000", "1005.02", Some(Warn)), // 0.5 % of the larger value (5.0251) still warns
            ("1000", "1006", Some(Fail)),    // 0.6 % fails
            ("0", "1", Some(Match)),
            ("0", "2", Some(Fail)),
        ],
        |line, value| line.entered_value = value,
    );
}

#[test]
fn charges_follow_the_same_rule_as_value() {
    check(
        Field::Charges,
        &[
            ("40", "41", Some(Match)),
            ("40", "41.01", Some(Fail)),
            ("10000", "10040", Some(Warn)),
            ("10000", "10051", Some(Fail)),
        ],
        |line, value| line.charges = value,
    );
}

#[test]
fn duty_matches_within_a_cent_and_warns_up_to_a_dollar() {
    check(
        Field::Duty,
        &[
            ("250.00", "250.00", None),
            ("250.00", "250.01", Some(Match)),
            ("250.00", "249.99", Some(Match)),
            ("250.00", "250.02", Some(Warn)),
            ("250.00", "251.00", Some(Warn)),
            ("250.00", "251.01", Some(Fail)),
        ],
        |line, value| line.tariffs[0].duty = value,
    );
}

#[test]
fn net_kg_allows_the_larger_of_one_kg_and_one_percent() {
    check(
        Field::NetKg,
        &[
            ("50", "51", Some(Match)), // 1 kg (1 % would be 0.51)
            ("50", "51.1", Some(Fail)),
            ("500", "505", Some(Match)),    // 1 % of 505 = 5.05
            ("500", "505.05", Some(Match)), // 1 % of 505.05 = 5.0505
            ("500", "505.1", Some(Fail)),   // 1 % of 505.1 = 5.051 < 5.1
        ],
        |line, value| line.net_kg = value,
    );
}

#[test]
fn gross_kg_allows_the_larger_of_one_kg_and_two_percent() {
    check(
        Field::GrossKg,
        &[
            ("20", "21", Some(Match)),
            ("20", "21.5", Some(Fail)),
            ("1000", "1020", Some(Match)),
            ("1000", "1020.4", Some(Match)), // 2 % of 1020.4 = 20.408
            ("1000", "1020.5", Some(Fail)),  // 2 % of 1020.5 = 20.41 < 20.5
        ],
        |line, value| line.gross_kg = value,
    );
}

#[test]
fn counted_quantities_are_exact_and_kilograms_follow_net_kg() {
    check(Field::Quantity, &[("4", "4", None), ("4", "5", Some(Fail)), ("4", "4.0", None)], |line, value| {
        line.quantities = vec![(Unit::Number, value)]
    });
    check(Field::Quantity, &[("12", "13", Some(Fail)), ("12", "11", Some(Fail))], |line, value| {
        line.quantities = vec![(Unit::Dozens, value)]
    });
    check(
        Field::Quantity,
        &[("100", "101", Some(Match)), ("100", "102", Some(Fail)), ("400", "404", Some(Match))],
        |line, value| line.quantities = vec![(Unit::Kilograms, value)],
    );
}

#[test]
fn fees_match_within_a_cent_and_fail_past_it() {
    check(Field::Mpf, &[("3.46", "3.47", Some(Match)), ("3.46", "3.48", Some(Fail))], |line, value| line.mpf = value);
    check(Field::Hmf, &[("1.25", "1.24", Some(Match)), ("1.25", "1.27", Some(Fail))], |line, value| line.hmf = value);
}

#[test]
fn exact_fields_fail_on_any_difference_after_normalising() {
    let base = line("E1", 1);
    type Change = Box<dyn Fn(&mut lading_customs::model::CustomsLine)>;
    let cases: Vec<(Field, Change, Option<Severity>)> = vec![
        (Field::Origin, Box::new(|l| l.origin = "cn ".into()), None),
        (Field::Origin, Box::new(|l| l.origin = "VN".into()), Some(Fail)),
        (Field::Mid, Box::new(|l| l.mid = "  CNFOSFUR123FOS ".into()), None),
        (Field::Mid, Box::new(|l| l.mid = "CNFOSFUR124FOS".into()), Some(Fail)),
        (Field::Spi, Box::new(|l| l.spi = Some("A".into())), Some(Fail)),
        (Field::Spi, Box::new(|l| l.spi = Some(String::new())), None),
        (Field::RelatedParty, Box::new(|l| l.related_party = true), Some(Fail)),
        (Field::Hts10, Box::new(|l| l.tariffs[3].hts_number = "9403200035".into()), None),
        (Field::Hts10, Box::new(|l| l.tariffs[3].hts_number = "9403 20 00 35".into()), None),
        (Field::Hts10, Box::new(|l| l.tariffs[3].hts_number = "9403.20.00.45".into()), Some(Fail)),
        (Field::Rate, Box::new(|l| l.tariffs[0].rate_text = "25.00 %".into()), None),
        (Field::Rate, Box::new(|l| l.tariffs[3].rate_text = "0%".into()), None),
        (Field::Rate, Box::new(|l| l.tariffs[0].rate_text = "7.5%".into()), Some(Fail)),
        (Field::Units, Box::new(|l| l.quantities = vec![(Unit::Kilograms, dec("4"))]), Some(Fail)),
        (Field::Units, Box::new(|l| l.quantities = vec![(Unit::Other("No.".into()), dec("4"))]), None),
        (Field::EntryDate, Box::new(|l| l.entry_date = l.entry_date.succ_opt().unwrap_or_default()), Some(Fail)),
        (Field::Part, Box::new(|l| l.part = lading_customs::model::LinePart::Metal), Some(Fail)),
        (Field::Programme, Box::new(|l| l.tariffs[0].programme = None), None),
        (
            Field::Programme,
            Box::new(|l| l.tariffs[0].programme = Some(lading_customs::model::Programme::S232)),
            Some(Fail),
        ),
    ];
    for (index, (field, change, expected)) in cases.into_iter().enumerate() {
        assert_eq!(severity_after(&base, field, change), expected, "case {index}: {field:?}");
    }
}

#[test]
fn tolerances_load_from_json_field_by_field() {
    let defaults = Tolerances::default();
    assert_eq!(defaults.entered_value_usd, dec("1"));
    assert_eq!(defaults.entered_value_warn_percent, dec("0.5"));
    assert_eq!(defaults.gross_kg_percent, dec("2"));
    assert_eq!(defaults.duty_usd, dec("0.01"));
    assert_eq!(Tolerances::from_json("{}"), Ok(defaults.clone()));

    let tenant = Tolerances::from_json(r#"{"gross_kg_percent": 3, "duty_usd": "0.05"}"#).unwrap_or_default();
    assert_eq!(tenant.gross_kg_percent, dec("3"));
    assert_eq!(tenant.duty_usd, dec("0.05"));
    assert_eq!(tenant.net_kg_percent, defaults.net_kg_percent);

    // A tenant config's object on top of a file's tolerances.
    let layered = tenant.with_overrides(&serde_json::json!({"duty_warn_usd": 0.5})).unwrap_or_default();
    assert_eq!((layered.duty_usd, layered.duty_warn_usd), (dec("0.05"), dec("0.5")));
    assert_eq!(layered.gross_kg_percent, dec("3"));
}

#[test]
fn tolerances_reject_typos_negatives_and_other_versions() {
    let message = |json: &str| match Tolerances::from_json(json) {
        Ok(_) => String::from("accepted"),
        Err(error) => error.to_string(),
    };
    assert!(message(r#"{"duty_usdd": 1}"#).contains("unknown field `duty_usdd`"));
    assert_eq!(
        message(r#"{"duty_usd": -1, "mpf_usd": "-0.5"}"#),
        "tolerances: duty_usd: -1 is negative, expected 0 or more; mpf_usd: -0.5 is negative, expected 0 or more"
    );
    assert_eq!(message(r#"{"version": 2}"#), "tolerances: version: 2 is not supported, expected 1");
    assert_eq!(
        Tolerances::default().with_overrides(&serde_json::json!([1])),
        Err(TolerancesError::NotAnObject("an array"))
    );
    assert!(message("not json").starts_with("tolerances: "));
}

#[test]
fn a_tenant_can_widen_gross_kg() {
    let tolerances = Tolerances::from_json(r#"{"gross_kg_percent": 5}"#).unwrap_or_default();
    let generated = line("E1", 1);
    let mut reported = generated.clone();
    reported.gross_kg = dec("125"); // 4.2 % off: fails by default, passes at 5 %
    let report = lading_customs::compare::compare(
        std::slice::from_ref(&generated),
        std::slice::from_ref(&reported),
        &tolerances,
    );
    assert!(!report.failed());
    assert!(lading_customs::compare::compare(&[generated], &[reported], &Tolerances::default()).failed());
}
