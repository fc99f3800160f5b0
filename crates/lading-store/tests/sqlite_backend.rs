//! The embedded backends against the conformance suite, plus what only they can get wrong.

use lading_core::Secret;
use lading_store::conformance;
use lading_store::secrets::{SecretKey, SqliteSecrets};
use lading_store::sqlite::SqliteState;
use lading_store::{Objects, SecretStore};
use std::sync::Arc;

const KEY_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const KEY_B: &str = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#[tokio::test]
async fn sqlite_state_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteState::open(&dir.path().join("state.db")).unwrap();
    conformance::state_store_suite(&store).await;
}

#[tokio::test]
async fn sqlite_secrets_pass_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let state = Arc::new(SqliteState::open(&dir.path().join("state.db")).unwrap());
    let secrets = SqliteSecrets::new(state, &SecretKey::from_hex(KEY_A).unwrap());
    conformance::secret_store_suite(&secrets).await;
}

#[tokio::test]
async fn secrets_are_encrypted_at_rest_and_bound_to_the_key_and_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let state = Arc::new(SqliteState::open(&db).unwrap());
    let secrets = SqliteSecrets::new(state.clone(), &SecretKey::from_hex(KEY_A).unwrap());
    secrets.put_secret("siesa-integration/acme/kong", &Secret::new("plain-text-password")).await.unwrap();
    drop(secrets);
    drop(state);

    let raw = std::fs::read(&db).unwrap();
    let wal = std::fs::read(dir.path().join("state.db-wal")).unwrap_or_default();
    let needle = b"plain-text-password";
    assert!(!raw.windows(needle.len()).any(|w| w == needle));
    assert!(!wal.windows(needle.len()).any(|w| w == needle));

    let state = Arc::new(SqliteState::open(&db).unwrap());
    let wrong_key = SqliteSecrets::new(state.clone(), &SecretKey::from_hex(KEY_B).unwrap());
    let err = wrong_key.get_secret("siesa-integration/acme/kong").await.unwrap_err().to_string();
    assert!(err.contains("cannot decrypt"), "{err}");
    assert!(!err.contains("plain-text-password"));

    // A ciphertext moved under another tenant's name must not decrypt.
    {
        let connection = rusqlite::Connection::open(&db).unwrap();
        connection
            .execute("INSERT INTO secrets (name, nonce, ciphertext) SELECT 'siesa-integration/globex/kong', nonce, ciphertext FROM secrets", [])
            .unwrap();
    }
    let right_key = SqliteSecrets::new(state, &SecretKey::from_hex(KEY_A).unwrap());
    assert_eq!(
        right_key.get_secret("siesa-integration/acme/kong").await.unwrap().unwrap().expose(),
        "plain-text-password"
    );
    assert!(right_key.get_secret("siesa-integration/globex/kong").await.is_err());
}

#[test]
fn a_key_file_is_created_once_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.key");
    let first = SecretKey::from_env_or_file(&path);
    let second = SecretKey::from_env_or_file(&path);
    assert!(first.is_ok() && second.is_ok());
    assert_eq!(std::fs::read_to_string(&path).unwrap().len(), 64);
    std::fs::write(&path, "not hex").unwrap();
    let err = SecretKey::from_env_or_file(&path).unwrap_err().to_string();
    if std::env::var(lading_store::secrets::SECRET_KEY_ENV).is_err() {
        assert!(err.contains("64 hex characters"), "{err}");
    }
}

#[test]
fn a_truncated_database_is_reported_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    {
        let _store = SqliteState::open(&db).unwrap();
    }
    let _ = std::fs::remove_file(dir.path().join("state.db-wal"));
    let bytes = std::fs::read(&db).unwrap();
    std::fs::write(&db, &bytes[..bytes.len() / 2 + 7]).unwrap();
    match SqliteState::open(&db) {
        Ok(_) => panic!("a truncated database must not open silently"),
        Err(err) => {
            let text = err.to_string();
            assert!(text.contains("state.db"), "{text}");
            assert!(text.contains("backup"), "{text}");
        }
    }
}

#[tokio::test]
async fn local_objects_pass_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    conformance::objects_suite(&Objects::local(dir.path()).unwrap()).await;
}

#[tokio::test]
async fn objects_round_trip_and_name_missing_keys() {
    let dir = tempfile::tempdir().unwrap();
    let objects = Objects::local(dir.path()).unwrap();
    objects.put_json("staged/acme/r1/batch-0001.json", &serde_json::json!({"n": 1})).await.unwrap();
    objects.put_json("staged/acme/r1/batch-0000.json", &serde_json::json!({"n": 0})).await.unwrap();
    let value: serde_json::Value = objects.get_json("staged/acme/r1/batch-0001.json").await.unwrap();
    assert_eq!(value["n"], 1);
    assert_eq!(
        objects.list("staged/acme/r1").await.unwrap(),
        vec!["staged/acme/r1/batch-0000.json", "staged/acme/r1/batch-0001.json"]
    );
    assert!(objects.exists("staged/acme/r1/batch-0000.json").await.unwrap());
    let err = objects.get("staged/acme/r1/batch-0009.json").await.unwrap_err().to_string();
    assert!(err.contains("batch-0009") && err.contains("missing"), "{err}");
}
