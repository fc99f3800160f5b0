//! Units of quantity as the USITC export spells them (`No.`, `kg`, `doz.`, `m²`/`m2`, the odd
//! stray space or `No. and kg`), normalised to [`Unit`].

use crate::model::Unit;

/// Normalises one unit as published: `No.` → `Number`, `kg` → `Kilograms`, `doz.` →
/// `Dozens`, `X` → `NoQuantity`, `m²`/`m2` → `Other("m2")`. Whitespace around and inside is
/// tidied; anything unknown is kept as `Other` with its spelling (so `Cu kg` stays `Cu kg`).
/// An empty input gives `Other("")`: the parser reports such entries as problems.
pub fn normalise_unit(raw: &str) -> Unit {
    // The common spellings, without allocating.
    match raw.trim() {
        "kg" => return Unit::Kilograms,
        "No." => return Unit::Number,
        "doz." => return Unit::Dozens,
        "X" => return Unit::NoQuantity,
        _ => {}
    }
    let tidy = tidy_unit(raw);
    let known = match tidy.to_ascii_lowercase().as_str() {
        "no." | "no" | "number" => Some(Unit::Number),
        "kg" | "kg." | "kgs" => Some(Unit::Kilograms),
        "doz." | "doz" | "dz" | "dz." => Some(Unit::Dozens),
        "x" => Some(Unit::NoQuantity),
        _ => None,
    };
    known.unwrap_or(Unit::Other(tidy))
}

/// Trims, collapses inner whitespace to one space and writes superscript powers as digits.
fn tidy_unit(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for ch in word.chars() {
            out.push(match ch {
                '²' => '2',
                '³' => '3',
                other => other,
            });
        }
    }
    out
}

/// What was odd about a unit entry, if anything.
pub(crate) enum UnitReading {
    /// A clean entry (known variants such as `m²` for `m2` are clean).
    Clean(Unit),
    /// Read, but the entry had whitespace around or inside it that the export should not have.
    StrayWhitespace(Unit),
    /// Several units in one entry (`No. and kg`), read as each of them.
    Compound(Vec<Unit>),
    /// Nothing but whitespace: dropped.
    Empty,
}

/// Reads one unit entry and says what was odd about it.
pub(crate) fn read_unit(raw: &str) -> UnitReading {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return UnitReading::Empty;
    }
    if trimmed.contains(" and ") {
        return UnitReading::Compound(
            trimmed.split(" and ").filter(|part| !part.trim().is_empty()).map(normalise_unit).collect(),
        );
    }
    let unit = normalise_unit(trimmed);
    // A single space between words (`doz. prs.`, `Cu kg`) is the export's own spelling.
    let untidy = trimmed.len() != raw.len()
        || trimmed.contains("  ")
        || trimmed.chars().any(|ch| ch.is_whitespace() && ch != ' ');
    if untidy { UnitReading::StrayWhitespace(unit) } else { UnitReading::Clean(unit) }
}
