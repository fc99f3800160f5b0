//! Objects (raw pages, staged batches, reports) over the `object_store` crate.
//!
//! Embedded, the store is a local directory; on AWS the same wrapper sits over S3. Keys are
//! plain `/`-separated paths that always start with a kind and the tenant, e.g.
//! `raw/{tenant}/siesa/{date}/{run}/…`, `staged/{tenant}/{run}/…`, `reports/{tenant}/{run}/…`.

use crate::error::StoreError;
use crate::ports::Result;
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutMode, PutOptions, PutPayload};
use std::sync::Arc;

#[derive(Clone)]
pub struct Objects {
    inner: Arc<dyn ObjectStore>,
}

impl Objects {
    pub fn new(inner: Arc<dyn ObjectStore>) -> Objects {
        Objects { inner }
    }

    /// A store rooted at a local directory, created if needed.
    pub fn local(dir: &std::path::Path) -> Result<Objects> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::object(&dir.display().to_string(), e))?;
        let fs =
            LocalFileSystem::new_with_prefix(dir).map_err(|e| StoreError::object(&dir.display().to_string(), e))?;
        Ok(Objects::new(Arc::new(fs)))
    }

    pub async fn put(&self, key: &str, body: Bytes) -> Result<()> {
        self.inner.put(&ObjectPath::from(key), PutPayload::from(body)).await.map_err(|e| StoreError::object(key, e))?;
        Ok(())
    }

    /// Writes `body` only if no object has `key` yet, and says whether it did. Of two writers
    /// racing for one key exactly one wins (on S3: a conditional `If-None-Match: *` put), so an
    /// append-only log can claim its next key without a lock.
    pub async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<bool> {
        let options = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
        match self.inner.put_opts(&ObjectPath::from(key), PutPayload::from(body), options).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(StoreError::object(key, e)),
        }
    }

    /// Removes an object; removing one that is already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.inner.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StoreError::object(key, e)),
        }
    }

    /// The object's bytes; a missing object is an error naming the key.
    pub async fn get(&self, key: &str) -> Result<Bytes> {
        let result = self.inner.get(&ObjectPath::from(key)).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => StoreError::Object {
                key: key.to_string(),
                message: "missing: it was deleted or never written; re-run the run with `lading sync --full`".into(),
            },
            other => StoreError::object(key, other),
        })?;
        result.bytes().await.map_err(|e| StoreError::object(key, e))
    }

    pub async fn exists(&self, key: &str) -> Result<bool> {
        match self.inner.head(&ObjectPath::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(StoreError::object(key, e)),
        }
    }

    pub async fn put_json<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let body = serde_json::to_vec(value).map_err(|e| StoreError::object(key, e))?;
        self.put(key, Bytes::from(body)).await
    }

    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<T> {
        let body = self.get(key).await?;
        serde_json::from_slice(&body)
            .map_err(|e| StoreError::Corrupt(format!("object {key} is not the expected JSON: {e}")))
    }

    /// Keys under a prefix, sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let prefix_path = ObjectPath::from(prefix);
        let metas: Vec<_> =
            self.inner.list(Some(&prefix_path)).try_collect().await.map_err(|e| StoreError::object(prefix, e))?;
        let mut keys: Vec<String> = metas.into_iter().map(|m| m.location.to_string()).collect();
        keys.sort();
        Ok(keys)
    }
}
