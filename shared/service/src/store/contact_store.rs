//! The contact routes' own writes and reads: a shard of the contact listing,
//! and the contact put and delete that only happen while the contact is
//! still the version the caller read.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

use super::keys;
use super::table::{StoreError, Table, from_item, key, s};
use crate::service::model::Contact;

/// One query's worth of a contact shard.
#[derive(Debug, Clone)]
pub struct ContactShardRead {
    /// In id order.
    pub contacts: Vec<Contact>,
    /// Where DynamoDB stopped before the shard's end (by count or by size):
    /// the id the next read starts after.
    pub stopped_after: Option<String>,
}

impl Table {
    /// Reads up to `limit` contacts of one listing shard, in id order, after
    /// contact `after`. The start key is made from `ws` here, so whatever a
    /// caller's cursor says it reads the caller's own workspace only.
    pub async fn read_contact_shard(
        &self,
        ws: &str,
        shard: u32,
        after: Option<&str>,
        limit: i32,
    ) -> Result<ContactShardRead, StoreError> {
        let index = keys::contacts_shard(ws, shard);
        let mut query = self.index_query(&index).limit(limit);
        if let Some(id) = after {
            let mut start = key(keys::contact(ws, id), keys::SK_CONTACT);
            start.insert("gsi1pk".into(), s(&index));
            start.insert("gsi1sk".into(), s(id));
            query = query.set_exclusive_start_key(Some(start));
        }
        let out = query.send().await?;
        let contacts = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<Contact>, _>>()?;
        let stopped_after = out
            .last_evaluated_key
            .and_then(|k| k.get("gsi1sk")?.as_s().ok().cloned());
        Ok(ContactShardRead {
            contacts,
            stopped_after,
        })
    }

    /// Writes a contact whole, but only over the version whose `updated_at`
    /// is `seen`: an edit made meanwhile (or a delete) cancels the write
    /// instead of being lost under it.
    pub fn replace_contact(
        &self,
        ws: &str,
        contact: &Contact,
        seen: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.name)
            .set_item(Some(Self::contact_item(ws, contact)?))
            .condition_expression("attribute_exists(pk) AND updated_at = :seen")
            .set_expression_attribute_values(Some(HashMap::from([(":seen".to_string(), s(seen))])))
            .build()
            .expect("table, item given");
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Deletes a contact, but only the version whose `updated_at` is `seen`,
    /// so the claims released beside it are the ones it still holds.
    pub fn remove_contact(&self, ws: &str, id: &str, seen: &str) -> TransactWriteItem {
        let delete = Delete::builder()
            .table_name(&self.name)
            .set_key(Some(key(keys::contact(ws, id), keys::SK_CONTACT)))
            .condition_expression("attribute_exists(pk) AND updated_at = :seen")
            .expression_attribute_values(":seen", s(seen))
            .build()
            .expect("table, key given");
        TransactWriteItem::builder().delete(delete).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_contact_lands_in_a_shard_the_listing_reads() {
        let shards: std::collections::HashSet<String> = (0..keys::CONTACT_SHARDS)
            .map(|shard| keys::contacts_shard("w", shard))
            .collect();
        for i in 0..500 {
            let index = keys::contacts_index("w", &format!("c_{i}"));
            assert!(shards.contains(&index), "{index}");
        }
    }
}
