//! Where attachment contents live (`STORAGE_URL`): a local directory by default, or any
//! S3-compatible object store. Contents arrive here already sealed (`Keyring::seal_bytes`), so
//! neither the disk nor the bucket ever holds a clear document.
//!
//! - `file:///var/lib/hospitallink/attachments`: a local directory (created if missing).
//! - `s3://bucket[/prefix][?endpoint=https://…&region=…&allow_http=true]`: credentials come
//!   from `STORAGE_ACCESS_KEY_ID` / `STORAGE_SECRET_ACCESS_KEY`, else the usual `AWS_*`
//!   variables (never the URL);
//!   `endpoint` names an S3-compatible service (MinIO, Ceph, Garage…).

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload};
use std::sync::Arc;

use crate::error::{AppError, AppResult};

/// The object store of attachment contents.
#[derive(Clone)]
pub struct Storage {
    store: Result<Arc<dyn ObjectStore>, String>,
    /// The URL without query, for logs and errors.
    label: String,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("url", &self.label).finish()
    }
}

/// Checks the form of a `STORAGE_URL` (configuration loading reports problems early).
pub fn check_url(url: &str) -> Result<(), String> {
    if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(format!(
                "STORAGE_URL: `{url}` must name an absolute directory, like file:///srv/attachments"
            ));
        }
        Ok(())
    } else if let Some(rest) = url.strip_prefix("s3://") {
        let bucket = rest.split(['/', '?']).next().unwrap_or_default();
        if bucket.is_empty() {
            return Err(format!("STORAGE_URL: `{url}` names no bucket"));
        }
        Ok(())
    } else {
        Err(format!(
            "STORAGE_URL: `{url}` must start with file:// (a local directory) or s3:// (a bucket)"
        ))
    }
}

/// An access key for S3-compatible storage (`STORAGE_ACCESS_KEY_ID`,
/// `STORAGE_SECRET_ACCESS_KEY`); without it the usual `AWS_*` variables apply.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

fn open(url: &str, credentials: Option<&Credentials>) -> Result<Arc<dyn ObjectStore>, String> {
    check_url(url)?;
    if let Some(dir) = url.strip_prefix("file://") {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {dir}: {e}"))?;
        let local = LocalFileSystem::new_with_prefix(dir).map_err(|e| e.to_string())?;
        return Ok(Arc::new(local));
    }
    let rest = url.strip_prefix("s3://").unwrap_or_default();
    let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    if let Some(c) = credentials {
        builder = builder
            .with_access_key_id(&c.access_key_id)
            .with_secret_access_key(&c.secret_access_key);
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        builder = match key {
            "endpoint" => builder.with_endpoint(value),
            "region" => builder.with_region(value),
            "allow_http" => builder.with_allow_http(value == "true"),
            other => return Err(format!("STORAGE_URL: unknown option `{other}`")),
        };
    }
    let s3 = builder.build().map_err(|e| e.to_string())?;
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        Ok(Arc::new(s3))
    } else {
        Ok(Arc::new(PrefixStore::new(s3, prefix)))
    }
}

impl Storage {
    /// Opens the store a URL names. A store that cannot be opened is remembered as such: every
    /// use fails with the reason, and `serve` refuses to start (`check`).
    pub fn new(url: &str, credentials: Option<&Credentials>) -> Self {
        Self {
            store: open(url, credentials),
            label: url.split('?').next().unwrap_or_default().to_string(),
        }
    }

    /// Why the store cannot be used, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        self.store
            .as_ref()
            .map(|_| ())
            .map_err(|e| format!("attachment storage {}: {e}", self.label))
    }

    fn store(&self) -> AppResult<&Arc<dyn ObjectStore>> {
        self.store
            .as_ref()
            .map_err(|e| AppError::internal(format!("attachment storage {}: {e}", self.label)))
    }

    fn fail(&self, key: &str, e: object_store::Error) -> AppError {
        AppError::internal(format!("attachment storage {} ({key}): {e}", self.label))
    }

    /// Stores (or replaces, atomically) an object.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> AppResult<()> {
        self.store()?
            .put(&ObjectPath::from(key), PutPayload::from(bytes))
            .await
            .map_err(|e| self.fail(key, e))?;
        Ok(())
    }

    /// Reads an object.
    pub async fn get(&self, key: &str) -> AppResult<Vec<u8>> {
        let found = self
            .store()?
            .get(&ObjectPath::from(key))
            .await
            .map_err(|e| self.fail(key, e))?;
        let bytes = found.bytes().await.map_err(|e| self.fail(key, e))?;
        Ok(bytes.to_vec())
    }

    /// Removes an object; an absent one is fine.
    pub async fn delete(&self, key: &str) -> AppResult<()> {
        match self.store()?.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.fail(key, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("file:///srv/attachments").is_ok());
        assert!(check_url("s3://bucket").is_ok());
        assert!(check_url("s3://bucket/prefix?endpoint=http://127.0.0.1:9000").is_ok());
        assert!(check_url("file://relative/dir")
            .unwrap_err()
            .contains("absolute"));
        assert!(check_url("s3://").unwrap_err().contains("no bucket"));
        assert!(check_url("ftp://x").unwrap_err().contains("file:// "));
        let bad = Storage::new("s3://bucket?colour=blue", None);
        assert!(bad.check().unwrap_err().contains("unknown option `colour`"));
        let unwritable = Storage::new("file:///proc/hospitallink-cannot-create", None);
        assert!(unwritable.check().unwrap_err().contains("cannot create"));
    }

    #[tokio::test]
    async fn a_local_directory_stores_replaces_and_deletes() {
        let dir = std::env::temp_dir().join(format!("hl-storage-{}", uuid::Uuid::now_v7()));
        let storage = Storage::new(&format!("file://{}", dir.display()), None);
        storage.check().unwrap();
        storage.put("a/b", b"one".to_vec()).await.unwrap();
        storage.put("a/b", b"two".to_vec()).await.unwrap();
        assert_eq!(storage.get("a/b").await.unwrap(), b"two");
        assert_eq!(std::fs::read(dir.join("a/b")).unwrap(), b"two");
        storage.delete("a/b").await.unwrap();
        storage.delete("a/b").await.unwrap();
        assert!(storage.get("a/b").await.is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
