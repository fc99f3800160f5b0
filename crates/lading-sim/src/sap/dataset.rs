//! The demo importer's data, deterministic from the seed: the product master, packaging, HTS
//! reference and tariff rules, a few hundred entries (shipments) with their intercompany and
//! supplier billing documents, the material movements they caused, and SAP's own customs lines.
//!
//! Everything here is the truth a correct client must reconstruct from the wire: money is
//! `Decimal` in document currency (`KURRF` converts to USD), signs live in the document category
//! rather than in the numbers, and weights are in the material's SAP unit with exact kg helpers.
//!
//! Credit memos and cancellations are dated after their entry: the entry as filed stands, so
//! they never change a customs line (the generator refuses them as "returns and credits are
//! not entry lines"), whether a client nets them or not.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use lading_customs::generate::ItemIssue;
use lading_customs::model::{CustomsLine, HtsEntry, InvoiceItem, Packaging, Product, TariffRule, Transport};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::catalogue::{self, MaterialRecord, PackagingRecord, Supplier, WeightUnit, round};
use super::planted::{self, PlantedDiscrepancy};
use super::reference;
use crate::seed::{label_hash, mix};

/// How many entries the demo importer filed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetSize {
    /// 40 entries: quick tests.
    Small,
    /// 300 entries over 2025-01 … 2026-06: the demo.
    #[default]
    Standard,
    /// Any number of entries (at least 1).
    Entries(usize),
}

impl DatasetSize {
    pub fn entries(self) -> usize {
        match self {
            Self::Small => 40,
            Self::Standard => 300,
            Self::Entries(count) => count.max(1),
        }
    }
}

/// The first and last entry dates of the dataset.
pub const FIRST_ENTRY_DATE: (i32, u32, u32) = (2025, 1, 2);
pub const LAST_ENTRY_DATE: (i32, u32, u32) = (2026, 6, 30);
/// The importer paused Chinese shipments while the April–May 2025 escalation was in force, so
/// its tariff table needs no row for it.
const CHINA_PAUSE: ((i32, u32, u32), (i32, u32, u32)) = ((2025, 4, 9), (2025, 5, 13));
/// The importer's SAP went live on this day: no document is dated before it.
pub const SAP_GO_LIVE: (i32, u32, u32) = (2025, 1, 1);
/// The importer's CBP filer code, the first three characters of every entry number.
pub const FILER_CODE: &str = "LD7";

/// What a billing document is; the sign of its numbers lives here (`VBTYP`), never in them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingCategory {
    /// `VBTYP M`, `FKART F2`: positive.
    Invoice,
    /// `VBTYP O`, `FKART G2`: damaged or missing units credited after the entry; negative.
    CreditMemo,
    /// `VBTYP N`, `FKART S1`: reverses the invoice in `VGBEL` after the entry (an accounting
    /// correction: the entry as filed stands); negative.
    Cancellation,
}

impl BillingCategory {
    /// `VBTYP`.
    pub fn vbtyp(self) -> &'static str {
        match self {
            Self::Invoice => "M",
            Self::CreditMemo => "O",
            Self::Cancellation => "N",
        }
    }

    /// `FKART`.
    pub fn fkart(self) -> &'static str {
        match self {
            Self::Invoice => "F2",
            Self::CreditMemo => "G2",
            Self::Cancellation => "S1",
        }
    }
}

/// One entry (a US customs entry summary) and the documents behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Filer code, 7-digit serial and check digit, without dashes: `LD700012345`.
    pub entry_number: String,
    pub entry_date: NaiveDate,
    pub transport: Transport,
    pub origin: String,
    /// Every billing document of the entry, in issue order.
    pub documents: Vec<String>,
}

/// One item of a billing document (a row of ZSDR002 `ET_BILLING`). Numbers are unsigned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BillingItem {
    /// `VBELN`, 10 digits.
    pub document: String,
    /// `POSNR` as a number: 10, 20 …
    pub item: u32,
    pub category: BillingCategory,
    /// `FKDAT`.
    pub billing_date: NaiveDate,
    /// Material number without leading zeros.
    pub material: String,
    /// `FKIMG`, in `sales_unit`.
    pub quantity: Decimal,
    /// `VRKME`: the material's base unit.
    pub sales_unit: String,
    /// `NETWR`, in `currency`.
    pub net_value: Decimal,
    /// `WAERK`: `USD` or `CNY`.
    pub currency: String,
    /// `KURRF`: USD per unit of `currency`, five decimals.
    pub exchange_rate: Decimal,
    /// `NTGEW` / `BRGEW` of the item, in `weight_unit`.
    pub net_weight: Decimal,
    pub gross_weight: Decimal,
    pub weight_unit: WeightUnit,
    /// `VGBEL`: the delivery of an invoice; the invoice a credit memo or cancellation refers to.
    pub reference: String,
    pub entry_number: String,
    pub entry_date: NaiveDate,
    pub transport: Transport,
    pub origin: String,
    pub mid: String,
    pub spi: Option<String>,
    pub related: bool,
    pub adcvd_case: Option<String>,
    /// `ZZMETAL_VAL`: aluminium content value in `currency`; zero when none is declared.
    pub metal_value: Decimal,
    /// `ZZCHARGES` in `currency`.
    pub charges: Decimal,
    /// The purchase order the goods were received against (ZEMM004 `EBELN`).
    pub purchase_order: String,
    /// An invoice reversed by a cancellation after the entry (it stays on the entry as filed).
    pub cancelled: bool,
}

impl BillingItem {
    /// +1 for invoices, −1 for credit memos and cancellations.
    pub fn sign(&self) -> Decimal {
        match self.category {
            BillingCategory::Invoice => Decimal::ONE,
            BillingCategory::CreditMemo | BillingCategory::Cancellation => Decimal::NEGATIVE_ONE,
        }
    }
}

/// Debit or credit (`SHKZG`): the sign of a movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DebitCredit {
    /// `S`: into stock.
    Debit,
    /// `H`: out of stock.
    Credit,
}

impl DebitCredit {
    pub fn shkzg(self) -> &'static str {
        match self {
            Self::Debit => "S",
            Self::Credit => "H",
        }
    }
}

/// One material document line (a row of ZEMM004 `ET_MOVEMENTS`). Numbers are unsigned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Movement {
    /// `MBLNR`, 10 digits.
    pub document: String,
    pub year: i32,
    /// `ZEILE` as a number.
    pub line: u32,
    /// `BWART`: `101` goods receipt, `122` return to vendor, `601` goods issue for delivery.
    pub movement_type: String,
    pub material: String,
    pub plant: String,
    pub debit_credit: DebitCredit,
    pub quantity: Decimal,
    pub unit: String,
    /// `DMBTR` in `currency` (always USD, the company code currency).
    pub amount: Decimal,
    pub currency: String,
    pub posting_date: NaiveDate,
    pub purchase_order: Option<String>,
}

impl Movement {
    /// The quantity with the sign `SHKZG` gives it.
    pub fn signed_quantity(&self) -> Decimal {
        match self.debit_credit {
            DebitCredit::Debit => self.quantity,
            DebitCredit::Credit => -self.quantity,
        }
    }
}

/// SAP's customs lines and how they came about.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CustomsReport {
    /// What the customs-line generator makes of [`ImporterDataset::invoice_items`]: what a
    /// correct pipeline produces.
    pub generated: Vec<CustomsLine>,
    /// The items the generator refused: exactly the credit memo and cancellation items
    /// (`quantity_not_positive`), which are not entry lines.
    pub issues: Vec<ItemIssue>,
    /// What SAP reports in ZSDR002 `ET_CUSTOMS`: `generated` with the planted changes applied.
    pub reported: Vec<CustomsLine>,
    pub planted: Vec<PlantedDiscrepancy>,
}

/// Row counts, for `/_sim/state` and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub products: usize,
    pub retired_products: usize,
    pub packaging: usize,
    pub hts_codes: usize,
    pub tariff_rules: usize,
    pub entries: usize,
    pub billing_items: usize,
    pub credit_memo_items: usize,
    pub cancellation_items: usize,
    pub movements: usize,
    pub generated_lines: usize,
    pub reported_lines: usize,
    pub planted_discrepancies: usize,
}

/// Everything the SAP simulator serves, and the truth behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImporterDataset {
    pub seed: u64,
    pub suppliers: Vec<Supplier>,
    /// Active materials: the deduplicated product master.
    pub products: Vec<MaterialRecord>,
    /// Materials flagged for deletion (`LVORM = X`): served, but not part of the master.
    pub retired: Vec<MaterialRecord>,
    pub packaging: Vec<PackagingRecord>,
    pub hts: Vec<HtsEntry>,
    pub tariff_rules: Vec<TariffRule>,
    pub entries: Vec<Entry>,
    /// Every billing item, ordered by entry, document and item.
    pub billing: Vec<BillingItem>,
    pub movements: Vec<Movement>,
    pub customs: CustomsReport,
}

fn ymd((year, month, day): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

/// Luhn check digit over a string of digits.
fn luhn(digits: &str) -> u32 {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|character| character.to_digit(10))
        .enumerate()
        .map(|(position, digit)| {
            if position % 2 == 0 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// `LD7` + 7-digit serial + a Luhn check digit over the serial.
fn entry_number(serial: u32) -> String {
    let serial = format!("{serial:07}");
    format!("{FILER_CODE}{serial}{}", luhn(&serial))
}

/// USD per CNY on a date: a slow drift around 0.1385 plus a little noise, five decimals.
fn cny_rate(date: NaiveDate, rng: &mut ChaCha8Rng) -> Decimal {
    let months = f64::from((date.year() - 2025) * 12) + f64::from(date.month0());
    let drift = 0.1372 + 0.0003 * months / 2.0 + 0.0004 * (months / 2.5).sin();
    let noise = rng.random_range(-0.0002..0.0002);
    round(Decimal::from_f64_retain(drift + noise).unwrap_or(Decimal::new(13_850, 5)), 5)
}

/// Document number counters: each SAP number range counts up on its own.
struct Numbers {
    invoice: u64,
    credit_memo: u64,
    cancellation: u64,
    delivery: u64,
    purchase_order: u64,
}

fn next(counter: &mut u64) -> String {
    *counter += 1;
    format!("{:010}", *counter)
}

/// The entry-level fields every billing item of an entry repeats.
struct EntryContext<'a> {
    entry_number: &'a str,
    entry_date: NaiveDate,
    transport: Transport,
    origin: &'a str,
}

/// Builds entries and their billing documents.
struct EntryBuilder<'a> {
    rng: &'a mut ChaCha8Rng,
    products: &'a [MaterialRecord],
    suppliers: &'a [Supplier],
    units_per_pack: HashMap<&'a str, u32>,
    numbers: Numbers,
    entries: Vec<Entry>,
    billing: Vec<BillingItem>,
}

/// One priced line of a document before it becomes a billing item.
struct Line {
    product: usize,
    quantity: u32,
    /// Unit price in document currency.
    price: Decimal,
    /// Charges as a percentage of the value, when the line carries any.
    charges_percent: Option<Decimal>,
}

impl EntryBuilder<'_> {
    fn entry(&mut self, entry_number: String, entry_date: NaiveDate, transport: Transport, origin: &str) {
        let candidates: Vec<usize> = (0..self.suppliers.len())
            .filter(|&index| {
                self.suppliers[index].country == origin && self.products.iter().any(|p| p.supplier == index)
            })
            .collect();
        let Some(&primary) = candidates.get(self.rng.random_range(0..candidates.len().max(1))) else {
            return;
        };
        let mut chosen = vec![primary];
        if candidates.len() > 1 && self.rng.random_bool(0.25) {
            let others: Vec<usize> = candidates.iter().copied().filter(|&index| index != primary).collect();
            chosen.push(others[self.rng.random_range(0..others.len())]);
        }
        let context = EntryContext { entry_number: &entry_number, entry_date, transport, origin };
        let first_item = self.billing.len();
        let mut documents = Vec::new();
        for supplier in chosen {
            documents.push(self.invoice(&context, supplier));
        }
        if self.rng.random_bool(0.04) {
            let invoice = documents[documents.len() - 1].clone();
            documents.extend(self.cancel_after_entry(&context, &invoice));
        }
        if self.rng.random_bool(0.10) {
            documents.extend(self.credit_memo(&context, first_item));
        }
        self.entries.push(Entry {
            entry_number: entry_number.clone(),
            entry_date,
            transport,
            origin: origin.to_string(),
            documents,
        });
    }

    fn transit_days(&mut self, transport: Transport) -> i64 {
        match transport {
            Transport::Vessel => self.rng.random_range(18..36),
            Transport::Air => self.rng.random_range(2..7),
            Transport::Truck => self.rng.random_range(1..4),
            Transport::Rail => self.rng.random_range(3..8),
        }
    }

    /// A supplier's commercial invoice for this entry; returns its number.
    fn invoice(&mut self, context: &EntryContext<'_>, supplier: usize) -> String {
        let mut candidates: Vec<usize> =
            (0..self.products.len()).filter(|&i| self.products[i].supplier == supplier).collect();
        candidates.shuffle(self.rng);
        let count = self.rng.random_range(1..=candidates.len().min(5));
        let related = self.suppliers[supplier].related;
        let (currency, rate) = if related && self.rng.random_bool(0.5) {
            ("CNY", cny_rate(context.entry_date, self.rng))
        } else {
            ("USD", Decimal::ONE)
        };
        // SAP went live on 2025-01-01: nothing is billed before it.
        let billing_date =
            (context.entry_date - Duration::days(self.transit_days(context.transport))).max(ymd(SAP_GO_LIVE));
        let mut lines = Vec::new();
        for &product in &candidates[..count] {
            let record = &self.products[product];
            let pack = self.units_per_pack.get(record.material.as_str()).copied().unwrap_or(1).max(1);
            let mut quantity = self.rng.random_range(record.quantity.min..=record.quantity.max);
            quantity = quantity.div_ceil(pack) * pack;
            let jitter = Decimal::from(self.rng.random_range(970..=1030)) / Decimal::ONE_THOUSAND;
            let price_usd = round(record.unit_price_usd * jitter, 2);
            let price = if currency == "USD" { price_usd } else { round(price_usd / rate, 2) };
            let charges_percent =
                self.rng.random_bool(0.3).then(|| Decimal::from(self.rng.random_range(8..=25)) / Decimal::TEN);
            lines.push(Line { product, quantity, price, charges_percent });
        }
        let document = next(&mut self.numbers.invoice);
        let delivery = next(&mut self.numbers.delivery);
        let purchase_order = next(&mut self.numbers.purchase_order);
        let mid = self.suppliers[supplier].mid.clone();
        for (index, line) in lines.iter().enumerate() {
            let item = self.item(
                context,
                Document {
                    number: &document,
                    category: BillingCategory::Invoice,
                    date: billing_date,
                    currency,
                    rate,
                    reference: &delivery,
                    purchase_order: &purchase_order,
                    mid: &mid,
                    related,
                },
                (index as u32 + 1) * 10,
                line,
            );
            self.billing.push(item);
        }
        document
    }

    fn item(&self, context: &EntryContext<'_>, document: Document<'_>, item: u32, line: &Line) -> BillingItem {
        let record = &self.products[line.product];
        let quantity = Decimal::from(line.quantity);
        let net_value = quantity * line.price;
        let metal_value = record
            .aluminium_percent
            .map(|percent| round(net_value * percent / Decimal::ONE_HUNDRED, 2))
            .unwrap_or_default();
        let charges = line
            .charges_percent
            .map(|percent| round(net_value * percent / Decimal::ONE_HUNDRED, 2))
            .unwrap_or_default();
        BillingItem {
            document: document.number.to_string(),
            item,
            category: document.category,
            billing_date: document.date,
            material: record.material.clone(),
            quantity,
            sales_unit: record.base_unit.clone(),
            net_value,
            currency: document.currency.to_string(),
            exchange_rate: document.rate,
            net_weight: round(quantity * record.net_weight, 3),
            gross_weight: round(quantity * record.gross_weight, 3),
            weight_unit: record.weight_unit,
            reference: document.reference.to_string(),
            entry_number: context.entry_number.to_string(),
            entry_date: context.entry_date,
            transport: context.transport,
            origin: context.origin.to_string(),
            mid: document.mid.to_string(),
            spi: None,
            related: document.related,
            adcvd_case: record.adcvd_case.clone(),
            metal_value,
            charges,
            purchase_order: document.purchase_order.to_string(),
            cancelled: false,
        }
    }

    /// Reverses `invoice` (S1) some days after the entry; returns the cancellation's number.
    fn cancel_after_entry(&mut self, context: &EntryContext<'_>, invoice: &str) -> Option<String> {
        let originals: Vec<usize> = (0..self.billing.len()).filter(|&i| self.billing[i].document == invoice).collect();
        if originals.is_empty() {
            return None;
        }
        let cancellation = next(&mut self.numbers.cancellation);
        let date = context.entry_date + Duration::days(self.rng.random_range(3..31));
        for index in originals {
            self.billing[index].cancelled = true;
            let mut reversal = self.billing[index].clone();
            reversal.document = cancellation.clone();
            reversal.category = BillingCategory::Cancellation;
            reversal.billing_date = date;
            reversal.reference = invoice.to_string();
            reversal.cancelled = false;
            self.billing.push(reversal);
        }
        Some(cancellation)
    }

    /// Credits a few damaged or missing units of one invoice item of this entry, after the entry.
    fn credit_memo(&mut self, context: &EntryContext<'_>, first_item: usize) -> Option<String> {
        let eligible: Vec<usize> = (first_item..self.billing.len())
            .filter(|&i| {
                let item = &self.billing[i];
                item.category == BillingCategory::Invoice && !item.cancelled && item.quantity >= Decimal::from(4)
            })
            .collect();
        let &target = eligible.get(self.rng.random_range(0..eligible.len().max(1)))?;
        let original = self.billing[target].clone();
        let most = (original.quantity / Decimal::from(4)).floor().min(Decimal::from(3));
        let most = u32::try_from(most.mantissa()).unwrap_or(1).max(1);
        let units = Decimal::from(self.rng.random_range(1..=most));
        let document = next(&mut self.numbers.credit_memo);
        let unit_price = original.net_value / original.quantity;
        let per_unit = |total: Decimal| round(total * units / original.quantity, 3);
        let credit = BillingItem {
            document: document.clone(),
            item: 10,
            category: BillingCategory::CreditMemo,
            billing_date: context.entry_date + Duration::days(self.rng.random_range(5..41)),
            quantity: units,
            net_value: round(unit_price * units, 2),
            net_weight: per_unit(original.net_weight),
            gross_weight: per_unit(original.gross_weight),
            reference: original.document.clone(),
            metal_value: round(original.metal_value * units / original.quantity, 2),
            charges: Decimal::ZERO,
            ..original
        };
        self.billing.push(credit);
        Some(document)
    }
}

/// The header fields a billing item takes from its document.
struct Document<'a> {
    number: &'a str,
    category: BillingCategory,
    date: NaiveDate,
    currency: &'a str,
    rate: Decimal,
    reference: &'a str,
    purchase_order: &'a str,
    mid: &'a str,
    related: bool,
}

impl ImporterDataset {
    /// Generates the whole dataset for `seed`; the same seed and size give the same data.
    pub fn generate(seed: u64, size: DatasetSize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(seed, label_hash("sap-importer")));
        let (products, retired, packaging) = catalogue::generate(&mut rng);
        let suppliers = catalogue::suppliers();
        let (entries, billing) = generate_entries(&mut rng, &products, &suppliers, &packaging, size.entries());
        let movements = generate_movements(&mut rng, &products, &billing);
        let mut dataset = Self {
            seed,
            suppliers,
            products,
            retired,
            packaging,
            hts: reference::hts_entries(),
            tariff_rules: reference::tariff_rules(),
            entries,
            billing,
            movements,
            customs: CustomsReport::default(),
        };
        dataset.customs = planted::customs_report(&dataset, &mut rng);
        dataset
    }

    /// The product master keyed by material number (what the generator's reference wants).
    pub fn product_map(&self) -> HashMap<String, Product> {
        self.products.iter().map(|record| (record.material.clone(), record.to_product())).collect()
    }

    /// Packaging per material.
    pub fn packaging_map(&self) -> HashMap<String, Vec<Packaging>> {
        let mut map: HashMap<String, Vec<Packaging>> = HashMap::new();
        for record in &self.packaging {
            map.entry(record.material.clone()).or_default().push(record.to_packaging());
        }
        map
    }

    /// The HTS reference keyed by dotted 10-digit number.
    pub fn hts_map(&self) -> HashMap<String, HtsEntry> {
        self.hts.iter().map(|entry| (entry.hts10.clone(), entry.clone())).collect()
    }

    /// The invoice items of every billing row, as a correct client reads ZSDR002 `ET_BILLING`:
    /// one item per row (`VBELN` / `POSNR`), signed by `VBTYP` (`O`, `N` negative), amounts
    /// converted to USD at `KURRF` and rounded to cents per item, `ZZMETAL_VAL` always declared
    /// (zero when there is no metal). Credit memos and cancellations come out negative and the
    /// generator refuses them: they are dated after the entry and do not change it.
    pub fn invoice_items(&self) -> Vec<InvoiceItem> {
        self.billing
            .iter()
            .map(|item| {
                let sign = item.sign();
                let usd = |amount: Decimal| round(amount * item.exchange_rate, 2) * sign;
                InvoiceItem {
                    entry_number: item.entry_number.clone(),
                    entry_date: item.entry_date,
                    transport: item.transport,
                    invoice: item.document.clone(),
                    invoice_item: format!("{:06}", item.item),
                    material: item.material.clone(),
                    quantity: item.quantity * sign,
                    value_usd: usd(item.net_value),
                    charges_usd: usd(item.charges),
                    metal_value_usd: Some(usd(item.metal_value)),
                    origin: item.origin.clone(),
                    mid: item.mid.clone(),
                    spi: item.spi.clone(),
                    related_party: item.related,
                    adcvd_case: item.adcvd_case.clone(),
                }
            })
            .collect()
    }

    pub fn entry(&self, entry_number: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.entry_number == entry_number)
    }

    pub fn summary(&self) -> DatasetSummary {
        let count = |category| self.billing.iter().filter(|item| item.category == category).count();
        DatasetSummary {
            products: self.products.len(),
            retired_products: self.retired.len(),
            packaging: self.packaging.len(),
            hts_codes: self.hts.len(),
            tariff_rules: self.tariff_rules.len(),
            entries: self.entries.len(),
            billing_items: self.billing.len(),
            credit_memo_items: count(BillingCategory::CreditMemo),
            cancellation_items: count(BillingCategory::Cancellation),
            movements: self.movements.len(),
            generated_lines: self.customs.generated.len(),
            reported_lines: self.customs.reported.len(),
            planted_discrepancies: self.customs.planted.len(),
        }
    }
}

fn generate_entries(
    rng: &mut ChaCha8Rng,
    products: &[MaterialRecord],
    suppliers: &[Supplier],
    packaging: &[PackagingRecord],
    count: usize,
) -> (Vec<Entry>, Vec<BillingItem>) {
    let first = ymd(FIRST_ENTRY_DATE);
    let span = (ymd(LAST_ENTRY_DATE) - first).num_days();
    let pause = (ymd(CHINA_PAUSE.0), ymd(CHINA_PAUSE.1));
    let numbers = Numbers {
        invoice: 90_000_000 + rng.random_range(100..900),
        credit_memo: 91_000_000 + rng.random_range(100..900),
        cancellation: 92_000_000 + rng.random_range(10..90),
        delivery: 80_000_000 + rng.random_range(1000..9000),
        purchase_order: 4_500_000_000 + rng.random_range(1000..9000),
    };
    let mut serial: u32 = rng.random_range(10_000..40_000);
    let units_per_pack = packaging.iter().map(|record| (record.material.as_str(), record.units_per_pack)).collect();
    let mut builder = EntryBuilder {
        rng,
        products,
        suppliers,
        units_per_pack,
        numbers,
        entries: Vec::with_capacity(count),
        billing: Vec::new(),
    };
    let step = span as f64 / count as f64;
    for index in 0..count {
        let offset = (index as f64 * step + builder.rng.random_range(0.0..step.max(1.0))) as i64;
        let mut entry_date = first + Duration::days(offset.min(span));
        // Brokers file on working days.
        while entry_date.weekday().number_from_monday() > 5 {
            entry_date -= Duration::days(1);
        }
        let entry_date = entry_date.max(first);
        let in_pause = entry_date >= pause.0 && entry_date <= pause.1;
        let roll = builder.rng.random_range(0..100);
        let origin = match roll {
            _ if in_pause && roll % 2 == 0 => "VN",
            _ if in_pause => "MX",
            0..45 => "CN",
            45..75 => "VN",
            _ => "MX",
        };
        let transport = match (origin, builder.rng.random_range(0..100)) {
            ("MX", 0..85) => Transport::Truck,
            ("MX", _) => Transport::Rail,
            (_, 0..85) => Transport::Vessel,
            _ => Transport::Air,
        };
        serial += builder.rng.random_range(1..40);
        builder.entry(entry_number(serial), entry_date, transport, origin);
    }
    let EntryBuilder { entries, mut billing, .. } = builder;
    billing.sort_by(|a, b| {
        a.entry_number.cmp(&b.entry_number).then_with(|| a.document.cmp(&b.document)).then(a.item.cmp(&b.item))
    });
    (entries, billing)
}

/// One material document before its number is drawn (numbers follow posting order).
struct PendingDocument {
    posting_date: NaiveDate,
    movement_type: &'static str,
    debit_credit: DebitCredit,
    purchase_order: Option<String>,
    /// (material, plant, quantity, amount)
    lines: Vec<(String, String, Decimal, Decimal)>,
}

fn generate_movements(rng: &mut ChaCha8Rng, products: &[MaterialRecord], billing: &[BillingItem]) -> Vec<Movement> {
    let units: HashMap<&str, &MaterialRecord> =
        products.iter().map(|record| (record.material.as_str(), record)).collect();
    // Net received quantity and USD value per (invoice, material), after credit memos.
    let mut received: Vec<(String, String, NaiveDate, String, String, Decimal, Decimal)> = Vec::new();
    for item in billing {
        // Goods are received as invoiced, less the units a credit memo says never arrived; a
        // cancellation after the entry is an accounting correction and moves no stock.
        let invoice = match item.category {
            BillingCategory::Invoice => &item.document,
            BillingCategory::CreditMemo => &item.reference,
            BillingCategory::Cancellation => continue,
        };
        let sign = item.sign();
        let usd = item.net_value * item.exchange_rate * sign;
        match received.iter_mut().find(|row| &row.0 == invoice && row.1 == item.material) {
            Some(row) => {
                row.5 += item.quantity * sign;
                row.6 += usd;
            }
            None => received.push((
                invoice.clone(),
                item.material.clone(),
                item.entry_date,
                item.origin.clone(),
                item.purchase_order.clone(),
                item.quantity * sign,
                usd,
            )),
        }
    }
    let mut pending: Vec<PendingDocument> = Vec::new();
    let mut index = 0;
    while index < received.len() {
        let invoice = received[index].0.clone();
        let end = received[index..].iter().position(|row| row.0 != invoice).map_or(received.len(), |at| index + at);
        let group = &received[index..end];
        index = end;
        let (_, _, entry_date, origin, purchase_order, _, _) = &group[0];
        let posting_date = *entry_date + Duration::days(rng.random_range(1..5));
        let mut lines = Vec::new();
        for (_, material, _, _, _, quantity, usd) in group {
            if *quantity <= Decimal::ZERO {
                continue;
            }
            let plant = units
                .get(material.as_str())
                .filter(|record| origin == "MX" && record.plants.iter().any(|plant| plant == "1100"))
                .map_or("1000", |_| "1100");
            let amount = round(*usd, 2);
            lines.push((material.clone(), plant.to_string(), *quantity, amount));
        }
        if lines.is_empty() {
            continue;
        }
        for (material, plant, quantity, amount) in &lines {
            let unit_cost = *amount / *quantity;
            if rng.random_bool(0.06) && *quantity > Decimal::from(3) {
                let returned = Decimal::from(rng.random_range(1..=3));
                pending.push(PendingDocument {
                    posting_date: posting_date + Duration::days(rng.random_range(5..21)),
                    movement_type: "122",
                    debit_credit: DebitCredit::Credit,
                    purchase_order: Some(purchase_order.clone()),
                    lines: vec![(material.clone(), plant.clone(), returned, round(unit_cost * returned, 2))],
                });
            }
            let mut left = *quantity;
            for _ in 0..rng.random_range(1..=2) {
                let share = Decimal::from(rng.random_range(30..=60)) / Decimal::ONE_HUNDRED;
                let issued = (left * share).floor();
                if issued <= Decimal::ZERO {
                    break;
                }
                left -= issued;
                pending.push(PendingDocument {
                    posting_date: posting_date + Duration::days(rng.random_range(7..60)),
                    movement_type: "601",
                    debit_credit: DebitCredit::Credit,
                    purchase_order: None,
                    lines: vec![(material.clone(), plant.clone(), issued, round(unit_cost * issued, 2))],
                });
            }
        }
        pending.push(PendingDocument {
            posting_date,
            movement_type: "101",
            debit_credit: DebitCredit::Debit,
            purchase_order: Some(purchase_order.clone()),
            lines,
        });
    }
    pending.sort_by_key(|document| document.posting_date);
    let mut number: u64 = 4_900_000_000 + rng.random_range(1000..9000);
    let mut movements = Vec::new();
    for document in pending {
        let document_number = next(&mut number);
        for (position, (material, plant, quantity, amount)) in document.lines.into_iter().enumerate() {
            let unit = units.get(material.as_str()).map_or_else(|| "ST".to_string(), |record| record.base_unit.clone());
            movements.push(Movement {
                document: document_number.clone(),
                year: document.posting_date.year(),
                line: position as u32 + 1,
                movement_type: document.movement_type.to_string(),
                material,
                plant,
                debit_credit: document.debit_credit,
                quantity,
                unit,
                amount,
                currency: "USD".to_string(),
                posting_date: document.posting_date,
                purchase_order: document.purchase_order.clone(),
            });
        }
    }
    movements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_numbers_carry_the_filer_code_and_a_check_digit() {
        let number = entry_number(1_234_567);
        assert_eq!(number.len(), 11);
        assert!(number.starts_with(FILER_CODE));
        assert_eq!(luhn("7992739871"), 3);
    }

    #[test]
    fn credits_and_cancellations_come_after_the_entry_and_are_refused_as_lines() {
        let dataset = ImporterDataset::generate(7, DatasetSize::Standard);
        let summary = dataset.summary();
        assert!(summary.credit_memo_items > 0 && summary.cancellation_items > 0, "{summary:?}");
        let reversals: Vec<&BillingItem> =
            dataset.billing.iter().filter(|item| item.category != BillingCategory::Invoice).collect();
        assert!(reversals.iter().all(|item| item.billing_date > item.entry_date));
        assert!(
            dataset
                .billing
                .iter()
                .filter(|item| item.category == BillingCategory::Invoice)
                .all(|item| item.billing_date <= item.entry_date)
        );
        let items = dataset.invoice_items();
        assert_eq!(items.iter().filter(|item| item.quantity < Decimal::ZERO).count(), reversals.len());
        // Every refused item is a reversal, refused at least for its quantity.
        let refused: std::collections::BTreeSet<(&str, &str)> = dataset
            .customs
            .issues
            .iter()
            .filter(|issue| issue.code == "quantity_not_positive")
            .map(|issue| (issue.entry_number.as_str(), issue.material.as_str()))
            .collect();
        let negative: std::collections::BTreeSet<(&str, &str)> = items
            .iter()
            .filter(|item| item.quantity < Decimal::ZERO)
            .map(|item| (item.entry_number.as_str(), item.material.as_str()))
            .collect();
        assert_eq!(refused, negative);
        let codes = ["quantity_not_positive", "value_negative", "charges_negative", "metal_value_invalid"];
        assert!(dataset.customs.issues.iter().all(|issue| codes.contains(&issue.code.as_str())));
        // China goods do not enter during the April–May 2025 pause.
        let pause = (ymd(CHINA_PAUSE.0), ymd(CHINA_PAUSE.1));
        assert!(
            dataset
                .entries
                .iter()
                .all(|entry| entry.origin != "CN" || entry.entry_date < pause.0 || entry.entry_date > pause.1)
        );
    }
}
