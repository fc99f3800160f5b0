//! Items share a line when they share entry, invoice, HTS10, origin, MID, SPI, related flag,
//! AD/CVD case, Chapter 99 set and metal data; lines are numbered per entry in a fixed order.

use lading_customs::generate::GenerateOptions;
use lading_customs::generate::fixtures::{
    ADJUSTABLE_BASE, FOAM_MATTRESS, UPHOLSTERED_SEAT, date, item, reference_data,
};
use lading_customs::model::{CustomsLine, InvoiceItem, LinePart};

use crate::support::{d, run, traced};

fn summary(lines: &[CustomsLine]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let grouped = traced(line, "grouped ").join("");
            let adcvd = traced(line, "ad/cvd case").join("");
            format!(
                "{} {:03} {} {} mid={} spi={} related={} value={} | {grouped}{}",
                line.entry_number,
                line.line_number,
                line.commodity().map(|t| t.hts_number.as_str()).unwrap_or("-"),
                line.origin,
                line.mid,
                line.spi.as_deref().unwrap_or("-"),
                line.related_party,
                line.entered_value,
                if adcvd.is_empty() { String::new() } else { format!(" | {adcvd}") }
            )
        })
        .collect()
}

fn items() -> Vec<InvoiceItem> {
    let on = date(2025, 3, 1);
    let foam = |invoice: &str, number: &str| InvoiceItem {
        invoice: invoice.to_string(),
        ..item(number, FOAM_MATTRESS, 1, d("100"), on)
    };
    vec![
        foam("INV-2", "000010"),
        foam("INV-1", "000020"),
        foam("INV-1", "000010"),
        InvoiceItem { invoice: "INV-1".into(), ..item("000030", UPHOLSTERED_SEAT, 1, d("100"), on) },
        InvoiceItem { origin: "th".into(), ..foam("INV-1", "000040") },
        InvoiceItem { mid: "VNOTHER1".into(), ..foam("INV-1", "000050") },
        InvoiceItem { related_party: true, ..foam("INV-1", "000060") },
        InvoiceItem { adcvd_case: Some("A-552-827".into()), ..foam("INV-1", "000070") },
        InvoiceItem { spi: Some("S".into()), ..foam("INV-1", "000080") },
        InvoiceItem { entry_number: "ENT-0".into(), ..foam("INV-9", "000010") },
    ]
}

#[test]
fn items_group_by_the_line_key_and_number_per_entry() {
    let generated = run(&reference_data(), &GenerateOptions::default(), &items());
    assert!(generated.issues.is_empty(), "{:#?}", generated.issues);
    assert_eq!(
        summary(&generated.lines),
        vec![
            "ENT-0 001 9404.21.00.13 VN mid=VNHOCMAT45HO spi=- related=false value=100 | grouped 1 item: invoice INV-9 item 000010",
            "ENT-1 001 9404.21.00.13 VN mid=VNHOCMAT45HO spi=- related=false value=200 | grouped 2 items: invoice INV-1 item 000010, 000020",
            "ENT-1 002 9401.61.40.11 VN mid=VNBINSEA7BIN spi=- related=false value=100 | grouped 1 item: invoice INV-1 item 000030",
            "ENT-1 003 9404.21.00.13 TH mid=VNHOCMAT45HO spi=- related=false value=100 | grouped 1 item: invoice INV-1 item 000040",
            "ENT-1 004 9404.21.00.13 VN mid=VNOTHER1 spi=- related=false value=100 | grouped 1 item: invoice INV-1 item 000050",
            "ENT-1 005 9404.21.00.13 VN mid=VNHOCMAT45HO spi=- related=true value=100 | grouped 1 item: invoice INV-1 item 000060",
            "ENT-1 006 9404.21.00.13 VN mid=VNHOCMAT45HO spi=- related=false value=100 | grouped 1 item: invoice INV-1 item 000070 | ad/cvd case A-552-827: deposits are not computed here",
            "ENT-1 007 9404.21.00.13 VN mid=VNHOCMAT45HO spi=S related=false value=100 | grouped 1 item: invoice INV-1 item 000080",
            "ENT-1 008 9404.21.00.13 VN mid=VNHOCMAT45HO spi=- related=false value=100 | grouped 1 item: invoice INV-2 item 000010",
        ]
    );
    let fees: Vec<String> = generated.lines[1..].iter().map(|l| l.mpf.to_string()).collect();
    assert_eq!(fees, ["7.27", "3.64", "3.64", "3.64", "3.63", "3.63", "3.63", "3.63"]);
}

#[test]
fn numbering_does_not_depend_on_input_order() {
    let forward = run(&reference_data(), &GenerateOptions::default(), &items());
    let mut reversed_items = items();
    reversed_items.reverse();
    let reversed = run(&reference_data(), &GenerateOptions::default(), &reversed_items);
    assert_eq!(forward.lines, reversed.lines);
}

#[test]
fn item_numbers_order_numerically() {
    let on = date(2025, 3, 1);
    let generated = run(
        &reference_data(),
        &GenerateOptions::default(),
        &[item("10", FOAM_MATTRESS, 1, d("100"), on), item("9", UPHOLSTERED_SEAT, 1, d("100"), on)],
    );
    let first: Vec<&str> =
        generated.lines.iter().filter_map(|l| l.commodity()).map(|t| t.hts_number.as_str()).collect();
    assert_eq!(first, ["9401.61.40.11", "9404.21.00.13"]);
}

#[test]
fn declared_metal_content_keeps_items_apart() {
    let on = date(2025, 10, 20);
    let generated = run(
        &reference_data(),
        &GenerateOptions::default(),
        &[
            InvoiceItem { metal_value_usd: Some(d("0")), ..item("10", ADJUSTABLE_BASE, 10, d("4000"), on) },
            InvoiceItem { metal_value_usd: Some(d("400")), ..item("20", ADJUSTABLE_BASE, 10, d("4000"), on) },
        ],
    );
    assert!(generated.issues.is_empty(), "{:#?}", generated.issues);
    let parts: Vec<(u16, LinePart, String)> =
        generated.lines.iter().map(|l| (l.line_number, l.part, l.entered_value.to_string())).collect();
    assert_eq!(
        parts,
        vec![
            (1, LinePart::Whole, "4000".to_string()),
            (2, LinePart::NonMetal, "3600".to_string()),
            (3, LinePart::Metal, "400".to_string()),
        ]
    );
    let whole = &generated.lines[0];
    let numbers: Vec<&str> = whole.tariffs.iter().map(|t| t.hts_number.as_str()).collect();
    assert_eq!(numbers, ["9903.88.03", "9903.01.24", "9903.01.25", "9403.20.00.35"]);
    assert_eq!(
        traced(whole, "not applied"),
        vec!["S232 9903.85.08 not applied: no metal content on this line (rule 5, effective 2025-06-04..2026-04-05)"]
    );
}

#[test]
fn goods_that_are_all_metal_stay_whole_with_the_claim() {
    let on = date(2025, 10, 20);
    let generated = run(
        &reference_data(),
        &GenerateOptions::default(),
        &[InvoiceItem { metal_value_usd: Some(d("4000")), ..item("10", ADJUSTABLE_BASE, 10, d("4000"), on) }],
    );
    let line = &generated.lines[0];
    assert_eq!(line.part, LinePart::Whole);
    let numbers: Vec<String> =
        line.tariffs.iter().map(|t| format!("{} {} {}", t.hts_number, t.rate_text, t.duty)).collect();
    assert_eq!(
        numbers,
        [
            "9903.88.03 25% 1000.00",
            "9903.01.24 20% 800.00",
            "9903.01.33 0 0.00",
            "9903.85.08 50% 2000.00",
            "9403.20.00.35 Free 0.00"
        ]
    );
    assert_eq!(traced(line, "no split"), vec!["no split: the whole value is metal ($4,000 of $4,000)"]);
}
