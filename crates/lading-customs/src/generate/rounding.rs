//! Rounding as customs reports it: half-up, once, at the end: whole dollars for values, cents for
//! duties and fees, whole numbers for weights and quantities (a positive amount under one is
//! reported as one and flagged).

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

/// Half-up to `places` decimals (amounts here are never negative, so away-from-zero is half-up),
/// with exactly `places` decimals so that `92000` and `92000.00` serialise the same way.
pub(crate) fn half_up(amount: Decimal, places: u32) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(places);
    rounded
}

/// Whole dollars: `$0.49` → 0, `$0.50` → 1.
pub(crate) fn whole_dollars(amount: Decimal) -> Decimal {
    half_up(amount, 0)
}

/// Dollars and cents.
pub(crate) fn cents(amount: Decimal) -> Decimal {
    half_up(amount, 2)
}

/// `percent` % of `amount`, unrounded; `None` if it overflows.
pub(crate) fn percent_of(amount: Decimal, percent: Decimal) -> Option<Decimal> {
    amount.checked_mul(percent)?.checked_div(Decimal::ONE_HUNDRED)
}

/// A whole weight or quantity; `0 < x < 1` reports as 1 and says so (`true`).
pub(crate) fn whole_amount(amount: Decimal) -> (Decimal, bool) {
    if amount > Decimal::ZERO && amount < Decimal::ONE { (Decimal::ONE, true) } else { (half_up(amount, 0), false) }
}

/// `$92,000` for whole dollars (scale 0), `$23,000.00` for any other amount: how traces write
/// money. Formats straight into the output, without an intermediate string.
pub(crate) fn usd(amount: Decimal) -> Usd {
    Usd(amount)
}

pub(crate) struct Usd(Decimal);

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let places: u32 = if self.0.scale() == 0 { 0 } else { 2 };
        let rounded = half_up(self.0, places);
        let mantissa = rounded.mantissa();
        // Amounts fit in a u64 (u128 division is slow); the rare larger one takes the slow path.
        let magnitude = mantissa.unsigned_abs();
        let mut buffer = [0u8; 64];
        let mut at = buffer.len();
        let mut push = |byte: u8| {
            at -= 1;
            buffer[at] = byte;
        };
        match u64::try_from(magnitude) {
            Ok(small) => write_digits(small, places, &mut push),
            Err(_) => write_digits(magnitude, places, &mut push),
        }
        push(b'$');
        if mantissa < 0 {
            push(b'-');
        }
        f.write_str(std::str::from_utf8(&buffer[at..]).map_err(|_| fmt::Error)?)
    }
}

/// Pushes (right to left) the digits of `value` scaled by `places` (0 or 2), with thousands
/// separators.
fn write_digits<T>(mut value: T, places: u32, push: &mut impl FnMut(u8))
where
    T: Copy + PartialEq + From<u8> + std::ops::Rem<Output = T> + std::ops::DivAssign + TryInto<u8>,
{
    let ten = T::from(10);
    let zero = T::from(0);
    let digit = |value: T| (value % ten).try_into().unwrap_or(0);
    for _ in 0..places {
        push(b'0' + digit(value));
        value /= ten;
    }
    if places > 0 {
        push(b'.');
    }
    let mut count = 0;
    loop {
        if count > 0 && count % 3 == 0 {
            push(b',');
        }
        push(b'0' + digit(value));
        value /= ten;
        count += 1;
        if value == zero {
            break;
        }
    }
}

/// A weight or quantity for traces: `1335`, `0.4`.
pub(crate) fn amount(value: Decimal) -> Amount {
    Amount(value)
}

pub(crate) struct Amount(Decimal);

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.normalize(), f)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap_or_default()
    }

    #[test]
    fn half_up_at_the_edges() {
        assert_eq!(whole_dollars(d("0.49")), d("0"));
        assert_eq!(whole_dollars(d("0.50")), d("1"));
        assert_eq!(whole_dollars(d("2.5")), d("3"));
        assert_eq!(cents(d("318.688")).to_string(), "318.69");
        assert_eq!(cents(d("0.005")).to_string(), "0.01");
        assert_eq!(cents(d("23000")).to_string(), "23000.00");
        assert_eq!(whole_amount(d("0.4")), (d("1"), true));
        assert_eq!(whole_amount(d("0")), (d("0"), false));
        assert_eq!(whole_amount(d("1.5")), (d("2"), false));
    }

    #[test]
    fn money_in_traces() {
        let usd = |text: &str| usd(d(text)).to_string();
        assert_eq!(usd("92000"), "$92,000");
        assert_eq!(usd("23000.00"), "$23,000.00");
        assert_eq!(usd("1234567.891"), "$1,234,567.89");
        assert_eq!(usd("0"), "$0");
        assert_eq!(usd("0.5"), "$0.50");
        assert_eq!(usd("999"), "$999");
        assert_eq!(usd("-1000.05"), "-$1,000.05");
        assert_eq!(usd("79228162514264337593543950335"), "$79,228,162,514,264,337,593,543,950,335");
    }
}
