//! A workspace's settings, and what validation needs of them.

use contact_engine::fields::CustomField;
use contact_engine::options::{RememberedColumn, Workspace};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A workspace's settings (`GET/PUT /v1/settings`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// ISO 3166-1 alpha-2: how numbers written without `+` are read.
    pub default_country: Option<String>,
    /// New contacts a month; `null` is unlimited.
    pub contact_limit: Option<u64>,
    pub monthly_reset: MonthlyReset,
    pub custom_fields: Vec<CustomField>,
    /// The emails and ids an assignee may name; `null` accepts any.
    pub users: Option<Vec<String>>,
}

impl Settings {
    /// The workspace as validation sees it, with `remaining_quota` new
    /// contacts left this month (`None`: unlimited).
    /// `remembered` are the headers its earlier imports mapped by hand.
    pub fn workspace(
        self,
        remaining_quota: Option<u64>,
        remembered: Vec<RememberedColumn>,
    ) -> Workspace {
        Workspace {
            default_country: self.default_country,
            remaining_quota,
            custom_fields: self.custom_fields,
            users: self.users,
            remembered,
        }
    }
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
