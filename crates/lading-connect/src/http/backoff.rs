//! Backoff delays from a [`RetryPolicy`]: backon's exponential ceilings, then full jitter.
//!
//! backon's own jitter adds up to one more ceiling on top of the ceiling; "full jitter" (AWS
//! architecture blog) instead waits a uniform time in `[0, ceiling]`, which spreads the retries
//! of many clients best. So backon computes the ceilings and bounds the attempts, and
//! [`full_jitter`] picks the wait.

use backon::{BackoffBuilder, ExponentialBuilder};
use lading_core::retry::RetryPolicy;
use rand::Rng;
use std::time::Duration;

/// backon's exponential backoff for `policy`: ceilings from `initial_backoff_ms` growing by
/// `backoff_rate` up to `max_backoff_ms`, and `max_attempts - 1` retries.
pub(crate) fn exponential(policy: &RetryPolicy) -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(policy.initial_backoff_ms))
        .with_max_delay(Duration::from_millis(policy.max_backoff_ms))
        .with_factor(policy.backoff_rate)
        .with_max_times(policy.max_attempts.saturating_sub(1) as usize)
}

/// A uniform wait in `[0, ceiling]`.
pub fn full_jitter(ceiling: Duration) -> Duration {
    let ceiling_micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(rand::rng().random_range(0..=ceiling_micros))
}

/// The jittered waits before each retry `policy` allows: `max_attempts - 1` of them.
///
/// For loops the HTTP layer cannot run itself, such as Kong's resend of the items a bulk
/// answer marked `unavailable`.
pub fn retry_delays(policy: &RetryPolicy) -> impl Iterator<Item = Duration> + Send + use<> {
    exponential(policy).build().map(full_jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_delay_per_retry_each_below_its_ceiling() {
        let policy = RetryPolicy { max_attempts: 5, initial_backoff_ms: 10, max_backoff_ms: 40, backoff_rate: 2.0 };
        let ceilings: Vec<Duration> = exponential(&policy).build().collect();
        // backon computes in f32: compare to the nearest millisecond.
        let rounded: Vec<u128> = ceilings.iter().map(|c| (c.as_micros() + 500) / 1000).collect();
        assert_eq!(rounded, vec![10, 20, 40, 40], "ceilings follow the policy and stop after max_attempts - 1 retries");
        for _ in 0..50 {
            let delays: Vec<Duration> = retry_delays(&policy).collect();
            assert_eq!(delays.len(), 4);
            for (delay, ceiling) in delays.iter().zip(&ceilings) {
                assert!(delay <= ceiling, "{delay:?} > {ceiling:?}");
            }
        }
    }

    #[test]
    fn a_policy_without_retries_has_no_delays() {
        assert_eq!(retry_delays(&RetryPolicy::none()).count(), 0);
    }

    #[test]
    fn full_jitter_spreads_over_the_whole_range() {
        let ceiling = Duration::from_millis(100);
        let waits: Vec<Duration> = (0..200).map(|_| full_jitter(ceiling)).collect();
        assert!(waits.iter().all(|w| *w <= ceiling));
        assert!(waits.iter().any(|w| *w < Duration::from_millis(30)), "some waits are short");
        assert!(waits.iter().any(|w| *w > Duration::from_millis(70)), "some waits are long");
        assert_eq!(full_jitter(Duration::ZERO), Duration::ZERO);
    }
}
