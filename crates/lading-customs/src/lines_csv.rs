//! Customs lines as CSV: one row per HTS number of a line, like SAP's `ET_CUSTOMS` and like a
//! data-frame tool sees them, read with errors that name the row and the column.
//!
//! Columns ([`COLUMNS`]): `entry_number, entry_date, line_number, part, seq, hts_number,
//! programme, origin, mid, spi, related_party, rate, duty, entered_value, charges, gross_kg,
//! net_kg, quantity, unit, mpf, hmf`. `seq` orders the HTS numbers of a line (the commodity
//! number last); `programme`, `rate` and `duty` belong to the row's HTS number; every other
//! column belongs to the line and is repeated on each of its rows.
//!
//! Reading is lenient where SAP exports differ and strict where a value could be misread:
//! - the header names the columns in any order; extra columns are ignored; `,`, `;` or tab
//!   separate fields (whichever the header uses); a UTF-8 byte-order mark is skipped;
//! - a line-level value may be blank on some rows of the line (SAP puts the value and fees on
//!   the commodity row only), but two non-blank values must agree; blank amounts are 0;
//! - amounts take a decimal point or a decimal comma, grouping, and SAP's trailing minus
//!   (`1.234,50-`); a lone separator is the decimal one (`1,5` is 1.5), see [`parse_amount`];
//! - dates are `YYYY-MM-DD`, `YYYYMMDD` or `DD.MM.YYYY`; part `whole`/`non_metal`/`metal` or
//!   SAP's `W`/`N`/`M`; related party `Y`/`N` (`X`, `true`, `1` also read as yes); units `No.`,
//!   `kg`, `doz.`, `X` or SAP's `NO`, `KG`, `DOZ`;
//! - rows of one line need not be adjacent, but each `seq` appears once per line;
//! - a row with both `seq` and `hts_number` blank declares a line without HTS numbers.
//!
//! Rows are numbered like a spreadsheet: the header is row 1. Only the line's first quantity
//! fits a row (`quantity`, `unit`); `flags` and `trace` are not written.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::compare::table::{LineRec, LineTable, QuantityRec, RecentTexts, Sym, TariffRec, U64Map, line_key};
use crate::model::{CustomsLine, LinePart, Programme, Unit};

/// The columns, in the order [`write_lines_csv`] writes them.
pub const COLUMNS: [&str; 21] = [
    "entry_number",
    "entry_date",
    "line_number",
    "part",
    "seq",
    "hts_number",
    "programme",
    "origin",
    "mid",
    "spi",
    "related_party",
    "rate",
    "duty",
    "entered_value",
    "charges",
    "gross_kg",
    "net_kg",
    "quantity",
    "unit",
    "mpf",
    "hmf",
];

const ENTRY_NUMBER: usize = 0;
const ENTRY_DATE: usize = 1;
const LINE_NUMBER: usize = 2;
const PART: usize = 3;
const SEQ: usize = 4;
const HTS_NUMBER: usize = 5;
const PROGRAMME: usize = 6;
const ORIGIN: usize = 7;
const MID: usize = 8;
const SPI: usize = 9;
const RELATED_PARTY: usize = 10;
const RATE: usize = 11;
const DUTY: usize = 12;
const ENTERED_VALUE: usize = 13;
const CHARGES: usize = 14;
const GROSS_KG: usize = 15;
const NET_KG: usize = 16;
const QUANTITY: usize = 17;
const UNIT: usize = 18;
const MPF: usize = 19;
const HMF: usize = 20;

/// The columns that belong to the line, not to one HTS number (the key columns aside).
const LINE_COLUMNS: [usize; 14] = [
    ENTRY_DATE,
    PART,
    ORIGIN,
    MID,
    SPI,
    RELATED_PARTY,
    ENTERED_VALUE,
    CHARGES,
    GROSS_KG,
    NET_KG,
    QUANTITY,
    UNIT,
    MPF,
    HMF,
];

/// The first problem found in a CSV of customs lines, naming the row (header = row 1) and the
/// column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinesCsvError {
    #[error("the csv is empty: expected a header row naming the columns")]
    Empty,
    #[error("row 1: missing column {column}")]
    MissingColumn { column: &'static str },
    #[error("row {row}: {problem}")]
    Malformed { row: usize, problem: String },
    #[error("row {row}, column {column}: missing, expected {expected}")]
    Missing { row: usize, column: &'static str, expected: &'static str },
    #[error("row {row}, column {column}: {value:?} is not {expected}")]
    Invalid { row: usize, column: &'static str, value: String, expected: &'static str },
    #[error(
        "row {row}, column {column}: {value:?} differs from {earlier:?} given on row {earlier_row} for the same line"
    )]
    Inconsistent { row: usize, column: &'static str, value: String, earlier: String, earlier_row: usize },
    #[error("row {row}, column seq: {seq} appears twice on line {line_number} of entry {entry_number}")]
    DuplicateSeq { row: usize, seq: u16, entry_number: String, line_number: u16 },
}

impl LinesCsvError {
    /// The row of the problem (header = row 1), when it has one.
    pub fn row(&self) -> Option<usize> {
        match self {
            LinesCsvError::Empty => None,
            LinesCsvError::MissingColumn { .. } => Some(1),
            LinesCsvError::Malformed { row, .. }
            | LinesCsvError::Missing { row, .. }
            | LinesCsvError::Invalid { row, .. }
            | LinesCsvError::Inconsistent { row, .. }
            | LinesCsvError::DuplicateSeq { row, .. } => Some(*row),
        }
    }

    /// The column of the problem, when it has one.
    pub fn column(&self) -> Option<&'static str> {
        match self {
            LinesCsvError::Empty | LinesCsvError::Malformed { .. } => None,
            LinesCsvError::MissingColumn { column }
            | LinesCsvError::Missing { column, .. }
            | LinesCsvError::Invalid { column, .. }
            | LinesCsvError::Inconsistent { column, .. } => Some(column),
            LinesCsvError::DuplicateSeq { .. } => Some("seq"),
        }
    }
}

/// Writes `lines` as CSV, header first, one row per HTS number.
pub fn write_lines_csv(lines: &[CustomsLine]) -> String {
    let mut out = String::with_capacity(200 + lines.len() * 360);
    for (index, column) in COLUMNS.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(column);
    }
    out.push('\n');
    for line in lines {
        if line.tariffs.is_empty() {
            write_row(&mut out, line, None);
        }
        for (index, tariff) in line.tariffs.iter().enumerate() {
            write_row(&mut out, line, Some((index + 1, tariff)));
        }
    }
    out
}

fn write_row(out: &mut String, line: &CustomsLine, tariff: Option<(usize, &crate::model::LineTariff)>) {
    push_csv_field(out, &line.entry_number);
    let _ = write!(out, ",{},{},{},", line.entry_date, line.line_number, part_text(line.part));
    match tariff {
        Some((seq, tariff)) => {
            let _ = write!(out, "{seq},");
            push_csv_field(out, &tariff.hts_number);
            out.push(',');
            out.push_str(tariff.programme.map(Programme::code).unwrap_or(""));
        }
        None => out.push_str(",,"),
    }
    out.push(',');
    push_csv_field(out, &line.origin);
    out.push(',');
    push_csv_field(out, &line.mid);
    out.push(',');
    push_csv_field(out, line.spi.as_deref().unwrap_or(""));
    out.push_str(if line.related_party { ",Y," } else { ",N," });
    match tariff {
        Some((_, tariff)) => {
            push_csv_field(out, &tariff.rate_text);
            let _ = write!(out, ",{}", tariff.duty);
        }
        None => out.push(','),
    }
    let _ = write!(out, ",{},{},{},{},", line.entered_value, line.charges, line.gross_kg, line.net_kg);
    if let Some((unit, quantity)) = line.quantities.first() {
        let _ = write!(out, "{quantity},");
        push_csv_field(out, Unit::text(unit));
    } else {
        out.push(',');
    }
    let _ = writeln!(out, ",{},{}", line.mpf, line.hmf);
}

/// Appends one CSV field, quoted when it holds a separator, a quote, a line break or
/// surrounding spaces (which reading would trim).
pub(crate) fn push_csv_field(out: &mut String, text: &str) {
    let needs_quotes = text.bytes().any(|b| matches!(b, b',' | b';' | b'\t' | b'"' | b'\n' | b'\r'))
        || text.starts_with(' ')
        || text.ends_with(' ');
    if !needs_quotes {
        out.push_str(text);
        return;
    }
    out.push('"');
    for c in text.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// Reads customs lines from CSV (see the module docs for the format).
///
/// For large files prefer [`LineTable::from_csv`] or [`LinesCsvReader`], which keep the
/// compact form the comparison works on instead of one [`CustomsLine`] per line.
pub fn read_lines_csv(bytes: &[u8]) -> Result<Vec<CustomsLine>, LinesCsvError> {
    Ok(LineTable::from_csv(bytes)?.to_lines())
}

/// Reads CSV given in pieces of any size (a file read block by block), building the compact
/// [`LineTable`] as it goes: memory holds the table, not the text.
#[derive(Debug, Default)]
pub struct LinesCsvReader {
    /// The start of a record whose end has not arrived yet.
    carry: Vec<u8>,
    parser: Parser,
}

impl LinesCsvReader {
    pub fn new() -> Self {
        LinesCsvReader::default()
    }

    /// A reader that reserves room for about `total_bytes` of CSV up front (untouched room
    /// costs address space, not memory), so the table is not copied as it grows.
    pub fn with_size_hint(total_bytes: usize) -> Self {
        let mut reader = LinesCsvReader::default();
        let builder = &mut reader.parser.builder;
        // About 120 bytes a row and 2.8 rows a line; a hint past 4 GB reserves for 4 GB, and
        // room that cannot be had is simply not reserved.
        let rows = total_bytes.min(u32::MAX as usize) / 100;
        let _ = builder.table.lines.try_reserve(rows / 2);
        let _ = builder.table.quantities.try_reserve(rows / 2);
        let _ = builder.table.tariffs.try_reserve(rows);
        let _ = builder.given.try_reserve(rows / 2);
        reader
    }

    /// Takes the next piece of the CSV text.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<(), LinesCsvError> {
        while !self.carry.is_empty() {
            let Some(newline) = bytes.iter().position(|&b| b == b'\n') else {
                self.carry.extend_from_slice(bytes);
                return Ok(());
            };
            self.carry.extend_from_slice(&bytes[..=newline]);
            bytes = &bytes[newline + 1..];
            let carry = std::mem::take(&mut self.carry);
            let used = self.parser.parse(&carry, false)?;
            self.carry = carry;
            self.carry.drain(..used);
        }
        let used = self.parser.parse(bytes, false)?;
        self.carry.extend_from_slice(&bytes[used..]);
        Ok(())
    }

    /// Ends the input and returns the lines.
    pub fn finish(mut self) -> Result<LineTable, LinesCsvError> {
        let carry = std::mem::take(&mut self.carry);
        self.parser.parse(&carry, true)?;
        self.parser.finish()
    }
}

/// Where each known column sits in a record.
#[derive(Debug)]
struct Layout {
    delimiter: u8,
    position: [usize; COLUMNS.len()],
    field_count: usize,
    /// Per record position: the line-level column there, or `usize::MAX`.
    column_at: Vec<usize>,
    /// Runs of adjacent line-level and key columns, as (first, last) record positions: a row
    /// whose bytes over every run equal its line's first row belongs to that line and needs no
    /// parsing there.
    runs: Vec<(usize, usize)>,
    /// The record, left to right, as runs and single fields: the template a further row of
    /// the current line is matched against.
    plan: Vec<Step>,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    /// A run of `runs`, by index.
    Run(usize),
    /// A single field, by record position.
    Field(usize),
}

#[derive(Clone, Copy, Debug, Default)]
struct FieldSpan {
    /// Raw extent in the buffer, quotes included.
    start: usize,
    end: usize,
    quoted: bool,
    escaped: bool,
}

enum Split {
    Record { next: usize },
    Incomplete,
}

#[derive(Debug, Default)]
struct Parser {
    layout: Option<Layout>,
    started: bool,
    /// Records seen so far, the header included.
    rows: usize,
    spans: Vec<FieldSpan>,
    builder: Builder,
}

impl Parser {
    /// Parses every complete record of `buf`, returning how many bytes they took.
    fn parse(&mut self, buf: &[u8], is_final: bool) -> Result<usize, LinesCsvError> {
        let mut pos = 0;
        if !self.started {
            if buf.len() < 3 && !is_final && b"\xEF\xBB\xBF".starts_with(buf) {
                return Ok(0);
            }
            self.started = true;
            if buf.starts_with(b"\xEF\xBB\xBF") {
                pos = 3;
            }
        }
        if self.layout.is_none() {
            // Blank lines before the header are skipped, however many there are and however
            // the input is cut into pieces (found by fuzzing: two of them read whole used to
            // make the file "empty").
            let line = loop {
                let header_end = buf[pos..].iter().position(|&b| b == b'\n');
                if header_end.is_none() && !is_final {
                    return Ok(pos);
                }
                let line = &buf[pos..header_end.map_or(buf.len(), |end| pos + end)];
                if !line.iter().all(u8::is_ascii_whitespace) {
                    break line;
                }
                let Some(end) = header_end else {
                    return Err(LinesCsvError::Empty);
                };
                self.rows += 1;
                pos += end + 1;
            };
            let delimiter = detect_delimiter(line);
            let next = match split_record(buf, pos, delimiter, is_final, &mut self.spans) {
                Ok(Split::Record { next }) => next,
                Ok(Split::Incomplete) => return Ok(pos),
                Err(problem) => {
                    return Err(LinesCsvError::Malformed { row: self.rows + 1, problem: problem.to_owned() });
                }
            };
            self.rows += 1;
            self.layout = Some(read_header(buf, &self.spans, delimiter)?);
            pos = next;
        }
        let Some(layout) = &self.layout else {
            return Ok(pos);
        };
        while pos < buf.len() {
            if let Some(next) = self.builder.further_row(buf, pos, layout, self.rows + 1, &mut self.spans)? {
                self.rows += 1;
                pos = next;
                continue;
            }
            if let Some(next) = split_unquoted_record(buf, pos, layout.delimiter, &mut self.spans) {
                self.rows += 1;
                self.builder.record(buf, &self.spans, layout, self.rows)?;
                pos = next;
                continue;
            }
            let next = match split_record(buf, pos, layout.delimiter, is_final, &mut self.spans) {
                Ok(Split::Record { next }) => next,
                Ok(Split::Incomplete) => break,
                Err(problem) => {
                    return Err(LinesCsvError::Malformed { row: self.rows + 1, problem: problem.to_owned() });
                }
            };
            self.rows += 1;
            self.builder.record(buf, &self.spans, layout, self.rows)?;
            pos = next;
        }
        Ok(pos)
    }

    fn finish(self) -> Result<LineTable, LinesCsvError> {
        if self.layout.is_none() {
            return Err(LinesCsvError::Empty);
        }
        self.builder.finish()
    }
}

fn detect_delimiter(header: &[u8]) -> u8 {
    let count = |d: u8| header.iter().filter(|&&b| b == d).count();
    let (commas, semicolons, tabs) = (count(b','), count(b';'), count(b'\t'));
    if semicolons > commas && semicolons >= tabs {
        b';'
    } else if tabs > commas && tabs > semicolons {
        b'\t'
    } else {
        b','
    }
}

fn read_header(buf: &[u8], spans: &[FieldSpan], delimiter: u8) -> Result<Layout, LinesCsvError> {
    let mut position = [usize::MAX; COLUMNS.len()];
    for (index, span) in spans.iter().enumerate() {
        let name = content(buf, span);
        let name = String::from_utf8_lossy(trim(&name)).to_ascii_lowercase();
        if let Some(column) = COLUMNS.iter().position(|c| *c == name)
            && position[column] == usize::MAX
        {
            position[column] = index;
        }
    }
    if let Some(missing) = position.iter().position(|&p| p == usize::MAX) {
        return Err(LinesCsvError::MissingColumn { column: COLUMNS[missing] });
    }
    let mut line_positions: Vec<usize> =
        LINE_COLUMNS.iter().chain(&[ENTRY_NUMBER, LINE_NUMBER]).map(|&c| position[c]).collect();
    line_positions.sort_unstable();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for p in line_positions {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == p => *last = p,
            _ => runs.push((p, p)),
        }
    }
    let mut column_at = vec![usize::MAX; spans.len()];
    for column in LINE_COLUMNS {
        column_at[position[column]] = column;
    }
    let mut plan = Vec::new();
    let mut at = 0;
    while at < spans.len() {
        match runs.iter().position(|&(first, _)| first == at) {
            Some(run) => {
                plan.push(Step::Run(run));
                at = runs[run].1 + 1;
            }
            None => {
                plan.push(Step::Field(at));
                at += 1;
            }
        }
    }
    Ok(Layout { delimiter, position, field_count: spans.len(), column_at, runs, plan })
}

/// Bytes of `word` equal to `byte`, as the high bit of each (exact: no false positives).
fn bytes_equal(word: u64, byte: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ (0x0101_0101_0101_0101 * u64::from(byte));
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// The fast path of [`split_record`] for the usual record: no quote before its line break,
/// and the line break at least eight bytes before the end of `buf`. Eight bytes at a time;
/// `None` leaves the record to [`split_record`].
fn split_unquoted_record(buf: &[u8], start: usize, delimiter: u8, spans: &mut Vec<FieldSpan>) -> Option<usize> {
    spans.clear();
    let mut field_start = start;
    let mut i = start;
    while i + 8 <= buf.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&buf[i..i + 8]);
        let word = u64::from_le_bytes(word);
        let newlines = bytes_equal(word, b'\n');
        let before_newline = if newlines == 0 { u64::MAX } else { (1u64 << (newlines.trailing_zeros() - 7)) - 1 };
        if bytes_equal(word, b'"') & before_newline != 0 {
            return None;
        }
        let mut delimiters = bytes_equal(word, delimiter) & before_newline;
        while delimiters != 0 {
            let at = i + (delimiters.trailing_zeros() / 8) as usize;
            spans.push(FieldSpan { start: field_start, end: at, quoted: false, escaped: false });
            field_start = at + 1;
            delimiters &= delimiters - 1;
        }
        if newlines != 0 {
            let at = i + (newlines.trailing_zeros() / 8) as usize;
            let end = if at > field_start && buf[at - 1] == b'\r' { at - 1 } else { at };
            spans.push(FieldSpan { start: field_start, end, quoted: false, escaped: false });
            return Some(at + 1);
        }
        i += 8;
    }
    None
}

/// Splits the record starting at `start` into `spans`. Not at the end of the input, a record
/// is complete only once its line break is seen.
fn split_record(
    buf: &[u8],
    start: usize,
    delimiter: u8,
    is_final: bool,
    spans: &mut Vec<FieldSpan>,
) -> Result<Split, &'static str> {
    spans.clear();
    let len = buf.len();
    let mut i = start;
    loop {
        let field_start = i;
        if i < len && buf[i] == b'"' {
            i += 1;
            let mut escaped = false;
            loop {
                let Some(offset) = buf[i..].iter().position(|&b| b == b'"') else {
                    return if is_final { Err("a quoted field is not closed") } else { Ok(Split::Incomplete) };
                };
                i += offset + 1;
                if i < len && buf[i] == b'"' {
                    escaped = true;
                    i += 1;
                    continue;
                }
                if i >= len && !is_final {
                    return Ok(Split::Incomplete);
                }
                break;
            }
            spans.push(FieldSpan { start: field_start, end: i, quoted: true, escaped });
            if i >= len {
                return Ok(Split::Record { next: len });
            }
            match buf[i] {
                b if b == delimiter => i += 1,
                b'\n' => return Ok(Split::Record { next: i + 1 }),
                b'\r' if i + 1 < len && buf[i + 1] == b'\n' => return Ok(Split::Record { next: i + 2 }),
                b'\r' if i + 1 >= len && !is_final => return Ok(Split::Incomplete),
                b'\r' => return Ok(Split::Record { next: i + 1 }),
                _ => return Err("a closing quote is followed by more text in the same field"),
            }
        } else {
            while i < len {
                let b = buf[i];
                if b == delimiter || b == b'\n' {
                    break;
                }
                i += 1;
            }
            if i >= len {
                if !is_final {
                    return Ok(Split::Incomplete);
                }
                let end = if i > field_start && buf[i - 1] == b'\r' { i - 1 } else { i };
                spans.push(FieldSpan { start: field_start, end, quoted: false, escaped: false });
                return Ok(Split::Record { next: len });
            }
            if buf[i] == delimiter {
                spans.push(FieldSpan { start: field_start, end: i, quoted: false, escaped: false });
                i += 1;
                continue;
            }
            let end = if i > field_start && buf[i - 1] == b'\r' { i - 1 } else { i };
            spans.push(FieldSpan { start: field_start, end, quoted: false, escaped: false });
            return Ok(Split::Record { next: i + 1 });
        }
    }
}

/// A field's value: quotes removed, doubled quotes undone.
#[inline]
fn content<'b>(buf: &'b [u8], span: &FieldSpan) -> Cow<'b, [u8]> {
    if !span.quoted {
        return Cow::Borrowed(&buf[span.start..span.end]);
    }
    let inner = &buf[span.start + 1..span.end.saturating_sub(1).max(span.start + 1)];
    if !span.escaped {
        return Cow::Borrowed(inner);
    }
    let mut owned = Vec::with_capacity(inner.len());
    let mut previous_quote = false;
    for &b in inner {
        if b == b'"' && previous_quote {
            previous_quote = false;
            continue;
        }
        previous_quote = b == b'"';
        owned.push(b);
    }
    Cow::Owned(owned)
}

#[inline(always)]
fn trim(bytes: &[u8]) -> &[u8] {
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) if first > b' ' && last > b' ' => bytes,
        _ => bytes.trim_ascii(),
    }
}

/// Builds the table record by record.
#[derive(Debug, Default)]
struct Builder {
    table: LineTable,
    /// (entry, line number) → line index, once the input is found out of order.
    line_index: Option<U64Map>,
    /// Per line: which line-level columns were given (bit = column).
    given: Vec<u32>,
    /// The line the previous row belonged to, and its first row's key and line-level bytes.
    current: Option<u32>,
    current_entry_raw: Vec<u8>,
    current_line_raw: Vec<u8>,
    current_runs: Vec<u8>,
    current_run_ends: Vec<usize>,
    current_last_seq: u16,
    /// Lines whose rows came out of `seq` order.
    unsorted: Vec<u32>,
    /// HTS numbers of lines whose rows were not adjacent: (line, row, number).
    stragglers: Vec<(u32, usize, TariffRec)>,
    empty: Option<Sym>,
    recent_entries: RecentTexts,
    /// Origins, MIDs, SPIs, units: one cache each.
    recent_codes: [RecentTexts; 4],
    recent_hts: RecentTexts,
    recent_rates: RecentTexts,
    /// Per entry: its first line's index and the highest line number seen (see
    /// `find_or_add_line`), and the entry whose lines are the table's tail.
    entry_start: Vec<u32>,
    highest_line: Vec<u16>,
    last_started_entry: Option<Sym>,
    /// The last entry date's text and value: every line of an entry repeats it.
    last_date: Option<(Vec<u8>, NaiveDate)>,
}

impl Builder {
    fn empty_sym(&mut self) -> Sym {
        match self.empty {
            Some(sym) => sym,
            None => {
                let sym = self.table.codes.intern("");
                self.empty = Some(sym);
                sym
            }
        }
    }

    fn record(&mut self, buf: &[u8], spans: &[FieldSpan], layout: &Layout, row: usize) -> Result<(), LinesCsvError> {
        if spans.len() != layout.field_count {
            if spans.len() == 1 && trim(&content(buf, &spans[0])).is_empty() {
                return Ok(());
            }
            return Err(LinesCsvError::Malformed {
                row,
                problem: format!("{} fields where the header has {}", spans.len(), layout.field_count),
            });
        }
        let span = |column: usize| &spans[layout.position[column]];
        let raw = |column: usize| {
            let s = span(column);
            &buf[s.start..s.end]
        };

        let mut line_index = None;
        if let Some(current) = self.current {
            if self.runs_equal(buf, spans, layout) {
                return self.tariff(buf, spans, layout, current, row, true);
            }
            if raw(ENTRY_NUMBER) == self.current_entry_raw.as_slice()
                && raw(LINE_NUMBER) == self.current_line_raw.as_slice()
            {
                line_index = Some(current);
            }
        }
        let adjacent = if let Some(current) = line_index {
            self.check_runs(buf, spans, layout, current, row)?;
            true
        } else {
            let entry_text = content(buf, span(ENTRY_NUMBER));
            let entry_text = trim(&entry_text);
            if entry_text.is_empty() {
                return Err(missing(row, ENTRY_NUMBER));
            }
            let entry = self
                .table
                .entries
                .intern_bytes_recent(entry_text, &mut self.recent_entries)
                .map_err(|_| invalid(row, ENTRY_NUMBER, entry_text))?;
            let line_text = content(buf, span(LINE_NUMBER));
            let line_number =
                parse_number(trim(&line_text)).ok_or_else(|| invalid_or_missing(row, LINE_NUMBER, trim(&line_text)))?;
            let next_index = u32::try_from(self.table.lines.len()).map_err(|_| LinesCsvError::Malformed {
                row,
                problem: "more lines than this reader holds".to_owned(),
            })?;
            match self.find_or_add_line(entry, line_number, next_index) {
                None => {
                    self.start_line(buf, spans, layout, entry, line_number, row)?;
                    line_index = Some(next_index);
                    true
                }
                Some(existing) => {
                    line_index = Some(existing);
                    if self.current == Some(existing) {
                        self.check_runs(buf, spans, layout, existing, row)?;
                        true
                    } else {
                        for column in LINE_COLUMNS {
                            self.apply(buf, span(column), column, existing, row)?;
                        }
                        false
                    }
                }
            }
        };
        let Some(line_index) = line_index else {
            return Ok(());
        };
        self.tariff(buf, spans, layout, line_index, row, adjacent)
    }

    /// The line already holding (entry, line number), or `None` when it is new (it will take
    /// `next_index`).
    ///
    /// No hashing while the file is grouped by entry: a line number higher than any before in
    /// its entry is new; a lower one is looked for among the entry's lines (the table's tail).
    /// The first time an entry comes back after another, every line goes into `line_index`.
    fn find_or_add_line(&mut self, entry: Sym, line_number: u16, next_index: u32) -> Option<u32> {
        if let Some(index) = &mut self.line_index {
            return index.insert_if_absent(line_key(entry, line_number), next_index);
        }
        let entry_index = entry as usize;
        if self.entry_start.len() <= entry_index {
            self.entry_start.resize(entry_index + 1, u32::MAX);
            self.highest_line.resize(entry_index + 1, 0);
        }
        let start = self.entry_start[entry_index];
        if start == u32::MAX {
            self.entry_start[entry_index] = next_index;
            self.highest_line[entry_index] = line_number;
            self.last_started_entry = Some(entry);
            return None;
        }
        if self.last_started_entry == Some(entry) {
            if line_number > self.highest_line[entry_index] {
                self.highest_line[entry_index] = line_number;
                return None;
            }
            let own_tail = &self.table.lines[start as usize..];
            if own_tail.len() <= 64 {
                return own_tail
                    .iter()
                    .position(|line| line.line_number == line_number)
                    .map(|offset| start + offset as u32);
            }
        }
        let mut index = U64Map::with_capacity(self.table.lines.len() * 2);
        for (position, line) in self.table.lines.iter().enumerate() {
            index.insert_if_absent(line_key(line.entry, line.line_number), position as u32);
        }
        let found = index.insert_if_absent(line_key(entry, line_number), next_index);
        self.line_index = Some(index);
        found
    }

    fn start_line(
        &mut self,
        buf: &[u8],
        spans: &[FieldSpan],
        layout: &Layout,
        entry: Sym,
        line_number: u16,
        row: usize,
    ) -> Result<(), LinesCsvError> {
        let empty = self.empty_sym();
        let index = self.table.lines.len() as u32;
        let mut line = LineRec {
            entry,
            origin: empty,
            mid: empty,
            spi: empty,
            tariff_start: self.table.tariffs.len() as u32,
            quantity_start: index,
            row: u32::try_from(row).unwrap_or(u32::MAX),
            entry_date: NaiveDate::MIN,
            line_number,
            tariff_len: 0,
            quantity_len: 0,
            part: LinePart::Whole,
            related_party: false,
            entered_value: Decimal::ZERO,
            charges: Decimal::ZERO,
            gross_kg: Decimal::ZERO,
            net_kg: Decimal::ZERO,
            mpf: Decimal::ZERO,
            hmf: Decimal::ZERO,
        };
        let mut quantity = QuantityRec { unit: empty, value: Decimal::ZERO };
        let mut given = 0;
        let mut values =
            LineValues { codes: &mut self.table.codes, recent: &mut self.recent_codes, last_date: &mut self.last_date };
        for column in LINE_COLUMNS {
            let span = &spans[layout.position[column]];
            let text = if span.quoted { content(buf, span) } else { Cow::Borrowed(&buf[span.start..span.end]) };
            read_line_value(&mut values, &text, column, &mut line, &mut quantity, &mut given, row)?;
        }
        self.table.lines.push(line);
        self.table.quantities.push(quantity);
        self.given.push(given);
        let raw = |column: usize| {
            let s = &spans[layout.position[column]];
            &buf[s.start..s.end]
        };
        self.current = Some(index);
        self.current_entry_raw.clear();
        self.current_entry_raw.extend_from_slice(raw(ENTRY_NUMBER));
        self.current_line_raw.clear();
        self.current_line_raw.extend_from_slice(raw(LINE_NUMBER));
        self.current_runs.clear();
        self.current_run_ends.clear();
        for &(first, last) in &layout.runs {
            self.current_runs.extend_from_slice(&buf[spans[first].start..spans[last].end]);
            self.current_run_ends.push(self.current_runs.len());
        }
        self.current_last_seq = 0;
        Ok(())
    }

    /// The fast path for a further row of the current line (most rows): the record is matched
    /// against the line's first row run by run, and only the fields between runs (the HTS
    /// number's) are found and read. `None` when the row is anything else, or has a quote, or
    /// its end is not in `buf`: the general path takes it.
    fn further_row(
        &mut self,
        buf: &[u8],
        start: usize,
        layout: &Layout,
        row: usize,
        spans: &mut Vec<FieldSpan>,
    ) -> Result<Option<usize>, LinesCsvError> {
        let Some(current) = self.current else {
            return Ok(None);
        };
        if spans.len() < layout.field_count {
            spans.resize(layout.field_count, FieldSpan::default());
        }
        let delimiter = layout.delimiter;
        let last_step = layout.plan.len().saturating_sub(1);
        let mut at = start;
        for (index, step) in layout.plan.iter().enumerate() {
            let end = match *step {
                Step::Run(run) => {
                    let from = if run == 0 { 0 } else { self.current_run_ends[run - 1] };
                    let saved = &self.current_runs[from..self.current_run_ends[run]];
                    if !buf[at..].starts_with(saved) {
                        return Ok(None);
                    }
                    at + saved.len()
                }
                Step::Field(position) => {
                    let mut end = at;
                    while let Some(&b) = buf.get(end) {
                        if b == delimiter || b == b'\n' {
                            break;
                        }
                        if b == b'"' {
                            return Ok(None);
                        }
                        end += 1;
                    }
                    spans[position] = FieldSpan { start: at, end, quoted: false, escaped: false };
                    end
                }
            };
            let Some(&after) = buf.get(end) else {
                return Ok(None);
            };
            if index < last_step {
                if after != delimiter {
                    return Ok(None);
                }
                at = end + 1;
                continue;
            }
            if after == b'\n' {
                if let Step::Field(position) = *step
                    && end > spans[position].start
                    && buf[end - 1] == b'\r'
                {
                    spans[position].end = end - 1;
                }
                self.tariff(buf, spans, layout, current, row, true)?;
                return Ok(Some(end + 1));
            }
            if after == b'\r' && buf.get(end + 1) == Some(&b'\n') {
                self.tariff(buf, spans, layout, current, row, true)?;
                return Ok(Some(end + 2));
            }
            return Ok(None);
        }
        Ok(None)
    }

    fn runs_equal(&self, buf: &[u8], spans: &[FieldSpan], layout: &Layout) -> bool {
        let mut run_start = 0;
        for (run, &(first, last)) in layout.runs.iter().enumerate() {
            let run_end = self.current_run_ends[run];
            if buf[spans[first].start..spans[last].end] != self.current_runs[run_start..run_end] {
                return false;
            }
            run_start = run_end;
        }
        true
    }

    /// A further row of the current line: where its line-level bytes equal the first row's
    /// there is nothing to do; elsewhere each value is read and checked.
    fn check_runs(
        &mut self,
        buf: &[u8],
        spans: &[FieldSpan],
        layout: &Layout,
        line: u32,
        row: usize,
    ) -> Result<(), LinesCsvError> {
        let mut run_start = 0;
        for (run, &(first, last)) in layout.runs.iter().enumerate() {
            let run_end = self.current_run_ends[run];
            let same = buf[spans[first].start..spans[last].end] == self.current_runs[run_start..run_end];
            run_start = run_end;
            if same {
                continue;
            }
            for (offset, span) in spans[first..=last].iter().enumerate() {
                let column = layout.column_at[first + offset];
                if column != usize::MAX {
                    self.apply(buf, span, column, line, row)?;
                }
            }
        }
        Ok(())
    }

    /// Reads one line-level value into a line already in the table (see [`read_line_value`]).
    fn apply(
        &mut self,
        buf: &[u8],
        span: &FieldSpan,
        column: usize,
        line: u32,
        row: usize,
    ) -> Result<(), LinesCsvError> {
        let index = line as usize;
        let mut values =
            LineValues { codes: &mut self.table.codes, recent: &mut self.recent_codes, last_date: &mut self.last_date };
        read_line_value(
            &mut values,
            &content(buf, span),
            column,
            &mut self.table.lines[index],
            &mut self.table.quantities[index],
            &mut self.given[index],
            row,
        )
    }

    fn tariff(
        &mut self,
        buf: &[u8],
        spans: &[FieldSpan],
        layout: &Layout,
        line: u32,
        row: usize,
        adjacent: bool,
    ) -> Result<(), LinesCsvError> {
        let field = |column: usize| content(buf, &spans[layout.position[column]]);
        let seq_text = field(SEQ);
        let seq_text = trim(&seq_text);
        let hts_text = field(HTS_NUMBER);
        let hts_text = trim(&hts_text);
        if seq_text.is_empty() && hts_text.is_empty() {
            // A line without HTS numbers.
            return Ok(());
        }
        let seq = parse_number(seq_text).ok_or_else(|| invalid_or_missing(row, SEQ, seq_text))?;
        if hts_text.is_empty() {
            return Err(missing(row, HTS_NUMBER));
        }
        let hts = self
            .table
            .hts
            .intern_bytes_recent(hts_text, &mut self.recent_hts)
            .map_err(|_| invalid(row, HTS_NUMBER, hts_text))?;
        let programme_text = field(PROGRAMME);
        let programme_text = trim(&programme_text);
        let programme = if programme_text.is_empty() {
            None
        } else {
            Some(parse_programme(programme_text).ok_or_else(|| invalid(row, PROGRAMME, programme_text))?)
        };
        let rate_text = field(RATE);
        let rate_text = trim(&rate_text);
        let rate = self
            .table
            .rates
            .intern_bytes_recent(rate_text, &mut self.recent_rates)
            .map_err(|_| invalid(row, RATE, rate_text))?;
        let duty_text = field(DUTY);
        let duty_text = trim(&duty_text);
        let duty = if duty_text.is_empty() {
            Decimal::ZERO
        } else {
            parse_amount(duty_text).ok_or_else(|| invalid(row, DUTY, duty_text))?
        };
        let tariff = TariffRec { hts, rate, duty, seq, programme };
        if !adjacent {
            self.stragglers.push((line, row, tariff));
            return Ok(());
        }
        if seq <= self.current_last_seq {
            let rec = self.table.lines[line as usize];
            let start = rec.tariff_start as usize;
            let end = start + usize::from(rec.tariff_len);
            if self.table.tariffs[start..end].iter().any(|t| t.seq == seq) {
                return Err(self.duplicate_seq(line, row, seq));
            }
            if self.unsorted.last() != Some(&line) {
                self.unsorted.push(line);
            }
        }
        self.current_last_seq = self.current_last_seq.max(seq);
        self.table.tariffs.push(tariff);
        self.table.lines[line as usize].tariff_len += 1;
        Ok(())
    }

    fn duplicate_seq(&self, line: u32, row: usize, seq: u16) -> LinesCsvError {
        let rec = &self.table.lines[line as usize];
        LinesCsvError::DuplicateSeq {
            row,
            seq,
            entry_number: self.table.entries.get(rec.entry).to_owned(),
            line_number: rec.line_number,
        }
    }

    fn finish(mut self) -> Result<LineTable, LinesCsvError> {
        for (index, line) in self.table.lines.iter_mut().enumerate() {
            let given = self.given[index];
            if given & (1 << ENTRY_DATE) == 0 {
                return Err(missing(line.row as usize, ENTRY_DATE));
            }
            let has_quantity = given & (1 << QUANTITY) != 0;
            let has_unit = given & (1 << UNIT) != 0;
            if has_quantity && !has_unit {
                return Err(missing(line.row as usize, UNIT));
            }
            line.quantity_len = u16::from(has_quantity || has_unit);
        }
        for &line in &self.unsorted {
            let rec = self.table.lines[line as usize];
            let start = rec.tariff_start as usize;
            self.table.tariffs[start..start + usize::from(rec.tariff_len)].sort_by_key(|t| t.seq);
        }
        if !self.stragglers.is_empty() {
            self.merge_stragglers()?;
        }
        Ok(self.table)
    }

    /// Gathers the HTS numbers of lines whose rows were spread over the file.
    fn merge_stragglers(&mut self) -> Result<(), LinesCsvError> {
        let mut stragglers = std::mem::take(&mut self.stragglers);
        stragglers.sort_by_key(|(line, row, tariff)| (*line, tariff.seq, *row));
        let old = std::mem::take(&mut self.table.tariffs);
        let mut tariffs = Vec::with_capacity(old.len() + stragglers.len());
        let mut next = stragglers.iter().peekable();
        for index in 0..self.table.lines.len() {
            let rec = self.table.lines[index];
            let start = rec.tariff_start as usize;
            let own = &old[start..start + usize::from(rec.tariff_len)];
            let new_start = tariffs.len();
            let mut extra: Vec<(usize, TariffRec)> = Vec::new();
            while let Some((line, row, tariff)) = next.peek() {
                if *line as usize != index {
                    break;
                }
                extra.push((*row, *tariff));
                next.next();
            }
            let mut merged: Vec<(usize, TariffRec)> = own.iter().map(|t| (0, *t)).collect();
            merged.extend(extra);
            merged.sort_by_key(|(row, tariff)| (tariff.seq, *row));
            for pair in merged.windows(2) {
                if pair[0].1.seq == pair[1].1.seq {
                    let row = pair[0].0.max(pair[1].0);
                    return Err(self.duplicate_seq(index as u32, row, pair[1].1.seq));
                }
            }
            tariffs.extend(merged.into_iter().map(|(_, tariff)| tariff));
            let line = &mut self.table.lines[index];
            line.tariff_start = new_start as u32;
            line.tariff_len = u16::try_from(tariffs.len() - new_start).unwrap_or(u16::MAX);
        }
        self.table.tariffs = tariffs;
        Ok(())
    }
}

/// What reading a line-level value needs besides the line.
struct LineValues<'a> {
    codes: &'a mut crate::compare::table::Interner,
    recent: &'a mut [RecentTexts; 4],
    last_date: &'a mut Option<(Vec<u8>, NaiveDate)>,
}

/// Reads one line-level value: a blank leaves the line as it is, a first value is taken
/// (its bit set in `given`), a later one must agree.
fn read_line_value(
    values: &mut LineValues<'_>,
    text: &[u8],
    column: usize,
    line: &mut LineRec,
    quantity: &mut QuantityRec,
    given: &mut u32,
    row: usize,
) -> Result<(), LinesCsvError> {
    let text = trim(text);
    if text.is_empty() {
        return Ok(());
    }
    let bit = 1u32 << column;
    let already = *given & bit != 0;
    let first_row = line.row as usize;
    let inconsistent = |earlier: String| LinesCsvError::Inconsistent {
        row,
        column: COLUMNS[column],
        value: shown(text),
        earlier,
        earlier_row: first_row,
    };
    match column {
        ENTRY_DATE => {
            let date = match values.last_date {
                Some((last, date)) if last.as_slice() == text => *date,
                _ => {
                    let date = parse_date(text).ok_or_else(|| invalid(row, column, text))?;
                    *values.last_date = Some((text.to_vec(), date));
                    date
                }
            };
            if already && line.entry_date != date {
                return Err(inconsistent(line.entry_date.to_string()));
            }
            line.entry_date = date;
        }
        PART => {
            let part = parse_part(text).ok_or_else(|| invalid(row, column, text))?;
            if already && line.part != part {
                return Err(inconsistent(part_text(line.part).to_owned()));
            }
            line.part = part;
        }
        RELATED_PARTY => {
            let related = parse_flag(text).ok_or_else(|| invalid(row, column, text))?;
            if already && line.related_party != related {
                return Err(inconsistent(if line.related_party { "Y" } else { "N" }.to_owned()));
            }
            line.related_party = related;
        }
        ORIGIN | MID | SPI | UNIT => {
            let (slot, recent) = match column {
                ORIGIN => (&mut line.origin, 0),
                MID => (&mut line.mid, 1),
                SPI => (&mut line.spi, 2),
                _ => (&mut quantity.unit, 3),
            };
            let sym = values
                .codes
                .intern_bytes_recent(text, &mut values.recent[recent])
                .map_err(|_| invalid(row, column, text))?;
            if already && *slot != sym {
                return Err(inconsistent(values.codes.get(*slot).to_owned()));
            }
            *slot = sym;
        }
        _ => {
            let amount = parse_amount(text).ok_or_else(|| invalid(row, column, text))?;
            let slot = match column {
                ENTERED_VALUE => &mut line.entered_value,
                CHARGES => &mut line.charges,
                GROSS_KG => &mut line.gross_kg,
                NET_KG => &mut line.net_kg,
                MPF => &mut line.mpf,
                HMF => &mut line.hmf,
                _ => &mut quantity.value,
            };
            if already && *slot != amount {
                return Err(inconsistent(slot.to_string()));
            }
            *slot = amount;
        }
    }
    *given |= bit;
    Ok(())
}

fn shown(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    if text.chars().count() > 60 {
        let mut short: String = text.chars().take(60).collect();
        short.push('…');
        short
    } else {
        text.into_owned()
    }
}

fn expected(column: usize) -> &'static str {
    match column {
        ENTRY_NUMBER => "an entry number",
        ENTRY_DATE => "a date (YYYY-MM-DD, YYYYMMDD or DD.MM.YYYY)",
        LINE_NUMBER => "a line number (1–999)",
        PART => "a line part (whole, non_metal, metal, W, N or M)",
        SEQ => "a sequence number (1–999)",
        HTS_NUMBER => "an HTS number",
        PROGRAMME => "a programme (301, IEEPA_FENTANYL, IEEPA_RECIPROCAL, S122, S232, S201, MTB, QUOTA, ADCVD, CLAIM)",
        RELATED_PARTY => "a related-party flag (Y or N)",
        UNIT => "a unit (No., kg, doz., X …) for the quantity",
        ORIGIN | MID | SPI | RATE => "utf-8 text",
        _ => "an amount",
    }
}

fn missing(row: usize, column: usize) -> LinesCsvError {
    LinesCsvError::Missing { row, column: COLUMNS[column], expected: expected(column) }
}

fn invalid(row: usize, column: usize, text: &[u8]) -> LinesCsvError {
    LinesCsvError::Invalid { row, column: COLUMNS[column], value: shown(text), expected: expected(column) }
}

fn invalid_or_missing(row: usize, column: usize, text: &[u8]) -> LinesCsvError {
    if text.is_empty() { missing(row, column) } else { invalid(row, column, text) }
}

/// 1–999, leading zeros allowed (SAP's `001`).
fn parse_number(text: &[u8]) -> Option<u16> {
    if text.is_empty() || text.len() > 6 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = text.iter().fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0'));
    if (1..=999).contains(&value) { u16::try_from(value).ok() } else { None }
}

fn digits(text: &[u8]) -> Option<u32> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0')))
}

fn parse_date(text: &[u8]) -> Option<NaiveDate> {
    let (year, month, day) = match text.len() {
        10 if text[4] == b'-' && text[7] == b'-' => (&text[..4], &text[5..7], &text[8..]),
        10 if text[2] == b'.' && text[5] == b'.' => (&text[6..], &text[3..5], &text[..2]),
        8 => (&text[..4], &text[4..6], &text[6..]),
        _ => return None,
    };
    NaiveDate::from_ymd_opt(i32::try_from(digits(year)?).ok()?, digits(month)?, digits(day)?)
}

fn parse_part(text: &[u8]) -> Option<LinePart> {
    match text {
        b"whole" => return Some(LinePart::Whole),
        b"non_metal" => return Some(LinePart::NonMetal),
        b"metal" => return Some(LinePart::Metal),
        _ => {}
    }
    match text.to_ascii_lowercase().as_slice() {
        b"whole" | b"w" => Some(LinePart::Whole),
        b"non_metal" | b"non-metal" | b"nonmetal" | b"n" => Some(LinePart::NonMetal),
        b"metal" | b"m" => Some(LinePart::Metal),
        _ => None,
    }
}

pub(crate) fn part_text(part: LinePart) -> &'static str {
    match part {
        LinePart::Whole => "whole",
        LinePart::NonMetal => "non_metal",
        LinePart::Metal => "metal",
    }
}

fn parse_flag(text: &[u8]) -> Option<bool> {
    match text {
        b"N" => return Some(false),
        b"Y" => return Some(true),
        _ => {}
    }
    match text.to_ascii_lowercase().as_slice() {
        b"y" | b"yes" | b"x" | b"true" | b"1" => Some(true),
        b"n" | b"no" | b"false" | b"0" => Some(false),
        _ => None,
    }
}

const PROGRAMMES: [(Programme, &str); 10] = [
    (Programme::S301, "301"),
    (Programme::IeepaFentanyl, "IEEPA_FENTANYL"),
    (Programme::IeepaReciprocal, "IEEPA_RECIPROCAL"),
    (Programme::S122, "S122"),
    (Programme::S232, "S232"),
    (Programme::S201, "S201"),
    (Programme::Mtb, "MTB"),
    (Programme::Quota, "QUOTA"),
    (Programme::Adcvd, "ADCVD"),
    (Programme::Claim, "CLAIM"),
];

fn parse_programme(text: &[u8]) -> Option<Programme> {
    let exact = match text {
        b"301" => Some(Programme::S301),
        b"IEEPA_FENTANYL" => Some(Programme::IeepaFentanyl),
        b"IEEPA_RECIPROCAL" => Some(Programme::IeepaReciprocal),
        _ => None,
    };
    if exact.is_some() {
        return exact;
    }
    PROGRAMMES.iter().find(|(_, name)| name.as_bytes().eq_ignore_ascii_case(text)).map(|(programme, _)| *programme)
}

/// The common case in one pass: `-?digits(.digits)?`, at most 17 digits (no overflow).
#[inline]
fn parse_plain_amount(text: &[u8]) -> Option<Decimal> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut scale: Option<u32> = None;
    for (index, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => mantissa = mantissa * 10 + i64::from(b - b'0'),
            b'.' if scale.is_none() && index + 1 < digits.len() && index > 0 => {
                scale = Some((digits.len() - index - 1) as u32);
            }
            _ => return None,
        }
    }
    Some(Decimal::new(if negative { -mantissa } else { mantissa }, scale.unwrap_or(0)))
}

/// Reads an amount as reports write it: `1234.5`, `-1234.50`, `1,234.50`, `1.234,50`,
/// `1234,5`, SAP's trailing minus `1.234,50-`; surrounding spaces are ignored.
///
/// When both `.` and `,` appear, the later one is the decimal separator and the other groups
/// thousands (groups of three digits, checked); a separator that appears once alone is the
/// decimal one (`1,5` is 1.5, `1.234` is 1.234); one repeated groups thousands (`1.234.567`).
/// Returns `None` for anything else, including more than 28 significant digits.
pub fn parse_amount(text: &[u8]) -> Option<Decimal> {
    if let Some(amount) = parse_plain_amount(text) {
        return Some(amount);
    }
    let mut body = text.trim_ascii();
    let mut negative = false;
    match body.first() {
        Some(b'-') => {
            negative = true;
            body = &body[1..];
        }
        Some(b'+') => body = &body[1..],
        _ => {}
    }
    if let Some((&b'-', rest)) = body.split_last() {
        if negative || body.len() != text.trim_ascii().len() {
            return None;
        }
        negative = true;
        body = rest;
    }
    if body.is_empty() {
        return None;
    }
    let (mut dots, mut commas, mut last_dot, mut last_comma) = (0usize, 0usize, 0usize, 0usize);
    for (index, &b) in body.iter().enumerate() {
        match b {
            b'0'..=b'9' => {}
            b'.' => {
                dots += 1;
                last_dot = index;
            }
            b',' => {
                commas += 1;
                last_comma = index;
            }
            _ => return None,
        }
    }
    let (decimal_at, group) = match (dots, commas) {
        (0, 0) => (None, None),
        (1, 0) => (Some(last_dot), None),
        (_, 0) => (None, Some(b'.')),
        (0, 1) => (Some(last_comma), None),
        (0, _) => (None, Some(b',')),
        _ if last_dot > last_comma && dots == 1 => (Some(last_dot), Some(b',')),
        _ if last_comma > last_dot && commas == 1 => (Some(last_comma), Some(b'.')),
        _ => return None,
    };
    let (integer, fraction) = match decimal_at {
        Some(at) => (&body[..at], &body[at + 1..]),
        None => (body, &body[body.len()..]),
    };
    if integer.is_empty() && fraction.is_empty() {
        return None;
    }
    if let Some(group) = group {
        let mut groups = integer.split(|&b| b == group);
        let first_ok = groups.next().is_some_and(|g| (1..=3).contains(&g.len()));
        if !first_ok || !groups.all(|g| g.len() == 3) {
            return None;
        }
    }
    if !fraction.iter().all(u8::is_ascii_digit) || fraction.len() > 28 {
        return None;
    }
    let mut mantissa: u128 = 0;
    for &b in integer.iter().chain(fraction) {
        if b.is_ascii_digit() {
            mantissa = mantissa.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
        }
    }
    let mantissa = i128::try_from(mantissa).ok()?;
    let signed = if negative { -mantissa } else { mantissa };
    Decimal::try_from_i128_with_scale(signed, u32::try_from(fraction.len()).ok()?).ok()
}
