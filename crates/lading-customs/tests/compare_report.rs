//! The report: entry totals, the revenue impact and its sign, and the JSON and CSV shapes.

mod compare_support;

use compare_support::{compare_one, dec, line, mattress};
use lading_customs::compare::{ComparisonReport, DutyClass, Severity, Tolerances, compare};
use lading_customs::model::CustomsLine;

fn small_case() -> ComparisonReport {
    // Entry E1: line 1 with duty off by $0.50 (warn) and gross kg off 1 kg (match); line 2
    // missing from the report. Entry E2: the ERP has an extra line.
    let generated = vec![line("E1", 1), mattress("E1", 2, "2000")];
    let mut reported_line = line("E1", 1);
    reported_line.tariffs[2].duty = dec("100.50");
    reported_line.gross_kg = dec("121");
    let reported = vec![reported_line, mattress("E2", 1, "100")];
    compare(&generated, &reported, &Tolerances::default())
}

#[test]
fn revenue_impact_is_reported_minus_generated_duty_and_fees() {
    let generated = line("E1", 1);
    let mut over = generated.clone();
    over.tariffs[0].duty = dec("255.00");
    over.mpf = dec("3.50");
    let report = compare_one(generated.clone(), over);
    let totals = &report.entries[0].totals;
    assert_eq!(totals.generated_duty_and_fees, dec("554.71"));
    assert_eq!(totals.reported_duty_and_fees, dec("559.75"));
    assert_eq!(totals.revenue_impact, dec("5.04")); // positive: the ERP declares more
    assert_eq!(report.summary.revenue_impact, dec("5.04"));

    let mut under = generated.clone();
    under.tariffs[1].duty = dec("190.00");
    let report = compare_one(generated, under);
    assert_eq!(report.summary.revenue_impact, dec("-10.00")); // negative: it declares less
}

#[test]
fn entry_totals_allow_a_dollar_per_line() {
    // Ten lines each $0.90 higher on the 301 duty: each duty warns, the entry's $9 is within
    // $10 (ten lines), so the totals match.
    let generated: Vec<CustomsLine> = (1..=10).map(|n| line("E1", n)).collect();
    let mut reported = generated.clone();
    for line in &mut reported {
        line.tariffs[0].duty += dec("0.90");
    }
    let report = compare(&generated, &reported, &Tolerances::default());
    let totals = &report.entries[0].totals;
    assert_eq!(totals.tolerance_usd, dec("10"));
    assert_eq!((totals.duty.difference, totals.duty.severity), (dec("9.00"), Severity::Match));
    assert_eq!(report.summary.differences.warn, 10);
    assert!(!report.failed());

    // On one line alone the same $0.90 warns on the line and matches the $1 total; $1.50
    // fails the line and the total.
    let mut one = line("E1", 1);
    one.tariffs[0].duty += dec("1.50");
    let report = compare_one(line("E1", 1), one);
    let totals = &report.entries[0].totals;
    assert_eq!(totals.duty.severity, Severity::Fail);
    assert_eq!(totals.duty_by_programme[1].programme, DutyClass::Programme(lading_customs::model::Programme::S301));
    assert_eq!(totals.duty_by_programme[1].severity, Severity::Fail);
    assert!(report.failed());
}

#[test]
fn duty_by_programme_borrows_the_programme_the_other_side_names() {
    // SAP's ET_CUSTOMS carries no programme: the reported duty still lands under 301.
    let generated = line("E1", 1);
    let mut reported = generated.clone();
    for tariff in &mut reported.tariffs {
        tariff.programme = None;
    }
    reported.tariffs.push(reported.tariffs[3].clone());
    reported.tariffs[3].hts_number = "9903.99.99".into();
    reported.tariffs[3].duty = dec("1.00");
    let report = compare_one(generated, reported);
    let classes: Vec<(&str, String, String)> = report.entries[0]
        .totals
        .duty_by_programme
        .iter()
        .map(|p| (p.programme.as_str(), p.generated.to_string(), p.reported.to_string()))
        .collect();
    assert_eq!(
        classes,
        vec![
            ("general", "0.00".into(), "0.00".into()),
            ("301", "250.00".into(), "250.00".into()),
            ("IEEPA_FENTANYL", "200.00".into(), "200.00".into()),
            ("IEEPA_RECIPROCAL", "100.00".into(), "100.00".into()),
            ("unassigned", "0".into(), "1.00".into()),
        ]
    );
}

#[test]
fn csv_has_one_row_per_difference() {
    let expected = r#"entry_number,generated_line,reported_line,paired_by,hts_number,field,generated,reported,difference,tolerance,severity
E1,1,1,line_number,9903.01.25,duty,100.00,100.50,0.50,"±0.01 USD, warn up to 1 USD",warn
E1,1,1,line_number,,gross_kg,120,121,1,"±max(1 kg, 2 %) = 2.42 kg",match
E1,2,,,9404.21.00.13,line,9404.21.00.13 VN VNHCMMAT42HCM value 2000 duty 260.00,absent,,a line on both sides,fail
E1,,,,,total_entered_value,3000,1000,-2000,±2 USD,fail
E1,,,,,total_charges,80,40,-40,±2 USD,fail
E1,,,,,total_duty,810.00,550.50,-259.50,±2 USD,fail
E1,,,,general,programme_duty,60.00,0.00,-60.00,±2 USD,fail
E1,,,,IEEPA_RECIPROCAL,programme_duty,300.00,100.50,-199.50,±2 USD,fail
E1,,,,,total_mpf,6.92,3.46,-3.46,±2 USD,fail
E1,,,,,total_hmf,2.50,1.25,-1.25,±2 USD,match
E2,,1,,9404.21.00.13,line,absent,9404.21.00.13 VN VNHCMMAT42HCM value 100 duty 13.00,,a line on both sides,fail
E2,,,,,total_entered_value,0,100,100,±1 USD,fail
E2,,,,,total_charges,0,40,40,±1 USD,fail
E2,,,,,total_duty,0,13.00,13.00,±1 USD,fail
E2,,,,general,programme_duty,0,3.00,3.00,±1 USD,fail
E2,,,,IEEPA_RECIPROCAL,programme_duty,0,10.00,10.00,±1 USD,fail
E2,,,,,total_mpf,0,3.46,3.46,±1 USD,fail
E2,,,,,total_hmf,0,1.25,1.25,±1 USD,fail
"#;
    assert_eq!(small_case().to_csv(), expected);
}

#[test]
fn json_shape() {
    // One line, the reciprocal duty $0.50 higher on the ERP's side.
    let generated = line("E1", 1);
    let mut reported = generated.clone();
    reported.tariffs[2].duty = dec("100.50");
    let expected = serde_json::json!({
      "summary": {
        "generated_lines": 1,
        "reported_lines": 1,
        "entries": 1,
        "entries_failed": 0,
        "paired_lines": 1,
        "paired_by_line_number": 1,
        "paired_by_best_match": 0,
        "identical_lines": 0,
        "unpaired_generated": 0,
        "unpaired_reported": 0,
        "differences": {
          "match": 2,
          "warn": 1,
          "fail": 0
        },
        "lines_by_severity": {
          "match": 0,
          "warn": 1,
          "fail": 0
        },
        "generated_duty_and_fees": "554.71",
        "reported_duty_and_fees": "555.21",
        "revenue_impact": "0.50",
        "revenue_impact_sign": "reported minus generated duty and fees: positive = the ERP declares more than Lading computes (over-declared), negative = less (under-declared)"
      },
      "tolerances": {
        "version": 1,
        "entered_value_usd": "1",
        "entered_value_warn_percent": "0.5",
        "charges_usd": "1",
        "charges_warn_percent": "0.5",
        "count_quantity": "0",
        "net_kg_min_kg": "1",
        "net_kg_percent": "1",
        "gross_kg_min_kg": "1",
        "gross_kg_percent": "2",
        "duty_usd": "0.01",
        "duty_warn_usd": "1",
        "mpf_usd": "0.01",
        "hmf_usd": "0.01",
        "entry_total_usd_per_line": "1"
      },
      "entries": [
        {
          "entry_number": "E1",
          "severity": "warn",
          "paired_lines": 1,
          "identical_lines": 0,
          "pairs": [
            {
              "generated_line": 1,
              "reported_line": 1,
              "paired_by": "line_number",
              "hts10": "9403.20.00.35",
              "severity": "warn",
              "differences": [
                {
                  "field": "duty",
                  "hts_number": "9903.01.25",
                  "generated": "100.00",
                  "reported": "100.50",
                  "difference": "0.50",
                  "tolerance": "±0.01 USD, warn up to 1 USD",
                  "severity": "warn"
                }
              ]
            }
          ],
          "unpaired_generated": [],
          "unpaired_reported": [],
          "totals": {
            "generated_lines": 1,
            "reported_lines": 1,
            "tolerance_usd": "1",
            "entered_value": {
              "generated": "1000",
              "reported": "1000",
              "difference": "0",
              "severity": "match"
            },
            "charges": {
              "generated": "40",
              "reported": "40",
              "difference": "0",
              "severity": "match"
            },
            "duty": {
              "generated": "550.00",
              "reported": "550.50",
              "difference": "0.50",
              "severity": "match"
            },
            "duty_by_programme": [
              {
                "programme": "general",
                "generated": "0.00",
                "reported": "0.00",
                "difference": "0.00",
                "severity": "match"
              },
              {
                "programme": "301",
                "generated": "250.00",
                "reported": "250.00",
                "difference": "0.00",
                "severity": "match"
              },
              {
                "programme": "IEEPA_FENTANYL",
                "generated": "200.00",
                "reported": "200.00",
                "difference": "0.00",
                "severity": "match"
              },
              {
                "programme": "IEEPA_RECIPROCAL",
                "generated": "100.00",
                "reported": "100.50",
                "difference": "0.50",
                "severity": "match"
              }
            ],
            "mpf": {
              "generated": "3.46",
              "reported": "3.46",
              "difference": "0.00",
              "severity": "match"
            },
            "hmf": {
              "generated": "1.25",
              "reported": "1.25",
              "difference": "0.00",
              "severity": "match"
            },
            "generated_duty_and_fees": "554.71",
            "reported_duty_and_fees": "555.21",
            "revenue_impact": "0.50"
          }
        }
      ]
    });
    assert_eq!(compare_one(generated, reported).to_json(), expected);
}
