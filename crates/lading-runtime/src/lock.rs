//! The run lock: at most one run at a time per (tenant, pipeline), as a lease in the state
//! store.
//!
//! A run takes the lease `run-lock/{tenant}/{pipeline}` before it is recorded, renews it while
//! its steps execute and frees it when it finishes. The lease names the run (its holder) and
//! the process (its owner, [`owner`]) and lasts [`lease_ttl`] (30 s, or `LADING_RUN_LEASE_SECS`);
//! it is renewed every third of that. So:
//!
//! - a second start — a schedule fired twice, two schedulers on one data directory, a manual
//!   sync during a scheduled run — is refused with [`RunError::Locked`], naming the run in
//!   progress;
//! - a process that dies leaves a lease that expires; after that anyone may take it;
//! - `lading runs resume <run>` takes its own run's lease back at once, whoever held it ([`Claim::TakeBack`]:
//!   the operator says the old process is gone). Should that process still be alive, it finds
//!   the lease gone at its next renewal and stops at once, as a crash would, which every step
//!   survives; the resumer carries on;
//! - a lease whose run has finished is stale (its process died between the end of the run and
//!   the release) and is taken over.
//!
//! Each of these is one conditional write (`StateStore::acquire_lease`), so the same rules hold
//! on DynamoDB. Clocks: the process's own clock stamps the expiry; leases are tens of seconds
//! long, so a skew of a few seconds between hosts only shortens or lengthens a wait.

use crate::engine::Engine;
use crate::runner::RunError;
use chrono::{DateTime, SecondsFormat, Utc};
use lading_store::{Lease, LeaseGrant, Status};
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

/// The environment variable that sets the lease's lifetime in seconds (default 30).
pub const LEASE_TTL_ENV: &str = "LADING_RUN_LEASE_SECS";
const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(30);

/// How long a lease lasts without renewal: how long a dead process keeps others waiting.
pub fn lease_ttl() -> Duration {
    static TTL: OnceLock<Duration> = OnceLock::new();
    *TTL.get_or_init(|| {
        std::env::var(LEASE_TTL_ENV)
            .ok()
            .and_then(|secs| secs.trim().parse::<u64>().ok())
            .filter(|secs| *secs > 0)
            .map_or(DEFAULT_LEASE_TTL, Duration::from_secs)
    })
}

/// This process, as leases name it: `pid 4242 on host (1a2b3c4d)`. The random part tells a
/// restarted process from its predecessor with a reused pid.
pub fn owner() -> &'static str {
    static OWNER: OnceLock<String> = OnceLock::new();
    OWNER.get_or_init(|| {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        format!("pid {} on {host} ({})", std::process::id(), &nonce[..8])
    })
}

/// The lock's key for a tenant's pipeline.
pub fn key(tenant: &str, pipeline: &str) -> String {
    format!("run-lock/{tenant}/{pipeline}")
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn lease(tenant: &str, pipeline: &str, run_id: &str, now: DateTime<Utc>) -> Lease {
    let ttl = chrono::Duration::from_std(lease_ttl()).unwrap_or(chrono::Duration::seconds(30));
    Lease { key: key(tenant, pipeline), holder: run_id.into(), owner: owner().into(), expires_at: instant(now + ttl) }
}

/// How a run claims its lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// A new run, or the next step of a run: granted when the lock is free, expired, stale, or
    /// already this run's in this process.
    Normal,
    /// `lading runs resume <run>`: also take the run's own lease back from another process.
    TakeBack,
}

/// Takes (or renews) the lock of `tenant`'s `pipeline` for `run_id`.
pub async fn acquire(
    engine: &Engine,
    tenant: &str,
    pipeline: &str,
    run_id: &str,
    claim: Claim,
) -> Result<(), RunError> {
    let now = Utc::now();
    let wanted = lease(tenant, pipeline, run_id, now);
    let take_back = (claim == Claim::TakeBack).then_some(run_id);
    let held = match engine.state.acquire_lease(&wanted, &instant(now), take_back).await? {
        LeaseGrant::Acquired => return Ok(()),
        LeaseGrant::Held(held) => held,
    };
    let holder = engine.state.get_run(&held.holder).await?;
    if holder.as_ref().is_some_and(|run| matches!(run.status, Status::Succeeded | Status::Failed)) {
        // The holder finished but its process died before freeing the lock.
        match engine.state.acquire_lease(&wanted, &instant(now), Some(&held.holder)).await? {
            LeaseGrant::Acquired => {
                tracing::info!(tenant, pipeline, run_id, stale = %held.holder, "took over the lock of a finished run");
                return Ok(());
            }
            LeaseGrant::Held(newer) => return Err(locked(tenant, pipeline, &newer, true)),
        }
    }
    Err(locked(tenant, pipeline, &held, holder.is_some()))
}

fn locked(tenant: &str, pipeline: &str, held: &Lease, recorded: bool) -> RunError {
    let message = if recorded {
        format!(
            "tenant {tenant}: run {} of {pipeline} is in progress ({}, lock held until {}); wait for it to \
             finish, or if that process died, resume the run with `lading runs resume {}`",
            held.holder, held.owner, held.expires_at, held.holder
        )
    } else {
        format!(
            "tenant {tenant}: {pipeline} is locked by run {}, which is not recorded ({} may have died while \
             starting it); the lock frees itself at {}",
            held.holder, held.owner, held.expires_at
        )
    };
    RunError::Locked { tenant: tenant.into(), pipeline: pipeline.into(), run_id: held.holder.clone(), message }
}

/// Frees the lock if this process still holds it for `run_id`; a failure is logged, and the
/// lease then expires on its own.
pub async fn release(engine: &Engine, tenant: &str, pipeline: &str, run_id: &str) {
    if let Err(e) = engine.state.release_lease(&key(tenant, pipeline), run_id, owner()).await {
        tracing::warn!(tenant, run_id, "run lock not released, it expires on its own: {e}");
    }
}

/// Drives `work` while renewing the lock every third of its lifetime. When the lock turns out
/// to be someone else's, `work` is dropped at once — as a crash would stop it, which every step
/// survives — and [`RunError::LeaseLost`] says who has it.
pub async fn hold<T>(
    engine: &Engine,
    tenant: &str,
    pipeline: &str,
    run_id: &str,
    work: impl Future<Output = T>,
) -> Result<T, RunError> {
    let renewals = async {
        let every = lease_ttl() / 3;
        loop {
            tokio::time::sleep(every).await;
            let now = Utc::now();
            match engine.state.acquire_lease(&lease(tenant, pipeline, run_id, now), &instant(now), None).await {
                Ok(LeaseGrant::Acquired) => {}
                Ok(LeaseGrant::Held(held)) => {
                    tracing::warn!(tenant, run_id, holder = %held.holder, owner = %held.owner, "run lock lost; stopping");
                    return RunError::LeaseLost {
                        tenant: tenant.into(),
                        run_id: run_id.into(),
                        holder: held.holder,
                        owner: held.owner,
                    };
                }
                // The next renewal tries again; the lease outlives two missed ones.
                Err(e) => tracing::warn!(tenant, run_id, "run lock not renewed: {e}"),
            }
        }
    };
    tokio::select! {
        output = work => Ok(output),
        lost = renewals => Err(lost),
    }
}
