//! The DynamoDB adapter: one table, string keys `pk`/`sk`, TTL on
//! `expires_at`, and one GSI (`gsi1pk`/`gsi1sk`) for listings. Records go in
//! and out through `serde_dynamo`; the expressions that keep the service's
//! invariants (conditional claims, once-only chunk counts, the import lock)
//! are written here and nowhere else.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::keys;
use crate::service::model::{Contact, ImportRecord, ImportStatus, Outcomes, ResetMode, Settings};
use contact_engine::options::Identifier;

pub type Item = HashMap<String, AttributeValue>;

/// Most items one `TransactWriteItems` call takes.
pub const TRANSACTION_ITEMS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold: the record changed meanwhile or is not in
    /// the state the call expects.
    #[error("the record is not in the expected state")]
    Conflict,
    /// A transaction was cancelled; one reason code per item, in order
    /// (`None` where that item was fine).
    #[error("the transaction was cancelled: {0:?}")]
    Cancelled(Vec<Option<String>>),
    /// The store could not be reached or refused for now: worth retrying.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("a stored record could not be read: {0}")]
    Corrupt(String),
}

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn from(e: SdkError<E, R>) -> Self {
        if e.as_service_error()
            .is_some_and(|s| s.code() == Some("ConditionalCheckFailedException"))
        {
            return Self::Conflict;
        }
        Self::unavailable(e)
    }
}

impl StoreError {
    /// Whether a cancelled transaction's item `index` failed its own
    /// condition.
    pub fn condition_failed_at(&self, index: usize) -> bool {
        matches!(self, Self::Cancelled(reasons) if reasons.get(index).is_some_and(is_condition_failure))
    }

    /// Any AWS error that leaves nothing to decide but a later retry. Its
    /// words are masked: an SDK error may quote a key or an item holding a
    /// phone or email, and these words end in logs.
    pub fn unavailable(e: impl std::error::Error) -> Self {
        Self::Unavailable(contact_engine::mask::scrub(
            &DisplayErrorContext(e).to_string(),
        ))
    }
}

/// Whether one item's cancellation reason is its condition failing (not a
/// conflict with another transaction).
pub fn is_condition_failure(reason: &Option<String>) -> bool {
    reason.as_deref() == Some("ConditionalCheckFailed")
}

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

pub(super) fn to_item(value: &impl Serialize) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn to_value(value: &impl Serialize) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The table and the client that reaches it.
#[derive(Debug, Clone)]
pub struct Table {
    pub(super) client: Client,
    pub(super) name: String,
}

/// A page of a listing and where the next one starts.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub cursor: Option<String>,
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the table answers (for the health check).
    pub async fn reachable(&self) -> Result<(), StoreError> {
        self.client
            .describe_table()
            .table_name(&self.name)
            .send()
            .await?;
        Ok(())
    }

    // ---- generic pieces -------------------------------------------------

    pub(super) async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
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

    /// Reads many items, at most 100 keys per call, answering the items
    /// found in any order. Keys DynamoDB leaves unprocessed are asked again.
    pub async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        for batch in keys.chunks(100) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(batch.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
            let mut attempt = 0u32;
            while let Some(request) = pending.take() {
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
                if pending.is_some() {
                    attempt += 1;
                    backoff(attempt).await?;
                }
            }
        }
        Ok(found)
    }

    /// Writes items atomically (at most [`TRANSACTION_ITEMS`]).
    pub async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
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
                    Err(StoreError::Cancelled(
                        cancelled
                            .cancellation_reasons()
                            .iter()
                            .map(|r| r.code().filter(|c| *c != "None").map(str::to_string))
                            .collect(),
                    ))
                }
                _ => Err(e.into()),
            },
        }
    }

    /// A transaction whose first item carries the condition that makes it
    /// happen once: answers whether this call did it.
    pub(super) async fn transact_once(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub(super) fn put(&self, item: Item, condition: Option<&str>) -> Put {
        Put::builder()
            .table_name(&self.name)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .expect("table, item given")
    }

    pub(super) fn update(&self, key: Item, expression: &str) -> UpdateBuilder {
        UpdateBuilder {
            update: Update::builder()
                .table_name(&self.name)
                .set_key(Some(key))
                .update_expression(expression),
        }
    }

    pub(super) fn delete(&self, key: Item, condition: Option<&str>) -> Delete {
        Delete::builder()
            .table_name(&self.name)
            .set_key(Some(key))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .expect("table, key given")
    }

    /// Releases the workspace's import lock if `holder` (an import or a
    /// reset) holds it; already released is fine.
    pub(super) fn unlock(&self, ws: &str, holder: &str) -> Delete {
        Delete::builder()
            .table_name(&self.name)
            .set_key(Some(key(keys::workspace(ws), keys::SK_LOCK)))
            .condition_expression("attribute_not_exists(pk) OR #import = :id")
            .expression_attribute_names("#import", "import")
            .expression_attribute_values(":id", s(holder))
            .build()
            .expect("table and key given")
    }

    /// A query of one partition of the listing index.
    pub(super) fn index_query(&self, partition: impl Into<String>) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.name)
            .index_name(keys::GSI)
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", s(partition))
    }

    // ---- imports --------------------------------------------------------

    fn import_item(record: &ImportRecord) -> Result<Item, StoreError> {
        let mut item = to_item(record)?;
        item.extend(key(
            keys::import(&record.workspace, &record.id),
            keys::SK_IMPORT,
        ));
        item.insert("gsi1pk".into(), s(keys::imports_index(&record.workspace)));
        item.insert(
            "gsi1sk".into(),
            s(format!("{:012}#{}", record.created_at, record.id)),
        );
        Ok(item)
    }

    pub async fn create_import(&self, record: &ImportRecord) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(Self::import_item(record)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await?;
        Ok(())
    }

    pub async fn import(&self, ws: &str, id: &str) -> Result<Option<ImportRecord>, StoreError> {
        self.get(key(keys::import(ws, id), keys::SK_IMPORT))
            .await?
            .map(from_item)
            .transpose()
    }

    /// Takes an import into validation for SQS message `message`: from
    /// `awaiting_upload` (the upload's first event), or, for a re-validation,
    /// from `validating` at `generation` not yet taken. The same message may
    /// take it again (a redelivery after a crash); any other may not.
    pub async fn start_validation(
        &self,
        ws: &str,
        id: &str,
        generation: Option<u32>,
        message: &str,
    ) -> Result<ImportRecord, StoreError> {
        let mut update = self
            .update(
                key(keys::import(ws, id), keys::SK_IMPORT),
                "SET #status = :validating, validating_message = :message",
            )
            .value(":validating", s("validating"))
            .value(":message", s(message))
            .name("#status", "status");
        update = match generation {
            None => update
                .condition(
                    "#status = :awaiting OR (#status = :validating AND validating_message = :message)",
                )
                .value(":awaiting", s("awaiting_upload")),
            Some(g) => update
                .condition(
                    "#status = :validating AND generation = :g AND (attribute_not_exists(validating_message) OR validating_message = :message)",
                )
                .value(":g", n(g)),
        };
        from_item(update.send_alone(&self.client).await?)
    }

    /// Ends a validation with its review: the import shows it, and the review
    /// item, which DynamoDB's TTL removes after `expires_at`, makes it
    /// confirmable. Only the validation of the import's newest generation
    /// may end: `Conflict` when it is not (any other cancellation, such as
    /// a conflicting transaction, is worth another try).
    pub async fn finish_validation(&self, record: &ImportRecord) -> Result<(), StoreError> {
        let ws = &record.workspace;
        let expires_at = record.review_expires_at.unwrap_or_default();
        let update = self
            .update(
                key(keys::import(ws, &record.id), keys::SK_IMPORT),
                "SET #status = :review, dialect = :dialect, headers = :headers, mapping = :mapping, review = :counts, review_expires_at = :expires, rows_total = :rows REMOVE validating_message",
            )
            .name("#status", "status")
            .value(":review", s("review"))
            .value(":dialect", to_value(&record.dialect)?)
            .value(":headers", to_value(&record.headers)?)
            .value(":mapping", to_value(&record.mapping)?)
            .value(":rows", n(record.rows_total))
            .value(":expires", n(expires_at))
            .value(":g", n(record.generation))
            .value(":validating", s("validating"))
            .value(":counts", to_value(&record.review)?)
            .condition("#status = :validating AND generation = :g");
        let update = update.build();
        let mut review = key(keys::import(ws, &record.id), keys::SK_REVIEW);
        review.insert("generation".into(), n(record.generation));
        review.insert("expires_at".into(), n(expires_at));
        self.transact(vec![
            TransactWriteItem::builder().update(update).build(),
            TransactWriteItem::builder()
                .put(self.put(review, None))
                .build(),
        ])
        .await
        .map_err(first_conflict)
    }

    /// Ends a validation with a file-level reason.
    pub async fn fail_validation(
        &self,
        ws: &str,
        id: &str,
        generation: u32,
        reason: &str,
        finished_at: i64,
    ) -> Result<(), StoreError> {
        let update = self
            .update(
                key(keys::import(ws, id), keys::SK_IMPORT),
                "SET #status = :failed, #error = :reason, finished_at = :now REMOVE validating_message",
            )
            .name("#status", "status")
            .name("#error", "error")
            .value(":failed", s("failed"))
            .value(":reason", s(reason))
            .value(":now", n(finished_at))
            .value(":validating", s("validating"))
            .value(":g", n(generation))
            .condition("#status = :validating AND generation = :g")
            .build();
        self.transact(vec![TransactWriteItem::builder().update(update).build()])
            .await
            .map_err(first_conflict)
    }

    /// New options for an import in review: the review ends and validation
    /// runs again as the next generation.
    pub async fn revalidate(
        &self,
        record: &ImportRecord,
        options: &contact_engine::options::ImportOptions,
    ) -> Result<u32, StoreError> {
        let ws = &record.workspace;
        let next = record.generation + 1;
        let update = self
            .update(
                key(keys::import(ws, &record.id), keys::SK_IMPORT),
                "SET #status = :validating, generation = :next, options = :options REMOVE validating_message, review_expires_at",
            )
            .name("#status", "status")
            .value(":validating", s("validating"))
            .value(":next", n(next))
            .value(":options", to_value(options)?)
            .value(":review", s("review"))
            .value(":g", n(record.generation))
            .condition("#status = :review AND generation = :g")
            .build();
        self.transact(vec![
            TransactWriteItem::builder().update(update).build(),
            TransactWriteItem::builder()
                .delete(self.delete(key(keys::import(ws, &record.id), keys::SK_REVIEW), None))
                .build(),
        ])
        .await
        .map_err(first_conflict)?;
        Ok(next)
    }

    /// Confirms a review, atomically: the import goes from `review` to
    /// `importing`, the workspace's import lock is taken, and the review
    /// item is consumed while it has not expired.
    pub async fn confirm(
        &self,
        record: &ImportRecord,
        now: i64,
        import_tag: Option<&str>,
        chunks_total: u32,
        allowance: Option<u64>,
    ) -> Result<(), ConfirmError> {
        let ws = &record.workspace;
        let update = self
            .update(
                key(keys::import(ws, &record.id), keys::SK_IMPORT),
                "SET #status = :importing, chunks_total = :chunks, import_tag = :tag, allowance = :allowance",
            )
            .value(
                ":allowance",
                allowance.map_or(AttributeValue::Null(true), n),
            )
            .name("#status", "status")
            .value(":importing", s("importing"))
            .value(":chunks", n(chunks_total))
            .value(
                ":tag",
                import_tag.map_or(AttributeValue::Null(true), s),
            )
            .value(":review", s("review"))
            .value(":g", n(record.generation))
            .condition("#status = :review AND generation = :g");
        let mut lock = key(keys::workspace(ws), keys::SK_LOCK);
        lock.insert("import".into(), s(&record.id));
        lock.insert("since".into(), n(now));
        let review = Delete::builder()
            .table_name(&self.name)
            .set_key(Some(key(keys::import(ws, &record.id), keys::SK_REVIEW)))
            .condition_expression("generation = :g AND expires_at > :now")
            .expression_attribute_values(":g", n(record.generation))
            .expression_attribute_values(":now", n(now))
            .build()
            .expect("complete delete");
        let result = self
            .transact(vec![
                TransactWriteItem::builder().update(update.build()).build(),
                TransactWriteItem::builder()
                    .put(self.put(lock, Some("attribute_not_exists(pk)")))
                    .build(),
                TransactWriteItem::builder().delete(review).build(),
            ])
            .await;
        match result {
            Ok(()) => Ok(()),
            Err(e @ StoreError::Cancelled(_)) => {
                let failed = |i: usize| e.condition_failed_at(i);
                Err(if failed(0) {
                    ConfirmError::NotInReview
                } else if failed(1) {
                    ConfirmError::Locked
                } else if failed(2) {
                    ConfirmError::Expired
                } else {
                    ConfirmError::Store(e)
                })
            }
            Err(e) => Err(ConfirmError::Store(e)),
        }
    }

    pub async fn set_fanned_out(&self, ws: &str, id: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(key(keys::import(ws, id), keys::SK_IMPORT)))
            .update_expression("SET fanned_out = :yes")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await?;
        Ok(())
    }

    /// Moves an import from one of `from` to `to`, recording why and when.
    pub async fn end_import(
        &self,
        record: &ImportRecord,
        from: &[ImportStatus],
        to: ImportStatus,
        now: i64,
    ) -> Result<(), StoreError> {
        let ws = &record.workspace;
        let allowed: Vec<String> = (0..from.len()).map(|i| format!(":from{i}")).collect();
        let mut update = self
            .update(
                key(keys::import(ws, &record.id), keys::SK_IMPORT),
                "SET #status = :to, finished_at = :now REMOVE review_expires_at, validating_message",
            )
            .name("#status", "status")
            .value(":to", s(to.as_str()))
            .value(":now", n(now))
            .condition(&format!("#status IN ({})", allowed.join(", ")));
        for (name, status) in allowed.iter().zip(from) {
            update = update.value(name, s(status.as_str()));
        }
        self.transact(vec![
            TransactWriteItem::builder().update(update.build()).build(),
            TransactWriteItem::builder()
                .delete(self.delete(key(keys::import(ws, &record.id), keys::SK_REVIEW), None))
                .build(),
        ])
        .await
        .map_err(first_conflict)
    }

    /// Ends an import that could not go on (its messages kept failing) as
    /// `failed` with `reason`, from one of `from`, in the generation the
    /// failing message was for: its lock released when it held it, and the
    /// workspace notified, all at once and only once. Answers whether this
    /// call did it.
    pub async fn fail_import(
        &self,
        record: &ImportRecord,
        from: &[ImportStatus],
        reason: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let ws = &record.workspace;
        let allowed: Vec<String> = (0..from.len()).map(|i| format!(":from{i}")).collect();
        let mut update = self
            .update(
                key(keys::import(ws, &record.id), keys::SK_IMPORT),
                "SET #status = :failed, #error = :reason, finished_at = :now REMOVE review_expires_at, validating_message",
            )
            .name("#status", "status")
            .name("#error", "error")
            .value(":failed", s(ImportStatus::Failed.as_str()))
            .value(":reason", s(reason))
            .value(":now", n(now))
            .value(":g", n(record.generation))
            .condition(&format!(
                "#status IN ({}) AND generation = :g",
                allowed.join(", ")
            ));
        for (name, status) in allowed.iter().zip(from) {
            update = update.value(name, s(status.as_str()));
        }
        let note = notification(
            ws,
            now,
            "import_failed",
            ("import", &record.id),
            format!("Import of {} failed: {reason}", record.file_name),
        );
        let mut items = vec![
            TransactWriteItem::builder().update(update.build()).build(),
            TransactWriteItem::builder()
                .put(self.put(note, None))
                .build(),
        ];
        // Only an importing import holds the lock (a validating one may
        // wait beside another's import, whose lock stays).
        if from.contains(&ImportStatus::Importing) {
            items.push(
                TransactWriteItem::builder()
                    .delete(self.unlock(ws, &record.id))
                    .build(),
            );
        }
        self.transact_once(items).await
    }

    /// A workspace's imports, newest first.
    pub async fn imports(
        &self,
        ws: &str,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<ImportRecord>, StoreError> {
        let mut query = self
            .index_query(keys::imports_index(ws))
            .scan_index_forward(false)
            .limit(limit);
        if let Some(cursor) = cursor {
            // Only the shape this listing writes, `{created_at:012}#{id}/{id}`:
            // any other start key (an empty part, say) DynamoDB refuses.
            let (sk, id) = cursor
                .split_once('/')
                .filter(|(sk, id)| {
                    keys::is_safe_id(id)
                        && sk.split_once('#').is_some_and(|(at, sk_id)| {
                            at.len() == 12 && at.bytes().all(|b| b.is_ascii_digit()) && sk_id == *id
                        })
                })
                .ok_or_else(|| StoreError::Corrupt("bad cursor".into()))?;
            let mut start = key(keys::import(ws, id), keys::SK_IMPORT);
            start.insert("gsi1pk".into(), s(keys::imports_index(ws)));
            start.insert("gsi1sk".into(), s(sk));
            query = query.set_exclusive_start_key(Some(start));
        }
        let out = query.send().await?;
        let cursor = out.last_evaluated_key.as_ref().and_then(|k| {
            let sk = k.get("gsi1sk")?.as_s().ok()?;
            let pk = k.get("pk")?.as_s().ok()?;
            let id = pk.rsplit('#').next()?;
            Some(format!("{sk}/{id}"))
        });
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(Page { items, cursor })
    }

    /// The import holding the workspace's lock, if any.
    pub async fn lock_holder(&self, ws: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .get(key(keys::workspace(ws), keys::SK_LOCK))
            .await?
            .and_then(|item| item.get("import")?.as_s().ok().cloned()))
    }

    // ---- workspace ------------------------------------------------------

    pub async fn settings(&self, ws: &str) -> Result<Settings, StoreError> {
        self.get(key(keys::workspace(ws), keys::SK_SETTINGS))
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
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .send()
            .await?;
        Ok(())
    }

    /// The workspaces whose monthly reset is on, a page at a time.
    pub async fn reset_workspaces(
        &self,
        after: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), StoreError> {
        let mut query = self.index_query(keys::RESETS_INDEX).limit(500);
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
        Ok(self
            .get(key(keys::workspace(ws), &keys::counters_sk(month)))
            .await?
            .and_then(|item| item.get("contacts_created")?.as_n().ok()?.parse().ok())
            .unwrap_or(0))
    }

    /// Adds `count` new contacts to `month`'s counter, and with a `limit`
    /// only while the total stays within it: the atomic check every creation
    /// (API or import) passes. `None` when `count` alone exceeds the limit.
    pub fn count_new_contacts(
        &self,
        ws: &str,
        month: &str,
        count: u64,
        limit: Option<u64>,
    ) -> Option<TransactWriteItem> {
        let mut update = self
            .update(
                key(keys::workspace(ws), &keys::counters_sk(month)),
                "ADD contacts_created :n",
            )
            .value(":n", n(count));
        if let Some(limit) = limit {
            update = update
                .condition("attribute_not_exists(contacts_created) OR contacts_created <= :max")
                .value(":max", n(limit.checked_sub(count)?));
        }
        Some(TransactWriteItem::builder().update(update.build()).build())
    }

    // ---- contacts and claims ---------------------------------------------

    pub(super) fn contact_item(ws: &str, contact: &Contact) -> Result<Item, StoreError> {
        let mut item = to_item(contact)?;
        item.extend(key(keys::contact(ws, &contact.id), keys::SK_CONTACT));
        item.insert("gsi1pk".into(), s(keys::contacts_index(ws, &contact.id)));
        item.insert("gsi1sk".into(), s(&contact.id));
        Ok(item)
    }

    /// Writes a contact whole.
    pub fn put_contact(
        &self,
        ws: &str,
        contact: &Contact,
    ) -> Result<TransactWriteItem, StoreError> {
        Ok(TransactWriteItem::builder()
            .put(self.put(Self::contact_item(ws, contact)?, None))
            .build())
    }

    /// Adds `contact` to the holders of an identifier. `exclusive` makes it
    /// the only holder or fails (it may already be: that retry succeeds).
    pub fn claim(
        &self,
        ws: &str,
        identifier: Identifier,
        value: &str,
        contact: &str,
        exclusive: bool,
    ) -> TransactWriteItem {
        let mut update = self
            .update(
                key(keys::claim(ws, identifier, value), keys::SK_CLAIM),
                "ADD ids :id",
            )
            .value(":id", AttributeValue::Ss(vec![contact.to_string()]));
        if exclusive {
            update = update
                .condition("attribute_not_exists(ids) OR (size(ids) = :one AND contains(ids, :me))")
                .value(":one", n(1))
                .value(":me", s(contact));
        }
        TransactWriteItem::builder().update(update.build()).build()
    }

    /// Removes `contact` from the holders of an identifier.
    pub fn release(
        &self,
        ws: &str,
        identifier: Identifier,
        value: &str,
        contact: &str,
    ) -> TransactWriteItem {
        let update = self
            .update(
                key(keys::claim(ws, identifier, value), keys::SK_CLAIM),
                "DELETE ids :id",
            )
            .value(":id", AttributeValue::Ss(vec![contact.to_string()]))
            .build();
        TransactWriteItem::builder().update(update).build()
    }

    /// The contacts holding each identifier value, in the order asked.
    pub async fn holders(
        &self,
        ws: &str,
        identifier: Identifier,
        values: &[&str],
    ) -> Result<Vec<Vec<String>>, StoreError> {
        if identifier == Identifier::ContactId {
            // A contact id identifies at most its own contact.
            let keys: Vec<Item> = values
                .iter()
                .map(|v| key(keys::contact(ws, v), keys::SK_CONTACT))
                .collect();
            let found = self.batch_get(keys).await?;
            let present: std::collections::HashSet<String> = found
                .iter()
                .filter_map(|i| i.get("id")?.as_s().ok().cloned())
                .collect();
            return Ok(values
                .iter()
                .map(|v| {
                    if present.contains(*v) {
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
        for item in self.batch_get(keys).await? {
            let pk = item.get("pk").and_then(|v| v.as_s().ok()).cloned();
            let ids = item
                .get("ids")
                .and_then(|v| v.as_ss().ok())
                .cloned()
                .unwrap_or_default();
            if let Some(pk) = pk {
                by_pk.insert(pk, ids);
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

    pub async fn contacts(&self, ws: &str, ids: &[String]) -> Result<Vec<Contact>, StoreError> {
        let keys = ids
            .iter()
            .map(|id| key(keys::contact(ws, id), keys::SK_CONTACT))
            .collect();
        self.batch_get(keys)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    pub async fn contact(&self, ws: &str, id: &str) -> Result<Option<Contact>, StoreError> {
        self.get(key(keys::contact(ws, id), keys::SK_CONTACT))
            .await?
            .map(from_item)
            .transpose()
    }

    // ---- chunks -----------------------------------------------------------

    /// What a worker needs before a chunk, in one read: the import, whether
    /// the chunk is already counted, the workspace's settings and the new
    /// contacts already granted to the chunk.
    pub async fn chunk_state(
        &self,
        ws: &str,
        id: &str,
        chunk: u32,
    ) -> Result<ChunkState, StoreError> {
        let pk = keys::import(ws, id);
        let found = self
            .batch_get(vec![
                key(pk.clone(), keys::SK_IMPORT),
                key(pk.clone(), &keys::chunk_sk(chunk)),
                key(pk, &keys::grant_sk(chunk)),
                key(keys::workspace(ws), keys::SK_SETTINGS),
            ])
            .await?;
        let mut state = ChunkState::default();
        for item in found {
            let sk = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            match sk.as_str() {
                keys::SK_IMPORT => state.record = Some(from_item(item)?),
                keys::SK_SETTINGS => state.settings = settings_from(item)?,
                sk if sk.starts_with(keys::GRANT_PREFIX) => {
                    state.grant = Some(from_item(item)?);
                }
                _ => state.counted = true,
            }
        }
        Ok(state)
    }

    /// Grants a chunk up to `want` new contacts within the workspace's
    /// `limit`, taking them from the month's counter in the same transaction
    /// that records the grant: once per chunk, however often it runs.
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
        for _ in 0..8 {
            let created = self.contacts_created(ws, month).await?;
            let grant = Grant {
                granted: want.min(limit.saturating_sub(created)),
                month: month.to_string(),
            };
            let mut item = to_item(&grant)?;
            item.extend(key(pk.clone(), &keys::grant_sk(chunk)));
            let mut items = vec![
                TransactWriteItem::builder()
                    .put(self.put(item, Some("attribute_not_exists(pk)")))
                    .build(),
            ];
            if grant.granted > 0 {
                items.extend(self.count_new_contacts(ws, month, grant.granted, Some(limit)));
            }
            match self.transact(items).await {
                Ok(()) => return Ok(grant),
                Err(e @ StoreError::Cancelled(_)) => {
                    if e.condition_failed_at(0) {
                        // Granted before (this chunk ran already).
                        let found = self.get(key(pk.clone(), &keys::grant_sk(chunk))).await?;
                        return found.map_or(Err(StoreError::Conflict), from_item);
                    }
                    if !e.condition_failed_at(1) {
                        return Err(e);
                    }
                    // The counter moved since it was read: read it again.
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable(
            "the month's contact counter kept changing".into(),
        ))
    }

    /// Counts a chunk once: the done marker and the import's counters (and
    /// the month's created contacts) change together or not at all.
    pub async fn count_chunk(
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
            .condition("#status = :importing")
            .build();
        let mut items = vec![
            TransactWriteItem::builder()
                .put(self.put(marker, Some("attribute_not_exists(pk)")))
                .build(),
            TransactWriteItem::builder().update(counters).build(),
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
            let month = self
                .update(
                    key(keys::workspace(ws), &keys::counters_sk(month)),
                    "ADD contacts_created :n",
                )
                .value(":n", n(change))
                .build();
            items.push(TransactWriteItem::builder().update(month).build());
        }
        self.transact_once(items).await
    }

    /// Ends an import whose chunks are all counted: completed, the result's
    /// availability, the lock released, and the workspace notified, all at
    /// once and only once.
    pub async fn complete_import(
        &self,
        record: &ImportRecord,
        now: i64,
        available_until: i64,
    ) -> Result<bool, StoreError> {
        let ws = &record.workspace;
        let update = self
            .update(
                key(keys::import(ws, &record.id), keys::SK_IMPORT),
                "SET #status = :completed, finished_at = :now, available_until = :until",
            )
            .name("#status", "status")
            .value(":completed", s("completed"))
            .value(":now", n(now))
            .value(":until", n(available_until))
            .value(":importing", s("importing"))
            .condition("#status = :importing")
            .build();
        let unlock = self.unlock(ws, &record.id);
        let note = notification(
            ws,
            now,
            "import_completed",
            ("import", &record.id),
            format!(
                "Import of {} finished: {} imported, {} updated, {} skipped, {} errors",
                record.file_name, record.imported, record.updated, record.skipped, record.errors
            ),
        );
        self.transact_once(vec![
            TransactWriteItem::builder().update(update).build(),
            TransactWriteItem::builder().delete(unlock).build(),
            TransactWriteItem::builder()
                .put(self.put(note, None))
                .build(),
        ])
        .await
    }

    /// The workspace's notifications, newest first.
    pub async fn notifications(&self, ws: &str) -> Result<Vec<Item>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.name)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(keys::notifications(ws)))
            .scan_index_forward(false)
            .limit(100)
            .send()
            .await?;
        Ok(out.items.unwrap_or_default())
    }
}

/// Settings as stored: without the keys (settings refuse unknown fields).
fn settings_from(mut item: Item) -> Result<Settings, StoreError> {
    for k in ["pk", "sk", "gsi1pk", "gsi1sk"] {
        item.remove(k);
    }
    from_item(item)
}

/// A notification for the workspace: what happened (`kind`), the import or
/// job it concerns, and plain words.
pub(super) fn notification(
    ws: &str,
    now: i64,
    kind: &str,
    (subject, id): (&str, &str),
    message: String,
) -> Item {
    let mut note = key(
        keys::notifications(ws),
        &format!("{now:012}#{}#{id}", subject.to_uppercase()),
    );
    note.insert("kind".into(), s(kind));
    note.insert(subject.into(), s(id));
    note.insert("created_at".into(), n(now));
    note.insert("message".into(), s(message));
    note
}

/// What a worker reads before a chunk.
#[derive(Debug, Clone, Default)]
pub struct ChunkState {
    pub record: Option<ImportRecord>,
    pub counted: bool,
    pub settings: Settings,
    pub grant: Option<Grant>,
}

/// New contacts a chunk may create, taken from `month`'s counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Grant {
    pub granted: u64,
    pub month: String,
}

/// Why a confirm did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error("the import is not in review")]
    NotInReview,
    #[error("another import of the workspace is importing")]
    Locked,
    #[error("the review has expired")]
    Expired,
    #[error(transparent)]
    Store(StoreError),
}

/// A transaction whose first item carries the condition: its failure is a
/// plain conflict.
fn first_conflict(e: StoreError) -> StoreError {
    if e.condition_failed_at(0) {
        StoreError::Conflict
    } else {
        e
    }
}

/// Waits before asking DynamoDB again for what it left unprocessed; gives
/// up after a few tries so the caller's retry (SQS) takes over.
async fn backoff(attempt: u32) -> Result<(), StoreError> {
    if attempt > 8 {
        return Err(StoreError::Unavailable(
            "DynamoDB kept items unprocessed".into(),
        ));
    }
    let millis = 25u64 << attempt.min(6);
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
    Ok(())
}

/// An `Update` under construction, with its names and values.
pub(super) struct UpdateBuilder {
    update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
}

impl UpdateBuilder {
    pub(super) fn name(mut self, name: &str, attribute: &str) -> Self {
        self.update = self.update.expression_attribute_names(name, attribute);
        self
    }
    pub(super) fn value(mut self, name: &str, value: AttributeValue) -> Self {
        self.update = self.update.expression_attribute_values(name, value);
        self
    }
    pub(super) fn condition(mut self, expression: &str) -> Self {
        self.update = self.update.condition_expression(expression);
        self
    }
    pub(super) fn build(self) -> Update {
        self.update
            .build()
            .expect("table, key and expression given")
    }

    /// Sends the update on its own (not in a transaction); answers the item
    /// as it now is.
    pub(super) async fn send_alone(self, client: &Client) -> Result<Item, StoreError> {
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
