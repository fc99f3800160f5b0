//! Reading a mapping file: strict JSON (duplicate keys are errors), then every key checked by
//! hand so each problem names its JSON path and what to fix, then rules compiled once.

use super::jq::JqProgram;
use super::model::{CANONICAL_FIELDS, CUSTOM_PREFIX, EXTERNAL_ID, FieldType, canonical_type};
use super::rule::{Case, Lookup, Pad, Rule, Side, Source, SourcePath};
use super::value::Val;
use super::{MAPPING_VERSION, MappingError, MappingProblem};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::fmt;

/// A mapping file checked and compiled, before `Mapping` wraps it.
pub(crate) struct Loaded {
    pub(crate) version: u32,
    pub(crate) product_type: String,
    pub(crate) description: Option<String>,
    pub(crate) canonical: Vec<(String, Rule)>,
    pub(crate) target: Vec<(String, Rule)>,
}

const TOP_KEYS: &[&str] = &["version", "product_type", "description", "canonical", "target"];
const RULE_KEYS: &[&str] = &[
    "from",
    "const",
    "jq",
    "type",
    "trim",
    "case",
    "pad",
    "default",
    "required",
    "lookup",
    "max_length",
    "truncate",
    "description",
];
const PAD_KEYS: &[&str] = &["length", "char", "side"];
const LOOKUP_KEYS: &[&str] = &["table", "fallback"];
const MAX_PAD_LENGTH: u64 = 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Canonical,
    Target,
}

#[derive(Default)]
struct Problems(Vec<MappingProblem>);

impl Problems {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(MappingProblem { path: path.into(), message: message.into() });
    }
}

pub(crate) fn load(text: &str) -> Result<Loaded, MappingError> {
    let mut problems = Problems::default();
    let root = match serde_json::from_str::<StrictValue>(text) {
        Ok(StrictValue(root)) => root,
        Err(error) => {
            problems.push("(file)", format!("not valid JSON: {error}"));
            return Err(MappingError { problems: problems.0 });
        }
    };
    let Some(root) = object(
        &root,
        "(file)",
        TOP_KEYS,
        "a mapping object with version, product_type, canonical and target",
        &mut problems,
    ) else {
        return Err(MappingError { problems: problems.0 });
    };

    let version = match root.get("version") {
        None => {
            problems.push("version", format!("missing; add \"version\": {MAPPING_VERSION}"));
            None
        }
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(MAPPING_VERSION)) => Some(MAPPING_VERSION),
        Some(other) => {
            // Another version's rules mean something else: report only this.
            let problem = MappingProblem {
                path: "version".into(),
                message: format!("{} is not supported; this build reads version {MAPPING_VERSION}", short(other)),
            };
            return Err(MappingError { problems: vec![problem] });
        }
    };

    let product_type = match root.get("product_type") {
        Some(Value::String(p)) if is_product_type(p) => Some(p.clone()),
        Some(other) => {
            problems.push(
                "product_type",
                format!("{} must be a lowercase adapter name such as \"kong\" or \"wms\"", short(other)),
            );
            None
        }
        None => {
            problems.push("product_type", "missing; name the target product, e.g. \"product_type\": \"kong\"");
            None
        }
    };
    let description = match root.get("description") {
        None => None,
        Some(Value::String(d)) => Some(d.clone()),
        Some(other) => {
            problems.push("description", format!("expected text, found {}", kind(other)));
            None
        }
    };

    let canonical = stage(root, Stage::Canonical, &[], &mut problems);
    let canonical_names: Vec<String> = canonical.iter().map(|(name, _)| name.clone()).collect();
    if root.get("canonical").is_some_and(Value::is_object) && !canonical_names.iter().any(|n| n == EXTERNAL_ID) {
        problems.push(
            "canonical.external_id",
            "missing; every mapping defines the canonical external_id, e.g. \"external_id\": {\"from\": \"f120_id\"}",
        );
    }
    let target = stage(root, Stage::Target, &canonical_names, &mut problems);

    match (version, product_type) {
        (Some(version), Some(product_type)) if problems.0.is_empty() => Ok(Loaded {
            version,
            product_type,
            description,
            canonical: canonical.into_iter().filter_map(|(name, rule)| Some((name, rule?))).collect(),
            target: target.into_iter().filter_map(|(name, rule)| Some((name, rule?))).collect(),
        }),
        _ => Err(MappingError { problems: problems.0 }),
    }
}

fn is_product_type(p: &str) -> bool {
    !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Reads `canonical` or `target`: each key a field, each value a rule. Returns every field
/// name (with `None` for a rule that had problems), so the target stage can tell "defined but
/// broken" from "not defined".
fn stage(
    root: &Map<String, Value>,
    stage: Stage,
    canonical_names: &[String],
    problems: &mut Problems,
) -> Vec<(String, Option<Rule>)> {
    let key = match stage {
        Stage::Canonical => "canonical",
        Stage::Target => "target",
    };
    let Some(value) = root.get(key) else {
        let example = match stage {
            Stage::Canonical => "\"canonical\": {\"external_id\": {\"from\": \"f120_id\"}, …}",
            Stage::Target => "\"target\": {\"external_id\": {\"from\": \"external_id\"}, …}",
        };
        problems.push(key, format!("missing; add the {key} rules, e.g. {example}"));
        return Vec::new();
    };
    let Value::Object(fields) = value else {
        problems.push(key, format!("expected an object of field rules, found {}", kind(value)));
        return Vec::new();
    };
    if fields.is_empty() {
        problems.push(key, "has no rules; map at least the external_id");
    }
    let has_custom = fields.keys().any(|k| k.starts_with(CUSTOM_PREFIX));
    let mut out = Vec::with_capacity(fields.len());
    for (name, rule_value) in fields {
        let path = format!("{key}.{name}");
        let name_ok = check_field_name(stage, name, &path, has_custom, problems);
        let rule = compile_rule(stage, name, &path, rule_value, canonical_names, problems);
        out.push((name.clone(), if name_ok { rule } else { None }));
    }
    out
}

fn check_field_name(stage: Stage, name: &str, path: &str, has_custom: bool, problems: &mut Problems) -> bool {
    if let Some(property) = name.strip_prefix(CUSTOM_PREFIX) {
        if property.is_empty() || property.chars().any(char::is_whitespace) {
            problems
                .push(path, "a custom property needs a name without spaces after \"custom:\", e.g. \"custom:COLOR\"");
            return false;
        }
        return true;
    }
    match stage {
        Stage::Canonical if canonical_type(name).is_none() => {
            let known: Vec<&str> = CANONICAL_FIELDS.iter().map(|(field, _)| *field).collect();
            problems.push(
                path,
                format!(
                    "not a field of the canonical product; use one of {}, or custom:NAME for a free property",
                    known.join(", ")
                ),
            );
            false
        }
        Stage::Target if name.trim().is_empty() => {
            problems.push(path, "a target field needs a name");
            false
        }
        Stage::Target if name == "properties" && has_custom => {
            problems.push(path, "conflicts with the custom: fields, which fill properties; map each property as \"custom:NAME\" instead");
            false
        }
        _ => true,
    }
}

fn compile_rule(
    stage: Stage,
    name: &str,
    path: &str,
    value: &Value,
    canonical_names: &[String],
    problems: &mut Problems,
) -> Option<Rule> {
    let before = problems.0.len();
    let fields = object(value, path, RULE_KEYS, "a rule object such as {\"from\": \"f120_id\"}", problems)?;
    let at = |key: &str| format!("{path}.{key}");

    // Type: the canonical model fixes it for its own fields.
    let model_type = match stage {
        Stage::Canonical => canonical_type(name),
        Stage::Target => None,
    };
    let declared = match fields.get("type") {
        None => None,
        Some(Value::String(t)) => match FieldType::from_name(t) {
            Some(ty) => Some(ty),
            None => {
                let names: Vec<&str> = FieldType::ALL.iter().map(|t| t.name()).collect();
                problems.push(at("type"), format!("unknown type {t:?}; use one of {}", names.join(", ")));
                None
            }
        },
        Some(other) => {
            problems.push(at("type"), format!("expected a type name such as \"decimal\", found {}", kind(other)));
            None
        }
    };
    if let (Some(model), Some(declared)) = (model_type, declared)
        && model != declared
    {
        problems.push(
            at("type"),
            format!("{name} is {} {model} in the canonical product; use \"{model}\" or leave type out", article(model)),
        );
    }
    let ty = model_type.or(declared);

    // Source.
    let given: Vec<&str> = ["from", "const", "jq"].into_iter().filter(|k| fields.contains_key(*k)).collect();
    if given.len() > 1 {
        problems.push(path, format!("has {}; give only one source: from, const or jq", given.join(" and ")));
    }
    let mut missing_label = String::new();
    let source = match (fields.get("from"), fields.get("const"), fields.get("jq")) {
        (Some(from), _, _) => from_source(stage, from, &at("from"), canonical_names, &mut missing_label, problems),
        (None, Some(_), _) => {
            missing_label = "const".into();
            Some(Source::Const)
        }
        (None, None, Some(Value::String(code))) => {
            missing_label = "jq output".into();
            match JqProgram::compile(code) {
                Ok(program) => Some(Source::Jq(Box::new(program))),
                Err(errors) => {
                    for error in errors {
                        problems.push(at("jq"), format!("jq program {error}"));
                    }
                    None
                }
            }
        }
        (None, None, Some(other)) => {
            problems.push(at("jq"), format!("expected a jq program as text, found {}", kind(other)));
            None
        }
        (None, None, None) => {
            // No source: the field of the same name in the stage's input.
            from_source(stage, &Value::String(name.to_string()), path, canonical_names, &mut missing_label, problems)
        }
    };

    let trim = flag(fields, "trim", path, problems);
    let required = flag(fields, "required", path, problems) || (stage == Stage::Canonical && name == EXTERNAL_ID);
    let truncate = flag(fields, "truncate", path, problems);
    let text_only = |key: &str, problems: &mut Problems| {
        if let Some(ty) = ty.filter(|ty| !ty.is_text()) {
            problems.push(
                at(key),
                format!("{key} works on text, and this rule's type is {ty}; remove {key} or use type string"),
            );
        }
    };
    let case = match fields.get("case") {
        None => None,
        Some(Value::String(c)) if c == "upper" => Some(Case::Upper),
        Some(Value::String(c)) if c == "lower" => Some(Case::Lower),
        Some(other) => {
            problems.push(at("case"), format!("{} is not a case; use \"upper\" or \"lower\"", short(other)));
            None
        }
    };
    if case.is_some() {
        text_only("case", problems);
    }
    let pad = fields.get("pad").and_then(|value| pad(value, &at("pad"), problems));
    if pad.is_some() {
        text_only("pad", problems);
    }
    let max_length = match fields.get("max_length") {
        None => None,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n >= 1) => {
            n.as_u64().and_then(|n| usize::try_from(n).ok())
        }
        Some(other) => {
            problems
                .push(at("max_length"), format!("{} must be a whole number of characters, at least 1", short(other)));
            None
        }
    };
    if truncate && max_length.is_none() {
        problems.push(at("truncate"), "has nothing to cut to; add max_length");
    }
    let lookup = fields.get("lookup").and_then(|value| lookup(value, &at("lookup"), problems));
    match fields.get("description") {
        None | Some(Value::String(_)) => {}
        Some(other) => problems.push(at("description"), format!("expected text, found {}", kind(other))),
    }

    let source = source?;
    if problems.0.len() > before {
        return None;
    }
    let mut rule = Rule {
        path: path.to_string(),
        source,
        missing_label,
        ty,
        trim,
        case,
        pad,
        default: None,
        required,
        lookup,
        max_length,
        truncate,
        fixed: None,
    };
    // Constants and defaults run through the rule's own steps once, here, so a bad one is a
    // load error and a record never pays for it.
    if let Some(default) = fields.get("default") {
        rule.default = constant(&rule, default, &at("default"), problems);
    }
    if let Some(value) = fields.get("const") {
        rule.fixed = constant(&rule, value, &at("const"), problems);
    }
    (problems.0.len() == before).then_some(rule)
}

fn from_source(
    stage: Stage,
    from: &Value,
    path: &str,
    canonical_names: &[String],
    missing_label: &mut String,
    problems: &mut Problems,
) -> Option<Source> {
    let names: Vec<&str> = match from {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect()
        }
        other => {
            problems.push(path, format!("expected a field name or a list of field names, found {}", short(other)));
            return None;
        }
    };
    *missing_label = names.join(" or ");
    let wanted = names.len();
    match stage {
        Stage::Canonical => {
            let mut paths = Vec::with_capacity(names.len());
            for name in names {
                match SourcePath::parse(name) {
                    Ok(p) => paths.push(p),
                    Err(e) => problems.push(path, e),
                }
            }
            (paths.len() == wanted).then_some(Source::Paths(paths))
        }
        Stage::Target => {
            let mut slots = Vec::with_capacity(names.len());
            for name in names {
                match canonical_names.iter().position(|c| c == name) {
                    Some(slot) => slots.push((slot, name.to_string())),
                    // The canonical stage is missing or broken, and says so already.
                    None if canonical_names.is_empty() => {}
                    None => problems.push(
                        path,
                        format!(
                            "the canonical field {name:?} is not defined; define canonical.{name} or read one of: {}",
                            canonical_names.join(", ")
                        ),
                    ),
                }
            }
            (slots.len() == wanted).then_some(Source::Slots(slots))
        }
    }
}

/// Runs a constant or default through the rule's steps; a failure is a load problem.
fn constant(rule: &Rule, value: &Value, path: &str, problems: &mut Problems) -> Option<Val<'static>> {
    let val = Val::from_json(value);
    if val.is_blank() || super::convert::is_empty_for(rule.ty, &val) {
        problems.push(path, "is empty; give a value, or remove it");
        return None;
    }
    match rule.steps(val) {
        Ok(Val::Missing) => {
            problems.push(path, "maps to nothing; give a value that the rule keeps");
            None
        }
        Ok(done) => Some(done.into_owned()),
        Err(error) => {
            let (_, message) = error.message(rule, "the value");
            problems.push(path, message);
            None
        }
    }
}

fn flag(fields: &Map<String, Value>, key: &str, path: &str, problems: &mut Problems) -> bool {
    match fields.get(key) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            problems.push(format!("{path}.{key}"), format!("expected true or false, found {}", short(other)));
            false
        }
    }
}

fn pad(value: &Value, path: &str, problems: &mut Problems) -> Option<Pad> {
    let example = "{\"length\": 18, \"char\": \"0\", \"side\": \"left\"}";
    let fields = object(value, path, PAD_KEYS, &format!("a pad object such as {example}"), problems)?;
    let length = match fields.get("length") {
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (1..=MAX_PAD_LENGTH).contains(&n)) => {
            n.as_u64().and_then(|n| usize::try_from(n).ok())
        }
        Some(other) => {
            problems.push(
                format!("{path}.length"),
                format!("{} must be a whole number from 1 to {MAX_PAD_LENGTH}", short(other)),
            );
            None
        }
        None => {
            problems.push(format!("{path}.length"), "missing; say how many characters to pad to");
            None
        }
    };
    let fill = match fields.get("char") {
        Some(Value::String(c)) if c.chars().count() == 1 => c.chars().next(),
        Some(other) => {
            problems.push(
                format!("{path}.char"),
                format!("{} must be exactly one character, such as \"0\" or \" \"", short(other)),
            );
            None
        }
        None => {
            problems.push(format!("{path}.char"), "missing; say which character pads, such as \"0\"");
            None
        }
    };
    let side = match fields.get("side") {
        None => Some(Side::Left),
        Some(Value::String(s)) if s == "left" => Some(Side::Left),
        Some(Value::String(s)) if s == "right" => Some(Side::Right),
        Some(other) => {
            problems.push(format!("{path}.side"), format!("{} is not a side; use \"left\" or \"right\"", short(other)));
            None
        }
    };
    Some(Pad { length: length?, fill: fill?, side: side? })
}

fn lookup(value: &Value, path: &str, problems: &mut Problems) -> Option<Lookup> {
    let example = "{\"table\": {\"1\": \"ACTIVE\", \"0\": \"INACTIVE\"}}";
    let fields = object(value, path, LOOKUP_KEYS, &format!("a lookup object such as {example}"), problems)?;
    let table = match fields.get("table") {
        Some(Value::Object(table)) if !table.is_empty() => table,
        Some(other) => {
            problems.push(
                format!("{path}.table"),
                format!("expected a non-empty object of value → result, found {}", short(other)),
            );
            return None;
        }
        None => {
            problems.push(format!("{path}.table"), format!("missing; give the table, e.g. {example}"));
            return None;
        }
    };
    Some(Lookup {
        table: table.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<HashMap<_, _>>(),
        keys: table.keys().cloned().collect(),
        fallback: fields.get("fallback").cloned(),
    })
}

/// Checks that a value is an object whose keys are all known; reports the unknown ones.
fn object<'v>(
    value: &'v Value,
    path: &str,
    known: &[&str],
    expected: &str,
    problems: &mut Problems,
) -> Option<&'v Map<String, Value>> {
    let Value::Object(map) = value else {
        problems.push(path, format!("expected {expected}, found {}", kind(value)));
        return None;
    };
    for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
        let at = if path == "(file)" { key.clone() } else { format!("{path}.{key}") };
        problems.push(at, format!("unknown key; use one of {}", known.join(", ")));
    }
    Some(map)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value quoted in a load message, cut short.
fn short(value: &Value) -> String {
    match value {
        Value::String(s) => super::value::preview_str(s),
        Value::Array(_) | Value::Object(_) => kind(value).to_string(),
        other => other.to_string(),
    }
}

fn article(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Integer | FieldType::Ean13 | FieldType::Epc => "an",
        _ => "a",
    }
}

/// A JSON value that refuses duplicate object keys (serde_json keeps the last one silently,
/// which would hide a copy-pasted rule).
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            let StrictValue(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}
