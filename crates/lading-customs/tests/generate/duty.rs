//! Duty per HTS number: 301 highest rate, displacement and claim codes, bases, specific and
//! compound rates, unreadable rates, special programmes, reporting order.

use lading_customs::generate::GenerateOptions;
use lading_customs::generate::fixtures::ReferenceData;
use lading_customs::generate::fixtures::{
    FOAM_MATTRESS, SPRING_MATTRESS, UPHOLSTERED_SEAT, date, item, reference_data,
};
use lading_customs::model::{InvoiceItem, Programme, RateBasis, TariffRule};
use lading_customs::rate::parse_rate;

use crate::support::{d, run, traced};

fn extra_rule(chapter99: &str, programme: Programme, rank: u16, percent: &str) -> TariffRule {
    TariffRule {
        chapter99: chapter99.to_string(),
        programme,
        rank,
        rate_percent: d(percent),
        basis: RateBasis::FullValue,
        hts_prefixes: Vec::new(),
        origins: Vec::new(),
        excluded_origins: Vec::new(),
        effective_from: date(2018, 1, 1),
        effective_to: None,
        displaces: Vec::new(),
        claim_code: None,
        requires_metal_split: false,
    }
}

/// `number rate duty` per HTS number of each line, plus `! flag`s.
fn numbers(data: &ReferenceData, items: &[InvoiceItem]) -> Vec<String> {
    let generated = run(data, &GenerateOptions::default(), items);
    assert!(generated.issues.is_empty(), "{:#?}", generated.issues);
    let mut out = Vec::new();
    for line in &generated.lines {
        out.extend(line.tariffs.iter().map(|t| format!("{} {} {}", t.hts_number, t.rate_text, t.duty)));
        out.extend(line.flags.iter().map(|f| format!("! {f}")));
    }
    out
}

fn with_rules(extra: Vec<TariffRule>) -> ReferenceData {
    let mut data = reference_data();
    data.rules.extend(extra);
    data
}

fn list_4a(percent: &str) -> TariffRule {
    TariffRule {
        hts_prefixes: vec!["9404".into()],
        origins: vec!["CN".into()],
        effective_from: date(2020, 2, 14),
        ..extra_rule("9903.88.15", Programme::S301, 10, percent)
    }
}

#[test]
fn when_several_301_lists_match_the_highest_rate_wins() {
    let spring = [item("10", SPRING_MATTRESS, 10, d("1000"), date(2025, 3, 1))];
    let data = with_rules(vec![list_4a("7.5")]);
    assert_eq!(numbers(&data, &spring), ["9903.88.03 25% 250.00", "9404.29.90.87 6% 60.00"]);
    let generated = run(&data, &GenerateOptions::default(), &spring);
    assert_eq!(
        traced(&generated.lines[0], "left out"),
        vec!["301 9903.88.15 7.5% (rule 6, 2020-02-14..) left out: 9903.88.03 25% is the highest 301 rate"]
    );
    let data = with_rules(vec![list_4a("30")]);
    assert_eq!(numbers(&data, &spring), ["9903.88.15 30% 300.00", "9404.29.90.87 6% 60.00"]);
}

fn wood(claim: Option<&str>) -> TariffRule {
    TariffRule {
        hts_prefixes: vec!["940161".into()],
        effective_from: date(2025, 10, 14),
        displaces: vec![Programme::IeepaReciprocal, Programme::S122],
        claim_code: claim.map(str::to_string),
        ..extra_rule("9903.76.02", Programme::S232, 40, "25")
    }
}

#[test]
fn a_displaced_number_is_reported_as_the_displacers_claim_code_first() {
    let seat = [item("10", UPHOLSTERED_SEAT, 10, d("1000"), date(2025, 10, 20))];
    assert_eq!(
        numbers(&with_rules(vec![wood(Some("9903.01.99"))]), &seat),
        ["9903.01.99 0 0.00", "9903.76.02 25% 250.00", "9401.61.40.11 Free 0.00"]
    );
    assert_eq!(
        numbers(&with_rules(vec![wood(None)]), &seat),
        ["9903.01.33 0 0.00", "9903.76.02 25% 250.00", "9401.61.40.11 Free 0.00"]
    );
    let mut data = with_rules(vec![wood(None)]);
    data.rules[2].claim_code = None;
    assert_eq!(
        numbers(&data, &seat),
        [
            "9903.76.02 25% 250.00",
            "9401.61.40.11 Free 0.00",
            "! IEEPA_RECIPROCAL 9903.01.25 displaced by S232 9903.76.02 but neither row has a claim code: nothing reported in its place",
        ]
    );
}

#[test]
fn a_floor_rate_tops_the_general_rate_up() {
    let mut data = reference_data();
    data.rules = vec![TariffRule {
        basis: RateBasis::Floor,
        origins: vec!["DE".into()],
        ..extra_rule("9903.02.20", Programme::IeepaReciprocal, 30, "15")
    }];
    let from_germany = |number: &str, material: &str| InvoiceItem {
        origin: "DE".into(),
        ..item(number, material, 10, d("1000"), date(2025, 10, 20))
    };
    assert_eq!(
        numbers(&data, &[from_germany("10", FOAM_MATTRESS)]),
        ["9903.02.20 12% 120.00", "9404.21.00.13 3% 30.00"]
    );
    assert_eq!(
        numbers(&data, &[from_germany("10", UPHOLSTERED_SEAT)]),
        ["9903.02.20 15% 150.00", "9401.61.40.11 Free 0.00"]
    );
    if let Some(entry) = data.hts.get_mut("9404.21.00.13") {
        entry.general = parse_rate("2.5¢/kg");
        entry.general_text = "2.5¢/kg".into();
    }
    assert_eq!(
        numbers(&data, &[from_germany("10", FOAM_MATTRESS)]),
        [
            "9903.02.20 15% 0.00",
            "9404.21.00.13 2.5¢/kg 5.00",
            "! 9903.02.20: floor rate 15% needs an ad valorem general rate, the general rate is \"2.5¢/kg\": duty 0, compute by hand",
        ]
    );
}

fn foam_rate(text: &str) -> ReferenceData {
    let mut data = reference_data();
    if let Some(entry) = data.hts.get_mut("9404.21.00.13") {
        entry.general = parse_rate(text);
        entry.general_text = text.into();
    }
    data
}

#[test]
fn specific_and_compound_rates_use_the_quantity() {
    // Ten foam mattresses: 200 kg net, $1,000, before any Chapter 99 rule.
    let foam = [item("10", FOAM_MATTRESS, 10, d("1000"), date(2025, 3, 1))];
    assert_eq!(numbers(&foam_rate("2.5¢/kg"), &foam), ["9404.21.00.13 2.5¢/kg 5.00"]);
    assert_eq!(numbers(&foam_rate("4.4¢/kg + 3%"), &foam), ["9404.21.00.13 4.4¢/kg + 3% 38.80"]);
    assert_eq!(numbers(&foam_rate("$1.50 each"), &foam), ["9404.21.00.13 $1.50 each 15.00"]);
    assert_eq!(numbers(&foam_rate("7%"), &foam), ["9404.21.00.13 7% 70.00"]);
}

#[test]
fn an_unreadable_rate_charges_nothing_and_is_flagged() {
    let foam = [item("10", FOAM_MATTRESS, 10, d("1000"), date(2025, 3, 1))];
    assert_eq!(
        numbers(&foam_rate("The duty provided in the applicable subheading"), &foam),
        [
            "9404.21.00.13 The duty provided in the applicable subheading 0.00",
            "! 9404.21.00.13: rate \"The duty provided in the applicable subheading\" could not be read: duty 0, compute by hand or correct the reference",
        ]
    );
}

#[test]
fn a_special_programme_indicator_uses_the_special_column() {
    let foam = |spi: &str| {
        vec![InvoiceItem { spi: Some(spi.into()), ..item("10", FOAM_MATTRESS, 10, d("1000"), date(2025, 3, 1)) }]
    };
    assert_eq!(numbers(&reference_data(), &foam("S")), ["9404.21.00.13 Free 0.00"]);
    assert_eq!(
        numbers(&reference_data(), &foam("A")),
        [
            "9404.21.00.13 Free 0.00",
            "! spi A is listed as A* for 9404.21.00.13: check the origin and goods are eligible"
        ]
    );
    assert_eq!(
        numbers(&reference_data(), &foam("JP")),
        [
            "9404.21.00.13 3% 30.00",
            "! spi JP is not listed in the special column of 9404.21.00.13: general rate 3% applied; correct the spi or the reference",
        ]
    );
}

#[test]
fn chapter_98_comes_first_then_rank_and_the_commodity_last() {
    let data = with_rules(vec![
        TariffRule { hts_prefixes: vec!["9404".into()], ..extra_rule("9802.00.80", Programme::Claim, 99, "0") },
        TariffRule { hts_prefixes: vec!["9404".into()], ..extra_rule("9903.99.01", Programme::Quota, 50, "1") },
    ]);
    let spring = [item("10", SPRING_MATTRESS, 10, d("1000"), date(2025, 10, 20))];
    assert_eq!(
        numbers(&data, &spring),
        [
            "9802.00.80 0% 0.00",
            "9903.88.03 25% 250.00",
            "9903.01.24 20% 200.00",
            "9903.01.25 10% 100.00",
            "9903.99.01 1% 10.00",
            "9404.29.90.87 6% 60.00",
        ]
    );
}
