//! The Lambda entry points besides the API: the queue handlers (uploads,
//! rows, jobs, dead letters) and the month-end schedule. Each reads its
//! messages' bodies into typed values and hands them to the operations;
//! a message fails on its own (partial batch failures), so one bad message
//! never holds back, or repeats, the others.

pub mod messages;

use std::future::Future;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{LambdaEvent, service_fn};
use serde::de::DeserializeOwned;

use self::messages::{DeadLetterBody, UploadRequest, UploadsMessage};
use crate::operations::dead_letters::Settled;
use crate::operations::{Service, ServiceError};
use crate::records::time::{now, parse_rfc3339};
use crate::records::{ChunkJob, JobMessage};
use crate::store::keys;
use crate::store::retry::Retry;

/// A queue's handler as the Lambda runtime takes it: `handler` (one of
/// [`uploads`], [`rows`], [`jobs`], [`dead_letters`]) on the service a
/// function's `main` built once.
pub fn queue_function<'s, H, Fut>(
    service: &'s Service,
    handler: H,
) -> impl tower::Service<
    LambdaEvent<SqsEvent>,
    Response = SqsBatchResponse,
    Error = lambda_runtime::Error,
    Future = impl Future<Output = Result<SqsBatchResponse, lambda_runtime::Error>> + 's,
> + 's
where
    H: Fn(&'s Service, SqsEvent) -> Fut + Copy + 's,
    Fut: Future<Output = SqsBatchResponse> + 's,
{
    service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(handler(service, event.payload).await)
    })
}

/// The `validate` function: S3 upload events (through SQS) and
/// re-validations become reviews.
pub async fn uploads(service: &Service, event: SqsEvent) -> SqsBatchResponse {
    per_message(
        "validate",
        &event,
        |message: UploadsMessage, sqs| async move {
            // Boxed: the validation's future is deep enough to strain the compiler.
            tried_again(|| Box::pin(validate(service, message_id(sqs), &message))).await
        },
    )
    .await
}

async fn validate(
    service: &Service,
    message_id: &str,
    message: &UploadsMessage,
) -> Result<(), ServiceError> {
    let requests = message.requests().map_err(ServiceError::BadMessage)?;
    for request in requests {
        match request {
            UploadRequest::Upload { key } => {
                let Some((ws, import)) = keys::parse_upload_object(&key) else {
                    tracing::warn!(
                        key = %contact_engine::mask::scrub(&key),
                        "validate: not an upload's object; ignored"
                    );
                    continue;
                };
                service
                    .validator
                    .validate_upload(ws, import, None, message_id)
                    .await?;
            }
            UploadRequest::Revalidate(r) => {
                service
                    .validator
                    .validate_upload(&r.workspace, &r.import, Some(r.generation), message_id)
                    .await?;
            }
        }
    }
    Ok(())
}

/// The `worker` function: chunk messages become contacts and result parts.
pub async fn rows(service: &Service, event: SqsEvent) -> SqsBatchResponse {
    per_message("worker", &event, |job: ChunkJob, _| async move {
        // Boxed: the chunk's future is deep enough to strain the compiler.
        tried_again(|| Box::pin(service.worker.run_chunk(&job))).await
    })
    .await
}

/// The `jobs` function: exports, bulk actions and month-end resets, a page
/// per message, and the chunk messages of confirmed imports.
pub async fn jobs(service: &Service, event: SqsEvent) -> SqsBatchResponse {
    per_message("jobs", &event, |message: JobMessage, _| async move {
        match message {
            JobMessage::StartReset { workspace, month } => {
                Box::pin(service.resets.start(&workspace, &month)).await
            }
            JobMessage::FanOut {
                workspace,
                import,
                generation,
            } => {
                Box::pin(
                    service
                        .imports
                        .fan_out_confirmed(&workspace, &import, generation),
                )
                .await
            }
            JobMessage::Step {
                workspace,
                job,
                phase,
                shard,
                step,
            } => Box::pin(service.jobs.run_step(&workspace, &job, phase, shard, step)).await,
        }
    })
    .await
}

/// The `dead-letters` function, for all three dead-letter queues.
pub async fn dead_letters(service: &Service, event: SqsEvent) -> SqsBatchResponse {
    per_message(
        "dead-letters",
        &event,
        |body: DeadLetterBody, sqs| async move {
            // Boxed: the store's futures are deep enough to strain the compiler.
            let settled = Box::pin(settle(service, body)).await?;
            // Ids only: a message body may name a file.
            tracing::info!(
                message_id = message_id(sqs),
                settled = ?settled,
                "dead-letters: message settled"
            );
            Ok(())
        },
    )
    .await
}

/// Ends whatever a dead letter's body was moving on: `Unknown` for a body
/// that is not one of ours.
pub async fn settle_dead_letter(service: &Service, body: &str) -> Result<Settled, ServiceError> {
    match serde_json::from_str::<DeadLetterBody>(body) {
        Ok(body) => settle(service, body).await,
        Err(_) => Ok(Settled::Unknown),
    }
}

async fn settle(service: &Service, body: DeadLetterBody) -> Result<Settled, ServiceError> {
    let Ok(letters) = body.letters() else {
        return Ok(Settled::Unknown);
    };
    let mut settled = Settled::AlreadyEnded;
    for letter in letters {
        let outcome = service.dead_letters.settle(letter).await?;
        if outcome != Settled::AlreadyEnded {
            settled = outcome;
        }
    }
    Ok(settled)
}

/// The `reset` function, on the hourly schedule: the EventBridge event's
/// `time` (now, when it has none) says which workspaces' months have just
/// ended at their local midnight. Answers how many were asked to reset.
pub async fn schedule(service: &Service, event: &serde_json::Value) -> Result<usize, ServiceError> {
    let at = event
        .get("time")
        .and_then(|t| t.as_str())
        .and_then(parse_rfc3339)
        .unwrap_or_else(now);
    service.resets.start_due(at).await
}

fn message_id(message: &SqsMessage) -> &str {
    message.message_id.as_deref().unwrap_or("")
}

/// Runs a step that may run any number of times (a chunk, a validation)
/// again while it fails in a way worth another try, as [`Retry::STEP`]
/// says.
async fn tried_again<F, Fut>(mut step: F) -> Result<(), ServiceError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ServiceError>>,
{
    let mut tried = 0;
    loop {
        tried += 1;
        match step().await {
            Err(e) if e.is_retryable() && Retry::STEP.pause(tried).is_some() => {
                tracing::info!(
                    tries = tried,
                    error = %contact_engine::mask::scrub(&e.to_string()),
                    "step failed; trying again"
                );
                Retry::STEP.wait(tried).await;
            }
            outcome => return outcome,
        }
    }
}

/// Reads each message's body as a `T` and runs `handle` on it; reports the
/// messages worth another delivery as partial batch failures. Messages that
/// can never succeed (a body that is not a `T`, a request that cannot be)
/// are logged and dropped.
async fn per_message<'e, T, F, Fut>(
    function: &str,
    event: &'e SqsEvent,
    handle: F,
) -> SqsBatchResponse
where
    T: DeserializeOwned,
    F: Fn(T, &'e SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), ServiceError>>,
{
    let mut response = SqsBatchResponse::default();
    for message in &event.records {
        let body = message.body.as_deref().unwrap_or("");
        let handled = match serde_json::from_str::<T>(body) {
            Ok(value) => handle(value, message).await,
            Err(e) => Err(ServiceError::BadMessage(e.to_string())),
        };
        if let Err(e) = handled {
            // The error's words may echo a message body: masked.
            tracing::warn!(
                function,
                message_id = message_id(message),
                retry = e.is_retryable(),
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
    use std::time::Duration;

    use super::*;
    use crate::operations::Config;
    use crate::store::{Clients, Resources, Store};

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
            Store::new(&clients, &resources),
            Config::new(Duration::from_secs(60)),
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
        let rows = rows(&service, event(&garbage)).await;
        assert!(rows.batch_item_failures.is_empty(), "{rows:?}");
        let uploads_answer = uploads(&service, event(&garbage)).await;
        assert!(
            uploads_answer.batch_item_failures.is_empty(),
            "{uploads_answer:?}"
        );
        // S3's test event and objects outside uploads/ ask for nothing.
        let nothing = [
            r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#,
            r#"{"Records":[{"s3":{"object":{"key":"results%2Fw%2Fx.csv"}}}]}"#,
        ];
        let uploads_answer = uploads(&service, event(&nothing)).await;
        assert!(
            uploads_answer.batch_item_failures.is_empty(),
            "{uploads_answer:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_store_that_cannot_be_reached_hands_only_that_message_back() {
        let service = unreachable_service();
        // A well-formed chunk needs the table, which does not answer: that
        // message alone comes back; the garbage beside it is dropped.
        let job = r#"{"workspace":"w","import":"imp_1","generation":1,"chunk":{"index":0,"first_row":2,"rows":1,"start":0,"end":10,"adds":1},"allowance":null}"#;
        let answer = rows(&service, event(&["garbage", job])).await;
        let failed: Vec<&str> = answer
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["m1"]);
    }
}
