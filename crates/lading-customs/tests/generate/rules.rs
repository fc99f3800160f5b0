//! `check_rules`: every problem of the tariff table, naming the rules and what to fix.

use lading_customs::generate::fixtures::{date, worked_example_rules};
use lading_customs::model::{Programme, TariffRule};
use lading_customs::rules::{RuleProblemKind, Severity, check_rules};

/// `(kind, rule indexes)` of each problem, and each message contains its `text`.
fn check(rules: &[TariffRule], expected: &[(RuleProblemKind, &[usize], &str)]) {
    let problems = check_rules(rules);
    let actual: Vec<(RuleProblemKind, Vec<usize>)> = problems.iter().map(|p| (p.kind, p.rules.clone())).collect();
    let wanted: Vec<(RuleProblemKind, Vec<usize>)> = expected.iter().map(|(k, r, _)| (*k, r.to_vec())).collect();
    assert_eq!(actual, wanted, "{problems:#?}");
    for (problem, (_, _, text)) in problems.iter().zip(expected) {
        assert!(problem.message.contains(text), "{:?} should contain {text:?}", problem.message);
    }
}

fn with(change: impl FnOnce(&mut Vec<TariffRule>)) -> Vec<TariffRule> {
    let mut rules = worked_example_rules();
    change(&mut rules);
    rules
}

#[test]
fn the_worked_example_table_is_clean() {
    check(&worked_example_rules(), &[]);
}

#[test]
fn same_number_overlapping_dates_and_scope() {
    let rules = with(|rules| {
        let mut again = rules[5].clone();
        again.effective_from = date(2026, 1, 1);
        again.effective_to = None;
        rules.push(again);
    });
    check(
        &rules,
        &[(
            RuleProblemKind::Overlap,
            &[5, 6],
            "rule 5 (9903.85.08, S232, 2025-06-04..2026-04-05) and rule 6 (9903.85.08, S232, 2026-01-01..) both apply \
             9903.85.08 for days 2026-01-01..2026-04-05, hts 94032000, every origin: end one the day before",
        )],
    );
    assert_eq!(check_rules(&rules)[0].severity, Severity::Error);
}

#[test]
fn same_number_apart_in_dates_origins_or_goods_is_fine() {
    let rules = with(|rules| {
        let mut mexico = rules[0].clone();
        mexico.origins = vec!["MX".into()];
        rules.push(mexico);
        let mut other_goods = rules[0].clone();
        other_goods.hts_prefixes = vec!["8501".into()];
        rules.push(other_goods);
        let mut excluded = rules[0].clone();
        excluded.origins = vec![];
        excluded.excluded_origins = vec!["CN".into()];
        excluded.chapter99 = "9903.01.25".into();
        excluded.effective_from = date(2027, 1, 1);
        rules.push(excluded);
    });
    check(&rules, &[]);
}

#[test]
fn overlapping_scope_is_described() {
    let rules = with(|rules| {
        let mut narrower = rules[0].clone();
        narrower.hts_prefixes = vec!["94042100".into()];
        narrower.origins = vec!["CN".into(), "VN".into()];
        narrower.effective_from = date(2025, 1, 1);
        narrower.effective_to = Some(date(2025, 12, 31));
        rules.push(narrower);
    });
    check(&rules, &[(RuleProblemKind::Overlap, &[0, 6], "for days 2025-01-01..2025-12-31, hts 94042100, origin CN:")]);
}

#[test]
fn malformed_rows() {
    let rules = with(|rules| {
        rules[0].effective_to = Some(date(2018, 1, 1));
        rules[1].hts_prefixes = vec!["9403.20".into(), "94".into()];
        rules[1].origins = vec!["chn".into()];
        rules[2].chapter99 = "990301.25".into();
        rules[2].claim_code = Some("9903.1.33".into());
        rules[3].rate_percent = rust_decimal::Decimal::from(-1);
        rules[3].displaces = vec![Programme::S122];
        rules[3].excluded_origins = vec!["CA".into(), "MX".into()];
        rules[3].origins = vec!["MX".into()];
        rules[4].requires_metal_split = true;
        rules[4].basis = lading_customs::model::RateBasis::FullValue;
    });
    check(
        &rules,
        &[
            (RuleProblemKind::EffectiveToBeforeFrom, &[0], "swap or correct the dates"),
            (RuleProblemKind::BadHtsPrefix, &[1], "\"9403.20\""),
            (RuleProblemKind::BadHtsPrefix, &[1], "\"94\""),
            (RuleProblemKind::BadOrigin, &[1], "\"chn\""),
            (RuleProblemKind::BadChapter99, &[2], "\"990301.25\""),
            (RuleProblemKind::BadClaimCode, &[2], "\"9903.1.33\""),
            (RuleProblemKind::OriginListedAndExcluded, &[3], "origin MX"),
            (RuleProblemKind::NegativeRate, &[3], "-1%"),
            (RuleProblemKind::DisplacesOwnProgramme, &[3], "S122"),
            (RuleProblemKind::SplitWithoutMetalBasis, &[4], "basis is FULL"),
        ],
    );
}

#[test]
fn a_displacement_with_no_claim_code_on_either_row() {
    let rules = with(|rules| rules[2].claim_code = None);
    check(
        &rules,
        &[
            (
                RuleProblemKind::MissingClaimCode,
                &[4, 2],
                "rule 4 (9903.85.08, S232, 2025-03-12..2025-06-03) displaces rule 2",
            ),
            (RuleProblemKind::MissingClaimCode, &[5, 2], "set claim_code on the displaced row"),
        ],
    );
}
