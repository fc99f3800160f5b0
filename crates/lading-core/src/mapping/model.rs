//! The canonical product model: the fixed set of fields every mapping's `canonical` stage
//! fills, each with its type, plus free `custom:NAME` properties.

use std::fmt;

/// A value type a rule can convert to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    String,
    Integer,
    Decimal,
    Boolean,
    Date,
    Ean13,
    Gtin14,
    Epc,
}

impl FieldType {
    pub const ALL: [FieldType; 8] = [
        FieldType::String,
        FieldType::Integer,
        FieldType::Decimal,
        FieldType::Boolean,
        FieldType::Date,
        FieldType::Ean13,
        FieldType::Gtin14,
        FieldType::Epc,
    ];

    /// The name used in mapping files.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Decimal => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Ean13 => "ean13",
            FieldType::Gtin14 => "gtin14",
            FieldType::Epc => "epc",
        }
    }

    pub fn from_name(name: &str) -> Option<FieldType> {
        FieldType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether the converted value is text that `case`, `pad` and `trim` may work on.
    pub fn is_text(self) -> bool {
        self == FieldType::String
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The prefix of a free property: `custom:COLOR` in `canonical` defines the property `COLOR`;
/// in `target` it writes `properties.COLOR`.
pub const CUSTOM_PREFIX: &str = "custom:";

/// The canonical product fields and their types, in the order the docs list them.
pub const CANONICAL_FIELDS: [(&str, FieldType); 15] = [
    ("external_id", FieldType::String),
    ("reference", FieldType::String),
    ("name", FieldType::String),
    ("short_name", FieldType::String),
    ("description", FieldType::String),
    ("ean", FieldType::Ean13),
    ("gtin", FieldType::Gtin14),
    ("epc", FieldType::Epc),
    ("inventory_unit", FieldType::String),
    ("pack_unit", FieldType::String),
    ("pack_factor", FieldType::Decimal),
    ("category", FieldType::String),
    ("active", FieldType::Boolean),
    ("weight_kg", FieldType::Decimal),
    ("created_on", FieldType::Date),
];

/// The canonical field every mapping must define; it becomes the target record's external id.
pub const EXTERNAL_ID: &str = "external_id";

/// The type of a canonical field, `None` for a name outside the model.
pub fn canonical_type(name: &str) -> Option<FieldType> {
    CANONICAL_FIELDS.iter().find(|(field, _)| *field == name).map(|(_, ty)| *ty)
}
