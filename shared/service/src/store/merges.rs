//! Merges in the table. A merge is one transaction: the merged contact
//! written over the version read, the others removed over theirs, each of
//! their phones and emails handed to the merged contact (on condition its
//! holders are still those read), a mark beside each removed contact
//! naming the merge, the merge's record and every contact's history entry.
//! Its undo is one transaction too, conditioned on the record still saying
//! `merged`: a merge or undo sent twice ends as one.

use aws_sdk_dynamodb::types::TransactWriteItem;
use contact_engine::options::Identifier;

use super::activity::ActivityEntry;
use super::claims;
use super::contacts::ContactStore;
use super::counters;
use super::error::StoreError;
use super::keys;
use super::table::{Item, Page, TRANSACTION_ITEMS, Table, index, key, n, s, text, to_item};
use crate::records::time::parse_rfc3339;
use crate::records::{Contact, MergeRecord};

/// Who holds one identifier value: as read, and as the write leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimChange {
    pub identifier: Identifier,
    pub value: String,
    pub read: Vec<String>,
    pub holders: Vec<String>,
}

/// A contact merged away, and where it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedAway {
    pub contact: String,
    pub merge: String,
    pub into: String,
}

/// What a merge writes: its record (`before[0]` the surviving contact as
/// read, `after` what it becomes, the others as read after it), the claims
/// that move and the history entries.
#[derive(Debug, Clone)]
pub struct MergeWrite<'a> {
    pub record: &'a MergeRecord,
    pub claims: &'a [ClaimChange],
    pub entries: &'a [ActivityEntry],
}

/// What an undo writes: the record as undone, the merged contact as read
/// and as restored, the contacts brought back, the claims and entries.
#[derive(Debug, Clone)]
pub struct UndoWrite<'a> {
    pub record: &'a MergeRecord,
    pub current: &'a Contact,
    pub restored: &'a Contact,
    pub brought_back: &'a [Contact],
    pub claims: &'a [ClaimChange],
    pub entries: &'a [ActivityEntry],
    /// The month whose count the contacts brought back join, and its limit.
    pub month: &'a str,
    pub limit: Option<u64>,
}

/// How a merge's or an undo's transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeEnd {
    Done,
    /// A contact or a claim changed since it was read: read again.
    Changed,
    /// The undo found the merge undone already.
    AlreadyUndone,
    /// The contacts brought back do not fit in the month's count.
    LimitReached,
    /// More writes than one transaction takes (contacts with many tags,
    /// phones or emails).
    TooLarge,
}

#[derive(Debug, Clone)]
pub struct MergeStore {
    table: Table,
    contacts: ContactStore,
}

fn record_item(ws: &str, record: &MergeRecord) -> Result<Item, StoreError> {
    let mut item = to_item(record)?;
    item.extend(key(keys::merge(ws, &record.id), keys::SK_MERGE));
    let created = parse_rfc3339(&record.created_at).unwrap_or(0);
    index(
        &mut item,
        keys::merges_index(ws),
        keys::creation_sk(created, &record.id),
    );
    let until = parse_rfc3339(&record.undoable_until).unwrap_or(0);
    item.insert("expires_at".into(), n(until));
    Ok(item)
}

impl MergeStore {
    pub(crate) fn new(table: Table, contacts: ContactStore) -> Self {
        Self { table, contacts }
    }

    fn claim_items(&self, ws: &str, changes: &[ClaimChange]) -> Vec<TransactWriteItem> {
        changes
            .iter()
            .map(|c| {
                claims::set_holders(&self.table, ws, c.identifier, &c.value, &c.read, &c.holders)
            })
            .collect()
    }

    /// Adds the claim moves and the history entries to a transaction's
    /// items; answers whether they all fit in one transaction.
    fn close(
        &self,
        ws: &str,
        items: &mut Vec<TransactWriteItem>,
        claims: &[ClaimChange],
        entries: &[ActivityEntry],
    ) -> Result<bool, StoreError> {
        items.extend(self.claim_items(ws, claims));
        for entry in entries {
            items.push(entry.item(&self.table, ws)?);
        }
        Ok(items.len() <= TRANSACTION_ITEMS)
    }

    pub async fn merge(&self, ws: &str, write: &MergeWrite<'_>) -> Result<MergeEnd, StoreError> {
        let record = write.record;
        let (survivor, others) = record
            .before
            .split_first()
            .ok_or_else(|| StoreError::unavailable("a merge without contacts"))?;
        let mut items = vec![self.contacts.over_seen(ws, survivor, &record.after)?];
        items.extend(
            self.contacts
                .index_moves(ws, Some(survivor), Some(&record.after)),
        );
        let until = parse_rfc3339(&record.undoable_until).unwrap_or(0);
        for other in others {
            items.push(self.contacts.remove(ws, other));
            items.extend(self.contacts.index_moves(ws, Some(other), None));
            let mut mark = key(keys::contact(ws, &other.id), keys::SK_MERGED_INTO);
            mark.insert("merge".into(), s(&record.id));
            mark.insert("into".into(), s(&record.contact));
            mark.insert("expires_at".into(), n(until));
            items.push(self.table.put(mark, None));
        }
        items.push(
            self.table
                .put(record_item(ws, record)?, Some("attribute_not_exists(pk)")),
        );
        if !self.close(ws, &mut items, write.claims, write.entries)? {
            return Ok(MergeEnd::TooLarge);
        }
        Ok(match self.table.transact_or_reasons(items).await? {
            None => MergeEnd::Done,
            Some(_) => MergeEnd::Changed,
        })
    }

    pub async fn undo(&self, ws: &str, write: &UndoWrite<'_>) -> Result<MergeEnd, StoreError> {
        // The record first: its reason tells an undo already made.
        let mut items = vec![self.table.put_named(
            record_item(ws, write.record)?,
            "#status = :merged",
            &[("#status", "status")],
            &[(":merged", s("merged"))],
        )];
        items.push(self.contacts.over_seen(ws, write.current, write.restored)?);
        items.extend(
            self.contacts
                .index_moves(ws, Some(write.current), Some(write.restored)),
        );
        for contact in write.brought_back {
            items.push(self.contacts.fresh(ws, contact)?);
            items.extend(self.contacts.index_moves(ws, None, Some(contact)));
            items.push(
                self.table
                    .delete(
                        key(keys::contact(ws, &contact.id), keys::SK_MERGED_INTO),
                        None,
                    )
                    .item(),
            );
        }
        let count_at = items.len();
        let count = write.brought_back.len() as u64;
        if count > 0 {
            match counters::take(&self.table, ws, write.month, count, write.limit) {
                Some(take) => items.push(take),
                None => return Ok(MergeEnd::LimitReached),
            }
        }
        if !self.close(ws, &mut items, write.claims, write.entries)? {
            return Ok(MergeEnd::TooLarge);
        }
        Ok(match self.table.transact_or_reasons(items).await? {
            None => MergeEnd::Done,
            Some(reasons) if reasons.failed_at(0) => MergeEnd::AlreadyUndone,
            Some(reasons) if count > 0 && reasons.failed_at(count_at) => MergeEnd::LimitReached,
            Some(_) => MergeEnd::Changed,
        })
    }

    pub async fn record(&self, ws: &str, id: &str) -> Result<Option<MergeRecord>, StoreError> {
        self.table
            .read(key(keys::merge(ws, id), keys::SK_MERGE))
            .await
    }

    /// The workspace's merges, newest first.
    pub async fn list(
        &self,
        ws: &str,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<MergeRecord>, StoreError> {
        self.table
            .by_creation(keys::merges_index(ws), limit, cursor, |id| {
                key(keys::merge(ws, id), keys::SK_MERGE)
            })
            .await
    }

    /// Which of `ids` were merged away, and into what.
    pub async fn merged_away(
        &self,
        ws: &str,
        ids: &[String],
    ) -> Result<Vec<MergedAway>, StoreError> {
        let keys: Vec<Item> = ids
            .iter()
            .map(|id| key(keys::contact(ws, id), keys::SK_MERGED_INTO))
            .collect();
        let prefix = keys::contact(ws, "");
        Ok(self
            .table
            .batch_get(keys)
            .await?
            .iter()
            .filter_map(|item| {
                Some(MergedAway {
                    contact: text(item, "pk")?.strip_prefix(&prefix)?.to_string(),
                    merge: text(item, "merge")?.to_string(),
                    into: text(item, "into")?.to_string(),
                })
            })
            .collect())
    }
}
