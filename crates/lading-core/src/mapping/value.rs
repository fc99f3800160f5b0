//! The value a rule works on while a record is mapped: borrowed from the source record where it
//! can be, typed once converted, turned into JSON only for the target record.

use rust_decimal::Decimal;
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::fmt::Write as _;

/// One field's value between two rule steps.
#[derive(Clone, Debug, Default)]
pub(crate) enum Val<'a> {
    /// Absent, `null` or blank.
    #[default]
    Missing,
    /// The rule that makes this value already reported an issue; readers stay silent.
    Failed,
    Str(Cow<'a, str>),
    Int(i64),
    /// Always normalised (no trailing zeros).
    Dec(Decimal),
    Bool(bool),
    /// A JSON number no rule has typed yet.
    Num(Number),
    /// A JSON array or object no rule has typed yet.
    JsonRef(&'a Value),
    Json(Box<Value>),
}

impl<'a> Val<'a> {
    /// Views a source value without copying it.
    pub(crate) fn from_json(value: &'a Value) -> Val<'a> {
        match value {
            Value::Null => Val::Missing,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.clone()),
            Value::String(s) => Val::Str(Cow::Borrowed(s)),
            Value::Array(_) | Value::Object(_) => Val::JsonRef(value),
        }
    }

    /// Takes ownership of a value (a jq output or a constant).
    pub(crate) fn from_owned_json(value: Value) -> Val<'static> {
        match value {
            Value::Null => Val::Missing,
            Value::Bool(b) => Val::Bool(b),
            Value::Number(n) => Val::Num(n),
            Value::String(s) => Val::Str(Cow::Owned(s)),
            other => Val::Json(Box::new(other)),
        }
    }

    /// A cheap view of this value: strings and JSON are borrowed, not copied.
    pub(crate) fn reborrow(&self) -> Val<'_> {
        match self {
            Val::Missing => Val::Missing,
            Val::Failed => Val::Failed,
            Val::Str(s) => Val::Str(Cow::Borrowed(s)),
            Val::Int(i) => Val::Int(*i),
            Val::Dec(d) => Val::Dec(*d),
            Val::Bool(b) => Val::Bool(*b),
            Val::Num(n) => Val::Num(n.clone()),
            Val::JsonRef(v) => Val::JsonRef(v),
            Val::Json(v) => Val::JsonRef(v),
        }
    }

    /// Makes the value independent of the record it was borrowed from.
    pub(crate) fn into_owned(self) -> Val<'static> {
        match self {
            Val::Missing => Val::Missing,
            Val::Failed => Val::Failed,
            Val::Str(s) => Val::Str(Cow::Owned(s.into_owned())),
            Val::Int(i) => Val::Int(i),
            Val::Dec(d) => Val::Dec(d),
            Val::Bool(b) => Val::Bool(b),
            Val::Num(n) => Val::Num(n),
            Val::JsonRef(v) => Val::Json(Box::new(v.clone())),
            Val::Json(v) => Val::Json(v),
        }
    }

    /// The value in a target record. Decimals are strings, so they stay exact.
    pub(crate) fn into_json(self) -> Value {
        match self {
            Val::Missing | Val::Failed => Value::Null,
            Val::Str(s) => Value::String(s.into_owned()),
            Val::Int(i) => Value::Number(i.into()),
            Val::Dec(d) => Value::String(d.to_string()),
            Val::Bool(b) => Value::Bool(b),
            Val::Num(n) => Value::Number(n),
            Val::JsonRef(v) => v.clone(),
            Val::Json(v) => *v,
        }
    }

    pub(crate) fn is_blank(&self) -> bool {
        match self {
            Val::Missing => true,
            Val::Str(s) => trim(s).is_empty(),
            _ => false,
        }
    }

    /// What kind of JSON value this is, for "expected text, found an array" messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Val::Missing | Val::Failed => "nothing",
            Val::Str(_) => "text",
            Val::Int(_) | Val::Dec(_) | Val::Num(_) => "a number",
            Val::Bool(_) => "a boolean",
            Val::JsonRef(v) => json_kind(v),
            Val::Json(v) => json_kind(v),
        }
    }

    /// A short, safe rendering of the value for an issue message: strings quoted and cut to
    /// 40 characters, arrays and objects described, never rendered in full.
    pub(crate) fn preview(&self) -> String {
        match self {
            Val::Missing | Val::Failed => "null".to_string(),
            Val::Str(s) => preview_str(s),
            Val::Int(i) => i.to_string(),
            Val::Dec(d) => d.to_string(),
            Val::Bool(b) => b.to_string(),
            Val::Num(n) => n.to_string(),
            Val::JsonRef(v) => preview_json(v),
            Val::Json(v) => preview_json(v),
        }
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn preview_json(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::Object(map) => format!("an object with {} keys", map.len()),
        Value::String(s) => preview_str(s),
        other => other.to_string(),
    }
}

const PREVIEW_CHARS: usize = 40;

/// `"BASE CAMA"`, or `"AAAA…" (100000 characters)` for a long string.
pub(crate) fn preview_str(s: &str) -> String {
    let mut cut = s.char_indices().nth(PREVIEW_CHARS).map_or(s.len(), |(i, _)| i);
    if cut == s.len() {
        return format!("{s:?}");
    }
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = format!("{:?}", &s[..cut]);
    out.pop();
    let _ = write!(out, "…\" ({} characters)", s.chars().count());
    out
}

/// `str::trim`, with a fast path for the ASCII padding ERPs add (Siesa pads to 20 and 40).
pub(crate) fn trim(s: &str) -> &str {
    let t = s.trim_ascii();
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(first), Some(last)) if *first >= 0x80 || *last >= 0x80 => t.trim(),
        _ => t,
    }
}
