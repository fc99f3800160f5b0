//! The comparison itself: canonical ids for both sides, pairing (by line number, then by best
//! match within an entry), field-by-field verdicts, and entry totals.
//!
//! Hot path: a binary search per line among its entry's lines, integer comparisons of
//! interned ids, `Decimal` comparisons; a `String` is made only for a difference that is
//! reported. From 20,000 lines on, two threads share the work (one side's totals and half the
//! pairs each); the report is the same either way.

use std::borrow::Cow;
use std::cmp::Reverse;

use rust_decimal::Decimal;

use super::report::{
    ComparisonReport, DutyClass, EntryComparison, EntryTotals, Field, FieldDiff, LinePair, PairedBy, ProgrammeDuty,
    REVENUE_IMPACT_SIGN, Severity, SeverityCounts, Summary, TotalComparison, UnpairedLine,
};
use super::table::{
    Interner, LineRec, LineTable, TariffRec, canonical_code, canonical_entry, canonical_hts, canonical_mid,
    canonical_rate, canonical_unit,
};
use super::tolerances::Tolerances;
use crate::lines_csv::part_text;
use crate::model::Programme;

/// Best-match pairing scores every leftover pair of an entry up to this many pairs; past it
/// only lines with the same HTS, origin and MID are paired (by closest value).
const MAX_SCORED_PAIRS: usize = 250_000;

const NO_ID: u32 = u32::MAX;

/// Canonical ids of one interner's texts on both sides, in one id space.
struct Unified {
    generated: Vec<u32>,
    reported: Vec<u32>,
    texts: Interner,
    /// Per canonical id: the side and text id it was first seen as. Ids run in order of first
    /// appearance: the generated side's texts first.
    first: Vec<(Side, u32)>,
}

fn unify(generated: &Interner, reported: &Interner, canonical: fn(&str) -> Cow<'_, str>) -> Unified {
    let mut texts = Interner::default();
    let mut first = Vec::new();
    let mut map = |interner: &Interner, side: Side| -> Vec<u32> {
        (0..interner.len() as u32)
            .map(|sym| {
                let id = texts.intern(&canonical(interner.get(sym)));
                if id as usize == first.len() {
                    first.push((side, sym));
                }
                id
            })
            .collect()
    };
    let generated = map(generated, Side::Generated);
    let reported = map(reported, Side::Reported);
    Unified { generated, reported, texts, first }
}

/// Which side a line or text comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Generated,
    Reported,
}

struct Context<'a> {
    generated: &'a LineTable,
    reported: &'a LineTable,
    tolerances: &'a Tolerances,
    entries: Unified,
    hts: Unified,
    rates: Unified,
    origins: Unified,
    mids: Unified,
    spis: Unified,
    units: Unified,
    /// The canonical `kg` unit's id, when either side uses it.
    kg_unit: Option<u32>,
    /// Per canonical HTS number: the programme either side names for it (generated first).
    programme_of_hts: Vec<Option<Programme>>,
}

impl<'a> Context<'a> {
    fn new(generated: &'a LineTable, reported: &'a LineTable, tolerances: &'a Tolerances) -> Self {
        let hts = unify(&generated.hts, &reported.hts, canonical_hts);
        let units = unify(&generated.codes, &reported.codes, canonical_unit);
        let mut programme_of_hts = vec![None; hts.texts.len()];
        for (table, ids) in [(generated, &hts.generated), (reported, &hts.reported)] {
            for tariff in &table.tariffs {
                let slot = &mut programme_of_hts[ids[tariff.hts as usize] as usize];
                if slot.is_none() {
                    *slot = tariff.programme;
                }
            }
        }
        Context {
            generated,
            reported,
            tolerances,
            entries: unify(&generated.entries, &reported.entries, canonical_entry),
            rates: unify(&generated.rates, &reported.rates, canonical_rate),
            origins: unify(&generated.codes, &reported.codes, canonical_code),
            mids: unify(&generated.codes, &reported.codes, canonical_mid),
            spis: unify(&generated.codes, &reported.codes, canonical_code),
            kg_unit: units.texts.lookup("kg"),
            units,
            hts,
            programme_of_hts,
        }
    }

    fn table(&self, side: Side) -> &'a LineTable {
        match side {
            Side::Generated => self.generated,
            Side::Reported => self.reported,
        }
    }

    fn ids<'u>(&self, unified: &'u Unified, side: Side) -> &'u [u32] {
        match side {
            Side::Generated => &unified.generated,
            Side::Reported => &unified.reported,
        }
    }

    fn entry_id(&self, side: Side, line: &LineRec) -> u32 {
        self.ids(&self.entries, side)[line.entry as usize]
    }

    fn hts_id(&self, side: Side, tariff: &TariffRec) -> u32 {
        self.ids(&self.hts, side)[tariff.hts as usize]
    }

    fn commodity_id(&self, side: Side, line: &LineRec) -> u32 {
        self.table(side).tariffs_of(line).last().map_or(NO_ID, |tariff| self.hts_id(side, tariff))
    }

    fn origin_id(&self, side: Side, line: &LineRec) -> u32 {
        self.ids(&self.origins, side)[line.origin as usize]
    }

    fn mid_id(&self, side: Side, line: &LineRec) -> u32 {
        self.ids(&self.mids, side)[line.mid as usize]
    }
}

/// Compares two tables; see [`super::compare`].
pub(crate) fn compare_tables(generated: &LineTable, reported: &LineTable, tolerances: &Tolerances) -> ComparisonReport {
    let parallel = generated.lines.len() + reported.lines.len() >= PARALLEL_FROM_LINES
        && std::thread::available_parallelism().is_ok_and(|cores| cores.get() >= 2);
    compare_tables_on(generated, reported, tolerances, parallel)
}

/// [`compare_tables`] on one thread or two; the report is the same.
fn compare_tables_on(
    generated: &LineTable,
    reported: &LineTable,
    tolerances: &Tolerances,
    parallel: bool,
) -> ComparisonReport {
    let ctx = Context::new(generated, reported, tolerances);
    let pairing = pair_lines(&ctx);
    build_report(&ctx, &pairing, parallel)
}

/// Which reported line each generated line is paired with, and how.
struct Pairing {
    /// Per generated line: the reported line, or `NO_ID`.
    reported_of: Vec<u32>,
    best_match: Vec<bool>,
    reported_taken: Vec<bool>,
}

fn pair_lines(ctx: &Context<'_>) -> Pairing {
    let (generated, reported) = (ctx.generated, ctx.reported);
    let mut pairing = Pairing {
        reported_of: vec![NO_ID; generated.lines.len()],
        best_match: vec![false; generated.lines.len()],
        reported_taken: vec![false; reported.lines.len()],
    };
    // The reported lines grouped by entry (counting sort), each entry's sorted by number: a
    // generated line finds its namesake by binary search, no hashing.
    let entry_count = ctx.entries.texts.len();
    let mut entry_start = vec![0u32; entry_count + 1];
    for line in &reported.lines {
        entry_start[ctx.entry_id(Side::Reported, line) as usize + 1] += 1;
    }
    for entry in 0..entry_count {
        entry_start[entry + 1] += entry_start[entry];
    }
    let mut by_entry = vec![0u32; reported.lines.len()];
    let mut fill = entry_start.clone();
    for (index, line) in reported.lines.iter().enumerate() {
        let slot = &mut fill[ctx.entry_id(Side::Reported, line) as usize];
        by_entry[*slot as usize] = index as u32;
        *slot += 1;
    }
    let number = |index: u32| reported.lines[index as usize].line_number;
    for entry in 0..entry_count {
        let lines = &mut by_entry[entry_start[entry] as usize..entry_start[entry + 1] as usize];
        if !lines.is_sorted_by_key(|&index| number(index)) {
            lines.sort_by_key(|&index| (number(index), index));
        }
    }

    let mut leftover_generated: Vec<(u32, u32)> = Vec::new();
    for (index, line) in generated.lines.iter().enumerate() {
        let entry = ctx.entry_id(Side::Generated, line);
        let same_entry = match (entry_start.get(entry as usize), entry_start.get(entry as usize + 1)) {
            (Some(&start), Some(&end)) => &by_entry[start as usize..end as usize],
            _ => &[][..],
        };
        let first = same_entry.partition_point(|&other| number(other) < line.line_number);
        let found =
            same_entry[first..].iter().take_while(|&&other| number(other) == line.line_number).find(|&&other| {
                let other_line = &reported.lines[other as usize];
                !pairing.reported_taken[other as usize]
                    && ctx.commodity_id(Side::Generated, line) == ctx.commodity_id(Side::Reported, other_line)
                    && ctx.origin_id(Side::Generated, line) == ctx.origin_id(Side::Reported, other_line)
            });
        match found {
            Some(&other) => {
                pairing.reported_of[index] = other;
                pairing.reported_taken[other as usize] = true;
            }
            None => leftover_generated.push((entry, index as u32)),
        }
    }
    let mut leftover_reported: Vec<(u32, u32)> = reported
        .lines
        .iter()
        .enumerate()
        .filter(|(index, _)| !pairing.reported_taken[*index])
        .map(|(index, line)| (ctx.entry_id(Side::Reported, line), index as u32))
        .collect();
    leftover_generated.sort_unstable();
    leftover_reported.sort_unstable();
    let (mut g, mut r) = (0, 0);
    while g < leftover_generated.len() && r < leftover_reported.len() {
        let (g_entry, r_entry) = (leftover_generated[g].0, leftover_reported[r].0);
        if g_entry < r_entry {
            g += 1;
        } else if r_entry < g_entry {
            r += 1;
        } else {
            let g_end = g + leftover_generated[g..].partition_point(|(e, _)| *e == g_entry);
            let r_end = r + leftover_reported[r..].partition_point(|(e, _)| *e == r_entry);
            let gs: Vec<u32> = leftover_generated[g..g_end].iter().map(|(_, i)| *i).collect();
            let rs: Vec<u32> = leftover_reported[r..r_end].iter().map(|(_, i)| *i).collect();
            best_match(ctx, &gs, &rs, &mut pairing);
            g = g_end;
            r = r_end;
        }
    }
    pairing
}

/// Pairs the leftover lines of one entry: every candidate pair scored on commodity HTS (4),
/// origin (2), MID (2) and value within the warn band (2); a pair needs 6, so two lines share
/// at least the HTS and one more trait, or origin, MID and value. Highest score first, then
/// the closest value, then the closest line number.
fn best_match(ctx: &Context<'_>, generated: &[u32], reported: &[u32], pairing: &mut Pairing) {
    if generated.len().saturating_mul(reported.len()) > MAX_SCORED_PAIRS {
        bucket_match(ctx, generated, reported, pairing);
        return;
    }
    struct Candidate {
        score: u8,
        value_gap: Decimal,
        line_gap: u16,
        g: u32,
        r: u32,
    }
    let mut candidates = Vec::new();
    for &g in generated {
        let gl = &ctx.generated.lines[g as usize];
        for &r in reported {
            let rl = &ctx.reported.lines[r as usize];
            let mut score = 0u8;
            if ctx.commodity_id(Side::Generated, gl) == ctx.commodity_id(Side::Reported, rl) {
                score += 4;
            }
            if ctx.origin_id(Side::Generated, gl) == ctx.origin_id(Side::Reported, rl) {
                score += 2;
            }
            if ctx.mid_id(Side::Generated, gl) == ctx.mid_id(Side::Reported, rl) {
                score += 2;
            }
            let value_gap = gl.entered_value.saturating_sub(rl.entered_value).abs();
            let tolerances = ctx.tolerances;
            let warn = percent_of(larger(gl.entered_value, rl.entered_value), tolerances.entered_value_warn_percent);
            if value_gap <= tolerances.entered_value_usd.max(warn) {
                score += 2;
            }
            if score >= 6 {
                candidates.push(Candidate {
                    score,
                    value_gap,
                    line_gap: gl.line_number.abs_diff(rl.line_number),
                    g,
                    r,
                });
            }
        }
    }
    candidates.sort_by(|a, b| {
        (Reverse(a.score), a.value_gap, a.line_gap, a.g, a.r).cmp(&(
            Reverse(b.score),
            b.value_gap,
            b.line_gap,
            b.g,
            b.r,
        ))
    });
    for candidate in candidates {
        let (g, r) = (candidate.g as usize, candidate.r as usize);
        if pairing.reported_of[g] == NO_ID && !pairing.reported_taken[r] {
            pairing.reported_of[g] = candidate.r;
            pairing.best_match[g] = true;
            pairing.reported_taken[r] = true;
        }
    }
}

/// For entries too large to score every pair: lines with the same commodity HTS, origin and
/// MID, paired in order of value.
fn bucket_match(ctx: &Context<'_>, generated: &[u32], reported: &[u32], pairing: &mut Pairing) {
    let key = |side: Side, index: u32| {
        let line = &ctx.table(side).lines[index as usize];
        (ctx.commodity_id(side, line), ctx.origin_id(side, line), ctx.mid_id(side, line))
    };
    let mut gs: Vec<((u32, u32, u32), Decimal, u32)> = generated
        .iter()
        .map(|&g| (key(Side::Generated, g), ctx.generated.lines[g as usize].entered_value, g))
        .collect();
    let mut rs: Vec<((u32, u32, u32), Decimal, u32)> =
        reported.iter().map(|&r| (key(Side::Reported, r), ctx.reported.lines[r as usize].entered_value, r)).collect();
    gs.sort_unstable();
    rs.sort_unstable();
    let (mut g, mut r) = (0, 0);
    while g < gs.len() && r < rs.len() {
        match gs[g].0.cmp(&rs[r].0) {
            std::cmp::Ordering::Less => g += 1,
            std::cmp::Ordering::Greater => r += 1,
            std::cmp::Ordering::Equal => {
                pairing.reported_of[gs[g].2 as usize] = rs[r].2;
                pairing.best_match[gs[g].2 as usize] = true;
                pairing.reported_taken[rs[r].2 as usize] = true;
                g += 1;
                r += 1;
            }
        }
    }
}

fn larger(a: Decimal, b: Decimal) -> Decimal {
    a.abs().max(b.abs())
}

fn percent_of(base: Decimal, percent: Decimal) -> Decimal {
    base.saturating_mul(percent) / Decimal::ONE_HUNDRED
}

fn shown_amount(value: Decimal) -> Decimal {
    value.round_dp(3).normalize()
}

/// An exact running sum of amounts, in integer millionths while the amounts allow (the
/// common case, a few times cheaper than `Decimal` additions), in `Decimal` beyond. Its value
/// is what adding the amounts as `Decimal`s gives, scale included.
#[derive(Clone, Copy, Debug, Default)]
struct Sum {
    millionths: i64,
    scale: u32,
    rest: Decimal,
}

const POWERS_OF_TEN: [i64; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

impl Sum {
    #[inline(always)]
    fn add(&mut self, amount: Decimal) {
        let scale = amount.scale();
        if scale <= 6
            && let Ok(mantissa) = i64::try_from(amount.mantissa())
            && let Some(sum) = mantissa
                .checked_mul(POWERS_OF_TEN[6 - scale as usize])
                .and_then(|value| self.millionths.checked_add(value))
        {
            self.millionths = sum;
            self.scale = self.scale.max(scale);
        } else {
            self.add_slowly(amount);
        }
    }

    #[cold]
    #[inline(never)]
    fn add_slowly(&mut self, amount: Decimal) {
        self.rest = self.rest.saturating_add(amount);
    }

    fn value(&self) -> Decimal {
        // Every amount added had at most `scale` decimals, so the division is exact.
        let divisor = POWERS_OF_TEN[6usize.saturating_sub(self.scale as usize)];
        let summed = Decimal::new(self.millionths / divisor, self.scale.min(6));
        if self.rest.is_zero() && self.rest.scale() == 0 {
            return summed;
        }
        let mut total = summed.saturating_add(self.rest);
        total.rescale(self.scale.max(self.rest.scale()));
        total
    }
}

/// One side's running totals of one entry.
#[derive(Clone, Debug, Default)]
struct SideTotals {
    lines: u32,
    entered_value: Sum,
    charges: Sum,
    duty: Sum,
    mpf: Sum,
    hmf: Sum,
    by_class: Vec<(DutyClass, Sum)>,
}

/// Every entry's totals on one side, by canonical entry id.
fn side_totals(ctx: &Context<'_>, side: Side) -> Vec<SideTotals> {
    let mut totals = vec![SideTotals::default(); ctx.entries.texts.len()];
    let table = ctx.table(side);
    for line in &table.lines {
        let entry = &mut totals[ctx.entry_id(side, line) as usize];
        entry.lines += 1;
        entry.entered_value.add(line.entered_value);
        entry.charges.add(line.charges);
        entry.mpf.add(line.mpf);
        entry.hmf.add(line.hmf);
        let tariffs = table.tariffs_of(line);
        for (position, tariff) in tariffs.iter().enumerate() {
            entry.duty.add(tariff.duty);
            let class = if position + 1 == tariffs.len() {
                DutyClass::General
            } else {
                match tariff.programme.or(ctx.programme_of_hts[ctx.hts_id(side, tariff) as usize]) {
                    Some(programme) => DutyClass::Programme(programme),
                    None => DutyClass::Unassigned,
                }
            };
            match entry.by_class.iter_mut().find(|(c, _)| *c == class) {
                Some((_, sum)) => sum.add(tariff.duty),
                None => {
                    let mut sum = Sum::default();
                    sum.add(tariff.duty);
                    entry.by_class.push((class, sum));
                }
            }
        }
    }
    totals
}

/// What comparing a range of generated lines with their pairs found: the pairs that differ
/// (with the generated line's index), and counts.
#[derive(Default)]
struct PairOutcome {
    differing: Vec<(u32, LinePair)>,
    differences: SeverityCounts,
    lines_by_severity: SeverityCounts,
}

fn compare_pairs(ctx: &Context<'_>, pairing: &Pairing, range: std::ops::Range<usize>) -> PairOutcome {
    let mut outcome = PairOutcome::default();
    let mut diffs = Vec::new();
    for g in range {
        let r = pairing.reported_of[g];
        if r == NO_ID {
            continue;
        }
        let (line, other) = (&ctx.generated.lines[g], &ctx.reported.lines[r as usize]);
        compare_lines(ctx, line, other, &mut diffs);
        if diffs.is_empty() {
            continue;
        }
        let severity = diffs.iter().map(|d| d.severity).max().unwrap_or(Severity::Match);
        for diff in &diffs {
            outcome.differences.add(diff.severity);
        }
        outcome.lines_by_severity.add(severity);
        outcome.differing.push((
            g as u32,
            LinePair {
                generated_line: line.line_number,
                reported_line: other.line_number,
                paired_by: if pairing.best_match[g] { PairedBy::BestMatch } else { PairedBy::LineNumber },
                hts10: hts_text(ctx, Side::Generated, line),
                severity,
                differences: std::mem::take(&mut diffs),
            },
        ));
    }
    outcome
}

/// Below this many lines in all, one thread does everything.
const PARALLEL_FROM_LINES: usize = 20_000;

/// Everything found about one entry, before it becomes an [`EntryComparison`].
#[derive(Default)]
struct EntryAccumulator {
    /// The entry as the side that first had it writes it.
    first: Option<(Side, u32)>,
    totals: [SideTotals; 2],
    paired: u32,
    identical: u32,
    pairs: Vec<LinePair>,
    unpaired_generated: Vec<UnpairedLine>,
    unpaired_reported: Vec<UnpairedLine>,
}

fn build_report(ctx: &Context<'_>, pairing: &Pairing, parallel: bool) -> ComparisonReport {
    // One report entry per canonical entry id: their order is already the report's (the
    // generated side's entries as they first appear, then the reported side's others).
    let mut accumulators: Vec<EntryAccumulator> = ctx
        .entries
        .first
        .iter()
        .map(|&first| EntryAccumulator { first: Some(first), ..EntryAccumulator::default() })
        .collect();

    // Two independent halves of the work: one side's totals and half the pairs each.
    let lines = ctx.generated.lines.len();
    let middle = lines / 2;
    let ((generated_totals, first_half), (reported_totals, second_half)) = both(
        parallel,
        || (side_totals(ctx, Side::Generated), compare_pairs(ctx, pairing, 0..middle)),
        || (side_totals(ctx, Side::Reported), compare_pairs(ctx, pairing, middle..lines)),
    );
    for (accumulator, (generated, reported)) in
        accumulators.iter_mut().zip(generated_totals.into_iter().zip(reported_totals))
    {
        accumulator.totals = [generated, reported];
    }

    let mut summary_differences = first_half.differences;
    let mut lines_by_severity = first_half.lines_by_severity;
    for (counts, more) in
        [(&mut summary_differences, second_half.differences), (&mut lines_by_severity, second_half.lines_by_severity)]
    {
        counts.matched += more.matched;
        counts.warn += more.warn;
        counts.fail += more.fail;
    }
    let (mut paired, mut by_best_match, mut identical) = (0u64, 0u64, 0u64);
    let mut differing = first_half.differing.into_iter().chain(second_half.differing).peekable();
    for (g, line) in ctx.generated.lines.iter().enumerate() {
        let accumulator = &mut accumulators[ctx.entry_id(Side::Generated, line) as usize];
        if pairing.reported_of[g] == NO_ID {
            accumulator.unpaired_generated.push(unpaired(ctx, Side::Generated, line));
            summary_differences.add(Severity::Fail);
            continue;
        }
        paired += 1;
        accumulator.paired += 1;
        if pairing.best_match[g] {
            by_best_match += 1;
        }
        match differing.next_if(|(index, _)| *index as usize == g) {
            Some((_, pair)) => accumulator.pairs.push(pair),
            None => {
                identical += 1;
                accumulator.identical += 1;
            }
        }
    }
    for (r, line) in ctx.reported.lines.iter().enumerate() {
        if !pairing.reported_taken[r] {
            accumulators[ctx.entry_id(Side::Reported, line) as usize].unpaired_reported.push(unpaired(
                ctx,
                Side::Reported,
                line,
            ));
            summary_differences.add(Severity::Fail);
        }
    }

    // Entries with lines on neither side (a text interned for nothing) are left out.
    accumulators.retain(|a| a.totals[0].lines + a.totals[1].lines > 0);
    let second_accumulators = accumulators.split_off(accumulators.len() / 2);
    let (first_entries, second_entries) =
        both(parallel, || finish_entries(ctx, accumulators), || finish_entries(ctx, second_accumulators));
    let mut entries = first_entries.entries;
    entries.extend(second_entries.entries);
    let entries_failed = first_entries.failed + second_entries.failed;
    let generated_money = first_entries.generated_money.saturating_add(second_entries.generated_money);
    let reported_money = first_entries.reported_money.saturating_add(second_entries.reported_money);
    for counts in [first_entries.differences, second_entries.differences] {
        summary_differences.matched += counts.matched;
        summary_differences.warn += counts.warn;
        summary_differences.fail += counts.fail;
    }
    let unpaired_generated = ctx.generated.lines.len() as u64 - paired;
    let unpaired_reported = ctx.reported.lines.len() as u64 - paired;
    ComparisonReport {
        summary: Summary {
            generated_lines: ctx.generated.lines.len() as u64,
            reported_lines: ctx.reported.lines.len() as u64,
            entries: entries.len() as u64,
            entries_failed,
            paired_lines: paired,
            paired_by_line_number: paired - by_best_match,
            paired_by_best_match: by_best_match,
            identical_lines: identical,
            unpaired_generated,
            unpaired_reported,
            differences: summary_differences,
            lines_by_severity,
            generated_duty_and_fees: generated_money,
            reported_duty_and_fees: reported_money,
            revenue_impact: reported_money.saturating_sub(generated_money),
            revenue_impact_sign: REVENUE_IMPACT_SIGN,
        },
        tolerances: ctx.tolerances.clone(),
        entries,
    }
}

/// Runs two pieces of work, on two threads when `parallel`.
fn both<A: Send, B: Send>(parallel: bool, first: impl FnOnce() -> A + Send, second: impl FnOnce() -> B) -> (A, B) {
    if !parallel {
        return (first(), second());
    }
    std::thread::scope(|scope| {
        let first = scope.spawn(first);
        let second = second();
        (first.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), second)
    })
}

/// Finished entries and what they add to the summary.
struct FinishedEntries {
    entries: Vec<EntryComparison>,
    failed: u64,
    generated_money: Decimal,
    reported_money: Decimal,
    differences: SeverityCounts,
}

fn finish_entries(ctx: &Context<'_>, accumulators: Vec<EntryAccumulator>) -> FinishedEntries {
    let mut finished = FinishedEntries {
        entries: Vec::with_capacity(accumulators.len()),
        failed: 0,
        generated_money: Decimal::ZERO,
        reported_money: Decimal::ZERO,
        differences: SeverityCounts::default(),
    };
    for accumulator in accumulators {
        let entry = finish_entry(ctx, accumulator, &mut finished.differences);
        if entry.severity == Severity::Fail {
            finished.failed += 1;
        }
        finished.generated_money = finished.generated_money.saturating_add(entry.totals.generated_duty_and_fees);
        finished.reported_money = finished.reported_money.saturating_add(entry.totals.reported_duty_and_fees);
        finished.entries.push(entry);
    }
    finished
}

fn finish_entry(ctx: &Context<'_>, accumulator: EntryAccumulator, counts: &mut SeverityCounts) -> EntryComparison {
    let entry_number = match accumulator.first {
        Some((side, sym)) => ctx.table(side).entries.get(sym).to_owned(),
        None => String::new(),
    };
    let [generated, reported] = &accumulator.totals;
    let lines = generated.lines.max(reported.lines);
    let tolerance = ctx.tolerances.entry_total_usd_per_line.saturating_mul(Decimal::from(lines));
    let mut worst = Severity::Match;
    let mut total = |generated: &Sum, reported: &Sum| {
        let sums = [generated.value(), reported.value()];
        let difference = sums[1].saturating_sub(sums[0]);
        let severity = if difference.abs() <= tolerance { Severity::Match } else { Severity::Fail };
        if sums[0] != sums[1] {
            counts.add(severity);
        }
        worst = worst.max(severity);
        TotalComparison { generated: sums[0], reported: sums[1], difference, severity }
    };
    let entered_value = total(&generated.entered_value, &reported.entered_value);
    let charges = total(&generated.charges, &reported.charges);
    let duty = total(&generated.duty, &reported.duty);
    let mpf = total(&generated.mpf, &reported.mpf);
    let hmf = total(&generated.hmf, &reported.hmf);
    let mut classes: Vec<DutyClass> = Vec::with_capacity(generated.by_class.len() + reported.by_class.len());
    classes.extend(generated.by_class.iter().chain(&reported.by_class).map(|(class, _)| *class));
    classes.sort_unstable();
    classes.dedup();
    let sum_of = |totals: &SideTotals, class: DutyClass| {
        totals.by_class.iter().find(|(c, _)| *c == class).map(|(_, sum)| *sum).unwrap_or_default()
    };
    let duty_by_programme = classes
        .into_iter()
        .map(|class| {
            let t = total(&sum_of(generated, class), &sum_of(reported, class));
            ProgrammeDuty {
                programme: class,
                generated: t.generated,
                reported: t.reported,
                difference: t.difference,
                severity: t.severity,
            }
        })
        .collect();
    let money = |side: &SideTotals| side.duty.value().saturating_add(side.mpf.value()).saturating_add(side.hmf.value());
    let (generated_money, reported_money) = (money(generated), money(reported));
    let (generated_lines, reported_lines) = (generated.lines, reported.lines);
    let mut severity = worst;
    if !accumulator.unpaired_generated.is_empty() || !accumulator.unpaired_reported.is_empty() {
        severity = Severity::Fail;
    }
    if let Some(pair_worst) = accumulator.pairs.iter().map(|p| p.severity).max() {
        severity = severity.max(pair_worst);
    }
    EntryComparison {
        entry_number,
        severity,
        paired_lines: accumulator.paired,
        identical_lines: accumulator.identical,
        pairs: accumulator.pairs,
        unpaired_generated: accumulator.unpaired_generated,
        unpaired_reported: accumulator.unpaired_reported,
        totals: EntryTotals {
            generated_lines,
            reported_lines,
            tolerance_usd: tolerance,
            entered_value,
            charges,
            duty,
            duty_by_programme,
            mpf,
            hmf,
            generated_duty_and_fees: generated_money,
            reported_duty_and_fees: reported_money,
            revenue_impact: reported_money.saturating_sub(generated_money),
        },
    }
}

fn hts_text(ctx: &Context<'_>, side: Side, line: &LineRec) -> String {
    let id = ctx.commodity_id(side, line);
    if id == NO_ID { String::new() } else { ctx.hts.texts.get(id).to_owned() }
}

fn unpaired(ctx: &Context<'_>, side: Side, line: &LineRec) -> UnpairedLine {
    let table = ctx.table(side);
    UnpairedLine {
        line_number: line.line_number,
        part: part_text(line.part),
        hts10: hts_text(ctx, side, line),
        origin: table.codes.get(line.origin).to_owned(),
        mid: table.codes.get(line.mid).to_owned(),
        entered_value: line.entered_value,
        duty: table.tariffs_of(line).iter().fold(Decimal::ZERO, |sum, t| sum.saturating_add(t.duty)),
        fees: line.mpf.saturating_add(line.hmf),
    }
}

/// Every difference between two paired lines, in reading order: identity, HTS numbers,
/// amounts.
fn compare_lines(ctx: &Context<'_>, g: &LineRec, r: &LineRec, diffs: &mut Vec<FieldDiff>) {
    let (gt, rt) = (ctx.generated, ctx.reported);
    if g.line_number != r.line_number {
        diffs.push(FieldDiff {
            severity: Severity::Warn,
            ..exact(Field::LineNumber, None, g.line_number.to_string(), r.line_number.to_string())
        });
    }
    if g.entry_date != r.entry_date {
        diffs.push(exact(Field::EntryDate, None, g.entry_date.to_string(), r.entry_date.to_string()));
    }
    if g.part != r.part {
        diffs.push(exact(Field::Part, None, part_text(g.part).to_owned(), part_text(r.part).to_owned()));
    }
    let codes = |unified: &Unified, field: Field, gs: u32, rs: u32, diffs: &mut Vec<FieldDiff>| {
        if unified.generated[gs as usize] != unified.reported[rs as usize] {
            diffs.push(exact(field, None, gt.codes.get(gs).to_owned(), rt.codes.get(rs).to_owned()));
        }
    };
    codes(&ctx.origins, Field::Origin, g.origin, r.origin, diffs);
    codes(&ctx.mids, Field::Mid, g.mid, r.mid, diffs);
    codes(&ctx.spis, Field::Spi, g.spi, r.spi, diffs);
    if g.related_party != r.related_party {
        let flag = |related: bool| if related { "Y" } else { "N" }.to_owned();
        diffs.push(exact(Field::RelatedParty, None, flag(g.related_party), flag(r.related_party)));
    }
    compare_tariffs(ctx, gt.tariffs_of(g), rt.tariffs_of(r), diffs);

    let tolerances = ctx.tolerances;
    if let Some(diff) = banded(
        Field::EnteredValue,
        g.entered_value,
        r.entered_value,
        tolerances.entered_value_usd,
        tolerances.entered_value_warn_percent,
    ) {
        diffs.push(diff);
    }
    if let Some(diff) =
        banded(Field::Charges, g.charges, r.charges, tolerances.charges_usd, tolerances.charges_warn_percent)
    {
        diffs.push(diff);
    }
    compare_quantities(ctx, g, r, diffs);
    if let Some(diff) =
        kilograms(Field::GrossKg, g.gross_kg, r.gross_kg, tolerances.gross_kg_min_kg, tolerances.gross_kg_percent)
    {
        diffs.push(diff);
    }
    if let Some(diff) = kilograms(Field::NetKg, g.net_kg, r.net_kg, tolerances.net_kg_min_kg, tolerances.net_kg_percent)
    {
        diffs.push(diff);
    }
    if let Some(diff) = absolute(Field::Mpf, g.mpf, r.mpf, tolerances.mpf_usd, "USD") {
        diffs.push(diff);
    }
    if let Some(diff) = absolute(Field::Hmf, g.hmf, r.hmf, tolerances.hmf_usd, "USD") {
        diffs.push(diff);
    }
}

/// The commodity numbers against each other (rate and duty compared even when the numbers
/// differ), then the Chapter 98/99 numbers matched by number.
fn compare_tariffs(ctx: &Context<'_>, g: &[TariffRec], r: &[TariffRec], diffs: &mut Vec<FieldDiff>) {
    let (g_commodity, g_other) = match g.split_last() {
        Some((last, rest)) => (Some(last), rest),
        None => (None, g),
    };
    let (r_commodity, r_other) = match r.split_last() {
        Some((last, rest)) => (Some(last), rest),
        None => (None, r),
    };
    match (g_commodity, r_commodity) {
        (Some(a), Some(b)) => {
            let (a_id, b_id) = (ctx.hts_id(Side::Generated, a), ctx.hts_id(Side::Reported, b));
            if a_id != b_id {
                diffs.push(exact(
                    Field::Hts10,
                    None,
                    ctx.hts.texts.get(a_id).to_owned(),
                    ctx.hts.texts.get(b_id).to_owned(),
                ));
            }
            compare_tariff(ctx, a, b, diffs);
        }
        (Some(a), None) => diffs.push(one_side(ctx, Side::Generated, a)),
        (None, Some(b)) => diffs.push(one_side(ctx, Side::Reported, b)),
        (None, None) => {}
    }

    let same_numbers = g_other.len() == r_other.len()
        && g_other.iter().zip(r_other).all(|(a, b)| ctx.hts_id(Side::Generated, a) == ctx.hts_id(Side::Reported, b));
    if same_numbers {
        for (a, b) in g_other.iter().zip(r_other) {
            compare_tariff(ctx, a, b, diffs);
        }
        return;
    }
    let mut taken = vec![false; r_other.len()];
    let mut matched: Vec<(usize, usize)> = Vec::new();
    for (gi, a) in g_other.iter().enumerate() {
        let id = ctx.hts_id(Side::Generated, a);
        let found = r_other.iter().enumerate().position(|(ri, b)| !taken[ri] && ctx.hts_id(Side::Reported, b) == id);
        match found {
            Some(ri) => {
                taken[ri] = true;
                matched.push((gi, ri));
            }
            None => diffs.push(one_side(ctx, Side::Generated, a)),
        }
    }
    for (ri, b) in r_other.iter().enumerate() {
        if !taken[ri] {
            diffs.push(one_side(ctx, Side::Reported, b));
        }
    }
    if matched.windows(2).any(|w| w[0].1 > w[1].1) {
        let sequence = |side: Side, tariffs: &[TariffRec]| {
            tariffs.iter().map(|t| ctx.hts.texts.get(ctx.hts_id(side, t))).collect::<Vec<_>>().join(" ")
        };
        diffs.push(exact(
            Field::Chapter99Order,
            None,
            sequence(Side::Generated, g_other),
            sequence(Side::Reported, r_other),
        ));
    }
    for (gi, ri) in matched {
        compare_tariff(ctx, &g_other[gi], &r_other[ri], diffs);
    }
}

fn compare_tariff(ctx: &Context<'_>, a: &TariffRec, b: &TariffRec, diffs: &mut Vec<FieldDiff>) {
    let number = || Some(ctx.hts.texts.get(ctx.hts_id(Side::Generated, a)).to_owned());
    if ctx.rates.generated[a.rate as usize] != ctx.rates.reported[b.rate as usize] {
        diffs.push(exact(
            Field::Rate,
            number(),
            ctx.generated.rates.get(a.rate).to_owned(),
            ctx.reported.rates.get(b.rate).to_owned(),
        ));
    }
    if a.duty != b.duty {
        let tolerances = ctx.tolerances;
        let gap = b.duty.saturating_sub(a.duty);
        let severity = if gap.abs() <= tolerances.duty_usd {
            Severity::Match
        } else if gap.abs() <= tolerances.duty_warn_usd {
            Severity::Warn
        } else {
            Severity::Fail
        };
        diffs.push(FieldDiff {
            field: Field::Duty,
            hts_number: number(),
            generated: a.duty.to_string(),
            reported: b.duty.to_string(),
            difference: Some(gap),
            tolerance: format!("±{} USD, warn up to {} USD", tolerances.duty_usd, tolerances.duty_warn_usd),
            severity,
        });
    }
    if let (Some(pa), Some(pb)) = (a.programme, b.programme)
        && pa != pb
    {
        diffs.push(exact(Field::Programme, number(), Programme::code(pa).to_owned(), Programme::code(pb).to_owned()));
    }
}

/// An HTS number only `side` has.
fn one_side(ctx: &Context<'_>, side: Side, tariff: &TariffRec) -> FieldDiff {
    let table = ctx.table(side);
    let present = format!("{} duty {}", table.rates.get(tariff.rate), tariff.duty);
    let (generated, reported) = match side {
        Side::Generated => (present, "absent".to_owned()),
        Side::Reported => ("absent".to_owned(), present),
    };
    FieldDiff {
        field: Field::HtsNumber,
        hts_number: Some(ctx.hts.texts.get(ctx.hts_id(side, tariff)).to_owned()),
        generated,
        reported,
        difference: None,
        tolerance: "exact".to_owned(),
        severity: Severity::Fail,
    }
}

fn compare_quantities(ctx: &Context<'_>, g: &LineRec, r: &LineRec, diffs: &mut Vec<FieldDiff>) {
    let gq = ctx.generated.quantities_of(g);
    let rq = ctx.reported.quantities_of(r);
    let same_units = gq.len() == rq.len()
        && gq.iter().zip(rq).all(|(a, b)| ctx.units.generated[a.unit as usize] == ctx.units.reported[b.unit as usize]);
    if !same_units {
        let describe = |table: &LineTable, quantities: &[super::table::QuantityRec]| {
            quantities.iter().map(|q| format!("{} {}", q.value, table.codes.get(q.unit))).collect::<Vec<_>>().join("; ")
        };
        diffs.push(exact(Field::Units, None, describe(ctx.generated, gq), describe(ctx.reported, rq)));
        return;
    }
    let tolerances = ctx.tolerances;
    for (a, b) in gq.iter().zip(rq) {
        if a.value == b.value {
            continue;
        }
        let unit = ctx.units.generated[a.unit as usize];
        let diff = if Some(unit) == ctx.kg_unit {
            kilograms(Field::Quantity, a.value, b.value, tolerances.net_kg_min_kg, tolerances.net_kg_percent)
        } else {
            absolute(Field::Quantity, a.value, b.value, tolerances.count_quantity, ctx.units.texts.get(unit))
        };
        if let Some(mut diff) = diff {
            let unit_text = ctx.units.texts.get(unit);
            diff.generated = format!("{} {unit_text}", a.value);
            diff.reported = format!("{} {unit_text}", b.value);
            diffs.push(diff);
        }
    }
}

fn exact(field: Field, hts_number: Option<String>, generated: String, reported: String) -> FieldDiff {
    FieldDiff {
        field,
        hts_number,
        generated,
        reported,
        difference: None,
        tolerance: "exact".to_owned(),
        severity: Severity::Fail,
    }
}

/// Within `usd` matches; within `warn_percent` of the larger value warns; else fails.
fn banded(field: Field, g: Decimal, r: Decimal, usd: Decimal, warn_percent: Decimal) -> Option<FieldDiff> {
    if g == r {
        return None;
    }
    let gap = r.saturating_sub(g);
    let warn = percent_of(larger(g, r), warn_percent);
    let severity = if gap.abs() <= usd {
        Severity::Match
    } else if gap.abs() <= warn {
        Severity::Warn
    } else {
        Severity::Fail
    };
    Some(FieldDiff {
        field,
        hts_number: None,
        generated: g.to_string(),
        reported: r.to_string(),
        difference: Some(gap),
        tolerance: format!("±{usd} USD, warn up to {warn_percent} % ({})", warn.round_dp(2)),
        severity,
    })
}

/// Within max(`min_kg`, `percent` of the larger value) matches; else fails.
fn kilograms(field: Field, g: Decimal, r: Decimal, min_kg: Decimal, percent: Decimal) -> Option<FieldDiff> {
    if g == r {
        return None;
    }
    let gap = r.saturating_sub(g);
    let applied = min_kg.max(percent_of(larger(g, r), percent));
    Some(FieldDiff {
        field,
        hts_number: None,
        generated: g.to_string(),
        reported: r.to_string(),
        difference: Some(gap),
        tolerance: format!("±max({min_kg} kg, {percent} %) = {} kg", shown_amount(applied)),
        severity: if gap.abs() <= applied { Severity::Match } else { Severity::Fail },
    })
}

/// Within `usd` matches; else fails.
fn absolute(field: Field, g: Decimal, r: Decimal, tolerance: Decimal, unit: &str) -> Option<FieldDiff> {
    if g == r {
        return None;
    }
    let gap = r.saturating_sub(g);
    Some(FieldDiff {
        field,
        hts_number: None,
        generated: g.to_string(),
        reported: r.to_string(),
        difference: Some(gap),
        tolerance: if tolerance.is_zero() { "exact".to_owned() } else { format!("±{tolerance} {unit}") },
        severity: if gap.abs() <= tolerance { Severity::Match } else { Severity::Fail },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::bench_lines;

    /// The split of work over two threads is invisible in the report.
    #[test]
    fn one_thread_and_two_give_the_same_report() {
        let (generated, reported) = bench_lines(3_000, 5);
        let (generated, reported) = (LineTable::from_lines(&generated), LineTable::from_lines(&reported));
        let tolerances = Tolerances::default();
        let one = compare_tables_on(&generated, &reported, &tolerances, false);
        let two = compare_tables_on(&generated, &reported, &tolerances, true);
        assert!(one.failed() && one.summary.paired_by_best_match > 0);
        assert_eq!(one, two);
    }
}
