//! Who is calling: a workspace, a role and the person, from verified claims
//! only (the HTTP layer verifies them), and what each role may do.

use serde::{Deserialize, Serialize};

use super::error::ServiceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Manager,
    Agent,
}

impl Role {
    /// The role as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Manager => "manager",
            Self::Agent => "agent",
        }
    }
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub workspace: String,
    pub role: Role,
    /// The person calling, as the token names them (an email on Cognito);
    /// `None` when it names nobody (a service's token). Shown as who
    /// started an import; never used to decide what may be done.
    pub user: Option<String>,
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
