//! Retry policies: how often and how patiently a step or a request is tried again.
//!
//! The same numbers drive the HTTP client's backoff, the runner's per-step retries and, later,
//! the `Retry` blocks of generated Step Functions state machines.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Exponential backoff with full jitter, bounded in attempts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in all, the first included. 1 means no retry.
    pub max_attempts: u32,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// Factor between two successive backoff ceilings (Step Functions' `BackoffRate`).
    pub backoff_rate: f32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 5, initial_backoff_ms: 100, max_backoff_ms: 5_000, backoff_rate: 2.0 }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> RetryPolicy {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// The ceiling of the wait before retry number `retry` (0-based); full jitter picks a
    /// uniform wait in `[0, ceiling]`.
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = f64::from(self.backoff_rate).powi(retry.min(30) as i32);
        let millis = (self.initial_backoff_ms as f64 * factor).min(self.max_backoff_ms as f64);
        Duration::from_millis(millis as u64)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.max_attempts == 0 {
            return Err("retry.max_attempts must be at least 1".into());
        }
        if self.backoff_rate < 1.0 {
            return Err("retry.backoff_rate must be 1.0 or more".into());
        }
        if self.initial_backoff_ms > self.max_backoff_ms {
            return Err("retry.initial_backoff_ms must not exceed retry.max_backoff_ms".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_grow_then_cap() {
        let policy = RetryPolicy { max_attempts: 6, initial_backoff_ms: 100, max_backoff_ms: 1_000, backoff_rate: 2.0 };
        let ceilings: Vec<u64> = (0..6).map(|n| policy.backoff_ceiling(n).as_millis() as u64).collect();
        assert_eq!(ceilings, vec![100, 200, 400, 800, 1_000, 1_000]);
    }

    #[test]
    fn invalid_policies_are_named() {
        let zero = RetryPolicy { max_attempts: 0, ..RetryPolicy::default() };
        assert!(zero.validate().unwrap_err().contains("max_attempts"));
    }
}
