//! The operations' errors, typed: what the caller asked that cannot be
//! (each with the code the API answers), or the step that failed and why.
//! They are mapped once: to an HTTP status in `http::errors`, and to retry
//! or not by [`ServiceError::is_retryable`], which the queue handlers use.

use crate::store::{BoxError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
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
    /// The caller changed what it read, but it has changed since.
    #[error("{message}")]
    Stale { code: &'static str, message: String },
    #[error("the file is larger than 20 MiB")]
    TooLarge,
    #[error("{0}")]
    UnsupportedType(String),
    /// A queue message no handler can act on: it is dropped, never retried.
    #[error("{0}")]
    BadMessage(String),
    /// A store call failed while the operation was `step`.
    #[error("{step}: {source}")]
    Store {
        step: &'static str,
        #[source]
        source: StoreError,
    },
    /// Something besides the store failed while the operation was `step`
    /// (a temporary file, a second reading of an upload).
    #[error("{step}: {source}")]
    Failed {
        step: &'static str,
        #[source]
        source: BoxError,
    },
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

    /// A store call that failed at `step`.
    pub fn store(step: &'static str, source: StoreError) -> Self {
        Self::Store { step, source }
    }

    /// Something besides the store that failed at `step`.
    pub fn failed(step: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Failed {
            step,
            source: source.into(),
        }
    }

    /// Whether a queue message that met this error is worth delivering
    /// again: the store was unavailable or busy, a record could not be read
    /// (after its last delivery, the dead-letter queue fails what it was
    /// for), or another step failed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store { source, .. } => {
                !matches!(source, StoreError::Conflict | StoreError::BadCursor)
            }
            Self::Failed { .. } => true,
            _ => false,
        }
    }

    /// The snake_case code the API answers, stable for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::BadRequest { code, .. }
            | Self::Conflict { code, .. }
            | Self::Gone { code, .. }
            | Self::Stale { code, .. } => code,
            Self::TooLarge => "file_too_large",
            Self::UnsupportedType(_) => "unsupported_file_type",
            Self::BadMessage(_) => "bad_message",
            Self::Store {
                source: StoreError::Conflict | StoreError::Busy,
                ..
            } => "conflict",
            Self::Store { .. } | Self::Failed { .. } => "service_unavailable",
        }
    }
}

/// Names the step a fallible call was: its error becomes the operation's,
/// with its source kept.
pub(crate) trait AtStep<T> {
    fn at(self, step: &'static str) -> Result<T, ServiceError>;
}

impl<T> AtStep<T> for Result<T, StoreError> {
    fn at(self, step: &'static str) -> Result<T, ServiceError> {
        self.map_err(|e| ServiceError::store(step, e))
    }
}

/// A listing's page, with a cursor no page gave read as the caller's
/// mistake (400 `invalid_cursor`) rather than the store's.
pub(crate) trait ListedAt<T> {
    fn listed_at(self, step: &'static str) -> Result<T, ServiceError>;
}

impl<T> ListedAt<T> for Result<T, StoreError> {
    fn listed_at(self, step: &'static str) -> Result<T, ServiceError> {
        match self {
            Err(StoreError::BadCursor) => Err(ServiceError::bad_request(
                "invalid_cursor",
                "the cursor is not one this listing gave; list again without it",
            )),
            other => other.at(step),
        }
    }
}

impl<T> AtStep<T> for std::io::Result<T> {
    fn at(self, step: &'static str) -> Result<T, ServiceError> {
        self.map_err(|e| ServiceError::failed(step, e))
    }
}

impl<T> AtStep<T> for Result<T, contact_engine::ValidateError> {
    fn at(self, step: &'static str) -> Result<T, ServiceError> {
        self.map_err(|e| ServiceError::failed(step, e))
    }
}
