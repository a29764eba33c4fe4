//! Contacts and their claims in the table. Every write that changes a
//! contact's phone or email moves its claims in the same transaction, so
//! identifiers stay unique whatever runs beside it; what comes back is what
//! happened in the domain's words (created, taken, changed meanwhile), not
//! a transaction's cancellation reasons.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use contact_engine::options::Identifier;

use super::activity::ActivityEntry;
use super::claims;
use super::counters;
use super::error::StoreError;
use super::index;
use super::keys;
use super::retry::Retry;
use super::table::{
    Item, NotWritten, TRANSACTION_ITEMS, Table, key, partition_key, s, text, to_item,
};
use crate::records::Contact;

/// The contacts of one workspace's table.
#[derive(Debug, Clone)]
pub struct ContactStore {
    table: Table,
}

/// One query's worth of a contact shard.
#[derive(Debug, Clone)]
pub struct ContactShardRead {
    /// In creation order (the `created` index's), less any deleted
    /// between the index's read and the contacts'.
    pub contacts: Vec<Contact>,
    /// Where DynamoDB stopped before the shard's end (by count or by size):
    /// the index sort key the next read starts after.
    pub stopped_after: Option<String>,
}

/// How creating a contact through the API ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    Created,
    /// Another contact holds its phone or email.
    IdentifierTaken,
    /// The month's count is at the plan's limit.
    LimitReached,
}

/// How replacing or deleting a contact over the version read ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Done,
    /// The contact changed (or went) since it was read: read it again.
    Changed,
    /// Another contact holds the new phone or email.
    IdentifierTaken,
}

/// A contact an import's row writes whole: a new one, or an existing one
/// over `before`, as it was read (and only over it); its claims move with
/// it, and its history entry lands beside it.
#[derive(Debug, Clone, Copy)]
pub struct RowWrite<'a> {
    pub contact: &'a Contact,
    pub before: Option<&'a Contact>,
    pub entry: Option<&'a ActivityEntry>,
}

fn contact_item(ws: &str, contact: &Contact) -> Result<Item, StoreError> {
    let mut item = to_item(contact)?;
    // What reads back as its default costs bytes, and bytes cost writes:
    // empty values are left out (every such field reads as its default).
    item.retain(|_, value| match value {
        AttributeValue::Null(_) => false,
        AttributeValue::Bool(set) => *set,
        AttributeValue::L(values) => !values.is_empty(),
        AttributeValue::M(map) => !map.is_empty(),
        _ => true,
    });
    item.extend(key(keys::contact(ws, &contact.id), keys::SK_CONTACT));
    index::add_item_keys(&mut item, ws, contact);
    Ok(item)
}

/// The condition that a write happens over the version stamped `seen`
/// only: an edit made meanwhile (or a delete) cancels the write instead of
/// being lost under it.
const STILL_AS_SEEN: &str = "attribute_exists(pk) AND updated_at = :seen";

impl ContactStore {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    pub async fn contact(&self, ws: &str, id: &str) -> Result<Option<Contact>, StoreError> {
        self.table
            .read(key(keys::contact(ws, id), keys::SK_CONTACT))
            .await
    }

    /// Several contacts in one read, in any order; missing ones left out.
    pub async fn contacts(&self, ws: &str, ids: &[String]) -> Result<Vec<Contact>, StoreError> {
        let keys = ids
            .iter()
            .map(|id| key(keys::contact(ws, id), keys::SK_CONTACT))
            .collect();
        self.table.read_many(keys).await
    }

    /// The contacts holding each identifier value, in the order asked (a
    /// contact id is held by its own contact, if it exists).
    pub async fn holders(
        &self,
        ws: &str,
        identifier: Identifier,
        values: &[&str],
    ) -> Result<Vec<Vec<String>>, StoreError> {
        if identifier == Identifier::ContactId {
            let keys: Vec<Item> = values
                .iter()
                .map(|v| key(keys::contact(ws, v), keys::SK_CONTACT))
                .collect();
            let found = self.table.batch_get(keys).await?;
            let present: HashSet<&str> = found.iter().filter_map(|i| text(i, "id")).collect();
            return Ok(values
                .iter()
                .map(|v| {
                    if present.contains(v) {
                        vec![v.to_string()]
                    } else {
                        Vec::new()
                    }
                })
                .collect());
        }
        let keys: Vec<Item> = values
            .iter()
            .map(|v| key(keys::claim(ws, identifier, v), keys::SK_CLAIM))
            .collect();
        let mut by_pk: HashMap<String, Vec<String>> = HashMap::new();
        for item in self.table.batch_get(keys).await? {
            let ids = item
                .get("ids")
                .and_then(|v| v.as_ss().ok())
                .cloned()
                .unwrap_or_default();
            if let Some(pk) = partition_key(&item) {
                by_pk.insert(pk.to_string(), ids);
            }
        }
        Ok(values
            .iter()
            .map(|v| {
                let mut ids = by_pk
                    .remove(&keys::claim(ws, identifier, v))
                    .unwrap_or_default();
                ids.sort();
                ids
            })
            .collect())
    }

    /// Reads up to `limit` contacts of one listing shard, in creation
    /// order, after the index sort key `after` (a read's `stopped_after`):
    /// the ids from the `created` index, then the contacts themselves,
    /// read consistently. The start key is made from `ws` here, so whatever
    /// a caller's cursor says it reads the caller's own workspace only.
    pub async fn read_shard(
        &self,
        ws: &str,
        shard: u32,
        after: Option<&str>,
        limit: i32,
    ) -> Result<ContactShardRead, StoreError> {
        let mut query = self.table.contacts_listing(ws, shard).limit(limit);
        if let Some(sort) = after {
            let (_, id) = sort.rsplit_once('#').ok_or(StoreError::BadCursor)?;
            let mut start = key(keys::contact(ws, id), keys::SK_CONTACT);
            start.insert(
                "ix_created_pk".into(),
                s(index::Facet::Created.partition(ws, shard)),
            );
            start.insert(index::CREATED_SORT.into(), s(sort));
            query = query.set_exclusive_start_key(Some(start));
        }
        let out = query.send().await?;
        let ids: Vec<String> = out
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(|item| text(item, "id").map(str::to_string))
            .collect();
        let mut found: HashMap<String, Contact> = self
            .contacts(ws, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
        let contacts = ids.iter().filter_map(|id| found.remove(id)).collect();
        let stopped_after = out
            .last_evaluated_key
            .and_then(|k| text(&k, index::CREATED_SORT).map(str::to_string));
        Ok(ContactShardRead {
            contacts,
            stopped_after,
        })
    }

    /// Creates a contact through the API: its phone and email each claimed
    /// for it alone, and its place taken in `month`'s count under `limit`,
    /// all at once or not at all. Its history's first line is its own
    /// `created_by`.
    pub async fn create(
        &self,
        ws: &str,
        contact: &Contact,
        month: &str,
        limit: Option<u64>,
    ) -> Result<Creation, StoreError> {
        let Some(count) = counters::take(&self.table, ws, month, 1, limit) else {
            return Ok(Creation::LimitReached);
        };
        // In this order: a cancellation's reasons, item by item, tell the
        // month's count (1) from the claims (2 on).
        let mut items = vec![self.table.put(contact_item(ws, contact)?, None), count];
        items.extend(self.exclusive_moves(ws, None, contact));
        let claims = 2..items.len();
        items.extend(self.index_moves(ws, None, Some(contact)));
        Ok(match self.table.transact_or_reasons(items).await? {
            None => Creation::Created,
            Some(reasons) if reasons.failed_in(claims) => Creation::IdentifierTaken,
            Some(reasons) if reasons.failed_at(1) => Creation::LimitReached,
            Some(_) => return Err(StoreError::Busy),
        })
    }

    /// Writes `after` over the version `before` read, with its claim moves,
    /// in one transaction.
    pub async fn replace(
        &self,
        ws: &str,
        before: &Contact,
        after: &Contact,
        entry: Option<&ActivityEntry>,
    ) -> Result<Edit, StoreError> {
        // The contact first: its reason tells a concurrent edit from a
        // taken identifier.
        let mut items = vec![self.over_seen(ws, before, after)?];
        items.extend(self.exclusive_moves(ws, Some(before), after));
        items.extend(self.index_moves(ws, Some(before), Some(after)));
        if let Some(entry) = entry {
            items.push(entry.item(&self.table, ws)?);
        }
        Ok(match self.table.transact_or_reasons(items).await? {
            None => Edit::Done,
            Some(reasons) if reasons.failed_at(0) => Edit::Changed,
            Some(_) => Edit::IdentifierTaken,
        })
    }

    /// Deletes a contact with its claims, but only the version read, so the
    /// claims released beside it are the ones it still holds.
    pub async fn delete(&self, ws: &str, contact: &Contact) -> Result<Edit, StoreError> {
        Ok(
            match self
                .table
                .transact_or_reasons(self.deletion(ws, contact))
                .await?
            {
                None => Edit::Done,
                Some(_) => Edit::Changed,
            },
        )
    }

    /// The write of `after` over the version `before` read, and only over
    /// it.
    pub(crate) fn over_seen(
        &self,
        ws: &str,
        before: &Contact,
        after: &Contact,
    ) -> Result<TransactWriteItem, StoreError> {
        Ok(self.table.put_when(
            contact_item(ws, after)?,
            Some(STILL_AS_SEEN),
            &[(":seen", s(&before.updated_at))],
        ))
    }

    /// The write of a contact that must not exist yet (one a merge's undo
    /// brings back).
    pub(crate) fn fresh(
        &self,
        ws: &str,
        contact: &Contact,
    ) -> Result<TransactWriteItem, StoreError> {
        Ok(self
            .table
            .put(contact_item(ws, contact)?, Some("attribute_not_exists(pk)")))
    }

    /// Everything that goes with a contact as it is deleted over the
    /// version read: the contact first, its claims, its index entries.
    pub(crate) fn deletion(&self, ws: &str, contact: &Contact) -> Vec<TransactWriteItem> {
        let mut items = vec![self.remove(ws, contact)];
        items.extend(claims::releases(&self.table, ws, contact));
        items.extend(self.index_moves(ws, Some(contact), None));
        items
    }

    /// The index entries a write moves (`index::moves`).
    pub(crate) fn index_moves(
        &self,
        ws: &str,
        before: Option<&Contact>,
        after: Option<&Contact>,
    ) -> Vec<TransactWriteItem> {
        index::moves(&self.table, ws, before, after)
            .into_iter()
            .map(|(_, item)| item)
            .collect()
    }

    /// The claim moves of an API write: the phone and the email are each
    /// held by one contact.
    fn exclusive_moves(
        &self,
        ws: &str,
        before: Option<&Contact>,
        after: &Contact,
    ) -> Vec<TransactWriteItem> {
        claims::moves(
            &self.table,
            ws,
            before,
            after,
            &[Identifier::Phone, Identifier::Email],
        )
        .into_iter()
        .map(|(_, item)| item)
        .collect()
    }

    pub(crate) fn remove(&self, ws: &str, contact: &Contact) -> TransactWriteItem {
        self.table
            .delete(
                key(keys::contact(ws, &contact.id), keys::SK_CONTACT),
                Some(STILL_AS_SEEN),
            )
            .value(":seen", s(&contact.updated_at))
            .item()
    }

    /// Writes an import's rows, each with its claim moves (`exclusive`: the
    /// identifier in force, claimed for one contact alone; none for
    /// `add_all`, which makes duplicates on purpose). A row's writes happen
    /// together, many rows to a transaction of up to 100 items, never two
    /// writes to one item in a transaction. Answers, row by row, whether
    /// its writes happened: `false` where a condition failed (an identifier
    /// claimed meanwhile), for the caller to look at the row again. A
    /// transaction cancelled only by conflicting ones goes again without
    /// the rows whose own condition failed.
    pub async fn write_rows(
        &self,
        ws: &str,
        rows: &[RowWrite<'_>],
        exclusive: Option<Identifier>,
    ) -> Result<Vec<bool>, StoreError> {
        let mut written = vec![false; rows.len()];
        let mut queue: Vec<(usize, Vec<(String, TransactWriteItem)>)> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            // An existing contact is written over the version the row read
            // only: one merged away or edited meanwhile sends the row back
            // to be checked again. A new one (the row's own id) only if it
            // is not there yet: another copy of the chunk that created it
            // first sends this row back to find it.
            let write = match row.before {
                Some(before) => self.over_seen(ws, before, row.contact)?,
                None => self.fresh(ws, row.contact)?,
            };
            let mut items = vec![(keys::contact(ws, &row.contact.id), write)];
            items.extend(claims::moves(
                &self.table,
                ws,
                row.before,
                row.contact,
                exclusive.as_slice(),
            ));
            items.extend(index::moves(&self.table, ws, row.before, Some(row.contact)));
            if let Some(entry) = row.entry {
                let sk = format!("{}#activity", keys::contact(ws, &row.contact.id));
                items.push((sk, entry.item(&self.table, ws)?));
            }
            queue.push((i, items));
        }
        let mut tried = 0;
        while !queue.is_empty() {
            // Pack the next transaction.
            let mut batch = Vec::new();
            let mut keys_in_batch: HashSet<String> = HashSet::new();
            let mut rest = Vec::new();
            let mut size = 0;
            for group in queue.drain(..) {
                let fits = size + group.1.len() <= TRANSACTION_ITEMS
                    && group.1.iter().all(|(k, _)| !keys_in_batch.contains(k));
                if fits {
                    size += group.1.len();
                    keys_in_batch.extend(group.1.iter().map(|(k, _)| k.clone()));
                    batch.push(group);
                } else {
                    rest.push(group);
                }
            }
            let items: Vec<TransactWriteItem> = batch
                .iter()
                .flat_map(|(_, items)| items.iter().map(|(_, item)| item.clone()))
                .collect();
            match self.table.transact(items).await {
                Ok(()) => {
                    for (i, _) in batch {
                        written[i] = true;
                    }
                }
                Err(NotWritten::Cancelled(reasons)) => {
                    // The rows whose own condition failed stay unwritten;
                    // the others go again.
                    let mut offset = 0;
                    let mut any_failed = false;
                    for group in batch {
                        let len = group.1.len();
                        if reasons.failed_in(offset..offset + len) {
                            any_failed = true;
                        } else {
                            rest.push(group);
                        }
                        offset += len;
                    }
                    if !any_failed {
                        // Only conflicting transactions: wait a little.
                        tried += 1;
                        if !Retry::CALL.wait(tried).await {
                            return Err(StoreError::Busy);
                        }
                    }
                }
                Err(NotWritten::Failed(e)) => return Err(e),
            }
            rest.sort_by_key(|g| g.0);
            queue = rest;
        }
        Ok(written)
    }

    /// Deletes contacts exactly as they were chosen (a month-end reset's
    /// backup), with their claims: a contact changed since (its
    /// `updated_at` differs) is kept. Answers the ids whose deletion did
    /// not happen in this call (changed, or already gone).
    pub async fn delete_chosen(
        &self,
        ws: &str,
        contacts: &[Contact],
    ) -> Result<Vec<String>, StoreError> {
        let mut not_deleted = Vec::new();
        let mut queue: Vec<&Contact> = contacts.iter().collect();
        let mut tried = 0;
        while !queue.is_empty() {
            // As many contacts as their items fit in one transaction.
            let mut batch: Vec<&Contact> = Vec::new();
            let mut items = Vec::new();
            let mut owner = Vec::new();
            while let Some(contact) = queue.first() {
                let deletion = self.deletion(ws, contact);
                if !batch.is_empty() && items.len() + deletion.len() > TRANSACTION_ITEMS {
                    break;
                }
                owner.extend(std::iter::repeat_n(batch.len(), deletion.len()));
                items.extend(deletion);
                batch.push(queue.remove(0));
            }
            match self.table.transact(items).await {
                Ok(()) => {}
                Err(NotWritten::Cancelled(reasons)) => {
                    let failed: HashSet<usize> = (0..owner.len())
                        .filter(|at| reasons.failed_at(*at))
                        .map(|at| owner[at])
                        .collect();
                    if failed.is_empty() {
                        tried += 1;
                        if !Retry::CALL.wait(tried).await {
                            return Err(StoreError::Busy);
                        }
                    }
                    for (i, contact) in batch.into_iter().enumerate() {
                        if failed.contains(&i) {
                            not_deleted.push(contact.id.clone());
                        } else {
                            queue.push(contact);
                        }
                    }
                }
                Err(NotWritten::Failed(e)) => return Err(e),
            }
        }
        Ok(not_deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contact_lands_in_a_shard_the_listing_reads() {
        let shards: HashSet<String> = (0..keys::CONTACT_SHARDS)
            .map(|shard| index::Facet::Created.partition("w", shard))
            .collect();
        for i in 0..500 {
            let contact = Contact {
                id: format!("c_{i}"),
                ..Contact::default()
            };
            let mut item = Item::new();
            index::add_item_keys(&mut item, "w", &contact);
            let listed = text(&item, "ix_created_pk").unwrap_or_default();
            assert!(shards.contains(listed), "{listed}");
        }
    }

    /// A contact of the heavier kind an import makes (two-word names, a
    /// long email, two tags and the import's, a company), by a person
    /// named by a long email, in a workspace whose id is 20 characters.
    fn imported() -> Contact {
        let import = "imp_01kbxyzabcdefghjkmnpqrstvw";
        let mut custom = std::collections::BTreeMap::new();
        custom.insert(
            "empresa".into(),
            serde_json::json!("Distribuidora Andina S.A."),
        );
        Contact {
            id: crate::records::ids::created_contact_id(import, 123_456),
            first_name: Some("María José".into()),
            last_name: Some("Rodríguez Zambrano".into()),
            phone: Some("+593991234567".into()),
            email: Some("maria.jose.rodriguez@empresa.com.ec".into()),
            country: Some("EC".into()),
            tags: vec!["vip".into(), "lead".into(), "import-2026-12-06-0130".into()],
            custom_fields: custom,
            created_by: Some(crate::records::Actor::import(
                import,
                123_456,
                Some("operaciones@empresa.com.ec"),
            )),
            created_at: "2026-12-06T01:30:12Z".into(),
            updated_at: "2026-12-06T01:30:12Z".into(),
            ..Contact::default()
        }
    }

    /// A write costs a unit per started KB of the item (two in a
    /// transaction): the contact's index keys (one creation sort key for
    /// all the indexes sorted by creation) and its creator must leave it
    /// under 1 KB. This one is 1,003 bytes.
    #[test]
    fn an_imported_contact_is_one_write_unit() {
        let item = contact_item("acme-distribuidora-1", &imported()).unwrap();
        let size = super::super::table::item_size(&item);
        assert!(size <= 1024, "{size} bytes: {item:#?}");
        for empty in ["groups", "blocked", "language", "assignee"] {
            assert!(!item.contains_key(empty), "{empty} is left out");
        }
    }
}
