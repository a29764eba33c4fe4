//! An import's chunks in the table: what a worker reads before a chunk, the
//! new contacts a chunk is granted under the workspace's limit, and the
//! chunk's counts, each recorded once however often the chunk runs.

use super::counters;
use super::error::StoreError;
use super::keys;
use super::retry::Retry;
use super::table::{NotWritten, Table, from_item, key, n, s, sort_key, to_item};
use super::workspaces::settings_from;
use crate::records::{Grant, ImportRecord, Outcomes, Settings};

#[derive(Debug, Clone)]
pub struct ChunkStore {
    table: Table,
}

/// What a worker reads before a chunk.
#[derive(Debug, Clone, Default)]
pub struct ChunkState {
    pub record: Option<ImportRecord>,
    /// Whether the chunk is counted already (an earlier run finished it).
    pub counted: bool,
    pub settings: Settings,
    /// The new contacts an earlier run of the chunk was granted.
    pub grant: Option<Grant>,
    /// Of the months asked about, those whose count is opened.
    pub opened_months: Vec<String>,
}

impl ChunkStore {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    /// What a worker needs before a chunk, in one read: the import, whether
    /// the chunk is already counted, the workspace's settings, the new
    /// contacts already granted to the chunk, and which of `months` are
    /// opened (the workspace's month is one of them: the chunk then need
    /// not read its count again to know it is open).
    pub async fn state(
        &self,
        ws: &str,
        id: &str,
        chunk: u32,
        months: &[String],
    ) -> Result<ChunkState, StoreError> {
        let pk = keys::import(ws, id);
        let mut wanted = vec![
            key(pk.clone(), keys::SK_IMPORT),
            key(pk.clone(), &keys::chunk_sk(chunk)),
            key(pk, &keys::grant_sk(chunk)),
            key(keys::workspace(ws), keys::SK_SETTINGS),
        ];
        wanted.extend(months.iter().map(|month| counters::month_key(ws, month)));
        let found = self.table.batch_get(wanted).await?;
        let mut state = ChunkState::default();
        for item in found {
            match sort_key(&item).unwrap_or_default() {
                keys::SK_IMPORT => state.record = Some(from_item(item)?),
                keys::SK_SETTINGS => state.settings = settings_from(item)?,
                sk if sk.starts_with(keys::GRANT_PREFIX) => {
                    state.grant = Some(from_item(item)?);
                }
                sk if sk.starts_with(keys::COUNTERS_PREFIX) => {
                    if counters::count_of(&item).is_some() {
                        let month = &sk[keys::COUNTERS_PREFIX.len()..];
                        state.opened_months.push(month.to_string());
                    }
                }
                _ => state.counted = true,
            }
        }
        Ok(state)
    }

    /// Grants a chunk up to `want` new contacts within the workspace's
    /// `limit`, taking them from the month's count (opened by the caller) in
    /// the same transaction that records the grant: once per chunk, however
    /// often it runs.
    pub async fn grant_new_contacts(
        &self,
        record: &ImportRecord,
        chunk: u32,
        month: &str,
        want: u64,
        limit: u64,
    ) -> Result<Grant, StoreError> {
        let ws = &record.workspace;
        let pk = keys::import(ws, &record.id);
        let mut tried = 0;
        loop {
            tried += 1;
            let counted = counters::month_count(&self.table, ws, month)
                .await?
                .map_or(0, |m| m.count);
            let grant = Grant {
                granted: want.min(limit.saturating_sub(counted)),
                month: month.to_string(),
            };
            let mut item = to_item(&grant)?;
            item.extend(key(pk.clone(), &keys::grant_sk(chunk)));
            let mut items = vec![self.table.put(item, Some("attribute_not_exists(pk)"))];
            if grant.granted > 0 {
                items.extend(counters::take(
                    &self.table,
                    ws,
                    month,
                    grant.granted,
                    Some(limit),
                ));
            }
            match self.table.transact(items).await {
                Ok(()) => return Ok(grant),
                Err(NotWritten::Cancelled(reasons)) if reasons.failed_at(0) => {
                    // Granted before (this chunk ran already).
                    let found = self
                        .table
                        .get(key(pk.clone(), &keys::grant_sk(chunk)))
                        .await?;
                    return found.map_or(Err(StoreError::Conflict), from_item);
                }
                Err(NotWritten::Cancelled(reasons)) if reasons.failed_at(1) => {
                    // The counter moved since it was read: read it again.
                    if !Retry::CALL.wait(tried).await {
                        return Err(StoreError::unavailable(
                            "the month's contact counter kept changing",
                        ));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Counts a chunk once: the done marker and the import's counters (and
    /// the month's created contacts) change together or not at all.
    /// Answers whether this call counted it.
    pub async fn count(
        &self,
        record: &ImportRecord,
        chunk: u32,
        outcomes: Outcomes,
        grant: Option<&Grant>,
        month: &str,
    ) -> Result<bool, StoreError> {
        let ws = &record.workspace;
        let pk = keys::import(ws, &record.id);
        let mut marker = key(pk.clone(), &keys::chunk_sk(chunk));
        marker.insert("imported".into(), n(outcomes.imported));
        marker.insert("rows".into(), n(outcomes.rows()));
        let counters = self
            .table
            .update(
                key(pk, keys::SK_IMPORT),
                "ADD chunks_done :one, rows_done :rows, imported :imported, updated :updated, skipped :skipped, #errors :errors",
            )
            .name("#errors", "errors")
            .name("#status", "status")
            .value(":one", n(1))
            .value(":rows", n(outcomes.rows()))
            .value(":imported", n(outcomes.imported))
            .value(":updated", n(outcomes.updated))
            .value(":skipped", n(outcomes.skipped))
            .value(":errors", n(outcomes.errors))
            .value(":importing", s("importing"))
            .condition("#status = :importing");
        let mut items = vec![
            self.table.put(marker, Some("attribute_not_exists(pk)")),
            counters.item(),
        ];
        // A granted chunk took its contacts from the counter already and
        // gives back what it did not create; any other counts what it did.
        let (month, change) = match grant {
            Some(g) => (
                g.month.as_str(),
                outcomes.imported as i64 - g.granted as i64,
            ),
            None => (month, outcomes.imported as i64),
        };
        if change != 0 {
            items.push(counters::add(&self.table, ws, month, change));
        }
        self.table.transact_once(items).await
    }
}
