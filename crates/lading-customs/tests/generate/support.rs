//! Helpers: decimals from text, rendering lines for comparison, and `check`.

use std::fmt::Write as _;
use std::str::FromStr;

use lading_customs::generate::fixtures::{ReferenceData, reference_data};
use lading_customs::generate::{GenerateOptions, Generated, generate_with};
use lading_customs::model::{CustomsLine, InvoiceItem, LinePart, Unit};
use rust_decimal::Decimal;

pub fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|_| panic!("bad decimal literal {text:?}"))
}

fn part(part: LinePart) -> &'static str {
    match part {
        LinePart::Whole => "whole",
        LinePart::NonMetal => "non_metal",
        LinePart::Metal => "metal",
    }
}

fn unit(unit: &Unit) -> String {
    match unit {
        Unit::Number => "No.".to_string(),
        Unit::Kilograms => "kg".to_string(),
        Unit::Dozens => "doz.".to_string(),
        Unit::NoQuantity => "X".to_string(),
        Unit::Other(other) => other.clone(),
    }
}

/// One line per customs line, one indented line per HTS number, `!` before each flag.
pub fn render(lines: &[CustomsLine]) -> String {
    let mut out = String::new();
    for line in lines {
        let quantities: Vec<String> = line.quantities.iter().map(|(u, q)| format!("{q} {}", unit(u))).collect();
        let quantities = if quantities.is_empty() { "-".to_string() } else { quantities.join(" + ") };
        let _ = writeln!(
            out,
            "{} {:03} {} {} value {} charges {} gross {} net {} qty {} mpf {} hmf {}",
            line.entry_number,
            line.line_number,
            part(line.part),
            line.origin,
            line.entered_value,
            line.charges,
            line.gross_kg,
            line.net_kg.normalize(),
            quantities,
            line.mpf,
            line.hmf
        );
        for tariff in &line.tariffs {
            let _ = writeln!(out, "  {} {} {}", tariff.hts_number, tariff.rate_text, tariff.duty);
        }
        for flag in &line.flags {
            let _ = writeln!(out, "  ! {flag}");
        }
    }
    out
}

/// Removes the common indentation and surrounding blank lines of an expected text.
pub fn dedent(text: &str) -> String {
    let indent =
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    let lines: Vec<&str> = text.lines().map(|l| if l.len() >= indent { &l[indent..] } else { l.trim() }).collect();
    let mut out = lines.join("\n").trim_matches('\n').to_string();
    out.push('\n');
    out
}

pub fn run(data: &ReferenceData, options: &GenerateOptions, items: &[InvoiceItem]) -> Generated {
    generate_with(items, &data.reference(), options)
}

/// Generates with the fixture reference and default options; asserts the lines and no issues.
pub fn check(items: &[InvoiceItem], expected: &str) -> Generated {
    check_with(&reference_data(), &GenerateOptions::default(), items, expected)
}

/// Generates with the given data and options; asserts the lines and no issues.
pub fn check_with(data: &ReferenceData, options: &GenerateOptions, items: &[InvoiceItem], expected: &str) -> Generated {
    let generated = run(data, options, items);
    assert!(generated.issues.is_empty(), "unexpected issues: {:#?}", generated.issues);
    let actual = render(&generated.lines);
    assert_eq!(actual, dedent(expected), "\n--- actual ---\n{actual}");
    generated
}

/// The trace lines of a line that contain `needle`.
pub fn traced<'l>(line: &'l CustomsLine, needle: &str) -> Vec<&'l str> {
    line.trace.iter().map(String::as_str).filter(|t| t.contains(needle)).collect()
}
