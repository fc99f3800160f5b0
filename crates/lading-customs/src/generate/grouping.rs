//! Grouping invoice items into lines, and the order lines are numbered in.
//!
//! Items share a line when they share the entry, invoice, HTS10, origin, MID, SPI, related-party
//! flag, AD/CVD case, Chapter 99 selection (the set of numbers that apply) and metal data
//! (whether the item declares metal content under a rule that splits). Within an entry, lines
//! are numbered 001.. in the order of: invoice, the group's first invoice item (numerically when
//! item numbers are digits, `000010` before `000020`), HTS10, origin, MID, SPI, related flag,
//! AD/CVD case, and non-metal before metal. A split group takes two consecutive numbers,
//! non-metal first. The order does not depend on the order of the input.

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::Decimal;

use crate::model::HtsEntry;

/// An ISO-2 country, upper case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Country([u8; 2]);

impl Country {
    /// Two ASCII letters, any case.
    pub(crate) fn parse(text: &str) -> Option<Country> {
        match text.trim().as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some(Country([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What items must share to be on one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct GroupKey<'a> {
    pub entry: &'a str,
    pub invoice: &'a str,
    pub hts10: &'a str,
    pub origin: Country,
    pub mid: &'a str,
    pub spi: &'a str,
    pub related_party: bool,
    pub adcvd_case: &'a str,
    /// The Chapter 99 selection (one per date, origin and HTS number).
    pub selection: usize,
    /// The items declare metal content under a rule that splits.
    pub metal: bool,
}

/// An invoice item number for ordering: digits by value, then text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ItemOrder<'a> {
    number: Option<u64>,
    text: &'a str,
}

impl<'a> ItemOrder<'a> {
    pub(crate) fn new(text: &'a str) -> ItemOrder<'a> {
        let text = text.trim();
        let number =
            if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) { text.parse().ok() } else { None };
        ItemOrder { number, text }
    }

    /// The item number as given, trimmed.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }
}

impl Ord for ItemOrder<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.number, other.number) {
            (Some(a), Some(b)) => a.cmp(&b).then_with(|| self.text.cmp(other.text)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.text.cmp(other.text),
        }
    }
}

impl PartialOrd for ItemOrder<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The items of one line, summed raw (rounding happens once, on the sums).
#[derive(Debug)]
pub(crate) struct Group<'a> {
    pub key: GroupKey<'a>,
    pub hts: &'a HtsEntry,
    /// Indexes of the items in the input.
    pub items: Vec<usize>,
    pub first_item: ItemOrder<'a>,
    pub value: Decimal,
    pub charges: Decimal,
    pub metal_value: Decimal,
    pub metal_kg: Decimal,
    /// Materials of the group with no metal kg per unit maintained.
    pub metal_kg_missing: Vec<&'a str>,
    pub pieces: Decimal,
    pub net_kg: Decimal,
    pub goods_gross_kg: Decimal,
    pub packaging_kg: Decimal,
}

impl<'a> Group<'a> {
    pub(crate) fn new(key: GroupKey<'a>, hts: &'a HtsEntry, first_item: ItemOrder<'a>) -> Group<'a> {
        Group {
            key,
            hts,
            items: Vec::new(),
            first_item,
            value: Decimal::ZERO,
            charges: Decimal::ZERO,
            metal_value: Decimal::ZERO,
            metal_kg: Decimal::ZERO,
            metal_kg_missing: Vec::new(),
            pieces: Decimal::ZERO,
            net_kg: Decimal::ZERO,
            goods_gross_kg: Decimal::ZERO,
            packaging_kg: Decimal::ZERO,
        }
    }

    /// The numbering order of groups within one entry (see the module doc).
    pub(crate) fn numbering_order(&self, other: &Group<'_>) -> Ordering {
        let (a, b) = (&self.key, &other.key);
        a.invoice
            .cmp(b.invoice)
            .then_with(|| self.first_item.cmp(&other.first_item))
            .then_with(|| a.hts10.cmp(b.hts10))
            .then_with(|| a.origin.cmp(&b.origin))
            .then_with(|| a.mid.cmp(b.mid))
            .then_with(|| a.spi.cmp(b.spi))
            .then_with(|| a.related_party.cmp(&b.related_party))
            .then_with(|| a.adcvd_case.cmp(b.adcvd_case))
            .then_with(|| a.metal.cmp(&b.metal))
            .then_with(|| a.selection.cmp(&b.selection))
    }
}
