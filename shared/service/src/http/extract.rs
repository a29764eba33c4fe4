//! What the routes take from a request, each refusing what it cannot read
//! in the API's error shape: the verified caller, a JSON object body, a
//! path's id, a query string, an `If-Match` precondition.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::app::Shared;
use super::errors::{ApiError, is_json};
use crate::operations::settings::Expected;
use crate::operations::wording::json_error_words;
use crate::operations::{Caller, ServiceError};

/// The largest request body read: settings, a contact or import options
/// are a few kilobytes; files go to S3 through presigned URLs, never here.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Self::Rejection> {
        app.auth.caller(parts)
    }
}

/// A JSON object body. A body over `MAX_BODY_BYTES` answers 413, one
/// declared as another media type 415, and every other flaw 400, all in the
/// API's error shape. A body sent without a `Content-Type` is read as JSON.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(request, state).await?;
        parse_object(&bytes).map(Body)
    }
}

/// A JSON object body that may be left out: no body at all (or only
/// whitespace) is `T::default()`; any other is read as [`Body`] reads it.
pub struct BodyOrDefault<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for BodyOrDefault<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(BodyOrDefault(T::default()));
        }
        parse_object(&bytes).map(BodyOrDefault)
    }
}

/// A request's body bytes, when declared as JSON (or not declared) and
/// within [`MAX_BODY_BYTES`].
async fn json_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    if let Some(declared) = request.headers().get(header::CONTENT_TYPE)
        && !is_json(declared)
    {
        let declared: String = String::from_utf8_lossy(declared.as_bytes())
            .chars()
            .take(80)
            .collect();
        return Err(ApiError::NotJson(format!(
            "the body must be JSON (Content-Type: application/json), not {declared}"
        )));
    }
    Bytes::from_request(request, state)
        .await
        .map_err(|e| match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge(MAX_BODY_BYTES),
            _ => ApiError::bad_request("invalid_body", e.body_text()),
        })
}

/// Reads a JSON object. Every body the API takes is an object; serde would
/// read a struct from an array too, field by field in order.
fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the body must be a JSON object",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(
            "invalid_body",
            format!(
                "the body is not the JSON expected: {}",
                json_error_words(&e)
            ),
        )
    })
}

/// A listing's `limit` query parameter: a number from 1 to `most`, or none.
pub fn page_limit(params: &HashMap<String, String>, most: i32) -> Result<Option<i32>, ApiError> {
    params
        .get("limit")
        .map(|l| {
            l.trim()
                .parse::<i32>()
                .ok()
                .filter(|l| (1..=most).contains(l))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_query",
                        format!("limit must be a number from 1 to {most}"),
                    )
                })
        })
        .transpose()
}

/// A path's `{id}`; one that cannot be read (bad percent-encoding, not
/// UTF-8) answers 400 `invalid_path`.
pub struct Id(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Id(id))
            .map_err(|e| ApiError::bad_request("invalid_path", e.body_text()))
    }
}

/// A query string as name → value; one that cannot be read answers 400
/// `invalid_query`.
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(params)| Params(params))
            .map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))
    }
}

/// Whether a file route should answer its link as JSON rather than
/// redirect: the caller's `Accept` names `application/json`.
pub struct LinkAsJson(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for LinkAsJson {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let accept = parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        Ok(LinkAsJson(accept.contains("application/json")))
    }
}

/// The settings version a change expects, from `If-Match`: none or `*`
/// changes whatever is stored; `"3"` (or `W/"3"`), the ETag a read gave,
/// changes version 3 only. Any other value can match no version: 412.
pub struct IfMatch(pub Expected);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(Expected::Anything));
        };
        let text = value.to_str().unwrap_or("").trim();
        if text == "*" {
            return Ok(IfMatch(Expected::Anything));
        }
        let tag = text.strip_prefix("W/").unwrap_or(text);
        tag.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .and_then(|t| t.parse::<u64>().ok())
            .map(|v| IfMatch(Expected::Version(v)))
            .ok_or_else(|| {
                ApiError::Service(ServiceError::Stale {
                    code: "settings_changed",
                    message: "If-Match holds no ETag this API gave (they look like \"3\"); read the settings again".into(),
                })
            })
    }
}

/// The ETag of settings at `version`.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}
