//! Who or what made a change: an import's row, an API call, a bulk
//! action. A contact keeps its creator; its history entries each keep the
//! actor of their change.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Import,
    Api,
    /// A bulk action run in the background over a filter.
    Bulk,
}

/// Who or what made a change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Actor {
    pub source: Option<Source>,
    /// The import whose row made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<String>,
    /// The row of that import, as the file numbers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The bulk action's job that made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// The person whose call or import it was, as their token names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

impl Actor {
    pub fn api(user: Option<&str>) -> Self {
        Self {
            source: Some(Source::Api),
            user: user.map(str::to_string),
            ..Self::default()
        }
    }

    pub fn import(import: &str, row: u64, user: Option<&str>) -> Self {
        Self {
            source: Some(Source::Import),
            import: Some(import.to_string()),
            row: Some(row),
            user: user.map(str::to_string),
            job: None,
        }
    }

    pub fn bulk(job: &str, user: Option<&str>) -> Self {
        Self {
            source: Some(Source::Bulk),
            job: Some(job.to_string()),
            user: user.map(str::to_string),
            ..Self::default()
        }
    }
}
