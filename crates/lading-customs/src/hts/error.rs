//! What can go wrong: whole-file errors ([`HtsError`]), problems with single rows that are kept
//! and reported ([`HtsProblem`]), and why a code cannot be used on an entry ([`CodeProblem`]).

use std::fmt;

use thiserror::Error;

/// The export cannot be read at all. Anything smaller is an [`HtsProblem`] on a row.
#[derive(Debug, Error)]
pub enum HtsError {
    #[error("the hts export is not valid json: {0}")]
    NotJson(#[source] serde_json::Error),
    #[error("the hts export is not a list of rows but {found}")]
    NotAList { found: &'static str },
    #[error("the hts export has no 10-digit lines ({rows} rows read, {problems} with problems)")]
    NoEntries { rows: usize, problems: usize },
}

/// One odd row, kept (or skipped) with the reason. Parsing goes on after every problem.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("row {row}{}: {kind}", code_label(code))]
pub struct HtsProblem {
    /// Position of the row in the export's list, counted from 0.
    pub row: usize,
    /// The row's `htsno` as published, when it has one.
    pub code: Option<String>,
    pub kind: HtsProblemKind,
}

fn code_label(code: &Option<String>) -> String {
    code.as_deref().map(|code| format!(" ({code})")).unwrap_or_default()
}

/// Why a row is odd.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HtsProblemKind {
    #[error("row is {found}, not an object; skipped")]
    NotAnObject { found: &'static str },
    #[error("field `{field}` is {found}, expected {expected}; read as empty")]
    WrongType { field: &'static str, expected: &'static str, found: &'static str },
    #[error("htsno is not a 4-, 6-, 8- or 10-digit number; row skipped")]
    MalformedCode,
    #[error("htsno repeats row {first_row}; the first row is kept")]
    DuplicateCode { first_row: usize },
    #[error("unit {raw:?} {issue}")]
    MalformedUnit { raw: String, issue: UnitIssue },
    #[error("10-digit line has no general rate, neither its own nor from an 8-digit parent")]
    RatelessLeaf,
    #[error("10-digit line has no unit of quantity")]
    NoUnits,
    #[error("footnote {issue}")]
    UnparseableFootnote { issue: FootnoteIssue },
}

/// What is wrong with one unit entry.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum UnitIssue {
    #[error("is empty; dropped")]
    Empty,
    #[error("is {found}, not a string; dropped")]
    NotAString { found: &'static str },
    #[error("has stray whitespace; read as {read_as}")]
    StrayWhitespace { read_as: String },
    #[error("names several units; read as {read_as}")]
    Compound { read_as: String },
}

/// What is wrong with one footnote.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FootnoteIssue {
    #[error("is {found}, not an object; skipped")]
    NotAnObject { found: &'static str },
    #[error("value is {found}, not a string; skipped")]
    ValueNotAString { found: &'static str },
    #[error("{text:?} mentions {fragment}, which is not a full chapter 99 number; ignored")]
    IncompleteChapter99 { text: String, fragment: String },
}

/// Why a code cannot be used as the 10-digit commodity number of an entry line.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CodeProblem {
    #[error("hts number {raw:?} is not a 10-digit number (write it 9403.20.00.35 or 9403200035)")]
    BadFormat { raw: String },
    #[error("hts number {code} does not exist in this revision{}", siblings_label(rate_line, known))]
    Unknown {
        code: String,
        /// The 8-digit rate line the code would belong to, when that exists.
        rate_line: Option<String>,
        /// The 10-digit numbers that rate line does have.
        known: Vec<String>,
    },
    #[error("hts number {code} is not a 10-digit leaf: it is {level}{}", children_label(children))]
    NotALeaf {
        code: String,
        level: CodeLevel,
        /// The 10-digit numbers under it, to report instead.
        children: Vec<String>,
    },
}

/// What a code that is not a 10-digit leaf is instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeLevel {
    /// 4 digits, `9403`.
    Heading,
    /// 6 digits, `9403.20`.
    Subheading,
    /// 8 digits, `9403.20.00`.
    RateLine,
    /// An 8-digit rate line with `00` added, `9403.20.00.00`, where the revision has no such line.
    PaddedRateLine,
    /// A Chapter 99 number, `9903.88.03`: reported beside the commodity number, never as it.
    Chapter99,
}

impl fmt::Display for CodeLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CodeLevel::Heading => "a 4-digit heading",
            CodeLevel::Subheading => "a 6-digit subheading",
            CodeLevel::RateLine => "an 8-digit rate line",
            CodeLevel::PaddedRateLine => "an 8-digit rate line padded with 00",
            CodeLevel::Chapter99 => "a chapter 99 number, reported beside a commodity number",
        })
    }
}

/// At most this many alternatives are named in a message.
const NAMED: usize = 5;

fn list_label(codes: &[String]) -> String {
    let mut label = codes.iter().take(NAMED).map(String::as_str).collect::<Vec<_>>().join(", ");
    if codes.len() > NAMED {
        label.push_str(&format!(" and {} more", codes.len() - NAMED));
    }
    label
}

fn siblings_label(rate_line: &Option<String>, known: &[String]) -> String {
    match rate_line {
        Some(line) if known.is_empty() => {
            format!(" (its rate line {line} exists but has no 10-digit lines)")
        }
        Some(line) => format!(" (its rate line {line} has {})", list_label(known)),
        None => String::new(),
    }
}

fn children_label(children: &[String]) -> String {
    if children.is_empty() {
        "; no 10-digit line falls under it in this revision".to_owned()
    } else {
        format!("; report one of {}", list_label(children))
    }
}
