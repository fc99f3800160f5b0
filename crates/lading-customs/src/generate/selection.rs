//! Chapter 99 selection: which tariff rules apply to goods of one origin under one HTS number on
//! one entry date, before the line is split or displaced.
//!
//! A rule applies when it is in force on the entry date (`effective_from ≤ date ≤
//! effective_to`), covers the origin (listed or no list, not excluded) and covers the HTS number
//! (a prefix matches, or no prefixes). When several Section 301 rules apply, the highest rate wins
//! (ties: lower rank, then the earlier row). Two applicable rows with the same Chapter 99 number
//! are an overlap in the table: the item is refused rather than charged twice or guessed.

use chrono::NaiveDate;

use super::{IssueCode, Problem};
use crate::model::{Programme, RateBasis, TariffRule};
use crate::rate::format_percent;
use crate::rules::{applies, describe_dates, describe_rule};

/// The rules that apply to one (date, origin, HTS number), in reporting order.
#[derive(Debug)]
pub(crate) struct Selection {
    /// Indexes into the rule table, sorted by `report_order`.
    pub rules: Vec<usize>,
    /// Why rules were left out (301 lists that lost to a higher rate).
    pub notes: Vec<String>,
    /// A rule requires the metal split.
    pub split: bool,
    /// A rule's duty needs the metal value (metal or non-metal content, or a split).
    pub needs_metal_value: bool,
}

/// Texts of one rule that every line under it repeats, written once per run.
#[derive(Debug)]
pub(crate) struct RuleText {
    /// `rule 3, effective 2018-09-24..`: how a trace cites the rule.
    pub described: String,
    /// `25%`.
    pub percent: String,
}

pub(crate) fn rule_texts(rules: &[TariffRule]) -> Vec<RuleText> {
    rules
        .iter()
        .enumerate()
        .map(|(index, rule)| RuleText {
            described: format!("rule {index}, effective {}", describe_dates(rule.effective_from, rule.effective_to)),
            percent: format_percent(rule.rate_percent),
        })
        .collect()
}

/// The order of numbers on a line: Chapter 98 first, then by rank, then by number.
pub(crate) fn report_order(number: &str, rank: u16) -> (u8, u16, &str) {
    let chapter98 = number.trim_start().starts_with("98");
    (if chapter98 { 0 } else { 1 }, rank, number)
}

pub(crate) fn select(rules: &[TariffRule], date: NaiveDate, origin: &str, hts10: &str) -> Result<Selection, Problem> {
    let mut matching: Vec<usize> =
        rules.iter().enumerate().filter(|(_, rule)| applies(rule, date, origin, hts10)).map(|(i, _)| i).collect();

    for (position, &first) in matching.iter().enumerate() {
        for &second in &matching[position + 1..] {
            if rules[first].chapter99.trim() == rules[second].chapter99.trim() {
                return Err(Problem {
                    code: IssueCode::RulesOverlap,
                    message: format!(
                        "{} and {} both apply to hts {hts10} from {origin} on {date}: fix the tariff table \
                         so only one row of {} is in force that day",
                        describe_rule(first, &rules[first]),
                        describe_rule(second, &rules[second]),
                        rules[first].chapter99.trim()
                    ),
                });
            }
        }
    }

    let mut notes = Vec::new();
    let section_301: Vec<usize> = matching.iter().copied().filter(|&i| rules[i].programme == Programme::S301).collect();
    if section_301.len() > 1 {
        let winner = section_301.iter().copied().max_by(|&a, &b| {
            rules[a].rate_percent.cmp(&rules[b].rate_percent).then(rules[b].rank.cmp(&rules[a].rank)).then(b.cmp(&a))
        });
        if let Some(winner) = winner {
            for &loser in section_301.iter().filter(|&&i| i != winner) {
                notes.push(format!(
                    "301 {} {} (rule {loser}, {}) left out: {} {} is the highest 301 rate",
                    rules[loser].chapter99.trim(),
                    format_percent(rules[loser].rate_percent),
                    describe_dates(rules[loser].effective_from, rules[loser].effective_to),
                    rules[winner].chapter99.trim(),
                    format_percent(rules[winner].rate_percent)
                ));
            }
            matching.retain(|&i| rules[i].programme != Programme::S301 || i == winner);
        }
    }

    matching.sort_by(|&a, &b| {
        report_order(&rules[a].chapter99, rules[a].rank)
            .cmp(&report_order(&rules[b].chapter99, rules[b].rank))
            .then(a.cmp(&b))
    });
    let split = matching.iter().any(|&i| rules[i].requires_metal_split);
    let needs_metal_value = split
        || matching.iter().any(|&i| matches!(rules[i].basis, RateBasis::MetalContent | RateBasis::NonMetalContent));
    Ok(Selection { rules: matching, notes, split, needs_metal_value })
}
