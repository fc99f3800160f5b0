//! The ports: what the runtime needs from state and secret storage, whatever the backend.
//!
//! Methods are async because the AWS backends are; the SQLite backend answers at once.

use crate::error::StoreError;
use crate::model::*;
use async_trait::async_trait;
use lading_core::config::RawTenantConfig;
use lading_core::{Secret, TenantId};
use std::collections::HashMap;

pub type Result<T> = std::result::Result<T, StoreError>;

#[async_trait]
pub trait StateStore: Send + Sync {
    /// Creates or replaces a tenant's config.
    async fn put_tenant(&self, config: &RawTenantConfig) -> Result<()>;
    async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<RawTenantConfig>>;
    async fn list_tenants(&self) -> Result<Vec<RawTenantConfig>>;
    /// Fails with [`StoreError::UnknownTenant`] when the tenant does not exist.
    async fn set_tenant_enabled(&self, tenant: &TenantId, enabled: bool) -> Result<()>;

    async fn put_run(&self, run: &RunRecord) -> Result<()>;
    async fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>>;
    async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>>;

    /// Creates or replaces a step, keyed by (run, name).
    async fn put_step(&self, step: &StepRecord) -> Result<()>;
    /// A run's steps in the order they were first written.
    async fn list_steps(&self, run_id: &str) -> Result<Vec<StepRecord>>;

    /// Quarantines records; entries for the same (run, record key) replace each other, so a
    /// retried step does not quarantine a record twice.
    async fn quarantine(&self, entries: &[QuarantineEntry]) -> Result<()>;
    async fn list_quarantine(
        &self,
        tenant: Option<&TenantId>,
        run_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<QuarantineEntry>>;

    /// Adds dead letters; the `id` of the entries is assigned by the store.
    /// A letter for a (run, pipeline, record key) the store already holds is not added again,
    /// so a step executed again after a crash does not dead-letter a record twice.
    async fn put_dead_letters(&self, letters: &[DeadLetter]) -> Result<()>;
    async fn list_dead_letters(&self, tenant: Option<&TenantId>, limit: usize) -> Result<Vec<DeadLetter>>;
    async fn get_dead_letter(&self, id: i64) -> Result<Option<DeadLetter>>;
    /// Records that a dead letter was delivered by a replay (RFC 3339 instant).
    async fn mark_dead_letter_replayed(&self, id: i64, replayed_at: &str) -> Result<()>;
    /// Removes a quarantined record (once a replay delivered it); whether there was one.
    async fn delete_quarantine(&self, run_id: &str, record_key: &str) -> Result<bool>;

    /// The content hash of every record last confirmed by the target, by record key.
    async fn get_hashes(&self, tenant: &TenantId, pipeline: &str) -> Result<HashMap<String, String>>;
    /// Records hashes after the target confirmed the records.
    async fn put_hashes(&self, tenant: &TenantId, pipeline: &str, hashes: &[(String, String)]) -> Result<()>;

    /// Replaces a tenant's table (a master table, generated lines, …) with `rows`, keyed by
    /// their first element, in one transaction: readers see the old or the new table, never a
    /// mix.
    async fn replace_table(&self, tenant: &TenantId, table: &str, rows: &[(String, serde_json::Value)]) -> Result<()>;
    /// Adds or replaces rows of a tenant's table by key.
    async fn upsert_rows(&self, tenant: &TenantId, table: &str, rows: &[(String, serde_json::Value)]) -> Result<()>;
    /// A tenant's table, sorted by key; empty when the table was never written.
    async fn get_table(&self, tenant: &TenantId, table: &str) -> Result<Vec<(String, serde_json::Value)>>;
    /// The tenants that have rows in `table`, sorted.
    async fn tenants_with_table(&self, table: &str) -> Result<Vec<TenantId>>;
    /// One row of a tenant's table.
    async fn get_row(&self, tenant: &TenantId, table: &str, key: &str) -> Result<Option<serde_json::Value>>;
    /// A number that changes whenever a tenant's table is written (0: never written), so a
    /// reader can keep a decoded copy until the table changes.
    async fn table_version(&self, tenant: &TenantId, table: &str) -> Result<u64>;

    /// Creates or replaces a user, keyed by username.
    async fn put_user(&self, user: &User) -> Result<()>;
    async fn get_user(&self, username: &str) -> Result<Option<User>>;
    /// Every user, sorted by username.
    async fn list_users(&self) -> Result<Vec<User>>;
    /// Whether there was such a user.
    async fn delete_user(&self, username: &str) -> Result<bool>;

    /// Revokes a session token by its id until it would have expired anyway (RFC 3339);
    /// expired revocations may be forgotten.
    async fn revoke_token(&self, token_id: &str, expires_at: &str) -> Result<()>;
    async fn is_token_revoked(&self, token_id: &str) -> Result<bool>;

    /// Takes or renews the lease `lease.key` in one conditional write (on DynamoDB, a put with
    /// a condition expression). It is granted when the key is free, when the lease in force
    /// expired at or before `now`, when it is already `lease.holder`'s in `lease.owner` (a
    /// renewal), or when it is `take_over_from`'s whoever its owner (a resumed run taking its
    /// own lease back from a dead process; the stale lease of a finished run). Otherwise the
    /// lease in force comes back and nothing changes.
    async fn acquire_lease(&self, lease: &Lease, now: &str, take_over_from: Option<&str>) -> Result<LeaseGrant>;
    /// Frees `key` if `holder` still holds it in `owner`; whether it did.
    async fn release_lease(&self, key: &str, holder: &str, owner: &str) -> Result<bool>;
    /// The lease in force on `key`, expired or not.
    async fn get_lease(&self, key: &str) -> Result<Option<Lease>>;
}

#[async_trait]
pub trait SecretStore: Send + Sync {
    async fn put_secret(&self, name: &str, value: &Secret) -> Result<()>;
    async fn get_secret(&self, name: &str) -> Result<Option<Secret>>;
    async fn list_secret_names(&self) -> Result<Vec<String>>;
}
