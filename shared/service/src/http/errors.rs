//! Every error the API answers, in one shape: `{"error": {"code",
//! "message"}}`, with the fitting status. The operations' errors are mapped
//! to a status and code here, once; the extractors' refusals (body, path,
//! query, token) are the API's own; and, through one layer, whatever axum
//! answers by itself leaves in the same shape.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::operations::ServiceError;
use crate::store::StoreError;

/// Every error the API answers: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// snake_case; stable, for programs.
    pub code: String,
    /// Plain words, for people.
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: &str, message: &str) -> Self {
        Self {
            error: ErrorDetail {
                code: code.to_string(),
                message: message.to_string(),
            },
        }
    }
}

/// Why a request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or invalid token: {0}")]
    Unauthorized(String),
    /// A request body over the API's limit (not the file: that is
    /// `TooLarge`).
    #[error("the request body is larger than {0} bytes")]
    BodyTooLarge(usize),
    /// A request body declared as something other than JSON.
    #[error("{0}")]
    NotJson(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl ApiError {
    /// The request cannot be read: its body, path or query.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::Service(ServiceError::bad_request(code, message))
    }

    /// The HTTP status and the snake_case code the API answers: the
    /// operations' errors take their status here, and only here.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        let service = match self {
            Self::Unauthorized(_) => return (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::BodyTooLarge(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            Self::NotJson(_) => {
                return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
            }
            Self::Service(e) => e,
        };
        let status = match service {
            ServiceError::Forbidden => StatusCode::FORBIDDEN,
            ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
            ServiceError::BadRequest { .. } | ServiceError::BadMessage(_) => {
                StatusCode::BAD_REQUEST
            }
            ServiceError::Conflict { .. } => StatusCode::CONFLICT,
            ServiceError::Gone { .. } => StatusCode::GONE,
            ServiceError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
            ServiceError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ServiceError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ServiceError::Store {
                source: StoreError::Conflict | StoreError::Busy,
                ..
            } => StatusCode::CONFLICT,
            ServiceError::Store { .. } | ServiceError::Failed { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        (status, service.code())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            // The store's words may quote an item: masked.
            tracing::error!(
                status = status.as_u16(),
                code,
                error = %contact_engine::mask::scrub(&self.to_string()),
                "api: request failed"
            );
        } else {
            // A refusal's words may quote the value refused: masked.
            tracing::info!(
                status = status.as_u16(),
                code,
                reason = %contact_engine::mask::scrub(&self.to_string()),
                "api: request refused"
            );
        }
        let message = if status.is_server_error() {
            // The store's own words are for the logs, not the caller.
            "the service is briefly unavailable; try again".to_string()
        } else {
            self.to_string()
        };
        let mut response = error(status, code, &message);
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// An answer in the error shape.
pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(ErrorBody::new(code, message))).into_response()
}

/// Whether a `Content-Type` names JSON: `application/json` or a
/// `application/…+json` type, with any parameters.
pub(super) fn is_json(content_type: &HeaderValue) -> bool {
    let Ok(text) = content_type.to_str() else {
        return false;
    };
    let essence = text.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5
                && subtype.as_bytes()[subtype.len() - 5..].eq_ignore_ascii_case(b"+json"))
}

/// Answers axum writes by itself (a rejection no extractor here maps, a
/// layer's refusal) are plain text; every error answer leaves in the API's
/// error shape, with its status and headers kept and axum's words as the
/// message.
pub(super) async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let already_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(is_json);
    if !(status.is_client_error() || status.is_server_error()) || already_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_lowercase()
    } else {
        text
    };
    let mut answer = error(status, status_code(status), &message);
    keep_headers(&parts.headers, answer.headers_mut());
    answer
}

/// The error code of an answer whose status is all that is known.
fn status_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        s if s.is_server_error() => "service_unavailable",
        _ => "invalid_request",
    }
}

/// The headers an error answer keeps when its body is rewritten: those that
/// tell the caller what to do next.
fn keep_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for name in [header::ALLOW, header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(value) = from.get(&name) {
            to.insert(name, value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body as HttpBody;
    use axum::extract::Request;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    #[test]
    fn json_is_told_by_its_media_type() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(is_json(&HeaderValue::from_static(json)), "{json}");
        }
        for other in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "json",
            "application/jsonp",
            "application/+json",
            "",
        ] {
            assert!(!is_json(&HeaderValue::from_static(other)), "{other}");
        }
    }

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn answers_axum_writes_in_plain_text_leave_in_the_error_shape() {
        let app = Router::new()
            .route(
                "/plain",
                get(|| async { (StatusCode::BAD_REQUEST, "Failed to parse the thing") }),
            )
            .route(
                "/empty",
                get(|| async { (StatusCode::PAYLOAD_TOO_LARGE, [(header::RETRY_AFTER, "5")]) }),
            )
            .route("/ok", get(|| async { "fine" }))
            .layer(axum::middleware::map_response(json_errors));
        let call = |path: &str| {
            let request = Request::get(path).body(HttpBody::empty()).unwrap();
            app.clone().oneshot(request)
        };

        let plain = call("/plain").await.unwrap();
        assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
        let body = body_of(plain).await;
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "bad_request", "message": "Failed to parse the thing"}})
        );

        let empty = call("/empty").await.unwrap();
        assert_eq!(empty.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(empty.headers()[header::RETRY_AFTER], "5");
        let body = body_of(empty).await;
        assert_eq!(body["error"]["code"], "body_too_large");
        assert_eq!(body["error"]["message"], "payload too large");

        // Successes pass untouched.
        let fine = call("/ok").await.unwrap();
        assert_eq!(fine.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(fine.into_body(), 64).await.unwrap();
        assert_eq!(&bytes[..], b"fine");
    }
}
