//! DynamoDB plumbing, and nothing of the domain: one table with string keys
//! `pk`/`sk`, TTL on `expires_at`, and one GSI (`gsi1pk`/`gsi1sk`) for
//! listings. Records go in and out through `serde_dynamo`; the stores of
//! imports, contacts, jobs and workspaces write their expressions with the
//! builders here.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, DeleteRequest, KeysAndAttributes, Put, ReturnValue, Select,
    TransactWriteItem, Update, WriteRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use futures_util::future::try_join_all;

use super::error::StoreError;
use super::keys;
use super::retry::Retry;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// An item's size as DynamoDB bills it (its attribute names and values:
/// text in UTF-8 bytes, a number about one byte per two digits, a list or
/// map 3 bytes and one per element): a write costs a unit per started KB
/// of it, twice in a transaction.
#[cfg(test)]
pub(crate) fn item_size(item: &Item) -> usize {
    fn value_size(value: &AttributeValue) -> usize {
        match value {
            AttributeValue::S(text) => text.len(),
            AttributeValue::N(number) => {
                let digits = number.bytes().filter(u8::is_ascii_digit).count();
                digits.div_ceil(2) + 1
            }
            AttributeValue::B(bytes) => bytes.as_ref().len(),
            AttributeValue::Ss(texts) => texts.iter().map(String::len).sum(),
            AttributeValue::Ns(numbers) => numbers.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
            AttributeValue::L(values) => {
                3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>()
            }
            AttributeValue::M(map) => {
                3 + map
                    .iter()
                    .map(|(name, v)| 1 + name.len() + value_size(v))
                    .sum::<usize>()
            }
            _ => 1,
        }
    }
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

/// A page of a listing and where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub cursor: Option<String>,
}

/// Most items one `TransactWriteItems` call takes.
pub(crate) const TRANSACTION_ITEMS: usize = 100;

/// Most keys one `BatchGetItem` call takes.
pub(crate) const BATCH_KEYS: usize = 100;

/// `BatchGetItem` calls one read sends side by side: a file's identifiers
/// are looked up in round trips of this many calls, not one call after
/// another (a latency of 10 ms makes 2,000 calls in series 20 s).
pub(crate) const BATCHES_AT_ONCE: usize = 8;

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

/// Lists an item in the listing index: under `partition`, in the order of
/// `sort`.
pub(crate) fn index(item: &mut Item, partition: impl Into<String>, sort: impl Into<String>) {
    item.insert("gsi1pk".into(), s(partition));
    item.insert("gsi1sk".into(), s(sort));
}

/// Where an item stands in the listing index: its sort key (a query's
/// last evaluated key gives the next page's start).
pub(crate) fn index_sort(item: &Item) -> Option<&str> {
    text(item, "gsi1sk")
}

/// An item's sort key in the table.
pub(crate) fn sort_key(item: &Item) -> Option<&str> {
    text(item, "sk")
}

/// An item's partition key in the table.
pub(crate) fn partition_key(item: &Item) -> Option<&str> {
    text(item, "pk")
}

/// The item without its keys in the table and the index: the record alone.
pub(crate) fn without_keys(mut item: Item) -> Item {
    for k in ["pk", "sk", "gsi1pk", "gsi1sk"] {
        item.remove(k);
    }
    item
}

/// A string attribute of an item.
pub(crate) fn text<'i>(item: &'i Item, name: &str) -> Option<&'i str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

pub(crate) fn to_item(value: &impl Serialize) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::corrupt("record", e))
}

pub(crate) fn to_value(value: &impl Serialize) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::corrupt("record", e))
}

pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::corrupt("record", e))
}

/// Why a transaction was cancelled: one reason code per item, in order
/// (`None` where that item was fine).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reasons(Vec<Option<String>>);

impl Reasons {
    /// Whether item `index`'s own condition failed (rather than the item
    /// meeting another transaction in flight).
    pub(crate) fn failed_at(&self, index: usize) -> bool {
        self.0
            .get(index)
            .is_some_and(|r| r.as_deref() == Some("ConditionalCheckFailed"))
    }

    /// Whether any condition of items `range` failed.
    pub(crate) fn failed_in(&self, range: std::ops::Range<usize>) -> bool {
        range.into_iter().any(|i| self.failed_at(i))
    }

    /// Whether any item's condition failed: when none did, the transaction
    /// only met another one, and trying again may succeed.
    pub(crate) fn any_failed(&self) -> bool {
        self.failed_in(0..self.0.len())
    }
}

/// How a transaction ended when it was not carried out.
#[derive(Debug)]
pub(crate) enum NotWritten {
    /// Cancelled, with each item's reason.
    Cancelled(Reasons),
    Failed(StoreError),
}

impl From<NotWritten> for StoreError {
    /// For a transaction whose first item carries its one condition.
    fn from(e: NotWritten) -> Self {
        match e {
            NotWritten::Cancelled(reasons) if reasons.failed_at(0) => StoreError::Conflict,
            NotWritten::Cancelled(_) => StoreError::Busy,
            NotWritten::Failed(e) => e,
        }
    }
}

/// The table and the client that reaches it.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    client: Client,
    name: String,
}

impl Table {
    pub(crate) fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Whether the table answers (for the health check).
    pub(crate) async fn reachable(&self) -> Result<(), StoreError> {
        self.client
            .describe_table()
            .table_name(&self.name)
            .send()
            .await?;
        Ok(())
    }

    /// One item, read consistently.
    pub(crate) async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await?;
        Ok(out.item)
    }

    /// One record by its key, `None` when there is none.
    pub(crate) async fn read<T: DeserializeOwned>(
        &self,
        key: Item,
    ) -> Result<Option<T>, StoreError> {
        self.get(key).await?.map(from_item).transpose()
    }

    /// The records of many keys, in any order; missing ones left out.
    pub(crate) async fn read_many<T: DeserializeOwned>(
        &self,
        keys: Vec<Item>,
    ) -> Result<Vec<T>, StoreError> {
        self.batch_get(keys)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Reads many items, [`BATCH_KEYS`] keys per call and up to
    /// [`BATCHES_AT_ONCE`] calls side by side, answering the items found in
    /// any order. Keys DynamoDB leaves unprocessed are asked again.
    pub(crate) async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let batches: Vec<&[Item]> = keys.chunks(BATCH_KEYS).collect();
        let mut found = Vec::with_capacity(keys.len());
        for wave in batches.chunks(BATCHES_AT_ONCE) {
            let answers = try_join_all(wave.iter().map(|batch| self.batch_get_one(batch))).await?;
            found.extend(answers.into_iter().flatten());
        }
        Ok(found)
    }

    /// One `BatchGetItem` of at most [`BATCH_KEYS`] keys, asked again for
    /// the keys left unprocessed.
    async fn batch_get_one(&self, batch: &[Item]) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::with_capacity(batch.len());
        {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(batch.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(StoreError::unavailable)?,
            );
            let mut tried = 0;
            while let Some(request) = pending.take() {
                tried += 1;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.name, request)
                    .send()
                    .await?;
                if let Some(mut responses) = out.responses {
                    found.extend(responses.remove(&self.name).unwrap_or_default());
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.name))
                    .filter(|k| !k.keys.is_empty());
                if pending.is_some() && !Retry::CALL.wait(tried).await {
                    return Err(StoreError::unavailable("DynamoDB kept keys unprocessed"));
                }
            }
        }
        Ok(found)
    }

    /// Deletes many items by key, 25 a call (`BatchWriteItem`), unconditioned;
    /// requests DynamoDB leaves unprocessed are sent again.
    pub(crate) async fn delete_many(&self, keys: Vec<Item>) -> Result<(), StoreError> {
        for batch in keys.chunks(25) {
            let mut pending: Vec<WriteRequest> = batch
                .iter()
                .map(|k| {
                    let delete = DeleteRequest::builder()
                        .set_key(Some(k.clone()))
                        .build()
                        .map_err(StoreError::unavailable)?;
                    Ok(WriteRequest::builder().delete_request(delete).build())
                })
                .collect::<Result<_, StoreError>>()?;
            let mut tried = 0;
            while !pending.is_empty() {
                tried += 1;
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.name, pending)
                    .send()
                    .await?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.name))
                    .unwrap_or_default();
                if !pending.is_empty() && !Retry::CALL.wait(tried).await {
                    return Err(StoreError::unavailable("DynamoDB kept deletes unprocessed"));
                }
            }
        }
        Ok(())
    }

    /// Writes one item on its own, under `condition` when given.
    pub(crate) async fn put_item(
        &self,
        item: Item,
        condition: Option<&str>,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .send()
            .await?;
        Ok(())
    }

    /// Writes items atomically (at most [`TRANSACTION_ITEMS`]).
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), NotWritten> {
        if items.is_empty() {
            return Ok(());
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            // The SDK's own retries of this call carry the same token, so
            // DynamoDB carries the writes out once.
            .client_request_token(ulid::Ulid::new().to_string())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    Err(NotWritten::Cancelled(Reasons(
                        cancelled
                            .cancellation_reasons()
                            .iter()
                            .map(|r| r.code().filter(|c| *c != "None").map(str::to_string))
                            .collect(),
                    )))
                }
                _ => Err(NotWritten::Failed(e.into())),
            },
        }
    }

    /// A transaction whose first item carries the condition that makes it
    /// happen once: answers whether this call did it.
    pub(crate) async fn transact_once(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(NotWritten::Cancelled(reasons)) if reasons.failed_at(0) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// A transaction tried again while only conflicting transactions cancel
    /// it; answers `None` once written, or the reasons when an item's own
    /// condition failed.
    pub(crate) async fn transact_or_reasons(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Option<Reasons>, StoreError> {
        let mut tried = 0;
        loop {
            tried += 1;
            match self.transact(items.clone()).await {
                Ok(()) => return Ok(None),
                Err(NotWritten::Cancelled(reasons)) if reasons.any_failed() => {
                    return Ok(Some(reasons));
                }
                Err(NotWritten::Cancelled(_)) => {
                    if !Retry::CALL.wait(tried).await {
                        return Err(StoreError::Busy);
                    }
                }
                Err(NotWritten::Failed(e)) => return Err(e),
            }
        }
    }

    pub(crate) fn put(&self, item: Item, condition: Option<&str>) -> TransactWriteItem {
        self.put_when(item, condition, &[])
    }

    /// A put under a condition that names `values`.
    pub(crate) fn put_when(
        &self,
        item: Item,
        condition: Option<&str>,
        values: &[(&str, AttributeValue)],
    ) -> TransactWriteItem {
        self.put_with(item, condition, &[], values)
    }

    /// A put under a condition that names attributes through `names` (a
    /// reserved word such as `status`) and `values`.
    pub(crate) fn put_named(
        &self,
        item: Item,
        condition: &str,
        names: &[(&str, &str)],
        values: &[(&str, AttributeValue)],
    ) -> TransactWriteItem {
        self.put_with(item, Some(condition), names, values)
    }

    fn put_with(
        &self,
        item: Item,
        condition: Option<&str>,
        names: &[(&str, &str)],
        values: &[(&str, AttributeValue)],
    ) -> TransactWriteItem {
        let names: HashMap<String, String> = names
            .iter()
            .map(|(name, attribute)| (name.to_string(), attribute.to_string()))
            .collect();
        let values: HashMap<String, AttributeValue> = values
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect();
        let put = Put::builder()
            .table_name(&self.name)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .set_expression_attribute_names((!names.is_empty()).then_some(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .build()
            .expect("table, item given");
        TransactWriteItem::builder().put(put).build()
    }

    pub(crate) fn update(&self, key: Item, expression: &str) -> UpdateBuilder {
        UpdateBuilder {
            update: Update::builder()
                .table_name(&self.name)
                .set_key(Some(key))
                .update_expression(expression),
        }
    }

    pub(crate) fn delete(&self, key: Item, condition: Option<&str>) -> DeleteBuilder {
        DeleteBuilder {
            delete: Delete::builder()
                .table_name(&self.name)
                .set_key(Some(key))
                .set_condition_expression(condition.map(str::to_string)),
        }
    }

    /// The items `query` finds, counted (a page of 1 MB at a time): a
    /// group's size, the contacts a workspace holds.
    pub(crate) async fn count(&self, query: QueryFluentBuilder) -> Result<u64, StoreError> {
        let mut total = 0;
        let mut start = None;
        loop {
            let out = query
                .clone()
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            total += out.count.max(0) as u64;
            match out.last_evaluated_key {
                Some(next) => start = Some(next),
                None => return Ok(total),
            }
        }
    }

    /// A query of one partition of the listing index.
    pub(crate) fn index_query(&self, partition: impl Into<String>) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.name)
            .index_name(keys::GSI)
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", s(partition))
    }

    /// One page of a listing by creation (the index partition `partition`,
    /// whose items carry [`keys::creation_sk`]), newest first, after the
    /// page that gave `cursor` (`BadCursor` for a cursor no page gave).
    /// `key_of` makes an item's table key from its id.
    pub(crate) async fn by_creation<T: DeserializeOwned>(
        &self,
        partition: String,
        limit: i32,
        cursor: Option<&str>,
        key_of: impl Fn(&str) -> Item,
    ) -> Result<Page<T>, StoreError> {
        let mut query = self
            .index_query(partition.clone())
            .scan_index_forward(false)
            .limit(limit);
        if let Some(cursor) = cursor {
            let (sk, id) = keys::parse_creation_cursor(cursor).ok_or(StoreError::BadCursor)?;
            let mut start = key_of(id);
            index(&mut start, partition, sk);
            query = query.set_exclusive_start_key(Some(start));
        }
        let out = query.send().await?;
        let cursor = out
            .last_evaluated_key
            .as_ref()
            .and_then(|k| keys::creation_cursor(index_sort(k)?));
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(Page { items, cursor })
    }

    /// A query of one partition of the table, newest (highest `sk`) first.
    pub(crate) fn newest_first(&self, partition: impl Into<String>) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.name)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(partition))
            .scan_index_forward(false)
    }
}

/// An `Update` under construction, with its names and values.
pub(crate) struct UpdateBuilder {
    update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
}

impl UpdateBuilder {
    pub(crate) fn name(mut self, name: &str, attribute: &str) -> Self {
        self.update = self.update.expression_attribute_names(name, attribute);
        self
    }

    pub(crate) fn value(mut self, name: &str, value: AttributeValue) -> Self {
        self.update = self.update.expression_attribute_values(name, value);
        self
    }

    pub(crate) fn condition(mut self, expression: &str) -> Self {
        self.update = self.update.condition_expression(expression);
        self
    }

    /// The update as one item of a transaction.
    pub(crate) fn item(self) -> TransactWriteItem {
        TransactWriteItem::builder().update(self.build()).build()
    }

    fn build(self) -> Update {
        self.update
            .build()
            .expect("table, key and expression given")
    }

    /// Sends the update on its own (not in a transaction); answers the item
    /// as it now is.
    pub(crate) async fn send_alone(self, client: &Client) -> Result<Item, StoreError> {
        let u = self.build();
        let out = client
            .update_item()
            .table_name(u.table_name())
            .set_key(Some(u.key().clone()))
            .update_expression(u.update_expression())
            .set_condition_expression(u.condition_expression().map(str::to_string))
            .set_expression_attribute_names(u.expression_attribute_names().cloned())
            .set_expression_attribute_values(u.expression_attribute_values().cloned())
            .return_values(ReturnValue::AllNew)
            .send()
            .await?;
        Ok(out.attributes.unwrap_or_default())
    }
}

/// A `Delete` under construction, with its condition's values.
pub(crate) struct DeleteBuilder {
    delete: aws_sdk_dynamodb::types::builders::DeleteBuilder,
}

impl DeleteBuilder {
    pub(crate) fn name(mut self, name: &str, attribute: &str) -> Self {
        self.delete = self.delete.expression_attribute_names(name, attribute);
        self
    }

    pub(crate) fn value(mut self, name: &str, value: AttributeValue) -> Self {
        self.delete = self.delete.expression_attribute_values(name, value);
        self
    }

    /// The delete as one item of a transaction.
    pub(crate) fn item(self) -> TransactWriteItem {
        let delete = self.delete.build().expect("table and key given");
        TransactWriteItem::builder().delete(delete).build()
    }
}
