//! Lenient, borrowing deserialisation of one row of the USITC export: every field is read
//! whatever its type, so a wrong type becomes a problem on that row instead of an error for the
//! whole file. Strings borrow from the input unless JSON escapes force a copy.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A text field as found in a row.
#[derive(Debug, Default)]
pub(crate) enum Text<'de> {
    /// Missing or `null`.
    #[default]
    Absent,
    Str(Cow<'de, str>),
    /// Present with another JSON type; the value names the type found (`"a number"` …).
    Wrong(&'static str),
}

/// The `units` list of a row.
#[derive(Debug, Default)]
pub(crate) enum Units<'de> {
    #[default]
    Absent,
    List(Vec<Text<'de>>),
    Wrong(&'static str),
}

/// The `footnotes` list of a row.
#[derive(Debug, Default)]
pub(crate) enum Footnotes<'de> {
    #[default]
    Absent,
    List(Vec<Footnote<'de>>),
    Wrong(&'static str),
}

/// One footnote: only its `value` matters here (`columns`, `type`, `marker` are skipped).
#[derive(Debug)]
pub(crate) enum Footnote<'de> {
    Entry { value: Text<'de> },
    NotAnObject(&'static str),
}

/// The fields of a row this parser uses; `indent`, `superior`, `quotaQuantity`,
/// `additionalDuties` and the misspelt `addiitionalDuties` are skipped unread.
#[derive(Debug, Default)]
pub(crate) struct Row<'de> {
    pub htsno: Text<'de>,
    pub description: Text<'de>,
    pub units: Units<'de>,
    pub general: Text<'de>,
    pub special: Text<'de>,
    pub other: Text<'de>,
    pub footnotes: Footnotes<'de>,
}

/// One element of the top-level list.
#[derive(Debug)]
pub(crate) enum RawRow<'de> {
    Row(Row<'de>),
    NotAnObject(&'static str),
}

/// Consumes a list the caller does not want, so the parser stays in step.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Consumes an object the caller does not want.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// The visitor methods every lenient type shares: scalars are a wrong type, `null` is absent.
macro_rules! lenient_scalars {
    ($absent:expr, $wrong:path) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($wrong("a boolean"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($wrong("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($wrong("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($wrong("a number"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($absent)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($absent)
        }
    };
}

/// The visitor methods for types that are not strings.
macro_rules! lenient_not_string {
    ($wrong:path) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($wrong("a string"))
        }
    };
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    lenient_scalars!(Text::Absent, Text::Wrong);

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Text::Wrong("a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map)?;
        Ok(Text::Wrong("an object"))
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct UnitsVisitor;

impl<'de> Visitor<'de> for UnitsVisitor {
    type Value = Units<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of units")
    }

    lenient_scalars!(Units::Absent, Units::Wrong);
    lenient_not_string!(Units::Wrong);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut units = Vec::new();
        while let Some(unit) = seq.next_element::<Text<'de>>()? {
            units.push(unit);
        }
        Ok(Units::List(units))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map)?;
        Ok(Units::Wrong("an object"))
    }
}

impl<'de> Deserialize<'de> for Units<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UnitsVisitor)
    }
}

struct FootnotesVisitor;

impl<'de> Visitor<'de> for FootnotesVisitor {
    type Value = Footnotes<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of footnotes")
    }

    lenient_scalars!(Footnotes::Absent, Footnotes::Wrong);
    lenient_not_string!(Footnotes::Wrong);

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut footnotes = Vec::new();
        while let Some(footnote) = seq.next_element::<Footnote<'de>>()? {
            footnotes.push(footnote);
        }
        Ok(Footnotes::List(footnotes))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map)?;
        Ok(Footnotes::Wrong("an object"))
    }
}

impl<'de> Deserialize<'de> for Footnotes<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FootnotesVisitor)
    }
}

/// The keys of a footnote object.
enum FootnoteKey {
    Value,
    Ignored,
}

struct FootnoteKeyVisitor;

impl Visitor<'_> for FootnoteKeyVisitor {
    type Value = FootnoteKey;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a footnote key")
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(if v == b"value" { FootnoteKey::Value } else { FootnoteKey::Ignored })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.visit_bytes(v.as_bytes())
    }
}

impl<'de> Deserialize<'de> for FootnoteKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // As bytes: serde_json then skips UTF-8 validation of keys it only compares.
        deserializer.deserialize_bytes(FootnoteKeyVisitor)
    }
}

struct FootnoteVisitor;

impl<'de> Visitor<'de> for FootnoteVisitor {
    type Value = Footnote<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a footnote object")
    }

    lenient_scalars!(Footnote::NotAnObject("null"), Footnote::NotAnObject);
    lenient_not_string!(Footnote::NotAnObject);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Footnote::NotAnObject("a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut value = Text::Absent;
        while let Some(key) = map.next_key::<FootnoteKey>()? {
            match key {
                FootnoteKey::Value => value = map.next_value()?,
                FootnoteKey::Ignored => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Footnote::Entry { value })
    }
}

impl<'de> Deserialize<'de> for Footnote<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FootnoteVisitor)
    }
}

/// The keys of a row object.
enum RowKey {
    Htsno,
    Description,
    Units,
    General,
    Special,
    Other,
    Footnotes,
    Ignored,
}

struct RowKeyVisitor;

impl Visitor<'_> for RowKeyVisitor {
    type Value = RowKey;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row key")
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(match v {
            b"htsno" => RowKey::Htsno,
            b"description" => RowKey::Description,
            b"units" => RowKey::Units,
            b"general" => RowKey::General,
            b"special" => RowKey::Special,
            b"other" => RowKey::Other,
            b"footnotes" => RowKey::Footnotes,
            _ => RowKey::Ignored,
        })
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.visit_bytes(v.as_bytes())
    }
}

impl<'de> Deserialize<'de> for RowKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // As bytes: serde_json then skips UTF-8 validation of keys it only compares.
        deserializer.deserialize_bytes(RowKeyVisitor)
    }
}

struct RowVisitor;

impl<'de> Visitor<'de> for RowVisitor {
    type Value = RawRow<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row object")
    }

    lenient_scalars!(RawRow::NotAnObject("null"), RawRow::NotAnObject);
    lenient_not_string!(RawRow::NotAnObject);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(RawRow::NotAnObject("a list"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut row = Row::default();
        while let Some(key) = map.next_key::<RowKey>()? {
            match key {
                RowKey::Htsno => row.htsno = map.next_value()?,
                RowKey::Description => row.description = map.next_value()?,
                RowKey::Units => row.units = map.next_value()?,
                RowKey::General => row.general = map.next_value()?,
                RowKey::Special => row.special = map.next_value()?,
                RowKey::Other => row.other = map.next_value()?,
                RowKey::Footnotes => row.footnotes = map.next_value()?,
                RowKey::Ignored => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(RawRow::Row(row))
    }
}

impl<'de> Deserialize<'de> for RawRow<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RowVisitor)
    }
}
