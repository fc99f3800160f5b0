//! Loading a mapping file: what is refused, and that each problem names its JSON path and
//! what to fix. Every problem of a file comes back at once, one line each.

use lading_core::mapping::Mapping;
use serde_json::{Value, json};

fn base() -> Value {
    json!({
        "version": 1,
        "product_type": "kong",
        "canonical": {"external_id": {"from": "f120_id"}},
        "target": {"external_id": {"from": "external_id"}}
    })
}

/// Loads `base()` changed by `edit`; expects exactly the problem lines `expected`.
fn check(edit: impl FnOnce(&mut Value), expected: &[&str]) {
    let mut file = base();
    edit(&mut file);
    check_text(&file.to_string(), expected);
}

fn check_text(text: &str, expected: &[&str]) {
    match Mapping::from_json(text) {
        Ok(_) => panic!("{text} loaded, expected {expected:?}"),
        Err(error) => {
            let shown = error.to_string();
            assert_eq!(shown.lines().collect::<Vec<_>>(), expected, "{text}");
            assert_eq!(error.problems.len(), expected.len());
        }
    }
}

const RULE_KEYS: &str =
    "from, const, jq, type, trim, case, pad, default, required, lookup, max_length, truncate, description";

#[test]
fn the_base_file_and_both_shipped_mappings_load() {
    let mapping = Mapping::from_json(&base().to_string()).unwrap();
    assert_eq!((mapping.version(), mapping.product_type()), (1, "kong"));
    assert_eq!(super::kong().product_type(), "kong");
    assert_eq!(super::wms().product_type(), "wms");
}

#[test]
fn the_example_in_the_docs_loads() {
    let docs = include_str!("../../../../docs/mappings.md");
    let mut blocks = docs.split("```json\n").skip(1).map(|rest| rest.split("```").next().unwrap_or_default());
    let example = blocks.next().expect("docs/mappings.md has a json example");
    let mapping = Mapping::from_json(example).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mapping.product_type(), "kong");
    let row = json!({"f120_id": 1042, "f120_descripcion": "BASE CAMA QUEEN      ",
        "f120_referencia": "ref-001042   ", "barcode": "036000291452", "f120_peso": "1,25",
        "f120_ind_estado": "S", "f120_color": "NEGRO   "});
    let target = mapping.apply(&super::record(row)).unwrap();
    assert_eq!(target.external_id, "1042");
    assert_eq!(
        Value::Object(target.fields),
        json!({"external_id": "1042", "name": "BASE CAMA QUEEN", "product_id": "REF-001042",
            "ean": "0036000291452", "status": "ACTIVE",
            "properties": {"COLOR": "NEGRO", "weigth": "1.25"}})
    );
}

#[test]
fn unknown_types_list_the_known_ones() {
    check(
        |f| f["canonical"]["custom:EAN"] = json!({"from": "barcode", "type": "ean12"}),
        &[
            "canonical.custom:EAN.type: unknown type \"ean12\"; use one of string, integer, decimal, boolean, date, ean13, gtin14, epc",
        ],
    );
    check(
        |f| f["canonical"]["ean"] = json!({"from": "barcode", "type": "ean12"}),
        &[
            "canonical.ean.type: unknown type \"ean12\"; use one of string, integer, decimal, boolean, date, ean13, gtin14, epc",
        ],
    );
}

#[test]
fn versions_other_than_1_are_refused_alone() {
    check(|f| f["version"] = json!(2), &["version: 2 is not supported; this build reads version 1"]);
    check(
        |f| {
            f["version"] = json!("1");
            f["bogus"] = json!(true);
        },
        &["version: \"1\" is not supported; this build reads version 1"],
    );
    check(|f| drop(f.as_object_mut().map(|o| o.remove("version"))), &["version: missing; add \"version\": 1"]);
}

#[test]
fn unknown_keys_are_named_by_path_at_every_level() {
    check(
        |f| f["colour"] = json!("blue"),
        &["colour: unknown key; use one of version, product_type, description, canonical, target"],
    );
    check(
        |f| f["canonical"]["name"] = json!({"form": "f120_descripcion"}),
        &[&format!("canonical.name.form: unknown key; use one of {RULE_KEYS}")],
    );
    check(
        |f| f["canonical"]["custom:R"] = json!({"from": "r", "pad": {"length": 3, "char": "0", "sides": "left"}}),
        &["canonical.custom:R.pad.sides: unknown key; use one of length, char, side"],
    );
    check(
        |f| f["target"]["status"] = json!({"from": "external_id", "lookup": {"table": {"1": "A"}, "default": "B"}}),
        &["target.status.lookup.default: unknown key; use one of table, fallback"],
    );
}

#[test]
fn canonical_fields_must_exist_and_keep_their_model_types() {
    check(
        |f| f["canonical"]["nmae"] = json!({"from": "f120_descripcion"}),
        &[
            "canonical.nmae: not a field of the canonical product; use one of external_id, reference, name, short_name, description, ean, gtin, epc, inventory_unit, pack_unit, pack_factor, category, active, weight_kg, created_on, or custom:NAME for a free property",
        ],
    );
    check(
        |f| f["canonical"]["active"] = json!({"from": "f120_ind_estado", "type": "string"}),
        &["canonical.active.type: active is a boolean in the canonical product; use \"boolean\" or leave type out"],
    );
    check(
        |f| f["canonical"] = json!({"name": {"from": "f120_descripcion"}}),
        &[
            "canonical.external_id: missing; every mapping defines the canonical external_id, e.g. \"external_id\": {\"from\": \"f120_id\"}",
            "target.external_id.from: the canonical field \"external_id\" is not defined; define canonical.external_id or read one of: name",
        ],
    );
    check(
        |f| f["canonical"]["custom:"] = json!({"from": "x"}),
        &["canonical.custom:: a custom property needs a name without spaces after \"custom:\", e.g. \"custom:COLOR\""],
    );
}

#[test]
fn target_rules_may_only_read_defined_canonical_fields() {
    check(
        |f| f["target"]["ean"] = json!({"from": "ean"}),
        &[
            "target.ean.from: the canonical field \"ean\" is not defined; define canonical.ean or read one of: external_id",
        ],
    );
    check(
        |f| f["target"]["name"] = json!({}),
        &[
            "target.name: the canonical field \"name\" is not defined; define canonical.name or read one of: external_id",
        ],
    );
    check(
        |f| f["target"]["display_name"] = json!({"from": ["short_name", "external_id"]}),
        &[
            "target.display_name.from: the canonical field \"short_name\" is not defined; define canonical.short_name or read one of: external_id",
        ],
    );
    check(
        |f| {
            f["canonical"]["custom:COLOR"] = json!({"from": "f120_color"});
            f["target"]["custom:COLOR"] = json!({});
            f["target"]["properties"] = json!({"const": "x"});
        },
        &[
            "target.properties: conflicts with the custom: fields, which fill properties; map each property as \"custom:NAME\" instead",
        ],
    );
}

#[test]
fn rule_options_are_checked() {
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"from": "a", "const": "b"}),
            "canonical.custom:X: has from and const; give only one source: from, const or jq",
        ),
        (json!({"from": 7}), "canonical.custom:X.from: expected a field name or a list of field names, found 7"),
        (json!({"from": ""}), "canonical.custom:X.from: is empty; name a source field such as \"f120_id\""),
        (
            json!({"from": "a..b"}),
            "canonical.custom:X.from: \"a..b\" has an empty segment; write a dotted path such as \"barcodes.0.f131_id\"",
        ),
        (
            json!({"from": "a", "type": "decimal", "case": "upper"}),
            "canonical.custom:X.case: case works on text, and this rule's type is decimal; remove case or use type string",
        ),
        (
            json!({"from": "a", "case": "title"}),
            "canonical.custom:X.case: \"title\" is not a case; use \"upper\" or \"lower\"",
        ),
        (json!({"from": "a", "trim": "yes"}), "canonical.custom:X.trim: expected true or false, found \"yes\""),
        (
            json!({"from": "a", "pad": {"length": 0, "char": "0"}}),
            "canonical.custom:X.pad.length: 0 must be a whole number from 1 to 1024",
        ),
        (
            json!({"from": "a", "pad": {"length": 4, "char": "00"}}),
            "canonical.custom:X.pad.char: \"00\" must be exactly one character, such as \"0\" or \" \"",
        ),
        (
            json!({"from": "a", "pad": {"char": "0"}}),
            "canonical.custom:X.pad.length: missing; say how many characters to pad to",
        ),
        (
            json!({"from": "a", "max_length": 0}),
            "canonical.custom:X.max_length: 0 must be a whole number of characters, at least 1",
        ),
        (json!({"from": "a", "truncate": true}), "canonical.custom:X.truncate: has nothing to cut to; add max_length"),
        (
            json!({"from": "a", "lookup": {"table": {}}}),
            "canonical.custom:X.lookup.table: expected a non-empty object of value → result, found an object",
        ),
        (
            json!({"from": "a", "lookup": {"fallback": 1}}),
            "canonical.custom:X.lookup.table: missing; give the table, e.g. {\"table\": {\"1\": \"ACTIVE\", \"0\": \"INACTIVE\"}}",
        ),
        (
            json!({"from": "a", "type": "decimal", "default": "abc"}),
            "canonical.custom:X.default: the value = \"abc\": not a decimal number: 'a' is not a digit or separator; expected a number such as 1.25, 1,25, 1.234,50 or 1.234,50-",
        ),
        (json!({"from": "a", "default": "  "}), "canonical.custom:X.default: is empty; give a value, or remove it"),
        (
            json!({"const": "7", "lookup": {"table": {"1": "A"}}}),
            "canonical.custom:X.const: the value = \"7\": not in the lookup table; expected one of \"1\"",
        ),
        (json!({"const": null}), "canonical.custom:X.const: is empty; give a value, or remove it"),
        (json!({"jq": 5}), "canonical.custom:X.jq: expected a jq program as text, found a number"),
        (json!("f120_color"), "canonical.custom:X: expected a rule object such as {\"from\": \"f120_id\"}, found text"),
    ];
    for (rule, expected) in cases {
        check(|f| f["canonical"]["custom:X"] = rule, &[expected]);
    }
}

#[test]
fn jq_programs_are_compiled_at_load() {
    check(
        |f| f["canonical"]["custom:X"] = json!({"jq": "if . then"}),
        &["canonical.custom:X.jq: jq program expected term at the end of the program"],
    );
    check(
        |f| f["canonical"]["custom:X"] = json!({"jq": ".a | ) + 1"}),
        &["canonical.custom:X.jq: jq program expected token near `) + 1`"],
    );
    check(
        |f| f["canonical"]["custom:X"] = json!({"jq": "frobnicate(1)"}),
        &["canonical.custom:X.jq: jq program undefined filter frobnicate"],
    );
    check(
        |f| f["canonical"]["custom:X"] = json!({"jq": "$ENV.HOME"}),
        &["canonical.custom:X.jq: jq program undefined variable $ENV"],
    );
    check(
        |f| f["canonical"]["custom:X"] = json!({"jq": "import \"x\" as x; x::y"}),
        &["canonical.custom:X.jq: jq program cannot import x: module loading not supported"],
    );
}

#[test]
fn the_file_itself_must_be_strict_json() {
    check_text("{", &["(file): not valid JSON: EOF while parsing an object at line 1 column 1"]);
    check_text(
        r#"{"version": 1, "product_type": "kong", "product_type": "wms"}"#,
        &["(file): not valid JSON: duplicate key \"product_type\" at line 1 column 53"],
    );
    check_text(
        "[]",
        &["(file): expected a mapping object with version, product_type, canonical and target, found an array"],
    );
    check(|f| f["canonical"] = json!([]), &["canonical: expected an object of field rules, found an array"]);
    check(
        |f| f["product_type"] = json!("Kong Retail"),
        &["product_type: \"Kong Retail\" must be a lowercase adapter name such as \"kong\" or \"wms\""],
    );
    check(
        |f| drop(f.as_object_mut().map(|o| o.remove("target"))),
        &["target: missing; add the target rules, e.g. \"target\": {\"external_id\": {\"from\": \"external_id\"}, …}"],
    );
}

#[test]
fn all_problems_come_back_together() {
    let mut file = base();
    file["colour"] = json!(1);
    file["canonical"]["ean"] = json!({"from": "barcode", "type": "ean12"});
    file["canonical"]["weight_kg"] = json!({"from": "peso", "case": "upper"});
    file["target"]["x"] = json!({"from": "nothing"});
    let error = Mapping::from_json(&file.to_string()).unwrap_err();
    let paths: Vec<&str> = error.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["colour", "canonical.ean.type", "canonical.weight_kg.case", "target.x.from"]);
}
