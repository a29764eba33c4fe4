//! What the table keeps of a workspace besides its contacts, imports and
//! jobs: its settings (and the resets index they join), the mappings it
//! remembers, who holds its import lock, and its notifications (the plan's
//! monthly count is `counters`').

use contact_engine::options::RememberedColumn;
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::keys;
use super::lock;
use super::notifications;
use super::table::{Item, Table, from_item, index, index_sort, key, n, to_item, without_keys};
use crate::records::{Notification, ResetMode, Settings};

#[derive(Debug, Clone)]
pub struct WorkspaceStore {
    table: Table,
}

/// The attribute counting a workspace's settings changes; stored beside the
/// settings, never part of them.
const VERSION: &str = "version";

/// Settings as stored: without the keys and the version (settings refuse
/// unknown fields).
pub(crate) fn settings_from(item: Item) -> Result<Settings, StoreError> {
    Ok(versioned_from(item)?.0)
}

/// Settings as stored, and their version (0 for settings stored before
/// versions were counted).
fn versioned_from(item: Item) -> Result<(Settings, u64), StoreError> {
    let mut item = without_keys(item);
    let version = item
        .remove(VERSION)
        .and_then(|v| v.as_n().ok().and_then(|n| n.parse().ok()))
        .unwrap_or(0);
    Ok((from_item(item)?, version))
}

/// The remembered mapping as stored: one item per workspace, newest first.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Remembered {
    columns: Vec<RememberedColumn>,
}

impl WorkspaceStore {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    /// The headers the workspace remembers and how it mapped them, newest
    /// first; none when it never remembered any.
    pub async fn remembered(&self, ws: &str) -> Result<Vec<RememberedColumn>, StoreError> {
        let stored: Option<Remembered> = self
            .table
            .read(key(keys::workspace(ws), keys::SK_REMEMBERED))
            .await?;
        Ok(stored.unwrap_or_default().columns)
    }

    /// Replaces what the workspace remembers, in one write; nothing at all
    /// when `columns` is empty. The last write wins: what is remembered is
    /// a convenience that any later confirm or call sets again.
    pub async fn put_remembered(
        &self,
        ws: &str,
        columns: &[RememberedColumn],
    ) -> Result<(), StoreError> {
        let at = key(keys::workspace(ws), keys::SK_REMEMBERED);
        if columns.is_empty() {
            self.table
                .client()
                .delete_item()
                .table_name(self.table.name())
                .set_key(Some(at))
                .send()
                .await?;
            return Ok(());
        }
        let mut item = to_item(&Remembered {
            columns: columns.to_vec(),
        })?;
        item.extend(at);
        self.table.put_item(item, None).await
    }

    /// The workspace's settings; the defaults when it never stored any.
    pub async fn settings(&self, ws: &str) -> Result<Settings, StoreError> {
        Ok(self.versioned_settings(ws).await?.0)
    }

    /// The workspace's settings and their version: 0 until first stored,
    /// one more at every change.
    pub async fn versioned_settings(&self, ws: &str) -> Result<(Settings, u64), StoreError> {
        self.table
            .get(key(keys::workspace(ws), keys::SK_SETTINGS))
            .await?
            .map_or(Ok((Settings::default(), 0)), versioned_from)
    }

    /// Stores settings whole as the version after `version`, only while the
    /// stored settings are at `version` (`Conflict` when another change came
    /// first). A workspace whose monthly reset is on is also listed in the
    /// resets index, which the month-end schedule reads. Answers the new
    /// version.
    pub async fn put_settings(
        &self,
        ws: &str,
        settings: &Settings,
        version: u64,
    ) -> Result<u64, StoreError> {
        let mut item = to_item(settings)?;
        item.extend(key(keys::workspace(ws), keys::SK_SETTINGS));
        if settings.monthly_reset.mode != ResetMode::Off {
            index(&mut item, keys::RESETS_INDEX, ws);
        }
        let next = version + 1;
        item.insert(VERSION.into(), n(next));
        let put = self
            .table
            .client()
            .put_item()
            .table_name(self.table.name())
            .set_item(Some(item))
            .expression_attribute_names("#version", VERSION);
        let put = if version == 0 {
            put.condition_expression("attribute_not_exists(#version)")
        } else {
            put.condition_expression("#version = :version")
                .expression_attribute_values(":version", n(version))
        };
        put.send().await?;
        Ok(next)
    }

    /// The workspaces whose monthly reset is on, with their settings (the
    /// index holds them whole), a page at a time, and the last one of the
    /// page when more may follow.
    pub async fn reset_workspaces(
        &self,
        after: Option<&str>,
    ) -> Result<(Vec<(String, Settings)>, Option<String>), StoreError> {
        let mut query = self.table.index_query(keys::RESETS_INDEX).limit(500);
        if let Some(ws) = after {
            let mut start = key(keys::workspace(ws), keys::SK_SETTINGS);
            index(&mut start, keys::RESETS_INDEX, ws);
            query = query.set_exclusive_start_key(Some(start));
        }
        let out = query.send().await?;
        let workspaces = out
            .items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| {
                let ws = index_sort(&item)?.to_string();
                Some(settings_from(item).map(|settings| (ws, settings)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let next = out
            .last_evaluated_key
            .and_then(|k| index_sort(&k).map(str::to_string));
        Ok((workspaces, next))
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
