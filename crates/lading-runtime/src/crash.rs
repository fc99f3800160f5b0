//! Crash points: the named places between two writes where a test can make the process die.
//!
//! `LADING_CRASH_AT=<point>` (or `<point>#<n>`: the n-th time the point is reached) makes the
//! process abort there, as `kill -9` would: no destructor runs, nothing more is written. The
//! crash tests run the real `lading` once per point and check that `lading runs resume` ends
//! where a clean run ends. Unset, which it always is outside those tests, a point costs a look
//! at a value read once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable naming the point to die at.
pub const CRASH_AT_ENV: &str = "LADING_CRASH_AT";

/// Every crash point, in the order a product-sync run passes them. `runner` and
/// `product_sync` describe the window each one closes.
pub const POINTS: [&str; 15] = [
    // runner: between the lease and the run's record, and around each step's writes
    "start.leased",
    "run.recorded",
    "step.started",
    "step.counted",
    "step.succeeded",
    "step.failed",
    "run.finished",
    // product sync
    "extract.raw_written",
    "transform.quarantined",
    "transform.batches_written",
    "load.answered",
    "load.hashed",
    "load.dead_lettered",
    "load.checkpointed",
    "report.written",
];

struct Armed {
    point: String,
    nth: u32,
    reached: AtomicU32,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let spec = std::env::var(CRASH_AT_ENV).ok().filter(|s| !s.is_empty())?;
            let (point, nth) = match spec.split_once('#') {
                Some((point, nth)) => (point.to_string(), nth.parse().unwrap_or(1).max(1)),
                None => (spec, 1),
            };
            Some(Armed { point, nth, reached: AtomicU32::new(0) })
        })
        .as_ref()
}

/// Aborts the process if `LADING_CRASH_AT` names this point (and this is its n-th passage).
pub fn point(name: &str) {
    let Some(armed) = armed() else { return };
    if armed.point == name && armed.reached.fetch_add(1, Ordering::SeqCst) + 1 == armed.nth {
        eprintln!("{CRASH_AT_ENV}: dying at crash point {name}");
        std::process::abort();
    }
}
