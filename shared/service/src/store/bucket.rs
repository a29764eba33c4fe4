//! S3 plumbing, and nothing of the domain: presigned URLs, and objects read
//! and written whole, in a range, or streamed to and from a file.

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use tokio::io::AsyncWriteExt;

use super::error::StoreError;

/// The longest any presigned URL works, whatever the caller asks: a link
/// that leaks (a browser history, a forwarded message) soon stops working.
pub const MAX_URL_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// A presigned request the client sends as given.
#[derive(Debug, Clone)]
pub struct Presigned {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Bucket {
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

    /// A `PUT` that stores exactly `size_bytes` bytes at `key`, and nothing
    /// else: SigV4 signs the method, the one key, the `content-length`
    /// header (so S3 refuses any other body) and the expiry (at most
    /// [`MAX_URL_LIFETIME`]).
    pub async fn presign_put(
        &self,
        key: &str,
        size_bytes: u64,
        expires_in: Duration,
    ) -> Result<Presigned, StoreError> {
        let config = PresigningConfig::expires_in(expires_in.min(MAX_URL_LIFETIME))
            .map_err(StoreError::unavailable)?;
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

    /// A `GET` of `key` alone that downloads as `file_name`, for at most
    /// [`MAX_URL_LIFETIME`].
    pub async fn presign_get(
        &self,
        key: &str,
        file_name: &str,
        expires_in: Duration,
    ) -> Result<String, StoreError> {
        let config = PresigningConfig::expires_in(expires_in.min(MAX_URL_LIFETIME))
            .map_err(StoreError::unavailable)?;
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
            .map_err(StoreError::unavailable)?;
        let mut written = 0u64;
        while let Some(bytes) = body.try_next().await.map_err(StoreError::unavailable)? {
            written += bytes.len() as u64;
            file.write_all(&bytes)
                .await
                .map_err(StoreError::unavailable)?;
        }
        file.flush().await.map_err(StoreError::unavailable)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::clients::Clients;

    /// Presigning is local work: no request reaches this endpoint.
    fn bucket() -> Bucket {
        Bucket::new(Clients::local("http://127.0.0.1:9", &[]).s3, "contacts")
    }

    /// The URL's path and its query parameters, decoded.
    fn parts(url: &str) -> (String, Vec<(String, String)>) {
        let (path, query) = url.split_once('?').expect("a query string");
        let path = path
            .strip_prefix("http://127.0.0.1:9")
            .expect("the endpoint");
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .unwrap()
                .into_owned()
        };
        let params = query
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        (decode(path), params)
    }

    fn param<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in {params:?}"))
    }

    #[tokio::test]
    async fn an_upload_url_is_one_put_of_one_key_and_length() {
        let put = bucket()
            .presign_put("uploads/acme/imp_01", 745, Duration::from_secs(600))
            .await
            .unwrap();
        assert_eq!(put.method, "PUT");
        let (path, params) = parts(&put.url);
        assert_eq!(path, "/contacts/uploads/acme/imp_01");
        assert_eq!(param(&params, "X-Amz-Expires"), "600");
        assert_eq!(param(&params, "X-Amz-SignedHeaders"), "content-length;host");
        assert_eq!(param(&params, "X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
        assert!(!param(&params, "X-Amz-Signature").is_empty());
        assert!(
            put.headers
                .contains(&("content-length".into(), "745".into()))
        );
        // Nothing but the signature's own parameters rides in the URL.
        for (name, _) in &params {
            assert!(name.starts_with("X-Amz-") || name == "x-id", "{name}");
        }
    }

    #[tokio::test]
    async fn download_urls_are_one_get_of_one_key() {
        let url = bucket()
            .presign_get(
                "results/acme/imp_01.csv",
                "clientes \"nov\"-result.csv",
                Duration::from_secs(300),
            )
            .await
            .unwrap();
        let (path, params) = parts(&url);
        assert_eq!(path, "/contacts/results/acme/imp_01.csv");
        assert_eq!(param(&params, "X-Amz-Expires"), "300");
        assert_eq!(param(&params, "X-Amz-SignedHeaders"), "host");
        assert_eq!(
            param(&params, "response-content-disposition"),
            "attachment; filename=\"clientes__nov_-result.csv\""
        );
    }

    #[tokio::test]
    async fn no_url_outlives_fifteen_minutes() {
        let week = Duration::from_secs(7 * 24 * 3600);
        let put = bucket().presign_put("k", 1, week).await.unwrap();
        let get = bucket().presign_get("k", "k.csv", week).await.unwrap();
        for url in [put.url, get] {
            let (_, params) = parts(&url);
            assert_eq!(param(&params, "X-Amz-Expires"), "900", "{url}");
        }
    }
}
