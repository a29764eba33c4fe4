//! The service's operations: what the API's routes and the queue handlers
//! ask for, in the product's words. Each group is a small value over the
//! store and the settings it needs, built once with the [`Service`]:
//! imports (create, review, confirm, …), the validator, the worker,
//! contacts, workspace settings, exports and resets and the steps they run
//! in, dead letters, notifications. They reason about records and the
//! engine's rules, and leave every AWS detail to the store.

mod apply;
pub mod caller;
pub mod contacts;
pub mod dead_letters;
pub mod error;
pub mod exports;
pub mod imports;
pub mod jobs;
pub mod notifications;
pub mod resets;
pub mod rows;
pub mod settings;
pub mod validator;
pub mod worker;

use std::time::Duration;

pub use caller::{Caller, Role};
pub use error::ServiceError;

use crate::store::{Clients, Resources, Store};

/// The operations' settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a review may be confirmed.
    pub review_ttl: Duration,
    /// How long a presigned upload URL works (at most 15 minutes).
    pub upload_url_ttl: Duration,
    /// How long a presigned download URL works.
    pub download_url_ttl: Duration,
}

impl Config {
    pub fn new(review_ttl: Duration) -> Self {
        Self {
            review_ttl,
            upload_url_ttl: Duration::from_secs(10 * 60),
            download_url_ttl: Duration::from_secs(5 * 60),
        }
    }

    /// From `REVIEW_TTL_SECONDS` (default 3600).
    pub fn from_env() -> Result<Self, String> {
        let ttl = match std::env::var("REVIEW_TTL_SECONDS") {
            Ok(v) => v
                .parse()
                .map_err(|_| format!("REVIEW_TTL_SECONDS={v} is not a number of seconds"))?,
            Err(_) => 3600,
        };
        Ok(Self::new(Duration::from_secs(ttl)))
    }
}

/// Every group of operations, built once per process over one store.
#[derive(Debug, Clone)]
pub struct Service {
    pub imports: imports::Imports,
    pub validator: validator::Validator,
    pub worker: worker::Worker,
    pub contacts: contacts::Contacts,
    pub settings: settings::WorkspaceSettings,
    pub exports: exports::Exports,
    pub resets: resets::Resets,
    pub jobs: jobs::Jobs,
    pub dead_letters: dead_letters::DeadLetters,
    pub notifications: notifications::Notifications,
    store: Store,
}

impl Service {
    pub fn new(store: Store, config: Config) -> Self {
        let jobs = jobs::Jobs::new(store.clone(), config.clone());
        Self {
            imports: imports::Imports::new(store.clone(), config.clone()),
            validator: validator::Validator::new(store.clone(), config.clone()),
            worker: worker::Worker::new(store.clone()),
            contacts: contacts::Contacts::new(store.clone()),
            settings: settings::WorkspaceSettings::new(store.clone()),
            exports: exports::Exports::new(jobs.clone()),
            resets: resets::Resets::new(jobs.clone()),
            dead_letters: dead_letters::DeadLetters::new(store.clone()),
            notifications: notifications::Notifications::new(jobs.clone()),
            jobs,
            store,
        }
    }

    /// The service as a Lambda function finds it: clients, resources and
    /// settings from the environment.
    pub async fn from_env() -> Result<Self, String> {
        let clients = Clients::from_env().await;
        let store = Store::new(&clients, &Resources::from_env()?);
        Ok(Self::new(store, Config::from_env()?))
    }

    /// The store beneath (tests look at what it holds).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether the table, the bucket and the queues answer.
    pub async fn health(&self) -> Result<(), ServiceError> {
        use error::AtStep;
        self.store.reachable().await.at("reaching the store")
    }
}
