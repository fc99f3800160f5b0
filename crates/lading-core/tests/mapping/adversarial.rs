//! Hostile input never panics: wrong JSON types in every field, huge strings, deep nesting,
//! odd Unicode, empty and very wide records. A bad record is an `Err` with reasons.

use super::{kong, record, wms};
use lading_core::mapping::Mapping;
use lading_core::mapping::bench_support::siesa_item_row;
use lading_core::{Issue, SourceRecord};
use serde_json::{Map, Value, json};

fn deep(levels: usize) -> Value {
    let mut value = json!("bottom");
    for i in 0..levels {
        value = if i % 2 == 0 { json!([value]) } else { json!({ "k": value }) };
    }
    value
}

fn odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1.5e300),
        json!(-0.0),
        json!(""),
        json!("\u{0}\u{7f}\u{feff}"),
        json!("\u{a0}NBSP PADDED\u{a0}"),
        json!("🦀🦀🦀"),
        json!("e\u{301}"),
        json!("x".repeat(1_000_000)),
        json!("9".repeat(10_000)),
        json!([]),
        json!([1, 2, 3]),
        json!({}),
        json!({"f131_id": "7705751519063"}),
        deep(40),
    ]
}

/// Every issue message is short enough to log, whatever the input was.
fn assert_bounded(issues: &[Issue]) {
    for issue in issues {
        assert!(issue.message.len() < 600, "{} bytes: {}", issue.message.len(), &issue.message[..200]);
        assert!(!issue.field.is_empty() && !issue.code.is_empty());
    }
}

#[test]
fn every_field_of_a_row_can_hold_any_json_value() {
    let mappings = [kong(), wms()];
    let template = siesa_item_row(0);
    let keys: Vec<String> = template.fields.keys().cloned().collect();
    for key in &keys {
        for value in odd_values() {
            let mut source = template.clone();
            source.fields.insert(key.clone(), value);
            for mapping in &mappings {
                if let Err(issues) = mapping.apply(&source) {
                    assert_bounded(&issues);
                }
            }
        }
    }
}

#[test]
fn whole_rows_of_the_wrong_type_give_issues() {
    for value in odd_values() {
        let source = SourceRecord {
            key: "k".into(),
            fields: siesa_item_row(0).fields.keys().map(|k| (k.clone(), value.clone())).collect(),
        };
        for mapping in [kong(), wms()] {
            match mapping.apply(&source) {
                Ok(target) => assert!(!target.external_id.is_empty()),
                Err(issues) => assert_bounded(&issues),
            }
        }
    }
    let empty = SourceRecord { key: String::new(), fields: Map::new() };
    let issues = kong().apply(&empty).unwrap_err();
    assert_eq!(issues.len(), 3, "{issues:?}");
}

#[test]
fn huge_values_are_cut_in_messages() {
    let huge = "Ñ".repeat(500_000);
    let issues =
        kong().apply(&record(json!({"f120_id": 1, "f120_referencia": "R", "f120_descripcion": huge}))).unwrap_err();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].code, "too_long");
    assert!(
        issues[0].message.ends_with("…\" (500000 characters): has 500000 characters, expected at most 255"),
        "{}",
        issues[0].message
    );
    assert_bounded(&issues);
}

#[test]
fn deep_nesting_is_refused_by_jq_rules_and_passed_through_by_others() {
    let text = json!({
        "version": 1,
        "product_type": "test",
        "canonical": {
            "external_id": {"const": "1"},
            "custom:RAW": {"from": "nested"},
            "custom:JQ": {"jq": ".nested | length"}
        },
        "target": {"raw": {"from": "custom:RAW"}, "n": {"from": "custom:JQ"}}
    });
    let mapping = Mapping::from_json(&text.to_string()).unwrap();
    let shallow = mapping.apply(&record(json!({"nested": deep(10)}))).unwrap();
    assert_eq!(shallow.fields["n"], json!(1));
    let issues = mapping.apply(&record(json!({"nested": deep(1_000)}))).unwrap_err();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].message, "jq \".nested | length\" the input is nested deeper than 64 levels");
    let text = json!({
        "version": 1,
        "product_type": "test",
        "canonical": {"external_id": {"const": "1"}},
        "target": {"x": {"jq": "reduce range(100) as $i (0; [.])"}}
    });
    let issues = Mapping::from_json(&text.to_string()).unwrap().apply(&record(json!({}))).unwrap_err();
    assert_eq!(
        issues[0].message,
        "jq \"reduce range(100) as $i (0; [.])\" yielded a value nested deeper than 64 levels"
    );
}

#[test]
fn very_wide_records_map() {
    let mut source = siesa_item_row(3);
    for i in 0..10_000 {
        source.fields.insert(format!("extra_{i}"), json!(i));
    }
    let narrow = kong().apply(&siesa_item_row(3));
    assert_eq!(kong().apply(&source), narrow);
}

#[test]
fn mapping_files_of_any_shape_are_refused_without_panicking() {
    let texts = [
        String::new(),
        "null".into(),
        "1".into(),
        "\"text\"".into(),
        "{\"version\": 1e400}".into(),
        "{\"version\": -1}".into(),
        "{\"version\": 1, \"product_type\": [], \"canonical\": 3, \"target\": null}".into(),
        format!("{{\"version\": 1, \"canonical\": {}}}", "[".repeat(200) + &"]".repeat(200)),
        "{\"version\": 1, \"product_type\": \"x\", \"canonical\": {\"external_id\": {\"jq\": \"def f: f; f\"}}, \"target\": {}}".into(),
        "{\"version\": 1, \"product_type\": \"x\", \"canonical\": {\"external_id\": {\"pad\": {\"length\": 1e9, \"char\": 0}}}, \"target\": {}}"
            .into(),
    ];
    for text in texts {
        assert!(Mapping::from_json(&text).is_err(), "{text}");
    }
}

#[test]
fn a_mapping_is_shared_across_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let mapping = wms();
    send_sync(&mapping);
    std::thread::scope(|scope| {
        for i in 0..2 {
            let mapping = &mapping;
            scope.spawn(move || {
                for n in 0..200 {
                    let _ = mapping.apply(&siesa_item_row(i * 1000 + n));
                }
            });
        }
    });
}
