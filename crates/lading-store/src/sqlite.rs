//! The embedded state backend: one SQLite file in WAL mode.
//!
//! Calls are short and local, so a mutex around one connection is simpler and faster than a
//! pool; the async methods answer without awaiting anything.

use crate::error::StoreError;
use crate::model::*;
use crate::ports::{Result, StateStore};
use async_trait::async_trait;
use lading_core::TenantId;
use lading_core::config::RawTenantConfig;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS tenants (
    tenant_id TEXT PRIMARY KEY,
    product_type TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    body TEXT NOT NULL
);
DROP INDEX IF EXISTS runs_by_tenant;
CREATE INDEX IF NOT EXISTS runs_by_tenant_start ON runs (tenant_id, started_at, run_id);
DROP INDEX IF EXISTS runs_by_start;
CREATE INDEX IF NOT EXISTS runs_by_start_id ON runs (started_at, run_id);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS quarantine (
    run_id TEXT NOT NULL,
    record_key TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (run_id, record_key)
);
CREATE INDEX IF NOT EXISTS quarantine_by_tenant ON quarantine (tenant_id);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_record
    ON dead_letters (json_extract(body, '$.run_id'), json_extract(body, '$.record_key'));
CREATE TABLE IF NOT EXISTS leases (
    key TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS record_hashes (
    tenant_id TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    record_key TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, pipeline, record_key)
);
CREATE TABLE IF NOT EXISTS table_rows (
    tenant_id TEXT NOT NULL,
    table_name TEXT NOT NULL,
    row_key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, table_name, row_key)
);
CREATE TABLE IF NOT EXISTS table_versions (
    tenant_id TEXT NOT NULL,
    table_name TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, table_name)
);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS revoked_tokens (
    token_id TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL
);
"#;

/// SQLite state store. Open one per data directory and share it (`Arc`).
pub struct SqliteState {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl SqliteState {
    /// Opens (creating if needed) the database, checks its integrity and applies the schema.
    pub fn open(path: &Path) -> Result<SqliteState> {
        let display = path.display().to_string();
        let db_error = |err: rusqlite::Error| StoreError::Database {
            path: display.clone(),
            message: format!("{err}; if the file is damaged, restore it from a backup or move it aside to start empty"),
        };
        let connection = Connection::open(path).map_err(db_error)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(db_error)?;
        let check: String = connection.query_row("PRAGMA quick_check", [], |row| row.get(0)).map_err(db_error)?;
        if check != "ok" {
            return Err(StoreError::Database {
                path: display,
                message: format!("integrity check failed ({check}); restore the file from a backup"),
            });
        }
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(db_error)?;
        connection.execute_batch(SCHEMA).map_err(db_error)?;
        // Tables written before versions were kept get one, so `tenants_with_table` finds them.
        connection
            .execute_batch(
                "INSERT OR IGNORE INTO table_versions (tenant_id, table_name, version)
                 SELECT DISTINCT tenant_id, table_name, 1 FROM table_rows
                 WHERE NOT EXISTS (SELECT 1 FROM table_versions)",
            )
            .map_err(db_error)?;
        Ok(SqliteState { path: path.to_path_buf(), connection: Mutex::new(connection) })
    }

    /// Writes a consistent copy of the database to `target` (which must not exist) while
    /// readers and writers go on: SQLite's `VACUUM INTO`.
    pub fn backup_to(&self, target: &Path) -> Result<()> {
        let target_text = target.to_str().ok_or_else(|| self.error("the backup path is not valid UTF-8"))?;
        self.lock().execute("VACUUM INTO ?1", [target_text]).map_err(|e| self.error(e))?;
        Ok(())
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<SqliteState> {
        let connection = Connection::open_in_memory()
            .map_err(|e| StoreError::Database { path: ":memory:".into(), message: e.to_string() })?;
        connection
            .execute_batch(SCHEMA)
            .map_err(|e| StoreError::Database { path: ":memory:".into(), message: e.to_string() })?;
        Ok(SqliteState { path: PathBuf::from(":memory:"), connection: Mutex::new(connection) })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A poisoned lock only means another thread panicked mid-call; SQLite's own
        // transactions keep the file consistent, so the connection is still usable.
        self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn error(&self, err: impl std::fmt::Display) -> StoreError {
        StoreError::Database { path: self.path.display().to_string(), message: err.to_string() }
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, what: &str, body: &str) -> Result<T> {
        serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("{what} in {}: {e}", self.path.display())))
    }

    fn write_rows(
        &self,
        tenant: &TenantId,
        table: &str,
        rows: &[(String, serde_json::Value)],
        replace: bool,
    ) -> Result<()> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(|e| self.error(e))?;
        if replace {
            transaction
                .execute(
                    "DELETE FROM table_rows WHERE tenant_id = ?1 AND table_name = ?2",
                    params![tenant.as_str(), table],
                )
                .map_err(|e| self.error(e))?;
        }
        {
            let mut statement = transaction
                .prepare(
                    "INSERT INTO table_rows (tenant_id, table_name, row_key, body) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (tenant_id, table_name, row_key) DO UPDATE SET body = ?4",
                )
                .map_err(|e| self.error(e))?;
            for (key, value) in rows {
                let body = self.encode(value)?;
                statement.execute(params![tenant.as_str(), table, key, body]).map_err(|e| self.error(e))?;
            }
        }
        transaction
            .execute(
                "INSERT INTO table_versions (tenant_id, table_name, version) VALUES (?1, ?2, 1)
                 ON CONFLICT (tenant_id, table_name) DO UPDATE SET version = version + 1",
                params![tenant.as_str(), table],
            )
            .map_err(|e| self.error(e))?;
        transaction.commit().map_err(|e| self.error(e))
    }

    fn encode<T: serde::Serialize>(&self, value: &T) -> Result<String> {
        serde_json::to_string(value).map_err(|e| self.error(e))
    }
}

#[async_trait]
impl StateStore for SqliteState {
    async fn put_tenant(&self, config: &RawTenantConfig) -> Result<()> {
        let body = self.encode(config)?;
        self.lock()
            .execute(
                "INSERT INTO tenants (tenant_id, product_type, enabled, config) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tenant_id) DO UPDATE SET product_type = ?2, enabled = ?3, config = ?4",
                params![config.tenant_id, config.product_type, config.enabled, body],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<RawTenantConfig>> {
        let body: Option<String> = self
            .lock()
            .query_row("SELECT config FROM tenants WHERE tenant_id = ?1", [tenant.as_str()], |row| row.get(0))
            .optional()
            .map_err(|e| self.error(e))?;
        body.map(|b| self.decode("tenant config", &b)).transpose()
    }

    async fn list_tenants(&self) -> Result<Vec<RawTenantConfig>> {
        let bodies: Vec<String> = {
            let connection = self.lock();
            let mut statement =
                connection.prepare("SELECT config FROM tenants ORDER BY tenant_id").map_err(|e| self.error(e))?;
            let rows = statement.query_map([], |row| row.get(0)).map_err(|e| self.error(e))?;
            rows.collect::<std::result::Result<_, _>>().map_err(|e| self.error(e))?
        };
        bodies.iter().map(|b| self.decode("tenant config", b)).collect()
    }

    async fn set_tenant_enabled(&self, tenant: &TenantId, enabled: bool) -> Result<()> {
        let mut config = self.get_tenant(tenant).await?.ok_or_else(|| StoreError::UnknownTenant(tenant.to_string()))?;
        config.enabled = enabled;
        self.put_tenant(&config).await
    }

    async fn put_run(&self, run: &RunRecord) -> Result<()> {
        let body = self.encode(run)?;
        self.lock()
            .execute(
                "INSERT INTO runs (run_id, tenant_id, pipeline, status, started_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (run_id) DO UPDATE SET status = ?4, body = ?6",
                params![run.run_id, run.tenant_id, run.pipeline, run.status.as_str(), run.started_at, body],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    async fn get_run(&self, run_id: &str) -> Result<Option<RunRecord>> {
        let body: Option<String> = self
            .lock()
            .query_row("SELECT body FROM runs WHERE run_id = ?1", [run_id], |row| row.get(0))
            .optional()
            .map_err(|e| self.error(e))?;
        body.map(|b| self.decode("run", &b)).transpose()
    }

    async fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>> {
        let limit = if filter.limit == 0 { 100 } else { filter.limit } as i64;
        // Only the conditions given, so SQLite can walk `runs_by_tenant` or `runs_by_start`
        // in order and stop at the limit (an `?1 IS NULL OR …` form defeats the indexes).
        let status = filter.status.map(Status::as_str);
        let mut conditions = Vec::new();
        let mut values: Vec<&str> = Vec::new();
        for (column, op, value) in [
            ("tenant_id", "=", filter.tenant_id.as_deref()),
            ("status", "=", status),
            ("pipeline", "=", filter.pipeline.as_deref()),
            ("started_at", ">=", filter.since.as_deref()),
            ("started_at", "<", filter.before.as_deref()),
        ] {
            if let Some(value) = value {
                values.push(value);
                conditions.push(format!("{column} {op} ?{}", values.len()));
            }
        }
        let clause = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!("SELECT body FROM runs {clause} ORDER BY started_at DESC, run_id DESC LIMIT {limit}");
        let bodies: Vec<String> = {
            let connection = self.lock();
            let mut statement = connection.prepare_cached(&sql).map_err(|e| self.error(e))?;
            let rows = statement
                .query_map(rusqlite::params_from_iter(values.iter()), |row| row.get(0))
                .map_err(|e| self.error(e))?;
            rows.collect::<std::result::Result<_, _>>().map_err(|e| self.error(e))?
        };
        bodies.iter().map(|b| self.decode("run", b)).collect()
    }

    async fn put_step(&self, step: &StepRecord) -> Result<()> {
        let body = self.encode(step)?;
        self.lock()
            .execute(
                "INSERT INTO steps (run_id, name, seq, body)
                 VALUES (?1, ?2, (SELECT COUNT(*) FROM steps WHERE run_id = ?1), ?3)
                 ON CONFLICT (run_id, name) DO UPDATE SET body = ?3",
                params![step.run_id, step.name, body],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    async fn list_steps(&self, run_id: &str) -> Result<Vec<StepRecord>> {
        let bodies: Vec<String> = {
            let connection = self.lock();
            let mut statement = connection
                .prepare("SELECT body FROM steps WHERE run_id = ?1 ORDER BY seq")
                .map_err(|e| self.error(e))?;
            let rows = statement.query_map([run_id], |row| row.get(0)).map_err(|e| self.error(e))?;
            rows.collect::<std::result::Result<_, _>>().map_err(|e| self.error(e))?
        };
        bodies.iter().map(|b| self.decode("step", b)).collect()
    }

    async fn quarantine(&self, entries: &[QuarantineEntry]) -> Result<()> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(|e| self.error(e))?;
        {
            let mut statement = transaction
                .prepare(
                    "INSERT INTO quarantine (run_id, record_key, tenant_id, body) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (run_id, record_key) DO UPDATE SET body = ?4",
                )
                .map_err(|e| self.error(e))?;
            for entry in entries {
                let body = self.encode(entry)?;
                statement
                    .execute(params![entry.run_id, entry.record_key, entry.tenant_id, body])
                    .map_err(|e| self.error(e))?;
            }
        }
        transaction.commit().map_err(|e| self.error(e))
    }

    async fn list_quarantine(
        &self,
        tenant: Option<&TenantId>,
        run_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<QuarantineEntry>> {
        let limit = if limit == 0 { i64::MAX } else { limit as i64 };
        let bodies: Vec<String> = {
            let connection = self.lock();
            let mut statement = connection
                .prepare(
                    "SELECT body FROM quarantine WHERE (?1 IS NULL OR tenant_id = ?1) AND (?2 IS NULL OR run_id = ?2)
                     ORDER BY rowid LIMIT ?3",
                )
                .map_err(|e| self.error(e))?;
            let rows = statement
                .query_map(params![tenant.map(TenantId::as_str), run_id, limit], |row| row.get(0))
                .map_err(|e| self.error(e))?;
            rows.collect::<std::result::Result<_, _>>().map_err(|e| self.error(e))?
        };
        bodies.iter().map(|b| self.decode("quarantine entry", b)).collect()
    }

    async fn put_dead_letters(&self, letters: &[DeadLetter]) -> Result<()> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(|e| self.error(e))?;
        for letter in letters {
            let held: Option<i64> = transaction
                .query_row(
                    "SELECT 1 FROM dead_letters WHERE json_extract(body, '$.run_id') = ?1
                     AND json_extract(body, '$.record_key') = ?2 AND json_extract(body, '$.pipeline') = ?3",
                    params![letter.run_id, letter.record_key, letter.pipeline],
                    |row| row.get(0),
                )
                .optional()
                .map_err(|e| self.error(e))?;
            if held.is_some() {
                continue;
            }
            transaction
                .execute("INSERT INTO dead_letters (tenant_id, body) VALUES (?1, '{}')", [&letter.tenant_id])
                .map_err(|e| self.error(e))?;
            let id = transaction.last_insert_rowid();
            let body = self.encode(&DeadLetter { id, ..letter.clone() })?;
            transaction
                .execute("UPDATE dead_letters SET body = ?1 WHERE id = ?2", params![body, id])
                .map_err(|e| self.error(e))?;
        }
        transaction.commit().map_err(|e| self.error(e))
    }

    async fn list_dead_letters(&self, tenant: Option<&TenantId>, limit: usize) -> Result<Vec<DeadLetter>> {
        let limit = if limit == 0 { i64::MAX } else { limit as i64 };
        let bodies: Vec<String> = {
            let connection = self.lock();
            let mut statement = connection
                .prepare("SELECT body FROM dead_letters WHERE (?1 IS NULL OR tenant_id = ?1) ORDER BY id LIMIT ?2")
                .map_err(|e| self.error(e))?;
            let rows = statement
                .query_map(params![tenant.map(TenantId::as_str), limit], |row| row.get(0))
                .map_err(|e| self.error(e))?;
            rows.collect::<std::result::Result<_, _>>().map_err(|e| self.error(e))?
        };
        bodies.iter().map(|b| self.decode("dead letter", b)).collect()
    }

    async fn get_dead_letter(&self, id: i64) -> Result<Option<DeadLetter>> {
        let body: Option<String> = self
            .lock()
            .query_row("SELECT body FROM dead_letters WHERE id = ?1", [id], |row| row.get(0))
            .optional()
            .map_err(|e| self.error(e))?;
        body.map(|b| self.decode("dead letter", &b)).transpose()
    }

    async fn mark_dead_letter_replayed(&self, id: i64, replayed_at: &str) -> Result<()> {
        let mut letter = self
            .get_dead_letter(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("dead letter {id} vanished while being replayed")))?;
        letter.replayed_at = Some(replayed_at.to_string());
        let body = self.encode(&letter)?;
        self.lock()
            .execute("UPDATE dead_letters SET body = ?1 WHERE id = ?2", params![body, id])
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    async fn delete_quarantine(&self, run_id: &str, record_key: &str) -> Result<bool> {
        let deleted = self
            .lock()
            .execute("DELETE FROM quarantine WHERE run_id = ?1 AND record_key = ?2", params![run_id, record_key])
            .map_err(|e| self.error(e))?;
        Ok(deleted > 0)
    }

    async fn get_hashes(&self, tenant: &TenantId, pipeline: &str) -> Result<HashMap<String, String>> {
        let connection = self.lock();
        let mut statement = connection
            .prepare("SELECT record_key, hash FROM record_hashes WHERE tenant_id = ?1 AND pipeline = ?2")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(params![tenant.as_str(), pipeline], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|e| self.error(e))?;
        rows.collect::<std::result::Result<_, _>>().map_err(|e| self.error(e))
    }

    async fn put_hashes(&self, tenant: &TenantId, pipeline: &str, hashes: &[(String, String)]) -> Result<()> {
        let mut connection = self.lock();
        let transaction = connection.transaction().map_err(|e| self.error(e))?;
        {
            let mut statement = transaction
                .prepare(
                    "INSERT INTO record_hashes (tenant_id, pipeline, record_key, hash) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (tenant_id, pipeline, record_key) DO UPDATE SET hash = ?4",
                )
                .map_err(|e| self.error(e))?;
            for (key, hash) in hashes {
                statement.execute(params![tenant.as_str(), pipeline, key, hash]).map_err(|e| self.error(e))?;
            }
        }
        transaction.commit().map_err(|e| self.error(e))
    }

    async fn replace_table(&self, tenant: &TenantId, table: &str, rows: &[(String, serde_json::Value)]) -> Result<()> {
        self.write_rows(tenant, table, rows, true)
    }

    async fn upsert_rows(&self, tenant: &TenantId, table: &str, rows: &[(String, serde_json::Value)]) -> Result<()> {
        self.write_rows(tenant, table, rows, false)
    }

    async fn get_table(&self, tenant: &TenantId, table: &str) -> Result<Vec<(String, serde_json::Value)>> {
        let rows: Vec<(String, String)> = {
            let connection = self.lock();
            let mut statement = connection
                .prepare(
                    "SELECT row_key, body FROM table_rows WHERE tenant_id = ?1 AND table_name = ?2 ORDER BY row_key",
                )
                .map_err(|e| self.error(e))?;
            let rows = statement
                .query_map(params![tenant.as_str(), table], |row| Ok((row.get(0)?, row.get(1)?)))
                .map_err(|e| self.error(e))?;
            rows.collect::<std::result::Result<_, _>>().map_err(|e| self.error(e))?
        };
        rows.into_iter().map(|(key, body)| Ok((key, self.decode(table, &body)?))).collect()
    }

    async fn tenants_with_table(&self, table: &str) -> Result<Vec<TenantId>> {
        let names: Vec<String> = {
            let connection = self.lock();
            let mut statement = connection
                // Through the versions (one row per tenant and table) and the primary key's
                // (tenant, table) prefix: no scan of the table's rows.
                .prepare(
                    "SELECT v.tenant_id FROM table_versions v WHERE v.table_name = ?1 AND EXISTS
                     (SELECT 1 FROM table_rows r WHERE r.tenant_id = v.tenant_id AND r.table_name = ?1)
                     ORDER BY v.tenant_id",
                )
                .map_err(|e| self.error(e))?;
            let rows = statement.query_map([table], |row| row.get(0)).map_err(|e| self.error(e))?;
            rows.collect::<std::result::Result<_, _>>().map_err(|e| self.error(e))?
        };
        names
            .into_iter()
            .map(|name| TenantId::parse(&name).map_err(|e| StoreError::Corrupt(format!("table {table}: {e}"))))
            .collect()
    }

    async fn get_row(&self, tenant: &TenantId, table: &str, key: &str) -> Result<Option<serde_json::Value>> {
        let body: Option<String> = self
            .lock()
            .query_row(
                "SELECT body FROM table_rows WHERE tenant_id = ?1 AND table_name = ?2 AND row_key = ?3",
                params![tenant.as_str(), table, key],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        body.map(|b| self.decode(table, &b)).transpose()
    }

    async fn table_version(&self, tenant: &TenantId, table: &str) -> Result<u64> {
        let version: Option<i64> = self
            .lock()
            .query_row(
                "SELECT version FROM table_versions WHERE tenant_id = ?1 AND table_name = ?2",
                params![tenant.as_str(), table],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        Ok(version.unwrap_or(0) as u64)
    }

    async fn put_user(&self, user: &User) -> Result<()> {
        let body = self.encode(user)?;
        self.lock()
            .execute(
                "INSERT INTO users (username, body) VALUES (?1, ?2) ON CONFLICT (username) DO UPDATE SET body = ?2",
                params![user.username, body],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    async fn get_user(&self, username: &str) -> Result<Option<User>> {
        let body: Option<String> = self
            .lock()
            .query_row("SELECT body FROM users WHERE username = ?1", [username], |row| row.get(0))
            .optional()
            .map_err(|e| self.error(e))?;
        body.map(|b| self.decode("user", &b)).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let bodies: Vec<String> = {
            let connection = self.lock();
            let mut statement =
                connection.prepare("SELECT body FROM users ORDER BY username").map_err(|e| self.error(e))?;
            let rows = statement.query_map([], |row| row.get(0)).map_err(|e| self.error(e))?;
            rows.collect::<std::result::Result<_, _>>().map_err(|e| self.error(e))?
        };
        bodies.iter().map(|b| self.decode("user", b)).collect()
    }

    async fn delete_user(&self, username: &str) -> Result<bool> {
        let deleted =
            self.lock().execute("DELETE FROM users WHERE username = ?1", [username]).map_err(|e| self.error(e))?;
        Ok(deleted > 0)
    }

    async fn revoke_token(&self, token_id: &str, expires_at: &str) -> Result<()> {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let connection = self.lock();
        connection.execute("DELETE FROM revoked_tokens WHERE expires_at < ?1", [now]).map_err(|e| self.error(e))?;
        connection
            .execute(
                "INSERT INTO revoked_tokens (token_id, expires_at) VALUES (?1, ?2) ON CONFLICT (token_id) DO NOTHING",
                params![token_id, expires_at],
            )
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    async fn is_token_revoked(&self, token_id: &str) -> Result<bool> {
        let found: Option<i64> = self
            .lock()
            .query_row("SELECT 1 FROM revoked_tokens WHERE token_id = ?1", [token_id], |row| row.get(0))
            .optional()
            .map_err(|e| self.error(e))?;
        Ok(found.is_some())
    }

    async fn acquire_lease(&self, lease: &Lease, now: &str, take_over_from: Option<&str>) -> Result<LeaseGrant> {
        let connection = self.lock();
        // Another process may free the lease between the write and the read that says who holds
        // it; then the write is tried again.
        loop {
            // One statement: SQLite applies it atomically, even against another process.
            let written = connection
                .execute(
                    "INSERT INTO leases (key, holder, owner, expires_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (key) DO UPDATE SET holder = ?2, owner = ?3, expires_at = ?4
                     WHERE leases.expires_at <= ?5 OR (leases.holder = ?2 AND leases.owner = ?3)
                     OR leases.holder = ?6",
                    params![lease.key, lease.holder, lease.owner, lease.expires_at, now, take_over_from],
                )
                .map_err(|e| self.error(e))?;
            if written == 1 {
                return Ok(LeaseGrant::Acquired);
            }
            let held = connection
                .query_row("SELECT key, holder, owner, expires_at FROM leases WHERE key = ?1", [&lease.key], |row| {
                    Ok(Lease { key: row.get(0)?, holder: row.get(1)?, owner: row.get(2)?, expires_at: row.get(3)? })
                })
                .optional()
                .map_err(|e| self.error(e))?;
            if let Some(held) = held {
                return Ok(LeaseGrant::Held(held));
            }
        }
    }

    async fn release_lease(&self, key: &str, holder: &str, owner: &str) -> Result<bool> {
        let deleted = self
            .lock()
            .execute("DELETE FROM leases WHERE key = ?1 AND holder = ?2 AND owner = ?3", params![key, holder, owner])
            .map_err(|e| self.error(e))?;
        Ok(deleted > 0)
    }

    async fn get_lease(&self, key: &str) -> Result<Option<Lease>> {
        self.lock()
            .query_row("SELECT key, holder, owner, expires_at FROM leases WHERE key = ?1", [key], |row| {
                Ok(Lease { key: row.get(0)?, holder: row.get(1)?, owner: row.get(2)?, expires_at: row.get(3)? })
            })
            .optional()
            .map_err(|e| self.error(e))
    }
}
