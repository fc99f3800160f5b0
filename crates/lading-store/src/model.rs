//! What the state store keeps: runs, steps, quarantined records, dead letters.

use lading_core::Issue;
use serde::{Deserialize, Serialize};

/// Where a run or a step stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Status> {
        [Status::Pending, Status::Running, Status::Succeeded, Status::Failed].into_iter().find(|s| s.as_str() == raw)
    }
}

/// Record counts of a run. `valid + quarantined = extracted`;
/// `created + updated + unchanged + failed = valid` once the run has finished.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub extracted: u64,
    pub valid: u64,
    pub quarantined: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
}

impl Counters {
    pub fn add(&mut self, other: &Counters) {
        self.extracted += other.extracted;
        self.valid += other.valid;
        self.quarantined += other.quarantined;
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.failed += other.failed;
    }
}

/// One run of one pipeline for one tenant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub tenant_id: String,
    pub pipeline: String,
    pub status: Status,
    /// `manual`, `schedule`, `demo`, …
    pub trigger: String,
    /// A full (bulk) load that ignores the incremental hashes.
    pub full: bool,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub counters: Counters,
    pub error: Option<String>,
    /// The step that failed after its retries, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<String>,
    /// What the run is for, as its pipeline reads it (dates, windows); kept so a resumed run
    /// does the same work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
}

/// One step of a run. `output_ref` is an object key (or a small JSON of keys): steps pass
/// references, never payloads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub run_id: String,
    pub name: String,
    pub status: Status,
    pub attempts: u32,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub duration_ms: u64,
    pub output_ref: Option<String>,
    pub error: Option<String>,
}

/// A record that failed validation, kept with every reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    pub tenant_id: String,
    pub run_id: String,
    pub pipeline: String,
    pub record_key: String,
    pub reasons: Vec<Issue>,
    pub payload: serde_json::Value,
    pub created_at: String,
}

/// A record or batch that still failed after its retries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub id: i64,
    pub tenant_id: String,
    pub run_id: String,
    pub pipeline: String,
    pub record_key: String,
    pub payload: serde_json::Value,
    pub error: String,
    pub attempts: u32,
    pub created_at: String,
    pub replayed_at: Option<String>,
}

/// Filter for listing runs, newest first.
#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    pub tenant_id: Option<String>,
    pub status: Option<Status>,
    pub pipeline: Option<String>,
    /// Runs started at or after this RFC 3339 instant.
    pub since: Option<String>,
    /// Runs started strictly before this RFC 3339 instant (the next page of a listing).
    pub before: Option<String>,
    /// At most this many runs; 0 means 100.
    pub limit: usize,
}

/// What a user may do. An admin may do everything an operator may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Operator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        [Role::Operator, Role::Admin].into_iter().find(|r| r.as_str() == raw)
    }

    /// Whether a user with this role may do what `required` allows.
    pub fn allows(self, required: Role) -> bool {
        self >= required
    }
}

/// A person who signs in to the server. The password is kept only as an argon2id PHC string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub role: Role,
    pub password_hash: String,
    pub enabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A lease on a named lock (the run lock of a tenant's pipeline): `holder` (a run) holds `key`
/// in `owner` (a process) until `expires_at`.
///
/// Instants are RFC 3339 UTC with milliseconds (`2026-01-01T00:00:00.000Z`), so comparing them
/// as text compares them in time, as a DynamoDB condition on a string attribute would.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub key: String,
    pub holder: String,
    pub owner: String,
    pub expires_at: String,
}

/// What [`crate::StateStore::acquire_lease`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseGrant {
    /// The lease is the caller's until the `expires_at` it asked for.
    Acquired,
    /// Someone else holds it; nothing was written.
    Held(Lease),
}
