//! The import service around the engine: the API's operations, the upload
//! validator and the chunk worker, over the stores.

pub mod apply;
pub mod auth;
pub mod contact_routes;
pub mod contacts;
pub mod dead_letters;
pub mod error;
pub mod imports;
pub mod jobs;
pub mod model;
pub mod router;
pub mod settings;
pub mod validator;
pub mod worker;
pub mod workspace_routes;

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
    pub jobs_queue_url: String,
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
            jobs_queue_url: var("JOBS_QUEUE_URL")?,
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
    /// Signs and checks shared-key tokens (the local stack's).
    pub keys: auth::Keys,
    pub authentication: auth::Authentication,
}

impl Config {
    pub fn new(jwt_secret: &[u8], review_ttl: Duration) -> Self {
        Self {
            review_ttl,
            upload_url_ttl: Duration::from_secs(10 * 60),
            download_url_ttl: Duration::from_secs(5 * 60),
            keys: auth::Keys::new(jwt_secret),
            authentication: auth::Authentication::SharedKey,
        }
    }

    /// From `AUTH_MODE` (see [`auth::Authentication::from_env`]),
    /// `JWT_SECRET` (needed unless the gateway verifies tokens) and
    /// `REVIEW_TTL_SECONDS` (default 3600).
    pub fn from_env() -> Result<Self, String> {
        let authentication = auth::Authentication::from_env()?;
        let secret = match (std::env::var("JWT_SECRET"), &authentication) {
            (Ok(secret), _) => secret,
            // Behind the gateway no shared-key token is ever checked; an
            // unknowable key keeps it that way.
            (Err(_), auth::Authentication::Gateway { .. }) => {
                format!("{}{}", ulid::Ulid::new(), ulid::Ulid::new())
            }
            (Err(_), auth::Authentication::SharedKey) => {
                return Err("JWT_SECRET is not set (needed with AUTH_MODE=shared-key)".into());
            }
        };
        let ttl = match std::env::var("REVIEW_TTL_SECONDS") {
            Ok(v) => v
                .parse()
                .map_err(|_| format!("REVIEW_TTL_SECONDS={v} is not a number of seconds"))?,
            Err(_) => 3600,
        };
        Ok(Self {
            authentication,
            ..Self::new(secret.as_bytes(), Duration::from_secs(ttl))
        })
    }
}

/// Everything a handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct Service {
    pub table: Table,
    pub bucket: Bucket,
    pub uploads: Queue,
    pub rows: Queue,
    /// Exports and resets, a page at a time.
    pub jobs: Queue,
    pub config: Config,
}

impl Service {
    pub fn new(clients: &Clients, resources: &Resources, config: Config) -> Self {
        Self {
            table: Table::new(clients.dynamodb.clone(), &resources.table),
            bucket: Bucket::new(clients.s3.clone(), &resources.bucket),
            uploads: Queue::new(clients.sqs.clone(), &resources.uploads_queue_url),
            rows: Queue::new(clients.sqs.clone(), &resources.rows_queue_url),
            jobs: Queue::new(clients.sqs.clone(), &resources.jobs_queue_url),
            config,
        }
    }

    /// The service as a Lambda function finds it: clients, resources and
    /// settings from the environment. Its logs go to stderr unless the
    /// function installed a subscriber of its own first.
    pub async fn from_env() -> Result<Self, String> {
        crate::logging::init();
        let clients = Clients::from_env().await;
        Ok(Self::new(
            &clients,
            &Resources::from_env()?,
            Config::from_env()?,
        ))
    }
}

/// Reads a JSON-lines object (the stage file, a job's pages): one value a
/// line; `what` names it in the error.
pub(crate) fn json_lines<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<Vec<T>, ServiceError> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(serde_json::from_slice::<T>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServiceError::Internal(format!("{what}: {e}")))
}

/// Tries of a step within one delivery; see [`tried_again`].
pub(crate) const STEP_TRIES: u32 = 3;

/// Runs a step that may run any number of times (a chunk, a validation)
/// again while it fails in a way worth another try, [`STEP_TRIES`] times in
/// all. Such a step makes dozens of AWS calls, so an error the SDK's own
/// retries did not absorb (a call throttled thrice, an answer lost) is far
/// likelier for it than for one call: tried again here it costs a moment,
/// not the queue's visibility timeout, and does not spend one of the
/// message's few deliveries (after five, the dead-letter queue fails the
/// import).
pub(crate) async fn tried_again<F, Fut>(mut step: F) -> Result<(), ServiceError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ServiceError>>,
{
    let mut tries = 1;
    loop {
        match step().await {
            Err(e) if e.is_retryable() && tries < STEP_TRIES => {
                tracing::info!(
                    tries,
                    code = e.code(),
                    error = %contact_engine::mask::scrub(&e.to_string()),
                    "step failed; trying again"
                );
                tokio::time::sleep(Duration::from_millis(200 << tries)).await;
                tries += 1;
            }
            outcome => return outcome,
        }
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
            // The error's words may echo a message body: masked.
            tracing::warn!(
                function,
                message_id = message.message_id.as_deref().unwrap_or(""),
                retry = e.is_retryable(),
                code = e.code(),
                error = %contact_engine::mask::scrub(&e.to_string()),
                "message not handled"
            );
            if e.is_retryable() {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = message.message_id.clone().unwrap_or_default();
                response.batch_item_failures.push(failure);
            }
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service whose AWS endpoint answers nothing: for paths that must not
    /// reach AWS at all.
    fn unreachable_service() -> Service {
        let clients = Clients::local("http://127.0.0.1:9", &[]);
        let resources = Resources {
            table: "t".into(),
            bucket: "b".into(),
            uploads_queue_url: "http://127.0.0.1:9/q/uploads".into(),
            rows_queue_url: "http://127.0.0.1:9/q/rows".into(),
            jobs_queue_url: "http://127.0.0.1:9/q/jobs".into(),
        };
        Service::new(
            &clients,
            &resources,
            Config::new(b"k", Duration::from_secs(60)),
        )
    }

    fn event(bodies: &[&str]) -> SqsEvent {
        let mut event = SqsEvent::default();
        event.records = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let mut m = SqsMessage::default();
                m.message_id = Some(format!("m{i}"));
                m.body = Some(body.to_string());
                m
            })
            .collect();
        event
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn messages_that_can_never_succeed_are_dropped_not_retried() {
        let service = unreachable_service();
        let garbage = ["", "not json", r#"{"workspace": 1}"#];
        let rows = service.handle_rows(event(&garbage)).await;
        assert!(rows.batch_item_failures.is_empty(), "{rows:?}");
        let uploads = service.handle_uploads(event(&garbage)).await;
        assert!(uploads.batch_item_failures.is_empty(), "{uploads:?}");
        // S3's test event and objects outside uploads/ ask for nothing.
        let nothing = [
            r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#,
            r#"{"Records":[{"s3":{"object":{"key":"results%2Fw%2Fx.csv"}}}]}"#,
        ];
        let uploads = service.handle_uploads(event(&nothing)).await;
        assert!(uploads.batch_item_failures.is_empty(), "{uploads:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_store_that_cannot_be_reached_hands_only_that_message_back() {
        let service = unreachable_service();
        // A well-formed chunk needs the table, which does not answer: that
        // message alone comes back; the garbage beside it is dropped.
        let job = r#"{"workspace":"w","import":"imp_1","generation":1,"chunk":{"index":0,"first_row":2,"rows":1,"start":0,"end":10,"adds":1},"allowance":null}"#;
        let rows = service.handle_rows(event(&["garbage", job])).await;
        let failed: Vec<&str> = rows
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["m1"]);
    }
}
