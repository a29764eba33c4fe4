//! The adapters: small, separate, and the only code that speaks DynamoDB,
//! S3 or SQS.

pub mod bucket;
pub mod contact_store;
pub mod job_store;
pub mod keys;
pub mod queue;
pub mod table;

pub use bucket::Bucket;
pub use queue::Queue;
pub use table::{StoreError, Table};
