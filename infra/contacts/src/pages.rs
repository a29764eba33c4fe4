//! `contacts publish-pages`: puts the built pages (`web/dist`) in the
//! deployment's pages bucket, each file with the type and caching the
//! distribution serves it with, and writes `config.json`, which tells the
//! pages where the API and the hosted sign-in page are.
//!
//! Invariants: hashed files (`assets/…`) are written before the pages that
//! name them and are never rewritten, so a page served at any moment finds
//! its scripts; pages, `config.json` and the embeddable `contact-import.js`
//! (a stable name CRMs load) are revalidated on every visit, so a new
//! publication shows at once without invalidating the distribution.

use std::path::{Path, PathBuf};

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::put_object::PutObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use serde::Serialize;

/// What a deployment tells its pages (read by `web/src/signin.ts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PagesConfig {
    /// The API's base URL (the stack's `ApiUrl`).
    pub api_base: String,
    /// The hosted sign-in page, when the pages sign people in themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<SignIn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignIn {
    /// The sign-in page's host (the stack's `SignInDomain`).
    pub domain: String,
    /// The app client (the stack's `UserPoolClientId`).
    pub client_id: String,
}

/// One file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub key: String,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{0} holds no index.html: build the pages first (make pages)")]
    NotBuilt(PathBuf),
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing s3://{bucket}/{key}: {source}")]
    Write {
        bucket: String,
        key: String,
        #[source]
        source: Box<SdkError<PutObjectError, HttpResponse>>,
    },
}

/// Kept a year: the name changes whenever the content does.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Asked again on every visit (cheap: the distribution answers 304).
const REVALIDATE: &str = "no-cache";

/// The type a browser needs to run or show a built file.
fn content_type(key: &str) -> &'static str {
    match key.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Every file under `dir`, as bucket keys (`/`-separated), hashed assets
/// first and `index.html` last.
fn built_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, PublishError> {
    let read = |path: &Path| -> Result<std::fs::ReadDir, PublishError> {
        std::fs::read_dir(path).map_err(|source| PublishError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in read(&folder)? {
            let path = entry
                .map_err(|source| PublishError::Read {
                    path: folder.clone(),
                    source,
                })?
                .path();
            if path.is_dir() {
                folders.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                let key = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                found.push((key, path));
            }
        }
    }
    if !found.iter().any(|(key, _)| key == "index.html") {
        return Err(PublishError::NotBuilt(dir.to_path_buf()));
    }
    found.sort_by_key(|(key, _)| {
        (
            !key.starts_with("assets/"),
            key == "index.html",
            key.clone(),
        )
    });
    Ok(found)
}

/// Writes the built pages in `dir` and `config` to `bucket`.
pub async fn publish(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    dir: &Path,
    config: &PagesConfig,
) -> Result<Vec<Published>, PublishError> {
    let mut files = Vec::new();
    for (key, path) in built_files(dir)? {
        let body = std::fs::read(&path).map_err(|source| PublishError::Read { path, source })?;
        files.push((key, body));
    }
    let config_json = serde_json::to_vec_pretty(config).expect("the configuration serialises");
    // Before index.html: a page must never start without its configuration.
    let index = files.len() - 1;
    files.insert(index, ("config.json".to_string(), config_json));

    let mut published = Vec::new();
    for (key, body) in files {
        let file = Published {
            content_type: content_type(&key),
            cache_control: if key.starts_with("assets/") {
                IMMUTABLE
            } else {
                REVALIDATE
            },
            key,
        };
        s3.put_object()
            .bucket(bucket)
            .key(&file.key)
            .content_type(file.content_type)
            .cache_control(file.cache_control)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|source| PublishError::Write {
                bucket: bucket.to_string(),
                key: file.key.clone(),
                source: Box::new(source),
            })?;
        published.push(file);
    }
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_built_file_has_the_type_a_browser_runs_it_by() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/app-BPCTUN27.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("config.json"), "application/json");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
