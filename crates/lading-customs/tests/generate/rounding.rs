//! Rounding: sums first, half-up once; whole dollars, whole kg, whole quantities (under one
//! reported as one, flagged), cents for duty.

use lading_customs::generate::GenerateOptions;
use lading_customs::generate::fixtures::{FOAM_MATTRESS, METAL_PARTS, date, item, reference_data};
use lading_customs::model::{InvoiceItem, Unit};

use crate::support::{check, check_with, d};

#[test]
fn values_are_summed_raw_then_rounded_once() {
    let on = date(2025, 3, 1);
    check(
        &[item("10", FOAM_MATTRESS, 1, d("0.30"), on), item("20", FOAM_MATTRESS, 1, d("0.30"), on)],
        "
        ENT-1 001 whole VN value 1 charges 0 gross 47 net 40 qty 2 No. mpf 32.71 hmf 0.00
          9404.21.00.13 3% 0.03
        ",
    );
}

#[test]
fn forty_nine_cents_report_as_zero_and_fifty_as_one_dollar() {
    let on = date(2025, 3, 1);
    let priced = |invoice: &str, amount: &str| InvoiceItem {
        invoice: invoice.to_string(),
        charges_usd: d(amount),
        ..item("10", FOAM_MATTRESS, 1, d(amount), on)
    };
    check(
        &[priced("INV-1", "0.49"), priced("INV-2", "0.50")],
        "
        ENT-1 001 whole VN value 0 charges 0 gross 24 net 20 qty 1 No. mpf 0.00 hmf 0.00
          9404.21.00.13 3% 0.00
        ENT-1 002 whole VN value 1 charges 1 gross 24 net 20 qty 1 No. mpf 32.71 hmf 0.00
          9404.21.00.13 3% 0.03
        ",
    );
}

#[test]
fn kilograms_under_one_report_as_one_and_are_flagged() {
    let mut data = reference_data();
    if let Some(parts) = data.products.get_mut(METAL_PARTS) {
        parts.net_kg_per_unit = d("0.3");
        parts.gross_kg_per_unit = d("0.4");
    }
    check_with(
        &data,
        &GenerateOptions::default(),
        &[item("10", METAL_PARTS, 1, d("100"), date(2025, 3, 1))],
        "
        ENT-1 001 whole CN value 100 charges 0 gross 1 net 0.3 qty 1 kg mpf 32.71 hmf 0.13
          9903.88.03 25% 25.00
          9403.99.90.45 Free 0.00
          ! gross weight 0.6 kg is under 1: reported as 1
          ! quantity 0.3 kg is under 1: reported as 1
        ",
    );
}

#[test]
fn gross_weight_under_one_kilogram_reports_as_one_and_is_flagged() {
    let mut data = reference_data();
    if let Some(parts) = data.products.get_mut(METAL_PARTS) {
        parts.net_kg_per_unit = d("0.1");
        parts.gross_kg_per_unit = d("0.2");
    }
    check_with(
        &data,
        &GenerateOptions::default(),
        &[item("10", METAL_PARTS, 1, d("100"), date(2025, 3, 1))],
        "
        ENT-1 001 whole CN value 100 charges 0 gross 1 net 0.1 qty 1 kg mpf 32.71 hmf 0.13
          9903.88.03 25% 25.00
          9403.99.90.45 Free 0.00
          ! gross weight 0.4 kg is under 1: reported as 1
          ! quantity 0.1 kg is under 1: reported as 1
        ",
    );
}

#[test]
fn dozens_are_pieces_over_twelve_rounded_half_up() {
    let mut data = reference_data();
    if let Some(entry) = data.hts.get_mut("9404.21.00.13") {
        entry.units = vec![Unit::Dozens];
    }
    let on = date(2025, 3, 1);
    let invoice = |name: &str, pieces: i64| InvoiceItem {
        invoice: name.to_string(),
        ..item("10", FOAM_MATTRESS, pieces, d("1000"), on)
    };
    check_with(
        &data,
        &GenerateOptions::default(),
        &[invoice("INV-1", 5), invoice("INV-2", 18), invoice("INV-3", 24)],
        "
        ENT-1 001 whole VN value 1000 charges 0 gross 119 net 100 qty 1 doz. mpf 10.91 hmf 1.25
          9404.21.00.13 3% 30.00
          ! quantity 0.417 doz. is under 1: reported as 1
        ENT-1 002 whole VN value 1000 charges 0 gross 427 net 360 qty 2 doz. mpf 10.90 hmf 1.25
          9404.21.00.13 3% 30.00
        ENT-1 003 whole VN value 1000 charges 0 gross 569 net 480 qty 2 doz. mpf 10.90 hmf 1.25
          9404.21.00.13 3% 30.00
        ",
    );
}
