//! Checks of the tariff-sequencing table (Chapter 99 rules) and the matching predicates the
//! generator shares: is a rule in force on a date, does it cover an origin, an HTS number.
//!
//! `check_rules` returns every problem, not the first: rules that overlap (the same Chapter 99
//! number in force on the same day for the same goods), dates out of order, malformed prefixes,
//! origins and numbers, and displacements with no claim code to report. Each problem names the
//! rules (by their index in the slice, and their number and dates) and says what to fix. Run it
//! when the table is loaded; the generator trusts the table and only refuses an item to which two
//! overlapping rules would both apply.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{Programme, RateBasis, TariffRule};

/// What is wrong with one rule or a pair of rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleProblemKind {
    /// Two rows with the same Chapter 99 number in force on a common day for common goods.
    Overlap,
    /// `effective_to` is before `effective_from`: the rule never applies.
    EffectiveToBeforeFrom,
    /// An HTS prefix that is not 4 to 10 digits.
    BadHtsPrefix,
    /// An origin or excluded origin that is not an ISO-2 code in capitals.
    BadOrigin,
    /// An origin both listed and excluded.
    OriginListedAndExcluded,
    /// A Chapter 99 (or 98) number not written `9903.88.03`.
    BadChapter99,
    /// A claim code not written `9903.01.33`.
    BadClaimCode,
    /// A negative rate.
    NegativeRate,
    /// A rule that names its own programme among those it displaces.
    DisplacesOwnProgramme,
    /// A rule displaces another that applies to common goods, and neither row carries the
    /// claim code to report in its place.
    MissingClaimCode,
    /// A rule requires a metal split but its duty is not on metal content.
    SplitWithoutMetalBasis,
}

impl RuleProblemKind {
    /// The snake-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleProblemKind::Overlap => "overlap",
            RuleProblemKind::EffectiveToBeforeFrom => "effective_to_before_from",
            RuleProblemKind::BadHtsPrefix => "bad_hts_prefix",
            RuleProblemKind::BadOrigin => "bad_origin",
            RuleProblemKind::OriginListedAndExcluded => "origin_listed_and_excluded",
            RuleProblemKind::BadChapter99 => "bad_chapter99",
            RuleProblemKind::BadClaimCode => "bad_claim_code",
            RuleProblemKind::NegativeRate => "negative_rate",
            RuleProblemKind::DisplacesOwnProgramme => "displaces_own_programme",
            RuleProblemKind::MissingClaimCode => "missing_claim_code",
            RuleProblemKind::SplitWithoutMetalBasis => "split_without_metal_basis",
        }
    }
}

/// Whether the table can be used as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Lines generated with this table may be wrong or refused.
    Error,
    /// Suspicious, but lines follow the data as written.
    Warning,
}

/// One problem in the rule table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleProblem {
    pub kind: RuleProblemKind,
    pub severity: Severity,
    /// Indexes of the rules involved, in the slice given to `check_rules`.
    pub rules: Vec<usize>,
    /// What is wrong and what to fix, naming the rules.
    pub message: String,
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

/// Checks the whole table and returns every problem found, in rule order (pair problems after
/// single-rule ones).
pub fn check_rules(rules: &[TariffRule]) -> Vec<RuleProblem> {
    let mut problems = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        check_one(index, rule, &mut problems);
    }
    for (first_index, first) in rules.iter().enumerate() {
        for (second_offset, second) in rules[first_index + 1..].iter().enumerate() {
            let second_index = first_index + 1 + second_offset;
            if first.chapter99.trim() == second.chapter99.trim()
                && let Some(common) = common_ground(first, second)
            {
                problems.push(RuleProblem {
                    kind: RuleProblemKind::Overlap,
                    severity: Severity::Error,
                    rules: vec![first_index, second_index],
                    message: format!(
                        "{} and {} both apply {} for {}: end one the day before the other starts, \
                         or narrow their hts or origin scope so they do not meet",
                        describe_rule(first_index, first),
                        describe_rule(second_index, second),
                        first.chapter99.trim(),
                        common
                    ),
                });
            }
        }
    }
    for (displacer_index, displacer) in rules.iter().enumerate() {
        if displacer.claim_code.is_some() {
            continue;
        }
        for (displaced_index, displaced) in rules.iter().enumerate() {
            if displaced_index == displacer_index
                || displaced.programme == displacer.programme
                || !displacer.displaces.contains(&displaced.programme)
                || displaced.claim_code.is_some()
            {
                continue;
            }
            if let Some(common) = common_ground(displacer, displaced) {
                problems.push(RuleProblem {
                    kind: RuleProblemKind::MissingClaimCode,
                    severity: Severity::Error,
                    rules: vec![displacer_index, displaced_index],
                    message: format!(
                        "{} displaces {} for {} but neither row carries a claim code: set claim_code \
                         on the displaced row (the zero-duty number reported in its place)",
                        describe_rule(displacer_index, displacer),
                        describe_rule(displaced_index, displaced),
                        common
                    ),
                });
            }
        }
    }
    problems
}

fn check_one(index: usize, rule: &TariffRule, problems: &mut Vec<RuleProblem>) {
    let mut push = |kind, severity, message: String| {
        problems.push(RuleProblem {
            kind,
            severity,
            rules: vec![index],
            message: format!("{}: {message}", describe_rule(index, rule)),
        })
    };
    if !is_chapter_number(&rule.chapter99) {
        push(
            RuleProblemKind::BadChapter99,
            Severity::Error,
            format!("chapter 99 number {:?} is not written like 9903.88.03", rule.chapter99),
        );
    }
    if let Some(claim) = &rule.claim_code
        && !is_chapter_number(claim)
    {
        push(
            RuleProblemKind::BadClaimCode,
            Severity::Error,
            format!("claim code {claim:?} is not written like 9903.01.33"),
        );
    }
    if let Some(to) = rule.effective_to
        && to < rule.effective_from
    {
        push(
            RuleProblemKind::EffectiveToBeforeFrom,
            Severity::Error,
            format!(
                "effective_to {to} is before effective_from {}, so the rule never applies: swap or correct the dates",
                rule.effective_from
            ),
        );
    }
    for prefix in &rule.hts_prefixes {
        let digits_only = prefix.chars().all(|c| c.is_ascii_digit());
        if !digits_only || !(4..=10).contains(&prefix.len()) {
            push(
                RuleProblemKind::BadHtsPrefix,
                Severity::Error,
                format!("hts prefix {prefix:?} must be 4 to 10 digits with no dots or spaces"),
            );
        }
    }
    for origin in rule.origins.iter().chain(&rule.excluded_origins) {
        if !is_iso2(origin) {
            push(
                RuleProblemKind::BadOrigin,
                Severity::Error,
                format!("origin {origin:?} is not an iso-2 country code in capitals (e.g. CN)"),
            );
        }
    }
    for origin in &rule.origins {
        if rule.excluded_origins.contains(origin) {
            push(
                RuleProblemKind::OriginListedAndExcluded,
                Severity::Warning,
                format!("origin {origin} is both listed and excluded: remove it from one list"),
            );
        }
    }
    if rule.rate_percent.is_sign_negative() && !rule.rate_percent.is_zero() {
        push(RuleProblemKind::NegativeRate, Severity::Error, format!("rate {}% is negative", rule.rate_percent));
    }
    if rule.displaces.contains(&rule.programme) {
        push(
            RuleProblemKind::DisplacesOwnProgramme,
            Severity::Warning,
            format!(
                "it displaces its own programme {}, which the generator ignores: remove it from displaces",
                Programme::code(rule.programme)
            ),
        );
    }
    if rule.requires_metal_split && rule.basis != RateBasis::MetalContent {
        push(
            RuleProblemKind::SplitWithoutMetalBasis,
            Severity::Warning,
            format!(
                "it requires a metal split but its basis is {}: a split rule's duty is normally on metal content",
                RateBasis::code(rule.basis)
            ),
        );
    }
}

/// `rule 3 (9903.88.03, 301, 2018-09-24..)`: how messages and traces name a rule.
pub fn describe_rule(index: usize, rule: &TariffRule) -> String {
    format!(
        "rule {index} ({}, {}, {})",
        rule.chapter99.trim(),
        Programme::code(rule.programme),
        describe_dates(rule.effective_from, rule.effective_to)
    )
}

/// `2025-03-12..2026-04-05`, or `2018-09-24..` while open-ended.
pub fn describe_dates(from: NaiveDate, to: Option<NaiveDate>) -> String {
    match to {
        Some(to) => format!("{from}..{to}"),
        None => format!("{from}.."),
    }
}

/// Whether the rule is in force on `date`: `effective_from ≤ date ≤ effective_to`.
pub fn in_force(rule: &TariffRule, date: NaiveDate) -> bool {
    rule.effective_from <= date && rule.effective_to.is_none_or(|to| date <= to)
}

/// Whether the rule covers an origin: listed (or no list), and not excluded. Compares trimmed,
/// without regard to case.
pub fn covers_origin(rule: &TariffRule, origin: &str) -> bool {
    let origin = origin.trim();
    let same = |listed: &String| listed.trim().eq_ignore_ascii_case(origin);
    (rule.origins.is_empty() || rule.origins.iter().any(same)) && !rule.excluded_origins.iter().any(same)
}

/// Whether the rule covers an HTS number (dotted or not): no prefixes, or one of them starts its
/// digits. Dots and spaces in a prefix are ignored here (and reported by `check_rules`).
pub fn covers_hts(rule: &TariffRule, hts: &str) -> bool {
    if rule.hts_prefixes.is_empty() {
        return true;
    }
    let digits = hts_digits(hts);
    rule.hts_prefixes.iter().any(|prefix| {
        let prefix = hts_digits(prefix);
        !prefix.is_empty() && digits.starts_with(&prefix)
    })
}

/// Whether the rule applies to goods of `origin` under `hts` entered on `date`.
pub fn applies(rule: &TariffRule, date: NaiveDate, origin: &str, hts: &str) -> bool {
    in_force(rule, date) && covers_origin(rule, origin) && covers_hts(rule, hts)
}

/// The digits of an HTS number: `9403.20.00.35` → `9403200035`.
pub fn hts_digits(hts: &str) -> String {
    hts.chars().filter(|c| !matches!(c, '.' | ' ')).collect()
}

fn is_iso2(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// `9903.88.03`: four, two and two digits, in chapter 98 or 99.
fn is_chapter_number(number: &str) -> bool {
    let bytes = number.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'.' } else { b.is_ascii_digit() })
        && (number.starts_with("99") || number.starts_with("98"))
}

/// Where two rules meet: their common days, HTS numbers and origins, described, or `None`.
fn common_ground(first: &TariffRule, second: &TariffRule) -> Option<String> {
    let days = common_days(first, second)?;
    let hts = common_hts(first, second)?;
    let origins = common_origins(first, second)?;
    Some(format!("{days}, {hts}, {origins}"))
}

fn common_days(first: &TariffRule, second: &TariffRule) -> Option<String> {
    let from = first.effective_from.max(second.effective_from);
    let to = match (first.effective_to, second.effective_to) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if to.is_some_and(|to| to < from) {
        return None;
    }
    Some(format!("days {}", describe_dates(from, to)))
}

fn common_hts(first: &TariffRule, second: &TariffRule) -> Option<String> {
    let first_prefixes: Vec<String> = first.hts_prefixes.iter().map(|p| hts_digits(p)).collect();
    let second_prefixes: Vec<String> = second.hts_prefixes.iter().map(|p| hts_digits(p)).collect();
    let common: BTreeSet<&str> = match (first_prefixes.is_empty(), second_prefixes.is_empty()) {
        (true, true) => return Some("every hts number".to_string()),
        (true, false) => second_prefixes.iter().map(String::as_str).collect(),
        (false, true) => first_prefixes.iter().map(String::as_str).collect(),
        (false, false) => first_prefixes
            .iter()
            .flat_map(|a| {
                second_prefixes.iter().filter_map(move |b| {
                    if a.starts_with(b.as_str()) {
                        Some(a.as_str())
                    } else if b.starts_with(a.as_str()) {
                        Some(b.as_str())
                    } else {
                        None
                    }
                })
            })
            .collect(),
    };
    if common.is_empty() {
        return None;
    }
    Some(format!("hts {}", common.into_iter().collect::<Vec<_>>().join(", ")))
}

fn common_origins(first: &TariffRule, second: &TariffRule) -> Option<String> {
    let excluded: BTreeSet<&str> =
        first.excluded_origins.iter().chain(&second.excluded_origins).map(|o| o.trim()).collect();
    let listed = |rule: &'_ TariffRule| -> BTreeSet<String> {
        rule.origins.iter().map(|o| o.trim().to_ascii_uppercase()).collect()
    };
    let common: BTreeSet<String> = match (first.origins.is_empty(), second.origins.is_empty()) {
        (true, true) => {
            return Some(if excluded.is_empty() {
                "every origin".to_string()
            } else {
                format!("every origin except {}", excluded.into_iter().collect::<Vec<_>>().join(", "))
            });
        }
        (true, false) => listed(second),
        (false, true) => listed(first),
        (false, false) => listed(first).intersection(&listed(second)).cloned().collect(),
    };
    let common: Vec<String> =
        common.into_iter().filter(|o| !excluded.iter().any(|x| x.eq_ignore_ascii_case(o))).collect();
    if common.is_empty() {
        return None;
    }
    Some(format!("origin {}", common.join(", ")))
}
