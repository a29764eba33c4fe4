//! A bulk action as a job keeps it: what is done to each contact, and the
//! filter that chooses them (a search's filters, already read and checked,
//! so every step of the job applies the same ones).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a bulk action does to each contact it reaches. Each is idempotent:
/// done twice to a contact, it leaves it as done once, which is what lets a
/// step delivered twice run again harmlessly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BulkAction {
    AddTags {
        tags: Vec<String>,
    },
    RemoveTags {
        tags: Vec<String>,
    },
    AddToGroup {
        group: String,
    },
    RemoveFromGroup {
        group: String,
    },
    /// A group's new name given to its members (a group renamed).
    RenameGroup {
        from: String,
        to: String,
    },
    Block,
    Unblock,
    Delete,
}

/// The names of [`BulkAction`], as requests and answers spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkActionName {
    AddTags,
    RemoveTags,
    AddToGroup,
    RemoveFromGroup,
    /// Started by renaming a group (`PATCH /v1/groups/{id}`), not asked
    /// for here.
    RenameGroup,
    Block,
    Unblock,
    Delete,
}

impl BulkAction {
    pub fn name(&self) -> BulkActionName {
        match self {
            Self::AddTags { .. } => BulkActionName::AddTags,
            Self::RemoveTags { .. } => BulkActionName::RemoveTags,
            Self::AddToGroup { .. } => BulkActionName::AddToGroup,
            Self::RemoveFromGroup { .. } => BulkActionName::RemoveFromGroup,
            Self::RenameGroup { .. } => BulkActionName::RenameGroup,
            Self::Block => BulkActionName::Block,
            Self::Unblock => BulkActionName::Unblock,
            Self::Delete => BulkActionName::Delete,
        }
    }

    /// Its tags, for the tag actions.
    pub fn tags(&self) -> &[String] {
        match self {
            Self::AddTags { tags } | Self::RemoveTags { tags } => tags,
            _ => &[],
        }
    }

    /// Its group, for the group actions.
    pub fn group(&self) -> Option<&str> {
        match self {
            Self::AddToGroup { group } | Self::RemoveFromGroup { group } => Some(group),
            Self::RenameGroup { to, .. } => Some(to),
            _ => None,
        }
    }
}

/// A search's filters, read and normalised (see the search in
/// `operations::contacts::search`, which also decides what each means).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactFilter {
    /// The name's words, folded.
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub all_tags: bool,
    pub group: Option<String>,
    /// A custom field's key and its value as the index keeps it.
    pub custom: Option<(String, String)>,
    pub country: Option<String>,
    pub language: Option<String>,
    pub assignee: Option<String>,
    pub blocked: Option<bool>,
    /// RFC 3339, as contacts keep `created_at`; both inclusive.
    pub after: Option<String>,
    pub before: Option<String>,
}

/// A bulk action run in the background: what it does, to whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkJob {
    pub action: BulkAction,
    pub filter: ContactFilter,
}
