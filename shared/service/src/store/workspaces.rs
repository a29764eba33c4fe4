//! What the table keeps of a workspace besides its contacts, imports and
//! jobs: its settings (and the resets index they join), the month's count
//! of contacts created, who holds its import lock, and its notifications.

use std::collections::HashMap;

use super::counters;
use super::error::StoreError;
use super::keys;
use super::lock;
use super::notifications;
use super::table::{Item, Table, from_item, key, s, to_item};
use crate::records::{Notification, ResetMode, Settings};

#[derive(Debug, Clone)]
pub struct WorkspaceStore {
    table: Table,
}

/// Settings as stored: without the keys (settings refuse unknown fields).
pub(crate) fn settings_from(mut item: Item) -> Result<Settings, StoreError> {
    for k in ["pk", "sk", "gsi1pk", "gsi1sk"] {
        item.remove(k);
    }
    from_item(item)
}

impl WorkspaceStore {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    /// The workspace's settings; the defaults when it never stored any.
    pub async fn settings(&self, ws: &str) -> Result<Settings, StoreError> {
        self.table
            .get(key(keys::workspace(ws), keys::SK_SETTINGS))
            .await?
            .map_or(Ok(Settings::default()), settings_from)
    }

    /// Stores settings whole. A workspace whose monthly reset is on is also
    /// listed in the resets index, which the month-end schedule reads.
    pub async fn put_settings(&self, ws: &str, settings: &Settings) -> Result<(), StoreError> {
        let mut item = to_item(settings)?;
        item.extend(key(keys::workspace(ws), keys::SK_SETTINGS));
        if settings.monthly_reset.mode != ResetMode::Off {
            item.insert("gsi1pk".into(), s(keys::RESETS_INDEX));
            item.insert("gsi1sk".into(), s(ws));
        }
        self.table.put_item(item, None).await
    }

    /// The workspaces whose monthly reset is on, a page at a time, and the
    /// last one of the page when more may follow.
    pub async fn reset_workspaces(
        &self,
        after: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), StoreError> {
        let mut query = self.table.index_query(keys::RESETS_INDEX).limit(500);
        if let Some(ws) = after {
            query = query.set_exclusive_start_key(Some(HashMap::from([
                ("pk".to_string(), s(keys::workspace(ws))),
                ("sk".to_string(), s(keys::SK_SETTINGS)),
                ("gsi1pk".to_string(), s(keys::RESETS_INDEX)),
                ("gsi1sk".to_string(), s(ws)),
            ])));
        }
        let out = query.send().await?;
        let workspaces: Vec<String> = out
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(|i| i.get("gsi1sk")?.as_s().ok().cloned())
            .collect();
        let next = out
            .last_evaluated_key
            .and_then(|k| k.get("gsi1sk")?.as_s().ok().cloned());
        Ok((workspaces, next))
    }

    /// Contacts the workspace created in `month` (`yyyy-mm`).
    pub async fn contacts_created(&self, ws: &str, month: &str) -> Result<u64, StoreError> {
        counters::created(&self.table, ws, month).await
    }

    /// The import (or reset) holding the workspace's import lock, if any.
    pub async fn lock_holder(&self, ws: &str) -> Result<Option<String>, StoreError> {
        lock::holder(&self.table, ws).await
    }

    /// The workspace's notifications, newest first (at most 100).
    pub async fn notifications(&self, ws: &str) -> Result<Vec<Notification>, StoreError> {
        notifications::newest(&self.table, ws).await
    }
}
