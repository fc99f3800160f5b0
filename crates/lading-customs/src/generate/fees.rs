//! Fees on an entry: the merchandise processing fee (MPF) and the harbor maintenance fee (HMF),
//! from a fee table with effective dates.
//!
//! MPF is a percent of each line's entered value; the entry's total (the sum of the lines'
//! cents) is clamped to the fiscal year's minimum and maximum, and a clamped total is prorated
//! back to the lines by value with the largest-remainder method, so the lines add up to the
//! clamped total exactly (leftover cents go to the largest remainders, ties to the lower line
//! number). HMF is a percent of value on vessel entries only; it is waived when the entry's HMF
//! total is at most `hmf_waiver_max_usd` and nothing else is owed — read here as "no duty on any
//! line", because MPF is owed on every formal entry (at least its minimum) and counting it would
//! make the waiver never apply. `hmf_waiver_counts_mpf` switches to the strict reading.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::rounding::{cents, percent_of, usd};
use crate::model::{CustomsLine, Transport};

/// The fee table: MPF periods (fiscal years) and the HMF rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeSchedule {
    /// MPF by period; the period in force on the entry date applies.
    pub mpf: Vec<MpfPeriod>,
    /// HMF percent of value, vessel entries only (0.125).
    pub hmf_percent: Decimal,
    /// HMF is waived when the entry's HMF total is at most this and nothing else is owed (3.00).
    pub hmf_waiver_max_usd: Decimal,
    /// Whether MPF counts as "something else owed" for the HMF waiver (default `false`).
    pub hmf_waiver_counts_mpf: bool,
}

/// One MPF period: a fiscal year's rate, minimum and maximum per entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MpfPeriod {
    /// `FY2026`: how traces name the period.
    pub label: String,
    pub effective_from: NaiveDate,
    /// Inclusive last day; `None` while in force.
    pub effective_to: Option<NaiveDate>,
    /// Percent of value (0.3464).
    pub percent: Decimal,
    pub min_usd: Decimal,
    pub max_usd: Decimal,
}

impl Default for FeeSchedule {
    /// The published figures: FY2025 ($32.71–$634.62, to 2025-09-30) and FY2026 ($33.58–$651.50,
    /// from 2025-10-01), MPF 0.3464 %, HMF 0.125 % waived at $3.
    fn default() -> Self {
        FeeSchedule {
            mpf: vec![
                MpfPeriod {
                    label: "FY2025".to_string(),
                    effective_from: date(2024, 10, 1),
                    effective_to: Some(date(2025, 9, 30)),
                    percent: Decimal::new(3464, 4),
                    min_usd: Decimal::new(3271, 2),
                    max_usd: Decimal::new(63462, 2),
                },
                MpfPeriod {
                    label: "FY2026".to_string(),
                    effective_from: date(2025, 10, 1),
                    effective_to: None,
                    percent: Decimal::new(3464, 4),
                    min_usd: Decimal::new(3358, 2),
                    max_usd: Decimal::new(65150, 2),
                },
            ],
            hmf_percent: Decimal::new(125, 3),
            hmf_waiver_max_usd: Decimal::new(300, 2),
            hmf_waiver_counts_mpf: false,
        }
    }
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

impl FeeSchedule {
    /// The MPF period in force on `date`; before the first period, the earliest one (`false`
    /// says it was not in force, and the lines are flagged).
    pub fn mpf_period(&self, date: NaiveDate) -> Option<(&MpfPeriod, bool)> {
        let in_force = self
            .mpf
            .iter()
            .filter(|p| p.effective_from <= date && p.effective_to.is_none_or(|to| date <= to))
            .max_by_key(|p| p.effective_from);
        match in_force {
            Some(period) => Some((period, true)),
            None => self.mpf.iter().min_by_key(|p| p.effective_from).map(|p| (p, false)),
        }
    }
}

/// Sets `mpf` and `hmf` on every line of one entry (lines numbered, in order) and traces why.
pub(crate) fn apply_fees(lines: &mut [CustomsLine], date: NaiveDate, transport: Transport, schedule: &FeeSchedule) {
    apply_mpf(lines, date, schedule);
    apply_hmf(lines, transport, schedule);
}

fn apply_mpf(lines: &mut [CustomsLine], date: NaiveDate, schedule: &FeeSchedule) {
    let Some((period, in_force)) = schedule.mpf_period(date) else {
        for line in lines.iter_mut() {
            line.mpf = cents(Decimal::ZERO);
            line.flags.push("mpf not computed: the fee table has no mpf period".to_string());
        }
        return;
    };
    if !in_force {
        for line in lines.iter_mut() {
            line.flags.push(format!(
                "mpf: no fee period covers {date}; used the earliest, {} (from {})",
                period.label, period.effective_from
            ));
        }
    }
    let mut total = Decimal::ZERO;
    for line in lines.iter_mut() {
        line.mpf = fee(line.entered_value, period.percent, "mpf", &mut line.flags);
        total = total.checked_add(line.mpf).unwrap_or(Decimal::MAX);
    }
    let clamped = if total < period.min_usd {
        Some(("minimum", period.min_usd))
    } else if total > period.max_usd {
        Some(("maximum", period.max_usd))
    } else {
        None
    };
    match clamped {
        None => {
            for line in lines.iter_mut() {
                line.trace.push(format!(
                    "mpf {}% of {} = {} (entry total {} within {} {}–{})",
                    period.percent.normalize(),
                    usd(line.entered_value),
                    usd(line.mpf),
                    usd(total),
                    period.label,
                    usd(period.min_usd),
                    usd(period.max_usd)
                ));
            }
        }
        Some((bound, clamped_total)) => {
            let clamped_total = cents(clamped_total);
            let values: Vec<Decimal> = lines.iter().map(|l| l.entered_value).collect();
            let shares = prorate(clamped_total, &values);
            let by = if values.iter().all(|v| v.is_zero()) { "equally (no value)" } else { "by value" };
            for (line, share) in lines.iter_mut().zip(shares) {
                line.mpf = share;
                line.trace.push(format!(
                    "mpf entry total {} clamped to {bound} {} ({}), prorated {by}: {}",
                    usd(total),
                    usd(clamped_total),
                    period.label,
                    usd(line.mpf)
                ));
            }
        }
    }
}

/// `percent` % of a line's value in cents; 0 and a flag if the fee table makes it overflow.
fn fee(value: Decimal, percent: Decimal, name: &str, flags: &mut Vec<String>) -> Decimal {
    match percent_of(value, percent) {
        Some(fee) => cents(fee),
        None => {
            flags.push(format!("{name} too large to compute: 0, check the fee table"));
            cents(Decimal::ZERO)
        }
    }
}

/// Splits `total` (cents) over `weights` so the parts add up to it exactly: each part is its
/// share rounded down to the cent, and the leftover cents go one each to the largest remainders
/// (ties to the earlier line). All-zero weights split equally.
pub(crate) fn prorate(total: Decimal, weights: &[Decimal]) -> Vec<Decimal> {
    if weights.is_empty() {
        return Vec::new();
    }
    let weight_sum: Decimal = weights.iter().sum();
    let equal = weight_sum.is_zero();
    let count = Decimal::from(weights.len());
    let cent = Decimal::new(1, 2);
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        // The share first (at most one), so that no product can overflow.
        let exact = if equal { total / count } else { total * (*weight / weight_sum) };
        let floor = exact.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero);
        parts.push(floor);
        remainders.push((exact - floor, index));
    }
    let assigned: Decimal = parts.iter().sum();
    let mut leftover = total - assigned;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders {
        if leftover < cent {
            break;
        }
        parts[index] += cent;
        leftover -= cent;
    }
    parts.into_iter().map(cents).collect()
}

fn apply_hmf(lines: &mut [CustomsLine], transport: Transport, schedule: &FeeSchedule) {
    if transport != Transport::Vessel {
        for line in lines.iter_mut() {
            line.hmf = cents(Decimal::ZERO);
            line.trace.push(format!("hmf $0: {} entry, hmf applies to vessel only", transport_name(transport)));
        }
        return;
    }
    let mut total = Decimal::ZERO;
    for line in lines.iter_mut() {
        line.hmf = fee(line.entered_value, schedule.hmf_percent, "hmf", &mut line.flags);
        total = total.checked_add(line.hmf).unwrap_or(Decimal::MAX);
    }
    let duty: Decimal = lines.iter().map(CustomsLine::total_duty).sum();
    let mpf: Decimal = lines.iter().map(|l| l.mpf).sum();
    let else_owed = !duty.is_zero() || (schedule.hmf_waiver_counts_mpf && !mpf.is_zero());
    if total <= schedule.hmf_waiver_max_usd && !else_owed {
        let owed = if schedule.hmf_waiver_counts_mpf { "no duty or mpf" } else { "no duty" };
        for line in lines.iter_mut() {
            line.hmf = cents(Decimal::ZERO);
            line.trace.push(format!(
                "hmf waived: entry hmf total {} ≤ {} and {owed} owed",
                usd(total),
                usd(schedule.hmf_waiver_max_usd)
            ));
        }
        return;
    }
    for line in lines.iter_mut() {
        line.trace.push(format!(
            "hmf {}% of {} = {} (vessel)",
            schedule.hmf_percent.normalize(),
            usd(line.entered_value),
            usd(line.hmf)
        ));
    }
}

fn transport_name(transport: Transport) -> &'static str {
    match transport {
        Transport::Vessel => "vessel",
        Transport::Air => "air",
        Transport::Truck => "truck",
        Transport::Rail => "rail",
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap_or_default()
    }

    #[test]
    fn proration_sums_exactly() {
        let parts = prorate(d("33.58"), &[d("1"), d("1"), d("1")]);
        assert_eq!(parts, vec![d("11.20"), d("11.19"), d("11.19")]);
        let parts = prorate(d("651.50"), &[d("300000"), d("100000"), d("7")]);
        assert_eq!(parts.iter().sum::<Decimal>(), d("651.50"));
        let parts = prorate(d("33.58"), &[d("0"), d("0")]);
        assert_eq!(parts, vec![d("16.79"), d("16.79")]);
    }

    #[test]
    fn periods_by_date() {
        let schedule = FeeSchedule::default();
        let label = |y, m, day| schedule.mpf_period(date(y, m, day)).map(|(p, f)| (p.label.clone(), f));
        assert_eq!(label(2025, 9, 30), Some(("FY2025".to_string(), true)));
        assert_eq!(label(2025, 10, 1), Some(("FY2026".to_string(), true)));
        assert_eq!(label(2024, 1, 1), Some(("FY2025".to_string(), false)));
    }
}
