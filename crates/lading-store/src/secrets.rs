//! The embedded secret store: secrets encrypted at rest (ChaCha20-Poly1305) in the state
//! database, with a key from the environment or a key file.
//!
//! Each ciphertext is bound to its secret's name (associated data), so a row copied under
//! another name fails to decrypt instead of leaking one tenant's secret to another.

use crate::error::StoreError;
use crate::ports::{Result, SecretStore};
use crate::sqlite::SqliteState;
use async_trait::async_trait;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use lading_core::Secret;
use rand::RngCore;
use rusqlite::{OptionalExtension, params};
use std::path::Path;
use std::sync::Arc;

/// The environment variable holding the key: 64 hex characters (32 bytes).
pub const SECRET_KEY_ENV: &str = "LADING_SECRET_KEY";

/// A 32-byte encryption key. Never printed.
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    pub fn from_hex(text: &str) -> std::result::Result<SecretKey, String> {
        let bytes = hex::decode(text.trim()).map_err(|_| "the secret key must be 64 hex characters".to_string())?;
        let array: [u8; 32] =
            bytes.try_into().map_err(|_| "the secret key must be 64 hex characters (32 bytes)".to_string())?;
        Ok(SecretKey(array))
    }

    /// The key from `LADING_SECRET_KEY` if set, else from `key_file`, which is created with a
    /// fresh random key (mode 0600) when it does not exist yet.
    pub fn from_env_or_file(key_file: &Path) -> Result<SecretKey> {
        let key_error = |message: String| StoreError::Secret { name: "(encryption key)".into(), message };
        if let Ok(text) = std::env::var(SECRET_KEY_ENV) {
            return SecretKey::from_hex(&text).map_err(|e| key_error(format!("{SECRET_KEY_ENV}: {e}")));
        }
        match std::fs::read_to_string(key_file) {
            Ok(text) => SecretKey::from_hex(&text).map_err(|e| key_error(format!("{}: {e}", key_file.display()))),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                write_private(key_file, &hex::encode(key))
                    .map_err(|e| key_error(format!("cannot create {}: {e}", key_file.display())))?;
                Ok(SecretKey(key))
            }
            Err(err) => Err(key_error(format!("cannot read {}: {err}", key_file.display()))),
        }
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

/// Secrets encrypted in the state database's `secrets` table.
pub struct SqliteSecrets {
    state: Arc<SqliteState>,
    cipher: ChaCha20Poly1305,
}

impl SqliteSecrets {
    pub fn new(state: Arc<SqliteState>, key: &SecretKey) -> SqliteSecrets {
        SqliteSecrets { state, cipher: ChaCha20Poly1305::new(Key::from_slice(&key.0)) }
    }
}

#[async_trait]
impl SecretStore for SqliteSecrets {
    async fn put_secret(&self, name: &str, value: &Secret) -> Result<()> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: value.expose().as_bytes(), aad: name.as_bytes() })
            .map_err(|_| StoreError::Secret { name: name.into(), message: "encryption failed".into() })?;
        self.state
            .lock()
            .execute(
                "INSERT INTO secrets (name, nonce, ciphertext) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET nonce = ?2, ciphertext = ?3",
                params![name, nonce.to_vec(), ciphertext],
            )
            .map_err(|e| self.state.error(e))?;
        Ok(())
    }

    async fn get_secret(&self, name: &str) -> Result<Option<Secret>> {
        let row: Option<(Vec<u8>, Vec<u8>)> = self
            .state
            .lock()
            .query_row("SELECT nonce, ciphertext FROM secrets WHERE name = ?1", [name], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .map_err(|e| self.state.error(e))?;
        let Some((nonce, ciphertext)) = row else { return Ok(None) };
        if nonce.len() != 12 {
            return Err(StoreError::Secret {
                name: name.into(),
                message: "stored nonce is damaged; set the secret again".into(),
            });
        }
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: name.as_bytes() })
            .map_err(|_| StoreError::Secret {
                name: name.into(),
                message: format!("cannot decrypt: the key differs from the one it was stored with ({SECRET_KEY_ENV} or the key file), or the entry was tampered with"),
            })?;
        let text = String::from_utf8(plain)
            .map_err(|_| StoreError::Secret { name: name.into(), message: "decrypted value is not UTF-8".into() })?;
        Ok(Some(Secret::new(text)))
    }

    async fn list_secret_names(&self) -> Result<Vec<String>> {
        let connection = self.state.lock();
        let mut statement =
            connection.prepare("SELECT name FROM secrets ORDER BY name").map_err(|e| self.state.error(e))?;
        let rows = statement.query_map([], |row| row.get(0)).map_err(|e| self.state.error(e))?;
        rows.collect::<std::result::Result<_, _>>().map_err(|e| self.state.error(e))
    }
}
