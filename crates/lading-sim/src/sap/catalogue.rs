//! The importer's product master: adjustable bed bases, foundations, mattresses, upholstered
//! seats, wooden furniture and spare parts, with their suppliers (origin, MID) and packaging.
//!
//! Families and HTS numbers are fixed; weights, prices, EANs, plants and change dates are drawn
//! from the seed. Weights are kept in the unit SAP holds them in (`KG`, `LB`, `G`) and converted
//! to kilograms exactly, so the truth is what a correct client computes from the wire.

use chrono::NaiveDate;
use lading_customs::model::{Packaging, Product};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::gtin::with_check_digit;

/// Kilograms in one avoirdupois pound, exactly.
pub const KG_PER_LB: Decimal = Decimal::from_parts(45_359_237, 0, 0, false, 8);

/// The unit SAP holds a material's weights in (`GEWEI`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WeightUnit {
    #[serde(rename = "KG")]
    Kilograms,
    #[serde(rename = "G")]
    Grams,
    #[serde(rename = "LB")]
    Pounds,
}

impl WeightUnit {
    /// SAP's internal unit code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Kilograms => "KG",
            Self::Grams => "G",
            Self::Pounds => "LB",
        }
    }

    /// Kilograms in `value` of this unit, exactly.
    pub fn to_kg(self, value: Decimal) -> Decimal {
        match self {
            Self::Kilograms => value,
            Self::Grams => value / Decimal::ONE_THOUSAND,
            Self::Pounds => value * KG_PER_LB,
        }
    }

    /// `kg` expressed in this unit, rounded to SAP's three decimals.
    pub fn from_kg(self, kg: Decimal) -> Decimal {
        let value = match self {
            Self::Kilograms => kg,
            Self::Grams => kg * Decimal::ONE_THOUSAND,
            Self::Pounds => kg / KG_PER_LB,
        };
        round(value, 3)
    }
}

/// Half-up rounding to `dp` decimals.
pub(crate) fn round(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// What a product ships in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PackType {
    Carton,
    Crate,
    Pallet,
}

impl PackType {
    /// `ZZPACK_TYPE` and the CSV's packaging type.
    pub fn code(self) -> &'static str {
        match self {
            Self::Carton => "CARTON",
            Self::Crate => "CRATE",
            Self::Pallet => "PALLET",
        }
    }

    /// The SAP alternative unit of measure (`MEINH`) of one pack.
    pub fn sap_unit(self) -> &'static str {
        match self {
            Self::Carton => "KAR",
            Self::Crate => "KI",
            Self::Pallet => "PAL",
        }
    }
}

/// A manufacturer the importer buys from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplier {
    pub name: String,
    /// ISO-2 country of origin of its goods.
    pub country: String,
    /// Manufacturer identification code (CBP MID, ≤ 15 characters).
    pub mid: String,
    /// Part of the importer's group: entries from it are related-party.
    pub related: bool,
}

struct SupplierSpec {
    name: &'static str,
    country: &'static str,
    mid: &'static str,
    related: bool,
}

/// MIDs follow CBP's construction: country, 3 + 3 letters of the name, up to 4 digits of the
/// street number, 3 letters of the city.
const SUPPLIERS: &[SupplierSpec] = &[
    SupplierSpec { name: "Ningbo Kaisheng Furniture Co., Ltd.", country: "CN", mid: "CNNINKAI1888NIN", related: true },
    SupplierSpec { name: "Zhejiang Ruilong Metal Products Co.", country: "CN", mid: "CNZHERUI168ANJ", related: false },
    SupplierSpec { name: "Foshan Huasheng Motion Technology", country: "CN", mid: "CNFOSHUA27FOS", related: false },
    SupplierSpec { name: "Binh Duong Sleep Solutions JSC", country: "VN", mid: "VNBINDUO45THU", related: false },
    SupplierSpec { name: "Saigon Woodcraft JSC", country: "VN", mid: "VNSAIWOO212HOC", related: false },
    SupplierSpec { name: "Muebles Confort del Norte SA de CV", country: "MX", mid: "MXMUECON1500MON", related: false },
    SupplierSpec { name: "Colchones Premier SA de CV", country: "MX", mid: "MXCOLPRE77GUA", related: false },
];

/// Every supplier, in a fixed order (the index is what a product refers to).
pub fn suppliers() -> Vec<Supplier> {
    SUPPLIERS
        .iter()
        .map(|spec| Supplier {
            name: spec.name.to_string(),
            country: spec.country.to_string(),
            mid: spec.mid.to_string(),
            related: spec.related,
        })
        .collect()
}

/// How many of a product an invoice item carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantityRange {
    pub min: u32,
    pub max: u32,
}

struct Family {
    name: &'static str,
    hts10: &'static str,
    supplier: usize,
    material_type: &'static str,
    material_group: &'static str,
    /// Variant suffixes (sizes, finishes), one product each.
    variants: &'static [(&'static str, f64)],
    /// Net kilograms of the reference variant (factor 1.0).
    net_kg: f64,
    /// Unit price in USD of the reference variant.
    price_usd: f64,
    weight_unit: WeightUnit,
    /// `KG` for goods sold by weight, `ST` (pieces) otherwise.
    base_unit: &'static str,
    pack: Option<(PackType, u32, f64)>,
    /// Aluminium share of the value (Section 232 derivatives), in percent.
    aluminium_percent: Option<(u32, u32)>,
    adcvd_case: Option<&'static str>,
    quantity: (u32, u32),
}

const BED_SIZES: &[(&str, f64)] = &[("TXL", 0.78), ("FULL", 0.9), ("QN", 1.0), ("KG", 1.22)];
const BIG_SIZES: &[(&str, f64)] = &[("TXL", 0.78), ("QN", 1.0), ("KG", 1.22)];
const QUEEN_KING: &[(&str, f64)] = &[("QN", 1.0), ("KG", 1.22)];
const FULL_QUEEN_KING: &[(&str, f64)] = &[("FULL", 0.9), ("QN", 1.0), ("KG", 1.22)];
const FULL_QUEEN: &[(&str, f64)] = &[("FULL", 0.9), ("QN", 1.0)];
const ONE: &[(&str, f64)] = &[("", 1.0)];

const FAMILIES: &[Family] = &[
    Family {
        name: "ADJ BASE E100",
        hts10: "9403.20.00.35",
        supplier: 0,
        material_type: "FERT",
        material_group: "BASES",
        variants: BED_SIZES,
        net_kg: 40.0,
        price_usd: 320.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 6.5)),
        aluminium_percent: Some((6, 11)),
        adcvd_case: None,
        quantity: (10, 90),
    },
    Family {
        name: "ADJ BASE E300 MASSAGE",
        hts10: "9403.20.00.35",
        supplier: 0,
        material_type: "FERT",
        material_group: "BASES",
        variants: BIG_SIZES,
        net_kg: 46.0,
        price_usd: 465.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 7.2)),
        aluminium_percent: Some((7, 12)),
        adcvd_case: None,
        quantity: (10, 60),
    },
    Family {
        name: "ADJ BASE M200",
        hts10: "9403.20.00.35",
        supplier: 5,
        material_type: "FERT",
        material_group: "BASES",
        variants: BED_SIZES,
        net_kg: 38.0,
        price_usd: 295.0,
        weight_unit: WeightUnit::Pounds,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 6.0)),
        aluminium_percent: Some((5, 10)),
        adcvd_case: None,
        quantity: (12, 80),
    },
    Family {
        name: "FOLD FOUNDATION ADJ",
        hts10: "9403.20.00.46",
        supplier: 1,
        material_type: "FERT",
        material_group: "BASES",
        variants: BED_SIZES,
        net_kg: 27.0,
        price_usd: 210.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 4.1)),
        aluminium_percent: Some((8, 14)),
        adcvd_case: None,
        quantity: (20, 120),
    },
    Family {
        name: "FOLD FOUNDATION 14IN",
        hts10: "9403.20.00.48",
        supplier: 3,
        material_type: "FERT",
        material_group: "BASES",
        variants: BED_SIZES,
        net_kg: 19.0,
        price_usd: 88.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 2.8)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (40, 200),
    },
    Family {
        name: "PLATFORM FRAME STEEL",
        hts10: "9403.20.00.90",
        supplier: 1,
        material_type: "FERT",
        material_group: "FRAMES",
        variants: QUEEN_KING,
        net_kg: 24.0,
        price_usd: 96.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 3.0)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (30, 150),
    },
    Family {
        name: "BOX FOUNDATION 9IN",
        hts10: "9404.10.00.00",
        supplier: 6,
        material_type: "FERT",
        material_group: "FOUNDTN",
        variants: FULL_QUEEN_KING,
        net_kg: 21.0,
        price_usd: 74.0,
        weight_unit: WeightUnit::Pounds,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 2.4)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (30, 160),
    },
    Family {
        name: "MEM FOAM MATTRESS 10IN",
        hts10: "9404.21.00.13",
        supplier: 6,
        material_type: "FERT",
        material_group: "MATTR",
        variants: BED_SIZES,
        net_kg: 29.0,
        price_usd: 185.0,
        weight_unit: WeightUnit::Pounds,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 1.9)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (40, 220),
    },
    Family {
        name: "GEL FOAM MATTRESS 12IN",
        hts10: "9404.21.00.13",
        supplier: 3,
        material_type: "FERT",
        material_group: "MATTR",
        variants: BED_SIZES,
        net_kg: 34.0,
        price_usd: 240.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 2.1)),
        aluminium_percent: None,
        adcvd_case: Some("A-552-827"),
        quantity: (40, 200),
    },
    Family {
        name: "FOAM TOPPER 3IN",
        hts10: "9404.21.00.95",
        supplier: 3,
        material_type: "HAWA",
        material_group: "BEDDING",
        variants: BIG_SIZES,
        net_kg: 7.5,
        price_usd: 52.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 0.9)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (60, 400),
    },
    Family {
        name: "COTTON FUTON MATTRESS",
        hts10: "9404.29.10.13",
        supplier: 3,
        material_type: "FERT",
        material_group: "MATTR",
        variants: FULL_QUEEN,
        net_kg: 22.0,
        price_usd: 128.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 1.6)),
        aluminium_percent: None,
        adcvd_case: Some("A-552-827"),
        quantity: (20, 120),
    },
    Family {
        name: "INNERSPRING UNIT POCKET",
        hts10: "9404.29.90.13",
        supplier: 6,
        material_type: "HALB",
        material_group: "COMPNT",
        variants: QUEEN_KING,
        net_kg: 16.0,
        price_usd: 58.0,
        weight_unit: WeightUnit::Pounds,
        base_unit: "ST",
        pack: Some((PackType::Pallet, 20, 22.0)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (60, 400),
    },
    Family {
        name: "HYBRID MATTRESS 13IN",
        hts10: "9404.29.90.87",
        supplier: 6,
        material_type: "FERT",
        material_group: "MATTR",
        variants: BED_SIZES,
        net_kg: 41.0,
        price_usd: 310.0,
        weight_unit: WeightUnit::Pounds,
        base_unit: "ST",
        pack: Some((PackType::Pallet, 8, 24.0)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (24, 160),
    },
    Family {
        name: "UPH LOUNGE CHAIR OAK",
        hts10: "9401.61.40.11",
        supplier: 4,
        material_type: "FERT",
        material_group: "SEATS",
        variants: &[("GRY", 1.0), ("NVY", 1.0), ("BEI", 1.0)],
        net_kg: 18.0,
        price_usd: 236.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Crate, 1, 9.5)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (10, 70),
    },
    Family {
        name: "UPH ACCENT CHAIR BEECH",
        hts10: "9401.61.40.11",
        supplier: 0,
        material_type: "FERT",
        material_group: "SEATS",
        variants: &[("GRY", 1.0), ("CRM", 1.0)],
        net_kg: 14.0,
        price_usd: 178.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Crate, 1, 8.0)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (10, 80),
    },
    Family {
        name: "UPH STORAGE BENCH",
        hts10: "9401.61.60.11",
        supplier: 4,
        material_type: "FERT",
        material_group: "SEATS",
        variants: &[("QN", 1.0), ("KG", 1.15)],
        net_kg: 21.0,
        price_usd: 205.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Crate, 1, 10.5)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (10, 60),
    },
    Family {
        name: "UPH SWIVEL CHAIR METAL",
        hts10: "9401.71.00.11",
        supplier: 2,
        material_type: "FERT",
        material_group: "SEATS",
        variants: &[("GRY", 1.0), ("BLK", 1.0), ("TPE", 1.0)],
        net_kg: 16.0,
        price_usd: 142.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 3.2)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (20, 120),
    },
    Family {
        name: "NIGHTSTAND 2 DRAWER",
        hts10: "9403.50.90.80",
        supplier: 4,
        material_type: "FERT",
        material_group: "CASEGOOD",
        variants: &[("OAK", 1.0), ("WAL", 1.0), ("DRESSER 6DR OAK", 3.4)],
        net_kg: 17.0,
        price_usd: 118.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 3.5)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (20, 140),
    },
    Family {
        name: "MEDIA CONSOLE",
        hts10: "9403.60.80.93",
        supplier: 4,
        material_type: "FERT",
        material_group: "CASEGOOD",
        variants: &[("OAK 60IN", 1.0), ("WAL 72IN", 1.2)],
        net_kg: 38.0,
        price_usd: 214.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 1, 5.5)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (10, 80),
    },
    Family {
        name: "HEADBOARD PANEL",
        hts10: "9403.91.00.80",
        supplier: 4,
        material_type: "HALB",
        material_group: "PARTS",
        variants: &[("QN", 1.0), ("KG", 1.25), ("TUFTED QN", 1.1)],
        net_kg: 12.0,
        price_usd: 64.0,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Crate, 1, 6.0)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (20, 160),
    },
    Family {
        name: "LEG KIT 6IN STEEL",
        hts10: "9403.99.90.45",
        supplier: 1,
        material_type: "ERSA",
        material_group: "PARTS",
        variants: ONE,
        net_kg: 1.35,
        price_usd: 6.4,
        weight_unit: WeightUnit::Grams,
        base_unit: "ST",
        pack: None,
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (200, 1500),
    },
    Family {
        name: "CENTER SUPPORT RAIL",
        hts10: "9403.99.90.45",
        supplier: 1,
        material_type: "ERSA",
        material_group: "PARTS",
        variants: ONE,
        net_kg: 2.9,
        price_usd: 11.8,
        weight_unit: WeightUnit::Grams,
        base_unit: "ST",
        pack: None,
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (100, 900),
    },
    Family {
        name: "SIDE RAIL BRACKET",
        hts10: "9403.99.90.45",
        supplier: 1,
        material_type: "ERSA",
        material_group: "PARTS",
        variants: ONE,
        net_kg: 0.42,
        price_usd: 1.9,
        weight_unit: WeightUnit::Grams,
        base_unit: "ST",
        pack: None,
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (400, 3000),
    },
    Family {
        name: "HEADBOARD BRACKET SET",
        hts10: "9403.99.90.45",
        supplier: 1,
        material_type: "ERSA",
        material_group: "PARTS",
        variants: ONE,
        net_kg: 0.88,
        price_usd: 3.6,
        weight_unit: WeightUnit::Grams,
        base_unit: "ST",
        pack: None,
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (200, 2000),
    },
    Family {
        name: "HARDWARE BULK ZINC",
        hts10: "9403.99.90.45",
        supplier: 1,
        material_type: "ERSA",
        material_group: "PARTS",
        variants: ONE,
        net_kg: 1.0,
        price_usd: 4.1,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "KG",
        pack: None,
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (100, 800),
    },
    Family {
        name: "ACTUATOR MOTOR 24V",
        hts10: "8501.31.20.00",
        supplier: 2,
        material_type: "ERSA",
        material_group: "MOTORS",
        variants: &[("HEAD", 1.0), ("FOOT", 0.92)],
        net_kg: 1.6,
        price_usd: 27.5,
        weight_unit: WeightUnit::Grams,
        base_unit: "ST",
        pack: Some((PackType::Carton, 10, 1.1)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (100, 800),
    },
    Family {
        name: "MASSAGE MOTOR 12V",
        hts10: "8501.10.40.80",
        supplier: 2,
        material_type: "ERSA",
        material_group: "MOTORS",
        variants: ONE,
        net_kg: 0.31,
        price_usd: 8.9,
        weight_unit: WeightUnit::Grams,
        base_unit: "ST",
        pack: Some((PackType::Carton, 40, 1.3)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (200, 2000),
    },
    Family {
        name: "MEM FOAM PILLOW",
        hts10: "9404.90.20.30",
        supplier: 0,
        material_type: "HAWA",
        material_group: "BEDDING",
        variants: &[("STD", 1.0), ("KG", 1.3), ("CONTOUR", 0.9)],
        net_kg: 1.2,
        price_usd: 9.8,
        weight_unit: WeightUnit::Grams,
        base_unit: "ST",
        pack: Some((PackType::Carton, 12, 1.4)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (240, 2400),
    },
    Family {
        name: "UNDERBED STORAGE BIN",
        hts10: "9403.70.80.15",
        supplier: 2,
        material_type: "HAWA",
        material_group: "STORAGE",
        variants: ONE,
        net_kg: 2.4,
        price_usd: 12.5,
        weight_unit: WeightUnit::Kilograms,
        base_unit: "ST",
        pack: Some((PackType::Carton, 4, 1.2)),
        aluminium_percent: None,
        adcvd_case: None,
        quantity: (100, 900),
    },
];

/// Old models flagged for deletion (`LVORM = X`): in ZEMM005 and ZFMIOR002, not in the truth.
const RETIRED: &[(&str, usize, &str)] = &[
    ("ADJ BASE E50 QN", 0, "9403.20.00.35"),
    ("MEM FOAM MATTRESS 8IN QN", 6, "9404.21.00.13"),
    ("LEG KIT 4IN STEEL", 1, "9403.99.90.45"),
];

/// The US plants (distribution centres) a material can be extended to.
pub const PLANTS: [&str; 3] = ["1000", "1100", "1200"];

/// One material of the product master, as SAP holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MaterialRecord {
    /// Material number without leading zeros.
    pub material: String,
    /// `MAKTX`, at most 40 characters.
    pub description: String,
    /// `MTART`: `FERT`, `HALB`, `HAWA`, `ERSA`.
    pub material_type: String,
    pub material_group: String,
    /// Dotted 10-digit HTS.
    pub hts10: String,
    /// Whether ZEMM005 sends `STAWN` dotted (otherwise ten bare digits).
    pub stawn_dotted: bool,
    pub origin: String,
    pub mid: String,
    /// Index into [`suppliers`].
    pub supplier: usize,
    /// SAP base unit: `ST` (pieces) or `KG`.
    pub base_unit: String,
    pub weight_unit: WeightUnit,
    /// Net and gross weight per base unit, in `weight_unit`, three decimals.
    pub net_weight: Decimal,
    pub gross_weight: Decimal,
    /// Cubic metres per base unit; `None` = not maintained (`0.000` on the wire).
    pub volume_m3: Option<Decimal>,
    /// EAN-13, or a 12-digit UPC-A, when maintained.
    pub ean: Option<String>,
    /// Plants the material is extended to (one ZEMM005 row, and one ZFMIOR002 row, each).
    pub plants: Vec<String>,
    /// `LAEDA`; `None` = never changed (`00000000`).
    pub changed_on: Option<NaiveDate>,
    /// Dimensions of one base unit in cm.
    pub dimensions_cm: (Decimal, Decimal, Decimal),
    pub unit_price_usd: Decimal,
    /// Aluminium content as a share of value, in percent (Section 232 derivatives).
    pub aluminium_percent: Option<Decimal>,
    pub adcvd_case: Option<String>,
    pub quantity: QuantityRange,
    /// `LVORM = X`.
    pub deleted: bool,
}

impl MaterialRecord {
    pub fn net_kg(&self) -> Decimal {
        self.weight_unit.to_kg(self.net_weight)
    }

    pub fn gross_kg(&self) -> Decimal {
        self.weight_unit.to_kg(self.gross_weight)
    }

    /// The customs crate's view of this material.
    pub fn to_product(&self) -> Product {
        Product {
            material: self.material.clone(),
            description: self.description.clone(),
            hts10: self.hts10.clone(),
            origin: self.origin.clone(),
            base_unit: normalised_unit(&self.base_unit).to_string(),
            net_kg_per_unit: self.net_kg(),
            gross_kg_per_unit: self.gross_kg(),
            mid: Some(self.mid.clone()),
        }
    }
}

/// SAP's internal base unit in the importer's words: `ST` → `pieces`, `KG` → `kg`.
pub fn normalised_unit(sap_unit: &str) -> &str {
    match sap_unit {
        "ST" => "pieces",
        "KG" => "kg",
        other => other,
    }
}

/// How one material ships.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackagingRecord {
    pub material: String,
    pub pack_type: PackType,
    /// Base units in one pack (`UMREZ`).
    pub units_per_pack: u32,
    /// Kilograms of packaging per base unit (three decimals).
    pub kg_per_unit: Decimal,
    /// Outer dimensions of one pack in cm.
    pub dimensions_cm: (Decimal, Decimal, Decimal),
    /// GTIN-14 of the pack, when maintained.
    pub gtin: Option<String>,
}

impl PackagingRecord {
    /// The customs crate's view of this row.
    pub fn to_packaging(&self) -> Packaging {
        Packaging {
            material: self.material.clone(),
            packaging_type: self.pack_type.code().to_string(),
            kg_per_unit: self.kg_per_unit,
        }
    }
}

fn decimal(value: f64, dp: u32) -> Decimal {
    // The factors above are small, finite numbers: the conversion cannot fail in practice.
    round(Decimal::from_f64_retain(value).unwrap_or_default(), dp)
}

fn jitter(rng: &mut ChaCha8Rng, spread: f64) -> f64 {
    1.0 + rng.random_range(-spread..=spread)
}

fn random_date(rng: &mut ChaCha8Rng, from: NaiveDate, days: i64) -> NaiveDate {
    from + chrono::Duration::days(rng.random_range(0..days))
}

/// The active materials, the retired ones and the packaging rows, drawn from `rng`.
pub(crate) fn generate(rng: &mut ChaCha8Rng) -> (Vec<MaterialRecord>, Vec<MaterialRecord>, Vec<PackagingRecord>) {
    let start = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap_or(NaiveDate::MIN);
    let mut ean_counter: u32 = rng.random_range(100..4000);
    let mut materials = Vec::new();
    let mut packaging = Vec::new();
    for (family_index, family) in FAMILIES.iter().enumerate() {
        let supplier = &SUPPLIERS[family.supplier];
        for (variant_index, (suffix, factor)) in family.variants.iter().enumerate() {
            let material = format!("{}", 300_000 + family_index * 100 + variant_index + 1);
            let description =
                if suffix.is_empty() { family.name.to_string() } else { format!("{} {suffix}", family.name) };
            let net_kg = family.net_kg * factor * jitter(rng, 0.04);
            let wrap = 1.0 + rng.random_range(0.01..0.05);
            let net_weight = family.weight_unit.from_kg(decimal(net_kg, 4));
            let gross_weight = family.weight_unit.from_kg(decimal(net_kg * wrap, 4)).max(net_weight);
            // A bulk material weighs exactly its unit.
            let (net_weight, gross_weight) =
                if family.base_unit == "KG" { (Decimal::ONE, Decimal::ONE) } else { (net_weight, gross_weight) };
            let ean = match rng.random_range(0..10) {
                0 => None,
                1 | 2 => with_check_digit(&format!("08500{:06}", ean_counter)),
                _ => with_check_digit(&format!("08500120{:04}", ean_counter % 10_000)),
            };
            ean_counter += rng.random_range(1..4);
            let plant_count = rng.random_range(1..=3);
            let plants = PLANTS[..plant_count].iter().map(|plant| (*plant).to_string()).collect();
            let changed_on = (rng.random_range(0..8) != 0).then(|| random_date(rng, start, 900));
            let side = (net_kg.max(0.2)).cbrt();
            let dimensions_cm = (
                decimal(side * 38.0 * factor.sqrt(), 1),
                decimal(side * 30.0, 1),
                decimal(side * 9.0 / factor.sqrt(), 1),
            );
            let volume = dimensions_cm.0 * dimensions_cm.1 * dimensions_cm.2 / Decimal::new(1_000_000, 0);
            let volume_m3 = (rng.random_range(0..6) != 0).then(|| round(volume, 3)).filter(|v| !v.is_zero());
            let aluminium_percent = family.aluminium_percent.map(|(low, high)| {
                Decimal::from(rng.random_range(low..=high)) + Decimal::new(rng.random_range(0..10), 1)
            });
            let record = MaterialRecord {
                material: material.clone(),
                description,
                material_type: family.material_type.to_string(),
                material_group: family.material_group.to_string(),
                hts10: family.hts10.to_string(),
                stawn_dotted: rng.random_bool(0.6),
                origin: supplier.country.to_string(),
                mid: supplier.mid.to_string(),
                supplier: family.supplier,
                base_unit: family.base_unit.to_string(),
                weight_unit: family.weight_unit,
                net_weight,
                gross_weight,
                volume_m3,
                ean,
                plants,
                changed_on,
                dimensions_cm,
                unit_price_usd: decimal(family.price_usd * factor * jitter(rng, 0.06), 2),
                aluminium_percent,
                adcvd_case: family.adcvd_case.map(str::to_string),
                quantity: QuantityRange { min: family.quantity.0, max: family.quantity.1 },
                deleted: false,
            };
            if let Some((pack_type, units_per_pack, pack_kg)) = family.pack {
                let per_unit = pack_kg * jitter(rng, 0.05) / f64::from(units_per_pack);
                let stack = Decimal::from(units_per_pack);
                packaging.push(PackagingRecord {
                    material: material.clone(),
                    pack_type,
                    units_per_pack,
                    kg_per_unit: decimal(per_unit, 3),
                    dimensions_cm: match pack_type {
                        PackType::Pallet => (Decimal::from(120), Decimal::from(100), dimensions_cm.2 * stack),
                        _ => (
                            dimensions_cm.0 + Decimal::from(4),
                            dimensions_cm.1 + Decimal::from(4),
                            dimensions_cm.2 * stack + Decimal::from(4),
                        ),
                    },
                    gtin: record.ean.as_ref().filter(|ean| ean.len() == 13).and_then(|ean| {
                        with_check_digit(&format!("{}{}", if units_per_pack == 1 { 1 } else { 2 }, &ean[..12]))
                    }),
                });
            }
            materials.push(record);
        }
    }
    let mut retired = Vec::new();
    for (index, (description, supplier_index, hts10)) in RETIRED.iter().enumerate() {
        let supplier = &SUPPLIERS[*supplier_index];
        retired.push(MaterialRecord {
            material: format!("{}", 299_901 + index),
            description: (*description).to_string(),
            material_type: "FERT".to_string(),
            material_group: "RETIRED".to_string(),
            hts10: (*hts10).to_string(),
            stawn_dotted: true,
            origin: supplier.country.to_string(),
            mid: supplier.mid.to_string(),
            supplier: *supplier_index,
            base_unit: "ST".to_string(),
            weight_unit: WeightUnit::Kilograms,
            net_weight: Decimal::new(25_000, 3),
            gross_weight: Decimal::new(26_100, 3),
            volume_m3: None,
            ean: None,
            plants: vec![PLANTS[0].to_string()],
            changed_on: Some(random_date(rng, start, 300)),
            dimensions_cm: (Decimal::from(200), Decimal::from(150), Decimal::from(20)),
            unit_price_usd: Decimal::new(10_000, 2),
            aluminium_percent: None,
            adcvd_case: None,
            quantity: QuantityRange { min: 1, max: 1 },
            deleted: true,
        });
    }
    (materials, retired, packaging)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn pounds_and_grams_convert_exactly() {
        assert_eq!(WeightUnit::Pounds.to_kg(Decimal::from(100)), Decimal::new(45_359_237, 6));
        assert_eq!(WeightUnit::Grams.to_kg(Decimal::new(850_000, 3)), Decimal::new(85, 2));
        assert_eq!(WeightUnit::Pounds.from_kg(Decimal::new(45_359_237, 6)), Decimal::new(100_000, 3));
    }

    #[test]
    fn the_master_has_the_importers_volumes() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (materials, retired, packaging) = generate(&mut rng);
        assert_eq!(materials.len(), 73);
        assert_eq!(retired.len(), 3);
        assert!((60..=75).contains(&packaging.len()), "{} packaging rows", packaging.len());
        assert!(materials.iter().all(|material| material.description.chars().count() <= 40));
        assert!(materials.iter().all(|material| material.mid.len() <= 15));
        assert!(materials.iter().all(|material| material.net_kg() > Decimal::ZERO));
        assert!(materials.iter().all(|material| material.gross_weight >= material.net_weight));
        for unit in [WeightUnit::Kilograms, WeightUnit::Grams, WeightUnit::Pounds] {
            assert!(materials.iter().any(|material| material.weight_unit == unit));
        }
    }
}
