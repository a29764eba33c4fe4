//! Contacts' histories in the table: each entry an item in its contact's
//! own partition (`ACT#{when}#{id}`), written in the same transaction as
//! the change it tells, so a change and its entry land together or not at
//! all. An import's row writes its entry at a key made of the import and
//! the row, so a row written twice leaves one entry.

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::TransactWriteItem;

use super::error::StoreError;
use super::keys;
use super::table::{Item, Page, Table, from_item, key, n, s, sort_key, to_item};
use crate::records::Activity;
use crate::records::time::now;

/// How long a history entry is kept (TTL), and with it a contact's history.
pub const ACTIVITY_DAYS: i64 = 365;

/// An entry and where it goes.
#[derive(Debug, Clone)]
pub struct ActivityEntry {
    pub contact: String,
    /// Unix seconds the entry sorts by.
    sorted_at: i64,
    id: String,
    pub activity: Activity,
}

impl ActivityEntry {
    /// An entry made now, with an id of its own: a ULID, whose first
    /// characters are the millisecond, so entries of one second sort in
    /// the order they were made.
    pub fn now(contact: &str, activity: Activity) -> Self {
        Self {
            contact: contact.to_string(),
            sorted_at: now(),
            id: ulid::Ulid::new().to_string().to_lowercase(),
            activity,
        }
    }

    /// The entry of an import's row: the same key on every run of the row,
    /// the import's creation then the import's own ULID (its millisecond)
    /// and the row. It sorts at the import's creation.
    pub fn of_row(
        contact: &str,
        import: &str,
        import_created_at: i64,
        row: u64,
        activity: Activity,
    ) -> Self {
        let ulid = import.strip_prefix("imp_").unwrap_or(import);
        Self {
            contact: contact.to_string(),
            sorted_at: import_created_at,
            id: format!("{ulid}-{row:07}"),
            activity,
        }
    }

    pub(crate) fn item(&self, table: &Table, ws: &str) -> Result<TransactWriteItem, StoreError> {
        let mut item: Item = to_item(&self.activity)?;
        item.extend(key(
            keys::contact(ws, &self.contact),
            &keys::activity_sk(self.sorted_at, &self.id),
        ));
        item.insert(
            "expires_at".into(),
            n(self.sorted_at.max(now()) + ACTIVITY_DAYS * 86_400),
        );
        Ok(table.put(item, None))
    }
}

/// The histories of one table's contacts.
#[derive(Debug, Clone)]
pub struct ActivityStore {
    table: Table,
}

impl ActivityStore {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    /// A query of the history entries in a contact's partition.
    fn history(&self, partition: &str) -> QueryFluentBuilder {
        self.table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND begins_with(sk, :act)")
            .expression_attribute_values(":pk", s(partition))
            .expression_attribute_values(":act", s(keys::ACTIVITY_PREFIX))
    }

    /// A page of a contact's history, newest first, after the entry a
    /// cursor names (`BadCursor` for one no page gave). The key is made
    /// from `ws` here: a cursor reads the caller's own contact only.
    pub async fn page(
        &self,
        ws: &str,
        contact: &str,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Activity>, StoreError> {
        let partition = keys::contact(ws, contact);
        let mut query = self
            .history(&partition)
            .scan_index_forward(false)
            .limit(limit);
        if let Some(cursor) = cursor {
            let (sk, _) = keys::parse_creation_cursor(cursor).ok_or(StoreError::BadCursor)?;
            query = query.set_exclusive_start_key(Some(key(
                partition,
                &format!("{}{sk}", keys::ACTIVITY_PREFIX),
            )));
        }
        let out = query.send().await?;
        let items = out.items.unwrap_or_default();
        // A full page always has a cursor, as DynamoDB gives one when it
        // stops at the limit (moto only when more entries follow): the
        // page after it may be empty.
        let full = items.len() >= usize::try_from(limit).unwrap_or(usize::MAX);
        let stopped_at = match out.last_evaluated_key.as_ref() {
            Some(k) => Some(k),
            None if full => items.last(),
            None => None,
        };
        let cursor = stopped_at.and_then(|k| {
            let sk = sort_key(k)?.strip_prefix(keys::ACTIVITY_PREFIX)?;
            keys::creation_cursor(sk)
        });
        let items = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok(Page { items, cursor })
    }

    /// Deletes the histories of many contacts that are gone (a reset's
    /// page), a few contacts at a time.
    pub async fn purge_many(&self, ws: &str, contacts: &[String]) -> Result<(), StoreError> {
        const AT_ONCE: usize = 16;
        for group in contacts.chunks(AT_ONCE) {
            let mut running = tokio::task::JoinSet::new();
            for contact in group {
                let (store, ws, contact) = (self.clone(), ws.to_string(), contact.clone());
                running.spawn(async move { store.purge(&ws, &contact).await });
            }
            while let Some(done) = running.join_next().await {
                done.map_err(StoreError::unavailable)??;
            }
        }
        Ok(())
    }

    /// Deletes a contact's history once the contact is gone (a delete, a
    /// reset), a page at a time; running it again deletes what is left.
    pub async fn purge(&self, ws: &str, contact: &str) -> Result<(), StoreError> {
        let partition = keys::contact(ws, contact);
        loop {
            let out = self
                .history(&partition)
                .projection_expression("pk, sk")
                .limit(25)
                .send()
                .await?;
            let keys: Vec<Item> = out.items.unwrap_or_default();
            if keys.is_empty() {
                return Ok(());
            }
            self.table.delete_many(keys).await?;
            if out.last_evaluated_key.is_none() {
                return Ok(());
            }
        }
    }
}
