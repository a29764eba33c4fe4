//! Exports and month-end resets as the table keeps them: the job, and each
//! contact shard's progress through its phase.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bulk::BulkJob;

/// Where an export or reset stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Running,
    Completed,
    Failed,
}

/// What a job is for: an export asked for through the API, a month-end
/// reset (whose backup is an export too), or a bulk action over the
/// contacts a filter chooses (a delete's backup is an export too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Export,
    Reset,
    Bulk,
}

/// A job's pass over the workspace's contact shards: choosing contacts and
/// writing them down, then (for a reset) deleting exactly those.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Select,
    Delete,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Select => "select",
            Self::Delete => "delete",
        }
    }
}

/// An export or reset as the table keeps it. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub workspace: String,
    pub kind: JobKind,
    pub status: JobStatus,
    pub phase: Phase,
    /// The file's columns, in order.
    pub columns: Vec<String>,
    /// Only contacts carrying this tag (compared case-insensitively).
    #[serde(default)]
    pub tag: Option<String>,
    /// Contacts written to the file (a bulk action's: chosen).
    #[serde(default)]
    pub rows: u64,
    /// A reset's contacts deleted, and those kept because they changed
    /// after the backup was written.
    #[serde(default)]
    pub deleted: u64,
    #[serde(default)]
    pub kept: u64,
    /// A bulk action's contacts changed (those it chose that already were
    /// as it leaves them are counted in `rows` only).
    #[serde(default)]
    pub changed: u64,
    /// A bulk action's action and filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk: Option<BulkJob>,
    /// Who started it (a user id), when a person did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// Shards finished in the current phase.
    #[serde(default)]
    pub shards_done: u32,
    /// The month a reset restarts the count of (`yyyy-mm`).
    #[serde(default)]
    pub month: Option<String>,
    #[serde(default)]
    pub available_until: Option<i64>,
    pub created_at: i64,
    #[serde(default)]
    pub finished_at: Option<i64>,
    #[serde(default)]
    pub error: Option<String>,
    /// The random part of the file's object key, drawn once when the job
    /// is created and read back by every step (a reset's id, `rst_{month}`,
    /// is no secret). `None` on jobs stored before keys carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_token: Option<String>,
}

impl JobRecord {
    /// A job as it starts: running its first phase, nothing counted yet, and
    /// its file's random key part drawn.
    pub fn started(
        id: String,
        workspace: &str,
        kind: JobKind,
        columns: Vec<String>,
        tag: Option<String>,
    ) -> Self {
        Self {
            id,
            workspace: workspace.to_string(),
            kind,
            status: JobStatus::Running,
            phase: Phase::Select,
            columns,
            tag,
            rows: 0,
            deleted: 0,
            kept: 0,
            changed: 0,
            bulk: None,
            started_by: None,
            shards_done: 0,
            month: None,
            available_until: None,
            created_at: super::time::now(),
            finished_at: None,
            error: None,
            file_token: Some(super::ids::random_token()),
        }
    }
}

/// How far one shard of a job's phase has gone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShardProgress {
    /// The next step to run.
    pub step: u32,
    /// Where the next page starts: the listing's place after the last
    /// contact read (its sort key in the `created` index).
    pub cursor: Option<String>,
    /// The select phase's pages of chosen contacts, in order.
    pub parts: Vec<String>,
    pub done: bool,
}

/// What one step adds to its job's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepCounts {
    pub rows: u64,
    pub deleted: u64,
    pub kept: u64,
    pub changed: u64,
}
