//! The S3 adapter: presigned URLs for the client, and the objects the
//! functions read and write (uploads, error files, stage files, result parts
//! and results).

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use tokio::io::AsyncWriteExt;

use super::table::StoreError;

/// A presigned request the client sends as given.
#[derive(Debug, Clone)]
pub struct Presigned {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Bucket {
    client: Client,
    name: String,
}

impl Bucket {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    pub async fn reachable(&self) -> Result<(), StoreError> {
        self.client
            .head_bucket()
            .bucket(&self.name)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    /// A `PUT` that stores exactly `size_bytes` bytes at `key`: the length is
    /// part of the signature, so any other body is refused by S3.
    pub async fn presign_put(
        &self,
        key: &str,
        size_bytes: u64,
        expires_in: Duration,
    ) -> Result<Presigned, StoreError> {
        let config = PresigningConfig::expires_in(expires_in).map_err(StoreError::unavailable)?;
        let request = self
            .client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .content_length(size_bytes as i64)
            .presigned(config)
            .await
            .map_err(StoreError::unavailable)?;
        Ok(Presigned {
            method: request.method().to_string(),
            url: request.uri().to_string(),
            headers: request
                .headers()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    }

    /// A `GET` of `key` that downloads as `file_name`.
    pub async fn presign_get(
        &self,
        key: &str,
        file_name: &str,
        expires_in: Duration,
    ) -> Result<String, StoreError> {
        let config = PresigningConfig::expires_in(expires_in).map_err(StoreError::unavailable)?;
        let safe: String = file_name
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && c != '"' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let request = self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .response_content_disposition(format!("attachment; filename=\"{safe}\""))
            .response_content_type("text/csv; charset=utf-8")
            .presigned(config)
            .await
            .map_err(StoreError::unavailable)?;
        Ok(request.uri().to_string())
    }

    /// Whether `key` exists, and its size.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out.content_length().unwrap_or(0).max(0) as u64)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(StoreError::unavailable(e)),
        }
    }

    /// Streams `key` into a file at `path` (memory stays flat whatever the size).
    pub async fn download(&self, key: &str, path: &Path) -> Result<u64, StoreError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let mut body = out.body;
        let mut file = tokio::fs::File::create(path)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut written = 0u64;
        while let Some(bytes) = body.try_next().await.map_err(StoreError::unavailable)? {
            written += bytes.len() as u64;
            file.write_all(&bytes)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        file.flush()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(written)
    }

    /// The bytes of `key`, or of `start..end` of it.
    pub async fn get(&self, key: &str, range: Option<(u64, u64)>) -> Result<Vec<u8>, StoreError> {
        let mut request = self.client.get_object().bucket(&self.name).key(key);
        if let Some((start, end)) = range {
            if end <= start {
                return Ok(Vec::new());
            }
            request = request.range(format!("bytes={start}-{}", end - 1));
        }
        let out = request.send().await.map_err(StoreError::unavailable)?;
        let bytes = out.body.collect().await.map_err(StoreError::unavailable)?;
        Ok(bytes.into_bytes().to_vec())
    }

    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    pub async fn put_file(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StoreError> {
        let body = ByteStream::from_path(path)
            .await
            .map_err(StoreError::unavailable)?;
        self.client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    /// Deletes every object under `prefix`, a thousand per call.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<(), StoreError> {
        let mut token = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.name)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            let objects: Vec<ObjectIdentifier> = out
                .contents()
                .iter()
                .filter_map(|o| ObjectIdentifier::builder().key(o.key()?).build().ok())
                .collect();
            if !objects.is_empty() {
                let delete = Delete::builder()
                    .set_objects(Some(objects))
                    .quiet(true)
                    .build()
                    .map_err(StoreError::unavailable)?;
                self.client
                    .delete_objects()
                    .bucket(&self.name)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(StoreError::unavailable)?;
            }
            token = out.next_continuation_token().map(str::to_string);
            if token.is_none() {
                return Ok(());
            }
        }
    }
}
