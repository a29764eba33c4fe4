//! The whole service in one process on a laptop or in CI: moto's server,
//! the template's resources on it, the `api` router on a loopback port, and
//! pollers that hand SQS messages to the very handlers Lambda calls, as
//! `SqsEvent`s, deleting only what the handler did not report as failed
//! (the rest comes back after the queue's visibility timeout). For the
//! fault tests the pollers can also deliver at least once at its worst
//! (copies, shuffled batches) and kill handlers mid-work ([`DeliveryFaults`]).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName, QueueAttributeName,
};
use axum::Router;
use axum::extract::Request;
use axum::response::IntoResponse;
use contact_service::http::auth::Auth;
use contact_service::http::cors::Cors;
use contact_service::http::{App, router};
use contact_service::lambda;
use contact_service::operations::{Config, Role, Service};
use contact_service::store::{Clients, Resources as ServiceResources, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use super::StackError;
use super::actions::ActionLog;
use super::calls::{Calls, Draws, Fault, RandomFaults, fnv1a, killed_at_call};
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
    /// Faults at random on the functions' DynamoDB, S3 and SQS calls.
    pub random_faults: Option<RandomFaults>,
    /// Copies, shuffled batches and killed handlers, on every queue.
    pub delivery_faults: Option<DeliveryFaults>,
    /// The browser origins the API and the bucket allow (CORS); `None`
    /// takes the template's `AllowedOrigins` default.
    pub allowed_origins: Option<Vec<String>>,
    /// A folder of built pages (`web/dist`) to serve at `/`, beside the
    /// API's routes; the stack's own origin is then allowed too, so that
    /// the pages may upload to the bucket.
    pub pages: Option<PathBuf>,
}

/// The template parameter naming the browser origins allowed.
pub const ALLOWED_ORIGINS: &str = "AllowedOrigins";

/// What the pollers do to messages and handlers besides handing each
/// message to its handler once, drawn at random from `seed`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryFaults {
    pub seed: u64,
    /// The chance that a message received is also handed to a second
    /// handler at the same time, as SQS may deliver a message twice. It is
    /// deleted when either handler handled it.
    pub copies: f64,
    /// Whether the messages of a batch reach the handler in a random order.
    pub shuffle: bool,
    /// The chance that a handler is killed (a Lambda timeout or crash)
    /// during one of its first `kill_within` AWS calls, chosen at random:
    /// nothing of its batch is deleted, so every message comes back after
    /// the visibility timeout. A handler that makes fewer calls finishes.
    pub kills: f64,
    pub kill_within: u64,
    /// A batch holding a message received more often than this is not
    /// killed: kills alone never drive a message to its dead-letter queue
    /// (which would fail its import, whatever the code does).
    pub kills_per_message: u64,
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
            random_faults: None,
            delivery_faults: None,
            allowed_origins: None,
            pages: None,
        }
    }
}

/// The local stack's signing key unless `JWT_SECRET` says otherwise.
pub const DEFAULT_SECRET: &str = "local-stack-secret";

const STACK_NAME: &str = "local";

/// The template's functions that the local stack runs outside the pollers:
/// the API, and the schedule's target (`POST /local/month-end`).
pub const API_FUNCTION: &str = "ApiFunction";
pub const SCHEDULE_FUNCTION: &str = "ResetFunction";

/// What the pollers did: the SQS calls Lambda's event source mapping makes.
#[derive(Debug, Default)]
pub struct PollerStats {
    /// `ReceiveMessage` calls that brought messages (empty long polls are
    /// left out: they depend on idle time, not on rows).
    pub receives: AtomicU64,
    pub deletes: AtomicU64,
    /// Messages also handed to a second handler at the same time.
    pub copies: AtomicU64,
    /// Handlers killed mid-work.
    pub killed: AtomicU64,
    /// Messages left in the queue for another delivery: their handler
    /// failed on them or was killed.
    pub handed_back: AtomicU64,
    /// The most times one message was received (a queue's dead-letter queue
    /// takes a message received more often than its `maxReceiveCount`).
    pub most_receives: AtomicU64,
}

/// A running stack; dropping it stops moto.
pub struct Stack {
    pub pollers: Arc<PollerStats>,
    pub api_url: String,
    pub service: Arc<Service>,
    /// How the API checks tokens: the stack's shared key.
    pub auth: Auth,
    pub clients: Clients,
    pub resources: Resources,
    pub calls: Calls,
    /// The IAM actions each function's calls needed, by function.
    pub actions: ActionLog,
    /// Whether the built pages are served at `/`.
    pages: bool,
    moto: Moto,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Stack {
    pub async fn start(options: StackOptions) -> Result<Stack, StackError> {
        let moto = Moto::start().await?;
        let calls = Calls::with_random(options.faults.clone(), options.random_faults);
        // Resources are made without the interceptor: faults are for the
        // functions' calls only.
        let setup = Clients::local(&moto.endpoint, &[]);
        let template = Template::load(std::path::Path::new(TEMPLATE_PATH))?;
        // The port first: pages served from it are an origin to allow.
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], options.port)))
                .await
                .map_err(|e| {
                    StackError::Io(std::io::Error::new(
                        e.kind(),
                        format!("port {}: {e}", options.port),
                    ))
                })?;
        let address = listener.local_addr()?;
        let api_url = format!("http://{address}");
        // The API allows the origins the bucket does: the template's
        // `AllowedOrigins`, unless the stack was started with others; and
        // the pages' own, as the distribution's on AWS: the stack's, when
        // it serves them.
        let allowed = match &options.allowed_origins {
            Some(origins) => origins.clone(),
            None => template.list_parameter_default(ALLOWED_ORIGINS)?,
        };
        let pages_origins = match options.pages {
            Some(_) => vec![
                api_url.clone(),
                format!("http://localhost:{}", address.port()),
            ],
            None => Vec::new(),
        };
        let overrides = Overrides {
            visibility_timeout: options.visibility_timeout,
            allowed_origins: Some(allowed.clone()),
            pages_origins: pages_origins.clone(),
        };
        let cors = Cors::new(&[allowed, pages_origins].concat()).map_err(StackError::Template)?;
        let resources = resources::create(&template, STACK_NAME, &setup, &overrides).await?;
        let clients = Clients::local(&moto.endpoint, &[calls.interceptor()]);
        let actions = ActionLog::new(resources.queues_by_url());
        // One service per function, as each Lambda function has its own
        // clients (and role): what each calls is logged under its name.
        let mut services: HashMap<String, Arc<Service>> = HashMap::new();
        let mut service_of = |function: &str| -> Arc<Service> {
            services
                .entry(function.to_string())
                .or_insert_with(|| {
                    let clients = Clients::local(
                        &moto.endpoint,
                        &[calls.interceptor(), actions.interceptor(function)],
                    );
                    let store = Store::new(
                        &clients,
                        &ServiceResources {
                            table: resources.names.table.clone(),
                            bucket: resources.names.bucket.clone(),
                            uploads_queue_url: resources.uploads_queue_url.clone(),
                            rows_queue_url: resources.rows_queue_url.clone(),
                            jobs_queue_url: resources.jobs_queue_url.clone(),
                        },
                    );
                    Arc::new(Service::new(store, Config::new(options.review_ttl)))
                })
                .clone()
        };
        let service = service_of(API_FUNCTION);
        let schedule = service_of(SCHEDULE_FUNCTION);
        let (stop, stopped) = watch::channel(false);
        let stats = Arc::new(PollerStats::default());
        let mut tasks = Vec::new();

        let auth = Auth::shared_key(options.jwt_secret.as_bytes());
        let app = App {
            service: (*service).clone(),
            auth: auth.clone(),
            cors,
        };
        let app = router(Arc::new(app)).merge(local_routes(schedule, service.clone()));
        let app = with_pages(app, options.pages.as_deref());
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
                "UploadsDeadLetterQueue" => resources.uploads_dlq_url.clone(),
                "RowsDeadLetterQueue" => resources.rows_dlq_url.clone(),
                "JobsDeadLetterQueue" => resources.jobs_dlq_url.clone(),
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
                "dead-letters" => Handler::DeadLetters,
                other => {
                    return Err(StackError::Template(format!(
                        "no local handler for the {other} function"
                    )));
                }
            };
            let function_service = service_of(&poller.function);
            let visibility = visibility_timeout(&setup.sqs, &queue_url).await?;
            for instance in 0..options.concurrency.max(1) {
                let seed = options.delivery_faults.as_ref().map_or(0, |d| d.seed)
                    ^ fnv1a(&format!("{}/{instance}", poller.queue));
                let poll = Poller {
                    sqs: setup.sqs.clone(),
                    queue_url: queue_url.clone(),
                    batch_size: poller.batch_size.clamp(1, 10),
                    visibility,
                    report_failures: poller.report_batch_item_failures,
                    handler,
                    service: function_service.clone(),
                    twice: options.deliver_twice && handler == Handler::Rows,
                    faults: options.delivery_faults.clone(),
                    draws: Draws::new(seed),
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
            auth,
            clients,
            resources,
            calls,
            actions,
            pages: options.pages.is_some(),
            moto,
            stop,
            tasks,
        })
    }

    /// Whether the stack serves the built pages at `/`.
    pub fn serves_pages(&self) -> bool {
        self.pages
    }

    /// A token this stack accepts, valid for a day, naming a person of the
    /// workspace by role (`owner@demo.local`), as a sign-in would.
    pub fn token(&self, workspace: &str, role: Role) -> String {
        let person = format!("{}@{workspace}.local", role.as_str());
        self.auth
            .keys
            .sign_for(workspace, role, Some(&person), 24 * 3600)
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

/// A queue's visibility timeout, in seconds.
async fn visibility_timeout(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Result<i32, StackError> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::VisibilityTimeout)
        .send()
        .await
        .map_err(|e| {
            StackError::Aws(format!(
                "{queue_url}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(e)
            ))
        })?;
    out.attributes()
        .and_then(|a| a.get(&QueueAttributeName::VisibilityTimeout))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| StackError::Aws(format!("{queue_url} has no visibility timeout")))
}

/// The path the local stack adds to the API: the month-end schedule, on
/// demand (`contacts reset`, `make reset`). Not part of the product's API:
/// in AWS, EventBridge calls the reset function.
pub const MONTH_END_PATH: &str = "/local/month-end";

/// `schedule` runs what the reset function runs on AWS; `reader` (the API
/// function's clients, which may read what the report reads) says what each
/// workspace's reset was before, which only this local route tells.
fn local_routes(schedule: Arc<Service>, reader: Arc<Service>) -> axum::Router {
    type Both = (Arc<Service>, Arc<Service>);
    axum::Router::new()
        .route(
            MONTH_END_PATH,
            axum::routing::post(
                |axum::extract::State((schedule, reader)): axum::extract::State<Both>| async move {
                    // What each workspace's reset was before asking: a
                    // workspace resets once a month, and the answer says
                    // which ones this call starts and which already ran.
                    let asked = async {
                        let report = reader
                            .resets
                            .month_report(contact_service::records::time::now())
                            .await?;
                        lambda::schedule(&schedule, &serde_json::Value::Null).await?;
                        Ok::<_, contact_service::operations::ServiceError>(report)
                    };
                    match asked.await {
                        Ok((month, report)) => {
                            let started: Vec<&str> = report
                                .iter()
                                .filter(|(_, status)| status.is_none())
                                .map(|(ws, _)| ws.as_str())
                                .collect();
                            let already: Vec<serde_json::Value> = report
                                .iter()
                                .filter_map(|(ws, status)| {
                                    status
                                        .map(|s| serde_json::json!({"workspace": ws, "status": s}))
                                })
                                .collect();
                            (
                                axum::http::StatusCode::OK,
                                axum::Json(serde_json::json!({
                                    "month": month,
                                    "started": started,
                                    "already_this_month": already,
                                })),
                            )
                        }
                        Err(e) => (
                            axum::http::StatusCode::SERVICE_UNAVAILABLE,
                            axum::Json(serde_json::json!({ "error": e.to_string() })),
                        ),
                    }
                },
            ),
        )
        .with_state((schedule, reader))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handler {
    Uploads,
    Rows,
    Jobs,
    DeadLetters,
}

struct Poller {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    batch_size: i32,
    report_failures: bool,
    handler: Handler,
    service: Arc<Service>,
    /// The queue's visibility timeout, in seconds.
    visibility: i32,
    twice: bool,
    faults: Option<DeliveryFaults>,
    draws: Draws,
    stats: Arc<PollerStats>,
}

impl Poller {
    async fn run(mut self, mut stopped: watch::Receiver<bool>) {
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
            for message in &messages {
                let receives = message
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                self.stats
                    .most_receives
                    .fetch_max(receives, Ordering::Relaxed);
            }
            let mut event = SqsEvent::default();
            event.records = messages.iter().map(|m| self.lambda_message(m)).collect();
            let (event, copies, kill, kill_copy) = self.mistreat(event);
            let copy = async {
                if copies.records.is_empty() {
                    return None;
                }
                self.stats
                    .copies
                    .fetch_add(copies.records.len() as u64, Ordering::Relaxed);
                Some(self.invoke(copies.clone(), kill_copy).await)
            };
            let work = async { tokio::join!(self.invoke(event.clone(), kill), copy) };
            let (first, second) = self.holding(&messages, work).await;
            // Lambda deletes what an instance that lived handled; a killed
            // instance deletes nothing.
            let mut handled: HashSet<String> = HashSet::new();
            if let Some(mut response) = first {
                if self.twice {
                    let mut reversed = event.clone();
                    reversed.records.reverse();
                    let again = self.call(reversed).await;
                    response
                        .batch_item_failures
                        .extend(again.batch_item_failures);
                }
                handled.extend(self.succeeded(&event, &response));
            }
            if let Some(Some(response)) = second {
                handled.extend(self.succeeded(&copies, &response));
            }
            let entries: Vec<DeleteMessageBatchRequestEntry> = messages
                .iter()
                .enumerate()
                .filter(|(_, m)| m.message_id().is_some_and(|id| handled.contains(id)))
                .filter_map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle()?)
                        .build()
                        .ok()
                })
                .collect();
            self.stats
                .handed_back
                .fetch_add((messages.len() - entries.len()) as u64, Ordering::Relaxed);
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

    /// Runs `work` while keeping `messages` from other receivers, as the
    /// template's timeouts do in AWS: a function times out well before its
    /// queue's visibility timeout, so a live handler's messages are not
    /// received again. The local stack's handlers are far slower (moto is one
    /// Python process), so the pollers extend the visibility while a handler
    /// runs; a handler that ends or is killed lets go, and what it did not
    /// delete comes back one visibility timeout later.
    async fn holding<T>(
        &self,
        messages: &[aws_sdk_sqs::types::Message],
        work: impl Future<Output = T>,
    ) -> T {
        let entries: Vec<ChangeMessageVisibilityBatchRequestEntry> = messages
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle()?)
                    .visibility_timeout(self.visibility)
                    .build()
                    .ok()
            })
            .collect();
        let every = Duration::from_secs_f64((f64::from(self.visibility) / 2.0).max(0.5));
        let (sqs, queue_url) = (self.sqs.clone(), self.queue_url.clone());
        // A task of its own: a handler's CPU work (`block_in_place`) holds
        // up everything else on its task. Dropping the set ends it.
        let mut heartbeat = tokio::task::JoinSet::new();
        heartbeat.spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let _ = sqs
                    .change_message_visibility_batch()
                    .queue_url(&queue_url)
                    .set_entries(Some(entries.clone()))
                    .send()
                    .await;
            }
        });
        work.await
    }

    /// Shuffles the batch, picks the messages a second handler gets too,
    /// and where each handler is killed, if it is.
    fn mistreat(&mut self, mut event: SqsEvent) -> (SqsEvent, SqsEvent, Option<u64>, Option<u64>) {
        let mut copies = SqsEvent::default();
        let Some(faults) = self.faults.clone() else {
            return (event, copies, None, None);
        };
        if faults.shuffle {
            self.draws.shuffle(&mut event.records);
        }
        copies.records = event
            .records
            .iter()
            .filter(|_| self.draws.chance(faults.copies))
            .cloned()
            .collect();
        if faults.shuffle {
            self.draws.shuffle(&mut copies.records);
        }
        let received = event
            .records
            .iter()
            .filter_map(|m| {
                m.attributes
                    .get("ApproximateReceiveCount")?
                    .parse::<u64>()
                    .ok()
            })
            .max()
            .unwrap_or(1);
        let spared = received > faults.kills_per_message;
        let mut kill = || {
            (self.draws.chance(faults.kills) && !spared)
                .then(|| 1 + self.draws.below(faults.kill_within))
        };
        let (first, second) = (kill(), kill());
        (event, copies, first, second)
    }

    /// Runs the handler, killed at its `kill`th AWS call if given; `None`
    /// when it was.
    async fn invoke(&self, event: SqsEvent, kill: Option<u64>) -> Option<SqsBatchResponse> {
        let Some(nth) = kill else {
            return Some(self.call(event).await);
        };
        let response = killed_at_call(nth, self.call(event)).await;
        if response.is_none() {
            self.stats.killed.fetch_add(1, Ordering::Relaxed);
        }
        response
    }

    /// The messages of `event` a handler that answered `response` is done
    /// with; without ReportBatchItemFailures one failure keeps the whole
    /// batch.
    fn succeeded(&self, event: &SqsEvent, response: &SqsBatchResponse) -> Vec<String> {
        if !self.report_failures && !response.batch_item_failures.is_empty() {
            return Vec::new();
        }
        event
            .records
            .iter()
            .filter_map(|m| m.message_id.clone())
            .filter(|id| {
                !response
                    .batch_item_failures
                    .iter()
                    .any(|f| &f.item_identifier == id)
            })
            .collect()
    }

    async fn call(&self, event: SqsEvent) -> SqsBatchResponse {
        match self.handler {
            Handler::Uploads => lambda::uploads(&self.service, event).await,
            Handler::Rows => lambda::rows(&self.service, event).await,
            Handler::Jobs => lambda::jobs(&self.service, event).await,
            Handler::DeadLetters => lambda::dead_letters(&self.service, event).await,
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

/// The API's router with the built pages at every path the API does not
/// own (`/v1/…`, `/local/…`): `/` is the workspace app, `/embed.html` the
/// embedding example, `/contact-import.js` the element alone.
fn with_pages(api: Router, pages: Option<&std::path::Path>) -> Router {
    let Some(pages) = pages else {
        return api;
    };
    let files = tower_http::services::ServeDir::new(pages);
    Router::new().fallback_service(tower::service_fn(move |request: Request| {
        let (api, files) = (api.clone(), files.clone());
        async move {
            let path = request.uri().path();
            if path.starts_with("/v1/") || path.starts_with("/local/") || path == "/v1" {
                return api.oneshot(request).await;
            }
            let answer = files.oneshot(request).await;
            Ok(answer.map(|r| r.map(axum::body::Body::new)).into_response())
        }
    }))
}
