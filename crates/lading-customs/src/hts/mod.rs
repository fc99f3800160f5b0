//! The HTS reference of one revision, read from the USITC JSON export: every 10-digit line
//! with the rates and Chapter 99 references of its 8-digit rate line, the 8-digit lines
//! themselves (Chapter 99 included), and the odd rows with their reasons.
//!
//! The export is a flat list in document order, so one pass suffices: an 8-digit line sets the
//! rates its following 10-digit lines inherit. Rows are deserialised one at a time into
//! borrowed, typed structs (`raw`), never into a `serde_json::Value` tree.

mod code;
mod error;
mod footnote;
mod load;
mod raw;
mod unit;

use serde::de::DeserializeSeed;

pub use code::normalise_code;
pub use error::{CodeLevel, CodeProblem, FootnoteIssue, HtsError, HtsProblem, HtsProblemKind, UnitIssue};
pub use footnote::{Chapter99Mentions, chapter99_mentions};
pub use unit::normalise_unit;

use crate::model::{HtsEntry, Rate, Unit};
use code::{Digits, DigitsMap};
use load::{Builder, RowsSeed, TopLevel};

/// An 8-digit rate line (`9403.20.00`), or a Chapter 99 number (`9903.88.03`), as published.
#[derive(Clone, Debug, PartialEq)]
pub struct RateLine {
    /// Dotted 8-digit number.
    pub hts8: String,
    pub description: String,
    /// The general (column 1) rate; `Rate::Unparsed` for texts such as
    /// `The duty provided in the applicable subheading + 25%`.
    pub general: Rate,
    pub general_text: String,
    pub special_text: String,
    pub other_text: String,
    /// Units on the 8-digit line itself: rare, since units live on the 10-digit lines.
    pub units: Vec<Unit>,
    /// Chapter 99 numbers its footnotes mention.
    pub chapter99: Vec<String>,
    /// Position of the row in the export, counted from 0.
    pub row: usize,
}

impl RateLine {
    /// Whether this is a Chapter 99 number (additional duties, quotas, the MTB).
    pub fn is_chapter99(&self) -> bool {
        self.hts8.starts_with("99")
    }
}

/// What a number in the index is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// A 4- or 6-digit heading or subheading.
    Outline,
    RateLine(usize),
    Entry(usize),
}

/// One revision of the HTS, read once and then only looked up.
#[derive(Clone, Debug)]
pub struct HtsReference {
    rows: usize,
    entries: Vec<HtsEntry>,
    rate_lines: Vec<RateLine>,
    index: DigitsMap<(Slot, usize)>,
    problems: Vec<HtsProblem>,
}

impl HtsReference {
    /// Reads the decompressed USITC JSON export. Fails only when the whole file is unusable
    /// (not JSON, not a list, no 10-digit line at all); odd rows are kept or skipped and listed
    /// in [`HtsReference::problems`].
    pub fn parse_usitc_json(bytes: &[u8]) -> Result<HtsReference, HtsError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut builder = Builder::for_input(bytes.len());
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let top = RowsSeed { builder: &mut builder }.deserialize(&mut deserializer).map_err(HtsError::NotJson)?;
        deserializer.end().map_err(HtsError::NotJson)?;
        if let TopLevel::NotAList(found) = top {
            return Err(HtsError::NotAList { found });
        }
        let reference = builder.finish();
        if reference.entries.is_empty() {
            return Err(HtsError::NoEntries { rows: reference.rows, problems: reference.problems.len() });
        }
        Ok(reference)
    }

    /// The 10-digit line `hts10`, written dotted or not (`9403.20.00.35`, `9403200035`).
    pub fn get(&self, hts10: &str) -> Option<&HtsEntry> {
        let digits = Digits::read(hts10).filter(|d| d.len() == 10)?;
        match self.index.get(&digits) {
            Some(&(Slot::Entry(place), _)) => self.entries.get(place),
            _ => None,
        }
    }

    /// Every 10-digit line, in document order.
    pub fn entries(&self) -> impl Iterator<Item = &HtsEntry> {
        self.entries.iter()
    }

    /// The number of 10-digit lines.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Never true for a reference that parsed; here for symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The number of rows in the export, text rows and skipped rows included.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Odd rows, in document order, with their reasons.
    pub fn problems(&self) -> &[HtsProblem] {
        &self.problems
    }

    /// The 8-digit line `hts8` (Chapter 99 numbers included), written dotted or not.
    pub fn rate_line(&self, hts8: &str) -> Option<&RateLine> {
        let digits = Digits::read(hts8).filter(|d| d.len() == 8)?;
        self.rate_line_at(&digits)
    }

    fn rate_line_at(&self, digits: &Digits) -> Option<&RateLine> {
        match self.index.get(digits) {
            Some(&(Slot::RateLine(place), _)) => self.rate_lines.get(place),
            _ => None,
        }
    }

    /// Every 8-digit line, Chapter 99 included, in document order.
    pub fn rate_lines(&self) -> impl Iterator<Item = &RateLine> {
        self.rate_lines.iter()
    }

    /// The revision's Chapter 99 numbers (`9903.88.03` …), in document order.
    pub fn chapter99_lines(&self) -> impl Iterator<Item = &RateLine> {
        self.rate_lines.iter().filter(|line| line.is_chapter99())
    }

    /// The Chapter 99 number `number` (`9903.88.03`), when this revision has it.
    pub fn chapter99(&self, number: &str) -> Option<&RateLine> {
        self.rate_line(number).filter(|line| line.is_chapter99())
    }

    /// Checks that `code` can be the commodity number of an entry line: 10 digits, present in
    /// this revision, and a 10-digit statistical line rather than a heading or rate line.
    pub fn check_code(&self, code: &str) -> Result<&HtsEntry, CodeProblem> {
        let bad_format = || CodeProblem::BadFormat { raw: code.to_owned() };
        let digits = Digits::read(code).ok_or_else(bad_format)?;
        let found = self.index.get(&digits).map(|&(slot, _)| slot);
        let not_a_leaf =
            |level| CodeProblem::NotALeaf { code: digits.dotted(), level, children: self.children_of(&digits) };
        match (digits.len(), found) {
            (10, Some(Slot::Entry(place))) => self.entries.get(place).ok_or_else(bad_format),
            (10, _) => {
                let hts8 = digits.prefix(8);
                match hts8.as_ref().and_then(|hts8| self.rate_line_at(hts8)) {
                    Some(line) if digits.as_str().ends_with("00") && !line.is_chapter99() => {
                        Err(CodeProblem::NotALeaf {
                            code: digits.dotted(),
                            level: CodeLevel::PaddedRateLine,
                            children: self.children_of(&digits),
                        })
                    }
                    Some(line) => Err(CodeProblem::Unknown {
                        code: digits.dotted(),
                        rate_line: Some(line.hts8.clone()),
                        known: self.children_of(&digits),
                    }),
                    None => Err(CodeProblem::Unknown { code: digits.dotted(), rate_line: None, known: Vec::new() }),
                }
            }
            (8, Some(Slot::RateLine(_))) if digits.is_chapter99() => Err(not_a_leaf(CodeLevel::Chapter99)),
            (8, Some(Slot::RateLine(_))) => Err(not_a_leaf(CodeLevel::RateLine)),
            (6, Some(Slot::Outline)) => Err(not_a_leaf(CodeLevel::Subheading)),
            (4, Some(Slot::Outline)) => Err(not_a_leaf(CodeLevel::Heading)),
            _ => Err(bad_format()),
        }
    }

    /// The 10-digit lines under the first 8 (or fewer) digits of `digits`.
    fn children_of(&self, digits: &Digits) -> Vec<String> {
        let prefix_len = digits.len().min(8);
        let Some(prefix) = digits.prefix(prefix_len) else {
            return Vec::new();
        };
        let prefix = prefix.as_str();
        self.entries
            .iter()
            .filter(|entry| entry.hts10.replace('.', "").starts_with(prefix))
            .map(|entry| entry.hts10.clone())
            .collect()
    }
}
