//! Fuzzing the mapping engine (proptest): `Mapping::from_json` on any text, on mutated shipped
//! mappings and on generated ones, and `apply` on any record, never panics; a mapping that
//! loads maps every record to a target record or to its issues, the same way every time.
//!
//! The bounded run is part of `cargo test`; `PROPTEST_CASES=100000 cargo test -p lading-core
//! --test fuzz_mapping --release` runs a long one (docs/fuzzing.md).

#[path = "support/json_edit.rs"]
mod json_edit;

use json_edit::Edit;
use lading_core::SourceRecord;
use lading_core::mapping::bench_support::siesa_item_row;
use lading_core::mapping::{CANONICAL_FIELDS, Mapping};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::RngSeed;
use serde_json::{Map, Value, json};

const KONG: &str = include_str!("../../../config/field-mappings-kong.json");
const WMS: &str = include_str!("../../../config/field-mappings-wms.json");

/// The bounded run of `cargo test`: `default_cases` cases from a fixed seed, the same every
/// time (never flaky). `PROPTEST_CASES` makes it a long run from a random seed (or from
/// `PROPTEST_RNG_SEED`). No regression files: a failure found is kept as a plain test below.
fn config(default_cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    let long_run = std::env::var_os("PROPTEST_CASES").is_some();
    let seeded = long_run || std::env::var_os("PROPTEST_RNG_SEED").is_some();
    ProptestConfig {
        cases: if long_run { base.cases } else { default_cases },
        rng_seed: if seeded { base.rng_seed } else { RngSeed::Fixed(0x1AD1_4600) },
        failure_persistence: None,
        ..base
    }
}

/// Text that the conversions find interesting, and some that is just odd.
fn text_value() -> impl Strategy<Value = String> {
    text()
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ -~]{0,16}",
        2 => "[0-9.,\\- ]{0,24}",
        1 => any::<String>(),
        2 => select(vec![
            "", " ", "\u{a0}", "00000000", "20250230", "31/12/2025", "2025-01-01T25:00:00Z", "1.234,50-",
            "12,0000", "-0", "1e400", "NaN", "7705751519063", "0012345678905", "E2801160600002054C9A",
            "30340E9F4F4C4E8000000001", "ß", "İ", "ﬃ", "e\u{301}", "🦀", "\u{feff}X", "true", "X", "S",
        ])
        .prop_map(str::to_string),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        select(vec![0i64, 1, -1, 12, 255, 1024, 1025]).prop_map(Value::from),
        text().prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6).prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

fn source_fields() -> Vec<String> {
    let mut fields: Vec<String> = siesa_item_row(0).fields.keys().cloned().collect();
    fields.extend(["barcodes.0.f131_id", "barcodes.9.f131_id", "nope", "a.b.c", "", "0"].map(String::from));
    fields
}

fn canonical_names() -> Vec<String> {
    let mut names: Vec<String> = CANONICAL_FIELDS.iter().map(|(name, _)| name.to_string()).collect();
    names.extend(["custom:COLOR", "custom:TALLA"].map(String::from));
    names
}

/// jq programs that terminate on any input: the shipped ones, and random ones over an
/// alphabet too small to spell a loop (`repeat`, `range`, `def`, `while`, `until`).
fn jq_program() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            ".",
            "if .ean then \"EAN13\" else null end",
            "[.category | select(. != null)]",
            "if .pack_unit and .pack_unit != .inventory_unit then \"\\(.pack_unit) x \\(.pack_factor // \"1\")\" else .inventory_unit end",
            ".f120_id | tostring",
            ".f120_peso | tonumber",
            "error(\"boom\")",
            "(1, 2)",
            "empty",
            "..",
            "[.[]?]",
            ".barcodes[0].f131_id",
            "{a: 1}",
        ])
        .prop_map(str::to_string),
        "[.\\[\\]|,:0-9\"abc()+*/ -]{0,16}",
    ]
}

/// A rule: mostly one the docs allow (so that the mapping loads and `apply` runs), sometimes
/// anything.
fn rule(sources: Vec<String>, text: bool) -> impl Strategy<Value = Value> {
    prop_oneof![20 => valid_rule(sources.clone(), text), 1 => any_rule(sources)]
}

/// Whether a canonical field holds text: the string ones and the `custom:` ones.
fn holds_text(name: &str) -> bool {
    !CANONICAL_FIELDS.iter().any(|(field, kind)| *field == name && !kind.is_text())
}

/// A rule the docs allow; `text` says whether the field holds text (so `case`, `pad` and a
/// `type` of its own fit it).
fn valid_rule(sources: Vec<String>, text: bool) -> impl Strategy<Value = Value> {
    let sources: Vec<String> = sources.into_iter().filter(|s| !s.is_empty() && s != "nope").collect();
    let origin = prop_oneof![
        6 => select(sources.clone()).prop_map(|f| json!({"from": f})),
        1 => prop::collection::vec(select(sources), 1..3).prop_map(|f| json!({"from": f})),
        1 => leaf().prop_map(|v| json!({"const": v})),
        1 => jq_program().prop_map(|p| json!({"jq": p})),
    ];
    let kind = select(vec!["string", "integer", "decimal", "boolean", "date", "ean13", "gtin14", "epc"]);
    let text_weight = if text { 1 } else { 0 };
    let modifier = prop_oneof![
        text_weight => kind.prop_map(|t| ("type", json!(t))),
        1 => any::<bool>().prop_map(|b| ("trim", json!(b))),
        text_weight => select(vec!["upper", "lower"]).prop_map(|c| ("case", json!(c))),
        text_weight => (1u32..40, select(vec!["0", " ", "x", "ñ"]), select(vec!["left", "right"]))
            .prop_map(|(length, ch, side)| ("pad", json!({"length": length, "char": ch, "side": side}))),
        1 => leaf().prop_map(|v| ("default", v)),
        1 => any::<bool>().prop_map(|b| ("required", json!(b))),
        1 => (prop::collection::vec((text_value(), leaf()), 1..4), prop::option::of(leaf())).prop_map(|(table, fallback)| {
            let table: Map<String, Value> = table.into_iter().collect();
            match fallback {
                Some(fallback) => ("lookup", json!({"table": table, "fallback": fallback})),
                None => ("lookup", json!({"table": table})),
            }
        }),
        text_weight => (1u32..300).prop_map(|n| ("max_length", json!(n))),
    ];
    (origin, prop::collection::vec(modifier, 0..3), any::<bool>()).prop_map(|(mut rule, modifiers, truncate)| {
        for (key, value) in modifiers {
            rule[key] = value;
        }
        if truncate && rule.get("max_length").is_some() {
            rule["truncate"] = json!(true);
        }
        rule
    })
}

fn any_rule(sources: Vec<String>) -> impl Strategy<Value = Value> {
    let origin = prop_oneof![
        select(sources.clone()).prop_map(|f| json!({"from": f})),
        prop::collection::vec(select(sources), 0..3).prop_map(|f| json!({"from": f})),
        value().prop_map(|v| json!({"const": v})),
        jq_program().prop_map(|p| json!({"jq": p})),
        value().prop_map(|v| json!({"from": v})),
    ];
    let modifier = prop_oneof![
        (
            select(vec!["type", "case", "pad", "default", "required", "lookup", "max_length", "truncate", "trim"]),
            value()
        )
            .prop_map(|(k, v)| (k, v)),
        (leaf(), text(), text())
            .prop_map(|(length, ch, side)| ("pad", json!({"length": length, "char": ch, "side": side}))),
        value().prop_map(|v| ("description", v)),
        value().prop_map(|v| ("colour", v)),
        value().prop_map(|v| ("jq", v)),
    ];
    (origin, prop::collection::vec(modifier, 0..4)).prop_map(|(mut rule, modifiers)| {
        for (key, value) in modifiers {
            rule[key] = value;
        }
        rule
    })
}

/// A whole mapping file; target rules mostly read the canonical fields it defines.
fn mapping() -> impl Strategy<Value = Value> {
    let field = prop_oneof![9 => select(canonical_names()), 1 => text()]
        .prop_flat_map(|name| (Just(name.clone()), rule(source_fields(), holds_text(&name))));
    let canonical = (rule(source_fields(), true), prop::collection::vec(field, 0..6)).prop_map(|(id, others)| {
        let mut fields = Map::new();
        fields.insert("external_id".to_string(), id);
        fields.extend(others);
        fields
    });
    let with_target = canonical.prop_flat_map(|canonical| {
        let defined: Vec<String> = canonical.keys().cloned().collect();
        let names = prop_oneof![
            9 => select(vec!["external_id", "name", "barcode", "status", "custom:X"]).prop_map(str::to_string),
            1 => text(),
        ];
        (Just(canonical), prop::collection::vec((names, rule(defined, true)), 1..6))
    });
    let product_type = prop_oneof![9 => select(vec!["kong", "wms"]), 1 => select(vec!["Kong!", ""])];
    (prop_oneof![19 => Just(json!(1)), 1 => leaf()], product_type, with_target).prop_map(
        |(version, product_type, (canonical, target))| {
            let target: Map<String, Value> = target.into_iter().collect();
            json!({"version": version, "product_type": product_type, "canonical": canonical, "target": target})
        },
    )
}

/// A Siesa row with some fields replaced by anything, some added, some removed.
fn record() -> impl Strategy<Value = SourceRecord> {
    let edits = prop::collection::vec((select(source_fields()), prop::option::of(value())), 0..6);
    (0usize..200, edits).prop_map(|(row, edits)| {
        let mut record = siesa_item_row(row);
        for (field, value) in edits {
            match value {
                Some(value) => record.fields.insert(field, value),
                None => record.fields.remove(&field),
            };
        }
        record
    })
}

fn edit() -> impl Strategy<Value = Edit> {
    let path = prop::collection::vec(any::<usize>(), 0..4);
    prop_oneof![
        3 => (path.clone(), value()).prop_map(|(p, v)| Edit::Replace(p, v)),
        1 => path.prop_map(Edit::Remove),
    ]
}

/// The shipped mappings, loaded once (the WMS one compiles jq programs).
fn shipped_mappings() -> &'static [Mapping; 2] {
    static MAPPINGS: std::sync::OnceLock<[Mapping; 2]> = std::sync::OnceLock::new();
    MAPPINGS.get_or_init(|| [KONG, WMS].map(|text| Mapping::from_json(text).expect("the shipped mappings load")))
}

fn shipped() -> Vec<Value> {
    [KONG, WMS].iter().map(|text| serde_json::from_str(text).expect("the shipped mappings are JSON")).collect()
}

/// Applies a loaded mapping to a record: a target record with an external id, or issues that
/// name their field; twice, the same.
fn check_apply(mapping: &Mapping, record: &SourceRecord) -> Result<(), TestCaseError> {
    let first = mapping.apply(record);
    match &first {
        Ok(target) => prop_assert!(!target.external_id.is_empty(), "an empty external id for {record:?}"),
        Err(issues) => {
            prop_assert!(!issues.is_empty(), "an error without issues");
            for issue in issues {
                prop_assert!(!issue.field.is_empty() && !issue.code.is_empty() && !issue.message.is_empty());
            }
        }
    }
    prop_assert_eq!(&first, &mapping.apply(record), "mapping is deterministic");
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_text_loads_or_is_refused(text in any::<String>()) {
        if let Err(err) = Mapping::from_json(&text) {
            prop_assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn mutated_shipped_mappings_load_or_are_refused_and_apply(
        which in 0usize..2,
        edits in prop::collection::vec(edit(), 1..4),
        records in prop::collection::vec(record(), 1..4),
    ) {
        let mut document = shipped()[which].clone();
        for edit in &edits {
            edit.apply(&mut document);
        }
        match Mapping::from_json(&document.to_string()) {
            Ok(mapping) => {
                for record in &records {
                    check_apply(&mapping, record)?;
                }
            }
            Err(err) => prop_assert!(!err.to_string().is_empty()),
        }
    }

    #[test]
    fn generated_mappings_load_or_are_refused_and_apply(
        document in mapping(),
        records in prop::collection::vec(record(), 1..4),
    ) {
        match Mapping::from_json(&document.to_string()) {
            Ok(mapping) => {
                for record in &records {
                    check_apply(&mapping, record)?;
                }
            }
            Err(err) => prop_assert!(!err.to_string().is_empty()),
        }
    }

    #[test]
    fn the_shipped_mappings_map_any_record(record in record()) {
        for mapping in shipped_mappings() {
            check_apply(mapping, &record)?;
        }
    }

    #[test]
    fn records_of_any_shape_map_without_panic(fields in prop::collection::vec((text(), value()), 0..12)) {
        let record = SourceRecord { key: "k".into(), fields: fields.into_iter().collect() };
        for mapping in shipped_mappings() {
            check_apply(mapping, &record)?;
        }
    }
}

/// Found by fuzzing: a lookup that gives the external id a number (or blank text) made a target
/// record with an empty external id, an upsert without a key; now the record has an issue.
#[test]
fn an_external_id_rule_that_gives_no_text_is_an_issue_not_an_empty_key() {
    let record = siesa_item_row(139);
    for external_id in [
        json!({"from": "f120_id_cia", "lookup": {"table": {"": 133184497879u64}, "fallback": -6.7e-91}}),
        json!({"from": "f120_id", "lookup": {"table": {"1139": 5}}}),
        json!({"from": "f120_id", "lookup": {"table": {"1139": "  "}}}),
    ] {
        let document = json!({
            "version": 1, "product_type": "kong",
            "canonical": {"external_id": external_id},
            "target": {"external_id": {"from": "external_id"}}
        });
        let mapping = Mapping::from_json(&document.to_string()).expect("the mapping loads");
        let issues = mapping.apply(&record).expect_err("no record without its key");
        assert_eq!(issues[0].field, "canonical.external_id");
        assert_eq!(issues[0].code, "invalid_external_id", "{issues:?}");
    }
}
