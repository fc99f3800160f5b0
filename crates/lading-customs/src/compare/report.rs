//! What a comparison finds: counts by severity, then per entry the paired lines with their
//! differences, the lines only one side has, and the entry totals with the revenue impact.

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::tolerances::Tolerances;
use crate::lines_csv::push_csv_field;
use crate::model::Programme;

/// How much a difference matters. `Match` is a difference within tolerance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Match,
    Warn,
    Fail,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Match => "match",
            Severity::Warn => "warn",
            Severity::Fail => "fail",
        }
    }
}

/// What a difference is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Lines paired by best match under different numbers: a warning, not a customs value.
    LineNumber,
    EntryDate,
    Part,
    /// The commodity (Chapter 1–97) number.
    Hts10,
    /// The order of the Chapter 98/99 numbers both sides have.
    Chapter99Order,
    /// An HTS number one side has and the other does not.
    HtsNumber,
    Programme,
    Rate,
    Duty,
    Origin,
    Mid,
    Spi,
    RelatedParty,
    Units,
    Quantity,
    EnteredValue,
    Charges,
    GrossKg,
    NetKg,
    Mpf,
    Hmf,
    /// A whole line one side has and the other does not.
    Line,
    TotalEnteredValue,
    TotalCharges,
    TotalDuty,
    /// An entry's duty of one programme.
    ProgrammeDuty,
    TotalMpf,
    TotalHmf,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::LineNumber => "line_number",
            Field::EntryDate => "entry_date",
            Field::Part => "part",
            Field::Hts10 => "hts10",
            Field::Chapter99Order => "chapter99_order",
            Field::HtsNumber => "hts_number",
            Field::Programme => "programme",
            Field::Rate => "rate",
            Field::Duty => "duty",
            Field::Origin => "origin",
            Field::Mid => "mid",
            Field::Spi => "spi",
            Field::RelatedParty => "related_party",
            Field::Units => "units",
            Field::Quantity => "quantity",
            Field::EnteredValue => "entered_value",
            Field::Charges => "charges",
            Field::GrossKg => "gross_kg",
            Field::NetKg => "net_kg",
            Field::Mpf => "mpf",
            Field::Hmf => "hmf",
            Field::Line => "line",
            Field::TotalEnteredValue => "total_entered_value",
            Field::TotalCharges => "total_charges",
            Field::TotalDuty => "total_duty",
            Field::ProgrammeDuty => "programme_duty",
            Field::TotalMpf => "total_mpf",
            Field::TotalHmf => "total_hmf",
        }
    }
}

/// One field that differs: both values as the sides gave them, the tolerance applied, the
/// verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    pub field: Field,
    /// The HTS number the difference belongs to, for rate, duty, programme and presence.
    pub hts_number: Option<String>,
    pub generated: String,
    pub reported: String,
    /// Reported minus generated, for amounts.
    pub difference: Option<Decimal>,
    /// The tolerance as applied, e.g. `±1 USD, warn up to 0.5 % (460.00)`, or `exact`.
    pub tolerance: String,
    pub severity: Severity,
}

/// How two lines were found to belong together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairedBy {
    /// Same entry and line number, same commodity number and origin.
    LineNumber,
    /// Numbering differs: the closest line of the entry on HTS, origin, MID and value.
    BestMatch,
}

/// A generated line and the reported line it was paired with, when they differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinePair {
    pub generated_line: u16,
    pub reported_line: u16,
    pub paired_by: PairedBy,
    /// The generated side's commodity number.
    pub hts10: String,
    /// The worst of the differences.
    pub severity: Severity,
    pub differences: Vec<FieldDiff>,
}

/// A line one side has and the other does not: always a fail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnpairedLine {
    pub line_number: u16,
    pub part: &'static str,
    pub hts10: String,
    pub origin: String,
    pub mid: String,
    pub entered_value: Decimal,
    pub duty: Decimal,
    pub fees: Decimal,
}

/// One entry total on both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TotalComparison {
    pub generated: Decimal,
    pub reported: Decimal,
    /// Reported minus generated.
    pub difference: Decimal,
    pub severity: Severity,
}

/// Which duty an amount is: the commodity number's own (`general`), a Chapter 99 programme's,
/// or a Chapter 98/99 number neither side names a programme for (`unassigned`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DutyClass {
    General,
    Programme(Programme),
    Unassigned,
}

impl DutyClass {
    pub fn as_str(self) -> &'static str {
        match self {
            DutyClass::General => "general",
            DutyClass::Programme(programme) => Programme::code(programme),
            DutyClass::Unassigned => "unassigned",
        }
    }
}

impl Serialize for DutyClass {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An entry's duty of one class on both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProgrammeDuty {
    pub programme: DutyClass,
    pub generated: Decimal,
    pub reported: Decimal,
    pub difference: Decimal,
    pub severity: Severity,
}

/// An entry's totals on both sides, each within ± the tolerance per line × lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryTotals {
    pub generated_lines: u32,
    pub reported_lines: u32,
    /// The tolerance applied to every total: per-line tolerance × the larger line count.
    pub tolerance_usd: Decimal,
    pub entered_value: TotalComparison,
    pub charges: TotalComparison,
    pub duty: TotalComparison,
    pub duty_by_programme: Vec<ProgrammeDuty>,
    pub mpf: TotalComparison,
    pub hmf: TotalComparison,
    pub generated_duty_and_fees: Decimal,
    pub reported_duty_and_fees: Decimal,
    /// Reported duty and fees minus generated: positive when the ERP declares more than Lading
    /// computes (over-declared: money to recover), negative when it declares less
    /// (under-declared: exposure to CBP).
    pub revenue_impact: Decimal,
}

/// One entry: what was paired and how it differs, what only one side has, the totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryComparison {
    pub entry_number: String,
    /// The worst severity anywhere in the entry (`match` when nothing differs beyond
    /// tolerance).
    pub severity: Severity,
    pub paired_lines: u32,
    /// Paired lines without any difference; they are not listed in `pairs`.
    pub identical_lines: u32,
    /// Paired lines with at least one difference.
    pub pairs: Vec<LinePair>,
    pub unpaired_generated: Vec<UnpairedLine>,
    pub unpaired_reported: Vec<UnpairedLine>,
    pub totals: EntryTotals,
}

/// Counts of differences by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    #[serde(rename = "match")]
    pub matched: u64,
    pub warn: u64,
    pub fail: u64,
}

impl SeverityCounts {
    pub(crate) fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Match => self.matched += 1,
            Severity::Warn => self.warn += 1,
            Severity::Fail => self.fail += 1,
        }
    }
}

/// The sign convention of `revenue_impact`, carried in the report so it reads on its own.
pub const REVENUE_IMPACT_SIGN: &str = "reported minus generated duty and fees: positive = the ERP declares more than Lading computes (over-declared), negative = less (under-declared)";

/// The whole comparison at a glance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub generated_lines: u64,
    pub reported_lines: u64,
    pub entries: u64,
    pub entries_failed: u64,
    pub paired_lines: u64,
    pub paired_by_line_number: u64,
    pub paired_by_best_match: u64,
    pub identical_lines: u64,
    pub unpaired_generated: u64,
    pub unpaired_reported: u64,
    /// Every difference by severity: field differences, unpaired lines (fail) and entry
    /// totals that differ.
    pub differences: SeverityCounts,
    /// Paired lines by their worst difference (identical lines not counted).
    pub lines_by_severity: SeverityCounts,
    pub generated_duty_and_fees: Decimal,
    pub reported_duty_and_fees: Decimal,
    pub revenue_impact: Decimal,
    pub revenue_impact_sign: &'static str,
}

/// The result of [`super::compare`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComparisonReport {
    pub summary: Summary,
    pub tolerances: Tolerances,
    /// Every entry of either side, generated order first.
    pub entries: Vec<EntryComparison>,
}

/// The header of [`ComparisonReport::to_csv`].
pub const REPORT_CSV_COLUMNS: [&str; 11] = [
    "entry_number",
    "generated_line",
    "reported_line",
    "paired_by",
    "hts_number",
    "field",
    "generated",
    "reported",
    "difference",
    "tolerance",
    "severity",
];

impl ComparisonReport {
    /// Whether anything failed: a field, an HTS number or a line on one side only, a total.
    pub fn failed(&self) -> bool {
        self.summary.differences.fail > 0
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self)
            .unwrap_or_else(|e| serde_json::json!({ "error": format!("the report did not serialise: {e}") }))
    }

    /// One row per difference ([`REPORT_CSV_COLUMNS`]): field differences of paired lines,
    /// then lines on one side only, then entry totals that differ; entry by entry.
    pub fn to_csv(&self) -> String {
        let mut out = REPORT_CSV_COLUMNS.join(",");
        out.push('\n');
        for entry in &self.entries {
            for pair in &entry.pairs {
                let paired_by = match pair.paired_by {
                    PairedBy::LineNumber => "line_number",
                    PairedBy::BestMatch => "best_match",
                };
                for diff in &pair.differences {
                    csv_row(
                        &mut out,
                        &entry.entry_number,
                        Some(pair.generated_line),
                        Some(pair.reported_line),
                        paired_by,
                        diff.hts_number.as_deref().unwrap_or(""),
                        diff.field,
                        &diff.generated,
                        &diff.reported,
                        diff.difference,
                        &diff.tolerance,
                        diff.severity,
                    );
                }
            }
            for line in &entry.unpaired_generated {
                csv_row(
                    &mut out,
                    &entry.entry_number,
                    Some(line.line_number),
                    None,
                    "",
                    &line.hts10,
                    Field::Line,
                    &describe_unpaired(line),
                    "absent",
                    None,
                    "a line on both sides",
                    Severity::Fail,
                );
            }
            for line in &entry.unpaired_reported {
                csv_row(
                    &mut out,
                    &entry.entry_number,
                    None,
                    Some(line.line_number),
                    "",
                    &line.hts10,
                    Field::Line,
                    "absent",
                    &describe_unpaired(line),
                    None,
                    "a line on both sides",
                    Severity::Fail,
                );
            }
            let totals = &entry.totals;
            let tolerance = format!("±{} USD", totals.tolerance_usd);
            let mut total_row = |field: Field, programme: &str, total: &TotalComparison| {
                if total.generated != total.reported {
                    csv_row(
                        &mut out,
                        &entry.entry_number,
                        None,
                        None,
                        "",
                        programme,
                        field,
                        &total.generated.to_string(),
                        &total.reported.to_string(),
                        Some(total.difference),
                        &tolerance,
                        total.severity,
                    );
                }
            };
            total_row(Field::TotalEnteredValue, "", &totals.entered_value);
            total_row(Field::TotalCharges, "", &totals.charges);
            total_row(Field::TotalDuty, "", &totals.duty);
            for programme in &totals.duty_by_programme {
                let total = TotalComparison {
                    generated: programme.generated,
                    reported: programme.reported,
                    difference: programme.difference,
                    severity: programme.severity,
                };
                total_row(Field::ProgrammeDuty, programme.programme.as_str(), &total);
            }
            total_row(Field::TotalMpf, "", &totals.mpf);
            total_row(Field::TotalHmf, "", &totals.hmf);
        }
        out
    }
}

fn describe_unpaired(line: &UnpairedLine) -> String {
    format!("{} {} {} value {} duty {}", line.hts10, line.origin, line.mid, line.entered_value, line.duty)
}

#[allow(clippy::too_many_arguments)]
fn csv_row(
    out: &mut String,
    entry: &str,
    generated_line: Option<u16>,
    reported_line: Option<u16>,
    paired_by: &str,
    hts_number: &str,
    field: Field,
    generated: &str,
    reported: &str,
    difference: Option<Decimal>,
    tolerance: &str,
    severity: Severity,
) {
    push_csv_field(out, entry);
    out.push(',');
    if let Some(line) = generated_line {
        out.push_str(&line.to_string());
    }
    out.push(',');
    if let Some(line) = reported_line {
        out.push_str(&line.to_string());
    }
    out.push(',');
    out.push_str(paired_by);
    out.push(',');
    push_csv_field(out, hts_number);
    out.push(',');
    out.push_str(field.as_str());
    out.push(',');
    push_csv_field(out, generated);
    out.push(',');
    push_csv_field(out, reported);
    out.push(',');
    if let Some(difference) = difference {
        out.push_str(&difference.to_string());
    }
    out.push(',');
    push_csv_field(out, tolerance);
    out.push(',');
    out.push_str(severity.as_str());
    out.push('\n');
}
