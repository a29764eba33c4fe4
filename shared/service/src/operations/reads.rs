//! Reads many operations begin with, said once.

use super::error::{AtStep, ServiceError};
use crate::records::Settings;
use crate::store::Store;

/// The workspace's settings (their defaults when none are stored).
pub(crate) async fn read_settings(store: &Store, ws: &str) -> Result<Settings, ServiceError> {
    store
        .workspaces
        .settings(ws)
        .await
        .at("reading the settings")
}
