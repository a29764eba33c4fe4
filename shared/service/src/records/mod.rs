//! The service's records: what the table keeps of an import, a contact, a
//! workspace's settings, an export or reset, a notification, and the
//! messages that pass between functions. Plain types over the engine's; the
//! store turns them into items, objects and message bodies, and the
//! operations reason about them.

pub mod activity;
pub mod actors;
pub mod bulk;
pub mod contacts;
pub mod groups;
pub mod ids;
pub mod imports;
pub mod jobs;
pub mod merges;
pub mod messages;
pub mod notifications;
pub mod settings;
pub mod time;
pub mod zones;

pub use activity::{Activity, ActivityKind, Actor};
pub use bulk::{BulkAction, BulkActionName, BulkJob, ContactFilter};
pub use contacts::Contact;
pub use groups::Group;
pub use imports::{
    CountryInForce, CountrySource, Grant, ImportRecord, ImportStatus, Outcomes, RowFiles, StagePlan,
};
pub use jobs::{JobKind, JobRecord, JobStatus, Phase, ShardProgress, StepCounts};
pub use merges::{MergeRecord, MergeStatus};
pub use messages::{ChunkJob, JobMessage, Revalidate};
pub use notifications::Notification;
pub use settings::{DEFAULT_RESET_TAG, MonthlyReset, ResetMode, Settings};
