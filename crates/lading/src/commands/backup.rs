//! `lading backup` and `lading restore`: the embedded data directory copied whole.
//!
//! A backup holds `state.db` (a consistent snapshot taken with `VACUUM INTO`, so Lading may keep
//! running), `objects/` and, when the key is kept in the directory, `secret.key`, which decrypts
//! the secrets: keep backups as safe as the key itself. A restore checks the snapshot's
//! integrity before it replaces anything.

use crate::exit::{Failure, NOT_FOUND};
use crate::output;
use lading_store::sqlite::SqliteState;
use std::path::Path;
use std::process::ExitCode;

const STATE: &str = "state.db";
const OBJECTS: &str = "objects";
const KEY: &str = "secret.key";

pub fn backup(data_dir: &Path, target: &Path, json: bool) -> Result<ExitCode, Failure> {
    let state_path = data_dir.join(STATE);
    if !state_path.exists() {
        return Err(Failure::new(NOT_FOUND, format!("{} holds no state.db: nothing to back up", data_dir.display())));
    }
    if target.exists() {
        return Err(Failure::invalid(format!("{} exists; choose a new directory for the backup", target.display())));
    }
    std::fs::create_dir_all(target)
        .map_err(|e| Failure::internal(format!("cannot create {}: {e}", target.display())))?;
    let state = SqliteState::open(&state_path)?;
    state.backup_to(&target.join(STATE))?;
    let objects = copy_tree(&data_dir.join(OBJECTS), &target.join(OBJECTS))?;
    let key = data_dir.join(KEY);
    let key_copied = key.exists();
    if key_copied {
        std::fs::copy(&key, target.join(KEY)).map_err(|e| Failure::internal(format!("cannot copy the key: {e}")))?;
    }
    if json {
        output::json(&serde_json::json!({"target": target, "objects": objects, "secret_key": key_copied}));
    } else {
        println!("backup written to {}: state.db, {objects} objects", target.display());
        if key_copied {
            println!("it holds secret.key, which decrypts the secrets: store it as safely as the key itself");
        } else {
            println!("the secret key comes from LADING_SECRET_KEY and is not in the backup: keep it with the backup");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn restore(source: &Path, data_dir: &Path, force: bool, json: bool) -> Result<ExitCode, Failure> {
    let snapshot = source.join(STATE);
    if !snapshot.exists() {
        return Err(Failure::new(
            NOT_FOUND,
            format!("{} is not a Lading backup: it has no state.db", source.display()),
        ));
    }
    // Opening runs SQLite's integrity check: a damaged snapshot is refused before anything changes.
    drop(SqliteState::open(&snapshot)?);
    if data_dir.join(STATE).exists() && !force {
        return Err(Failure::invalid(format!(
            "{} already holds state; stop `lading serve`, then pass --force to replace it",
            data_dir.display()
        )));
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| Failure::internal(format!("cannot create {}: {e}", data_dir.display())))?;
    for stale in ["state.db-wal", "state.db-shm"] {
        let _ = std::fs::remove_file(data_dir.join(stale));
    }
    std::fs::copy(&snapshot, data_dir.join(STATE))
        .map_err(|e| Failure::internal(format!("cannot copy state.db: {e}")))?;
    let objects_dir = data_dir.join(OBJECTS);
    if objects_dir.exists() {
        std::fs::remove_dir_all(&objects_dir)
            .map_err(|e| Failure::internal(format!("cannot replace {}: {e}", objects_dir.display())))?;
    }
    let objects = copy_tree(&source.join(OBJECTS), &objects_dir)?;
    if source.join(KEY).exists() {
        std::fs::copy(source.join(KEY), data_dir.join(KEY))
            .map_err(|e| Failure::internal(format!("cannot copy the key: {e}")))?;
    }
    if json {
        output::json(&serde_json::json!({"restored": data_dir, "objects": objects}));
    } else {
        println!("restored {} from {}: state.db, {objects} objects", data_dir.display(), source.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Copies a directory tree; returns the files copied (0 when `from` does not exist).
fn copy_tree(from: &Path, to: &Path) -> Result<usize, Failure> {
    if !from.exists() {
        return Ok(0);
    }
    let io = |e: std::io::Error, path: &Path| Failure::internal(format!("{}: {e}", path.display()));
    std::fs::create_dir_all(to).map_err(|e| io(e, to))?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from).map_err(|e| io(e, from))? {
        let entry = entry.map_err(|e| io(e, from))?;
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if entry.file_type().map_err(|e| io(e, &path))?.is_dir() {
            copied += copy_tree(&path, &dest)?;
        } else {
            std::fs::copy(&path, &dest).map_err(|e| io(e, &path))?;
            copied += 1;
        }
    }
    Ok(copied)
}
