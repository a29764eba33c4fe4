//! The service's errors, typed at the library boundary and mapped once: to
//! an HTTP status and code for the API, to retry-or-not for the queues.

use serde::Serialize;
use utoipa::ToSchema;

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

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("missing or invalid token: {0}")]
    Unauthorized(String),
    #[error("this needs the owner or manager role")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    #[error("the file is larger than 20 MiB")]
    TooLarge,
    #[error("{0}")]
    UnsupportedType(String),
    /// A request body over the API's limit (not the file: that is
    /// `TooLarge`).
    #[error("the request body is larger than {0} bytes")]
    BodyTooLarge(usize),
    /// A request body declared as something other than JSON.
    #[error("{0}")]
    NotJson(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn gone(code: &'static str, message: impl Into<String>) -> Self {
        Self::Gone {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status the API answers.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized(_) => 401,
            Self::Forbidden => 403,
            Self::NotFound(_) => 404,
            Self::BadRequest { .. } => 400,
            Self::Conflict { .. } => 409,
            Self::Gone { .. } => 410,
            Self::TooLarge => 413,
            Self::UnsupportedType(_) => 415,
            Self::BodyTooLarge(_) => 413,
            Self::NotJson(_) => 415,
            Self::Store(StoreError::Conflict | StoreError::Cancelled(_)) => 409,
            Self::Store(_) | Self::Internal(_) => 503,
        }
    }

    /// The snake_case code the API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::BadRequest { code, .. }
            | Self::Conflict { code, .. }
            | Self::Gone { code, .. } => code,
            Self::TooLarge => "file_too_large",
            Self::UnsupportedType(_) => "unsupported_file_type",
            Self::BodyTooLarge(_) => "body_too_large",
            Self::NotJson(_) => "unsupported_media_type",
            Self::Store(StoreError::Conflict | StoreError::Cancelled(_)) => "conflict",
            Self::Store(_) | Self::Internal(_) => "service_unavailable",
        }
    }

    /// Whether a queue message that met this error is worth delivering
    /// again: the store was unavailable, or a race may resolve.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Store(StoreError::Unavailable(_) | StoreError::Cancelled(_)) | Self::Internal(_)
        )
    }
}
