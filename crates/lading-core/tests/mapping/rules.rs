//! The rule grammar, one feature at a time: a one-rule mapping, a source record, and the
//! target value or the issues it gives.

use super::record;
use lading_core::mapping::Mapping;
use serde_json::{Value, json};

/// A mapping whose canonical `field` is made by `rule` and copied to the target field `x`.
fn one_rule(field: &str, rule: Value) -> Mapping {
    let text = json!({
        "version": 1,
        "product_type": "test",
        "canonical": {"external_id": {"const": "1"}, field: rule},
        "target": {"x": {"from": field}}
    });
    Mapping::from_json(&text.to_string()).unwrap_or_else(|e| panic!("{rule}:\n{e}"))
}

/// Maps `source` with `rule` making `field`; expects the target value `x`, or the issues as
/// `code: message`.
fn check(field: &str, rule: Value, source: Value, expected: Result<Value, &[&str]>) {
    let mapping = one_rule(field, rule.clone());
    let actual = mapping
        .apply(&record(source.clone()))
        .map(|target| target.fields["x"].clone())
        .map_err(|issues| issues.iter().map(|i| format!("{}: {}", i.code, i.message)).collect::<Vec<_>>());
    let expected = expected.map_err(|lines| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>());
    assert_eq!(actual, expected, "rule {rule} on {source}");
}

fn custom(rule: Value, source: Value, expected: Result<Value, &[&str]>) {
    check("custom:X", rule, source, expected);
}

#[test]
fn without_a_type_values_pass_through() {
    custom(json!({"from": "a"}), json!({"a": "  padded  "}), Ok(json!("  padded  ")));
    custom(json!({"from": "a"}), json!({"a": 12.5}), Ok(json!(12.5)));
    custom(json!({"from": "a"}), json!({"a": [1, {"b": 2}]}), Ok(json!([1, {"b": 2}])));
    custom(json!({"from": "a"}), json!({"a": null}), Ok(Value::Null));
    custom(json!({"from": "a"}), json!({}), Ok(Value::Null));
    custom(json!({"from": "a", "trim": true}), json!({"a": "   "}), Ok(Value::Null));
}

#[test]
fn string_type() {
    let rule = json!({"from": "a", "type": "string"});
    custom(rule.clone(), json!({"a": 1042}), Ok(json!("1042")));
    custom(rule.clone(), json!({"a": "1042"}), Ok(json!("1042")));
    custom(rule.clone(), json!({"a": true}), Ok(json!("true")));
    custom(
        rule.clone(),
        json!({"a": ["x", "y"]}),
        Err(&["wrong_kind: a = an array of 2 items: expected text, found an array"]),
    );
    custom(
        rule,
        json!({"a": {"k": 1}}),
        Err(&["wrong_kind: a = an object with 1 keys: expected text, found an object"]),
    );
}

#[test]
fn integer_type() {
    let rule = json!({"from": "a", "type": "integer"});
    custom(rule.clone(), json!({"a": 12}), Ok(json!(12)));
    custom(rule.clone(), json!({"a": "12,0000"}), Ok(json!(12)));
    custom(rule.clone(), json!({"a": 12.0}), Ok(json!(12)));
    custom(rule.clone(), json!({"a": "1.234.567"}), Ok(json!(1_234_567)));
    custom(
        rule.clone(),
        json!({"a": "1,5"}),
        Err(&["invalid_integer: a = \"1,5\": not a whole number; expected an integer such as 12"]),
    );
    custom(
        rule.clone(),
        json!({"a": u64::MAX}),
        Err(&[
            "invalid_integer: a = 18446744073709551615: out of range; expected an integer between -9223372036854775808 and 9223372036854775807",
        ]),
    );
    custom(rule, json!({"a": false}), Err(&["wrong_kind: a = false: expected an integer, found a boolean"]));
}

#[test]
fn decimal_type_is_exact_and_serialises_as_a_string() {
    let rule = json!({"from": "a", "type": "decimal"});
    custom(rule.clone(), json!({"a": 1.25}), Ok(json!("1.25")));
    custom(rule.clone(), json!({"a": "1,25"}), Ok(json!("1.25")));
    custom(rule.clone(), json!({"a": "1.234,50-"}), Ok(json!("-1234.5")));
    custom(rule.clone(), json!({"a": "12,0000"}), Ok(json!("12")));
    custom(rule.clone(), json!({"a": 0.1}), Ok(json!("0.1")));
    custom(rule.clone(), json!({"a": 7}), Ok(json!("7")));
    custom(rule.clone(), json!({"a": "-0,00"}), Ok(json!("0")));
    custom(
        rule,
        json!({"a": "1,2,3"}),
        Err(&[
            "invalid_decimal: a = \"1,2,3\": not a decimal number: thousands groups must have 3 digits; expected a number such as 1.25, 1,25, 1.234,50 or 1.234,50-",
        ]),
    );
}

#[test]
fn boolean_type_reads_flags_and_blank_is_false() {
    let rule = json!({"from": "a", "type": "boolean"});
    for (value, expected) in [
        (json!("X"), json!(true)),
        (json!(""), json!(false)),
        (json!("   "), json!(false)),
        (json!("S"), json!(true)),
        (json!("N"), json!(false)),
        (json!("1"), json!(true)),
        (json!(0), json!(false)),
        (json!(1), json!(true)),
        (json!(true), json!(true)),
        (json!(null), Value::Null),
    ] {
        custom(rule.clone(), json!({"a": value}), Ok(expected));
    }
    custom(
        rule,
        json!({"a": 2}),
        Err(&["invalid_boolean: a = 2: not a boolean; expected X or blank, S or N, 1 or 0, true or false"]),
    );
}

#[test]
fn date_type() {
    let rule = json!({"from": "a", "type": "date"});
    custom(rule.clone(), json!({"a": "20230501"}), Ok(json!("2023-05-01")));
    custom(rule.clone(), json!({"a": 20230501}), Ok(json!("2023-05-01")));
    custom(rule.clone(), json!({"a": "2023-05-01T00:00:00"}), Ok(json!("2023-05-01")));
    custom(rule.clone(), json!({"a": "01/05/2023"}), Ok(json!("2023-05-01")));
    custom(rule.clone(), json!({"a": "00000000"}), Ok(Value::Null));
    custom(
        json!({"from": "a", "type": "date", "required": true}),
        json!({"a": "00000000"}),
        Err(&["missing_required: a is missing or blank, and a value is required"]),
    );
    custom(
        rule,
        json!({"a": "2023-02-30"}),
        Err(&[
            "invalid_date: a = \"2023-02-30\": not a date: no such day in the calendar; expected YYYYMMDD, YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or DD/MM/YYYY",
        ]),
    );
}

#[test]
fn identifier_types_validate_and_normalise() {
    check("ean", json!({"from": "barcode"}), json!({"barcode": "036000291452"}), Ok(json!("0036000291452")));
    check("ean", json!({"from": "barcode"}), json!({"barcode": " 7705751519063 "}), Ok(json!("7705751519063")));
    check("ean", json!({"from": "barcode"}), json!({"barcode": "07705751519063"}), Ok(json!("7705751519063")));
    check("ean", json!({"from": "barcode"}), json!({"barcode": 7705751519063u64}), Ok(json!("7705751519063")));
    check("ean", json!({"from": "barcode"}), json!({"barcode": null}), Ok(Value::Null));
    check(
        "ean",
        json!({"from": "barcode"}),
        json!({"barcode": "1234567890123"}),
        Err(&["invalid_ean13: barcode = \"1234567890123\": not a valid EAN-13: EAN-13 check digit is 3, expected 8"]),
    );
    check("gtin", json!({"from": "barcode"}), json!({"barcode": "7705751519063"}), Ok(json!("07705751519063")));
    check(
        "epc",
        json!({"from": "epc"}),
        json!({"epc": "3035d6525c32b08000000025"}),
        Ok(json!("3035D6525C32B08000000025")),
    );
    check(
        "epc",
        json!({"from": "epc"}),
        json!({"epc": "E2801160600002054C9A"}),
        Err(&[
            "invalid_epc: epc = \"E2801160600002054C9A\": not a valid SGTIN-96 EPC: looks like an RFID chip id (TID: starts with E2, 20 characters), not an EPC; an SGTIN-96 EPC has 24 hex characters starting with 30",
        ]),
    );
}

#[test]
fn trim_case_and_pad_shape_text() {
    custom(json!({"from": "a", "trim": true, "case": "upper"}), json!({"a": "  ref-1  "}), Ok(json!("REF-1")));
    custom(json!({"from": "a", "case": "lower"}), json!({"a": "ÑANDÚ"}), Ok(json!("ñandú")));
    custom(json!({"from": "a", "case": "upper"}), json!({"a": "señal"}), Ok(json!("SEÑAL")));
    custom(json!({"from": "a", "pad": {"length": 6, "char": "0"}}), json!({"a": "42"}), Ok(json!("000042")));
    custom(
        json!({"from": "a", "type": "string", "pad": {"length": 6, "char": "0"}}),
        json!({"a": 42}),
        Ok(json!("000042")),
    );
    custom(
        json!({"from": "a", "pad": {"length": 4, "char": "*", "side": "right"}}),
        json!({"a": "ab"}),
        Ok(json!("ab**")),
    );
    custom(json!({"from": "a", "pad": {"length": 2, "char": "0"}}), json!({"a": "abc"}), Ok(json!("abc")));
}

#[test]
fn defaults_fill_missing_blank_and_null_values() {
    let rule = json!({"from": "a", "default": "UND", "case": "upper"});
    for source in [json!({}), json!({"a": null}), json!({"a": "   "})] {
        custom(rule.clone(), source, Ok(json!("UND")));
    }
    custom(rule, json!({"a": "caj"}), Ok(json!("CAJ")));
    custom(json!({"from": "a", "type": "boolean", "default": "X"}), json!({}), Ok(json!(true)));
    custom(json!({"from": "a", "type": "decimal", "default": "1,5"}), json!({}), Ok(json!("1.5")));
}

#[test]
fn required_fields_must_be_present_and_not_blank() {
    let rule = json!({"from": "a", "required": true});
    for source in [json!({}), json!({"a": null}), json!({"a": "    "})] {
        custom(rule.clone(), source, Err(&["missing_required: a is missing or blank, and a value is required"]));
    }
    custom(rule, json!({"a": "x"}), Ok(json!("x")));
}

#[test]
fn lookups_map_values_with_an_error_or_a_fallback() {
    let table = json!({"1": "ACTIVE", "0": "INACTIVE"});
    custom(json!({"from": "a", "lookup": {"table": table}}), json!({"a": "1"}), Ok(json!("ACTIVE")));
    custom(
        json!({"from": "a", "lookup": {"table": table}}),
        json!({"a": "7"}),
        Err(&["not_in_lookup: a = \"7\": not in the lookup table; expected one of \"1\", \"0\""]),
    );
    custom(
        json!({"from": "a", "lookup": {"table": table, "fallback": "UNKNOWN"}}),
        json!({"a": "7"}),
        Ok(json!("UNKNOWN")),
    );
    let flags = json!({"from": "a", "type": "boolean", "lookup": {"table": {"true": "ACTIVE", "false": "INACTIVE"}}});
    for (value, expected) in [("S", "ACTIVE"), ("N", "INACTIVE"), ("1", "ACTIVE"), ("0", "INACTIVE")] {
        custom(flags.clone(), json!({"a": value}), Ok(json!(expected)));
    }
    custom(
        json!({"from": "a", "trim": true, "lookup": {"table": {"UND": "EA"}}}),
        json!({"a": "UND "}),
        Ok(json!("EA")),
    );
    custom(
        json!({"from": "a", "lookup": {"table": {"x": {"nested": [1]}}}}),
        json!({"a": "x"}),
        Ok(json!({"nested": [1]})),
    );
}

#[test]
fn max_length_reports_or_truncates() {
    custom(json!({"from": "a", "max_length": 3}), json!({"a": "abc"}), Ok(json!("abc")));
    custom(
        json!({"from": "a", "max_length": 3}),
        json!({"a": "abcd"}),
        Err(&["too_long: a = \"abcd\": has 4 characters, expected at most 3"]),
    );
    custom(json!({"from": "a", "max_length": 3, "truncate": true}), json!({"a": "ñañaña"}), Ok(json!("ñañ")));
    custom(json!({"from": "a", "max_length": 3}), json!({"a": "ñañ"}), Ok(json!("ñañ")));
}

#[test]
fn sources_from_lists_paths_constants_and_jq() {
    custom(json!({"from": ["a", "b"]}), json!({"a": "  ", "b": "second"}), Ok(json!("second")));
    custom(json!({"from": ["a", "b"]}), json!({"a": "first", "b": "second"}), Ok(json!("first")));
    custom(
        json!({"from": ["a", "b"], "required": true}),
        json!({}),
        Err(&["missing_required: a or b is missing or blank, and a value is required"]),
    );
    custom(
        json!({"from": "barcodes.1.f131_id"}),
        json!({"barcodes": [{"f131_id": "A"}, {"f131_id": "B"}]}),
        Ok(json!("B")),
    );
    custom(json!({"from": "a.b.c"}), json!({"a": {"b": {"c": 1}}}), Ok(json!(1)));
    custom(json!({"from": "a.b.c"}), json!({"a": "not an object"}), Ok(Value::Null));
    custom(json!({"from": "a.5"}), json!({"a": [1]}), Ok(Value::Null));
    custom(json!({"const": "EAN13"}), json!({}), Ok(json!("EAN13")));
    custom(json!({"const": "1,5", "type": "decimal"}), json!({}), Ok(json!("1.5")));
    custom(json!({"jq": ".a + .b"}), json!({"a": 1, "b": 2}), Ok(json!(3)));
    custom(json!({"jq": ".a | ascii_downcase", "case": "upper"}), json!({"a": "Mixed"}), Ok(json!("MIXED")));
    custom(
        json!({"jq": "[.barcodes[].f131_id]"}),
        json!({"barcodes": [{"f131_id": "A"}, {"f131_id": "B"}]}),
        Ok(json!(["A", "B"])),
    );
    custom(json!({"jq": "empty"}), json!({}), Ok(Value::Null));
    custom(json!({"jq": ".a | tonumber", "type": "decimal"}), json!({"a": "2.50"}), Ok(json!("2.5")));
    custom(
        json!({"jq": ".a[]"}),
        json!({"a": [1, 2]}),
        Err(&[
            "jq_failed: jq \".a[]\" yielded more than one value; a rule needs exactly one (wrap it in [ ] or use first(…))",
        ]),
    );
    custom(json!({"jq": "error(\"boom\")"}), json!({}), Err(&["jq_failed: jq \"error(\\\"boom\\\")\" failed: boom"]));
    custom(
        json!({"jq": "halt"}),
        json!({}),
        Err(&["jq_failed: jq \"halt\" failed: halt is not available in a mapping"]),
    );
}

#[test]
fn target_rules_read_canonical_fields_and_custom_fields_land_in_properties() {
    let text = json!({
        "version": 1,
        "product_type": "test",
        "canonical": {
            "external_id": {"from": "id", "type": "string"},
            "active": {"from": "estado"},
            "weight_kg": {"from": "peso"},
            "custom:COLOR": {"from": "color", "trim": true}
        },
        "target": {
            "external_id": {"from": "external_id"},
            "status": {"from": "active", "lookup": {"table": {"true": "ACTIVE", "false": "INACTIVE"}}},
            "weight_text": {"from": "weight_kg", "type": "string"},
            "heavy": {"jq": ".weight_kg | tonumber > 10"},
            "custom:COLOR": {"from": "custom:COLOR"},
            "custom:weigth": {"from": "weight_kg"}
        }
    });
    let mapping = Mapping::from_json(&text.to_string()).unwrap();
    let target = mapping.apply(&record(json!({"id": 7, "estado": "S", "peso": "12,50", "color": "ROJO  "}))).unwrap();
    assert_eq!(target.external_id, "7");
    assert_eq!(
        serde_json::to_string(&target.fields).unwrap(),
        r#"{"external_id":"7","status":"ACTIVE","weight_text":"12.5","heavy":true,"properties":{"COLOR":"ROJO","weigth":"12.5"}}"#
    );
}

#[test]
fn every_issue_of_a_record_is_reported_and_a_broken_field_does_not_cascade() {
    let text = json!({
        "version": 1,
        "product_type": "test",
        "canonical": {
            "external_id": {"from": "id"},
            "name": {"from": "name", "required": true},
            "ean": {"from": "barcode"},
            "weight_kg": {"from": "peso"}
        },
        "target": {
            "external_id": {"from": "external_id"},
            "ean": {"from": "ean", "required": true},
            "weight": {"from": "weight_kg", "required": true}
        }
    });
    let mapping = Mapping::from_json(&text.to_string()).unwrap();
    let issues = mapping.apply(&record(json!({"barcode": "123", "peso": "x"}))).unwrap_err();
    let fields: Vec<(&str, &str)> = issues.iter().map(|i| (i.field.as_str(), i.code.as_str())).collect();
    assert_eq!(
        fields,
        vec![
            ("canonical.external_id", "missing_required"),
            ("canonical.name", "missing_required"),
            ("canonical.ean", "invalid_ean13"),
            ("canonical.weight_kg", "invalid_decimal"),
        ]
    );
}
