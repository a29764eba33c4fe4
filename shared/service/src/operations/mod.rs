//! The service's operations: what the API's routes and the queue handlers
//! ask for, in the product's words. Each group is a small value over the
//! store and the settings it needs, built once with the [`Service`]:
//! imports (create, review, confirm, …), the validator, the worker,
//! contacts, bulk actions, groups, the plan's count, workspace settings, exports and resets and the steps they run
//! in, dead letters, notifications. They reason about records and the
//! engine's rules, and leave every AWS detail to the store.

mod apply;
pub mod bulk;
pub mod caller;
pub mod chunks;
pub mod config;
pub mod contacts;
pub mod dead_letters;
pub mod error;
pub mod exports;
mod fan_out;
pub mod groups;
pub mod imports;
pub mod jobs;
pub mod notifications;
pub mod plan;
mod reads;
pub mod resets;
pub mod review;
pub mod rows;
pub mod service;
pub mod settings;
pub mod validator;
pub mod wording;
pub mod worker;

pub use caller::{Caller, Role};
pub use config::Config;
pub use error::ServiceError;
pub use service::Service;
