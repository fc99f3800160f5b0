//! The compact form both sides of a comparison are held in: one fixed-size record per line, one
//! per HTS number, every text interned once, so a million lines need no per-field allocation.
//!
//! A [`LineTable`] keeps texts as given (trimmed); the comparison maps them to canonical forms
//! (dotted HTS, upper-case origins …) once per distinct text, never once per line.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::{CustomsLine, LinePart, LineTariff, Programme, Unit};

/// An interned text: an index into an [`Interner`].
pub(crate) type Sym = u32;

/// Each distinct text once, in one buffer, found again by an open-addressing hash table.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    text: String,
    ends: Vec<usize>,
    hashes: Vec<u64>,
    /// 0 is an empty slot, otherwise the id plus one.
    slots: Vec<u32>,
}

impl Interner {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, sym: Sym) -> &str {
        let index = sym as usize;
        let Some(&end) = self.ends.get(index) else {
            return "";
        };
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        self.text.get(start..end).unwrap_or("")
    }

    pub(crate) fn lookup(&self, text: &str) -> Option<Sym> {
        self.find(text.as_bytes(), hash_bytes(text.as_bytes()))
    }

    pub(crate) fn intern(&mut self, text: &str) -> Sym {
        let hash = hash_bytes(text.as_bytes());
        if let Some(sym) = self.find(text.as_bytes(), hash) {
            return sym;
        }
        self.insert(text, hash)
    }

    /// Interns bytes that must be UTF-8; they are checked only when first seen.
    pub(crate) fn intern_bytes(&mut self, bytes: &[u8]) -> Result<Sym, std::str::Utf8Error> {
        let hash = hash_bytes(bytes);
        if let Some(sym) = self.find(bytes, hash) {
            return Ok(sym);
        }
        let text = std::str::from_utf8(bytes)?;
        Ok(self.insert(text, hash))
    }

    /// Like [`Interner::intern_bytes`], first trying `recent`: entry numbers, HTS numbers,
    /// rates and origins repeat row after row, and a hit costs one 16-byte comparison.
    #[inline]
    pub(crate) fn intern_bytes_recent(
        &mut self,
        bytes: &[u8],
        recent: &mut RecentTexts,
    ) -> Result<Sym, std::str::Utf8Error> {
        let Some(key) = RecentTexts::pack(bytes) else {
            return self.intern_bytes(bytes);
        };
        let slot = RecentTexts::slot(key, bytes.len());
        let (cached_key, cached_len, cached_sym) = recent.keys[slot];
        if cached_key == key && cached_len == bytes.len() {
            return Ok(cached_sym);
        }
        let sym = self.intern_bytes(bytes)?;
        recent.keys[slot] = (key, bytes.len(), sym);
        Ok(sym)
    }

    fn find(&self, bytes: &[u8], hash: u64) -> Option<Sym> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut slot = slot_of(hash, mask);
        loop {
            let entry = self.slots[slot];
            if entry == 0 {
                return None;
            }
            let sym = entry - 1;
            if self.hashes[sym as usize] == hash && self.get(sym).as_bytes() == bytes {
                return Some(sym);
            }
            slot = (slot + 1) & mask;
        }
    }

    fn insert(&mut self, text: &str, hash: u64) -> Sym {
        if (self.ends.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let sym = self.ends.len() as Sym;
        self.text.push_str(text);
        self.ends.push(self.text.len());
        self.hashes.push(hash);
        self.place(sym, hash);
        sym
    }

    fn place(&mut self, sym: Sym, hash: u64) {
        let mask = self.slots.len() - 1;
        let mut slot = slot_of(hash, mask);
        while self.slots[slot] != 0 {
            slot = (slot + 1) & mask;
        }
        self.slots[slot] = sym + 1;
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(64);
        self.slots = vec![0; capacity];
        for sym in 0..self.hashes.len() {
            self.place(sym as Sym, self.hashes[sym]);
        }
    }
}

/// A direct-mapped cache of short texts (up to 16 bytes, packed into a `u128` with
/// overlapping loads, plus their length) and their ids in one interner.
#[derive(Clone, Debug)]
pub(crate) struct RecentTexts {
    keys: Vec<(u128, usize, Sym)>,
}

impl Default for RecentTexts {
    fn default() -> Self {
        // No text has this length, so empty slots never match.
        RecentTexts { keys: vec![(0, usize::MAX, 0); RecentTexts::SLOTS] }
    }
}

impl RecentTexts {
    const SLOTS: usize = 1024;

    /// The first and last eight (or four, or one) bytes: with the length, the whole text.
    #[inline(always)]
    fn pack(bytes: &[u8]) -> Option<u128> {
        let len = bytes.len();
        let load8 = |at: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(word)
        };
        let load4 = |at: usize| {
            let mut word = [0u8; 4];
            word.copy_from_slice(&bytes[at..at + 4]);
            u64::from(u32::from_le_bytes(word))
        };
        let (low, high) = match len {
            0 => (0, 0),
            1..=3 => (u64::from(bytes[0]) | (u64::from(bytes[len / 2]) << 8) | (u64::from(bytes[len - 1]) << 16), 0),
            4..=7 => (load4(0), load4(len - 4)),
            8..=16 => (load8(0), load8(len - 8)),
            _ => return None,
        };
        Some(u128::from(low) | (u128::from(high) << 64))
    }

    fn slot(key: u128, len: usize) -> usize {
        let folded = (key as u64) ^ ((key >> 64) as u64).rotate_left(29) ^ len as u64;
        (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) as usize
    }
}

fn slot_of(hash: u64, mask: usize) -> usize {
    ((hash ^ (hash >> 29)) as usize) & mask
}

/// A fast, non-cryptographic hash (the Fx scheme): the inputs are our own tables, not an
/// adversary's keys.
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    const SEED: u64 = 0x517c_c1b7_2722_0a95;
    let mut hash = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
    }
    hash
}

/// A map from `u64` keys to `u32` values, open addressing, key and value side by side (one
/// cache miss a probe); `u64::MAX` cannot be a key.
#[derive(Clone, Debug, Default)]
pub(crate) struct U64Map {
    slots: Vec<(u64, u32)>,
    len: usize,
}

impl U64Map {
    pub(crate) fn with_capacity(items: usize) -> Self {
        let capacity = (items * 2).next_power_of_two().max(16);
        U64Map { slots: vec![(u64::MAX, 0); capacity], len: 0 }
    }

    fn slot(key: u64, mask: usize) -> usize {
        let hash = key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        ((hash >> 32) as usize ^ hash as usize) & mask
    }

    /// Inserts when absent; returns the value already there otherwise.
    pub(crate) fn insert_if_absent(&mut self, key: u64, value: u32) -> Option<u32> {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut slot = Self::slot(key, mask);
        loop {
            let (found, existing) = self.slots[slot];
            if found == key {
                return Some(existing);
            }
            if found == u64::MAX {
                self.slots[slot] = (key, value);
                self.len += 1;
                return None;
            }
            slot = (slot + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        self.slots = vec![(u64::MAX, 0); (old.len() * 2).max(16)];
        self.len = 0;
        for (key, value) in old {
            if key != u64::MAX {
                self.insert_if_absent(key, value);
            }
        }
    }
}

/// The key of a line within one entry: the entry's id and the line number.
pub(crate) fn line_key(entry: Sym, line_number: u16) -> u64 {
    (u64::from(entry) << 16) | u64::from(line_number)
}

/// One customs line, with texts interned and its HTS numbers and quantities elsewhere.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineRec {
    pub entry: Sym,
    pub origin: Sym,
    pub mid: Sym,
    /// The empty text when the line has no SPI.
    pub spi: Sym,
    pub tariff_start: u32,
    pub quantity_start: u32,
    /// Where the line came from: its first CSV row, or its position (from 1) in a slice.
    pub row: u32,
    pub entry_date: NaiveDate,
    pub line_number: u16,
    pub tariff_len: u16,
    pub quantity_len: u16,
    pub part: LinePart,
    pub related_party: bool,
    pub entered_value: Decimal,
    pub charges: Decimal,
    pub gross_kg: Decimal,
    pub net_kg: Decimal,
    pub mpf: Decimal,
    pub hmf: Decimal,
}

/// One HTS number of a line.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TariffRec {
    pub hts: Sym,
    pub rate: Sym,
    pub duty: Decimal,
    /// Position on the line as given (CSV `seq`); lines keep their numbers sorted by it.
    pub seq: u16,
    pub programme: Option<Programme>,
}

/// One quantity of a line, in one unit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QuantityRec {
    pub unit: Sym,
    pub value: Decimal,
}

/// Customs lines in compact form: what the comparison works on.
///
/// Build one from lines ([`LineTable::from_lines`]) or straight from CSV
/// ([`LineTable::from_csv`], [`crate::lines_csv::LinesCsvReader`]) without ever holding a
/// [`CustomsLine`] per line; [`LineTable::to_lines`] gives the lines back.
#[derive(Clone, Debug, Default)]
pub struct LineTable {
    pub(crate) lines: Vec<LineRec>,
    pub(crate) tariffs: Vec<TariffRec>,
    pub(crate) quantities: Vec<QuantityRec>,
    pub(crate) entries: Interner,
    pub(crate) hts: Interner,
    pub(crate) rates: Interner,
    /// Origins, MIDs, SPIs and units.
    pub(crate) codes: Interner,
}

impl LineTable {
    /// The number of lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The number of HTS numbers over all lines (CSV rows).
    pub fn tariff_count(&self) -> usize {
        self.tariffs.len()
    }

    /// Reads lines written as CSV (see [`crate::lines_csv`]) straight into compact form.
    pub fn from_csv(bytes: &[u8]) -> Result<LineTable, crate::lines_csv::LinesCsvError> {
        let mut reader = crate::lines_csv::LinesCsvReader::with_size_hint(bytes.len());
        reader.feed(bytes)?;
        reader.finish()
    }

    /// The compact form of `lines`; each line's HTS numbers keep their order.
    pub fn from_lines(lines: &[CustomsLine]) -> LineTable {
        let mut table = LineTable {
            lines: Vec::with_capacity(lines.len()),
            tariffs: Vec::with_capacity(lines.len() * 3),
            quantities: Vec::with_capacity(lines.len()),
            ..LineTable::default()
        };
        for (index, line) in lines.iter().enumerate() {
            let tariff_start = table.tariffs.len() as u32;
            for (seq, tariff) in line.tariffs.iter().enumerate() {
                table.tariffs.push(TariffRec {
                    hts: table.hts.intern(&tariff.hts_number),
                    rate: table.rates.intern(&tariff.rate_text),
                    duty: tariff.duty,
                    seq: u16::try_from(seq + 1).unwrap_or(u16::MAX),
                    programme: tariff.programme,
                });
            }
            let quantity_start = table.quantities.len() as u32;
            for (unit, value) in &line.quantities {
                table.quantities.push(QuantityRec { unit: table.codes.intern(Unit::text(unit)), value: *value });
            }
            table.lines.push(LineRec {
                entry: table.entries.intern(&line.entry_number),
                origin: table.codes.intern(&line.origin),
                mid: table.codes.intern(&line.mid),
                spi: table.codes.intern(line.spi.as_deref().unwrap_or("")),
                tariff_start,
                quantity_start,
                row: u32::try_from(index + 1).unwrap_or(u32::MAX),
                entry_date: line.entry_date,
                line_number: line.line_number,
                tariff_len: u16::try_from(line.tariffs.len()).unwrap_or(u16::MAX),
                quantity_len: u16::try_from(line.quantities.len()).unwrap_or(u16::MAX),
                part: line.part,
                related_party: line.related_party,
                entered_value: line.entered_value,
                charges: line.charges,
                gross_kg: line.gross_kg,
                net_kg: line.net_kg,
                mpf: line.mpf,
                hmf: line.hmf,
            });
        }
        table
    }

    /// The lines back, texts as given; `flags` and `trace` are empty (CSV carries neither).
    pub fn to_lines(&self) -> Vec<CustomsLine> {
        self.lines
            .iter()
            .map(|line| {
                let spi = self.codes.get(line.spi);
                CustomsLine {
                    entry_number: self.entries.get(line.entry).to_owned(),
                    entry_date: line.entry_date,
                    line_number: line.line_number,
                    part: line.part,
                    origin: self.codes.get(line.origin).to_owned(),
                    mid: self.codes.get(line.mid).to_owned(),
                    spi: (!spi.is_empty()).then(|| spi.to_owned()),
                    related_party: line.related_party,
                    tariffs: self
                        .tariffs_of(line)
                        .iter()
                        .map(|tariff| LineTariff {
                            hts_number: self.hts.get(tariff.hts).to_owned(),
                            programme: tariff.programme,
                            rate_text: self.rates.get(tariff.rate).to_owned(),
                            duty: tariff.duty,
                        })
                        .collect(),
                    entered_value: line.entered_value,
                    charges: line.charges,
                    gross_kg: line.gross_kg,
                    net_kg: line.net_kg,
                    quantities: self
                        .quantities_of(line)
                        .iter()
                        .map(|quantity| (unit_from_text(self.codes.get(quantity.unit)), quantity.value))
                        .collect(),
                    mpf: line.mpf,
                    hmf: line.hmf,
                    flags: Vec::new(),
                    trace: Vec::new(),
                }
            })
            .collect()
    }

    pub(crate) fn tariffs_of(&self, line: &LineRec) -> &[TariffRec] {
        let start = line.tariff_start as usize;
        self.tariffs.get(start..start + usize::from(line.tariff_len)).unwrap_or(&[])
    }

    pub(crate) fn quantities_of(&self, line: &LineRec) -> &[QuantityRec] {
        let start = line.quantity_start as usize;
        self.quantities.get(start..start + usize::from(line.quantity_len)).unwrap_or(&[])
    }
}

/// The unit a text names; SAP's `NO`, `KG`, `DOZ` are accepted, anything else is kept.
pub fn unit_from_text(text: &str) -> Unit {
    match canonical_unit(text).as_ref() {
        "No." => Unit::Number,
        "kg" => Unit::Kilograms,
        "doz." => Unit::Dozens,
        "X" => Unit::NoQuantity,
        _ => Unit::Other(text.trim().to_owned()),
    }
}

/// The comparison's form of an entry number: no spaces or dashes, upper case
/// (`ABC-1234567-8` and `abc12345678` are one entry).
pub(crate) fn canonical_entry(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    if trimmed.bytes().all(|b| b != b'-' && b != b' ' && !b.is_ascii_lowercase()) {
        return Cow::Borrowed(trimmed);
    }
    Cow::Owned(trimmed.chars().filter(|c| *c != '-' && *c != ' ').flat_map(char::to_uppercase).collect())
}

/// The comparison's form of an HTS number: dotted (`9403200035` and `9403 20 00 35` are
/// `9403.20.00.35`); a text with other characters is only trimmed and upper-cased.
pub(crate) fn canonical_hts(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    if !trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b' ') {
        return Cow::Owned(trimmed.to_uppercase());
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let dotted = match digits.len() {
        10 => format!("{}.{}.{}.{}", &digits[..4], &digits[4..6], &digits[6..8], &digits[8..]),
        8 => format!("{}.{}.{}", &digits[..4], &digits[4..6], &digits[6..]),
        6 => format!("{}.{}", &digits[..4], &digits[4..]),
        _ => digits,
    };
    if dotted == trimmed { Cow::Borrowed(trimmed) } else { Cow::Owned(dotted) }
}

/// Trimmed and upper-cased: origins and SPIs.
pub(crate) fn canonical_code(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    if trimmed.bytes().any(|b| b.is_ascii_lowercase()) || !trimmed.is_ascii() {
        Cow::Owned(trimmed.to_uppercase())
    } else {
        Cow::Borrowed(trimmed)
    }
}

/// Trimmed only: a MID's case is part of it.
pub(crate) fn canonical_mid(text: &str) -> Cow<'_, str> {
    Cow::Borrowed(text.trim())
}

/// `No.`, `kg`, `doz.`, `X` for the known units in any spelling SAP or the USITC uses; other
/// units trimmed and lower-cased.
pub(crate) fn canonical_unit(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    let known = match lower.as_str() {
        "no." | "no" | "pcs" | "st" => "No.",
        "kg" | "kg." | "kgs" => "kg",
        "doz." | "doz" => "doz.",
        "x" => "X",
        _ => return if lower == trimmed { Cow::Borrowed(trimmed) } else { Cow::Owned(lower) },
    };
    Cow::Borrowed(known)
}

/// The comparison's form of a rate: no spaces, lower case, percentages as numbers
/// (`25 %` = `25.00%`), and every zero rate (`Free`, `0`, `0%`) as `free`: a claim code's
/// `0` and a commodity's `Free` owe the same.
pub(crate) fn canonical_rate(text: &str) -> Cow<'_, str> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
    if compact == "free" {
        return Cow::Borrowed("free");
    }
    let number = compact.strip_suffix('%').unwrap_or(&compact);
    if let Some(value) = crate::lines_csv::parse_amount(number.as_bytes()) {
        if value.is_zero() {
            return Cow::Borrowed("free");
        }
        return Cow::Owned(format!("{}%", value.normalize()));
    }
    if compact == text { Cow::Borrowed(text) } else { Cow::Owned(compact) }
}
