//! Stable seed mixing: derives independent, reproducible seeds from a base seed and a label.
//!
//! `std`'s hashers are not promised to stay the same across Rust releases, and a catalogue must
//! not change because the toolchain did, so these are spelt out here.

/// SplitMix64 finaliser over `seed` combined with `salt`.
pub(crate) fn mix(seed: u64, salt: u64) -> u64 {
    let mut z = seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a label, for salting a seed with a company id or user name.
pub(crate) fn label_hash(label: &str) -> u64 {
    label.bytes().fold(0xCBF2_9CE4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3))
}
