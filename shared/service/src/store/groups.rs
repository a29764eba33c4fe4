//! A workspace's groups in the table: one partition holding each group and
//! the claim on its name, written together so that two groups never share
//! a name (case aside); and a group's size, counted on the search index.

use super::error::StoreError;
use super::index::{Facet, value_key};
use super::keys;
use super::table::{NotWritten, Page, Table, from_item, key, s, sort_key, to_item};
use crate::records::Group;
use crate::records::ids::new_id;
use crate::records::time::now;

#[derive(Debug, Clone)]
pub struct GroupStore {
    table: Table,
}

/// What a write of a group's name came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupWrite {
    Done,
    /// Another group of the workspace has the name.
    NameTaken,
    /// The group is gone, or changed since it was read.
    Changed,
}

impl GroupStore {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    fn claim_key(ws: &str, name: &str) -> super::table::Item {
        key(keys::groups(ws), &keys::group_name_sk(&value_key(name)))
    }

    /// Stores a new group and claims its name, together.
    pub async fn create(&self, ws: &str, group: &Group) -> Result<GroupWrite, StoreError> {
        let mut item = to_item(group)?;
        item.extend(key(keys::groups(ws), &keys::group_sk(&group.id)));
        let mut claim = Self::claim_key(ws, &group.name);
        claim.insert("id".into(), s(&group.id));
        let items = vec![
            self.table.put(item, Some("attribute_not_exists(pk)")),
            self.table.put(claim, Some("attribute_not_exists(pk)")),
        ];
        match self.table.transact(items).await {
            Ok(()) => Ok(GroupWrite::Done),
            Err(NotWritten::Cancelled(r)) if r.failed_at(1) => Ok(GroupWrite::NameTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Makes sure a group named `name` (case aside) exists: created when
    /// new (what adding contacts to a group, or an import's `group`
    /// option, does).
    pub async fn ensure(&self, ws: &str, name: &str) -> Result<(), StoreError> {
        let group = Group {
            id: new_id("grp"),
            name: name.trim().to_string(),
            created_at: now(),
        };
        self.create(ws, &group).await.map(|_| ())
    }

    /// The group holding `name` (case aside), if any.
    pub async fn named(&self, ws: &str, name: &str) -> Result<Option<Group>, StoreError> {
        let claim = self.table.get(Self::claim_key(ws, name)).await?;
        match claim.as_ref().and_then(|c| super::table::text(c, "id")) {
            Some(id) => self.group(ws, id).await,
            None => Ok(None),
        }
    }

    pub async fn group(&self, ws: &str, id: &str) -> Result<Option<Group>, StoreError> {
        self.table
            .read(key(keys::groups(ws), &keys::group_sk(id)))
            .await
    }

    /// A page of the workspace's groups, oldest first, after the group
    /// `after` names.
    pub async fn list(
        &self,
        ws: &str,
        limit: i32,
        after: Option<&str>,
    ) -> Result<Page<Group>, StoreError> {
        let partition = keys::groups(ws);
        let mut query = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND begins_with(sk, :g)")
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":g", s("G#"))
            .limit(limit);
        if let Some(after) = after {
            query = query.set_exclusive_start_key(Some(key(partition, &keys::group_sk(after))));
        }
        let out = query.send().await?;
        let cursor = out
            .last_evaluated_key
            .as_ref()
            .and_then(|k| sort_key(k)?.strip_prefix("G#").map(str::to_string));
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(Page { items, cursor })
    }

    /// Renames a group as read: its name claim moves with it (kept when
    /// only the case changes).
    pub async fn rename(
        &self,
        ws: &str,
        group: &Group,
        name: &str,
    ) -> Result<GroupWrite, StoreError> {
        let update = self
            .table
            .update(
                key(keys::groups(ws), &keys::group_sk(&group.id)),
                "SET #name = :new",
            )
            .name("#name", "name")
            .value(":new", s(name))
            .value(":old", s(&group.name))
            .condition("#name = :old")
            .item();
        let mut items = vec![update];
        if value_key(name) != value_key(&group.name) {
            let mut claim = Self::claim_key(ws, name);
            claim.insert("id".into(), s(&group.id));
            items.push(self.table.put(claim, Some("attribute_not_exists(pk)")));
            items.push(
                self.table
                    .delete(Self::claim_key(ws, &group.name), None)
                    .item(),
            );
        }
        match self.table.transact(items).await {
            Ok(()) => Ok(GroupWrite::Done),
            Err(NotWritten::Cancelled(r)) if r.failed_at(0) => Ok(GroupWrite::Changed),
            Err(NotWritten::Cancelled(r)) if r.failed_at(1) => Ok(GroupWrite::NameTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a group as read, with the claim on its name.
    pub async fn delete(&self, ws: &str, group: &Group) -> Result<GroupWrite, StoreError> {
        let items = vec![
            self.table
                .delete(
                    key(keys::groups(ws), &keys::group_sk(&group.id)),
                    Some("attribute_exists(pk)"),
                )
                .item(),
            self.table
                .delete(Self::claim_key(ws, &group.name), None)
                .item(),
        ];
        match self.table.transact(items).await {
            Ok(()) => Ok(GroupWrite::Done),
            Err(NotWritten::Cancelled(r)) if r.failed_at(0) => Ok(GroupWrite::Changed),
            Err(e) => Err(e.into()),
        }
    }

    /// How many contacts are in the group named `name`: its search index
    /// entries counted, shard by shard and place by place (the table and
    /// the value indexes), all at once.
    pub async fn size(&self, ws: &str, name: &str) -> Result<u64, StoreError> {
        let facet = Facet::Group(value_key(name));
        let mut running = tokio::task::JoinSet::new();
        for shard in 0..keys::CONTACT_SHARDS {
            for index in facet.places() {
                let (table, partition) = (self.table.clone(), facet.partition(ws, shard));
                running.spawn(async move { table.index_count(index, &partition).await });
            }
        }
        let mut total = 0;
        while let Some(done) = running.join_next().await {
            total += done.map_err(StoreError::unavailable)??;
        }
        Ok(total)
    }
}
