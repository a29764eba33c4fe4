//! A notification to the workspace: an import finished or failed, an export
//! is ready or failed, a month-end reset is done or failed.

use serde::{Deserialize, Serialize};

/// A notification as the table keeps it. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique within the workspace; ids sort oldest first.
    pub id: String,
    /// `import_completed`, `import_failed`, `export_ready`, `export_failed`,
    /// `reset_completed` or `reset_failed`.
    pub kind: String,
    pub message: String,
    #[serde(default)]
    pub created_at: Option<i64>,
    /// The import it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<String>,
    /// The export or reset it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
}
