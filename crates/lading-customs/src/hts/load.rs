//! One pass over the export's rows in document order: each row is deserialised, turned into a
//! heading, an 8-digit rate line or a 10-digit entry (which takes the rates and Chapter 99
//! references of the 8-digit line just before it), and dropped. No row tree is ever built.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::code::{Digits, DigitsMap};
use super::error::{FootnoteIssue, HtsProblem, HtsProblemKind, UnitIssue};
use super::footnote::chapter99_mentions;
use super::raw::{Footnote, Footnotes, RawRow, Row, Text, Units};
use super::unit::{UnitReading, read_unit};
use super::{HtsReference, RateLine, Slot};
use crate::model::{HtsEntry, Unit};
use crate::rate::parse_rate;

/// What the top of the document turned out to be.
pub(crate) enum TopLevel {
    List,
    NotAList(&'static str),
}

/// The reference as it grows, row by row.
#[derive(Default)]
pub(crate) struct Builder {
    rows: usize,
    entries: Vec<HtsEntry>,
    rate_lines: Vec<RateLine>,
    index: DigitsMap<(Slot, usize)>,
    problems: Vec<HtsProblem>,
    /// The last 8-digit line read: its digits and its place in `rate_lines`.
    parent: Option<(Digits, usize)>,
}

/// Where a row's problems are filed.
#[derive(Clone, Copy)]
struct RowContext<'a> {
    row: usize,
    code: &'a str,
}

impl Builder {
    /// A builder sized for an export of `bytes` bytes (a 13 MB revision holds about 20,000
    /// 10-digit lines and 6,700 rate lines), so the tables rarely grow while filling.
    pub(crate) fn for_input(bytes: usize) -> Builder {
        let estimate = |bytes_per_item: usize| (bytes / bytes_per_item).min(100_000);
        Builder {
            entries: Vec::with_capacity(estimate(650)),
            rate_lines: Vec::with_capacity(estimate(1_900)),
            index: DigitsMap::with_capacity_and_hasher(estimate(450), Default::default()),
            ..Builder::default()
        }
    }

    pub(crate) fn finish(self) -> HtsReference {
        HtsReference {
            rows: self.rows,
            entries: self.entries,
            rate_lines: self.rate_lines,
            index: self.index,
            problems: self.problems,
        }
    }

    fn problem(&mut self, at: RowContext<'_>, kind: HtsProblemKind) {
        self.problems.push(HtsProblem { row: at.row, code: (!at.code.is_empty()).then(|| at.code.to_owned()), kind });
    }

    /// A text field, trimmed; a wrong type is a problem and reads as empty.
    fn text<'t>(&mut self, at: RowContext<'_>, field: &'static str, value: &'t Text<'_>) -> &'t str {
        match value {
            Text::Str(text) => text.trim(),
            Text::Absent => "",
            Text::Wrong(found) => {
                self.problem(at, HtsProblemKind::WrongType { field, expected: "a string", found });
                ""
            }
        }
    }

    pub(crate) fn push(&mut self, raw: RawRow<'_>) {
        let row = self.rows;
        self.rows += 1;
        let fields = match raw {
            RawRow::Row(fields) => fields,
            RawRow::NotAnObject(found) => {
                let at = RowContext { row, code: "" };
                self.problem(at, HtsProblemKind::NotAnObject { found });
                return;
            }
        };
        let htsno = self.text(RowContext { row, code: "" }, "htsno", &fields.htsno);
        let at = RowContext { row, code: htsno };
        if htsno.is_empty() {
            self.check_text_row(at, &fields);
            return;
        }
        let Some(digits) = Digits::read(htsno).filter(|d| matches!(d.len(), 4 | 6 | 8 | 10)) else {
            self.problem(at, HtsProblemKind::MalformedCode);
            return;
        };
        if let Some(&(slot, first_row)) = self.index.get(&digits) {
            self.problem(at, HtsProblemKind::DuplicateCode { first_row });
            if let Slot::RateLine(line) = slot {
                self.parent = Some((digits, line));
            }
            return;
        }
        match digits.len() {
            8 => self.push_rate_line(at, digits, &fields),
            10 => self.push_entry(at, digits, &fields),
            _ => {
                self.index.insert(digits, (Slot::Outline, row));
            }
        }
    }

    /// A row without a number (a heading-less text line): only its field types are checked.
    fn check_text_row(&mut self, at: RowContext<'_>, fields: &Row<'_>) {
        for (field, value) in [
            ("description", &fields.description),
            ("general", &fields.general),
            ("special", &fields.special),
            ("other", &fields.other),
        ] {
            self.text(at, field, value);
        }
        if let Units::Wrong(found) = fields.units {
            self.wrong_list(at, "units", found);
        }
        if let Footnotes::Wrong(found) = fields.footnotes {
            self.wrong_list(at, "footnotes", found);
        }
    }

    fn wrong_list(&mut self, at: RowContext<'_>, field: &'static str, found: &'static str) {
        let expected = "a list";
        self.problem(at, HtsProblemKind::WrongType { field, expected, found });
    }

    fn push_rate_line(&mut self, at: RowContext<'_>, digits: Digits, fields: &Row<'_>) {
        let units = self.units(at, &fields.units);
        let chapter99 = self.chapter99(at, &fields.footnotes, Vec::new());
        let general_text = self.text(at, "general", &fields.general);
        let line = RateLine {
            hts8: digits.dotted(),
            description: self.text(at, "description", &fields.description).to_owned(),
            general: parse_rate(general_text),
            general_text: general_text.to_owned(),
            special_text: self.text(at, "special", &fields.special).to_owned(),
            other_text: self.text(at, "other", &fields.other).to_owned(),
            units,
            chapter99,
            row: at.row,
        };
        let place = self.rate_lines.len();
        self.rate_lines.push(line);
        self.index.insert(digits, (Slot::RateLine(place), at.row));
        self.parent = Some((digits, place));
    }

    fn push_entry(&mut self, at: RowContext<'_>, digits: Digits, fields: &Row<'_>) {
        let hts8 = digits.prefix(8);
        let parent = self.parent.filter(|(parent_digits, _)| Some(*parent_digits) == hts8).map(|(_, place)| place);

        let units = self.units(at, &fields.units);
        if units.is_empty() {
            self.problem(at, HtsProblemKind::NoUnits);
        }
        let inherited =
            parent.and_then(|place| self.rate_lines.get(place)).map(|line| line.chapter99.clone()).unwrap_or_default();
        let chapter99 = self.chapter99(at, &fields.footnotes, inherited);
        let description = self.text(at, "description", &fields.description).to_owned();
        let own_general = self.text(at, "general", &fields.general);
        let own_special = self.text(at, "special", &fields.special);
        let own_other = self.text(at, "other", &fields.other);

        let line = parent.and_then(|place| self.rate_lines.get(place));
        // Each column is the line's own text when it has one, else its rate line's.
        let column = |own: &str, inherited: Option<&String>| match (own, inherited) {
            ("", Some(text)) => text.clone(),
            (own, _) => own.to_owned(),
        };
        let general_text = column(own_general, line.map(|l| &l.general_text));
        let special_text = column(own_special, line.map(|l| &l.special_text));
        let other_text = column(own_other, line.map(|l| &l.other_text));
        let general = match line {
            Some(line) if own_general.is_empty() => line.general.clone(),
            _ => parse_rate(own_general),
        };
        if general_text.is_empty() {
            self.problem(at, HtsProblemKind::RatelessLeaf);
        }

        let place = self.entries.len();
        self.entries.push(HtsEntry {
            hts10: digits.dotted(),
            hts8: hts8.map(|d| d.dotted()).unwrap_or_default(),
            description,
            units,
            general,
            general_text,
            special_text,
            other_text,
            chapter99,
        });
        self.index.insert(digits, (Slot::Entry(place), at.row));
    }

    /// The units of a row, normalised and without repeats; odd entries become problems.
    fn units(&mut self, at: RowContext<'_>, units: &Units<'_>) -> Vec<Unit> {
        let items = match units {
            Units::List(items) => items,
            Units::Absent => return Vec::new(),
            Units::Wrong(found) => {
                self.wrong_list(at, "units", found);
                return Vec::new();
            }
        };
        let mut out: Vec<Unit> = Vec::with_capacity(items.len());
        let mut keep = |unit: Unit| {
            if !out.contains(&unit) {
                out.push(unit);
            }
        };
        for item in items {
            let (raw, issue) = match item {
                Text::Str(raw) => match read_unit(raw) {
                    UnitReading::Clean(unit) => {
                        keep(unit);
                        continue;
                    }
                    UnitReading::StrayWhitespace(unit) => {
                        let read_as = Unit::text(&unit).to_owned();
                        keep(unit);
                        (raw.to_string(), UnitIssue::StrayWhitespace { read_as })
                    }
                    UnitReading::Compound(units) => {
                        let read_as = units.iter().map(Unit::text).collect::<Vec<_>>().join(", ");
                        units.into_iter().for_each(&mut keep);
                        (raw.to_string(), UnitIssue::Compound { read_as })
                    }
                    UnitReading::Empty => (raw.to_string(), UnitIssue::Empty),
                },
                Text::Absent => (String::new(), UnitIssue::NotAString { found: "null" }),
                Text::Wrong(found) => (String::new(), UnitIssue::NotAString { found }),
            };
            self.problem(at, HtsProblemKind::MalformedUnit { raw, issue });
        }
        out
    }

    /// Appends the Chapter 99 numbers the row's footnotes mention to `numbers` (which holds the
    /// parent's), without repeats; footnotes that cannot be read become problems.
    fn chapter99(&mut self, at: RowContext<'_>, footnotes: &Footnotes<'_>, mut numbers: Vec<String>) -> Vec<String> {
        let items = match footnotes {
            Footnotes::List(items) => items,
            Footnotes::Absent => return numbers,
            Footnotes::Wrong(found) => {
                self.wrong_list(at, "footnotes", found);
                return numbers;
            }
        };
        for item in items {
            let text = match item {
                Footnote::Entry { value: Text::Str(text) } => text,
                Footnote::Entry { value: Text::Absent } => {
                    let issue = FootnoteIssue::ValueNotAString { found: "missing" };
                    self.problem(at, HtsProblemKind::UnparseableFootnote { issue });
                    continue;
                }
                Footnote::Entry { value: Text::Wrong(found) } => {
                    let issue = FootnoteIssue::ValueNotAString { found };
                    self.problem(at, HtsProblemKind::UnparseableFootnote { issue });
                    continue;
                }
                Footnote::NotAnObject(found) => {
                    let issue = FootnoteIssue::NotAnObject { found };
                    self.problem(at, HtsProblemKind::UnparseableFootnote { issue });
                    continue;
                }
            };
            let mentions = chapter99_mentions(text);
            for number in mentions.numbers {
                if !numbers.contains(&number) {
                    numbers.push(number);
                }
            }
            for fragment in mentions.incomplete {
                let text = text.trim().to_owned();
                let issue = FootnoteIssue::IncompleteChapter99 { text, fragment };
                self.problem(at, HtsProblemKind::UnparseableFootnote { issue });
            }
        }
        numbers
    }
}

/// Drives the deserialiser over the top-level list, handing each row to the builder as soon as
/// it is read.
pub(crate) struct RowsSeed<'b> {
    pub builder: &'b mut Builder,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = TopLevel;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = TopLevel;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of hts rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while let Some(row) = seq.next_element::<RawRow<'de>>()? {
            self.builder.push(row);
        }
        Ok(TopLevel::List)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
        Ok(TopLevel::NotAList("an object"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAList("a string"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAList("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAList("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAList("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAList("a number"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(TopLevel::NotAList("null"))
    }
}
