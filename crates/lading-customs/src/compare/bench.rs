//! Deterministic pairs of generated and reported lines for benchmarks: realistic lines (this
//! importer's HTS numbers and Chapter 99 stacks) with a known sprinkling of differences.

use std::ops::Range;

use chrono::{Days, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::{CustomsLine, LinePart, LineTariff, Programme, Unit};

const LINES_PER_ENTRY: usize = 10;

/// `n` generated lines and the ERP's version of them (entries of 10 lines).
///
/// Per 10,000 reported lines, about: 20 values off by $1 (match), 10 by 0.3 % (warn), 10 by
/// 3 % (fail); 20 duties off by $0.01 (match), 10 by $0.50 (warn), 5 by $5 (fail); 10 gross
/// weights off by 1.5 % (match), 5 by 5 % (fail); 5 MPF off by $0.02 (fail); 5 Chapter 99
/// orders swapped, 5 Chapter 99 numbers dropped, 5 rates changed; 10 written differently but
/// equal once normalised (lower-case origin, undotted HTS, padded MID); 5 lines missing. Per
/// 10,000 entries: 50 with an extra reported line, 50 with two lines renumbered.
#[doc(hidden)]
pub fn bench_lines(n: usize, seed: u64) -> (Vec<CustomsLine>, Vec<CustomsLine>) {
    bench_lines_range(0..n, seed)
}

/// Lines `range` of the same universe as [`bench_lines`], so a large set can be made in
/// pieces; pieces join up exactly when their bounds are multiples of 10.
#[doc(hidden)]
pub fn bench_lines_range(range: Range<usize>, seed: u64) -> (Vec<CustomsLine>, Vec<CustomsLine>) {
    let mut generated = Vec::with_capacity(range.len());
    let mut reported = Vec::with_capacity(range.len());
    if range.is_empty() {
        return (generated, reported);
    }
    let first_entry = range.start / LINES_PER_ENTRY;
    let end_entry = range.end.div_ceil(LINES_PER_ENTRY);
    for entry in first_entry..end_entry {
        let (g, r) = bench_entry(entry, seed);
        generated.extend(g.into_iter().filter(|(index, _)| range.contains(index)).map(|(_, line)| line));
        reported.extend(r.into_iter().filter(|(index, _)| range.contains(index)).map(|(_, line)| line));
    }
    (generated, reported)
}

struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        Rng(mix(seed ^ mix(stream)))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True `per_10000` times in 10,000.
    fn chance(&mut self, per_10000: u64) -> bool {
        self.below(10_000) < per_10000
    }
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// (HTS, rate text, rate percent, unit)
const PRODUCTS: [(&str, &str, i64, Unit); 5] = [
    ("9403.20.00.35", "Free", 0, Unit::Number),
    ("9404.21.00.13", "3%", 3, Unit::Number),
    ("9404.29.90.13", "6%", 6, Unit::Number),
    ("9401.61.40.11", "Free", 0, Unit::Number),
    ("9403.99.90.45", "Free", 0, Unit::Kilograms),
];

const ORIGINS: [&str; 5] = ["CN", "CN", "VN", "MY", "MX"];

fn percent_of(value: Decimal, percent: i64) -> Decimal {
    (value * Decimal::from(percent) / Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn fee(value: Decimal, rate_per_10000: i64) -> Decimal {
    (value * Decimal::new(rate_per_10000, 6)).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn tariff(hts: &str, programme: Option<Programme>, rate: &str, duty: Decimal) -> LineTariff {
    LineTariff { hts_number: hts.to_owned(), programme, rate_text: rate.to_owned(), duty }
}

fn generated_line(entry: usize, line_number: u16, rng: &mut Rng) -> CustomsLine {
    let (hts, rate_text, rate, unit) = &PRODUCTS[rng.below(PRODUCTS.len() as u64) as usize];
    let origin = ORIGINS[rng.below(ORIGINS.len() as u64) as usize];
    let value = Decimal::from(1_000 + rng.below(199_000));
    let mut tariffs = Vec::with_capacity(4);
    if origin == "CN" {
        tariffs.push(tariff("9903.88.03", Some(Programme::S301), "25%", percent_of(value, 25)));
        tariffs.push(tariff("9903.01.24", Some(Programme::IeepaFentanyl), "10%", percent_of(value, 10)));
    }
    if origin != "MX" {
        tariffs.push(tariff("9903.01.25", Some(Programme::IeepaReciprocal), "10%", percent_of(value, 10)));
    }
    tariffs.push(tariff(hts, None, rate_text, percent_of(value, *rate)));
    let net_kg = (value / Decimal::from(50)).round_dp(1);
    let gross_kg = (net_kg * Decimal::new(115, 2)).round();
    let quantity = match unit {
        Unit::Kilograms => net_kg.round().max(Decimal::ONE),
        _ => (value / Decimal::from(250)).round().max(Decimal::ONE),
    };
    let date = NaiveDate::from_ymd_opt(2025, 10, 1)
        .and_then(|d| d.checked_add_days(Days::new((entry % 120) as u64)))
        .unwrap_or_default();
    CustomsLine {
        entry_number: format!("LAD{:08}", entry),
        entry_date: date,
        line_number,
        part: LinePart::Whole,
        origin: origin.to_owned(),
        mid: format!("{origin}FURMAN{:04}FOS", rng.below(40)),
        spi: (origin == "MX").then(|| "S".to_owned()),
        related_party: rng.chance(1_000),
        tariffs,
        entered_value: value,
        charges: (value * Decimal::new(2, 2)).round(),
        gross_kg,
        net_kg,
        quantities: vec![(unit.clone(), quantity)],
        mpf: fee(value, 3464),
        hmf: fee(value, 1250),
        flags: Vec::new(),
        trace: Vec::new(),
    }
}

fn nudge_duty(line: &mut CustomsLine, rng: &mut Rng, by: Decimal) {
    let index = rng.below(line.tariffs.len() as u64) as usize;
    if let Some(tariff) = line.tariffs.get_mut(index) {
        tariff.duty += by;
    }
}

fn reported_line(line: &CustomsLine, rng: &mut Rng) -> Option<CustomsLine> {
    let mut r = line.clone();
    if rng.chance(5) {
        return None;
    }
    if rng.chance(20) {
        r.entered_value += Decimal::ONE;
    }
    if rng.chance(10) {
        r.entered_value = (r.entered_value * Decimal::new(1003, 3)).round();
    }
    if rng.chance(10) {
        r.entered_value = (r.entered_value * Decimal::new(103, 2)).round();
    }
    if rng.chance(20) {
        nudge_duty(&mut r, rng, Decimal::new(1, 2));
    }
    if rng.chance(10) {
        nudge_duty(&mut r, rng, Decimal::new(50, 2));
    }
    if rng.chance(5) {
        nudge_duty(&mut r, rng, Decimal::new(5, 0));
    }
    if rng.chance(10) {
        r.gross_kg = (r.gross_kg * Decimal::new(1015, 3)).round();
    }
    if rng.chance(5) {
        r.gross_kg = (r.gross_kg * Decimal::new(105, 2)).round() + Decimal::TWO;
    }
    if rng.chance(5) {
        r.mpf += Decimal::new(2, 2);
    }
    let chapter99 = r.tariffs.len().saturating_sub(1);
    if rng.chance(5) && chapter99 >= 2 {
        r.tariffs.swap(0, 1);
    }
    if rng.chance(5) && chapter99 >= 1 {
        r.tariffs.remove(0);
    }
    if rng.chance(5) && chapter99 >= 1 {
        r.tariffs[0].rate_text = "7.5%".to_owned();
    }
    if rng.chance(10) {
        r.origin = r.origin.to_lowercase();
        if let Some(last) = r.tariffs.last_mut() {
            last.hts_number = last.hts_number.replace('.', "");
        }
        r.mid = format!("{}  ", r.mid);
    }
    Some(r)
}

/// One entry on both sides, each line with its index in the universe (an extra reported
/// line takes the entry's first index).
#[allow(clippy::type_complexity)]
fn bench_entry(entry: usize, seed: u64) -> (Vec<(usize, CustomsLine)>, Vec<(usize, CustomsLine)>) {
    let mut rng = Rng::new(seed, entry as u64);
    let first_index = entry * LINES_PER_ENTRY;
    let mut generated = Vec::with_capacity(LINES_PER_ENTRY);
    let mut reported = Vec::with_capacity(LINES_PER_ENTRY + 1);
    for offset in 0..LINES_PER_ENTRY {
        let mut line_rng = Rng::new(seed.wrapping_add(1), (first_index + offset) as u64);
        let line = generated_line(entry, (offset + 1) as u16, &mut line_rng);
        if let Some(r) = reported_line(&line, &mut line_rng) {
            reported.push((first_index + offset, r));
        }
        generated.push((first_index + offset, line));
    }
    if rng.chance(50) && reported.len() >= 2 {
        let first = reported[0].1.line_number;
        reported[0].1.line_number = reported[1].1.line_number;
        reported[1].1.line_number = first;
    }
    if rng.chance(50) {
        let mut extra_rng = Rng::new(seed.wrapping_add(2), entry as u64);
        let mut extra = generated_line(entry, (LINES_PER_ENTRY + 1) as u16, &mut extra_rng);
        extra.entered_value += Decimal::from(7);
        reported.push((first_index, extra));
    }
    (generated, reported)
}
