//! The whole service in one process on a laptop or in CI: moto's server,
//! the template's resources on it, the `api` router on a loopback port, and
//! pollers that hand SQS messages to the very handlers Lambda calls, as
//! `SqsEvent`s, deleting only what the handler did not report as failed
//! (the rest comes back after the queue's visibility timeout).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use contact_import::aws::Clients;
use contact_import::service::auth::Role;
use contact_import::service::{Config, Resources as ServiceResources, Service, router::router};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::StackError;
use super::calls::{Calls, Fault};
use super::moto::Moto;
use super::resources::{self, Overrides, Resources};
use super::template::{TEMPLATE_PATH, Template};

/// How to start the stack.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// The API's port; 0 takes any free one.
    pub port: u16,
    pub review_ttl: Duration,
    pub jwt_secret: String,
    /// Shorter queue visibility timeouts than the template's, so tests see
    /// redeliveries in seconds.
    pub visibility_timeout: Option<i32>,
    /// Faults to inject into the functions' AWS calls.
    pub faults: Vec<Fault>,
    /// Concurrent pollers per queue, as concurrent Lambda instances.
    pub concurrency: usize,
    /// Hands every rows-queue batch to the worker twice, the second time in
    /// reverse order: at-least-once delivery at its worst.
    pub deliver_twice: bool,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            port: 0,
            review_ttl: Duration::from_secs(3600),
            jwt_secret: DEFAULT_SECRET.to_string(),
            visibility_timeout: None,
            faults: Vec::new(),
            concurrency: 4,
            deliver_twice: false,
        }
    }
}

/// The local stack's signing key unless `JWT_SECRET` says otherwise.
pub const DEFAULT_SECRET: &str = "local-stack-secret";

const STACK_NAME: &str = "local";

/// What the pollers did: the SQS calls Lambda's event source mapping makes.
#[derive(Debug, Default)]
pub struct PollerStats {
    /// `ReceiveMessage` calls that brought messages (empty long polls are
    /// left out: they depend on idle time, not on rows).
    pub receives: AtomicU64,
    pub deletes: AtomicU64,
}

/// A running stack; dropping it stops moto.
pub struct Stack {
    pub pollers: Arc<PollerStats>,
    pub api_url: String,
    pub service: Arc<Service>,
    pub clients: Clients,
    pub resources: Resources,
    pub calls: Calls,
    moto: Moto,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Stack {
    pub async fn start(options: StackOptions) -> Result<Stack, StackError> {
        let moto = Moto::start().await?;
        let calls = Calls::new(options.faults.clone());
        // Resources are made without the interceptor: faults are for the
        // functions' calls only.
        let setup = Clients::local(&moto.endpoint, &[]);
        let template = Template::load(std::path::Path::new(TEMPLATE_PATH))?;
        let overrides = Overrides {
            visibility_timeout: options.visibility_timeout,
        };
        let resources = resources::create(&template, STACK_NAME, &setup, &overrides).await?;
        let clients = Clients::local(&moto.endpoint, &[calls.interceptor()]);
        let service = Arc::new(Service::new(
            &clients,
            &ServiceResources {
                table: resources.names.table.clone(),
                bucket: resources.names.bucket.clone(),
                uploads_queue_url: resources.uploads_queue_url.clone(),
                rows_queue_url: resources.rows_queue_url.clone(),
                jobs_queue_url: resources.jobs_queue_url.clone(),
            },
            Config::new(options.jwt_secret.as_bytes(), options.review_ttl),
        ));
        let (stop, stopped) = watch::channel(false);
        let stats = Arc::new(PollerStats::default());
        let mut tasks = Vec::new();

        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], options.port)))
                .await
                .map_err(|e| {
                    StackError::Io(std::io::Error::new(
                        e.kind(),
                        format!("port {}: {e}", options.port),
                    ))
                })?;
        let api_url = format!("http://{}", listener.local_addr()?);
        let app = router(service.clone()).merge(local_routes(service.clone()));
        let mut api_stop = stopped.clone();
        tasks.push(tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = api_stop.wait_for(|s| *s).await;
                })
                .await;
        }));

        for poller in template.pollers()? {
            let queue_url = match poller.queue.as_str() {
                "UploadsQueue" => resources.uploads_queue_url.clone(),
                "RowsQueue" => resources.rows_queue_url.clone(),
                "JobsQueue" => resources.jobs_queue_url.clone(),
                other => {
                    return Err(StackError::Template(format!(
                        "{} listens to {other}, which the local stack does not know",
                        poller.function
                    )));
                }
            };
            let handler = match poller.binary.as_str() {
                "validate" => Handler::Uploads,
                "worker" => Handler::Rows,
                "jobs" => Handler::Jobs,
                other => {
                    return Err(StackError::Template(format!(
                        "no local handler for the {other} function"
                    )));
                }
            };
            for _ in 0..options.concurrency.max(1) {
                let poll = Poller {
                    sqs: setup.sqs.clone(),
                    queue_url: queue_url.clone(),
                    batch_size: poller.batch_size.clamp(1, 10),
                    report_failures: poller.report_batch_item_failures,
                    handler,
                    service: service.clone(),
                    twice: options.deliver_twice && handler == Handler::Rows,
                    stats: stats.clone(),
                };
                let stopped = stopped.clone();
                tasks.push(tokio::spawn(poll.run(stopped)));
            }
        }
        Ok(Stack {
            pollers: stats,
            api_url,
            service,
            clients,
            resources,
            calls,
            moto,
            stop,
            tasks,
        })
    }

    /// A token this stack accepts, valid for a day.
    pub fn token(&self, workspace: &str, role: Role) -> String {
        self.service.config.keys.sign(workspace, role, 24 * 3600)
    }

    pub fn moto_endpoint(&self) -> &str {
        &self.moto.endpoint
    }

    /// Stops the API and the pollers, then moto.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        self.moto.stop();
    }
}

/// The path the local stack adds to the API: the month-end schedule, on
/// demand (`contacts reset`, `make reset`). Not part of the product's API:
/// in AWS, EventBridge calls the reset function.
pub const MONTH_END_PATH: &str = "/local/month-end";

fn local_routes(service: Arc<Service>) -> axum::Router {
    axum::Router::new()
        .route(
            MONTH_END_PATH,
            axum::routing::post(
                |axum::extract::State(service): axum::extract::State<Arc<Service>>| async move {
                    match service.handle_schedule(&serde_json::Value::Null).await {
                        Ok(started) => (
                            axum::http::StatusCode::OK,
                            axum::Json(serde_json::json!({ "resets": started })),
                        ),
                        Err(e) => (
                            axum::http::StatusCode::SERVICE_UNAVAILABLE,
                            axum::Json(serde_json::json!({ "error": e.to_string() })),
                        ),
                    }
                },
            ),
        )
        .with_state(service)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handler {
    Uploads,
    Rows,
    Jobs,
}

struct Poller {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    batch_size: i32,
    report_failures: bool,
    handler: Handler,
    service: Arc<Service>,
    twice: bool,
    stats: Arc<PollerStats>,
}

impl Poller {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        loop {
            if *stopped.borrow() {
                return;
            }
            let received = tokio::select! {
                r = self.sqs
                    .receive_message()
                    .queue_url(&self.queue_url)
                    .max_number_of_messages(self.batch_size)
                    .wait_time_seconds(1)
                    .message_system_attribute_names(MessageSystemAttributeName::All)
                    .send() => r,
                _ = stopped.changed() => return,
            };
            let messages = match received {
                Ok(out) => out.messages.unwrap_or_default(),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            if messages.is_empty() {
                continue;
            }
            self.stats.receives.fetch_add(1, Ordering::Relaxed);
            let mut event = SqsEvent::default();
            event.records = messages.iter().map(|m| self.lambda_message(m)).collect();
            let mut response = self.call(event.clone()).await;
            if self.twice {
                let mut reversed = event.clone();
                reversed.records.reverse();
                let again = self.call(reversed).await;
                response
                    .batch_item_failures
                    .extend(again.batch_item_failures);
            }
            // Lambda deletes what succeeded; without ReportBatchItemFailures
            // one failure keeps the whole batch.
            let failed: Vec<String> = response
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.clone())
                .collect();
            if !self.report_failures && !failed.is_empty() {
                continue;
            }
            let entries: Vec<DeleteMessageBatchRequestEntry> = messages
                .iter()
                .enumerate()
                .filter(|(_, m)| !failed.iter().any(|f| Some(f.as_str()) == m.message_id()))
                .filter_map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle()?)
                        .build()
                        .ok()
                })
                .collect();
            if !entries.is_empty() {
                self.stats.deletes.fetch_add(1, Ordering::Relaxed);
                let _ = self
                    .sqs
                    .delete_message_batch()
                    .queue_url(&self.queue_url)
                    .set_entries(Some(entries))
                    .send()
                    .await;
            }
        }
    }

    async fn call(&self, event: SqsEvent) -> SqsBatchResponse {
        match self.handler {
            Handler::Uploads => self.service.handle_uploads(event).await,
            Handler::Rows => self.service.handle_rows(event).await,
            Handler::Jobs => self.service.handle_jobs(event).await,
        }
    }

    fn lambda_message(&self, m: &aws_sdk_sqs::types::Message) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = m.message_id().map(str::to_string);
        message.receipt_handle = m.receipt_handle().map(str::to_string);
        message.body = m.body().map(str::to_string);
        message.md5_of_body = m.md5_of_body().map(str::to_string);
        message.attributes = m
            .attributes()
            .map(|a| {
                a.iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        message.event_source = Some("aws:sqs".into());
        message.aws_region = Some("us-east-1".into());
        message
    }
}
