//! Field-by-field comparison of the customs lines Lading generates with the lines the ERP
//! reports (SAP `ET_CUSTOMS`), under per-tenant tolerances (customs.md, "Comparison with the
//! ERP's report").
//!
//! - **Exact** (after normalising: HTS numbers dotted, origins and SPIs upper case, MIDs
//!   trimmed, rates as numbers with `Free` = `0` = `0%`): entry date, line part, commodity
//!   HTS10, the Chapter 98/99 numbers (set and order), origin, MID, SPI, related-party flag,
//!   units, rate per HTS number, programme per HTS number when both sides name one.
//! - **With tolerance** ([`Tolerances`]): entered value and charges, quantities, net and gross
//!   kilograms, duty per HTS number, MPF and HMF per line, entry totals.
//! - **Pairing**: by (entry, line number) when both lines have the same commodity number and
//!   origin; the leftovers of an entry by best match on HTS, origin, MID and value. A line
//!   left unpaired on either side is a fail.
//!
//! Both sides are first put in compact form ([`LineTable`]); [`compare_csv`] and
//! [`crate::lines_csv::LinesCsvReader`] read CSV straight into it, which is what a million
//! lines need.

mod bench;
mod engine;
pub mod report;
pub(crate) mod table;
pub mod tolerances;

pub use bench::{bench_lines, bench_lines_range};
pub use report::{
    ComparisonReport, DutyClass, EntryComparison, EntryTotals, Field, FieldDiff, LinePair, PairedBy, ProgrammeDuty,
    REPORT_CSV_COLUMNS, REVENUE_IMPACT_SIGN, Severity, SeverityCounts, Summary, TotalComparison, UnpairedLine,
};
pub use table::{LineTable, unit_from_text};
pub use tolerances::{TOLERANCES_VERSION, Tolerances, TolerancesError};

use crate::lines_csv::LinesCsvError;
use crate::model::CustomsLine;

/// Compares the lines Lading generated with the lines the ERP reported.
pub fn compare(generated: &[CustomsLine], reported: &[CustomsLine], tolerances: &Tolerances) -> ComparisonReport {
    compare_tables(&LineTable::from_lines(generated), &LineTable::from_lines(reported), tolerances)
}

/// Compares two tables already in compact form. Large inputs (20,000 lines and more) use a
/// second thread when the machine has one; the report does not depend on it.
pub fn compare_tables(generated: &LineTable, reported: &LineTable, tolerances: &Tolerances) -> ComparisonReport {
    engine::compare_tables(generated, reported, tolerances)
}

/// A CSV side of [`compare_csv`] that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompareCsvError {
    #[error("generated lines: {0}")]
    Generated(LinesCsvError),
    #[error("reported lines: {0}")]
    Reported(LinesCsvError),
}

/// Reads both CSV texts (on two threads) and compares them.
pub fn compare_csv(
    generated: &[u8],
    reported: &[u8],
    tolerances: &Tolerances,
) -> Result<ComparisonReport, CompareCsvError> {
    let (generated, reported) = std::thread::scope(|scope| {
        let reported = scope.spawn(|| LineTable::from_csv(reported));
        let generated = LineTable::from_csv(generated);
        let reported = reported.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (generated, reported)
    });
    let generated = generated.map_err(CompareCsvError::Generated)?;
    let reported = reported.map_err(CompareCsvError::Reported)?;
    Ok(compare_tables(&generated, &reported, tolerances))
}
