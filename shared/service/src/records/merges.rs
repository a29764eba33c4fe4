//! A merge of contacts as the table keeps it: every contact as it was just
//! before, the contact they became, and, once undone, what the undo could
//! not give back. It is what makes a merge undoable, and the merge history.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::contacts::Contact;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MergeStatus {
    Merged,
    Undone,
}

/// A merge, as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MergeRecord {
    pub id: String,
    /// The contact the others were merged into; it keeps its id.
    pub contact: String,
    /// The contacts merged into it, which the merge removed.
    pub merged: Vec<String>,
    pub status: MergeStatus,
    /// Every contact just before the merge, `contact` first.
    pub before: Vec<Contact>,
    /// The contact as the merge made it.
    pub after: Contact,
    /// RFC 3339.
    pub created_at: String,
    /// Who merged, as their token names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone_by: Option<String>,
    /// What the undo could not give back, in words (an identifier another
    /// contact holds now, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_restored: Vec<String>,
    /// Until when it may be undone (RFC 3339); the record goes then.
    pub undoable_until: String,
}
