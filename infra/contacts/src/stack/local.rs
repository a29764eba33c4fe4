//! The whole service in one process on a laptop or in CI: moto's server,
//! the template's resources on it, the `api` router on a loopback port, and
//! pollers that hand SQS messages to the very handlers Lambda calls, as
//! `SqsEvent`s, deleting only what the handler did not report as failed
//! (the rest comes back after the queue's visibility timeout). For the
//! fault tests the pollers can also deliver at least once at its worst
//! (copies, shuffled batches) and kill handlers mid-work ([`DeliveryFaults`]).

use super::capacity::CapacityMeter;
use super::in_flight::InFlight;
use super::latency::{Delayed, LatencyProfile};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use axum::Router;
use axum::extract::Request;
use axum::response::IntoResponse;
use contact_service::http::auth::Auth;
use contact_service::http::cors::Cors;
use contact_service::http::{App, router};
use contact_service::operations::{Config, Role, Service};
use contact_service::records::ChunkJob;
use contact_service::store::{Clients, Resources as ServiceResources, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use super::StackError;
use super::actions::ActionLog;
use super::calls::{Calls, Draws, Fault, RandomFaults, fnv1a};
use super::moto::Moto;
pub use super::poller::{DeliveryFaults, PollerStats};
use super::poller::{Handler, Poller};
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
    /// AWS's round trips modelled: every call of the functions waits the
    /// profile's latency (`latency.rs`). Off unless given.
    pub latency: Option<LatencyProfile>,
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
            latency: None,
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

/// A running stack; dropping it stops moto.
pub struct Stack {
    pub pollers: Arc<PollerStats>,
    /// Set: the rows queue's pollers receive nothing ([`Stack::hold_rows`]).
    rows_held: Arc<std::sync::atomic::AtomicBool>,
    pub api_url: String,
    pub service: Arc<Service>,
    /// How the API checks tokens: the stack's shared key.
    pub auth: Auth,
    pub clients: Clients,
    pub resources: Resources,
    pub calls: Calls,
    /// The IAM actions each function's calls needed, by function.
    pub actions: ActionLog,
    /// The most calls of each operation the functions had outstanding at
    /// once.
    pub in_flight: InFlight,
    /// The latency model, when on: how long calls waited in all.
    pub latency: Option<Delayed>,
    /// DynamoDB's read and write units the calls consumed, and their cap.
    pub capacity: CapacityMeter,
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
        let in_flight = InFlight::default();
        let delayed = options.latency.map(Delayed::new);
        // One service per function, as each Lambda function has its own
        // clients (and role): what each calls is logged under its name.
        let mut services: HashMap<String, Arc<Service>> = HashMap::new();
        let mut service_of = |function: &str| -> Arc<Service> {
            services
                .entry(function.to_string())
                .or_insert_with(|| {
                    let clients = Clients::local_through(
                        &moto.endpoint,
                        &[
                            calls.interceptor(),
                            actions.interceptor(function),
                            in_flight.interceptor(),
                        ],
                        delayed.as_ref().map(Delayed::client),
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

        let rows_held: Arc<std::sync::atomic::AtomicBool> = Arc::default();
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
                    held: if handler == Handler::Rows {
                        rows_held.clone()
                    } else {
                        Arc::default()
                    },
                };
                let stopped = stopped.clone();
                tasks.push(tokio::spawn(poll.run(stopped)));
            }
        }
        Ok(Stack {
            rows_held,
            pollers: stats,
            api_url,
            service,
            auth,
            clients,
            resources,
            calls,
            actions,
            in_flight,
            latency: delayed,
            capacity: CapacityMeter::new(&moto.endpoint),
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

    /// Holds the rows queue's messages back (`true`) or lets the workers
    /// take them again: a test's way to order a worker after something
    /// else, as AWS's event source may start the workers late.
    pub fn hold_rows(&self, held: bool) {
        self.rows_held
            .store(held, std::sync::atomic::Ordering::Relaxed);
    }

    /// Takes up to `n` chunk messages off the rows queue while it is held
    /// ([`Stack::hold_rows`]), waiting at most `within` for them: for a
    /// caller that runs chunks through the worker itself. A message taken
    /// and not deleted comes back after the queue's visibility timeout.
    pub async fn take_held_chunks(
        &self,
        n: usize,
        within: Duration,
    ) -> Result<Vec<ChunkJob>, StackError> {
        let mut jobs = Vec::new();
        let started = std::time::Instant::now();
        while jobs.len() < n && started.elapsed() < within {
            let received = self
                .clients
                .sqs
                .receive_message()
                .queue_url(&self.resources.rows_queue_url)
                .max_number_of_messages((n - jobs.len()).min(10) as i32)
                .wait_time_seconds(1)
                .send()
                .await
                .map_err(|e| StackError::Aws(format!("receiving chunk messages: {e}")))?;
            for message in received.messages() {
                let body = message.body().unwrap_or_default();
                let job = serde_json::from_str(body).map_err(|e| {
                    StackError::Aws(format!("a rows message that is not a chunk: {e}"))
                })?;
                jobs.push(job);
            }
        }
        Ok(jobs)
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
                    // Each workspace's month ends now, whatever its hour
                    // (on AWS the hourly schedule waits for its midnight).
                    let now = contact_service::records::time::now();
                    let asked = async {
                        let report = reader.resets.month_report(now).await?;
                        schedule.resets.start_all(now).await?;
                        Ok::<_, contact_service::operations::ServiceError>(report)
                    };
                    match asked.await {
                        Ok(report) => {
                            let month = contact_service::records::time::month(now);
                            let started: Vec<&str> = report
                                .iter()
                                .filter(|(_, _, status)| status.is_none())
                                .map(|(ws, _, _)| ws.as_str())
                                .collect();
                            let already: Vec<serde_json::Value> = report
                                .iter()
                                .filter_map(|(ws, _, status)| {
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
