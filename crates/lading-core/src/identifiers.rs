//! Product identifiers: EAN-13, GTIN-14 and SGTIN-96 EPC validation and normalisation.
//!
//! Every parser trims surrounding whitespace, checks the digits and the GS1 check digit, and
//! says exactly what was wrong ("EAN-13 check digit is 3, expected 8"). The values are small
//! `Copy` types holding their digits, so normalising a barcode allocates nothing.
//!
//! - [`Ean13::parse`] accepts an EAN-13, a UPC-A (12 digits, a `0` is put in front) or a
//!   GTIN-14 whose indicator digit is `0` (it is dropped).
//! - [`Gtin14::parse`] accepts a GTIN-14, an EAN-13 (`0` + EAN-13) or a UPC-A (`00` + UPC-A).
//! - [`Sgtin96::parse`] decodes a 24-hex-character SGTIN-96 EPC (header `30`) into its filter,
//!   company prefix, item reference and serial, and derives the GTIN-14 / EAN-13 of the item.
//!   Values starting `E2` with another length are RFID chip ids (TIDs), not EPCs.

use std::fmt;

/// A barcode scheme, named in error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Ean13,
    UpcA,
    Gtin14,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Ean13 => "EAN-13",
            Scheme::UpcA => "UPC-A",
            Scheme::Gtin14 => "GTIN-14",
        })
    }
}

/// Why a value is not a valid identifier. The message never repeats the value itself: the
/// caller knows which field and value it parsed and says so.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("is empty")]
    Empty,
    #[error("has {found:?} at position {position}, expected only digits")]
    NotADigit { found: char, position: usize },
    #[error("has {digits} digits, expected {expected}")]
    DigitCount { digits: usize, expected: &'static str },
    #[error("{scheme} check digit is {found}, expected {expected}")]
    CheckDigit { scheme: Scheme, found: u8, expected: u8 },
    #[error("is a GTIN-14 with indicator digit {indicator}; only a GTIN-14 starting with 0 has an EAN-13")]
    IndicatorNotZero { indicator: u8 },
    #[error(
        "looks like an RFID chip id (TID: starts with E2, {length} characters), not an EPC; an SGTIN-96 EPC has 24 hex characters starting with 30"
    )]
    ChipId { length: usize },
    #[error("has {length} characters, expected 24 hex characters (an SGTIN-96 EPC)")]
    EpcLength { length: usize },
    #[error("has {found:?} at position {position}, expected only hex digits 0-9 and A-F")]
    NotHex { found: char, position: usize },
    #[error("has EPC header {header:02X}, expected 30 (SGTIN-96)")]
    EpcHeader { header: u8 },
    #[error("has SGTIN-96 partition {partition}, expected 0 to 6")]
    EpcPartition { partition: u8 },
    #[error("has company prefix {value}, which does not fit in {digits} digits (partition {partition})")]
    EpcCompanyPrefix { value: u64, digits: usize, partition: u8 },
    #[error("has item reference {value}, which does not fit in {digits} digits (partition {partition})")]
    EpcItemReference { value: u64, digits: usize, partition: u8 },
    #[error("has a company prefix of {digits} digits, expected 6 to 12")]
    CompanyPrefixLength { digits: usize },
    #[error("has an item reference of {digits} digits, expected {expected} (13 minus the company prefix)")]
    ItemReferenceLength { digits: usize, expected: usize },
    #[error("has filter value {filter}, expected 0 to 7")]
    EpcFilter { filter: u8 },
    #[error("has serial {serial}, expected at most 274877906943 (38 bits)")]
    EpcSerial { serial: u64 },
}

/// The GS1 check digit of `data` (ASCII digits, the check digit not included): weights 3 and 1
/// alternate from the rightmost data digit, check = (10 − sum mod 10) mod 10.
///
/// For the 12 data digits of an EAN-13 this is weights 1,3,1,3… from the left:
/// `check_digit(b"123456789012") == Ok(8)`.
pub fn check_digit(data: &[u8]) -> Result<u8, IdentifierError> {
    digits_only(data)?;
    Ok(gs1_check_digit(data))
}

fn gs1_check_digit(data: &[u8]) -> u8 {
    let sum: u32 =
        data.iter().rev().enumerate().map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    ((10 - sum % 10) % 10) as u8
}

/// Fails on the first character that is not an ASCII digit, naming it and its 1-based position.
fn digits_only(bytes: &[u8]) -> Result<(), IdentifierError> {
    match bytes.iter().position(|b| !b.is_ascii_digit()) {
        None => Ok(()),
        Some(index) => Err(not_a(bytes, index, |found, position| IdentifierError::NotADigit { found, position })),
    }
}

/// Builds the error for the offending character at byte `index` (the input came from a `&str`).
fn not_a(bytes: &[u8], index: usize, make: fn(char, usize) -> IdentifierError) -> IdentifierError {
    let text = String::from_utf8_lossy(bytes);
    let prefix = String::from_utf8_lossy(&bytes[..index]);
    let position = prefix.chars().count() + 1;
    let found = text.chars().nth(position - 1).unwrap_or('\u{fffd}');
    make(found, position)
}

/// Checks the last digit of `digits` (already known to be ASCII digits) against the others.
fn verify_check_digit(digits: &[u8], scheme: Scheme) -> Result<(), IdentifierError> {
    let (data, check) = digits.split_at(digits.len() - 1);
    let expected = gs1_check_digit(data);
    let found = check[0] - b'0';
    if found == expected { Ok(()) } else { Err(IdentifierError::CheckDigit { scheme, found, expected }) }
}

/// Trims and checks that what is left is a non-empty run of ASCII digits.
fn trimmed_digits(raw: &str) -> Result<&[u8], IdentifierError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(IdentifierError::Empty);
    }
    digits_only(text.as_bytes())?;
    Ok(text.as_bytes())
}

/// A valid EAN-13 (GTIN-13): 13 ASCII digits with a correct check digit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ean13([u8; 13]);

impl Ean13 {
    /// Parses and normalises: an EAN-13; a UPC-A of 12 digits (its own check digit verified,
    /// then `0` put in front); a GTIN-14 starting with `0` (the `0` dropped). Whitespace around
    /// the value is ignored.
    pub fn parse(raw: &str) -> Result<Ean13, IdentifierError> {
        let digits = trimmed_digits(raw)?;
        let mut out = [b'0'; 13];
        match digits.len() {
            13 => {
                verify_check_digit(digits, Scheme::Ean13)?;
                out.copy_from_slice(digits);
            }
            12 => {
                verify_check_digit(digits, Scheme::UpcA)?;
                out[1..].copy_from_slice(digits);
            }
            14 => {
                verify_check_digit(digits, Scheme::Gtin14)?;
                if digits[0] != b'0' {
                    return Err(IdentifierError::IndicatorNotZero { indicator: digits[0] - b'0' });
                }
                out.copy_from_slice(&digits[1..]);
            }
            n => {
                return Err(IdentifierError::DigitCount {
                    digits: n,
                    expected: "13 (EAN-13), 12 (UPC-A) or 14 (GTIN-14 starting with 0)",
                });
            }
        }
        Ok(Ean13(out))
    }

    /// Completes 12 data digits with their check digit: `123456789012` → `1234567890128`.
    pub fn from_data_digits(first_12: &str) -> Result<Ean13, IdentifierError> {
        let digits = trimmed_digits(first_12)?;
        if digits.len() != 12 {
            return Err(IdentifierError::DigitCount {
                digits: digits.len(),
                expected: "12 (the EAN-13 without its check digit)",
            });
        }
        let mut out = [b'0'; 13];
        out[..12].copy_from_slice(digits);
        out[12] = b'0' + gs1_check_digit(digits);
        Ok(Ean13(out))
    }

    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// The GTIN-14 of this EAN-13: `0` + EAN-13.
    pub fn to_gtin14(&self) -> Gtin14 {
        let mut out = [b'0'; 14];
        out[1..].copy_from_slice(&self.0);
        Gtin14(out)
    }
}

/// A valid GTIN-14: 14 ASCII digits with a correct check digit; the first is the indicator.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin14([u8; 14]);

impl Gtin14 {
    /// Parses and normalises: a GTIN-14; an EAN-13 (`0` in front); a UPC-A (`00` in front).
    pub fn parse(raw: &str) -> Result<Gtin14, IdentifierError> {
        let digits = trimmed_digits(raw)?;
        let mut out = [b'0'; 14];
        match digits.len() {
            14 => {
                verify_check_digit(digits, Scheme::Gtin14)?;
                out.copy_from_slice(digits);
            }
            13 => {
                verify_check_digit(digits, Scheme::Ean13)?;
                out[1..].copy_from_slice(digits);
            }
            12 => {
                verify_check_digit(digits, Scheme::UpcA)?;
                out[2..].copy_from_slice(digits);
            }
            n => {
                return Err(IdentifierError::DigitCount {
                    digits: n,
                    expected: "14 (GTIN-14), 13 (EAN-13) or 12 (UPC-A)",
                });
            }
        }
        Ok(Gtin14(out))
    }

    pub fn as_str(&self) -> &str {
        ascii_str(&self.0)
    }

    /// The indicator digit (packaging level), 0 for a consumer unit.
    pub fn indicator(&self) -> u8 {
        self.0[0] - b'0'
    }

    /// The EAN-13 of this GTIN-14, which exists only when the indicator digit is 0.
    pub fn to_ean13(&self) -> Result<Ean13, IdentifierError> {
        if self.0[0] != b'0' {
            return Err(IdentifierError::IndicatorNotZero { indicator: self.indicator() });
        }
        let mut out = [b'0'; 13];
        out.copy_from_slice(&self.0[1..]);
        Ok(Ean13(out))
    }
}

fn ascii_str(bytes: &[u8]) -> &str {
    // Only ever called on ASCII digits or hex digits, which are valid UTF-8.
    std::str::from_utf8(bytes).unwrap_or_default()
}

macro_rules! debug_display_as_str {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), self.as_str())
            }
        }
    )*};
}
debug_display_as_str!(Ean13, Gtin14, Sgtin96);

/// The SGTIN-96 header byte.
pub const SGTIN96_HEADER: u8 = 0x30;

/// Bits and digits of (company prefix, item reference) for SGTIN partitions 0 to 6.
const PARTITIONS: [(u32, usize, u32, usize); 7] =
    [(40, 12, 4, 1), (37, 11, 7, 2), (34, 10, 10, 3), (30, 9, 14, 4), (27, 8, 17, 5), (24, 7, 20, 6), (20, 6, 24, 7)];

const SERIAL_BITS: u32 = 38;

/// A decoded SGTIN-96 EPC (GS1 EPC Tag Data Standard): 8-bit header `30`, 3-bit filter, 3-bit
/// partition, company prefix and item reference (44 bits between them, split by the
/// partition), 38-bit serial.
///
/// `3035D6525C32B08000000025` is filter 1, partition 5, company prefix `7705751`, item
/// reference `051906` (indicator digit 0, item 51906), serial 37, EAN-13 `7705751519063`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sgtin96 {
    hex: [u8; 24],
    filter: u8,
    partition: u8,
    company_prefix: u64,
    item_reference: u64,
    serial: u64,
}

impl Sgtin96 {
    /// Decodes and validates 24 hex characters (either case; surrounding whitespace ignored).
    pub fn parse(raw: &str) -> Result<Sgtin96, IdentifierError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(IdentifierError::Empty);
        }
        let bytes = text.as_bytes();
        if let Some(index) = bytes.iter().position(|b| !b.is_ascii_hexdigit()) {
            if bytes.len() != 24 && starts_like_chip_id(bytes) {
                return Err(IdentifierError::ChipId { length: text.chars().count() });
            }
            return Err(not_a(bytes, index, |found, position| IdentifierError::NotHex { found, position }));
        }
        if bytes.len() != 24 {
            if starts_like_chip_id(bytes) {
                return Err(IdentifierError::ChipId { length: bytes.len() });
            }
            return Err(IdentifierError::EpcLength { length: bytes.len() });
        }
        let mut hex = [b'0'; 24];
        for (out, b) in hex.iter_mut().zip(bytes) {
            *out = b.to_ascii_uppercase();
        }
        let value = hex.iter().fold(0u128, |acc, b| (acc << 4) | u128::from(hex_value(*b)));
        let header = (value >> 88) as u8;
        if header != SGTIN96_HEADER {
            return Err(IdentifierError::EpcHeader { header });
        }
        let filter = ((value >> 85) & 0b111) as u8;
        let partition = ((value >> 82) & 0b111) as u8;
        let Some(&(company_bits, company_digits, item_bits, item_digits)) = PARTITIONS.get(usize::from(partition))
        else {
            return Err(IdentifierError::EpcPartition { partition });
        };
        let company_and_item = (value >> SERIAL_BITS) & ((1u128 << 44) - 1);
        let company_prefix = (company_and_item >> item_bits) as u64 & ((1u64 << company_bits) - 1);
        let item_reference = company_and_item as u64 & ((1u64 << item_bits) - 1);
        let serial = (value & ((1u128 << SERIAL_BITS) - 1)) as u64;
        if company_prefix >= 10u64.pow(company_digits as u32) {
            return Err(IdentifierError::EpcCompanyPrefix { value: company_prefix, digits: company_digits, partition });
        }
        if item_reference >= 10u64.pow(item_digits as u32) {
            return Err(IdentifierError::EpcItemReference { value: item_reference, digits: item_digits, partition });
        }
        Ok(Sgtin96 { hex, filter, partition, company_prefix, item_reference, serial })
    }

    /// Encodes an SGTIN-96 from its parts. `company_prefix` has 6 to 12 digits (which picks the
    /// partition) and `item_reference` the rest of 13 digits, its first digit being the
    /// indicator digit: `Sgtin96::encode(1, "7705751", "051906", 37)` is
    /// `3035D6525C32B08000000025`.
    pub fn encode(
        filter: u8,
        company_prefix: &str,
        item_reference: &str,
        serial: u64,
    ) -> Result<Sgtin96, IdentifierError> {
        if filter > 7 {
            return Err(IdentifierError::EpcFilter { filter });
        }
        if serial >= 1 << SERIAL_BITS {
            return Err(IdentifierError::EpcSerial { serial });
        }
        let company = trimmed_digits(company_prefix)?;
        let item = trimmed_digits(item_reference)?;
        let Some(partition) = PARTITIONS.iter().position(|p| p.1 == company.len()) else {
            return Err(IdentifierError::CompanyPrefixLength { digits: company.len() });
        };
        let (_, company_digits, item_bits, item_digits) = PARTITIONS[partition];
        if item.len() != item_digits {
            return Err(IdentifierError::ItemReferenceLength { digits: item.len(), expected: 13 - company_digits });
        }
        let number = |digits: &[u8]| digits.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
        let value = (u128::from(SGTIN96_HEADER) << 88)
            | (u128::from(filter) << 85)
            | ((partition as u128) << 82)
            | (u128::from(number(company)) << (SERIAL_BITS + item_bits))
            | (u128::from(number(item)) << SERIAL_BITS)
            | u128::from(serial);
        Sgtin96::parse(&format!("{value:024X}"))
    }

    /// The EPC as 24 upper-case hex characters.
    pub fn as_str(&self) -> &str {
        ascii_str(&self.hex)
    }

    pub fn filter(&self) -> u8 {
        self.filter
    }

    pub fn partition(&self) -> u8 {
        self.partition
    }

    /// The GS1 company prefix with its leading zeros (6 to 12 digits, set by the partition).
    pub fn company_prefix(&self) -> String {
        let digits = PARTITIONS[usize::from(self.partition)].1;
        format!("{:0digits$}", self.company_prefix)
    }

    /// The item reference with its leading zeros; its first digit is the indicator digit.
    pub fn item_reference(&self) -> String {
        let digits = PARTITIONS[usize::from(self.partition)].3;
        format!("{:0digits$}", self.item_reference)
    }

    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The GTIN-14 of the tagged item: indicator digit, company prefix, the item reference
    /// without its indicator digit, check digit.
    pub fn gtin14(&self) -> Gtin14 {
        let item = self.item_reference();
        let (indicator, item_rest) = item.split_at(1);
        let data = format!("{indicator}{}{item_rest}", self.company_prefix());
        let mut out = [b'0'; 14];
        out[..13].copy_from_slice(data.as_bytes());
        out[13] = b'0' + gs1_check_digit(data.as_bytes());
        Gtin14(out)
    }

    /// The EAN-13 of the tagged item; fails when the indicator digit is not 0.
    pub fn ean13(&self) -> Result<Ean13, IdentifierError> {
        self.gtin14().to_ean13()
    }
}

fn starts_like_chip_id(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[..2].eq_ignore_ascii_case(b"E2")
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'A'..=b'F' => b - b'A' + 10,
        b'a'..=b'f' => b - b'a' + 10,
        _ => 0,
    }
}
