//! The import service around the engine: the API's operations, the upload
//! validator and the chunk worker, over the stores.

pub mod apply;
pub mod auth;
pub mod contacts;
pub mod error;
pub mod imports;
pub mod model;
pub mod router;
pub mod validator;
pub mod worker;

use std::future::Future;
use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};

use crate::aws::Clients;
use crate::store::{Bucket, Queue, Table};

pub use error::ServiceError;

/// Rows per chunk message: small enough for a worker to finish well inside
/// its timeout, large enough that DynamoDB and SQS calls stay few per row.
pub const CHUNK_ROWS: usize = 500;

/// How long a result file may be downloaded.
pub const RESULT_DAYS: i64 = 7;

/// Where the service's resources are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    pub table: String,
    pub bucket: String,
    pub uploads_queue_url: String,
    pub rows_queue_url: String,
}

impl Resources {
    /// From the environment Lambda sets (see infra/template.yaml).
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        Ok(Self {
            table: var("TABLE_NAME")?,
            bucket: var("BUCKET_NAME")?,
            uploads_queue_url: var("UPLOADS_QUEUE_URL")?,
            rows_queue_url: var("ROWS_QUEUE_URL")?,
        })
    }
}

/// The service's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a review may be confirmed.
    pub review_ttl: Duration,
    /// How long a presigned upload URL works (at most 15 minutes).
    pub upload_url_ttl: Duration,
    /// How long a presigned download URL works.
    pub download_url_ttl: Duration,
    pub keys: auth::Keys,
}

impl Config {
    pub fn new(jwt_secret: &[u8], review_ttl: Duration) -> Self {
        Self {
            review_ttl,
            upload_url_ttl: Duration::from_secs(10 * 60),
            download_url_ttl: Duration::from_secs(5 * 60),
            keys: auth::Keys::new(jwt_secret),
        }
    }

    /// From `JWT_SECRET` and `REVIEW_TTL_SECONDS` (default 3600).
    pub fn from_env() -> Result<Self, String> {
        let secret = std::env::var("JWT_SECRET").map_err(|_| "JWT_SECRET is not set")?;
        let ttl = match std::env::var("REVIEW_TTL_SECONDS") {
            Ok(v) => v
                .parse()
                .map_err(|_| format!("REVIEW_TTL_SECONDS={v} is not a number of seconds"))?,
            Err(_) => 3600,
        };
        Ok(Self::new(secret.as_bytes(), Duration::from_secs(ttl)))
    }
}

/// Everything a handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct Service {
    pub table: Table,
    pub bucket: Bucket,
    pub uploads: Queue,
    pub rows: Queue,
    pub config: Config,
}

impl Service {
    pub fn new(clients: &Clients, resources: &Resources, config: Config) -> Self {
        Self {
            table: Table::new(clients.dynamodb.clone(), &resources.table),
            bucket: Bucket::new(clients.s3.clone(), &resources.bucket),
            uploads: Queue::new(clients.sqs.clone(), &resources.uploads_queue_url),
            rows: Queue::new(clients.sqs.clone(), &resources.rows_queue_url),
            config,
        }
    }

    /// The service as a Lambda function finds it: clients, resources and
    /// settings from the environment.
    pub async fn from_env() -> Result<Self, String> {
        let clients = Clients::from_env().await;
        Ok(Self::new(
            &clients,
            &Resources::from_env()?,
            Config::from_env()?,
        ))
    }
}

/// Runs `handle` on each message of a batch and reports the ones worth
/// another delivery as partial batch failures, so one bad message never
/// holds back (or repeats) the others. Messages that can never succeed are
/// logged and dropped.
pub(crate) async fn per_message<'e, F, Fut>(
    function: &str,
    event: &'e SqsEvent,
    handle: F,
) -> SqsBatchResponse
where
    F: Fn(&'e SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), ServiceError>>,
{
    let mut response = SqsBatchResponse::default();
    for message in &event.records {
        if let Err(e) = handle(message).await {
            eprintln!("{function}: message {:?}: {e}", message.message_id);
            if e.is_retryable() {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = message.message_id.clone().unwrap_or_default();
                response.batch_item_failures.push(failure);
            }
        }
    }
    response
}
