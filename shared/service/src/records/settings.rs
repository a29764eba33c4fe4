//! A workspace's settings, and what validation needs of them.

use chrono_tz::Tz;
use contact_engine::fields::CustomField;
use contact_engine::options::{RememberedColumn, Workspace};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::zones::default_zone;

/// A workspace's settings (`GET/PUT /v1/settings`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// ISO 3166-1 alpha-2: how numbers written without `+` are read.
    pub default_country: Option<String>,
    /// The plan's contacts a month (those carried over plus those created);
    /// `null` is unlimited.
    pub contact_limit: Option<u64>,
    /// The IANA time zone months turn in and the month-end reset runs at
    /// midnight of (`America/Guayaquil`); `null` takes the zone of
    /// `default_country`, or UTC without one.
    pub time_zone: Option<String>,
    pub monthly_reset: MonthlyReset,
    pub custom_fields: Vec<CustomField>,
    /// The emails and ids an assignee may name; `null` accepts any.
    pub users: Option<Vec<String>>,
}

impl Settings {
    /// The zone the workspace's months turn in: its own, else its
    /// country's, else UTC. A stored name is checked when written, so one
    /// that no longer parses falls back the same way.
    pub fn zone(&self) -> Tz {
        self.time_zone
            .as_deref()
            .and_then(|name| name.parse().ok())
            .or_else(|| self.default_country.as_deref().and_then(default_zone))
            .unwrap_or(Tz::UTC)
    }

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
