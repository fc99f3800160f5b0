//! `tariff_sequencing`: ZTIOR_TARIFF rows → effective-dated [`TariffRule`]s.
//!
//! Rules, each a problem of the rule when broken: `CH99` a Chapter 99 number; `PROGRAM`,
//! `BASIS` and `DISPLACES` known names; `RANK` a whole number; `RATE` a percent ≥ 0;
//! `HTS_PREFIX` 4 to 10 digits each; `ORIGINS` / `EXCL_ORIGINS` ISO-2 codes; `VALID_FROM`
//! a date, `VALID_TO` a date on or after it (`99991231`, `00000000` or blank: open end);
//! `CLAIM_CODE` a Chapter 99 number when given.
//!
//! Two rules for the same Chapter 99 number whose dates and scope (HTS prefixes and origins)
//! overlap would both apply to one line: both are problems, each naming the other, and neither
//! is used until the table says which one holds.

use super::check;
use super::values::RowReader;
use super::{Issue, JobOutput, Row};
use crate::model::TariffRule;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

/// The key of a rule in `tariff_sequencing`: Chapter 99 number, first day and scope.
pub fn rule_key(rule: &TariffRule) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        rule.chapter99,
        rule.effective_from,
        rule.hts_prefixes.join(" "),
        rule.origins.join(" "),
        rule.excluded_origins.join(" ")
    )
}

/// Reads and checks the tariff rules.
pub fn tariff_sequencing(rows: &[Row]) -> JobOutput<TariffRule> {
    let mut output = JobOutput::default();
    let mut rules: Vec<(String, TariffRule, &Row)> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let mut reader = RowReader::new(row);
        let rule = rule(&mut reader);
        match rule {
            Some(rule) if !reader.has_issues() => {
                let key = rule_key(&rule);
                if let Some((_, first, _)) = rules.iter().find(|(k, _, _)| *k == key) {
                    output.duplicates += 1;
                    if *first == rule {
                        continue;
                    }
                    let reasons = vec![Issue::new(
                        "CH99",
                        "conflicting_rows",
                        format!("rule {key} is listed twice with different values: keep one row in ZTIOR_TARIFF"),
                    )];
                    output.reject(format!("{key} (row {})", index + 1), reasons, Value::Object(row.clone()));
                    continue;
                }
                rules.push((key, rule, row));
            }
            _ => {
                let key = reader.text("CH99").map_or_else(
                    || format!("ZTIOR_TARIFF row {}", index + 1),
                    |ch99| format!("{ch99} (row {})", index + 1),
                );
                output.reject(key, reader.finish(), Value::Object(row.clone()));
            }
        }
    }
    let mut overlaps: Vec<Vec<Issue>> = vec![Vec::new(); rules.len()];
    for i in 0..rules.len() {
        for j in (i + 1)..rules.len() {
            let (a, b) = (&rules[i].1, &rules[j].1);
            if a.chapter99 == b.chapter99 && dates_overlap(a, b) && scopes_overlap(a, b) {
                let message = |other: &str| {
                    format!(
                        "overlaps rule {other} (same chapter 99 number, dates and scope): end one rule before the other starts or narrow its scope"
                    )
                };
                overlaps[i].push(Issue::new("VALID_FROM", "overlapping_rules", message(&rules[j].0)));
                overlaps[j].push(Issue::new("VALID_FROM", "overlapping_rules", message(&rules[i].0)));
            }
        }
    }
    for ((key, rule, row), issues) in rules.into_iter().zip(overlaps) {
        if issues.is_empty() {
            output.rows.push((key, rule));
        } else {
            output.reject(key, issues, Value::Object(row.clone()));
        }
    }
    output.sort();
    output
}

fn rule(reader: &mut RowReader<'_>) -> Option<TariffRule> {
    let chapter99 = reader.required("CH99", "the chapter 99 number").and_then(|text| match check::chapter99(&text) {
        Ok(number) => Some(number),
        Err(message) => {
            reader.issue("CH99", "invalid_chapter99", message);
            None
        }
    });
    let programme = reader.required("PROGRAM", "the programme").and_then(|text| match check::programme(&text) {
        Ok(programme) => Some(programme),
        Err(message) => {
            reader.issue("PROGRAM", "invalid_programme", message);
            None
        }
    });
    let rank = reader.required_number("RANK", "the reporting rank").and_then(|rank| {
        match u16::try_from(rank.normalize().mantissa()) {
            Ok(value) if rank.fract().is_zero() && rank >= Decimal::ZERO => Some(value),
            _ => {
                reader.issue("RANK", "invalid_rank", format!("RANK {rank} must be a whole number from 0 to 65535"));
                None
            }
        }
    });
    let rate_percent = reader.required_number("RATE", "the rate in percent (0 for a claim code)");
    if rate_percent.is_some_and(|rate| rate < Decimal::ZERO) {
        reader.issue("RATE", "invalid_rate", "RATE must not be negative");
    }
    let basis = reader.required("BASIS", "the rate basis").and_then(|text| match check::rate_basis(&text) {
        Ok(basis) => Some(basis),
        Err(message) => {
            reader.issue("BASIS", "invalid_basis", message);
            None
        }
    });
    let mut hts_prefixes = Vec::new();
    for word in reader.words("HTS_PREFIX") {
        match check::hts_digits(&word) {
            Some(digits) if (4..=10).contains(&digits.len()) => hts_prefixes.push(digits),
            _ => reader.issue(
                "HTS_PREFIX",
                "invalid_hts_prefix",
                format!("{word:?} is not an hts prefix of 4 to 10 digits"),
            ),
        }
    }
    let origins = origins(reader, "ORIGINS");
    let excluded_origins = origins_list(reader, "EXCL_ORIGINS");
    let effective_from = reader.required_date("VALID_FROM", "the first day the rule applies");
    let effective_to = reader.date("VALID_TO").filter(|date| *date != open_end());
    if let (Some(from), Some(to)) = (effective_from, effective_to)
        && to < from
    {
        reader.issue("VALID_TO", "invalid_dates", format!("VALID_TO {to} is before VALID_FROM {from}"));
    }
    let mut displaces = Vec::new();
    for word in reader.words("DISPLACES") {
        match check::programme(&word) {
            Ok(programme) => displaces.push(programme),
            Err(message) => reader.issue("DISPLACES", "invalid_programme", message),
        }
    }
    let claim_code = reader.text("CLAIM_CODE").and_then(|text| match check::chapter99(&text) {
        Ok(number) => Some(number),
        Err(message) => {
            reader.issue("CLAIM_CODE", "invalid_chapter99", message);
            None
        }
    });
    let requires_metal_split = reader.flag("METAL_SPLIT");
    Some(TariffRule {
        chapter99: chapter99?,
        programme: programme?,
        rank: rank?,
        rate_percent: rate_percent?.normalize(),
        basis: basis?,
        hts_prefixes,
        origins,
        excluded_origins,
        effective_from: effective_from?,
        effective_to,
        displaces,
        claim_code,
        requires_metal_split,
    })
}

fn origins(reader: &mut RowReader<'_>, field: &str) -> Vec<String> {
    let words = reader.words(field);
    if words.iter().any(|w| w == "ALL" || w == "*") && words.len() == 1 {
        return Vec::new();
    }
    origins_list(reader, field)
}

fn origins_list(reader: &mut RowReader<'_>, field: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for word in reader.words(field) {
        match check::origin(&word) {
            Ok(code) => codes.push(code),
            Err(message) => reader.issue(field, "invalid_origin", message),
        }
    }
    codes
}

fn open_end() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

fn dates_overlap(a: &TariffRule, b: &TariffRule) -> bool {
    let end = |rule: &TariffRule| rule.effective_to.unwrap_or(NaiveDate::MAX);
    a.effective_from <= end(b) && b.effective_from <= end(a)
}

fn scopes_overlap(a: &TariffRule, b: &TariffRule) -> bool {
    let prefixes_overlap = a.hts_prefixes.is_empty()
        || b.hts_prefixes.is_empty()
        || a.hts_prefixes
            .iter()
            .any(|p| b.hts_prefixes.iter().any(|q| p.starts_with(q.as_str()) || q.starts_with(p.as_str())));
    prefixes_overlap && origins_overlap(a, b)
}

/// Whether some origin is covered by both rules (an empty list covers every origin).
fn origins_overlap(a: &TariffRule, b: &TariffRule) -> bool {
    let covers = |rule: &TariffRule, code: &str| {
        (rule.origins.is_empty() || rule.origins.iter().any(|o| o == code))
            && !rule.excluded_origins.iter().any(|o| o == code)
    };
    match (a.origins.is_empty(), b.origins.is_empty()) {
        (false, _) => a.origins.iter().any(|code| covers(a, code) && covers(b, code)),
        (true, false) => b.origins.iter().any(|code| covers(a, code) && covers(b, code)),
        // Both cover "every origin but some": there are far more origins than exclusions.
        (true, true) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etl::product_master::tests::rows;
    use crate::model::{Programme, RateBasis};
    use serde_json::json;

    fn section_301() -> Value {
        json!({"CH99": "9903.88.03", "PROGRAM": "301", "RANK": "10", "RATE": "25.000", "BASIS": "FULL",
               "HTS_PREFIX": "9403 9404", "ORIGINS": "CN", "EXCL_ORIGINS": "", "VALID_FROM": "20180924",
               "VALID_TO": "99991231", "DISPLACES": "", "CLAIM_CODE": "", "METAL_SPLIT": ""})
    }

    fn with(base: &Value, changes: Value) -> Value {
        let mut row = base.clone();
        for (k, v) in changes.as_object().into_iter().flatten() {
            row[k] = v.clone();
        }
        row
    }

    use crate::etl::reason_codes as reasons;

    #[test]
    fn a_rule_is_read_with_open_ends_and_lists() {
        let s232 = json!({"CH99": "99038508", "PROGRAM": "S232", "RANK": "40", "RATE": "50", "BASIS": "METAL",
            "HTS_PREFIX": "9403.20", "ORIGINS": "", "EXCL_ORIGINS": "GB", "VALID_FROM": "20250312", "VALID_TO": "20260405",
            "DISPLACES": "IEEPA_RECIPROCAL S122", "CLAIM_CODE": "9903.01.33", "METAL_SPLIT": "X"});
        let output = tariff_sequencing(&rows(json!([section_301(), s232])));
        assert!(output.rejected.is_empty(), "{:?}", reasons(&output));
        let rule = &output.rows[0].1;
        assert_eq!(rule.chapter99, "9903.85.08");
        assert_eq!(rule.programme, Programme::S232);
        assert_eq!(rule.basis, RateBasis::MetalContent);
        assert_eq!(rule.hts_prefixes, ["940320"]);
        assert_eq!(rule.excluded_origins, ["GB"]);
        assert_eq!(rule.effective_to, NaiveDate::from_ymd_opt(2026, 4, 5));
        assert_eq!(rule.displaces, [Programme::IeepaReciprocal, Programme::S122]);
        assert_eq!(rule.claim_code.as_deref(), Some("9903.01.33"));
        assert!(rule.requires_metal_split);
        let open = &output.rows[1].1;
        assert_eq!(open.effective_to, None, "99991231 is an open end");
        assert_eq!(open.rate_percent, Decimal::from(25));
        assert_eq!(output.rows[1].0, "9903.88.03|2018-09-24|9403 9404|CN|");
    }

    #[test]
    fn overlapping_rules_are_both_problems() {
        let later = with(&section_301(), json!({"VALID_FROM": "20250101", "RATE": "30", "HTS_PREFIX": "940320"}));
        let other_origin = with(&section_301(), json!({"VALID_FROM": "20250101", "ORIGINS": "VN"}));
        let after =
            with(&section_301(), json!({"VALID_FROM": "20240101", "VALID_TO": "00000000", "HTS_PREFIX": "8501"}));
        let output = tariff_sequencing(&rows(json!([section_301(), later, other_origin, after])));
        assert_eq!(
            reasons(&output),
            [
                "9903.88.03|2018-09-24|9403 9404|CN| VALID_FROM:overlapping_rules",
                "9903.88.03|2025-01-01|940320|CN| VALID_FROM:overlapping_rules",
            ]
        );
        assert_eq!(output.rows.len(), 2, "another origin and another prefix do not overlap");
        let ended = with(&section_301(), json!({"VALID_TO": "20241231"}));
        let next = with(&section_301(), json!({"VALID_FROM": "20250101"}));
        assert!(tariff_sequencing(&rows(json!([ended, next]))).rejected.is_empty(), "one ends before the next starts");
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = json!({"CH99": "9403.20.00", "PROGRAM": "302", "RANK": "1.5", "RATE": "-1", "BASIS": "HALF",
            "HTS_PREFIX": "94", "ORIGINS": "CN XX", "EXCL_ORIGINS": "", "VALID_FROM": "20250101", "VALID_TO": "20240101",
            "DISPLACES": "NOPE", "CLAIM_CODE": "12", "METAL_SPLIT": ""});
        let output = tariff_sequencing(&rows(json!([bad, {"PROGRAM": "301"}])));
        assert_eq!(
            reasons(&output),
            [
                "9403.20.00 (row 1) CH99:invalid_chapter99",
                "9403.20.00 (row 1) PROGRAM:invalid_programme",
                "9403.20.00 (row 1) RANK:invalid_rank",
                "9403.20.00 (row 1) RATE:invalid_rate",
                "9403.20.00 (row 1) BASIS:invalid_basis",
                "9403.20.00 (row 1) HTS_PREFIX:invalid_hts_prefix",
                "9403.20.00 (row 1) ORIGINS:invalid_origin",
                "9403.20.00 (row 1) VALID_TO:invalid_dates",
                "9403.20.00 (row 1) DISPLACES:invalid_programme",
                "9403.20.00 (row 1) CLAIM_CODE:invalid_chapter99",
                "ZTIOR_TARIFF row 2 CH99:missing",
                "ZTIOR_TARIFF row 2 RANK:missing",
                "ZTIOR_TARIFF row 2 RATE:missing",
                "ZTIOR_TARIFF row 2 BASIS:missing",
                "ZTIOR_TARIFF row 2 VALID_FROM:missing",
            ]
        );
    }
}
