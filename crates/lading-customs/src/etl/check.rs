//! Checks every ETL job shares: HTS numbers, origins, units and weights, Chapter 99 numbers,
//! programmes, and the HTS catalogue a job validates numbers against.
//!
//! Each check returns the normalised value or a problem message; the jobs turn messages into
//! [`Issue`](super::Issue)s on the field they read.

use crate::model::{HtsEntry, Programme, RateBasis, Unit};
use rust_decimal::Decimal;

/// ISO 3166-1 alpha-2 codes (as tzdata's `iso3166.tab` lists them).
const ISO_COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// What the HTS reference says about a 10-digit number.
#[derive(Clone, Debug, PartialEq)]
pub enum HtsLookup {
    /// A 10-digit statistical line: its entry, with the rate inherited from its 8-digit line.
    Leaf(Box<HtsEntry>),
    /// The number exists but is not a 10-digit leaf (a heading, an 8-digit rate line …).
    NotLeaf,
    Unknown,
}

/// The HTS reference an ETL job validates numbers against: the USITC revision of the tenant.
pub trait HtsCatalog: Send + Sync {
    /// Looks up a dotted 10-digit number (`9403.20.00.35`).
    fn lookup(&self, hts10: &str) -> HtsLookup;
}

impl<T: HtsCatalog + ?Sized> HtsCatalog for &T {
    fn lookup(&self, hts10: &str) -> HtsLookup {
        (**self).lookup(hts10)
    }
}

impl HtsCatalog for crate::hts::HtsReference {
    fn lookup(&self, hts10: &str) -> HtsLookup {
        use crate::hts::CodeProblem;
        match self.check_code(hts10) {
            Ok(entry) => HtsLookup::Leaf(Box::new(entry.clone())),
            Err(CodeProblem::NotALeaf { .. }) => HtsLookup::NotLeaf,
            Err(_) => HtsLookup::Unknown,
        }
    }
}

/// The digits of an HTS number written with or without dots and spaces (`9403.20.00.35`,
/// `9403200035`, `9403 20 00 35`); `None` if anything else is in it.
pub fn hts_digits(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| !matches!(c, '.' | ' ' | '-')).collect();
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Digits in the dotted form: `9403200035` → `9403.20.00.35`, `99038803` → `9903.88.03`.
pub fn dotted(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + 3);
    for (index, c) in digits.chars().enumerate() {
        if index >= 4 && index % 2 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A 10-digit HTS number, dotted; a problem message if it is not 10 digits.
pub fn hts10(text: &str) -> Result<String, String> {
    match hts_digits(text) {
        Some(digits) if digits.len() == 10 => Ok(dotted(&digits)),
        Some(digits) => {
            Err(format!("{text:?} has {} digits: an entry line needs the 10-digit statistical number", digits.len()))
        }
        None => Err(format!("{text:?} is not an HTS number")),
    }
}

/// A 10-digit HTS number checked against the catalogue: its entry, or why it cannot be used.
pub fn hts_leaf(catalog: &dyn HtsCatalog, text: &str) -> Result<HtsEntry, (&'static str, String)> {
    let code = hts10(text).map_err(|message| ("hts_not_10_digits", message))?;
    match catalog.lookup(&code) {
        HtsLookup::Leaf(entry) => Ok(*entry),
        HtsLookup::NotLeaf => Err((
            "hts_not_leaf",
            format!("{code} is not a 10-digit statistical line of the hts: use one of its 10-digit subdivisions"),
        )),
        HtsLookup::Unknown => {
            Err(("hts_unknown", format!("{code} does not exist in the hts revision in use: correct the number")))
        }
    }
}

/// A Chapter 99 number (`9903.88.03`, `99038803`), dotted; a problem message otherwise.
pub fn chapter99(text: &str) -> Result<String, String> {
    match hts_digits(text) {
        Some(digits) if digits.len() == 8 && digits.starts_with("99") => Ok(dotted(&digits)),
        _ => Err(format!("{text:?} is not a chapter 99 number such as 9903.88.03")),
    }
}

/// An ISO-2 country code, upper case; a problem message otherwise.
pub fn origin(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 2 && ISO_COUNTRIES.split(' ').any(|c| c == code) {
        Ok(code)
    } else {
        Err(format!("{text:?} is not an iso 3166 two-letter country code"))
    }
}

/// A manufacturer id: at most 15 letters and digits, upper case.
pub fn mid(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if !code.is_empty() && code.len() <= 15 && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(code)
    } else {
        Err(format!("{text:?} is not a manufacturer id (1 to 15 letters and digits)"))
    }
}

/// Kilograms per one of a SAP weight unit (`GEWEI`): `KG`, `G`, `LB`, `TO`, `OZ`.
pub fn kg_per(weight_unit: &str) -> Option<Decimal> {
    match weight_unit.trim().to_ascii_uppercase().as_str() {
        "KG" | "KGM" => Some(Decimal::ONE),
        "G" | "GR" | "GRM" => Some(Decimal::new(1, 3)),
        "LB" | "LBS" | "LBR" => Some(Decimal::new(45_359_237, 8)),
        "OZ" | "ONZ" => Some(Decimal::new(28_349_523_125, 12)),
        "TO" | "T" | "TNE" => Some(Decimal::from(1_000)),
        _ => None,
    }
}

/// A weight in `unit` converted to kilograms exactly (a pound is 0.45359237 kg; nothing is
/// rounded here: the customs line rounds once, at the end); a problem message if the unit is
/// unknown.
pub fn to_kg(value: Decimal, unit: &str) -> Result<Decimal, String> {
    let factor = kg_per(unit).ok_or_else(|| format!("weight unit {unit:?} is unknown: use KG, G or LB"))?;
    value.checked_mul(factor).map(|kg| kg.normalize()).ok_or_else(|| format!("{value} {unit} is too large"))
}

/// A SAP unit of measure in the form the tables keep: `ST`/`PC`/`EA` → `pieces`, else lower
/// case (`KG` → `kg`, `CAR` → `car`).
pub fn base_unit(text: &str) -> String {
    let unit = text.trim().to_ascii_uppercase();
    match unit.as_str() {
        "ST" | "PC" | "PCE" | "PCS" | "EA" | "STK" | "NO" | "PIECES" => "pieces".to_string(),
        _ => unit.to_ascii_lowercase(),
    }
}

/// A unit of quantity as SAP's customs report writes it: `NO`, `KG`, `DOZ` (also `No.`,
/// `kg`, `doz.`).
pub fn quantity_unit(text: &str) -> Unit {
    let unit = text.trim().trim_end_matches('.').to_ascii_lowercase();
    match unit.as_str() {
        "no" | "st" | "pc" | "pcs" | "nmb" => Unit::Number,
        "kg" | "kgm" => Unit::Kilograms,
        "doz" | "dz" | "dzn" => Unit::Dozens,
        "x" | "" => Unit::NoQuantity,
        _ => Unit::Other(unit),
    }
}

/// A programme name: `301`, `IEEPA_FENTANYL`, `IEEPA_RECIPROCAL`, `S122`, `S232`, `S201`,
/// `MTB`, `QUOTA`, `ADCVD`, `CLAIM`.
pub fn programme(text: &str) -> Result<Programme, String> {
    let name = text.trim().to_ascii_uppercase().replace([' ', '-'], "_");
    let programme = match name.as_str() {
        "301" | "S301" => Programme::S301,
        "IEEPA_FENTANYL" => Programme::IeepaFentanyl,
        "IEEPA_RECIPROCAL" => Programme::IeepaReciprocal,
        "S122" | "122" => Programme::S122,
        "S232" | "232" => Programme::S232,
        "S201" | "201" => Programme::S201,
        "MTB" => Programme::Mtb,
        "QUOTA" => Programme::Quota,
        "ADCVD" => Programme::Adcvd,
        "CLAIM" => Programme::Claim,
        _ => {
            return Err(format!(
                "{text:?} is not a programme: use 301, IEEPA_FENTANYL, IEEPA_RECIPROCAL, S122, S232, S201, MTB, QUOTA, ADCVD or CLAIM"
            ));
        }
    };
    Ok(programme)
}

/// A rate basis: `FULL`, `METAL`, `NONMETAL`, `FLOOR`.
pub fn rate_basis(text: &str) -> Result<RateBasis, String> {
    match text.trim().to_ascii_uppercase().replace(['_', ' ', '-'], "").as_str() {
        "FULL" | "FULLVALUE" => Ok(RateBasis::FullValue),
        "METAL" | "METALCONTENT" => Ok(RateBasis::MetalContent),
        "NONMETAL" | "NONMETALCONTENT" => Ok(RateBasis::NonMetalContent),
        "FLOOR" => Ok(RateBasis::Floor),
        _ => Err(format!("{text:?} is not a rate basis: use FULL, METAL, NONMETAL or FLOOR")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hts_numbers_are_dotted_and_must_have_ten_digits() {
        assert_eq!(hts10("9403200035"), Ok("9403.20.00.35".into()));
        assert_eq!(hts10(" 9403.20.00.35 "), Ok("9403.20.00.35".into()));
        assert!(hts10("9403.20.00").unwrap_err().contains("8 digits"));
        assert!(hts10("94O3.20.00.35").unwrap_err().contains("not an HTS number"));
        assert_eq!(chapter99("99038803"), Ok("9903.88.03".into()));
        assert!(chapter99("9403.20.00").is_err());
    }

    #[test]
    fn origins_are_iso_codes() {
        assert_eq!(origin("cn"), Ok("CN".into()));
        assert_eq!(origin(" VN "), Ok("VN".into()));
        for bad in ["", "XX", "CHN", "C"] {
            assert!(origin(bad).is_err(), "{bad:?}");
        }
        assert_eq!(ISO_COUNTRIES.split(' ').count(), 249);
    }

    #[test]
    fn weights_convert_to_kilograms() {
        assert_eq!(to_kg(Decimal::new(2500, 0), "G"), Ok(Decimal::new(25, 1)));
        assert_eq!(to_kg(Decimal::new(10, 0), "LB"), Ok(Decimal::new(45_359_237, 7)));
        assert_eq!(to_kg(Decimal::new(1250, 3), "kg"), Ok(Decimal::new(125, 2)));
        assert!(to_kg(Decimal::ONE, "ST").is_err());
    }

    #[test]
    fn names_round_trip() {
        for name in
            ["301", "IEEPA_FENTANYL", "IEEPA_RECIPROCAL", "S122", "S232", "S201", "MTB", "QUOTA", "ADCVD", "CLAIM"]
        {
            assert_eq!(programme(name).unwrap().code(), name);
        }
        for name in ["FULL", "METAL", "NONMETAL", "FLOOR"] {
            assert_eq!(rate_basis(name).unwrap().code(), name);
        }
        assert_eq!(base_unit("ST"), "pieces");
        assert_eq!(quantity_unit("DOZ"), Unit::Dozens);
        assert_eq!(quantity_unit("No."), Unit::Number);
    }
}
