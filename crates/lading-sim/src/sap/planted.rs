//! SAP's own customs lines: what the customs-line generator makes of the dataset, as the report
//! prints it, with a known set of discrepancies planted and recorded one by one.
//!
//! Each planted change touches one line of one entry (never two changes in the same entry), so
//! the list is exactly the line-level differences a correct comparison under the default
//! tolerances reports as `warn` or `fail`. Entry totals (value, duty, MPF …) of those entries
//! differ as a consequence and are not listed separately. The report's own rounding (net kg to
//! three decimals) produces within-tolerance (`match`) differences only.

use std::collections::HashSet;

use lading_customs::generate::{Reference, generate};
use lading_customs::model::{CustomsLine, LinePart, Unit};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::catalogue::round;
use super::dataset::{CustomsReport, ImporterDataset};

/// One difference SAP's report carries on purpose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantedDiscrepancy {
    pub entry_number: String,
    /// The generated line's number; for an extra line, the reported line's.
    pub line_number: u16,
    /// The comparison's name for the field: `duty`, `hts_number`, `chapter99_order`,
    /// `gross_kg`, `entered_value`, `line`, `origin`, `mid`, `mpf`, `hmf`, `quantity`.
    pub field: String,
    /// The HTS number a `duty` or `hts_number` difference belongs to.
    pub hts_number: Option<String>,
    /// The generated value and the reported one, as text.
    pub generated: String,
    pub reported: String,
    /// What the default tolerances make of it: `warn` or `fail`.
    pub severity: String,
    pub description: String,
}

/// The kinds of change planted, in the order they are tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plant {
    /// A Chapter 99 duty $3.00 too high: fail.
    DutyOff,
    /// A duty $0.40 too high: warn.
    DutyRounding,
    /// A Chapter 99 number left out.
    NumberMissing,
    /// The first two Chapter 99 numbers swapped.
    OrderSwapped,
    /// Gross weight 5 % too high.
    GrossOff,
    /// Entered value $3 too high: warn.
    ValueOff,
    /// A whole line left out.
    LineMissing,
    /// A line reported twice, under a new number.
    ExtraLine,
    /// The origin of a Vietnamese line reported as China.
    WrongOrigin,
    /// The MPF $2.00 too high.
    MpfOff,
    /// The HMF of a vessel line left at zero.
    HmfMissing,
    /// One piece too many.
    QuantityOff,
    /// A typo in the MID.
    MidTypo,
}

const PLANTS: [Plant; 13] = [
    Plant::DutyOff,
    Plant::DutyRounding,
    Plant::NumberMissing,
    Plant::OrderSwapped,
    Plant::GrossOff,
    Plant::ValueOff,
    Plant::LineMissing,
    Plant::ExtraLine,
    Plant::WrongOrigin,
    Plant::MpfOff,
    Plant::HmfMissing,
    Plant::QuantityOff,
    Plant::MidTypo,
];

/// Generates the dataset's customs lines and SAP's version of them.
pub(crate) fn customs_report(dataset: &ImporterDataset, rng: &mut ChaCha8Rng) -> CustomsReport {
    let products = dataset.product_map();
    let packaging = dataset.packaging_map();
    let hts = dataset.hts_map();
    let reference = Reference { products: &products, packaging: &packaging, hts: &hts, rules: &dataset.tariff_rules };
    let generated = generate(&dataset.invoice_items(), &reference);
    let mut reported: Vec<CustomsLine> = generated.lines.iter().map(as_reported).collect();
    let planted = plant(&mut reported, rng);
    CustomsReport { generated: generated.lines, issues: generated.issues, reported, planted }
}

/// A line as ET_CUSTOMS carries it: net kg to three decimals, no programmes, flags or trace.
fn as_reported(line: &CustomsLine) -> CustomsLine {
    let mut line = line.clone();
    line.net_kg = round(line.net_kg, 3);
    for tariff in &mut line.tariffs {
        tariff.programme = None;
    }
    line.flags.clear();
    line.trace.clear();
    line
}

fn money(value: Decimal) -> String {
    let mut value = round(value, 2);
    value.rescale(2);
    value.to_string()
}

/// Applies one change of each kind to a distinct entry, drawn with `rng`; returns what it did.
fn plant(lines: &mut Vec<CustomsLine>, rng: &mut ChaCha8Rng) -> Vec<PlantedDiscrepancy> {
    let mut used: HashSet<String> = HashSet::new();
    let mut planted = Vec::new();
    for kind in PLANTS {
        let mut candidates: Vec<usize> = (0..lines.len())
            .filter(|&index| !used.contains(&lines[index].entry_number) && eligible(kind, lines, index))
            .collect();
        candidates.shuffle(rng);
        let Some(&index) = candidates.first() else {
            continue;
        };
        used.insert(lines[index].entry_number.clone());
        planted.push(apply(kind, lines, index, rng));
    }
    lines.sort_by(|a, b| a.entry_number.cmp(&b.entry_number).then(a.line_number.cmp(&b.line_number)));
    planted
}

/// The Chapter 98/99 numbers of a line (all tariffs but the commodity, which is last).
fn chapter99(line: &CustomsLine) -> &[lading_customs::model::LineTariff] {
    &line.tariffs[..line.tariffs.len().saturating_sub(1)]
}

fn pieces(line: &CustomsLine) -> Option<Decimal> {
    line.quantities.iter().find(|(unit, _)| *unit == Unit::Number).map(|(_, quantity)| *quantity)
}

fn eligible(kind: Plant, lines: &[CustomsLine], index: usize) -> bool {
    let line = &lines[index];
    let entry_lines = lines.iter().filter(|other| other.entry_number == line.entry_number).count();
    match kind {
        Plant::DutyOff => chapter99(line).iter().any(|tariff| tariff.duty >= Decimal::from(100)),
        Plant::DutyRounding => line.tariffs.iter().any(|tariff| tariff.duty >= Decimal::from(50)),
        Plant::NumberMissing => chapter99(line).iter().any(|tariff| tariff.duty > Decimal::ZERO),
        Plant::OrderSwapped => chapter99(line).len() >= 2,
        Plant::GrossOff => line.gross_kg >= Decimal::from(100),
        Plant::ValueOff => line.entered_value >= Decimal::from(1000),
        Plant::LineMissing => entry_lines >= 2,
        Plant::ExtraLine => line.part == LinePart::Whole && line.entered_value > Decimal::ZERO,
        Plant::WrongOrigin => line.origin == "VN",
        Plant::MpfOff => line.mpf > Decimal::ZERO,
        Plant::HmfMissing => line.hmf >= Decimal::ONE,
        Plant::QuantityOff => line.part != LinePart::Metal && pieces(line).is_some_and(|q| q >= Decimal::ONE),
        Plant::MidTypo => line.mid.len() >= 5,
    }
}

fn record(
    line: &CustomsLine,
    field: &str,
    hts_number: Option<String>,
    values: (String, String),
    severity: &str,
    description: String,
) -> PlantedDiscrepancy {
    PlantedDiscrepancy {
        entry_number: line.entry_number.clone(),
        line_number: line.line_number,
        field: field.to_string(),
        hts_number,
        generated: values.0,
        reported: values.1,
        severity: severity.to_string(),
        description,
    }
}

fn apply(kind: Plant, lines: &mut Vec<CustomsLine>, index: usize, rng: &mut ChaCha8Rng) -> PlantedDiscrepancy {
    let at = |line: &CustomsLine| format!("entry {} line {:03}", line.entry_number, line.line_number);
    match kind {
        Plant::DutyOff | Plant::DutyRounding => {
            let (extra, floor, severity, why) = if kind == Plant::DutyOff {
                (Decimal::from(3), Decimal::from(100), "fail", "a duty off by a few dollars")
            } else {
                (Decimal::new(40, 2), Decimal::from(50), "warn", "a duty off by 40 cents (within the $1 warn band)")
            };
            let line = &mut lines[index];
            let count = if kind == Plant::DutyOff { line.tariffs.len().saturating_sub(1) } else { line.tariffs.len() };
            let options: Vec<usize> = (0..count).filter(|&i| line.tariffs[i].duty >= floor).collect();
            let position = options[rng.random_range(0..options.len())];
            let before = line.tariffs[position].duty;
            line.tariffs[position].duty = before + extra;
            let number = line.tariffs[position].hts_number.clone();
            let description = format!(
                "{}: {why}: duty of {number} generated {} → reported {}",
                at(line),
                money(before),
                money(before + extra)
            );
            record(
                line,
                "duty",
                Some(number),
                (before.to_string(), (before + extra).to_string()),
                severity,
                description,
            )
        }
        Plant::NumberMissing => {
            let line = &mut lines[index];
            let options: Vec<usize> =
                (0..line.tariffs.len() - 1).filter(|&i| line.tariffs[i].duty > Decimal::ZERO).collect();
            let position = options[rng.random_range(0..options.len())];
            let removed = line.tariffs.remove(position);
            let generated = format!("{} duty {}", removed.rate_text, removed.duty);
            let description = format!(
                "{}: Chapter 99 number {} ({}, duty {}) missing from the report",
                at(line),
                removed.hts_number,
                removed.rate_text,
                money(removed.duty)
            );
            record(line, "hts_number", Some(removed.hts_number), (generated, "absent".to_string()), "fail", description)
        }
        Plant::OrderSwapped => {
            let line = &mut lines[index];
            let before = chapter99(line).iter().map(|t| t.hts_number.clone()).collect::<Vec<_>>().join(" ");
            line.tariffs.swap(0, 1);
            let after = chapter99(line).iter().map(|t| t.hts_number.clone()).collect::<Vec<_>>().join(" ");
            let description = format!("{}: Chapter 99 order swapped: generated {before} → reported {after}", at(line));
            record(line, "chapter99_order", None, (before, after), "fail", description)
        }
        Plant::GrossOff => {
            let line = &mut lines[index];
            let before = line.gross_kg;
            let after = round(before * Decimal::new(105, 2), 0);
            line.gross_kg = after;
            let description =
                format!("{}: gross weight 5 % high: generated {before} kg → reported {after} kg", at(line));
            record(line, "gross_kg", None, (before.to_string(), after.to_string()), "fail", description)
        }
        Plant::ValueOff => {
            let line = &mut lines[index];
            let before = line.entered_value;
            let after = before + Decimal::from(3);
            line.entered_value = after;
            let description = format!(
                "{}: entered value $3 high: generated {before} → reported {after} (within 0.5 %: warn)",
                at(line)
            );
            record(line, "entered_value", None, (before.to_string(), after.to_string()), "warn", description)
        }
        Plant::LineMissing => {
            let removed = lines.remove(index);
            let commodity = removed.commodity().map(|t| t.hts_number.clone()).unwrap_or_default();
            let description = format!(
                "{}: line missing from the report ({commodity}, {}, value {})",
                at(&removed),
                removed.origin,
                removed.entered_value
            );
            record(
                &removed,
                "line",
                None,
                (format!("line {:03}", removed.line_number), "absent".to_string()),
                "fail",
                description,
            )
        }
        Plant::ExtraLine => {
            let entry = lines[index].entry_number.clone();
            let last = lines.iter().filter(|line| line.entry_number == entry).map(|line| line.line_number).max();
            let mut extra = lines[index].clone();
            extra.line_number = last.unwrap_or(extra.line_number) + 1;
            let description = format!(
                "{}: extra line in the report, a copy of line {:03} ({}, value {})",
                at(&extra),
                lines[index].line_number,
                extra.commodity().map(|t| t.hts_number.clone()).unwrap_or_default(),
                extra.entered_value
            );
            let planted = record(
                &extra,
                "line",
                None,
                ("absent".to_string(), format!("line {:03}", extra.line_number)),
                "fail",
                description,
            );
            lines.push(extra);
            planted
        }
        Plant::WrongOrigin => {
            let line = &mut lines[index];
            let before = line.origin.clone();
            line.origin = "CN".to_string();
            let description = format!("{}: wrong origin: generated {before} → reported CN", at(line));
            record(line, "origin", None, (before, "CN".to_string()), "fail", description)
        }
        Plant::MpfOff => {
            let line = &mut lines[index];
            let before = line.mpf;
            let after = before + Decimal::TWO;
            line.mpf = after;
            let description =
                format!("{}: MPF $2 high: generated {} → reported {}", at(line), money(before), money(after));
            record(line, "mpf", None, (before.to_string(), after.to_string()), "fail", description)
        }
        Plant::HmfMissing => {
            let line = &mut lines[index];
            let before = line.hmf;
            line.hmf = Decimal::ZERO;
            let description =
                format!("{}: HMF missing on a vessel line: generated {} → reported 0.00", at(line), money(before));
            record(line, "hmf", None, (before.to_string(), "0".to_string()), "fail", description)
        }
        Plant::QuantityOff => {
            let line = &mut lines[index];
            let mut values = (String::new(), String::new());
            for (unit, quantity) in &mut line.quantities {
                if *unit == Unit::Number {
                    values = (format!("{quantity} No."), format!("{} No.", *quantity + Decimal::ONE));
                    *quantity += Decimal::ONE;
                    break;
                }
            }
            let description =
                format!("{}: one piece too many: generated {} → reported {}", at(line), values.0, values.1);
            record(line, "quantity", None, values, "fail", description)
        }
        Plant::MidTypo => {
            let line = &mut lines[index];
            let before = line.mid.clone();
            // The last letter of the city mistyped.
            let mut characters: Vec<char> = before.chars().collect();
            let last = characters.len() - 1;
            characters[last] = if characters[last] == 'X' { 'Y' } else { 'X' };
            let after: String = characters.into_iter().collect();
            line.mid = after.clone();
            let description = format!("{}: MID typo: generated {before} → reported {after}", at(line));
            record(line, "mid", None, (before, after), "fail", description)
        }
    }
}
