//! Customs-line generation: invoice items and master data in, US entry summary lines out, each
//! with its Chapter 99 numbers, duties, fees and a trace of the rules that fired.
//!
//! The steps, one module each: check every item against the master data and refuse the ones that
//! cannot be reported (an [`ItemIssue`] each, never a panic, never a guessed line); select the
//! Chapter 99 rules that apply (`selection`); group items into lines (`grouping`); weigh and
//! count them (`quantities`); split metal derivatives (`split`); charge duty per HTS number
//! (`duty`); number the lines and add MPF and HMF per entry (`fees`). Rounding is half-up, once,
//! on sums (`rounding`).
//!
//! Decisions where `customs.md` is silent:
//! - Each entry takes its date and transport from its first item in the input; an item that
//!   disagrees is refused (`entry_inconsistent`).
//! - An item's origin and MID override the product master's when not blank; the origin must be
//!   ISO-2. A missing or over-long MID is flagged on the line, not refused.
//! - An item under a rule charged on metal or non-metal content must declare its metal value
//!   (`metal_value_missing`, declare 0 when there is none). A metal-content rule on a line with no
//!   metal value is not applied (traced); a line whose value is all metal is not split.
//! - The metal line's net kg is the metal's kg, from `GenerateOptions::metal_kg_per_unit` (the
//!   master data has no metal weight); its gross kg and charges are 0, carried by the non-metal
//!   line, so the entry's weight and charges are counted once. Missing metal kg is flagged.
//! - A displaced number is reported as the displacing row's claim code, or the displaced row's own
//!   claim code (so one 232 row can displace IEEPA reciprocal → 9903.01.33 and, later, Section
//!   122 → 9903.03.06); with neither, it is dropped and flagged. Claims take `Programme::Claim`.
//! - A special programme indicator found in the HTS special column replaces the general rate of
//!   the commodity number; one not found keeps the general rate and is flagged. Chapter 99 rules
//!   do not look at the SPI.
//! - AD/CVD cases group lines but their deposits are not computed. MPF has no SPI exemptions.
//! - `generate` trusts the rule table: run [`crate::rules::check_rules`] when loading it. Only two
//!   applicable rows with the same number refuse the item (`rules_overlap`). Several rows of one
//!   programme other than 301 with different numbers all stack (two 232 metals can).
//! - A rule charged on metal content that does not require the split displaces on the whole line
//!   (the data says the line is not split).
//! - Items beyond an entry's 999th line are refused (`too_many_lines`); amounts beyond any real
//!   invoice (over $10^12, 10^9 pieces, 10^6 kg per unit) are refused (`amount_too_large`) so
//!   that decimal arithmetic cannot overflow; a duty or fee that would still overflow (an absurd
//!   rate in the reference) is 0 and flagged.
//! - Lines come back by entry number, then line number; issues in input order.

mod duty;
mod fees;
#[doc(hidden)]
pub mod fixtures;
mod fxhash;
mod grouping;
mod quantities;
mod rounding;
mod selection;
mod split;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use self::fees::{FeeSchedule, MpfPeriod};
use self::fxhash::{FxMap, FxSet};
use self::grouping::{Country, Group, GroupKey, ItemOrder};
use self::selection::{RuleText, Selection};
use crate::model::{CustomsLine, HtsEntry, InvoiceItem, Packaging, Product, TariffRule, Transport};
use crate::rules::hts_digits;

/// The master data the generator reads.
#[derive(Clone, Copy, Debug)]
pub struct Reference<'a> {
    /// Products by material number (without leading zeros).
    pub products: &'a HashMap<String, Product>,
    /// Packaging rows by material number.
    pub packaging: &'a HashMap<String, Vec<Packaging>>,
    /// The HTS reference by dotted 10-digit number.
    pub hts: &'a HashMap<String, HtsEntry>,
    /// The tariff-sequencing table.
    pub rules: &'a [TariffRule],
}

/// Settings beyond the master data, with defaults for every field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenerateOptions {
    /// The MPF and HMF table.
    pub fees: FeeSchedule,
    /// Kilograms of metal per unit, by material: the metal line's net kg.
    pub metal_kg_per_unit: HashMap<String, Decimal>,
}

/// What `generate` returns: the lines it could build and the items it refused.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Generated {
    /// By entry number, then line number.
    pub lines: Vec<CustomsLine>,
    /// In input order; an item may have several.
    pub issues: Vec<ItemIssue>,
}

/// An invoice item left out of the lines, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemIssue {
    pub entry_number: String,
    pub invoice_item: String,
    pub material: String,
    /// One of [`IssueCode`], snake case.
    pub code: String,
    /// Names the item and says what to fix.
    pub message: String,
}

impl fmt::Display for ItemIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Why an item was left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueCode {
    UnknownMaterial,
    ProductWithoutWeight,
    GrossBelowNet,
    PackagingInvalid,
    OriginMissing,
    OriginInvalid,
    HtsNot10Digit,
    HtsUnknown,
    HtsWithoutUnit,
    UnitWithoutConversion,
    RulesOverlap,
    MetalValueMissing,
    MetalValueInvalid,
    QuantityNotPositive,
    ValueNegative,
    ChargesNegative,
    DuplicateItem,
    EntryInconsistent,
    TooManyLines,
    AmountTooLarge,
}

impl IssueCode {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueCode::UnknownMaterial => "unknown_material",
            IssueCode::ProductWithoutWeight => "product_without_weight",
            IssueCode::GrossBelowNet => "gross_below_net",
            IssueCode::PackagingInvalid => "packaging_invalid",
            IssueCode::OriginMissing => "origin_missing",
            IssueCode::OriginInvalid => "origin_invalid",
            IssueCode::HtsNot10Digit => "hts_not_10_digit",
            IssueCode::HtsUnknown => "hts_unknown",
            IssueCode::HtsWithoutUnit => "hts_without_unit",
            IssueCode::UnitWithoutConversion => "unit_without_conversion",
            IssueCode::RulesOverlap => "rules_overlap",
            IssueCode::MetalValueMissing => "metal_value_missing",
            IssueCode::MetalValueInvalid => "metal_value_invalid",
            IssueCode::QuantityNotPositive => "quantity_not_positive",
            IssueCode::ValueNegative => "value_negative",
            IssueCode::ChargesNegative => "charges_negative",
            IssueCode::DuplicateItem => "duplicate_item",
            IssueCode::EntryInconsistent => "entry_inconsistent",
            IssueCode::TooManyLines => "too_many_lines",
            IssueCode::AmountTooLarge => "amount_too_large",
        }
    }
}

impl fmt::Display for IssueCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason an item cannot be reported, before it is tied to the item.
#[derive(Clone, Debug)]
pub(crate) struct Problem {
    pub code: IssueCode,
    pub message: String,
}

/// The most lines an entry summary holds.
const MAX_LINES: usize = 999;
/// Bounds on one item's amounts, far above any real invoice, so that sums and products of
/// decimals cannot overflow (which would panic): dollars, pieces, kilograms per unit.
const MAX_ITEM_USD: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0); // 10^12
const MAX_ITEM_QUANTITY: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0); // 10^9
const MAX_KG_PER_UNIT: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0); // 10^6

/// Generates the customs lines of `items` with the default fee table.
pub fn generate(items: &[InvoiceItem], reference: &Reference) -> Generated {
    generate_with(items, reference, &GenerateOptions::default())
}

/// Generates the customs lines of `items`. Pure and deterministic: the same items (in any order)
/// and reference give the same lines.
pub fn generate_with(items: &[InvoiceItem], reference: &Reference, options: &GenerateOptions) -> Generated {
    Generator::new(items, reference, options).run()
}

/// What the generator knows about one product, checked once.
#[derive(Clone, Copy, Debug)]
struct ProductFacts<'a> {
    product: &'a Product,
    hts: &'a HtsEntry,
    /// The reference's key: the dotted 10-digit number.
    hts10: &'a str,
    packaging_kg_per_unit: Decimal,
}

#[derive(Clone, Copy, Debug)]
struct EntryHeader {
    date: NaiveDate,
    transport: Transport,
}

struct Generator<'a, 'o> {
    items: &'a [InvoiceItem],
    reference: Reference<'a>,
    options: &'o GenerateOptions,
    rule_texts: Vec<RuleText>,
    issues: Vec<(usize, ItemIssue)>,
    headers: FxMap<&'a str, EntryHeader>,
    products: FxMap<&'a str, Result<ProductFacts<'a>, Vec<Problem>>>,
    selections: Vec<Selection>,
    selection_index: FxMap<(NaiveDate, Country, &'a str), Result<usize, Problem>>,
    groups: Vec<Group<'a>>,
    group_index: FxMap<GroupKey<'a>, usize>,
}

impl<'a, 'o> Generator<'a, 'o> {
    fn new(items: &'a [InvoiceItem], reference: &Reference<'a>, options: &'o GenerateOptions) -> Self {
        Generator {
            items,
            reference: *reference,
            options,
            rule_texts: selection::rule_texts(reference.rules),
            issues: Vec::new(),
            headers: FxMap::default(),
            products: FxMap::default(),
            selections: Vec::new(),
            selection_index: FxMap::default(),
            groups: Vec::new(),
            group_index: FxMap::default(),
        }
    }

    fn run(mut self) -> Generated {
        for item in self.items {
            self.headers
                .entry(item.entry_number.trim())
                .or_insert(EntryHeader { date: item.entry_date, transport: item.transport });
        }
        let mut seen: FxSet<(&str, &str, &str)> = FxSet::default();
        seen.reserve(self.items.len());
        for (index, item) in self.items.iter().enumerate() {
            let key = (item.entry_number.trim(), item.invoice.trim(), item.invoice_item.trim());
            if !seen.insert(key) {
                self.refuse(
                    index,
                    vec![Problem {
                        code: IssueCode::DuplicateItem,
                        message: "the same entry, invoice and item number appear earlier: remove the repeated row"
                            .to_string(),
                    }],
                );
                continue;
            }
            match self.admit(index, item) {
                Ok(()) => {}
                Err(problems) => self.refuse(index, problems),
            }
        }
        let lines = self.build_lines();
        let mut issues = self.issues;
        issues.sort_by_key(|(index, _)| *index);
        Generated { lines, issues: issues.into_iter().map(|(_, issue)| issue).collect() }
    }

    fn refuse(&mut self, index: usize, problems: Vec<Problem>) {
        let item = &self.items[index];
        for problem in problems {
            self.issues.push((
                index,
                ItemIssue {
                    entry_number: item.entry_number.trim().to_string(),
                    invoice_item: item.invoice_item.trim().to_string(),
                    material: item.material.trim().to_string(),
                    code: problem.code.as_str().to_string(),
                    message: format!(
                        "entry {} invoice {} item {} (material {}): {}",
                        item.entry_number.trim(),
                        item.invoice.trim(),
                        item.invoice_item.trim(),
                        item.material.trim(),
                        problem.message
                    ),
                },
            ));
        }
    }

    /// Checks one item and adds it to its group, or returns every reason it cannot be reported.
    fn admit(&mut self, index: usize, item: &'a InvoiceItem) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let entry = item.entry_number.trim();
        if let Some(header) = self.headers.get(entry)
            && (header.date != item.entry_date || header.transport != item.transport)
        {
            problems.push(Problem {
                code: IssueCode::EntryInconsistent,
                message: format!(
                    "entry date {} / transport {:?} differ from the entry's first item ({} / {:?}): one entry has one date and transport",
                    item.entry_date, item.transport, header.date, header.transport
                ),
            });
        }
        check_amounts(item, &mut problems);

        let facts = match self.product_facts(item.material.trim()) {
            Ok(facts) => Some(facts),
            Err(product_problems) => {
                problems.extend(product_problems);
                None
            }
        };
        let Some(facts) = facts else { return Err(problems) };

        let origin_text = if item.origin.trim().is_empty() { facts.product.origin.trim() } else { item.origin.trim() };
        let origin = if origin_text.is_empty() {
            problems.push(Problem {
                code: IssueCode::OriginMissing,
                message: "no country of origin on the item or the product: maintain the origin (herkl)".to_string(),
            });
            None
        } else {
            let origin = Country::parse(origin_text);
            if origin.is_none() {
                problems.push(Problem {
                    code: IssueCode::OriginInvalid,
                    message: format!("origin {origin_text:?} is not an iso-2 country code: correct it (e.g. CN)"),
                });
            }
            origin
        };
        let Some(origin) = origin else { return Err(problems) };

        let selection = match self.selection(item.entry_date, origin, facts.hts10) {
            Ok(selection) => selection,
            Err(problem) => {
                problems.push(problem);
                return Err(problems);
            }
        };
        let split = self.selections[selection].split;
        if self.selections[selection].needs_metal_value && item.metal_value_usd.is_none() {
            let numbers: Vec<&str> = self.selections[selection]
                .rules
                .iter()
                .map(|&i| &self.reference.rules[i])
                .filter(|r| {
                    r.requires_metal_split
                        || matches!(
                            r.basis,
                            crate::model::RateBasis::MetalContent | crate::model::RateBasis::NonMetalContent
                        )
                })
                .map(|r| r.chapter99.trim())
                .collect();
            problems.push(Problem {
                code: IssueCode::MetalValueMissing,
                message: format!(
                    "hts {} from {origin} on {} is charged on metal content ({}): declare the metal value (0 when there is none)",
                    facts.hts10,
                    item.entry_date,
                    numbers.join(", ")
                ),
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }

        let mid = if item.mid.trim().is_empty() {
            facts.product.mid.as_deref().map(str::trim).unwrap_or("")
        } else {
            item.mid.trim()
        };
        let metal_value = item.metal_value_usd.unwrap_or(Decimal::ZERO);
        let key = GroupKey {
            entry,
            invoice: item.invoice.trim(),
            hts10: facts.hts10,
            origin,
            mid,
            spi: item.spi.as_deref().map(str::trim).unwrap_or(""),
            related_party: item.related_party,
            adcvd_case: item.adcvd_case.as_deref().map(str::trim).unwrap_or(""),
            selection,
            metal: split && metal_value > Decimal::ZERO,
        };
        let order = ItemOrder::new(&item.invoice_item);
        let group_index = match self.group_index.get(&key) {
            Some(&existing) => existing,
            None => {
                self.groups.push(Group::new(key, facts.hts, order));
                self.group_index.insert(key, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[group_index];
        let quantity = item.quantity;
        group.items.push(index);
        if order < group.first_item {
            group.first_item = order;
        }
        group.value += item.value_usd;
        group.charges += item.charges_usd;
        group.metal_value += metal_value;
        group.pieces += quantity;
        group.net_kg += facts.product.net_kg_per_unit * quantity;
        group.goods_gross_kg += facts.product.gross_kg_per_unit * quantity;
        group.packaging_kg += facts.packaging_kg_per_unit * quantity;
        if key.metal {
            let material = facts.product.material.trim();
            let metal_kg = self.options.metal_kg_per_unit.get(material).and_then(|kg| kg.checked_mul(quantity));
            match metal_kg.and_then(|kg| group.metal_kg.checked_add(kg)) {
                Some(total) => group.metal_kg = total,
                None if !group.metal_kg_missing.contains(&material) => group.metal_kg_missing.push(material),
                None => {}
            }
        }
        Ok(())
    }

    /// The product, its HTS entry and packaging, checked once per material.
    fn product_facts(&mut self, material: &'a str) -> Result<ProductFacts<'a>, Vec<Problem>> {
        if let Some(cached) = self.products.get(material) {
            return cached.clone();
        }
        let facts = check_product(&self.reference, material);
        self.products.insert(material, facts.clone());
        facts
    }

    fn selection(&mut self, date: NaiveDate, origin: Country, hts10: &'a str) -> Result<usize, Problem> {
        if let Some(cached) = self.selection_index.get(&(date, origin, hts10)) {
            return cached.clone();
        }
        let selected = selection::select(self.reference.rules, date, origin.as_str(), hts10).map(|selection| {
            self.selections.push(selection);
            self.selections.len() - 1
        });
        self.selection_index.insert((date, origin, hts10), selected.clone());
        selected
    }

    /// Numbers the groups of each entry, splits them into lines and adds the entry's fees.
    fn build_lines(&mut self) -> Vec<CustomsLine> {
        let mut by_entry: BTreeMap<&'a str, Vec<usize>> = BTreeMap::new();
        for (index, group) in self.groups.iter().enumerate() {
            by_entry.entry(group.key.entry).or_default().push(index);
        }
        let mut lines = Vec::with_capacity(self.groups.len() + self.groups.len() / 4);
        let mut overflow: Vec<usize> = Vec::new();
        for (entry, mut group_indexes) in by_entry {
            group_indexes.sort_by(|&a, &b| self.groups[a].numbering_order(&self.groups[b]));
            let Some(header) = self.headers.get(entry).copied() else { continue };
            let mut entry_lines: Vec<CustomsLine> = Vec::new();
            for group_index in group_indexes {
                let group = &self.groups[group_index];
                let selection = &self.selections[group.key.selection];
                let group_lines = split::group_lines(
                    group,
                    self.items,
                    self.reference.rules,
                    &self.rule_texts,
                    selection,
                    header.date,
                );
                if entry_lines.len() + group_lines.len() > MAX_LINES {
                    overflow.push(group_index);
                    continue;
                }
                for mut line in group_lines {
                    line.line_number = u16::try_from(entry_lines.len() + 1).unwrap_or(u16::MAX);
                    entry_lines.push(line);
                }
            }
            fees::apply_fees(&mut entry_lines, header.date, header.transport, &self.options.fees);
            lines.extend(entry_lines);
        }
        for group_index in overflow {
            let item_indexes = self.groups[group_index].items.clone();
            for index in item_indexes {
                self.refuse(
                    index,
                    vec![Problem {
                        code: IssueCode::TooManyLines,
                        message: format!(
                            "the entry already has {MAX_LINES} lines, the most an entry summary holds: \
                             file these items on another entry"
                        ),
                    }],
                );
            }
        }
        lines
    }
}

fn check_amounts(item: &InvoiceItem, problems: &mut Vec<Problem>) {
    let too_large = [
        ("quantity", item.quantity, MAX_ITEM_QUANTITY),
        ("value usd", item.value_usd, MAX_ITEM_USD),
        ("charges usd", item.charges_usd, MAX_ITEM_USD),
        ("metal value usd", item.metal_value_usd.unwrap_or_default(), MAX_ITEM_USD),
    ];
    for (what, amount, bound) in too_large {
        if amount.abs() > bound {
            problems.push(Problem {
                code: IssueCode::AmountTooLarge,
                message: format!("{what} {amount} is beyond {bound}: correct the amount (a unit or decimal error?)"),
            });
        }
    }
    if item.quantity <= Decimal::ZERO {
        problems.push(Problem {
            code: IssueCode::QuantityNotPositive,
            message: format!("quantity {} is not positive: returns and credits are not entry lines", item.quantity),
        });
    }
    if item.value_usd < Decimal::ZERO {
        problems.push(Problem {
            code: IssueCode::ValueNegative,
            message: format!("value {} usd is negative: correct the invoice value", item.value_usd),
        });
    }
    if item.charges_usd < Decimal::ZERO {
        problems.push(Problem {
            code: IssueCode::ChargesNegative,
            message: format!("charges {} usd are negative: correct the charges", item.charges_usd),
        });
    }
    if let Some(metal) = item.metal_value_usd
        && (metal < Decimal::ZERO || metal > item.value_usd)
    {
        problems.push(Problem {
            code: IssueCode::MetalValueInvalid,
            message: format!(
                "metal value {metal} usd is outside 0..{} (the item's value): correct the declared metal content",
                item.value_usd
            ),
        });
    }
}

/// Looks a material up, checks its weights, HTS number, units and packaging.
fn check_product<'a>(reference: &Reference<'a>, material: &str) -> Result<ProductFacts<'a>, Vec<Problem>> {
    let unpadded =
        if material.bytes().all(|b| b.is_ascii_digit()) { material.trim_start_matches('0') } else { material };
    let Some(product) = reference.products.get(material).or_else(|| reference.products.get(unpadded)) else {
        return Err(vec![Problem {
            code: IssueCode::UnknownMaterial,
            message: format!(
                "material {material:?} is not in the product master: add the product or correct the material"
            ),
        }]);
    };
    let mut problems = Vec::new();
    if product.net_kg_per_unit > MAX_KG_PER_UNIT || product.gross_kg_per_unit > MAX_KG_PER_UNIT {
        problems.push(Problem {
            code: IssueCode::AmountTooLarge,
            message: format!(
                "product {} weighs more than {MAX_KG_PER_UNIT} kg per unit (net {}, gross {}): correct the weight unit",
                product.material, product.net_kg_per_unit, product.gross_kg_per_unit
            ),
        });
    } else if product.net_kg_per_unit <= Decimal::ZERO || product.gross_kg_per_unit <= Decimal::ZERO {
        problems.push(Problem {
            code: IssueCode::ProductWithoutWeight,
            message: format!(
                "product {} has no weight (net {} kg, gross {} kg per unit): maintain both weights (ntgew, brgew)",
                product.material, product.net_kg_per_unit, product.gross_kg_per_unit
            ),
        });
    } else if product.gross_kg_per_unit < product.net_kg_per_unit {
        problems.push(Problem {
            code: IssueCode::GrossBelowNet,
            message: format!(
                "product {} weighs gross {} kg, less than net {} kg per unit: correct the weights",
                product.material, product.gross_kg_per_unit, product.net_kg_per_unit
            ),
        });
    }
    let packaging = reference
        .packaging
        .get(product.material.as_str())
        .or_else(|| reference.packaging.get(material))
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut packaging_kg_per_unit = Decimal::ZERO;
    for row in packaging {
        if row.kg_per_unit > MAX_KG_PER_UNIT {
            problems.push(Problem {
                code: IssueCode::AmountTooLarge,
                message: format!(
                    "packaging {} of product {} weighs {} kg per unit, beyond {MAX_KG_PER_UNIT}: correct the weight unit",
                    row.packaging_type, product.material, row.kg_per_unit
                ),
            });
            continue;
        }
        if row.kg_per_unit < Decimal::ZERO {
            problems.push(Problem {
                code: IssueCode::PackagingInvalid,
                message: format!(
                    "packaging {} of product {} weighs {} kg per unit: packaging weight cannot be negative",
                    row.packaging_type, product.material, row.kg_per_unit
                ),
            });
        }
        packaging_kg_per_unit += row.kg_per_unit;
    }

    let digits = hts_digits(&product.hts10);
    let hts = if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        problems.push(Problem {
            code: IssueCode::HtsNot10Digit,
            message: format!(
                "product {} has hts {:?}, not a 10-digit statistical number: classify it to the 10-digit line",
                product.material, product.hts10
            ),
        });
        None
    } else {
        let dotted = format!("{}.{}.{}.{}", &digits[..4], &digits[4..6], &digits[6..8], &digits[8..]);
        let found = reference.hts.get_key_value(&dotted).or_else(|| reference.hts.get_key_value(product.hts10.trim()));
        match found {
            None => {
                problems.push(Problem {
                    code: IssueCode::HtsUnknown,
                    message: format!(
                        "hts {dotted} of product {} is not in the hts reference: correct the classification or load the revision that has it",
                        product.material
                    ),
                });
                None
            }
            Some((_, entry)) if hts_digits(&entry.hts10).len() != 10 => {
                problems.push(Problem {
                    code: IssueCode::HtsNot10Digit,
                    message: format!(
                        "hts {dotted} of product {} is not a 10-digit leaf in the reference ({:?}): classify it to a statistical line",
                        product.material, entry.hts10
                    ),
                });
                None
            }
            Some((key, entry)) => Some((key.as_str(), entry)),
        }
    };
    if let Some((hts10, entry)) = hts
        && let Some(problem) = quantities::unit_problem(&entry.units, &product.base_unit, hts10)
    {
        problems.push(problem);
    }
    match hts {
        Some((hts10, entry)) if problems.is_empty() => {
            Ok(ProductFacts { product, hts: entry, hts10, packaging_kg_per_unit })
        }
        _ => Err(problems),
    }
}
