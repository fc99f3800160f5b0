//! How far a reported value may sit from the generated one, per field: customs.md's table as
//! defaults, and per tenant as JSON that overrides any subset of the fields.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The tolerance version this build reads.
pub const TOLERANCES_VERSION: u32 = 1;

/// Tolerances of the comparison. Money in US dollars, weights in kilograms, percentages as
/// numbers (`0.5` is 0.5 %). A percentage applies to the larger of the two values compared,
/// so swapping the sides never changes a verdict.
///
/// JSON names the fields to change and leaves the rest at their defaults:
/// `{"gross_kg_percent": "3"}` (numbers or strings; strings keep decimals exact).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tolerances {
    pub version: u32,
    /// Entered value per line: a difference up to this matches …
    pub entered_value_usd: Decimal,
    /// … beyond it, up to this percent of the value it warns; past that it fails.
    pub entered_value_warn_percent: Decimal,
    pub charges_usd: Decimal,
    pub charges_warn_percent: Decimal,
    /// Quantities in `No.`, `doz.` and any unit other than `kg`: 0 is exact.
    pub count_quantity: Decimal,
    /// Net kilograms (and quantities in `kg`): ± max(this, `net_kg_percent` %).
    pub net_kg_min_kg: Decimal,
    pub net_kg_percent: Decimal,
    /// Gross kilograms: ± max(this, `gross_kg_percent` %).
    pub gross_kg_min_kg: Decimal,
    pub gross_kg_percent: Decimal,
    /// Duty per HTS number: a difference up to this matches …
    pub duty_usd: Decimal,
    /// … up to this warns; past it fails.
    pub duty_warn_usd: Decimal,
    pub mpf_usd: Decimal,
    pub hmf_usd: Decimal,
    /// Entry totals (value, charges, duty, duty per programme, MPF, HMF): ± this × the
    /// entry's line count.
    pub entry_total_usd_per_line: Decimal,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            version: TOLERANCES_VERSION,
            entered_value_usd: Decimal::ONE,
            entered_value_warn_percent: Decimal::new(5, 1),
            charges_usd: Decimal::ONE,
            charges_warn_percent: Decimal::new(5, 1),
            count_quantity: Decimal::ZERO,
            net_kg_min_kg: Decimal::ONE,
            net_kg_percent: Decimal::ONE,
            gross_kg_min_kg: Decimal::ONE,
            gross_kg_percent: Decimal::TWO,
            duty_usd: Decimal::new(1, 2),
            duty_warn_usd: Decimal::ONE,
            mpf_usd: Decimal::new(1, 2),
            hmf_usd: Decimal::new(1, 2),
            entry_total_usd_per_line: Decimal::ONE,
        }
    }
}

/// Why tolerances could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TolerancesError {
    #[error("tolerances: {0}")]
    Json(String),
    #[error("tolerances: expected a json object, got {0}")]
    NotAnObject(&'static str),
    #[error("tolerances: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

impl Tolerances {
    /// The defaults overridden by the fields `json` names (a file's text).
    pub fn from_json(json: &str) -> Result<Tolerances, TolerancesError> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| TolerancesError::Json(e.to_string()))?;
        Tolerances::default().with_overrides(&value)
    }

    /// These tolerances with the fields `overrides` names replaced: a tenant config's
    /// `tolerances` object on top of the defaults or of a file (`{}` changes nothing).
    pub fn with_overrides(&self, overrides: &serde_json::Value) -> Result<Tolerances, TolerancesError> {
        let serde_json::Value::Object(fields) = overrides else {
            return Err(TolerancesError::NotAnObject(json_kind(overrides)));
        };
        let mut merged = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(other) => return Err(TolerancesError::NotAnObject(json_kind(&other))),
            Err(e) => return Err(TolerancesError::Json(e.to_string())),
        };
        for (name, value) in fields {
            merged.insert(name.clone(), value.clone());
        }
        let tolerances: Tolerances = serde_json::from_value(serde_json::Value::Object(merged))
            .map_err(|e| TolerancesError::Json(e.to_string()))?;
        tolerances.validate()?;
        Ok(tolerances)
    }

    /// Every problem at once: a known version, no negative tolerance.
    pub fn validate(&self) -> Result<(), TolerancesError> {
        let mut problems = Vec::new();
        if self.version != TOLERANCES_VERSION {
            problems.push(format!("version: {} is not supported, expected {TOLERANCES_VERSION}", self.version));
        }
        let fields = [
            ("entered_value_usd", self.entered_value_usd),
            ("entered_value_warn_percent", self.entered_value_warn_percent),
            ("charges_usd", self.charges_usd),
            ("charges_warn_percent", self.charges_warn_percent),
            ("count_quantity", self.count_quantity),
            ("net_kg_min_kg", self.net_kg_min_kg),
            ("net_kg_percent", self.net_kg_percent),
            ("gross_kg_min_kg", self.gross_kg_min_kg),
            ("gross_kg_percent", self.gross_kg_percent),
            ("duty_usd", self.duty_usd),
            ("duty_warn_usd", self.duty_warn_usd),
            ("mpf_usd", self.mpf_usd),
            ("hmf_usd", self.hmf_usd),
            ("entry_total_usd_per_line", self.entry_total_usd_per_line),
        ];
        for (name, value) in fields {
            if value.is_sign_negative() && !value.is_zero() {
                problems.push(format!("{name}: {value} is negative, expected 0 or more"));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(TolerancesError::Invalid(problems)) }
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
