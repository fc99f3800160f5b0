//! From one group of items to its customs line, or to the two lines of a metal split.
//!
//! A group under a rule that requires the metal split, whose metal value is more than zero and
//! less than its entered value (both whole dollars), becomes two lines with the same HTS number
//! and origin: the non-metal line (all quantity, all gross and net weight, all charges, value less
//! metal value, the duties that are not on metal) and the metal line (quantity 0, the metal value,
//! the duties on metal with their claim codes, net kg = the metal's kg, gross kg 0 so the entry's
//! gross weight is counted once). Otherwise the group is one whole line.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::duty::{PartValues, TariffContext, commodity_rate, part_tariffs};
use super::grouping::{Group, ItemOrder};
use super::quantities::line_quantities;
use super::rounding::{amount, half_up, usd, whole_amount, whole_dollars};
use super::selection::{RuleText, Selection};
use crate::model::{CustomsLine, InvoiceItem, LinePart, TariffRule};

/// The longest MID CBP accepts.
const MID_MAX_CHARS: usize = 15;
/// How many invoice items a trace names before it counts the rest.
const TRACE_ITEMS: usize = 10;

/// The line (or the two lines) of one group, numbered 0 and without fees: the entry numbers
/// them and adds fees.
pub(crate) fn group_lines(
    group: &Group<'_>,
    items: &[InvoiceItem],
    rules: &[TariffRule],
    texts: &[RuleText],
    selection: &Selection,
    entry_date: NaiveDate,
) -> Vec<CustomsLine> {
    let key = &group.key;
    let mut trace = Vec::new();
    let mut flags = Vec::new();
    // Quantity and weight flags belong to the line that carries the quantity and weight.
    let mut quantity_flags = Vec::new();

    trace.push(describe_items(group, items));
    let value = whole_dollars(group.value);
    let charges = whole_dollars(group.charges);
    trace.push(format!(
        "entered value {} (items sum {}, rounded half-up once); charges {}",
        usd(value),
        usd(group.value),
        usd(charges)
    ));
    let gross_raw = group.goods_gross_kg + group.packaging_kg;
    let (gross_kg, gross_raised) = whole_amount(gross_raw);
    if gross_raised {
        quantity_flags.push(format!("gross weight {} kg is under 1: reported as 1", amount(gross_raw.round_dp(3))));
    }
    trace.push(format!(
        "gross {} kg = goods {} kg + packaging {} kg; net {} kg",
        gross_kg,
        amount(group.goods_gross_kg),
        amount(group.packaging_kg),
        amount(group.net_kg)
    ));
    let quantities = line_quantities(&group.hts.units, group.pieces, group.net_kg, &mut quantity_flags);

    let mid = key.mid;
    if mid.is_empty() {
        flags.push("mid missing: maintain the manufacturer id on the product or the invoice".to_string());
    } else if mid.chars().count() > MID_MAX_CHARS {
        flags.push(format!("mid {mid:?} is longer than {MID_MAX_CHARS} characters"));
    }
    if !key.adcvd_case.is_empty() {
        trace.push(format!("ad/cvd case {}: deposits are not computed here", key.adcvd_case));
    }
    trace.extend(selection.notes.iter().cloned());

    let spi = (!key.spi.is_empty()).then_some(key.spi);
    let commodity = commodity_rate(group.hts, spi);
    let context = TariffContext { rules, texts, selection, entry: group.hts, commodity: &commodity };
    let metal = if selection.needs_metal_value { whole_dollars(group.metal_value) } else { Decimal::ZERO };

    let base = CustomsLine {
        entry_number: key.entry.to_string(),
        entry_date,
        line_number: 0,
        part: LinePart::Whole,
        origin: key.origin.to_string(),
        mid: mid.to_string(),
        spi: spi.map(str::to_string),
        related_party: key.related_party,
        tariffs: Vec::new(),
        entered_value: value,
        charges,
        gross_kg,
        net_kg: group.net_kg,
        quantities,
        mpf: Decimal::ZERO,
        hmf: Decimal::ZERO,
        flags,
        trace,
    };

    let splits = selection.split && metal > Decimal::ZERO && metal < value;
    if !splits {
        let mut line = base;
        line.flags.extend(quantity_flags);
        if selection.split {
            let reason = if metal.is_zero() { "no metal value" } else { "the whole value is metal" };
            line.trace.push(format!("no split: {reason} ({} of {})", usd(metal), usd(value)));
        }
        let part = PartValues { kind: LinePart::Whole, value, metal, pieces: group.pieces, net_kg: group.net_kg };
        line.tariffs = part_tariffs(&context, part, &line.quantities, &mut line.trace, &mut line.flags);
        return vec![line];
    }

    let mut non_metal = base.clone();
    non_metal.flags.extend(quantity_flags);
    let non_metal_value = value - metal;
    non_metal.part = LinePart::NonMetal;
    non_metal.entered_value = non_metal_value;
    non_metal.trace.push(format!(
        "split: metal value {} of {} → non-metal line {} (all quantity and weight)",
        usd(metal),
        usd(value),
        usd(non_metal_value)
    ));
    let part = PartValues {
        kind: LinePart::NonMetal,
        value: non_metal_value,
        metal: Decimal::ZERO,
        pieces: group.pieces,
        net_kg: group.net_kg,
    };
    non_metal.tariffs = part_tariffs(&context, part, &non_metal.quantities, &mut non_metal.trace, &mut non_metal.flags);

    let mut metal_line = base;
    metal_line.part = LinePart::Metal;
    metal_line.entered_value = metal;
    metal_line.charges = whole_dollars(Decimal::ZERO);
    metal_line.gross_kg = half_up(Decimal::ZERO, 0);
    metal_line.net_kg = group.metal_kg;
    metal_line.quantities =
        metal_line.quantities.iter().map(|(unit, _)| (unit.clone(), half_up(Decimal::ZERO, 0))).collect();
    metal_line.trace.push(format!(
        "split: metal line {} of {} (quantity 0, metal {} kg, charges and gross weight on the non-metal line)",
        usd(metal),
        usd(value),
        amount(group.metal_kg)
    ));
    if !group.metal_kg_missing.is_empty() {
        metal_line.flags.push(format!(
            "metal kg per unit not maintained for material {}: the metal line's net kg counts only the others",
            group.metal_kg_missing.join(", ")
        ));
    }
    let part = PartValues { kind: LinePart::Metal, value: metal, metal, pieces: Decimal::ZERO, net_kg: Decimal::ZERO };
    metal_line.tariffs =
        part_tariffs(&context, part, &metal_line.quantities, &mut metal_line.trace, &mut metal_line.flags);
    vec![non_metal, metal_line]
}

fn describe_items(group: &Group<'_>, items: &[InvoiceItem]) -> String {
    let mut numbers: Vec<ItemOrder<'_>> = group.items.iter().map(|&i| ItemOrder::new(&items[i].invoice_item)).collect();
    numbers.sort_unstable();
    let listed: Vec<&str> = numbers.iter().take(TRACE_ITEMS).map(ItemOrder::text).collect();
    let more = group.items.len().saturating_sub(TRACE_ITEMS);
    let plural = if group.items.len() == 1 { "" } else { "s" };
    let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
    format!(
        "grouped {} item{plural}: invoice {} item {}{tail}",
        group.items.len(),
        group.key.invoice,
        listed.join(", ")
    )
}
