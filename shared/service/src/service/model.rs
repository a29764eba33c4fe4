//! The service's records: an import as stored and as the API shows it, the
//! contact, and the messages that pass between functions. Plain types; the
//! stores turn them into DynamoDB items, S3 objects and SQS bodies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use contact_engine::dialect::Dialect;
use contact_engine::options::{ImportOptions, MappingEntry};
use contact_engine::validation::{ChunkSpan, Review};

/// Where an import stands. The API shows these words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    AwaitingUpload,
    Validating,
    Review,
    Importing,
    Completed,
    Failed,
    Expired,
    Cancelled,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingUpload => "awaiting_upload",
            Self::Validating => "validating",
            Self::Review => "review",
            Self::Importing => "importing",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Row outcome counts, as the result and progress count them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    pub imported: u64,
    pub updated: u64,
    pub skipped: u64,
    pub errors: u64,
}

impl Outcomes {
    pub fn rows(&self) -> u64 {
        self.imported + self.updated + self.skipped + self.errors
    }
}

/// An import as the table keeps it. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRecord {
    pub id: String,
    pub workspace: String,
    pub status: ImportStatus,
    pub file_name: String,
    pub size_bytes: u64,
    pub options: ImportOptions,
    /// Counts validations: a `PATCH` starts a new one, and only the newest
    /// may finish.
    pub generation: u32,
    /// The SQS message whose validation is running, so that its redelivery
    /// may resume it while any other message (a repeated S3 event) may not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validating_message: Option<String>,
    #[serde(default)]
    pub dialect: Option<Dialect>,
    #[serde(default)]
    pub headers: Option<Vec<String>>,
    #[serde(default)]
    pub mapping: Option<Vec<MappingEntry>>,
    #[serde(default)]
    pub review: Option<Review>,
    /// When the review stops being confirmable (the review item's TTL too).
    #[serde(default)]
    pub review_expires_at: Option<i64>,
    #[serde(default)]
    pub rows_total: u64,
    #[serde(default)]
    pub chunks_total: u32,
    /// Counters the workers add to, once per chunk.
    #[serde(default)]
    pub chunks_done: u32,
    #[serde(default)]
    pub rows_done: u64,
    #[serde(default)]
    pub imported: u64,
    #[serde(default)]
    pub updated: u64,
    #[serde(default)]
    pub skipped: u64,
    #[serde(default)]
    pub errors: u64,
    /// The tag naming this import's contacts, when `import_tag` is on.
    #[serde(default)]
    pub import_tag: Option<String>,
    /// New contacts the workspace could still create when the import was
    /// confirmed (`None`: unlimited); the workers share it out in file order.
    #[serde(default)]
    pub allowance: Option<u64>,
    /// Whether every chunk message has been sent.
    #[serde(default)]
    pub fanned_out: bool,
    #[serde(default)]
    pub available_until: Option<i64>,
    #[serde(default)]
    pub error: Option<String>,
    pub created_at: i64,
    #[serde(default)]
    pub finished_at: Option<i64>,
}

/// What the validator leaves for confirm and the workers, in S3 beside the
/// stage file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagePlan {
    pub generation: u32,
    pub chunks: Vec<ChunkSpan>,
}

/// One chunk of rows for a worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkJob {
    pub workspace: String,
    pub import: String,
    pub generation: u32,
    pub chunk: ChunkSpan,
    /// New contacts this chunk may create: the quota left when the import was
    /// confirmed, handed out to chunks in file order.
    pub allowance: Option<u64>,
}

/// A request to validate an import's upload again with new options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revalidate {
    pub workspace: String,
    pub import: String,
    pub generation: u32,
}

/// A contact as stored and as the API shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub country: Option<String>,
    pub language: Option<String>,
    pub assignee: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub blocked: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// A workspace's settings (`GET/PUT /v1/settings`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// ISO 3166-1 alpha-2: how numbers written without `+` are read.
    pub default_country: Option<String>,
    /// New contacts a month; `null` is unlimited.
    pub contact_limit: Option<u64>,
    pub monthly_reset: MonthlyReset,
    pub custom_fields: Vec<contact_engine::fields::CustomField>,
    /// The emails and ids an assignee may name; `null` accepts any.
    pub users: Option<Vec<String>>,
}

/// Which contacts the month-end reset deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MonthlyReset {
    pub mode: ResetMode,
    /// The tag that marks contacts for deletion when `mode` is `tagged`.
    pub tag: String,
}

impl Default for MonthlyReset {
    fn default() -> Self {
        Self {
            mode: ResetMode::Off,
            tag: DEFAULT_RESET_TAG.to_string(),
        }
    }
}

/// The reset tag unless a workspace names another.
pub const DEFAULT_RESET_TAG: &str = "Borrar";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResetMode {
    /// Nothing is deleted.
    #[default]
    Off,
    /// Every contact.
    All,
    /// The contacts carrying the reset tag.
    Tagged,
}

/// Where an export or reset stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Running,
    Completed,
    Failed,
}

/// What a job is for: an export asked for through the API, or a month-end
/// reset (whose backup is an export too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Export,
    Reset,
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
    /// Contacts written to the file.
    #[serde(default)]
    pub rows: u64,
    /// A reset's contacts deleted, and those kept because they changed
    /// after the backup was written.
    #[serde(default)]
    pub deleted: u64,
    #[serde(default)]
    pub kept: u64,
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
            shards_done: 0,
            month: None,
            available_until: None,
            created_at: now(),
            finished_at: None,
            error: None,
            file_token: Some(crate::store::keys::random_token()),
        }
    }
}

/// How far one shard of a job's phase has gone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShardProgress {
    /// The next step to run.
    pub step: u32,
    /// The last contact id read, where the next page starts.
    pub cursor: Option<String>,
    /// The select phase's pages of chosen contacts, in order.
    pub parts: Vec<String>,
    pub done: bool,
}

/// The jobs queue's messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobMessage {
    /// One step of one shard of a job's phase.
    Step {
        workspace: String,
        job: String,
        phase: Phase,
        shard: u32,
        step: u32,
    },
    /// The month-end reset of one workspace.
    StartReset { workspace: String, month: String },
}

/// Times as the API writes them: RFC 3339, UTC, to the second.
pub fn rfc3339(unix_seconds: i64) -> String {
    aws_smithy_types::DateTime::from_secs(unix_seconds)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// The month a time falls in, `yyyy-mm`, which the contact count restarts on.
pub fn month(unix_seconds: i64) -> String {
    rfc3339(unix_seconds).chars().take(7).collect()
}

/// The automatic tag naming an import's contacts: `import-yyyy-mm-dd-hhmm`.
pub fn import_tag(unix_seconds: i64) -> String {
    let t = rfc3339(unix_seconds);
    format!("import-{}-{}{}", &t[..10], &t[11..13], &t[14..16])
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_the_api_writes_them() {
        let t = 1_795_356_300; // 2026-11-22T14:05:00Z
        assert_eq!(rfc3339(t), "2026-11-22T14:05:00Z");
        assert_eq!(month(t), "2026-11");
        assert_eq!(import_tag(t), "import-2026-11-22-1405");
    }
}
