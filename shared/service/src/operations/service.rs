//! Every group of operations, built once per process over one store: what
//! a function's `main` (or the local stack) makes and hands its handler.

use super::bulk::BulkActions;
use super::config::Config;
use super::contacts::{Contacts, Merges};
use super::dead_letters::DeadLetters;
use super::error::{AtStep, ServiceError};
use super::exports::Exports;
use super::groups::Groups;
use super::imports::Imports;
use super::jobs::Jobs;
use super::notifications::Notifications;
use super::plan::Plan;
use super::resets::Resets;
use super::settings::WorkspaceSettings;
use super::validator::Validator;
use super::worker::Worker;
use crate::store::{Clients, Resources, Store};

/// Every group of operations, built once per process over one store.
#[derive(Debug, Clone)]
pub struct Service {
    pub imports: Imports,
    pub validator: Validator,
    pub worker: Worker,
    pub contacts: Contacts,
    pub merges: Merges,
    pub plan: Plan,
    pub bulk: BulkActions,
    pub groups: Groups,
    pub settings: WorkspaceSettings,
    pub exports: Exports,
    pub resets: Resets,
    pub jobs: Jobs,
    pub dead_letters: DeadLetters,
    pub notifications: Notifications,
    store: Store,
}

impl Service {
    pub fn new(store: Store, config: Config) -> Self {
        let jobs = Jobs::new(store.clone(), config.clone());
        let bulk = BulkActions::new(jobs.clone(), Contacts::new(store.clone()));
        Self {
            imports: Imports::new(store.clone(), config.clone()),
            validator: Validator::new(store.clone(), config.clone()),
            worker: Worker::new(store.clone()),
            contacts: Contacts::new(store.clone()),
            merges: Merges::new(store.clone()),
            plan: Plan::new(store.clone()),
            groups: Groups::new(store.clone(), bulk.clone()),
            bulk,
            settings: WorkspaceSettings::new(store.clone()),
            exports: Exports::new(jobs.clone()),
            resets: Resets::new(jobs.clone()),
            dead_letters: DeadLetters::new(store.clone()),
            notifications: Notifications::new(jobs.clone()),
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
        self.store.reachable().await.at("reaching the store")
    }
}
