//! Who is calling: a workspace and a role, from verified claims only (the
//! HTTP layer verifies them), and what each role may do.

use serde::{Deserialize, Serialize};

use super::error::ServiceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Manager,
    Agent,
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub workspace: String,
    pub role: Role,
}

impl Caller {
    /// Imports, exports, deletes and settings need owner or manager.
    pub fn may_manage(&self) -> Result<(), ServiceError> {
        match self.role {
            Role::Owner | Role::Manager => Ok(()),
            Role::Agent => Err(ServiceError::Forbidden),
        }
    }
}
