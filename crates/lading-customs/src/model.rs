//! The shared vocabulary of the customs crate: master-data rows, tariff rules, invoice items,
//! and the customs lines generated from them (and read back from the ERP's report).
//!
//! These types are the contract between the HTS parser (`hts`), the generator (`generate`),
//! the comparison (`compare`), the ETL jobs of `lading-runtime` and the SAP simulator. Money is
//! `Decimal` in US dollars; weights are kilograms unless a field says otherwise.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A unit of quantity of an HTS number, normalised from the USITC export (`No.`, `kg`, `doz.`,
/// `m²`/`m2` …).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// `No.`: pieces.
    Number,
    /// `kg`: net kilograms, no packaging.
    Kilograms,
    /// `doz.`: dozens.
    Dozens,
    /// `X`: no quantity is reported.
    NoQuantity,
    /// Any other unit, kept as the export normalises it (`m2`, `liters`, `pairs` …).
    Other(String),
}

impl Unit {
    /// The unit as the HTS, the importer's tables, reports and CSV files write it: `No.`,
    /// `kg`, `doz.`, `X`, or the text kept.
    pub fn text(&self) -> &str {
        match self {
            Unit::Number => "No.",
            Unit::Kilograms => "kg",
            Unit::Dozens => "doz.",
            Unit::NoQuantity => "X",
            Unit::Other(text) => text,
        }
    }
}

/// A rate of duty as the HTS states it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Rate {
    Free,
    /// Percent of value: `3%` is `AdValorem { percent: 3 }`.
    AdValorem {
        percent: Decimal,
    },
    /// Dollars per unit of quantity (`2.5¢/kg` is 0.025 per kg).
    Specific {
        dollars: Decimal,
        per: Unit,
    },
    /// Percent of value plus dollars per unit.
    Compound {
        percent: Decimal,
        dollars: Decimal,
        per: Unit,
    },
    /// A rate text the parser could not read; a line using it is flagged, never guessed.
    Unparsed {
        text: String,
    },
}

/// One 10-digit line of the HTS reference, with what it inherits from its 8-digit parent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HtsEntry {
    /// Dotted 10-digit code, `9403.20.00.35`.
    pub hts10: String,
    /// Dotted 8-digit rate line, `9403.20.00`.
    pub hts8: String,
    pub description: String,
    /// Units of quantity, in reporting order (usually one).
    pub units: Vec<Unit>,
    /// The general (column 1) rate, inherited from the 8-digit line.
    pub general: Rate,
    /// The general rate's text as published, e.g. `Free`, `3%`.
    pub general_text: String,
    pub special_text: String,
    pub other_text: String,
    /// Chapter 99 numbers referenced by footnotes (`See 9903.88.03.` → `9903.88.03`).
    pub chapter99: Vec<String>,
}

/// A Chapter 99 programme, in the order customs.md gives their reporting slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Programme {
    #[serde(rename = "301")]
    S301,
    IeepaFentanyl,
    IeepaReciprocal,
    S122,
    S232,
    S201,
    Mtb,
    Quota,
    Adcvd,
    Claim,
}

impl Programme {
    pub const ALL: [Programme; 10] = [
        Programme::S301,
        Programme::IeepaFentanyl,
        Programme::IeepaReciprocal,
        Programme::S122,
        Programme::S232,
        Programme::S201,
        Programme::Mtb,
        Programme::Quota,
        Programme::Adcvd,
        Programme::Claim,
    ];

    /// The name SAP's tariff table, the importer's CSVs and the reports write (its serde name):
    /// `301`, `IEEPA_FENTANYL`, …
    pub fn code(self) -> &'static str {
        match self {
            Programme::S301 => "301",
            Programme::IeepaFentanyl => "IEEPA_FENTANYL",
            Programme::IeepaReciprocal => "IEEPA_RECIPROCAL",
            Programme::S122 => "S122",
            Programme::S232 => "S232",
            Programme::S201 => "S201",
            Programme::Mtb => "MTB",
            Programme::Quota => "QUOTA",
            Programme::Adcvd => "ADCVD",
            Programme::Claim => "CLAIM",
        }
    }
}

/// What a Chapter 99 rate is applied to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateBasis {
    FullValue,
    MetalContent,
    NonMetalContent,
    Floor,
}

impl RateBasis {
    /// The name SAP's tariff table and the importer's CSVs write: `FULL`, `METAL`, `NONMETAL`,
    /// `FLOOR`.
    pub fn code(self) -> &'static str {
        match self {
            RateBasis::FullValue => "FULL",
            RateBasis::MetalContent => "METAL",
            RateBasis::NonMetalContent => "NONMETAL",
            RateBasis::Floor => "FLOOR",
        }
    }
}

/// One tariff-sequencing rule: when, where and how a Chapter 99 number applies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TariffRule {
    /// Dotted Chapter 99 number, `9903.88.03`.
    pub chapter99: String,
    pub programme: Programme,
    /// Reporting rank: lower ranks are reported first on a line.
    pub rank: u16,
    /// Percent, e.g. 25 for 25 %.
    pub rate_percent: Decimal,
    pub basis: RateBasis,
    /// HTS prefixes (digits only, 4 to 10 long) the rule covers; empty covers every number.
    pub hts_prefixes: Vec<String>,
    /// ISO-2 origins the rule covers; empty covers every origin.
    pub origins: Vec<String>,
    pub excluded_origins: Vec<String>,
    pub effective_from: NaiveDate,
    /// Inclusive last day; `None` while in force.
    pub effective_to: Option<NaiveDate>,
    /// Programmes this rule displaces on the same line.
    pub displaces: Vec<Programme>,
    /// The zero-duty claim code reported for a programme this rule displaces.
    pub claim_code: Option<String>,
    /// Metal derivatives: the line splits into non-metal and metal parts.
    pub requires_metal_split: bool,
}

/// One product of the product master (ZFMIOR002 merged with ZEMM005).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Material number without leading zeros.
    pub material: String,
    pub description: String,
    /// Dotted 10-digit HTS, as validated against the reference.
    pub hts10: String,
    /// ISO-2 country of origin.
    pub origin: String,
    /// SAP base unit normalised: `ST` → pieces.
    pub base_unit: String,
    pub net_kg_per_unit: Decimal,
    pub gross_kg_per_unit: Decimal,
    /// Manufacturer id (MID) when maintained.
    pub mid: Option<String>,
}

/// Packaging of one product: what a unit ships in, weighed per unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Packaging {
    pub material: String,
    /// Packaging material, e.g. `CARTON`, `CRATE`, `PALLET`.
    pub packaging_type: String,
    /// Kilograms of packaging per product unit (cartons, crates, pallets; never the container).
    pub kg_per_unit: Decimal,
}

/// How the goods arrived; HMF applies to vessel only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Vessel,
    Air,
    Truck,
    Rail,
}

/// One invoice item of one entry: what the generator groups into customs lines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoiceItem {
    pub entry_number: String,
    pub entry_date: NaiveDate,
    pub transport: Transport,
    pub invoice: String,
    pub invoice_item: String,
    pub material: String,
    /// Quantity in the product's base unit.
    pub quantity: Decimal,
    /// Value in US dollars (converted at the invoice's rate).
    pub value_usd: Decimal,
    pub charges_usd: Decimal,
    /// Value of the metal content (232 derivatives), when declared.
    pub metal_value_usd: Option<Decimal>,
    /// Overrides of the product master for this entry, when SAP carries them.
    pub origin: String,
    pub mid: String,
    pub spi: Option<String>,
    pub related_party: bool,
    pub adcvd_case: Option<String>,
}

/// Which part of a split line this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinePart {
    Whole,
    NonMetal,
    Metal,
}

/// One HTS number on a customs line, with its own rate and duty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineTariff {
    /// Dotted number: a Chapter 99 number or the Chapter 1–97 commodity number (last).
    pub hts_number: String,
    /// `None` for the commodity number.
    pub programme: Option<Programme>,
    /// The rate as reported: `Free`, `25%`, `2.5¢/kg`, `0` for a claim code.
    pub rate_text: String,
    /// Duty in dollars and cents, half-up.
    pub duty: Decimal,
}

/// One US entry summary line. Generated by `generate`, or read from the ERP's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomsLine {
    pub entry_number: String,
    pub entry_date: NaiveDate,
    /// 1–999.
    pub line_number: u16,
    pub part: LinePart,
    pub origin: String,
    pub mid: String,
    pub spi: Option<String>,
    pub related_party: bool,
    /// In reporting order: Chapter 98, Chapter 99 by rank, the commodity number last.
    pub tariffs: Vec<LineTariff>,
    /// Whole dollars, on the commodity number.
    pub entered_value: Decimal,
    /// Whole dollars.
    pub charges: Decimal,
    /// Whole kilograms, goods and packaging.
    pub gross_kg: Decimal,
    /// Net kilograms, unrounded sum (reported whole where `kg` is a unit).
    pub net_kg: Decimal,
    /// Quantities in the commodity number's units, whole numbers.
    pub quantities: Vec<(Unit, Decimal)>,
    pub mpf: Decimal,
    pub hmf: Decimal,
    /// Conditions a person should look at (a quantity under 1 reported as 1, an unparsed rate …).
    pub flags: Vec<String>,
    /// The rules that fired, in order, so a reviewer can see why the line reads as it does.
    pub trace: Vec<String>,
}

impl CustomsLine {
    /// The duty of every HTS number on the line.
    pub fn total_duty(&self) -> Decimal {
        self.tariffs.iter().map(|t| t.duty).sum()
    }

    /// The commodity (Chapter 1–97) number: the last tariff.
    pub fn commodity(&self) -> Option<&LineTariff> {
        self.tariffs.last()
    }
}
