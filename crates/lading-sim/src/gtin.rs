//! Product identifiers the simulators plant and check: EAN-13, UPC-A, GTIN-14 and SGTIN-96 EPCs.
//!
//! The simulators must not trust the client crate's own identifier code (a shared bug would hide
//! itself), so they carry this small, independent implementation.

/// GS1 mod-10 check digit over `digits` (every character must be an ASCII digit).
///
/// Weights alternate 3,1,3… counted from the rightmost digit, which covers EAN-8, UPC-A, EAN-13
/// and GTIN-14 with one rule.
pub fn gs1_check_digit(digits: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (position_from_right, character) in digits.chars().rev().enumerate() {
        let digit = character.to_digit(10)?;
        let weight = if position_from_right % 2 == 0 { 3 } else { 1 };
        sum += digit * weight;
    }
    u8::try_from((10 - sum % 10) % 10).ok()
}

/// `body` followed by its GS1 check digit, or `None` when `body` is not all digits.
pub fn with_check_digit(body: &str) -> Option<String> {
    let check = gs1_check_digit(body)?;
    Some(format!("{body}{check}"))
}

/// True for a string of exactly `length` digits whose last digit is the right check digit.
pub fn is_valid_gtin_of_length(code: &str, length: usize) -> bool {
    if code.len() != length || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return false;
    }
    let (body, check) = code.split_at(length - 1);
    gs1_check_digit(body).map(|digit| digit.to_string()) == Some(check.to_string())
}

/// True for a 13-digit code with a correct check digit.
pub fn is_valid_ean13(code: &str) -> bool {
    is_valid_gtin_of_length(code, 13)
}

/// The EAN-13 a barcode stands for: an EAN-13 as is, a UPC-A with a leading `0`, a GTIN-14 with
/// indicator `0` without it. `None` for anything invalid or not expressible as EAN-13.
pub fn normalise_to_ean13(code: &str) -> Option<String> {
    let code = code.trim();
    match code.len() {
        13 if is_valid_ean13(code) => Some(code.to_string()),
        12 if is_valid_gtin_of_length(code, 12) => Some(format!("0{code}")),
        14 if code.starts_with('0') && is_valid_gtin_of_length(code, 14) => Some(code[1..].to_string()),
        _ => None,
    }
}

/// A decoded SGTIN-96 EPC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sgtin96 {
    pub filter: u8,
    /// GS1 company prefix, with its leading zeros.
    pub company_prefix: String,
    /// Indicator digit followed by the item reference, with leading zeros.
    pub item_reference: String,
    pub serial: u64,
}

const SGTIN96_HEADER: u128 = 0x30;
const SERIAL_BITS: u32 = 38;

/// (company prefix bits, company prefix digits, item reference bits) per partition value;
/// the item reference always has 13 - company prefix digits.
const PARTITIONS: [(u32, usize, u32); 7] =
    [(40, 12, 4), (37, 11, 7), (34, 10, 10), (30, 9, 14), (27, 8, 17), (24, 7, 20), (20, 6, 24)];

impl Sgtin96 {
    /// The GTIN-14 this EPC identifies (serial aside).
    pub fn gtin14(&self) -> Option<String> {
        let indicator = self.item_reference.get(..1)?;
        let item = self.item_reference.get(1..)?;
        with_check_digit(&format!("{indicator}{}{item}", self.company_prefix))
    }

    /// The EAN-13 of the item, when the indicator digit is `0`.
    pub fn ean13(&self) -> Option<String> {
        let gtin14 = self.gtin14()?;
        gtin14.strip_prefix('0').map(str::to_string)
    }

    /// The 24 upper-case hex characters of this EPC.
    pub fn to_hex(&self) -> Option<String> {
        let partition = PARTITIONS.iter().position(|(_, digits, _)| *digits == self.company_prefix.len())?;
        let (company_bits, company_digits, item_bits) = PARTITIONS[partition];
        if self.item_reference.len() != 13 - company_digits || self.filter > 7 || self.serial >= 1 << SERIAL_BITS {
            return None;
        }
        let company: u128 = self.company_prefix.parse().ok()?;
        let item: u128 = self.item_reference.parse().ok()?;
        let partition = u128::try_from(partition).ok()?;
        let value = (SGTIN96_HEADER << 88)
            | (u128::from(self.filter) << 85)
            | (partition << 82)
            | (company << (82 - company_bits))
            | (item << (82 - company_bits - item_bits))
            | u128::from(self.serial);
        Some(format!("{value:024X}"))
    }
}

/// Decodes a 24-hex-character SGTIN-96; `None` for anything else (other EPC schemes, chip ids).
pub fn decode_sgtin96(hex: &str) -> Option<Sgtin96> {
    let hex = hex.trim();
    if hex.len() != 24 || !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let value = u128::from_str_radix(hex, 16).ok()?;
    if value >> 88 != SGTIN96_HEADER {
        return None;
    }
    let filter = u8::try_from((value >> 85) & 0b111).ok()?;
    let partition = usize::try_from((value >> 82) & 0b111).ok()?;
    let (company_bits, company_digits, item_bits) = *PARTITIONS.get(partition)?;
    let company = (value >> (82 - company_bits)) & ((1u128 << company_bits) - 1);
    let item = (value >> SERIAL_BITS) & ((1u128 << item_bits) - 1);
    let serial = u64::try_from(value & ((1u128 << SERIAL_BITS) - 1)).ok()?;
    let company_prefix = format!("{company:0company_digits$}");
    let item_digits = 13 - company_digits;
    let item_reference = format!("{item:0item_digits$}");
    if company_prefix.len() != company_digits || item_reference.len() != item_digits {
        return None;
    }
    Some(Sgtin96 { filter, company_prefix, item_reference, serial })
}

/// SGTIN-96 (filter 1, "point of sale item") for an EAN-13 whose GS1 company prefix has
/// `company_prefix_digits` digits.
pub fn encode_sgtin96(ean13: &str, company_prefix_digits: usize, serial: u64) -> Option<String> {
    if !is_valid_ean13(ean13) || !(6..=12).contains(&company_prefix_digits) {
        return None;
    }
    Sgtin96 {
        filter: 1,
        company_prefix: ean13[..company_prefix_digits].to_string(),
        item_reference: format!("0{}", &ean13[company_prefix_digits..12]),
        serial,
    }
    .to_hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_matches_the_documented_example() {
        assert_eq!(with_check_digit("123456789012").as_deref(), Some("1234567890128"));
        assert!(is_valid_ean13("1234567890128"));
        assert!(!is_valid_ean13("1234567890123"));
    }

    #[test]
    fn normalises_upc_and_gtin14() {
        let upc = with_check_digit("03600029145").unwrap_or_default();
        assert_eq!(normalise_to_ean13(&upc), Some(format!("0{upc}")));
        assert_eq!(normalise_to_ean13("07705751519063").as_deref(), Some("7705751519063"));
        assert_eq!(normalise_to_ean13("17705751519060"), None);
        assert_eq!(normalise_to_ean13("1234567890123"), None);
    }

    #[test]
    fn the_documented_epc_decodes_and_encodes() {
        let epc = decode_sgtin96("3035D6525C32B08000000025").expect("a valid sgtin-96");
        assert_eq!(epc.filter, 1);
        assert_eq!(epc.company_prefix, "7705751");
        assert_eq!(epc.item_reference, "051906");
        assert_eq!(epc.serial, 37);
        assert_eq!(epc.ean13().as_deref(), Some("7705751519063"));
        assert_eq!(encode_sgtin96("7705751519063", 7, 37).as_deref(), Some("3035D6525C32B08000000025"));
    }

    #[test]
    fn chip_ids_are_not_epcs() {
        assert_eq!(decode_sgtin96("E2801160600002084B2C1F3D"), None);
        assert_eq!(decode_sgtin96("3035D6525C"), None);
    }
}
