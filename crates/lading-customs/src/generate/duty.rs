//! Duty per HTS number on one line (or one part of a split line): each Chapter 99 number at its
//! rate on its own basis, displaced numbers reported as zero-duty claim codes, and the commodity
//! number last at its general (or special-programme) rate. Each duty is rounded half-up to cents
//! on its own; duties are never merged across numbers.
//!
//! Bases: `full_value` is the part's entered value, `metal_content` its metal value,
//! `non_metal_content` the value less the metal value, and `floor` tops the general ad valorem
//! rate up to the rule's rate (duty at the difference, never below zero). On a non-metal part the
//! rules that require a split or charge metal content are left to the metal part; on a metal part
//! the non-metal-content rules are left out. A rule displaces another on the same part when it
//! lists the other's programme; the displaced number is reported as the claim code of the
//! displacing row, or failing that the displaced row's own claim code, at rate `0` and duty 0,
//! in the displaced number's rank.

use rust_decimal::Decimal;

use super::quantities::{raw_quantity, unit_name};
use super::rounding::{cents, percent_of, usd, whole_amount};
use super::selection::{RuleText, Selection, report_order};
use crate::model::{HtsEntry, LinePart, LineTariff, Programme, Rate, RateBasis, TariffRule, Unit};
use crate::rate::{format_percent, format_rate, parse_rate};

/// The rate of the commodity number for a line: the general rate, or the special rate of the
/// line's programme indicator when the HTS lists it.
#[derive(Debug)]
pub(crate) struct CommodityRate {
    pub rate: Rate,
    pub text: String,
    pub note: Option<String>,
    pub flag: Option<String>,
}

pub(crate) fn commodity_rate(entry: &HtsEntry, spi: Option<&str>) -> CommodityRate {
    let general_text = entry.general_text.trim();
    let general_text = if general_text.is_empty() { format_rate(&entry.general) } else { general_text.to_string() };
    let general = CommodityRate { rate: entry.general.clone(), text: general_text, note: None, flag: None };
    let Some(spi) = spi.map(str::trim).filter(|s| !s.is_empty()) else { return general };
    match special_rate(&entry.special_text, spi) {
        Some((text, listed)) => {
            let flag = (listed != spi).then(|| {
                format!("spi {spi} is listed as {listed} for {}: check the origin and goods are eligible", entry.hts10)
            });
            CommodityRate {
                rate: parse_rate(text),
                text: text.to_string(),
                note: Some(format!("spi {spi}: special rate {text} instead of general {}", general.text)),
                flag,
            }
        }
        None if general.rate == Rate::Free => CommodityRate {
            note: Some(format!("spi {spi}: not in the special column, general rate is Free")),
            ..general
        },
        None => CommodityRate {
            note: None,
            flag: Some(format!(
                "spi {spi} is not listed in the special column of {}: general rate {} applied; correct the spi \
                 or the reference",
                entry.hts10, general.text
            )),
            ..general
        },
    }
}

/// The rate text of the special column segment that lists `spi`, and the code as listed
/// (`A*`, `S+` …): `Free (A*,AU,BH) 2.1% (JP)`.
fn special_rate<'t>(special: &'t str, spi: &str) -> Option<(&'t str, &'t str)> {
    let mut rest = special;
    while let Some(open) = rest.find('(') {
        let close = open + rest[open..].find(')')?;
        let text = rest[..open].trim();
        for code in rest[open + 1..close].split(',').map(str::trim) {
            if code == spi || code.trim_end_matches(['*', '+']) == spi {
                return Some((text, code));
            }
        }
        rest = &rest[close + 1..];
    }
    None
}

/// What one part of a line is worth, for duty bases.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PartValues {
    pub kind: LinePart,
    /// Entered value, whole dollars.
    pub value: Decimal,
    /// Metal value, whole dollars (the whole value on a metal part, 0 on a non-metal part).
    pub metal: Decimal,
    /// Pieces and net kg, for specific rates (0 on a metal part).
    pub pieces: Decimal,
    pub net_kg: Decimal,
}

enum Slot {
    Duty { rule: usize, basis: Decimal },
    Claim { code: String },
}

/// What every part of one group's line shares: the rules, the selection, the commodity.
pub(crate) struct TariffContext<'a> {
    pub rules: &'a [TariffRule],
    pub texts: &'a [RuleText],
    pub selection: &'a Selection,
    pub entry: &'a HtsEntry,
    pub commodity: &'a CommodityRate,
}

/// Every HTS number of one part, in reporting order, commodity last.
pub(crate) fn part_tariffs(
    context: &TariffContext<'_>,
    part: PartValues,
    quantities: &[(Unit, Decimal)],
    trace: &mut Vec<String>,
    flags: &mut Vec<String>,
) -> Vec<LineTariff> {
    let TariffContext { rules, texts, selection, entry, commodity } = *context;
    let mut included: Vec<(usize, Decimal)> = Vec::with_capacity(selection.rules.len());
    for &index in &selection.rules {
        let rule = &rules[index];
        let basis = match rule.basis {
            RateBasis::FullValue | RateBasis::Floor => part.value,
            RateBasis::MetalContent => part.metal,
            RateBasis::NonMetalContent => part.value - part.metal,
        };
        let left_out = match part.kind {
            LinePart::NonMetal => rule.requires_metal_split || rule.basis == RateBasis::MetalContent,
            LinePart::Metal => rule.basis == RateBasis::NonMetalContent,
            LinePart::Whole => false,
        };
        if left_out {
            continue;
        }
        let content_basis = matches!(rule.basis, RateBasis::MetalContent | RateBasis::NonMetalContent);
        if content_basis && basis.is_zero() {
            let content = if rule.basis == RateBasis::MetalContent { "metal" } else { "non-metal" };
            trace.push(format!(
                "{} {} not applied: no {content} content on this line ({})",
                Programme::code(rule.programme),
                rule.chapter99.trim(),
                texts[index].described
            ));
            continue;
        }
        included.push((index, basis));
    }

    let mut slots: Vec<((u8, u16, String), Slot)> = Vec::with_capacity(included.len() + 1);
    for &(index, basis) in &included {
        let rule = &rules[index];
        let displacer = included.iter().map(|&(j, _)| j).find(|&j| {
            j != index && rules[j].programme != rule.programme && rules[j].displaces.contains(&rule.programme)
        });
        let Some(displacer) = displacer else {
            let (chapter, rank, number) = report_order(rule.chapter99.trim(), rule.rank);
            slots.push(((chapter, rank, number.to_string()), Slot::Duty { rule: index, basis }));
            continue;
        };
        let by = &rules[displacer];
        match by.claim_code.as_deref().or(rule.claim_code.as_deref()).map(str::trim) {
            Some(code) => {
                trace.push(format!(
                    "{} {} displaces {} {} → claim {code} at $0",
                    Programme::code(by.programme),
                    by.chapter99.trim(),
                    Programme::code(rule.programme),
                    rule.chapter99.trim()
                ));
                let already = slots.iter().any(|(_, s)| matches!(s, Slot::Claim { code: c, .. } if c == code));
                if !already {
                    let (chapter, rank, number) = report_order(code, rule.rank);
                    slots.push(((chapter, rank, number.to_string()), Slot::Claim { code: code.to_string() }));
                }
            }
            None => {
                flags.push(format!(
                    "{} {} displaced by {} {} but neither row has a claim code: nothing reported in its place",
                    Programme::code(rule.programme),
                    rule.chapter99.trim(),
                    Programme::code(by.programme),
                    by.chapter99.trim()
                ));
                trace.push(format!(
                    "{} {} displaces {} {} (no claim code)",
                    Programme::code(by.programme),
                    by.chapter99.trim(),
                    Programme::code(rule.programme),
                    rule.chapter99.trim()
                ));
            }
        }
    }
    slots.sort_by(|a, b| a.0.cmp(&b.0));

    let mut tariffs = Vec::with_capacity(slots.len() + 1);
    for (_, slot) in slots {
        match slot {
            Slot::Claim { code } => tariffs.push(LineTariff {
                hts_number: code,
                programme: Some(Programme::Claim),
                rate_text: "0".to_string(),
                duty: cents(Decimal::ZERO),
            }),
            Slot::Duty { rule: index, basis } => {
                tariffs.push(chapter99_duty(&rules[index], &texts[index], basis, commodity, trace, flags));
            }
        }
    }
    tariffs.push(commodity_duty(entry, commodity, part, quantities, trace, flags));
    tariffs
}

fn chapter99_duty(
    rule: &TariffRule,
    text: &RuleText,
    basis: Decimal,
    commodity: &CommodityRate,
    trace: &mut Vec<String>,
    flags: &mut Vec<String>,
) -> LineTariff {
    let number = rule.chapter99.trim().to_string();
    let (percent, basis_label): (Option<Decimal>, std::borrow::Cow<'static, str>) = match rule.basis {
        RateBasis::FullValue => (Some(rule.rate_percent), "full value".into()),
        RateBasis::MetalContent => (Some(rule.rate_percent), "metal content".into()),
        RateBasis::NonMetalContent => (Some(rule.rate_percent), "non-metal content".into()),
        RateBasis::Floor => {
            let general = match &commodity.rate {
                Rate::Free => Some(Decimal::ZERO),
                Rate::AdValorem { percent } => Some(*percent),
                _ => None,
            };
            match general {
                Some(general) => (
                    Some(rule.rate_percent.checked_sub(general).unwrap_or_default().max(Decimal::ZERO)),
                    format!("value (floor {} less general {})", text.percent, commodity.text).into(),
                ),
                None => (None, "".into()),
            }
        }
    };
    let Some(percent) = percent else {
        flags.push(format!(
            "{number}: floor rate {} needs an ad valorem general rate, the general rate is {:?}: duty 0, compute by hand",
            text.percent,
            commodity.text
        ));
        trace.push(format!("{} {number} floor not computed ({})", Programme::code(rule.programme), text.described));
        return LineTariff {
            hts_number: number,
            programme: Some(rule.programme),
            rate_text: text.percent.clone(),
            duty: cents(Decimal::ZERO),
        };
    };
    let duty = match percent_of(basis, percent) {
        Some(duty) => cents(duty),
        None => {
            flags.push(format!("{number}: duty too large to compute: duty 0, check the rate and the value"));
            cents(Decimal::ZERO)
        }
    };
    let rate_text = if percent == rule.rate_percent { text.percent.clone() } else { format_percent(percent) };
    trace.push(format!(
        "{} {number} {rate_text} of {basis_label} {} = {} ({})",
        Programme::code(rule.programme),
        usd(basis),
        usd(duty),
        text.described
    ));
    LineTariff { hts_number: number, programme: Some(rule.programme), rate_text, duty }
}

fn commodity_duty(
    entry: &HtsEntry,
    commodity: &CommodityRate,
    part: PartValues,
    quantities: &[(Unit, Decimal)],
    trace: &mut Vec<String>,
    flags: &mut Vec<String>,
) -> LineTariff {
    let hts10 = entry.hts10.trim();
    let overflow = |flags: &mut Vec<String>| {
        flags.push(format!("{hts10}: duty too large to compute: duty 0, check the rate and the value"));
        Decimal::ZERO
    };
    let ad_valorem = |percent: Decimal| percent_of(part.value, percent);
    // `None` when the unit has no quantity here (flagged), `Some(None)` on overflow.
    let specific = |dollars: Decimal, per: &Unit, flags: &mut Vec<String>| -> Option<Option<Decimal>> {
        let quantity = quantities
            .iter()
            .find(|(unit, _)| unit == per)
            .map(|(_, q)| *q)
            .or_else(|| raw_quantity(per, part.pieces, part.net_kg).map(|raw| whole_amount(raw).0));
        match quantity {
            Some(quantity) => Some(quantity.checked_mul(dollars)),
            None => {
                flags.push(format!(
                    "{hts10}: specific rate per {} has no quantity on this line: duty 0, compute by hand",
                    unit_name(per)
                ));
                None
            }
        }
    };
    let duty = match &commodity.rate {
        Rate::Free => Decimal::ZERO,
        Rate::AdValorem { percent } => ad_valorem(*percent).unwrap_or_else(|| overflow(flags)),
        Rate::Specific { dollars, per } => match specific(*dollars, per, flags) {
            Some(duty) => duty.unwrap_or_else(|| overflow(flags)),
            None => Decimal::ZERO,
        },
        Rate::Compound { percent, dollars, per } => {
            let specific = specific(*dollars, per, flags);
            let ad_valorem = ad_valorem(*percent);
            match (ad_valorem, specific) {
                (Some(ad_valorem), None) => ad_valorem,
                (Some(ad_valorem), Some(Some(specific))) => {
                    ad_valorem.checked_add(specific).unwrap_or_else(|| overflow(flags))
                }
                _ => overflow(flags),
            }
        }
        Rate::Unparsed { text } => {
            flags.push(format!(
                "{hts10}: rate {:?} could not be read: duty 0, compute by hand or correct the reference",
                text.trim()
            ));
            Decimal::ZERO
        }
    };
    let duty = cents(duty);
    if let Some(note) = &commodity.note {
        trace.push(note.clone());
    }
    if let Some(flag) = &commodity.flag {
        flags.push(flag.clone());
    }
    trace.push(format!("commodity {hts10} {} on {} = {}", commodity.text, usd(part.value), usd(duty)));
    LineTariff { hts_number: hts10.to_string(), programme: None, rate_text: commodity.text.clone(), duty }
}
