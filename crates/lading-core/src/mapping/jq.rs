//! jq rules: a jq program compiled once at load with the jaq crates, run per record against the
//! stage's input (the source record's fields, or the canonical record).
//!
//! The program sees the jq standard library minus what would reach outside the record: `env`,
//! `now`, `input`/`inputs`, `stderr` and `debug` are not available (lading-core does no IO and
//! a mapping must give the same output for the same record).

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data};
use jaq_json::{Num, Val as JqVal};
use serde_json::{Map, Number, Value};

type Data = data::JustLut<JqVal>;

/// Natives left out: they read the environment or the clock, or write to stderr.
const LEFT_OUT: [&str; 7] = ["env", "now", "debug_empty", "stderr_empty", "localtime", "strflocaltime", "halt"];

/// Stand-ins so the standard definitions that use the natives above still compile.
const STAND_INS: &str = r#"
def debug_empty: empty;
def stderr_empty: empty;
def halt($code): error("halt is not available in a mapping");
def env: error("env is not available in a mapping");
def now: error("now is not available in a mapping: a mapping must give the same output for the same record");
def localtime: error("localtime is not available in a mapping; use gmtime");
def strflocaltime($f): error("strflocaltime is not available in a mapping; use strftime");
"#;

/// The deepest nesting a jq rule's input or output may have; deeper values are refused rather
/// than risk the stack.
pub(crate) const MAX_DEPTH: usize = 64;

/// A compiled jq program.
pub(crate) struct JqProgram {
    filter: jaq_core::Filter<Data>,
    pub(crate) code: String,
}

impl JqProgram {
    /// Parses and compiles; on failure, one message per problem.
    pub(crate) fn compile(code: &str) -> Result<JqProgram, Vec<String>> {
        let arena = Arena::default();
        let stand_ins = jaq_core::load::parse(STAND_INS, |p| p.defs()).unwrap_or_default();
        let defs = jaq_core::defs().chain(stand_ins).chain(jaq_std::defs()).chain(jaq_json::defs());
        let funs = jaq_core::funs::<Data>()
            .chain(jaq_std::funs::<Data>())
            .chain(jaq_json::funs::<Data>())
            .filter(|(name, _, _)| !LEFT_OUT.contains(name));
        let loader = Loader::new(defs);
        let modules = loader.load(&arena, File { code, path: () }).map_err(|errors| {
            errors
                .into_iter()
                .flat_map(|(_, error)| match error {
                    jaq_core::load::Error::Io(items) => {
                        items.into_iter().map(|(path, e)| format!("cannot import {path}: {e}")).collect()
                    }
                    jaq_core::load::Error::Lex(items) => items
                        .into_iter()
                        .map(|(expect, at)| format!("expected {} {}", expect.as_str(), near(code, at)))
                        .collect(),
                    jaq_core::load::Error::Parse(items) => items
                        .into_iter()
                        .map(|(expect, at)| format!("expected {} {}", expect.as_str(), near(code, at)))
                        .collect::<Vec<_>>(),
                })
                .collect::<Vec<_>>()
        })?;
        let filter = Compiler::default().with_funs(funs).compile(modules).map_err(|errors| {
            errors
                .into_iter()
                .flat_map(|(_, undefined)| {
                    undefined.into_iter().map(|(name, kind)| format!("undefined {} {name}", kind.as_str()))
                })
                .collect::<Vec<_>>()
        })?;
        Ok(JqProgram { filter, code: code.to_string() })
    }

    /// Runs the program on one input: its one output, `null` when it yields nothing; an error
    /// when it fails, halts or yields more than one value.
    pub(crate) fn run(&self, input: JqVal) -> Result<Value, String> {
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        let mut outputs = self.filter.id.run((ctx, input));
        let first = match outputs.next() {
            None => return Ok(Value::Null),
            Some(Ok(value)) => value,
            Some(Err(exception)) => return Err(describe_exception(exception)),
        };
        match outputs.next() {
            None => {}
            Some(Ok(_)) => {
                return Err(
                    "yielded more than one value; a rule needs exactly one (wrap it in [ ] or use first(…))".into()
                );
            }
            Some(Err(exception)) => return Err(describe_exception(exception)),
        }
        from_jq(first, 0)
    }
}

fn describe_exception(exception: jaq_core::Exn<'_, JqVal>) -> String {
    match exception.get_err() {
        Ok(error) => {
            let text = match error.into_val() {
                JqVal::TStr(bytes) | JqVal::BStr(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                other => other.to_string(),
            };
            format!("failed: {}", cut(&text, 200))
        }
        Err(_) => "stopped (halt or break); a rule must yield a value".into(),
    }
}

/// Where in the program a lex or parse error is: the text that follows.
fn near(code: &str, at: &str) -> String {
    let rest = if at.is_empty() { "at the end of the program".to_string() } else { format!("near `{}`", cut(at, 20)) };
    if code.is_empty() { "but the program is empty".into() } else { rest }
}

fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// A JSON value as a jq value; fails on nesting deeper than [`MAX_DEPTH`].
pub(crate) fn to_jq(value: &Value, depth: usize) -> Result<JqVal, String> {
    if depth > MAX_DEPTH {
        return Err(format!("the input is nested deeper than {MAX_DEPTH} levels"));
    }
    Ok(match value {
        Value::Null => JqVal::Null,
        Value::Bool(b) => JqVal::Bool(*b),
        Value::Number(n) => number_to_jq(n),
        Value::String(s) => JqVal::from(s.clone()),
        Value::Array(items) => items.iter().map(|item| to_jq(item, depth + 1)).collect::<Result<JqVal, String>>()?,
        Value::Object(map) => object_to_jq(map, depth)?,
    })
}

pub(crate) fn object_to_jq(map: &Map<String, Value>, depth: usize) -> Result<JqVal, String> {
    let mut out = jaq_json::Map::default();
    for (key, value) in map {
        out.insert(JqVal::from(key.clone()), to_jq(value, depth + 1)?);
    }
    Ok(JqVal::obj(out))
}

/// Builds a jq object from (key, value) pairs.
pub(crate) fn object_from_pairs(pairs: impl IntoIterator<Item = (String, JqVal)>) -> JqVal {
    JqVal::obj(pairs.into_iter().map(|(k, v)| (JqVal::from(k), v)).collect())
}

pub(crate) fn number_to_jq(n: &Number) -> JqVal {
    if let Some(i) = n.as_i64() {
        return JqVal::Num(Num::from_integral(i));
    }
    if let Some(u) = n.as_u64() {
        return JqVal::Num(Num::from_integral(u));
    }
    // Keeps the decimal text, so jq sees exactly the number the record holds.
    <JqVal as jaq_core::ValT>::from_num(&n.to_string()).unwrap_or(JqVal::Null)
}

pub(crate) fn str_to_jq(s: &str) -> JqVal {
    JqVal::from(s.to_string())
}

fn from_jq(value: JqVal, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("yielded a value nested deeper than {MAX_DEPTH} levels"));
    }
    Ok(match value {
        JqVal::Null => Value::Null,
        JqVal::Bool(b) => Value::Bool(b),
        JqVal::Num(n) => match n {
            Num::Int(i) => Value::Number((i as i64).into()),
            Num::Float(f) => match Number::from_f64(f) {
                Some(n) => Value::Number(n),
                None => return Err(format!("yielded the number {f}, which JSON cannot hold")),
            },
            other => {
                let text = JqVal::Num(other).to_string();
                match serde_json::from_str::<Number>(&text) {
                    Ok(n) => Value::Number(n),
                    Err(_) => return Err(format!("yielded the number {}, which JSON cannot hold", cut(&text, 40))),
                }
            }
        },
        JqVal::TStr(bytes) | JqVal::BStr(bytes) => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
        JqVal::Arr(items) => {
            Value::Array(items.iter().map(|item| from_jq(item.clone(), depth + 1)).collect::<Result<Vec<_>, _>>()?)
        }
        JqVal::Obj(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, value) in map.iter() {
                let key = match key {
                    JqVal::TStr(bytes) | JqVal::BStr(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                    other => other.to_string(),
                };
                out.insert(key, from_jq(value.clone(), depth + 1)?);
            }
            Value::Object(out)
        }
    })
}
