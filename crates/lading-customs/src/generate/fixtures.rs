//! Test and benchmark data shared by this crate's tests, the SAP simulator and the runtime: the
//! tariff rules implied by the worked example of `customs.md`, a small furniture importer's master
//! data, and a deterministic bulk of invoice items for `lading bench customs`.
//!
//! Rates and dates here are data for tests, taken from `customs.md` and the USITC export; the
//! generator never reads this module.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::Reference;
use crate::model::{HtsEntry, InvoiceItem, Packaging, Product, Programme, RateBasis, TariffRule, Transport, Unit};
use crate::rate::parse_rate;

/// The mechanically adjustable bed base of the worked example: 9403.20.00.35, China, Free, `No.`.
pub const ADJUSTABLE_BASE: &str = "100001";
/// A foam mattress, 9404.21.00.13 (3 %), Vietnam.
pub const FOAM_MATTRESS: &str = "100002";
/// A spring mattress, 9404.29.90.87 (6 %), China, under an AD/CVD order.
pub const SPRING_MATTRESS: &str = "100003";
/// An upholstered wooden seat, 9401.61.40.11 (Free), Vietnam.
pub const UPHOLSTERED_SEAT: &str = "100004";
/// Metal furniture parts, 9403.99.90.45 (Free), China, reported in kg.
pub const METAL_PARTS: &str = "100005";

/// A date; the fixtures only use valid ones.
pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

fn percent(value: i64) -> Decimal {
    Decimal::from(value)
}

fn rule(chapter99: &str, programme: Programme, rank: u16, rate_percent: Decimal) -> TariffRule {
    TariffRule {
        chapter99: chapter99.to_string(),
        programme,
        rank,
        rate_percent,
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

/// The rule rows the worked example implies, in table order:
/// 0. Section 301 list 3, 9903.88.03, 25 % on China-origin 9403 and 9404, from 2018-09-24;
/// 1. IEEPA fentanyl, 9903.01.24, 20 % on China, 2025-03-04..2026-02-23;
/// 2. IEEPA reciprocal, 9903.01.25, 10 % on every origin but Canada and Mexico,
///    2025-04-05..2026-02-23, claim 9903.01.33 when displaced;
/// 3. Section 122, 9903.03.01, 10 % on every origin but Canada and Mexico, from 2026-02-24,
///    claim 9903.03.06 when displaced;
/// 4. Section 232 aluminium derivatives, 9903.85.08, 25 % on metal content of 9403.20.00 with a
///    split, 2025-03-12..2025-06-03, displacing IEEPA reciprocal and Section 122;
/// 5. the same at 50 %, 2025-06-04..2026-04-05.
pub fn worked_example_rules() -> Vec<TariffRule> {
    let china = || vec!["CN".to_string()];
    let not_usmca = || vec!["CA".to_string(), "MX".to_string()];
    let aluminium = |rate: Decimal, from: NaiveDate, to: NaiveDate| TariffRule {
        basis: RateBasis::MetalContent,
        hts_prefixes: vec!["94032000".to_string()],
        effective_from: from,
        effective_to: Some(to),
        displaces: vec![Programme::IeepaReciprocal, Programme::S122],
        requires_metal_split: true,
        ..rule("9903.85.08", Programme::S232, 40, rate)
    };
    vec![
        TariffRule {
            hts_prefixes: vec!["9403".to_string(), "9404".to_string()],
            origins: china(),
            effective_from: date(2018, 9, 24),
            ..rule("9903.88.03", Programme::S301, 10, percent(25))
        },
        TariffRule {
            origins: china(),
            effective_from: date(2025, 3, 4),
            effective_to: Some(date(2026, 2, 23)),
            ..rule("9903.01.24", Programme::IeepaFentanyl, 20, percent(20))
        },
        TariffRule {
            excluded_origins: not_usmca(),
            effective_from: date(2025, 4, 5),
            effective_to: Some(date(2026, 2, 23)),
            claim_code: Some("9903.01.33".to_string()),
            ..rule("9903.01.25", Programme::IeepaReciprocal, 30, percent(10))
        },
        TariffRule {
            excluded_origins: not_usmca(),
            effective_from: date(2026, 2, 24),
            claim_code: Some("9903.03.06".to_string()),
            ..rule("9903.03.01", Programme::S122, 30, percent(10))
        },
        aluminium(percent(25), date(2025, 3, 12), date(2025, 6, 3)),
        aluminium(percent(50), date(2025, 6, 4), date(2026, 4, 5)),
    ]
}

fn hts_entry(hts10: &str, general: &str, special: &str, units: Vec<Unit>, description: &str) -> HtsEntry {
    HtsEntry {
        hts10: hts10.to_string(),
        hts8: hts10[..10.min(hts10.len())].to_string(),
        description: description.to_string(),
        units,
        general: parse_rate(general),
        general_text: general.to_string(),
        special_text: special.to_string(),
        other_text: String::new(),
        chapter99: vec!["9903.88.03".to_string()],
    }
}

/// The HTS lines of the importer's products, as the reference holds them (from the 2026 rev 10
/// export).
pub fn hts_reference() -> HashMap<String, HtsEntry> {
    let gsp_and_ftas = "Free (A*,AU,BH,CL,CO,D,E,IL,JO,KR,MA,OM,P,PA,PE,S,SG)";
    [
        hts_entry("9403.20.00.35", "Free", "", vec![Unit::Number], "Mechanically adjustable bed or mattress base"),
        hts_entry("9404.21.00.13", "3%", gsp_and_ftas, vec![Unit::Number], "Mattresses of cellular plastics, large"),
        hts_entry("9404.29.90.13", "6%", gsp_and_ftas, vec![Unit::Number], "Mattresses of other materials, large"),
        hts_entry(
            "9404.29.90.87",
            "6%",
            gsp_and_ftas,
            vec![Unit::Number],
            "Mattresses of other materials, large, other",
        ),
        hts_entry("9401.61.40.11", "Free", "", vec![Unit::Number], "Upholstered wooden seats, other household"),
        hts_entry("9403.99.90.45", "Free", "", vec![Unit::Kilograms], "Parts of furniture, other"),
    ]
    .into_iter()
    .map(|entry| (entry.hts10.clone(), entry))
    .collect()
}

fn product(material: &str, hts10: &str, origin: &str, net: Decimal, gross: Decimal, mid: &str) -> Product {
    Product {
        material: material.to_string(),
        description: format!("product {material}"),
        hts10: hts10.to_string(),
        origin: origin.to_string(),
        base_unit: "pieces".to_string(),
        net_kg_per_unit: net,
        gross_kg_per_unit: gross,
        mid: Some(mid.to_string()),
    }
}

/// The product master: the five products above.
pub fn products() -> HashMap<String, Product> {
    [
        product(ADJUSTABLE_BASE, "9403.20.00.35", "CN", Decimal::new(385, 1), Decimal::new(420, 1), "CNSHAKEE123SHA"),
        product(FOAM_MATTRESS, "9404.21.00.13", "VN", Decimal::new(200, 1), Decimal::new(225, 1), "VNHOCMAT45HO"),
        product(SPRING_MATTRESS, "9404.29.90.87", "CN", Decimal::new(310, 1), Decimal::new(340, 1), "CNNINSPR88NIN"),
        product(UPHOLSTERED_SEAT, "9401.61.40.11", "VN", Decimal::new(120, 1), Decimal::new(131, 1), "VNBINSEA7BIN"),
        product(METAL_PARTS, "9403.99.90.45", "CN", Decimal::new(25, 1), Decimal::new(28, 1), "CNSHAKEE123SHA"),
    ]
    .into_iter()
    .map(|p| (p.material.clone(), p))
    .collect()
}

/// Packaging per product unit: cartons and a share of a pallet.
pub fn packaging() -> HashMap<String, Vec<Packaging>> {
    let row = |material: &str, kind: &str, kg: Decimal| Packaging {
        material: material.to_string(),
        packaging_type: kind.to_string(),
        kg_per_unit: kg,
    };
    let mut map: HashMap<String, Vec<Packaging>> = HashMap::new();
    for packaging in [
        row(ADJUSTABLE_BASE, "CARTON", Decimal::new(35, 1)),
        row(ADJUSTABLE_BASE, "PALLET", Decimal::new(8, 1)),
        row(FOAM_MATTRESS, "CARTON", Decimal::new(12, 1)),
        row(SPRING_MATTRESS, "CARTON", Decimal::new(15, 1)),
        row(SPRING_MATTRESS, "PALLET", Decimal::new(5, 1)),
        row(UPHOLSTERED_SEAT, "CARTON", Decimal::new(21, 1)),
        row(METAL_PARTS, "CARTON", Decimal::new(2, 1)),
    ] {
        map.entry(packaging.material.clone()).or_default().push(packaging);
    }
    map
}

/// Owned master data, lent out as a [`Reference`].
#[derive(Clone, Debug)]
pub struct ReferenceData {
    pub products: HashMap<String, Product>,
    pub packaging: HashMap<String, Vec<Packaging>>,
    pub hts: HashMap<String, HtsEntry>,
    pub rules: Vec<TariffRule>,
}

impl ReferenceData {
    pub fn reference(&self) -> Reference<'_> {
        Reference { products: &self.products, packaging: &self.packaging, hts: &self.hts, rules: &self.rules }
    }
}

/// The importer's master data with the worked example's rules.
pub fn reference_data() -> ReferenceData {
    ReferenceData { products: products(), packaging: packaging(), hts: hts_reference(), rules: worked_example_rules() }
}

/// One invoice item of entry `ENT-1`, invoice `INV-1`: origin and MID blank (taken from the
/// product), no SPI, not related, no AD/CVD case, no charges, no metal value.
pub fn item(
    invoice_item: &str,
    material: &str,
    quantity: i64,
    value_usd: Decimal,
    entry_date: NaiveDate,
) -> InvoiceItem {
    InvoiceItem {
        entry_number: "ENT-1".to_string(),
        entry_date,
        transport: Transport::Vessel,
        invoice: "INV-1".to_string(),
        invoice_item: invoice_item.to_string(),
        material: material.to_string(),
        quantity: Decimal::from(quantity),
        value_usd,
        charges_usd: Decimal::ZERO,
        metal_value_usd: None,
        origin: String::new(),
        mid: String::new(),
        spi: None,
        related_party: false,
        adcvd_case: None,
    }
}

/// The worked example: 250 China-origin adjustable bases, $100,000, aluminium content $8,000.
pub fn worked_example_item(entry_date: NaiveDate) -> InvoiceItem {
    InvoiceItem {
        metal_value_usd: Some(Decimal::from(8_000)),
        ..item("000010", ADJUSTABLE_BASE, 250, Decimal::from(100_000), entry_date)
    }
}

/// `n` invoice items over the fixture products, 100 items an entry, dates from 2025-03 to
/// 2026-05 (so every rule period is exercised), deterministic. With [`reference_data`]'s
/// reference every item is valid.
pub fn bench_items(n: usize) -> (Vec<InvoiceItem>, ReferenceData) {
    let materials = [ADJUSTABLE_BASE, FOAM_MATTRESS, SPRING_MATTRESS, UPHOLSTERED_SEAT, METAL_PARTS];
    let unit_prices = [400_i64, 180, 260, 150, 12];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound.max(1)
    };
    let first_day = date(2025, 3, 1);
    let mut items = Vec::with_capacity(n);
    for index in 0..n {
        let entry = index / 100;
        let entry_date = first_day + chrono::Days::new((entry as u64 * 37) % 450);
        let which = next(materials.len() as u64) as usize;
        let quantity = 1 + next(60) as i64;
        let cents = unit_prices[which] * 100 + next(100) as i64;
        let value_usd = Decimal::new(cents * quantity, 2);
        let metal_value_usd = (which == 0).then(|| (value_usd * Decimal::new(8, 2)).round_dp(2));
        let spring = materials[which] == SPRING_MATTRESS;
        items.push(InvoiceItem {
            entry_number: format!("BENCH{entry:06}"),
            entry_date,
            transport: if entry % 3 == 0 { Transport::Air } else { Transport::Vessel },
            invoice: format!("INV{entry:06}-{}", index % 3),
            invoice_item: format!("{:06}", (index % 100 + 1) * 10),
            material: materials[which].to_string(),
            quantity: Decimal::from(quantity),
            value_usd,
            charges_usd: Decimal::new(next(5_000) as i64, 2),
            metal_value_usd,
            origin: String::new(),
            mid: String::new(),
            spi: None,
            related_party: index % 7 == 0,
            adcvd_case: spring.then(|| "A-570-092".to_string()),
        });
    }
    (items, reference_data())
}
