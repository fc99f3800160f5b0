//! The seven function modules: their names, tables and import parameters, and the rows each
//! renders from the dataset (every value a string, in the current quirks).

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use lading_customs::model::{CustomsLine, LinePart, Programme, RateBasis, Transport, Unit};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::catalogue::{MaterialRecord, PackagingRecord};
use super::dataset::{BillingCategory, ImporterDataset};
use super::wire::{SapQuirks, date, flag, hts_digits, plain};

/// A JSON object row.
pub(crate) type Row = Map<String, Value>;

/// The function modules the simulator serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fm {
    Weights,
    Uom,
    Material,
    Movements,
    Billing,
    Hts,
    Tariff,
}

/// Every function module name, in the order of the wire contract.
pub const FUNCTION_MODULES: [&str; 7] =
    ["ZFMIOR002", "ZFMIOR003", "ZEMM005", "ZEMM004", "ZSDR002", "ZTIOR_HTS", "ZTIOR_TARIFF"];

impl Fm {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "ZFMIOR002" => Self::Weights,
            "ZFMIOR003" => Self::Uom,
            "ZEMM005" => Self::Material,
            "ZEMM004" => Self::Movements,
            "ZSDR002" => Self::Billing,
            "ZTIOR_HTS" => Self::Hts,
            "ZTIOR_TARIFF" => Self::Tariff,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Weights => "ZFMIOR002",
            Self::Uom => "ZFMIOR003",
            Self::Material => "ZEMM005",
            Self::Movements => "ZEMM004",
            Self::Billing => "ZSDR002",
            Self::Hts => "ZTIOR_HTS",
            Self::Tariff => "ZTIOR_TARIFF",
        }
    }

    /// The paged table.
    pub(crate) fn table(self) -> &'static str {
        match self {
            Self::Weights => "ET_WEIGHTS",
            Self::Uom => "ET_UOM",
            Self::Material => "ET_MATERIAL",
            Self::Movements => "ET_MOVEMENTS",
            Self::Billing => "ET_BILLING",
            Self::Hts => "ET_HTS",
            Self::Tariff => "ET_TARIFF",
        }
    }

    /// Date import parameters (`YYYYMMDD`) besides `I_MAXROWS` and `I_SKIP`.
    pub(crate) fn date_parameters(self) -> &'static [&'static str] {
        match self {
            Self::Weights | Self::Material => &["I_LAEDA_FROM"],
            Self::Movements => &["I_BUDAT_FROM", "I_BUDAT_TO"],
            Self::Billing => &["I_FKDAT_FROM", "I_FKDAT_TO"],
            Self::Uom | Self::Hts | Self::Tariff => &[],
        }
    }
}

/// An inclusive date window; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) from: Option<NaiveDate>,
    pub(crate) to: Option<NaiveDate>,
}

impl Window {
    fn contains(self, date: Option<NaiveDate>) -> bool {
        match date {
            Some(date) => self.from.is_none_or(|from| date >= from) && self.to.is_none_or(|to| date <= to),
            // An empty date (`00000000`) only passes an open window.
            None => self.from.is_none() && self.to.is_none(),
        }
    }
}

fn object(value: Value) -> Row {
    match value {
        Value::Object(map) => map,
        _ => Row::new(),
    }
}

fn all_materials(dataset: &ImporterDataset) -> Vec<&MaterialRecord> {
    let mut materials: Vec<&MaterialRecord> = dataset.products.iter().chain(&dataset.retired).collect();
    materials.sort_by(|a, b| a.material.cmp(&b.material));
    materials
}

/// Rows of every table but ZSDR002's, filtered by `window`, unpaged.
pub(crate) fn rows(fm: Fm, dataset: &ImporterDataset, quirks: &SapQuirks, window: Window) -> Vec<Row> {
    match fm {
        Fm::Weights => weights(dataset, quirks, window),
        Fm::Uom => units_of_measure(dataset, quirks),
        Fm::Material => materials(dataset, quirks, window),
        Fm::Movements => movements(dataset, quirks, window),
        Fm::Billing => billing(dataset, quirks, window).into_iter().map(|(_, row)| row).collect(),
        Fm::Hts => hts(dataset),
        Fm::Tariff => tariff(dataset),
    }
}

fn weights(dataset: &ImporterDataset, quirks: &SapQuirks, window: Window) -> Vec<Row> {
    let mut rows = Vec::new();
    for material in all_materials(dataset) {
        if !window.contains(material.changed_on) {
            continue;
        }
        let row = object(json!({
            "MATNR": quirks.matnr(&material.material),
            "MAKTX": material.description,
            "MEINS": material.base_unit,
            "BRGEW": plain(material.gross_weight, 3),
            "NTGEW": plain(material.net_weight, 3),
            "GEWEI": material.weight_unit.code(),
            "VOLUM": plain(material.volume_m3.unwrap_or_default(), 3),
            "VOLEH": if material.volume_m3.is_some() { "M3" } else { "" },
            "EAN11": material.ean.clone().unwrap_or_default(),
            "LAEDA": date(material.changed_on),
        }));
        // The FM joins the plant table: one identical row per plant.
        let copies = if quirks.fan_out { material.plants.len().max(1) } else { 1 };
        for _ in 0..copies {
            rows.push(row.clone());
        }
    }
    rows
}

fn units_of_measure(dataset: &ImporterDataset, quirks: &SapQuirks) -> Vec<Row> {
    let mut packs: HashMap<&str, Vec<&PackagingRecord>> = HashMap::new();
    for record in &dataset.packaging {
        packs.entry(record.material.as_str()).or_default().push(record);
    }
    let mut rows = Vec::new();
    for material in all_materials(dataset) {
        let maintained = material.volume_m3.is_some();
        let dimension = |value: Decimal| plain(if maintained { value } else { Decimal::ZERO }, 3);
        rows.push(object(json!({
            "MATNR": quirks.matnr(&material.material),
            "MEINH": material.base_unit,
            "UMREZ": "1",
            "UMREN": "1",
            "EAN11": material.ean.clone().unwrap_or_default(),
            "LAENG": dimension(material.dimensions_cm.0),
            "BREIT": dimension(material.dimensions_cm.1),
            "HOEHE": dimension(material.dimensions_cm.2),
            "MEABM": "CM",
            "BRGEW": plain(material.gross_weight, 3),
            "GEWEI": material.weight_unit.code(),
            "ZZPACK_TYPE": "",
            "ZZPACK_KG": plain(Decimal::ZERO, 3),
        })));
        for pack in packs.get(material.material.as_str()).into_iter().flatten() {
            let units = Decimal::from(pack.units_per_pack);
            let pack_gross = units * material.gross_weight + material.weight_unit.from_kg(units * pack.kg_per_unit);
            rows.push(object(json!({
                "MATNR": quirks.matnr(&material.material),
                "MEINH": pack.pack_type.sap_unit(),
                "UMREZ": pack.units_per_pack.to_string(),
                "UMREN": "1",
                "EAN11": pack.gtin.clone().unwrap_or_default(),
                "LAENG": plain(pack.dimensions_cm.0, 3),
                "BREIT": plain(pack.dimensions_cm.1, 3),
                "HOEHE": plain(pack.dimensions_cm.2, 3),
                "MEABM": "CM",
                "BRGEW": plain(pack_gross, 3),
                "GEWEI": material.weight_unit.code(),
                "ZZPACK_TYPE": pack.pack_type.code(),
                "ZZPACK_KG": plain(pack.kg_per_unit, 3),
            })));
        }
    }
    rows
}

fn materials(dataset: &ImporterDataset, quirks: &SapQuirks, window: Window) -> Vec<Row> {
    let mut rows = Vec::new();
    for material in all_materials(dataset) {
        if !window.contains(material.changed_on) {
            continue;
        }
        let stawn = if material.stawn_dotted { material.hts10.clone() } else { hts_digits(&material.hts10) };
        let plants: &[String] =
            if quirks.fan_out { &material.plants } else { &material.plants[..1.min(material.plants.len())] };
        for plant in plants {
            rows.push(object(json!({
                "MATNR": quirks.matnr(&material.material),
                "MAKTX": material.description,
                "MTART": material.material_type,
                "MATKL": material.material_group,
                "MEINS": material.base_unit,
                "WERKS": plant,
                "STAWN": stawn,
                "HERKL": material.origin,
                "LVORM": flag(material.deleted),
                "ZZMID": material.mid,
            })));
        }
    }
    rows
}

fn movements(dataset: &ImporterDataset, quirks: &SapQuirks, window: Window) -> Vec<Row> {
    let mut selected: Vec<_> = dataset.movements.iter().filter(|m| window.contains(Some(m.posting_date))).collect();
    selected.sort_by(|a, b| a.year.cmp(&b.year).then_with(|| a.document.cmp(&b.document)).then(a.line.cmp(&b.line)));
    selected
        .into_iter()
        .map(|movement| {
            object(json!({
                "MBLNR": movement.document,
                "MJAHR": movement.year.to_string(),
                "ZEILE": format!("{:04}", movement.line),
                "BWART": movement.movement_type,
                "MATNR": quirks.matnr(&movement.material),
                "WERKS": movement.plant,
                "SHKZG": movement.debit_credit.shkzg(),
                "MENGE": plain(movement.quantity, 3),
                "MEINS": movement.unit,
                "DMBTR": plain(movement.amount, 2),
                "WAERS": movement.currency,
                "BUDAT": date(Some(movement.posting_date)),
                "EBELN": movement.purchase_order.clone().unwrap_or_default(),
            }))
        })
        .collect()
}

/// `ZZMOT`: the CBP mode-of-transport code.
fn transport_code(transport: Transport) -> &'static str {
    match transport {
        Transport::Vessel => "10",
        Transport::Rail => "20",
        Transport::Truck => "30",
        Transport::Air => "40",
    }
}

/// ET_BILLING rows in the window, each with its entry number (for ET_CUSTOMS).
pub(crate) fn billing(dataset: &ImporterDataset, quirks: &SapQuirks, window: Window) -> Vec<(String, Row)> {
    dataset
        .billing
        .iter()
        .filter(|item| window.contains(Some(item.billing_date)))
        .map(|item| {
            // The report prints credit memos and cancellations negative (a trailing minus); the
            // sign is VBTYP's: read the magnitude and apply VBTYP.
            let reversed = item.category != BillingCategory::Invoice;
            let number = |value: Decimal, scale: u32| quirks.report_number(value, scale, reversed);
            let row = object(json!({
                "VBELN": item.document,
                "POSNR": format!("{:06}", item.item),
                "FKART": item.category.fkart(),
                "VBTYP": item.category.vbtyp(),
                "FKDAT": date(Some(item.billing_date)),
                "MATNR": quirks.matnr(&item.material),
                "FKIMG": number(item.quantity, 3),
                "VRKME": item.sales_unit,
                "NETWR": number(item.net_value, 2),
                "WAERK": item.currency,
                "KURRF": quirks.report_number(item.exchange_rate, 5, false),
                "NTGEW": number(item.net_weight, 3),
                "BRGEW": number(item.gross_weight, 3),
                "GEWEI": item.weight_unit.code(),
                "VGBEL": item.reference,
                "ZZENTRY": item.entry_number,
                "ZZENTRY_DATE": date(Some(item.entry_date)),
                "ZZMOT": transport_code(item.transport),
                "ZZHERKL": item.origin,
                "ZZMID": item.mid,
                "ZZSPI": item.spi.clone().unwrap_or_default(),
                "ZZREL": flag(item.related),
                "ZZADCVD": item.adcvd_case.clone().unwrap_or_default(),
                "ZZMETAL_VAL": number(item.metal_value, 2),
                "ZZCHARGES": number(item.charges, 2),
            }));
            (item.entry_number.clone(), row)
        })
        .collect()
}

fn part_code(part: LinePart) -> &'static str {
    match part {
        LinePart::Whole => "W",
        LinePart::NonMetal => "N",
        LinePart::Metal => "M",
    }
}

fn quantity_unit(unit: &Unit) -> String {
    match unit {
        Unit::Number => "NO".to_string(),
        Unit::Kilograms => "KG".to_string(),
        Unit::Dozens => "DOZ".to_string(),
        Unit::NoQuantity => String::new(),
        Unit::Other(text) => text.to_uppercase(),
    }
}

/// ET_CUSTOMS rows of these entries (SAP's reported lines), one per HTS number of a line.
pub(crate) fn customs(dataset: &ImporterDataset, quirks: &SapQuirks, entries: &BTreeSet<&str>) -> Vec<Row> {
    let mut rows = Vec::new();
    for line in dataset.customs.reported.iter().filter(|line| entries.contains(line.entry_number.as_str())) {
        rows.extend(customs_rows(line, quirks));
    }
    rows
}

fn customs_rows(line: &CustomsLine, quirks: &SapQuirks) -> Vec<Row> {
    let number = |value: Decimal, scale: u32| quirks.report_number(value, scale, false);
    let last = line.tariffs.len().saturating_sub(1);
    let (quantity, unit) = line
        .quantities
        .first()
        .map_or((Decimal::ZERO, String::new()), |(unit, quantity)| (*quantity, quantity_unit(unit)));
    line.tariffs
        .iter()
        .enumerate()
        .map(|(position, tariff)| {
            let commodity = position == last;
            let on_commodity = |value: Decimal| if commodity { value } else { Decimal::ZERO };
            object(json!({
                "ZZENTRY": line.entry_number,
                "ZZLINE": format!("{:03}", line.line_number),
                "ZZSEQ": format!("{:02}", position + 1),
                "ZZHTS": tariff.hts_number,
                "ZZPART": part_code(line.part),
                "ZZHERKL": line.origin,
                "ZZMID": line.mid,
                "ZZSPI": line.spi.clone().unwrap_or_default(),
                "ZZREL": flag(line.related_party),
                "ZZVALUE": number(on_commodity(line.entered_value), 2),
                "ZZCHARGES": number(on_commodity(line.charges), 2),
                "ZZGROSS_KG": number(on_commodity(line.gross_kg), 0),
                "ZZNET_KG": number(on_commodity(line.net_kg), 3),
                "ZZQTY": number(on_commodity(quantity), 0),
                "ZZQTY_UNIT": if commodity { unit.clone() } else { String::new() },
                "ZZRATE": tariff.rate_text,
                "ZZDUTY": number(tariff.duty, 2),
                "ZZMPF": number(on_commodity(line.mpf), 2),
                "ZZHMF": number(on_commodity(line.hmf), 2),
            }))
        })
        .collect()
}

fn hts(dataset: &ImporterDataset) -> Vec<Row> {
    let mut entries: Vec<_> = dataset.hts.iter().collect();
    entries.sort_by(|a, b| a.hts10.cmp(&b.hts10));
    entries
        .into_iter()
        .map(|entry| {
            object(json!({
                "HTSNO": entry.hts10,
                "DESCR": entry.description,
                "UNIT": entry.units.iter().map(Unit::text).collect::<Vec<_>>().join(" "),
                "GENERAL": entry.general_text,
                "CH99": entry.chapter99.join(" "),
            }))
        })
        .collect()
}

fn tariff(dataset: &ImporterDataset) -> Vec<Row> {
    dataset
        .tariff_rules
        .iter()
        .map(|rule| {
            // Open ends come both ways in the maintained table: 99991231 and 00000000.
            let valid_to = match rule.effective_to {
                Some(to) => date(Some(to)),
                None if rule.programme == lading_customs::model::Programme::S301 => "99991231".to_string(),
                None => "00000000".to_string(),
            };
            object(json!({
                "CH99": rule.chapter99,
                "PROGRAM": Programme::code(rule.programme),
                "RANK": rule.rank.to_string(),
                "RATE": plain(rule.rate_percent, 3),
                "BASIS": RateBasis::code(rule.basis),
                "HTS_PREFIX": rule.hts_prefixes.join(" "),
                "ORIGINS": rule.origins.join(" "),
                "EXCL_ORIGINS": rule.excluded_origins.join(" "),
                "VALID_FROM": date(Some(rule.effective_from)),
                "VALID_TO": valid_to,
                "DISPLACES": rule.displaces.iter().map(|p| Programme::code(*p)).collect::<Vec<_>>().join(" "),
                "CLAIM_CODE": rule.claim_code.clone().unwrap_or_default(),
                "METAL_SPLIT": flag(rule.requires_metal_split),
            }))
        })
        .collect()
}
