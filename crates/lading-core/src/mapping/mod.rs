//! The declarative field-mapping engine: source fields → canonical product → target fields.
//!
//! A mapping file (JSON, one per product type; reference in `docs/mappings.md`) has two stages
//! with the same rule grammar: `canonical` rules read the source record and fill the canonical
//! product model ([`CANONICAL_FIELDS`] plus `custom:NAME` properties); `target` rules read the
//! canonical fields and write the target's fields (`custom:NAME` lands in `properties.NAME`).
//!
//! [`Mapping::from_json`] checks the whole file, reports every problem with its JSON path, and
//! compiles it once: paths split, canonical fields resolved to slots, lookup tables hashed,
//! constants and defaults converted, jq programs compiled. [`Mapping::apply`] then maps one
//! record without parsing anything again and, for the common rules, borrows the record's text
//! instead of copying it; a record with problems comes back as the list of all its issues.

mod convert;
mod jq;
mod load;
mod model;
mod rule;
mod value;

#[doc(hidden)]
pub mod bench_support;

pub use convert::{ConvertError, parse_boolean, parse_date, parse_decimal};
pub use model::{CANONICAL_FIELDS, CUSTOM_PREFIX, EXTERNAL_ID, FieldType};

use crate::record::{Issue, SourceRecord, TargetRecord};
use convert::is_empty_for;
use jaq_json::Val as JqVal;
use rule::{Rule, Source};
use serde_json::{Map, Value};
use std::fmt;
use value::Val;

/// The mapping file version this build reads.
pub const MAPPING_VERSION: u32 = 1;

/// A checked, compiled mapping. Build it with [`Mapping::from_json`]; share it freely (it is
/// `Send + Sync` and `apply` takes `&self`).
pub struct Mapping {
    version: u32,
    product_type: String,
    description: Option<String>,
    canonical: Vec<CanonicalField>,
    external_id_slot: usize,
    target: Vec<TargetField>,
    canonical_uses_jq: bool,
    target_uses_jq: bool,
    /// The target record's fields with null values, in order (`properties` last when there
    /// are `custom:` fields). A record's output starts as a clone of it, which copies the hash
    /// index instead of hashing every key again, and is then filled in order.
    template: Map<String, Value>,
    properties_template: Option<Map<String, Value>>,
    top_fields: TopFields,
}

/// The top-level source fields the canonical rules read, indexed by name length, so one pass
/// over a record's fields finds them all: a record's fields sit together in memory, which a
/// sequential pass reads far faster than one hash lookup per rule.
struct TopFields {
    names: Vec<String>,
    by_length: Vec<Vec<usize>>,
}

/// Canonical values held on the stack while a record is mapped; more go to the heap.
const INLINE_VALUES: usize = 24;

/// At most this many top-level fields are found by one pass; more fall back to lookups.
const SCAN_SLOTS: usize = 32;

impl TopFields {
    fn new(canonical: &mut [CanonicalField]) -> TopFields {
        let mut names: Vec<String> = Vec::new();
        for field in canonical.iter_mut() {
            if let Source::Paths(paths) = &mut field.rule.source {
                for path in paths {
                    path.top = match names.iter().position(|n| *n == path.first) {
                        Some(index) => index,
                        None => {
                            names.push(path.first.clone());
                            names.len() - 1
                        }
                    };
                }
            }
        }
        let longest = names.iter().map(String::len).max().unwrap_or(0);
        let mut by_length = vec![Vec::new(); longest + 1];
        for (index, name) in names.iter().enumerate() {
            by_length[name.len()].push(index);
        }
        TopFields { names, by_length }
    }

    /// One pass over the record's fields, or `None` when lookups are cheaper (few fields read
    /// from a wide record) or the mapping reads more fields than the pass can hold.
    fn scan<'a>(&self, fields: &'a Map<String, Value>) -> Option<[Option<&'a Value>; SCAN_SLOTS]> {
        if self.names.len() > SCAN_SLOTS || fields.len() > 4 * self.names.len() + 8 {
            return None;
        }
        let mut found = [None; SCAN_SLOTS];
        for (key, value) in fields {
            if let Some(candidates) = self.by_length.get(key.len())
                && let Some(index) = candidates.iter().find(|i| self.names[**i] == *key)
            {
                found[*index] = Some(value);
            }
        }
        Some(found)
    }
}

struct CanonicalField {
    name: String,
    rule: Rule,
}

struct TargetField {
    /// The target field, or the property name for a `custom:` field.
    key: String,
    property: bool,
    rule: Rule,
    /// This is the last target rule that reads its (single) canonical field, so it may move
    /// the value out instead of copying it.
    take: bool,
}

/// Why a mapping file was refused: every problem, one per line of `Display`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", render_problems(.problems))]
pub struct MappingError {
    pub problems: Vec<MappingProblem>,
}

/// One problem of a mapping file: the JSON path (`canonical.ean.type`) and what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappingProblem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for MappingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn render_problems(problems: &[MappingProblem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

impl fmt::Debug for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mapping")
            .field("version", &self.version)
            .field("product_type", &self.product_type)
            .field("canonical", &self.canonical.iter().map(|c| c.name.as_str()).collect::<Vec<_>>())
            .field("target", &self.target.iter().map(|t| t.rule.path.as_str()).collect::<Vec<_>>())
            .finish()
    }
}

impl Mapping {
    /// Parses, checks and compiles a mapping file.
    pub fn from_json(text: &str) -> Result<Mapping, MappingError> {
        let loaded = load::load(text)?;
        let mut canonical: Vec<CanonicalField> =
            loaded.canonical.into_iter().map(|(name, rule)| CanonicalField { name, rule }).collect();
        let top_fields = TopFields::new(&mut canonical);
        let external_id_slot = canonical.iter().position(|c| c.name == EXTERNAL_ID).ok_or_else(|| MappingError {
            problems: vec![MappingProblem { path: "canonical.external_id".into(), message: "missing".into() }],
        })?;
        let uses_jq = |rule: &Rule| matches!(rule.source, Source::Jq(_));
        let canonical_uses_jq = canonical.iter().any(|c| uses_jq(&c.rule));
        let target_uses_jq = loaded.target.iter().any(|(_, rule)| uses_jq(rule));
        let mut target: Vec<TargetField> = loaded
            .target
            .into_iter()
            .map(|(name, rule)| match name.strip_prefix(CUSTOM_PREFIX) {
                Some(property) => TargetField { key: property.to_string(), property: true, rule, take: false },
                None => TargetField { key: name, property: false, rule, take: false },
            })
            .collect();
        if !target_uses_jq {
            let mut seen = vec![false; canonical.len()];
            for field in target.iter_mut().rev() {
                if let Source::Slots(slots) = &field.rule.source {
                    if let [(slot, _)] = slots.as_slice() {
                        field.take = seen.get(*slot) == Some(&false);
                    }
                    for (slot, _) in slots {
                        if let Some(seen) = seen.get_mut(*slot) {
                            *seen = true;
                        }
                    }
                }
            }
        }
        let mut template: Map<String, Value> =
            target.iter().filter(|t| !t.property).map(|t| (t.key.clone(), Value::Null)).collect();
        let properties: Map<String, Value> =
            target.iter().filter(|t| t.property).map(|t| (t.key.clone(), Value::Null)).collect();
        let properties_template = (!properties.is_empty()).then_some(properties);
        if properties_template.is_some() {
            template.insert("properties".to_string(), Value::Null);
        }
        Ok(Mapping {
            version: loaded.version,
            product_type: loaded.product_type,
            description: loaded.description,
            template,
            properties_template,
            canonical,
            external_id_slot,
            target,
            canonical_uses_jq,
            target_uses_jq,
            top_fields,
        })
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn product_type(&self) -> &str {
        &self.product_type
    }

    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Maps one record, or returns all of its issues (never only the first).
    pub fn apply(&self, record: &SourceRecord) -> Result<TargetRecord, Vec<Issue>> {
        let mut issues = Vec::new();
        // The canonical values live on the stack when they fit: one allocation less per record.
        let mut inline: [Val<'_>; INLINE_VALUES] = Default::default();
        let mut spilled = Vec::new();
        let values = if self.canonical.len() <= INLINE_VALUES {
            &mut inline[..self.canonical.len()]
        } else {
            spilled.resize(self.canonical.len(), Val::Missing);
            &mut spilled[..]
        };
        self.canonical_stage(record, &mut issues, values);
        self.target_stage(values, issues)
    }

    /// Fills `values` (one per canonical rule, in order) from the source record.
    fn canonical_stage<'a>(&'a self, record: &'a SourceRecord, issues: &mut Vec<Issue>, values: &mut [Val<'a>]) {
        let mut jq_input: Option<Result<JqVal, String>> = None;
        let scanned = self.top_fields.scan(&record.fields);
        for (CanonicalField { rule, .. }, out) in self.canonical.iter().zip(values.iter_mut()) {
            let value = match &rule.source {
                Source::Paths(paths) => {
                    let mut chosen = (Val::Missing, rule.missing_label.as_str());
                    for path in paths {
                        let top = match &scanned {
                            Some(found) => found.get(path.top).copied().flatten(),
                            None => record.fields.get(&path.first),
                        };
                        if let Some(found) = path.resolve_below(top) {
                            let found = Val::from_json(found);
                            if !is_empty_for(rule.ty, &found) {
                                chosen = (found, path.text.as_str());
                                break;
                            }
                        }
                    }
                    rule.finish(chosen.0, chosen.1, issues)
                }
                Source::Const => rule.fixed.as_ref().map_or(Val::Missing, Val::reborrow),
                Source::Jq(program) => {
                    let input = jq_input.get_or_insert_with(|| jq::object_to_jq(&record.fields, 0));
                    run_jq(rule, program, input, issues)
                }
                // The loader gives canonical rules paths, never slots.
                Source::Slots(_) => Val::Missing,
            };
            *out = value;
        }
        debug_assert!(self.canonical_uses_jq || jq_input.is_none());
    }

    fn target_stage(&self, values: &mut [Val<'_>], mut issues: Vec<Issue>) -> Result<TargetRecord, Vec<Issue>> {
        let external_id = match values.get(self.external_id_slot) {
            Some(Val::Str(s)) if !s.trim().is_empty() => s.to_string(),
            // Reported already: missing and required, or a conversion that failed.
            Some(Val::Failed) => String::new(),
            // A lookup entry or a jq program can give a number or blank text: never let a
            // record reach a target without its key (found by fuzzing).
            other => {
                issues.push(Issue {
                    field: self.canonical[self.external_id_slot].rule.path.clone(),
                    code: "invalid_external_id".into(),
                    message: format!(
                        "external_id must be text that is not blank, but its rule gave {}: fix the rule's lookup or jq",
                        other.map_or_else(|| "nothing".to_string(), Val::preview)
                    ),
                });
                String::new()
            }
        };
        let jq_input = self.target_uses_jq.then(|| self.canonical_to_jq(values));
        let mut fields = issues.is_empty().then(|| self.template.clone());
        let mut properties = if issues.is_empty() { self.properties_template.clone() } else { None };
        {
            let mut plain_slots = fields.as_mut().map(|f| f.values_mut());
            let mut property_slots = properties.as_mut().map(|p| p.values_mut());
            for field in &self.target {
                let rule = &field.rule;
                let value = match &rule.source {
                    Source::Slots(slots) => match slots.as_slice() {
                        [(slot, name)] if field.take => rule.finish(
                            values.get_mut(*slot).map(std::mem::take).unwrap_or_default(),
                            name,
                            &mut issues,
                        ),
                        _ => {
                            let mut chosen = (Val::Missing, rule.missing_label.as_str());
                            for (slot, name) in slots {
                                let found = values.get(*slot).map(Val::reborrow).unwrap_or_default();
                                if matches!(found, Val::Failed) || !is_empty_for(rule.ty, &found) {
                                    chosen = (found, name.as_str());
                                    break;
                                }
                            }
                            rule.finish(chosen.0, chosen.1, &mut issues)
                        }
                    },
                    Source::Const => rule.fixed.as_ref().map_or(Val::Missing, Val::reborrow),
                    Source::Jq(program) => match &jq_input {
                        Some(input) => run_jq(rule, program, input, &mut issues),
                        None => Val::Missing,
                    },
                    // The loader gives target rules slots, never paths.
                    Source::Paths(_) => Val::Missing,
                };
                if !issues.is_empty() {
                    continue;
                }
                // The templates hold the target fields in this same order.
                let slot = if field.property {
                    property_slots.as_mut().and_then(Iterator::next)
                } else {
                    plain_slots.as_mut().and_then(Iterator::next)
                };
                if let Some(slot) = slot {
                    *slot = value.into_json();
                }
            }
        }
        match (fields, issues.is_empty()) {
            (Some(mut fields), true) => {
                if let (Some(properties), Some(slot)) = (properties, fields.values_mut().next_back()) {
                    *slot = Value::Object(properties);
                }
                Ok(TargetRecord { external_id, fields })
            }
            _ => Err(issues),
        }
    }

    /// The canonical record as jq sees it in target rules: each canonical field by name
    /// (`custom:` ones included), missing values as null, decimals as strings like the output.
    fn canonical_to_jq(&self, values: &[Val<'_>]) -> Result<JqVal, String> {
        let mut pairs = Vec::with_capacity(values.len());
        for (field, value) in self.canonical.iter().zip(values) {
            let jq_value = match value {
                Val::Missing | Val::Failed => JqVal::Null,
                Val::Str(s) => jq::str_to_jq(s),
                Val::Int(i) => jq::number_to_jq(&(*i).into()),
                Val::Dec(d) => jq::str_to_jq(&d.to_string()),
                Val::Bool(b) => JqVal::Bool(*b),
                Val::Num(n) => jq::number_to_jq(n),
                Val::JsonRef(v) => jq::to_jq(v, 1)?,
                Val::Json(v) => jq::to_jq(v, 1)?,
            };
            pairs.push((field.name.clone(), jq_value));
        }
        Ok(jq::object_from_pairs(pairs))
    }
}

fn run_jq<'a>(
    rule: &'a Rule,
    program: &jq::JqProgram,
    input: &Result<JqVal, String>,
    issues: &mut Vec<Issue>,
) -> Val<'a> {
    let output = input.as_ref().map_err(Clone::clone).and_then(|input| program.run(input.clone()));
    match output {
        Ok(value) => rule.finish(Val::from_owned_json(value), "jq output", issues),
        Err(error) => {
            issues.push(Issue {
                field: rule.path.clone(),
                code: "jq_failed".into(),
                message: format!("jq {} {error}", value::preview_str(&program.code)),
            });
            Val::Failed
        }
    }
}
