//! Weights and quantities of a line: gross kg (goods plus packaging, whole kg), net kg, and the
//! quantity in each unit of the HTS number (`No.` = pieces, `kg` = net kg, `doz.` = pieces / 12),
//! reported as whole numbers with a positive amount under one reported as one and flagged.

use rust_decimal::Decimal;

use super::rounding::{amount, whole_amount};
use super::{IssueCode, Problem};
use crate::model::Unit;

/// Base units (as normalised from SAP's `ST`, `PC`, `EA` …) that count pieces.
pub(crate) fn counts_pieces(base_unit: &str) -> bool {
    let unit = base_unit.trim();
    ["pieces", "piece", "pcs", "pc", "st", "ea", "each", "no", "no."].iter().any(|u| u.eq_ignore_ascii_case(unit))
}

/// How the HTS reference writes a unit.
pub(crate) fn unit_name(unit: &Unit) -> &str {
    match unit {
        Unit::Number => "No.",
        Unit::Kilograms => "kg",
        Unit::Dozens => "doz.",
        Unit::NoQuantity => "X",
        Unit::Other(other) => other,
    }
}

/// Why the units of an HTS number cannot be reported for a product, if they cannot.
pub(crate) fn unit_problem(units: &[Unit], base_unit: &str, hts10: &str) -> Option<Problem> {
    if units.is_empty() {
        return Some(Problem {
            code: IssueCode::HtsWithoutUnit,
            message: format!("hts {hts10} has no unit of quantity in the reference: reload the hts reference"),
        });
    }
    for unit in units {
        match unit {
            Unit::Kilograms | Unit::NoQuantity => {}
            Unit::Number | Unit::Dozens if counts_pieces(base_unit) => {}
            Unit::Number | Unit::Dozens => {
                return Some(Problem {
                    code: IssueCode::UnitWithoutConversion,
                    message: format!(
                        "hts {hts10} reports {} but the product's base unit {base_unit:?} is not pieces: \
                         maintain the product in pieces (ST) or add a conversion",
                        unit_name(unit)
                    ),
                });
            }
            Unit::Other(other) => {
                return Some(Problem {
                    code: IssueCode::UnitWithoutConversion,
                    message: format!(
                        "hts {hts10} reports in {other:?}, which has no conversion from the product master \
                         (only No., kg and doz. do): report this item by hand or add the conversion"
                    ),
                });
            }
        }
    }
    None
}

/// The quantity in `unit`, unrounded: `None` for a unit with no quantity or no conversion.
pub(crate) fn raw_quantity(unit: &Unit, pieces: Decimal, net_kg: Decimal) -> Option<Decimal> {
    match unit {
        Unit::Number => Some(pieces),
        Unit::Dozens => Some(pieces / Decimal::from(12)),
        Unit::Kilograms => Some(net_kg),
        Unit::NoQuantity | Unit::Other(_) => None,
    }
}

/// The reported quantities of a line, whole, flagging any under one.
pub(crate) fn line_quantities(
    units: &[Unit],
    pieces: Decimal,
    net_kg: Decimal,
    flags: &mut Vec<String>,
) -> Vec<(Unit, Decimal)> {
    let mut quantities = Vec::with_capacity(units.len());
    for unit in units {
        let Some(raw) = raw_quantity(unit, pieces, net_kg) else { continue };
        let (whole, raised) = whole_amount(raw);
        if raised {
            flags.push(format!("quantity {} {} is under 1: reported as 1", amount(raw.round_dp(3)), unit_name(unit)));
        }
        quantities.push((unit.clone(), whole));
    }
    quantities
}
