//! `Retry-After` in both of its forms: delta seconds (`120`) and an HTTP date.

use std::time::{Duration, SystemTime};

/// The longest wait the client honours from one `Retry-After`. A server asking for more is
/// waited on for this long and then tried again (within the attempt budget), so a bogus header
/// cannot park a run for an hour.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Parses a `Retry-After` value as seen at `now`. A date in the past means "now" (zero); an
/// unreadable value is ignored (`None`) and the client falls back to its own backoff.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: delta seconds. An overflowing number is simply "very long".
        return Some(value.parse::<u64>().map(Duration::from_secs).unwrap_or(Duration::MAX));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The wait to honour for a server's `Retry-After`: at most [`MAX_RETRY_AFTER`].
pub fn capped(retry_after: Duration) -> Duration {
    retry_after.min(MAX_RETRY_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: &str, expected: Option<Duration>) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(value, now), expected, "{value:?}");
    }

    #[test]
    fn delta_seconds() {
        check("0", Some(Duration::ZERO));
        check("2", Some(Duration::from_secs(2)));
        check(" 120 ", Some(Duration::from_secs(120)));
        check("99999999999999999999999", Some(Duration::MAX));
    }

    #[test]
    fn http_dates_in_all_three_formats() {
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        check("Tue, 14 Nov 2023 22:13:25 GMT", Some(Duration::from_secs(5)));
        check("Tuesday, 14-Nov-23 22:13:30 GMT", Some(Duration::from_secs(10)));
        check("Tue Nov 14 22:14:20 2023", Some(Duration::from_secs(60)));
    }

    #[test]
    fn a_date_in_the_past_means_now() {
        check("Tue, 14 Nov 2023 22:00:00 GMT", Some(Duration::ZERO));
    }

    #[test]
    fn garbage_is_ignored() {
        for value in ["", "soon", "-5", "1.5", "Tue, 99 Nov 2023 22:13:25 GMT"] {
            check(value, None);
        }
    }

    #[test]
    fn long_waits_are_capped() {
        assert_eq!(capped(Duration::from_secs(3_600)), MAX_RETRY_AFTER);
        assert_eq!(capped(Duration::from_secs(3)), Duration::from_secs(3));
    }
}
