//! `transactions`, `movements` and `reported_lines`: ZSDR002 and ZEMM004 read with SAP's sign
//! and number rules.
//!
//! - Billing items (`ET_BILLING`) → [`InvoiceItem`]: the sign is in `VBTYP` (`O` credit memo,
//!   `N` cancellation: negative), never in the number; each item stays its own row; amounts are
//!   converted to US dollars at `KURRF` (a negative rate is SAP's indirect quotation) and
//!   rounded to cents; a foreign
//!   currency without a rate is a problem; the quantity `FKIMG` in `VRKME` is converted to the
//!   product's base unit (a unit without conversion is a problem); `ZZMOT` gives the transport.
//! - Movements (ZEMM004) → [`Movement`], signed by `SHKZG` (`S` +, `H` −).
//! - SAP's own customs lines (`ET_CUSTOMS`, one row per HTS number) → [`CustomsLine`]s grouped
//!   by entry and line, HTS numbers in `ZZSEQ` order, line values from the commodity row.
//!
//! An item or movement of a material the product master does not hold is a problem: it may be
//! unknown to SAP's extract, deleted, or quarantined itself.

use super::check;
use super::packaging::UnitConversion;
use super::values::{RowReader, text_of};
use super::{Issue, JobOutput, Row, rows_value};
use crate::model::{CustomsLine, InvoiceItem, LinePart, LineTariff, Product, Programme, TariffRule, Transport};
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What the transaction jobs need from the master data.
#[derive(Clone, Debug, Default)]
pub struct MasterData {
    /// Valid products by material.
    pub products: BTreeMap<String, Product>,
    /// Base units per unit, by `{material}|{UNIT}`.
    pub conversions: BTreeMap<String, Decimal>,
    /// The programme of each Chapter 99 number, from the tariff rules.
    pub programmes: BTreeMap<String, Programme>,
}

impl MasterData {
    pub fn new(
        products: impl IntoIterator<Item = Product>,
        conversions: impl IntoIterator<Item = UnitConversion>,
        rules: &[TariffRule],
    ) -> MasterData {
        MasterData {
            products: products.into_iter().map(|p| (p.material.clone(), p)).collect(),
            conversions: conversions
                .into_iter()
                .map(|c| (format!("{}|{}", c.material, c.unit), c.base_units_per_unit))
                .collect(),
            programmes: rules.iter().map(|r| (r.chapter99.clone(), r.programme)).collect(),
        }
    }
}

/// One goods movement (ZEMM004), signed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Movement {
    /// `MBLNR`.
    pub document: String,
    /// `MJAHR`.
    pub year: String,
    /// `ZEILE`.
    pub item: String,
    /// `BWART`, e.g. `101` goods receipt.
    pub movement_type: String,
    pub material: String,
    pub plant: String,
    /// Positive for `SHKZG = S` (debit), negative for `H` (credit).
    pub quantity: Decimal,
    pub unit: String,
    /// `DMBTR` in `currency`, signed like the quantity.
    pub amount: Decimal,
    pub currency: String,
    pub posting_date: NaiveDate,
    pub purchase_order: Option<String>,
}

/// Rounds an amount to cents, half away from zero.
fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The factor that turns an amount in `currency` into US dollars, from `KURRF`.
fn usd_rate(reader: &mut RowReader<'_>, currency: Option<&str>, document: &str) -> Option<Decimal> {
    let currency = currency?.to_uppercase();
    if currency == "USD" {
        return Some(Decimal::ONE);
    }
    let written = reader.text("KURRF").is_some();
    let rate = reader.number("KURRF");
    match rate {
        Some(rate) if rate > Decimal::ZERO => Some(rate),
        // SAP writes an indirect quotation (units of currency per dollar) as a negative rate.
        Some(rate) if rate < Decimal::ZERO => Decimal::ONE.checked_div(-rate),
        // Written but unreadable: the reader has recorded why.
        None if written => None,
        _ => {
            reader.issue(
                "KURRF",
                "missing_rate",
                format!("currency {currency} of {document} has no exchange rate to usd (KURRF): maintain the rate on the billing document"),
            );
            None
        }
    }
}

/// The sign of a billing document from its category `VBTYP`.
fn document_sign(reader: &mut RowReader<'_>) -> Option<Decimal> {
    let category = reader.required("VBTYP", "the sd document category")?.to_uppercase();
    match category.as_str() {
        "M" | "P" | "S" | "U" => Some(Decimal::ONE),
        "O" | "N" => Some(Decimal::NEGATIVE_ONE),
        _ => {
            reader.issue(
                "VBTYP",
                "unknown_document_type",
                format!("VBTYP {category:?} is not an invoice (M, P) or a credit memo or cancellation (O, N)"),
            );
            None
        }
    }
}

/// `ZZMOT`, the CBP mode of transport: 1x vessel, 2x rail, 3x truck, 4x air.
fn transport(reader: &mut RowReader<'_>) -> Option<Transport> {
    let code = reader.required("ZZMOT", "the mode of transport (10 vessel, 20 rail, 30 truck, 40 air)")?;
    match code.chars().next() {
        Some('1') if code.len() == 2 => Some(Transport::Vessel),
        Some('2') if code.len() == 2 => Some(Transport::Rail),
        Some('3') if code.len() == 2 => Some(Transport::Truck),
        Some('4') if code.len() == 2 => Some(Transport::Air),
        _ => {
            reader.issue(
                "ZZMOT",
                "invalid_transport",
                format!("ZZMOT {code:?} is not a mode of transport: use 10 vessel, 20 rail, 30 truck or 40 air"),
            );
            None
        }
    }
}

/// The product of `MATNR`, or an `unknown_material` problem.
fn known_product<'m>(reader: &mut RowReader<'_>, master: &'m MasterData) -> Option<&'m Product> {
    let material = reader.material("MATNR")?;
    let product = master.products.get(&material);
    if product.is_none() {
        reader.issue(
            "MATNR",
            "unknown_material",
            format!("material {material} is not in the product master (unknown, deleted or quarantined): fix the material's master data first"),
        );
    }
    product
}

/// Billing items → invoice items keyed by `{VBELN}|{POSNR}`, one per billing item and signed
/// by its document category: a credit memo or a cancellation is its own negative item, so the
/// items of an entry sum to what was really shipped, and each document stays visible.
pub fn invoice_items(billing: &[Row], master: &MasterData) -> JobOutput<InvoiceItem> {
    let mut output = JobOutput::default();
    let mut seen: BTreeMap<String, &Row> = BTreeMap::new();
    for (index, row) in billing.iter().enumerate() {
        let mut reader = RowReader::for_report(row);
        let invoice = reader.required("VBELN", "the billing document number");
        let item = reader.required("POSNR", "the billing item number");
        let key = match (&invoice, &item) {
            (Some(invoice), Some(item)) => format!("{invoice}|{item}"),
            _ => format!("ET_BILLING row {}", index + 1),
        };
        if let Some(first) = seen.get(&key) {
            output.duplicates += 1;
            if *first == row {
                continue;
            }
            output.reject(
                format!("{key} (row {})", index + 1),
                vec![Issue::new(
                    "POSNR",
                    "conflicting_rows",
                    format!("billing item {key} is listed twice with different values"),
                )],
                Value::Object(row.clone()),
            );
            continue;
        }
        seen.insert(key.clone(), row);
        let item = invoice_item(&mut reader, master, invoice, item, &key);
        match item {
            Some(item) if !reader.has_issues() => output.rows.push((key, item)),
            _ => output.reject(key, reader.finish(), Value::Object(row.clone())),
        }
    }
    output.sort();
    output
}

fn invoice_item(
    reader: &mut RowReader<'_>,
    master: &MasterData,
    invoice: Option<String>,
    item: Option<String>,
    key: &str,
) -> Option<InvoiceItem> {
    let product = known_product(reader, master);
    let sign = document_sign(reader);
    let entry_number = reader.required("ZZENTRY", "the customs entry number");
    let entry_date = reader.required_date("ZZENTRY_DATE", "the customs entry date");
    let transport = transport(reader);
    let currency = reader.required("WAERK", "the document currency");
    let rate = usd_rate(reader, currency.as_deref(), &format!("billing item {key}"));
    let net_value = reader.required_number("NETWR", "the net value");
    let charges = reader.number("ZZCHARGES");
    let metal_value = reader.number("ZZMETAL_VAL");
    let quantity = reader.required_number("FKIMG", "the billed quantity");
    let sales_unit = reader.required("VRKME", "the sales unit");

    let base_quantity = match (product, quantity, &sales_unit) {
        (Some(product), Some(quantity), Some(unit)) => {
            if check::base_unit(unit) == product.base_unit {
                Some(quantity.abs())
            } else if let Some(factor) =
                master.conversions.get(&format!("{}|{}", product.material, unit.to_uppercase()))
            {
                let base = quantity.abs().checked_mul(*factor);
                if base.is_none() {
                    reader.issue("FKIMG", "out_of_range", format!("FKIMG {quantity} {unit} is too large"));
                }
                base
            } else {
                reader.issue("VRKME", "no_conversion", format!("unit {unit} of material {} has no conversion to its base unit {}: maintain it in ZFMIOR003 (UMREZ/UMREN)", product.material, product.base_unit));
                None
            }
        }
        _ => None,
    };
    let origin = match reader.text("ZZHERKL").or_else(|| product.map(|p| p.origin.clone())) {
        Some(text) => match check::origin(&text) {
            Ok(code) => Some(code),
            Err(message) => {
                reader.issue("ZZHERKL", "invalid_origin", message);
                None
            }
        },
        None => {
            if product.is_some() {
                reader.issue(
                    "ZZHERKL",
                    "missing",
                    "ZZHERKL is empty and the product has no origin: maintain the country of origin",
                );
            }
            None
        }
    };
    let mid = match reader.text("ZZMID").or_else(|| product.and_then(|p| p.mid.clone())) {
        Some(text) => match check::mid(&text) {
            Ok(code) => Some(code),
            Err(message) => {
                reader.issue("ZZMID", "invalid_mid", message);
                None
            }
        },
        None => {
            if product.is_some() {
                reader.issue(
                    "ZZMID",
                    "missing_mid",
                    "the manufacturer id is neither on the item (ZZMID) nor in the product master: maintain it",
                );
            }
            None
        }
    };
    let sign = sign?;
    let rate = rate?;
    // Each item's dollars to the cent, as SAP keeps document amounts; the line sums them.
    let mut usd = |field: &str, amount: Decimal| {
        let dollars = amount.abs().checked_mul(rate).map(|usd| cents(usd) * sign);
        if dollars.is_none() {
            reader.issue(field, "out_of_range", format!("{field} {amount} is too large to convert to usd"));
        }
        dollars
    };
    let value_usd = usd("NETWR", net_value?);
    let charges_usd = match charges {
        Some(charges) => usd("ZZCHARGES", charges),
        None => Some(Decimal::ZERO),
    };
    let metal_value_usd = match metal_value {
        Some(metal) => Some(usd("ZZMETAL_VAL", metal)?),
        None => None,
    };
    Some(InvoiceItem {
        entry_number: entry_number?,
        entry_date: entry_date?,
        transport: transport?,
        invoice: invoice?,
        invoice_item: item?,
        material: product?.material.clone(),
        quantity: base_quantity?.normalize() * sign,
        value_usd: value_usd?,
        charges_usd: charges_usd?,
        metal_value_usd,
        origin: origin?,
        mid: mid?,
        spi: reader.text("ZZSPI").map(|s| s.to_uppercase()),
        related_party: reader.flag("ZZREL"),
        adcvd_case: reader.text("ZZADCVD"),
    })
}

/// Movements → keyed by `{MBLNR}|{MJAHR}|{ZEILE}`.
pub fn movements(rows: &[Row], master: &MasterData) -> JobOutput<Movement> {
    let mut output = JobOutput::default();
    let mut seen: BTreeMap<String, &Row> = BTreeMap::new();
    for (index, row) in rows.iter().enumerate() {
        let mut reader = RowReader::for_report(row);
        let document = reader.required("MBLNR", "the material document number");
        let year = reader.required("MJAHR", "the material document year");
        let item = reader.required("ZEILE", "the material document item");
        let key = match (&document, &year, &item) {
            (Some(d), Some(y), Some(i)) => format!("{d}|{y}|{i}"),
            _ => format!("ZEMM004 row {}", index + 1),
        };
        if seen.contains_key(&key) {
            output.duplicates += 1;
            continue;
        }
        seen.insert(key.clone(), row);
        let product = known_product(&mut reader, master);
        let sign = match reader
            .required("SHKZG", "the debit/credit indicator (S or H)")
            .map(|s| s.to_uppercase())
            .as_deref()
        {
            Some("S") => Some(Decimal::ONE),
            Some("H") => Some(Decimal::NEGATIVE_ONE),
            Some(other) => {
                reader.issue("SHKZG", "invalid_sign", format!("SHKZG {other:?} is neither S (debit) nor H (credit)"));
                None
            }
            None => None,
        };
        let quantity = reader.required_number("MENGE", "the quantity");
        let amount = reader.number("DMBTR");
        let posting_date = reader.required_date("BUDAT", "the posting date");
        let movement = (|| {
            let sign = sign?;
            Some(Movement {
                document: document?,
                year: year?,
                item: item?,
                movement_type: reader.text("BWART").unwrap_or_default(),
                material: product?.material.clone(),
                plant: reader.text("WERKS").unwrap_or_default(),
                quantity: quantity?.abs().normalize() * sign,
                unit: reader.text("MEINS").map(|u| u.to_uppercase()).unwrap_or_default(),
                amount: amount.map(|a| a.abs() * sign).unwrap_or(Decimal::ZERO),
                currency: reader.text("WAERS").map(|c| c.to_uppercase()).unwrap_or_default(),
                posting_date: posting_date?,
                purchase_order: reader.text("EBELN"),
            })
        })();
        match movement {
            Some(movement) if !reader.has_issues() => output.rows.push((key, movement)),
            _ => output.reject(key, reader.finish(), Value::Object(row.clone())),
        }
    }
    output.sort();
    output
}

/// The key of a reported line: `{entry}|{line:03}`.
pub fn line_key(entry: &str, line: u16) -> String {
    format!("{entry}|{line:03}")
}

/// SAP's customs lines: `ET_CUSTOMS` rows grouped per entry and line. The entry date comes from
/// the billing rows of the same entry (`ZZENTRY_DATE`).
pub fn reported_lines(customs: &[Row], billing: &[Row], master: &MasterData) -> JobOutput<CustomsLine> {
    let mut output = JobOutput::default();
    let mut entry_dates: BTreeMap<String, NaiveDate> = BTreeMap::new();
    for row in billing {
        let mut reader = RowReader::new(row);
        if let (Some(entry), Some(date)) = (reader.text("ZZENTRY"), reader.date("ZZENTRY_DATE")) {
            entry_dates.entry(entry).or_insert(date);
        }
    }
    let mut groups: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
    for (index, row) in customs.iter().enumerate() {
        match (text_of(row.get("ZZENTRY")), text_of(row.get("ZZLINE"))) {
            (Some(entry), Some(line)) => {
                // An entry whose billing items span two pages comes with its lines on both.
                let group = groups.entry((entry, line)).or_default();
                if group.contains(&row) {
                    output.duplicates += 1;
                } else {
                    group.push(row);
                }
            }
            _ => output.reject(
                format!("ET_CUSTOMS row {}", index + 1),
                vec![Issue::new("ZZLINE", "missing", "ZZENTRY or ZZLINE is empty: the row cannot be placed on a line")],
                Value::Object(row.clone()),
            ),
        }
    }
    for ((entry, line), rows) in groups {
        let mut issues = Vec::new();
        let line = customs_line(&entry, &line, &rows, entry_dates.get(&entry).copied(), master, &mut issues);
        let key = match &line {
            Some(line) => line_key(&line.entry_number, line.line_number),
            None => format!("{entry}|{}", text_of(rows[0].get("ZZLINE")).unwrap_or_default()),
        };
        match line {
            Some(line) if issues.is_empty() => {
                if output.rows.iter().any(|(k, _)| *k == key) {
                    output.reject(
                        key,
                        vec![Issue::new(
                            "ZZLINE",
                            "conflicting_rows",
                            "the line number is written in two ways (e.g. 1 and 001)",
                        )],
                        rows_value(rows.iter().copied()),
                    );
                } else {
                    output.rows.push((key, line));
                }
            }
            _ => output.reject(key, issues, rows_value(rows.iter().copied())),
        }
    }
    output.sort();
    output
}

fn customs_line(
    entry: &str,
    line_text: &str,
    rows: &[&Row],
    entry_date: Option<NaiveDate>,
    master: &MasterData,
    issues: &mut Vec<Issue>,
) -> Option<CustomsLine> {
    let line_number = match line_text.parse::<u16>() {
        Ok(number) if (1..=999).contains(&number) => Some(number),
        _ => {
            issues.push(Issue::new(
                "ZZLINE",
                "invalid_line",
                format!("ZZLINE {line_text:?} is not a line number from 001 to 999"),
            ));
            None
        }
    };
    if entry_date.is_none() {
        issues.push(Issue::new(
            "ZZENTRY_DATE",
            "missing",
            format!(
                "entry {entry} has no billing item with ZZENTRY_DATE in the same extract: the line's date is unknown"
            ),
        ));
    }
    let mut sequenced: Vec<(u32, &Row)> = Vec::new();
    for row in rows {
        let mut reader = RowReader::for_report(row);
        match reader.required("ZZSEQ", "the position of the hts number on the line").map(|s| s.parse::<u32>()) {
            Some(Ok(seq)) => sequenced.push((seq, row)),
            Some(Err(_)) => issues.push(Issue::new("ZZSEQ", "invalid_sequence", "ZZSEQ is not a whole number")),
            None => issues.extend(reader.finish()),
        }
    }
    sequenced.sort_by_key(|(seq, _)| *seq);
    if sequenced.windows(2).any(|pair| pair[0].0 == pair[1].0) {
        issues.push(Issue::new("ZZSEQ", "duplicate_sequence", "two hts numbers of the line have the same ZZSEQ"));
    }
    let mut tariffs = Vec::new();
    let mut commodity: Option<&Row> = None;
    for (_, row) in &sequenced {
        let mut reader = RowReader::for_report(row);
        let Some(text) = reader.required("ZZHTS", "the hts number") else {
            issues.extend(reader.finish());
            continue;
        };
        let digits = check::hts_digits(&text).unwrap_or_default();
        let is_commodity = digits.len() == 10 && !digits.starts_with("98") && !digits.starts_with("99");
        let hts_number = match digits.len() {
            8 | 10 => check::dotted(&digits),
            _ => {
                reader.issue(
                    "ZZHTS",
                    "invalid_hts",
                    format!("ZZHTS {text:?} is neither a 10-digit number nor a chapter 98/99 number"),
                );
                text.clone()
            }
        };
        let duty = reader.number("ZZDUTY").unwrap_or(Decimal::ZERO);
        let programme = if is_commodity { None } else { master.programmes.get(&hts_number).copied() };
        tariffs.push(LineTariff { hts_number, programme, rate_text: reader.text("ZZRATE").unwrap_or_default(), duty });
        if is_commodity {
            if commodity.is_some() {
                reader.issue("ZZHTS", "two_commodities", "the line has two chapter 1-97 numbers");
            }
            commodity = Some(row);
        }
        issues.extend(reader.finish());
    }
    let Some(commodity) = commodity else {
        issues.push(Issue::new(
            "ZZHTS",
            "missing_commodity",
            format!("line {line_text} of entry {entry} has no chapter 1-97 hts number"),
        ));
        return None;
    };
    if tariffs.last().map(|t| t.programme.is_none() && t.hts_number.len() == 13) != Some(true) {
        issues.push(Issue::new("ZZSEQ", "commodity_not_last", "the chapter 1-97 number must be the last on the line"));
    }
    let mut reader = RowReader::for_report(commodity);
    let part = match reader.text("ZZPART").map(|p| p.to_uppercase()).as_deref() {
        None | Some("W") => Some(LinePart::Whole),
        Some("N") => Some(LinePart::NonMetal),
        Some("M") => Some(LinePart::Metal),
        Some(other) => {
            reader.issue("ZZPART", "invalid_part", format!("ZZPART {other:?} is not W, N or M"));
            None
        }
    };
    let first = |field: &str| rows.iter().find_map(|row| text_of(row.get(field)));
    let origin = match reader.text("ZZHERKL").or_else(|| first("ZZHERKL")) {
        Some(text) => check::origin(&text).map_err(|m| reader.issue("ZZHERKL", "invalid_origin", m)).ok(),
        None => {
            reader.issue("ZZHERKL", "missing", "ZZHERKL is empty: the line has no country of origin");
            None
        }
    };
    let mid = reader.text("ZZMID").or_else(|| first("ZZMID")).unwrap_or_default().to_uppercase();
    let spi = reader.text("ZZSPI").or_else(|| first("ZZSPI")).map(|s| s.to_uppercase());
    let related_party = reader.flag("ZZREL");
    let amount = |reader: &mut RowReader<'_>, field: &str| reader.number(field).unwrap_or(Decimal::ZERO);
    let entered_value = amount(&mut reader, "ZZVALUE");
    let charges = amount(&mut reader, "ZZCHARGES");
    let gross_kg = amount(&mut reader, "ZZGROSS_KG");
    let net_kg = amount(&mut reader, "ZZNET_KG");
    let quantity = reader.number("ZZQTY");
    let unit = reader.text("ZZQTY_UNIT");
    let mpf = amount(&mut reader, "ZZMPF");
    let hmf = amount(&mut reader, "ZZHMF");
    let quantities = match (quantity, unit) {
        (Some(quantity), Some(unit)) => vec![(check::quantity_unit(&unit), quantity)],
        (Some(quantity), None) => {
            reader.issue("ZZQTY_UNIT", "missing", format!("quantity {quantity} has no unit (NO, KG, DOZ)"));
            Vec::new()
        }
        _ => Vec::new(),
    };
    issues.extend(reader.finish());
    Some(CustomsLine {
        entry_number: entry.to_string(),
        entry_date: entry_date?,
        line_number: line_number?,
        part: part?,
        origin: origin?,
        mid,
        spi,
        related_party,
        tariffs,
        entered_value,
        charges,
        gross_kg,
        net_kg,
        quantities,
        mpf,
        hmf,
        flags: Vec::new(),
        trace: vec!["reported by sap (ZSDR002 ET_CUSTOMS)".to_string()],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etl::product_master::tests::rows;
    use crate::model::Unit;
    use serde_json::json;

    fn master() -> MasterData {
        let product = |material: &str, origin: &str, mid: Option<&str>| Product {
            material: material.into(),
            description: "x".into(),
            hts10: "9403.20.00.35".into(),
            origin: origin.into(),
            base_unit: "pieces".into(),
            net_kg_per_unit: Decimal::from(48),
            gross_kg_per_unit: Decimal::from(52),
            mid: mid.map(str::to_string),
        };
        let conversion =
            UnitConversion { material: "1001".into(), unit: "PAL".into(), base_units_per_unit: Decimal::from(20) };
        let rule_rows = rows(
            json!([{"CH99": "9903.88.03", "PROGRAM": "301", "RANK": "10", "RATE": "25", "BASIS": "FULL", "VALID_FROM": "20190510"}]),
        );
        let rules: Vec<TariffRule> =
            crate::etl::tariff::tariff_sequencing(&rule_rows).rows.into_iter().map(|(_, r)| r).collect();
        MasterData::new([product("1001", "CN", Some("CNXYZ123SHA")), product("1002", "VN", None)], [conversion], &rules)
    }

    fn invoice() -> Value {
        json!({"VBELN": "0090001234", "POSNR": "000010", "FKART": "F2", "VBTYP": "M", "FKDAT": "20251020",
               "MATNR": "000000000000001001", "FKIMG": "10,000", "VRKME": "ST", "NETWR": "1.000,00", "WAERK": "USD",
               "KURRF": "1,00000", "ZZENTRY": "ABC-1234567-8", "ZZENTRY_DATE": "20251020", "ZZMOT": "11",
               "ZZHERKL": "", "ZZMID": "", "ZZSPI": "", "ZZREL": "", "ZZADCVD": "", "ZZMETAL_VAL": "", "ZZCHARGES": "25,50"})
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
    fn an_invoice_item_in_dollars_with_the_product_defaults() {
        let output = invoice_items(&rows(json!([invoice()])), &master());
        assert!(output.rejected.is_empty(), "{:?}", reasons(&output));
        let (key, item) = &output.rows[0];
        assert_eq!(key, "0090001234|000010");
        assert_eq!(item.value_usd, Decimal::new(100000, 2));
        assert_eq!(item.charges_usd, Decimal::new(2550, 2));
        assert_eq!(item.quantity, Decimal::from(10));
        assert_eq!(item.transport, Transport::Vessel);
        assert_eq!(item.origin, "CN", "from the product master");
        assert_eq!(item.mid, "CNXYZ123SHA");
        assert_eq!(item.entry_date, NaiveDate::from_ymd_opt(2025, 10, 20).unwrap());
        assert_eq!(item.metal_value_usd, None);
        assert!(!item.related_party);
    }

    #[test]
    fn credit_memos_are_negative_and_currencies_convert() {
        let credit = with(
            &invoice(),
            json!({"POSNR": "000020", "VBTYP": "O", "NETWR": "1.234,50-", "WAERK": "EUR", "KURRF": "1,10000", "VRKME": "PAL", "FKIMG": "2,000", "ZZMETAL_VAL": "100,00"}),
        );
        let indirect = with(
            &invoice(),
            json!({"POSNR": "000030", "WAERK": "MXN", "KURRF": "20,00000-", "NETWR": "2.000,00", "ZZREL": "X", "ZZHERKL": "mx", "ZZMID": "MXABC1MEX"}),
        );
        let output = invoice_items(&rows(json!([credit, indirect])), &master());
        assert!(output.rejected.is_empty(), "{:?}", reasons(&output));
        let credit = &output.rows[0].1;
        assert_eq!(credit.value_usd, Decimal::new(-135795, 2), "1234.50 EUR × 1.1, negative by VBTYP");
        assert_eq!(credit.quantity, Decimal::from(-40), "2 pallets of 20");
        assert_eq!(credit.metal_value_usd, Some(Decimal::new(-11000, 2)));
        let indirect = &output.rows[1].1;
        assert_eq!(indirect.value_usd, Decimal::new(10000, 2), "2000 MXN at 20 per dollar");
        assert_eq!(indirect.origin, "MX");
        assert!(indirect.related_party);
    }

    #[test]
    fn a_cancellation_is_its_own_negative_item() {
        let cancellation = with(
            &invoice(),
            json!({"VBELN": "0092000001", "VBTYP": "N", "NETWR": "1.000,00-", "ZZCHARGES": "25,50-", "VGBEL": "0090001234"}),
        );
        let output = invoice_items(&rows(json!([invoice(), cancellation])), &master());
        assert!(output.rejected.is_empty(), "{:?}", reasons(&output));
        let total: Decimal = output.rows.iter().map(|(_, item)| item.value_usd).sum();
        let quantity: Decimal = output.rows.iter().map(|(_, item)| item.quantity).sum();
        assert_eq!((total, quantity), (Decimal::ZERO, Decimal::ZERO), "the pair nets to nothing");
        assert_eq!(output.rows[1].1.charges_usd, Decimal::new(-2550, 2));
    }

    #[test]
    fn unknown_material_missing_rate_and_unit_without_conversion_are_problems() {
        let unknown = with(&invoice(), json!({"POSNR": "000040", "MATNR": "9999"}));
        let no_rate = with(&invoice(), json!({"POSNR": "000050", "WAERK": "EUR", "KURRF": ""}));
        let zero_rate = with(&invoice(), json!({"POSNR": "000060", "WAERK": "EUR", "KURRF": "0,00000"}));
        let no_conversion = with(&invoice(), json!({"POSNR": "000070", "VRKME": "CAR"}));
        let no_mid = with(&invoice(), json!({"POSNR": "000080", "MATNR": "1002"}));
        let bad = with(
            &invoice(),
            json!({"POSNR": "000090", "VBTYP": "Q", "ZZMOT": "99", "ZZENTRY_DATE": "00000000", "NETWR": "abc"}),
        );
        let output = invoice_items(&rows(json!([unknown, no_rate, zero_rate, no_conversion, no_mid, bad])), &master());
        assert_eq!(
            reasons(&output),
            [
                "0090001234|000040 MATNR:unknown_material",
                "0090001234|000050 KURRF:missing_rate",
                "0090001234|000060 KURRF:missing_rate",
                "0090001234|000070 VRKME:no_conversion",
                "0090001234|000080 ZZMID:missing_mid",
                "0090001234|000090 VBTYP:unknown_document_type",
                "0090001234|000090 ZZENTRY_DATE:missing",
                "0090001234|000090 ZZMOT:invalid_transport",
                "0090001234|000090 NETWR:invalid_number",
            ]
        );
        assert!(output.rows.is_empty());
        let message = &output.rejected[1].reasons[0].message;
        assert!(message.contains("currency EUR") && message.contains("KURRF"), "{message}");
    }

    #[test]
    fn no_input_panics() {
        let huge = "79228162514264337593543950335";
        let values = [
            json!(huge),
            json!("-0,00000000000000000000000001"),
            json!(null),
            json!([1]),
            json!({"a": 1}),
            json!(""),
            json!("1.2.3,4,5"),
        ];
        let fields = [
            "VBELN",
            "POSNR",
            "VBTYP",
            "MATNR",
            "FKIMG",
            "VRKME",
            "NETWR",
            "WAERK",
            "KURRF",
            "ZZENTRY",
            "ZZENTRY_DATE",
            "ZZMOT",
            "ZZCHARGES",
            "ZZMETAL_VAL",
            "MBLNR",
            "MJAHR",
            "ZEILE",
            "SHKZG",
            "MENGE",
            "DMBTR",
            "BUDAT",
            "ZZLINE",
            "ZZSEQ",
            "ZZHTS",
            "ZZVALUE",
            "ZZQTY",
            "ZZQTY_UNIT",
            "UMREZ",
            "UMREN",
            "MEINH",
            "ZZPACK_TYPE",
            "ZZPACK_KG",
            "BRGEW",
            "NTGEW",
            "GEWEI",
            "STAWN",
            "HERKL",
            "CH99",
            "PROGRAM",
            "RANK",
            "RATE",
            "BASIS",
            "VALID_FROM",
            "VALID_TO",
            "HTSNO",
            "UNIT",
        ];
        for value in &values {
            let mut row = serde_json::Map::new();
            for field in fields {
                row.insert(field.into(), value.clone());
            }
            let mut half = invoice().as_object().cloned().unwrap_or_default();
            half.insert("NETWR".into(), json!(huge));
            half.insert("KURRF".into(), json!(huge));
            half.insert("WAERK".into(), json!("EUR"));
            let rows = vec![row, half];
            let master = master();
            let _ = invoice_items(&rows, &master);
            let _ = movements(&rows, &master);
            let _ = reported_lines(&rows, &rows, &master);
            let _ = crate::etl::packaging::packaging_materials(&rows);
            let _ = crate::etl::tariff::tariff_sequencing(&rows);
            let _ =
                crate::etl::product_master::product_master(&rows, &rows, &crate::etl::product_master::tests::Catalog);
            let _ = crate::etl::hts_reference::hts_reference(
                &rows,
                &[huge.to_string()],
                &crate::etl::product_master::tests::Catalog,
            );
        }
    }

    #[test]
    fn movements_are_signed_by_shkzg() {
        let receipt = json!({"MBLNR": "5000000001", "MJAHR": "2025", "ZEILE": "0001", "BWART": "101", "MATNR": "1001", "WERKS": "1000",
            "SHKZG": "S", "MENGE": "10.000", "MEINS": "ST", "DMBTR": "1500.00", "WAERS": "USD", "BUDAT": "20251020", "EBELN": "4500000001"});
        let reversal = with(&receipt, json!({"ZEILE": "0002", "BWART": "102", "SHKZG": "H"}));
        let unknown = with(&receipt, json!({"ZEILE": "0003", "MATNR": "4711"}));
        let bad_sign = with(&receipt, json!({"ZEILE": "0004", "SHKZG": "X"}));
        let output = movements(&rows(json!([receipt, reversal, unknown, bad_sign, receipt])), &master());
        assert_eq!(output.rows[0].1.quantity, Decimal::from(10));
        assert_eq!(output.rows[1].1.quantity, Decimal::from(-10));
        assert_eq!(output.rows[1].1.amount, Decimal::new(-150000, 2));
        assert_eq!(output.duplicates, 1);
        assert_eq!(
            reasons(&output),
            ["5000000001|2025|0003 MATNR:unknown_material", "5000000001|2025|0004 SHKZG:invalid_sign"]
        );
    }

    #[test]
    fn sap_customs_lines_are_grouped_in_sequence() {
        let base = json!({"ZZENTRY": "ABC-1234567-8", "ZZLINE": "001", "ZZPART": "N", "ZZHERKL": "CN", "ZZMID": "CNXYZ123SHA", "ZZSPI": "", "ZZREL": ""});
        let customs = json!([
            with(
                &base,
                json!({"ZZSEQ": "03", "ZZHTS": "9403.20.00.35", "ZZRATE": "Free", "ZZDUTY": "0,00", "ZZVALUE": "92.000,00",
                "ZZCHARGES": "0,00", "ZZGROSS_KG": "1.040,00", "ZZNET_KG": "960,00", "ZZQTY": "20", "ZZQTY_UNIT": "NO", "ZZMPF": "318,69", "ZZHMF": "115,00"})
            ),
            with(&base, json!({"ZZSEQ": "01", "ZZHTS": "99038803", "ZZRATE": "25%", "ZZDUTY": "23.000,00"})),
            with(&base, json!({"ZZSEQ": "02", "ZZHTS": "9903.01.24", "ZZRATE": "20%", "ZZDUTY": "18.400,00"})),
            with(&base, json!({"ZZLINE": "002", "ZZSEQ": "01", "ZZHTS": "9403.20.00.35", "ZZPART": "M"})),
            with(&base, json!({"ZZENTRY": "NO-DATE", "ZZSEQ": "01", "ZZHTS": "9403.20.00.35"})),
            with(&base, json!({"ZZLINE": "003", "ZZSEQ": "01", "ZZHTS": "9903.88.03"})),
        ]);
        let output = reported_lines(&rows(customs), &rows(json!([invoice()])), &master());
        assert_eq!(reasons(&output), ["ABC-1234567-8|003 ZZHTS:missing_commodity", "NO-DATE|001 ZZENTRY_DATE:missing"]);
        let keys: Vec<&str> = output.rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["ABC-1234567-8|001", "ABC-1234567-8|002"]);
        let line = &output.rows[0].1;
        let numbers: Vec<&str> = line.tariffs.iter().map(|t| t.hts_number.as_str()).collect();
        assert_eq!(numbers, ["9903.88.03", "9903.01.24", "9403.20.00.35"]);
        assert_eq!(line.tariffs[0].programme, Some(Programme::S301));
        assert_eq!(line.tariffs[1].programme, None, "no rule for 9903.01.24 in this master data");
        assert_eq!(line.tariffs[0].duty, Decimal::new(2300000, 2));
        assert_eq!(line.entered_value, Decimal::from(92_000));
        assert_eq!(line.quantities, [(Unit::Number, Decimal::from(20))]);
        assert_eq!(line.part, LinePart::NonMetal);
        assert_eq!(line.mpf, Decimal::new(31869, 2));
        assert_eq!(line.entry_date, NaiveDate::from_ymd_opt(2025, 10, 20).unwrap());
        assert_eq!(output.rows[1].1.part, LinePart::Metal);
    }
}
