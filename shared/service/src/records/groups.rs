//! A contact group as the table keeps it. Contacts name their groups (the
//! `groups` list); the group record gives the name an id, so it can be
//! listed, renamed and deleted, and keeps names unique in a workspace,
//! case aside.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Group {
    pub id: String,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
}
