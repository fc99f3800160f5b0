//! Runs Lading pipelines: steps, per-step retries, the catch that records a failure and
//! notifies, quarantine, incremental sync, reports.
//!
//! A run is a row in the state store and a list of steps. [`runner::step_run`] executes the
//! next pending step and returns, so tests (and later Step Functions) drive a run one step at
//! a time; [`runner::run_to_end`] only loops over it. Steps exchange object-store keys, never
//! payloads, and are idempotent given their inputs.

pub mod alerts;
pub mod audit;
pub mod crash;
pub mod engine;
pub mod ior;
pub mod ior_daily;
pub mod lock;
pub mod mappings;
pub mod metrics;
pub mod notify;
pub mod pipelines;
pub mod product_sync;
pub mod replay;
pub mod report;
pub mod runner;
pub mod schedule;
pub mod tenants;

pub use engine::Engine;
pub use runner::{RunError, RunOptions};
