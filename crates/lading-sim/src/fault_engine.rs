//! Decides, request by request, which fault (if any) a simulator applies.
//!
//! All decisions go through one lock and one seeded ChaCha generator, so the same seed, faults
//! and request sequence give the same fault sequence: a failing test replays exactly.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::faults::{Faults, RetryAfterStyle};
use crate::seed::mix;

/// What happens to one request before (or instead of) its handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    /// Close the connection without answering.
    Reset,
    /// Process, then hold the answer this long.
    Hang(Duration),
    /// `error_burst`: a 500.
    Burst500,
    Throttle(RetryAfterStyle),
    /// `error_rate`: a 5xx; `alternate` picks the system's second flavour (502 vs 503).
    RandomFailure {
        alternate: bool,
    },
}

pub(crate) struct FaultEngine {
    seed: u64,
    state: Mutex<EngineState>,
}

struct EngineState {
    faults: Faults,
    rng: ChaCha8Rng,
    generation: u64,
    /// Requests seen since the faults were set; drives the throttle window.
    sequence: u64,
    /// Times each (tenant, external id) of `transient_fail_items` has been sent.
    transient_sends: HashMap<(String, String), u32>,
}

/// Locks a mutex, shrugging off poisoning: a panicked test thread must not wedge the simulator.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FaultEngine {
    pub(crate) fn new(seed: u64, faults: Faults) -> Self {
        Self {
            seed,
            state: Mutex::new(EngineState {
                faults: sanitise(faults),
                rng: ChaCha8Rng::seed_from_u64(mix(seed, 0)),
                generation: 0,
                sequence: 0,
                transient_sends: HashMap::new(),
            }),
        }
    }

    pub(crate) fn faults(&self) -> Faults {
        lock(&self.state).faults.clone()
    }

    /// Starts a new fault generation with these faults.
    pub(crate) fn set(&self, faults: Faults) {
        let mut state = lock(&self.state);
        state.generation += 1;
        state.rng = ChaCha8Rng::seed_from_u64(mix(self.seed, state.generation));
        state.faults = sanitise(faults);
        state.sequence = 0;
        state.transient_sends.clear();
    }

    /// Latency to add and the verdict for the next request; bursts count down here.
    pub(crate) fn decide(&self) -> (Duration, Verdict) {
        let mut state = lock(&self.state);
        state.sequence += 1;
        let sequence = state.sequence;
        let latency = Duration::from_millis(state.faults.latency_ms);
        let faults = &mut state.faults;
        let verdict = if faults.reset_burst > 0 {
            faults.reset_burst -= 1;
            Verdict::Reset
        } else if faults.timeout_burst > 0 {
            faults.timeout_burst -= 1;
            Verdict::Hang(Duration::from_millis(faults.hang_ms))
        } else if faults.error_burst > 0 {
            faults.error_burst -= 1;
            Verdict::Burst500
        } else if throttled(faults, sequence) {
            Verdict::Throttle(faults.retry_after)
        } else if faults.error_rate > 0.0 {
            let rate = faults.error_rate;
            // Two draws each time the rate is on keep the sequence independent of outcomes.
            let fails = state.rng.random_bool(rate);
            let alternate = state.rng.random_bool(0.5);
            if fails { Verdict::RandomFailure { alternate } } else { Verdict::Pass }
        } else {
            Verdict::Pass
        };
        (latency, verdict)
    }

    /// True (and one fewer left) when this successful data response must be truncated.
    pub(crate) fn take_malformed(&self) -> bool {
        let mut state = lock(&self.state);
        if state.faults.malformed_burst > 0 {
            state.faults.malformed_burst -= 1;
            true
        } else {
            false
        }
    }

    /// Whether sending `external_id` for `tenant` fails now; each send of a transient item is
    /// counted, so it goes through once it has failed `transient_failures` times.
    pub(crate) fn item_failure(&self, tenant: &str, external_id: &str) -> Option<ItemFailure> {
        let mut state = lock(&self.state);
        if state.faults.fail_items.iter().any(|id| id == external_id) {
            return Some(ItemFailure::Permanent);
        }
        if !state.faults.transient_fail_items.iter().any(|id| id == external_id) {
            return None;
        }
        let limit = state.faults.transient_failures;
        let sends = state.transient_sends.entry((tenant.to_string(), external_id.to_string())).or_insert(0);
        *sends += 1;
        (*sends <= limit).then_some(ItemFailure::Transient)
    }

    /// Draws a value from the seeded generator (ids and tokens handed out by the simulators).
    pub(crate) fn random_bytes<const N: usize>(&self) -> [u8; N] {
        let mut bytes = [0u8; N];
        lock(&self.state).rng.fill(&mut bytes[..]);
        bytes
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemFailure {
    Permanent,
    Transient,
}

fn throttled(faults: &Faults, sequence: u64) -> bool {
    let Some(after) = faults.throttle_after else {
        return false;
    };
    let after = u64::from(after);
    sequence > after && (faults.throttle_count == 0 || sequence <= after + u64::from(faults.throttle_count))
}

fn sanitise(mut faults: Faults) -> Faults {
    faults.error_rate = if faults.error_rate.is_finite() { faults.error_rate.clamp(0.0, 1.0) } else { 0.0 };
    faults
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdicts(engine: &FaultEngine, count: usize) -> Vec<Verdict> {
        (0..count).map(|_| engine.decide().1).collect()
    }

    #[test]
    fn same_seed_same_fault_sequence() {
        let faults = Faults { error_rate: 0.3, ..Faults::default() };
        let first = verdicts(&FaultEngine::new(7, faults.clone()), 200);
        let second = verdicts(&FaultEngine::new(7, faults.clone()), 200);
        let other = verdicts(&FaultEngine::new(8, faults), 200);
        assert_eq!(first, second);
        assert_ne!(first, other);
        let failures = first.iter().filter(|verdict| **verdict != Verdict::Pass).count();
        assert!((30..=90).contains(&failures), "{failures} failures of 200");
    }

    #[test]
    fn bursts_count_down_and_the_throttle_window_closes() {
        let engine = FaultEngine::new(
            1,
            Faults { error_burst: 2, throttle_after: Some(3), throttle_count: 2, ..Faults::default() },
        );
        let seen = verdicts(&engine, 6);
        let throttle = Verdict::Throttle(RetryAfterStyle::Seconds(1));
        assert_eq!(seen, [Verdict::Burst500, Verdict::Burst500, Verdict::Pass, throttle, throttle, Verdict::Pass]);
        assert_eq!(engine.faults().error_burst, 0);
    }

    #[test]
    fn transient_items_fail_the_first_n_sends_per_tenant() {
        let engine = FaultEngine::new(
            1,
            Faults {
                transient_fail_items: vec!["A".into()],
                transient_failures: 2,
                fail_items: vec!["B".into()],
                ..Faults::default()
            },
        );
        assert_eq!(engine.item_failure("t1", "A"), Some(ItemFailure::Transient));
        assert_eq!(engine.item_failure("t1", "A"), Some(ItemFailure::Transient));
        assert_eq!(engine.item_failure("t1", "A"), None);
        assert_eq!(engine.item_failure("t2", "A"), Some(ItemFailure::Transient));
        assert_eq!(engine.item_failure("t1", "B"), Some(ItemFailure::Permanent));
        assert_eq!(engine.item_failure("t1", "C"), None);
    }
}
