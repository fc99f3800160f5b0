//! A compiled rule and the steps it runs on one value: pick the source, treat blank as missing,
//! default, required, trim, convert, case, pad, lookup, max_length.

use super::convert::{ConvertError, convert, is_empty_for};
use super::jq::JqProgram;
use super::model::FieldType;
use super::value::Val;
use crate::record::Issue;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;

/// Where a rule's value comes from.
pub(crate) enum Source {
    /// Canonical stage: dotted paths into the source record; the first present, non-blank one
    /// wins.
    Paths(Vec<SourcePath>),
    /// Target stage: canonical fields by slot; the first present, non-blank one wins.
    Slots(Vec<(usize, String)>),
    /// A constant, converted once at load into `Rule::fixed`.
    Const,
    Jq(Box<JqProgram>),
}

/// A dotted path such as `f120_id` or `barcodes.0.f131_id`, split once at load.
pub(crate) struct SourcePath {
    pub(crate) text: String,
    pub(crate) first: String,
    /// The index of `first` among the top-level fields the mapping reads, set by `Mapping`.
    pub(crate) top: usize,
    rest: Vec<Segment>,
}

/// One step below the top level: an object key, or an array index when it is a number.
struct Segment {
    key: String,
    index: Option<usize>,
}

impl SourcePath {
    pub(crate) fn parse(text: &str) -> Result<SourcePath, String> {
        if text.is_empty() {
            return Err("is empty; name a source field such as \"f120_id\"".into());
        }
        let mut parts = text.split('.');
        let first = parts.next().unwrap_or_default().to_string();
        let rest: Vec<Segment> =
            parts.map(|part| Segment { key: part.to_string(), index: part.parse().ok() }).collect();
        if first.is_empty() || rest.iter().any(|s| s.key.is_empty()) {
            return Err(format!("{text:?} has an empty segment; write a dotted path such as \"barcodes.0.f131_id\""));
        }
        Ok(SourcePath { text: text.to_string(), first, top: 0, rest })
    }

    /// Follows the rest of the path from the value of its top-level field.
    pub(crate) fn resolve_below<'a>(&self, top: Option<&'a Value>) -> Option<&'a Value> {
        let mut value = top?;
        for segment in &self.rest {
            value = match value {
                Value::Object(map) => map.get(&segment.key)?,
                Value::Array(items) => items.get(segment.index?)?,
                _ => return None,
            };
        }
        Some(value)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Case {
    Upper,
    Lower,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Left,
    Right,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Pad {
    pub(crate) length: usize,
    pub(crate) fill: char,
    pub(crate) side: Side,
}

pub(crate) struct Lookup {
    pub(crate) table: HashMap<String, Value>,
    /// The keys in file order, for "expected one of" messages.
    pub(crate) keys: Vec<String>,
    pub(crate) fallback: Option<Value>,
}

/// A rule ready to run.
pub(crate) struct Rule {
    /// `canonical.ean`: the rule's place in the file, used as the issue's field.
    pub(crate) path: String,
    pub(crate) source: Source,
    /// How messages name a missing source: `f120_descripcion`, `short_name or name`.
    pub(crate) missing_label: String,
    pub(crate) ty: Option<FieldType>,
    pub(crate) trim: bool,
    pub(crate) case: Option<Case>,
    pub(crate) pad: Option<Pad>,
    /// The default after all steps, computed at load.
    pub(crate) default: Option<Val<'static>>,
    pub(crate) required: bool,
    pub(crate) lookup: Option<Lookup>,
    pub(crate) max_length: Option<usize>,
    pub(crate) truncate: bool,
    /// The constant after all steps, computed at load.
    pub(crate) fixed: Option<Val<'static>>,
}

/// Why a present value failed a step.
pub(crate) enum StepError {
    Convert(ConvertError, String),
    NotInLookup(String),
    TooLong { preview: String, chars: usize, max: usize },
}

impl StepError {
    pub(crate) fn message(&self, rule: &Rule, label: &str) -> (String, String) {
        match self {
            StepError::Convert(error, preview) => {
                let code = match (error, rule.ty) {
                    (ConvertError::WrongKind { .. }, _) | (_, None) => "wrong_kind".to_string(),
                    (_, Some(ty)) => format!("invalid_{}", ty.name()),
                };
                (code, format!("{label} = {preview}: {error}"))
            }
            StepError::NotInLookup(preview) => {
                let keys = rule.lookup.as_ref().map(|l| l.keys.as_slice()).unwrap_or_default();
                let shown: Vec<String> = keys.iter().take(12).map(|k| format!("{k:?}")).collect();
                let more = if keys.len() > 12 { format!(" and {} more", keys.len() - 12) } else { String::new() };
                (
                    "not_in_lookup".into(),
                    format!("{label} = {preview}: not in the lookup table; expected one of {}{more}", shown.join(", ")),
                )
            }
            StepError::TooLong { preview, chars, max } => {
                ("too_long".into(), format!("{label} = {preview}: has {chars} characters, expected at most {max}"))
            }
        }
    }
}

impl Rule {
    /// Runs the steps on a value read for this rule and records an issue when one fails.
    /// Returns `Val::Failed` after an issue so readers of the value stay silent.
    pub(crate) fn finish<'a>(&'a self, raw: Val<'a>, label: &str, issues: &mut Vec<Issue>) -> Val<'a> {
        let raw = match raw {
            Val::Failed => return Val::Failed,
            Val::Str(s) if self.trim => Val::Str(trim(s)),
            other => other,
        };
        if is_empty_for(self.ty, &raw) {
            return self.missing(issues);
        }
        match self.steps_after_trim(raw) {
            Ok(Val::Missing) => self.missing(issues),
            Ok(value) => value,
            Err(error) => {
                let (code, message) = error.message(self, label);
                issues.push(Issue { field: self.path.clone(), code, message });
                Val::Failed
            }
        }
    }

    fn missing<'a>(&'a self, issues: &mut Vec<Issue>) -> Val<'a> {
        if let Some(default) = &self.default {
            return default.reborrow();
        }
        if self.required {
            issues.push(Issue {
                field: self.path.clone(),
                code: "missing_required".into(),
                message: format!("{} is missing or blank, and a value is required", self.missing_label),
            });
            return Val::Failed;
        }
        Val::Missing
    }

    /// trim → type → case → pad → lookup → max_length, on a present value.
    pub(crate) fn steps<'a>(&'a self, raw: Val<'a>) -> Result<Val<'a>, StepError> {
        match raw {
            Val::Str(s) if self.trim => self.steps_after_trim(Val::Str(trim(s))),
            other => self.steps_after_trim(other),
        }
    }

    fn steps_after_trim<'a>(&'a self, trimmed: Val<'a>) -> Result<Val<'a>, StepError> {
        let mut value = match self.ty {
            None => trimmed,
            Some(ty) => match convert(ty, &trimmed) {
                Ok(converted) => converted,
                Err(error) => return Err(StepError::Convert(error, trimmed.preview())),
            },
        };
        if let (Some(case), Val::Str(s)) = (self.case, &mut value) {
            apply_case(s, case);
        }
        if let (Some(pad), Val::Str(s)) = (self.pad, &mut value) {
            apply_pad(s, pad);
        }
        if let Some(lookup) = &self.lookup {
            value = look_up(lookup, value)?;
        }
        // Bytes bound characters from above: most text needs no count at all.
        if let (Some(max), Val::Str(s)) = (self.max_length, &mut value)
            && s.len() > max
        {
            let chars = s.chars().count();
            if chars > max && !self.truncate {
                return Err(StepError::TooLong { preview: super::value::preview_str(s), chars, max });
            }
            if chars > max {
                *s = Cow::Owned(s.chars().take(max).collect());
            }
        }
        Ok(value)
    }
}

fn trim(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(super::value::trim(b)),
        Cow::Owned(o) if super::value::trim(&o).len() == o.len() => Cow::Owned(o),
        Cow::Owned(o) => Cow::Owned(super::value::trim(&o).to_string()),
    }
}

fn apply_case(s: &mut Cow<'_, str>, case: Case) {
    let already = match case {
        Case::Upper => s.is_ascii() && !s.bytes().any(|b| b.is_ascii_lowercase()),
        Case::Lower => s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()),
    };
    if !already {
        let changed = match case {
            Case::Upper => s.to_uppercase(),
            Case::Lower => s.to_lowercase(),
        };
        if changed != **s {
            *s = Cow::Owned(changed);
        }
    }
}

fn apply_pad(s: &mut Cow<'_, str>, pad: Pad) {
    let chars = s.chars().count();
    if chars >= pad.length {
        return;
    }
    let fill: String = std::iter::repeat_n(pad.fill, pad.length - chars).collect();
    *s = Cow::Owned(match pad.side {
        Side::Left => fill + s,
        Side::Right => format!("{s}{fill}"),
    });
}

/// The lookup table's key for a value: text as is, flags as `true`/`false`, numbers as their
/// (normalised) digits. Arrays and objects have none.
fn lookup_key<'v>(value: &'v Val<'_>) -> Option<Cow<'v, str>> {
    Some(match value {
        Val::Str(s) => Cow::Borrowed(s),
        Val::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Val::Int(i) => Cow::Owned(i.to_string()),
        Val::Dec(d) => Cow::Owned(d.to_string()),
        Val::Num(n) => Cow::Owned(n.to_string()),
        Val::Missing | Val::Failed | Val::JsonRef(_) | Val::Json(_) => return None,
    })
}

fn look_up<'a>(lookup: &'a Lookup, value: Val<'a>) -> Result<Val<'a>, StepError> {
    let found = lookup_key(&value).and_then(|key| lookup.table.get(key.as_ref()));
    match (found, &lookup.fallback) {
        (Some(mapped), _) => Ok(Val::from_json(mapped)),
        (None, Some(fallback)) => Ok(Val::from_json(fallback)),
        (None, None) => Err(StepError::NotInLookup(value.preview())),
    }
}
