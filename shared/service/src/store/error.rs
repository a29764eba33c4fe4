//! What can go wrong in the store, in the domain's words: a record not in
//! the state a call expects, a conflicting write that kept winning, a store
//! that does not answer, a record that cannot be read.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Any error, kept as the source of a store error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold: the record changed meanwhile or is not in
    /// the state the call expects.
    #[error("the record is not in the expected state")]
    Conflict,
    /// Conflicting writes to the same items kept cancelling this one's
    /// transaction: worth another try a little later.
    #[error("conflicting writes kept cancelling the transaction")]
    Busy,
    /// The store could not be reached or refused for now: worth another
    /// try. Its words are masked: an SDK error may quote a key or an item
    /// holding a phone or email, and these words end in logs.
    #[error("the store is unavailable: {}", masked(.0))]
    Unavailable(#[source] BoxError),
    /// A stored record or object could not be read as what it should be.
    #[error("a stored {what} could not be read: {source}")]
    Corrupt {
        what: &'static str,
        #[source]
        source: BoxError,
    },
    /// A listing cursor that is not one the store gave.
    #[error("the cursor is not one this listing gave")]
    BadCursor,
}

fn masked(e: &BoxError) -> String {
    contact_engine::mask::scrub(&DisplayErrorContext(&**e).to_string())
}

impl StoreError {
    /// Any failure that leaves nothing to decide but a later try.
    pub fn unavailable(e: impl Into<BoxError>) -> Self {
        Self::Unavailable(e.into())
    }

    pub(crate) fn corrupt(what: &'static str, e: impl Into<BoxError>) -> Self {
        Self::Corrupt {
            what,
            source: e.into(),
        }
    }
}

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn from(e: SdkError<E, R>) -> Self {
        if e.as_service_error()
            .is_some_and(|s| s.code() == Some("ConditionalCheckFailedException"))
        {
            return Self::Conflict;
        }
        Self::unavailable(e)
    }
}
