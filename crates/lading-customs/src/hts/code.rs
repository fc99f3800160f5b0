//! HTS numbers as text and as keys: reading `9403.20.00.35`, `9403200035` or ` 9403.20.0035 `
//! into digits, and writing them back in the dotted form the HTS prints.

use std::hash::{BuildHasherDefault, Hash, Hasher};

/// The digits of an HTS number (4, 6, 8 or 10 of them), read once and used as a map key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Digits {
    len: u8,
    bytes: [u8; 10],
}

impl Digits {
    /// Reads the digits of `raw`, allowing dots between them and whitespace around them.
    /// `None` when anything else appears or when there are more than 10 digits or none.
    pub(crate) fn read(raw: &str) -> Option<Digits> {
        let mut digits = Digits { len: 0, bytes: [0; 10] };
        for byte in raw.trim().bytes() {
            match byte {
                b'0'..=b'9' => {
                    let slot = digits.bytes.get_mut(usize::from(digits.len))?;
                    *slot = byte;
                    digits.len += 1;
                }
                b'.' => {}
                _ => return None,
            }
        }
        (digits.len > 0).then_some(digits)
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored, so this never fails.
        std::str::from_utf8(&self.bytes[..self.len()]).unwrap_or_default()
    }

    /// The first `len` digits (a parent's key), or `None` when there are fewer.
    pub(crate) fn prefix(&self, len: usize) -> Option<Digits> {
        if len > self.len() {
            return None;
        }
        let mut prefix = *self;
        prefix.len = len as u8;
        prefix.bytes[len..].fill(0);
        Some(prefix)
    }

    /// The HTS's printed form: `9403`, `9403.20`, `9403.20.00`, `9403.20.00.35`.
    pub(crate) fn dotted(&self) -> String {
        let digits = self.as_str();
        let mut out = String::with_capacity(13);
        for (start, end) in [(0, 4), (4, 6), (6, 8), (8, 10)] {
            let Some(group) = digits.get(start..end) else {
                break;
            };
            if start > 0 {
                out.push('.');
            }
            out.push_str(group);
        }
        out
    }

    /// Whether this number belongs to Chapter 99 (additional duties, quotas, the MTB).
    pub(crate) fn is_chapter99(&self) -> bool {
        self.as_str().starts_with("99")
    }
}

impl Hash for Digits {
    /// One word per number: the digits as an integer, with the length in the low bits (so
    /// `9403` and `0009403` differ).
    fn hash<H: Hasher>(&self, state: &mut H) {
        let value = self.bytes[..self.len()].iter().fold(0u64, |value, digit| value * 10 + u64::from(digit - b'0'));
        state.write_u64(value << 4 | u64::from(self.len));
    }
}

/// A multiply-rotate hasher for [`Digits`] keys: the index is built from one file of a few
/// tens of thousands of numbers, so SipHash's protection buys nothing and costs time.
#[derive(Default, Clone, Copy)]
pub(crate) struct DigitsHasher(u64);

impl Hasher for DigitsHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type DigitsMap<V> = std::collections::HashMap<Digits, V, BuildHasherDefault<DigitsHasher>>;

/// Normalises a 10-digit HTS number to its dotted form: `"9403200035"`, `"9403.20.00.35"` and
/// `" 9403.20.0035 "` all give `"9403.20.00.35"`. `None` unless there are exactly 10 digits,
/// with nothing but dots between them and whitespace around them.
pub fn normalise_code(raw: &str) -> Option<String> {
    Digits::read(raw).filter(|digits| digits.len() == 10).map(|digits| digits.dotted())
}
