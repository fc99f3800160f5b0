//! How the pages write numbers, money, durations and instants, so every page reads the same.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    group(&n.to_string())
}

/// A chart value that counts things.
pub fn count_f64(v: f64) -> String {
    if v.is_finite() && v >= 0.0 { count(v.round() as u64) } else { "–".into() }
}

fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A share 0–1 as `93.3%`; `–` when there is none.
pub fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) if r.is_finite() => format!("{:.1}%", r * 100.0),
        _ => "–".into(),
    }
}

/// Milliseconds, as a person reads them: `850 ms`, `12.3 s`, `4 min 05 s`, `1 h 02 min`.
pub fn duration(ms: Option<u64>) -> String {
    let Some(ms) = ms else { return "–".into() };
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        60_000..3_600_000 => format!("{} min {:02} s", ms / 60_000, (ms / 1000) % 60),
        _ => format!("{} h {:02} min", ms / 3_600_000, (ms / 60_000) % 60),
    }
}

/// A chart value in milliseconds.
pub fn duration_f64(v: f64) -> String {
    if v.is_finite() && v >= 0.0 { duration(Some(v.round() as u64)) } else { "–".into() }
}

/// The run time between two RFC 3339 instants.
pub fn elapsed(started: &str, finished: Option<&str>) -> String {
    let start = DateTime::parse_from_rfc3339(started).ok();
    let end = finished.and_then(|f| DateTime::parse_from_rfc3339(f).ok());
    match (start, end) {
        (Some(start), Some(end)) => duration(u64::try_from((end - start).num_milliseconds()).ok()),
        _ => "–".into(),
    }
}

/// An RFC 3339 instant as `2026-07-01 14:03:22 UTC`; other text as it is.
pub fn when(raw: &str) -> String {
    match DateTime::parse_from_rfc3339(raw) {
        Ok(at) => at.with_timezone(&Utc).format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => raw.to_string(),
    }
}

/// Dollars: `$1,234.56`, `−$12.00`.
pub fn money(amount: Decimal) -> String {
    let rounded = amount.round_dp(2);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let text = format!("{:.2}", rounded.abs());
    let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
    format!("{}${}.{cents}", if negative { "−" } else { "" }, group(whole))
}

/// Dollars with a sign always written: `+$12.00`, `−$3.50`, `$0.00`.
pub fn signed_money(amount: Decimal) -> String {
    if amount.round_dp(2) > Decimal::ZERO { format!("+{}", money(amount)) } else { money(amount) }
}

/// Percent-encodes one path segment.
pub fn segment(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query string of the non-empty pairs, `?` included (empty when none is).
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs.iter().copied().filter(|(_, v)| !v.is_empty()).collect();
    if kept.is_empty() {
        return String::new();
    }
    format!("?{}", serde_urlencoded::to_string(kept).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn numbers_read_like_a_report() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(percent(Some(0.9333)), "93.3%");
        assert_eq!(percent(None), "–");
        assert_eq!(duration(Some(850)), "850 ms");
        assert_eq!(duration(Some(12_345)), "12.3 s");
        assert_eq!(duration(Some(245_000)), "4 min 05 s");
        assert_eq!(duration(Some(3_720_000)), "1 h 02 min");
        assert_eq!(elapsed("2026-07-01T10:00:00Z", Some("2026-07-01T10:00:02.5Z")), "2.5 s");
        assert_eq!(when("2026-07-01T10:00:00+02:00"), "2026-07-01 08:00:00 UTC");
    }

    #[test]
    fn money_has_cents_groups_and_a_real_minus() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(money(d("1234567.891")), "$1,234,567.89");
        assert_eq!(money(d("-12")), "−$12.00");
        assert_eq!(money(d("-0.001")), "$0.00");
        assert_eq!(signed_money(d("3.5")), "+$3.50");
        assert_eq!(signed_money(d("0")), "$0.00");
    }

    #[test]
    fn links_are_encoded() {
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
        assert_eq!(
            query_string(&[("tenant", "t1"), ("status", ""), ("hts", "9903.88.03")]),
            "?tenant=t1&hts=9903.88.03"
        );
        assert_eq!(query_string(&[("tenant", "")]), "");
    }
}
