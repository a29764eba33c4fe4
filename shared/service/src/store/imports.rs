//! Imports in the table: the import record through its life, its review
//! item (which makes it confirmable for an hour), the workspace's import
//! lock it takes at confirm, and the notification it ends with. Each move
//! is conditioned on the state it leaves, so a repeated or late call finds
//! the record moved on and changes nothing.

use aws_sdk_dynamodb::types::AttributeValue;
use contact_engine::corrections::Corrections;
use contact_engine::options::ImportOptions;

use super::error::StoreError;
use super::keys;
use super::lock;
use super::notifications::{self, Subject};
use super::table::{
    Item, NotWritten, Page, Table, UpdateBuilder, from_item, index, key, n, s, to_item, to_value,
};
use crate::records::{ImportRecord, ImportStatus};

#[derive(Debug, Clone)]
pub struct ImportStore {
    table: Table,
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

fn import_key(ws: &str, id: &str) -> Item {
    key(keys::import(ws, id), keys::SK_IMPORT)
}

fn review_key(ws: &str, id: &str) -> Item {
    key(keys::import(ws, id), keys::SK_REVIEW)
}

/// `#status IN (:from0, …)` and its values.
fn status_in(from: &[ImportStatus]) -> (String, Vec<(String, AttributeValue)>) {
    let names: Vec<String> = (0..from.len()).map(|i| format!(":from{i}")).collect();
    let values = names
        .iter()
        .zip(from)
        .map(|(name, status)| (name.clone(), s(status.as_str())))
        .collect();
    (format!("#status IN ({})", names.join(", ")), values)
}

impl ImportStore {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    /// An update of an import's record, naming its `#status`.
    fn update(&self, ws: &str, id: &str, expression: &str) -> UpdateBuilder {
        self.table
            .update(import_key(ws, id), expression)
            .name("#status", "status")
    }

    /// Stores a new import (its id is new: never over another).
    pub async fn create(&self, record: &ImportRecord) -> Result<(), StoreError> {
        let mut item = to_item(record)?;
        item.extend(import_key(&record.workspace, &record.id));
        index(
            &mut item,
            keys::imports_index(&record.workspace),
            keys::creation_sk(record.created_at, &record.id),
        );
        self.table
            .put_item(item, Some("attribute_not_exists(pk)"))
            .await
    }

    pub async fn import(&self, ws: &str, id: &str) -> Result<Option<ImportRecord>, StoreError> {
        self.table.read(import_key(ws, id)).await
    }

    /// Takes an import into validation for SQS message `message`: from
    /// `awaiting_upload` (the upload's first event), or, for a re-validation,
    /// from `validating` at `generation` not yet taken. The same message may
    /// take it again (a redelivery after a crash); any other may not
    /// (`Conflict`).
    pub async fn start_validation(
        &self,
        ws: &str,
        id: &str,
        generation: Option<u32>,
        message: &str,
    ) -> Result<ImportRecord, StoreError> {
        let mut update = self
            .update(
                ws,
                id,
                "SET #status = :validating, validating_message = :message",
            )
            .value(":validating", s("validating"))
            .value(":message", s(message));
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
        from_item(update.send_alone(self.table.client()).await?)
    }

    /// Ends a validation with its review (or with the mapping's problems
    /// that keep it from being confirmed): the import shows it, and the review
    /// item, which DynamoDB's TTL removes after `expires_at`, makes it
    /// confirmable. Only the validation of the import's newest generation
    /// may end: `Conflict` when it is not (`Busy` for a conflicting
    /// transaction, worth another try).
    pub async fn finish_validation(&self, record: &ImportRecord) -> Result<(), StoreError> {
        let ws = &record.workspace;
        let expires_at = record.review_expires_at.unwrap_or_default();
        let update = self
            .update(&record.workspace, &record.id, "SET #status = :review, dialect = :dialect, headers = :headers, sheets = :sheets, mapping = :mapping, review = :counts, problems = :problems, country_in_force = :country, review_expires_at = :expires, rows_total = :rows, samples = :samples, last_row = :last_row, row_files = :row_files REMOVE validating_message")
            .value(":samples", to_value(&record.samples)?)
            .value(":last_row", to_value(&record.last_row)?)
            .value(":row_files", to_value(&record.row_files)?)
            .value(":problems", to_value(&record.problems)?)
            .value(":country", to_value(&record.country_in_force)?)
            .value(":review", s("review"))
            .value(":dialect", to_value(&record.dialect)?)
            .value(":headers", to_value(&record.headers)?)
            .value(":sheets", to_value(&record.sheets)?)
            .value(":mapping", to_value(&record.mapping)?)
            .value(":rows", n(record.rows_total))
            .value(":expires", n(expires_at))
            .value(":g", n(record.generation))
            .value(":validating", s("validating"))
            .value(":counts", to_value(&record.review)?)
            .condition("#status = :validating AND generation = :g");
        let mut review = review_key(ws, &record.id);
        review.insert("generation".into(), n(record.generation));
        review.insert("expires_at".into(), n(expires_at));
        Ok(self
            .table
            .transact(vec![update.item(), self.table.put(review, None)])
            .await?)
    }

    /// Ends a validation with a file-level reason (`Conflict` when a newer
    /// validation or a cancel overtook it).
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
                ws,
                id,
                "SET #status = :failed, #error = :reason, finished_at = :now REMOVE validating_message",
            )
            .name("#error", "error")
            .value(":failed", s("failed"))
            .value(":reason", s(reason))
            .value(":now", n(finished_at))
            .value(":validating", s("validating"))
            .value(":g", n(generation))
            .condition("#status = :validating AND generation = :g");
        Ok(self.table.transact(vec![update.item()]).await?)
    }

    /// New options for an import in review: the review ends and validation
    /// runs again as the next generation, which it answers.
    pub async fn revalidate(
        &self,
        record: &ImportRecord,
        options: &ImportOptions,
        corrections: &Corrections,
    ) -> Result<u32, StoreError> {
        let ws = &record.workspace;
        let next = record.generation + 1;
        let update = self
            .update(&record.workspace, &record.id, "SET #status = :validating, generation = :next, options = :options, corrections = :corrections REMOVE validating_message, review_expires_at, review, mapping, problems, country_in_force, row_files")
            .value(":validating", s("validating"))
            .value(":next", n(next))
            .value(":options", to_value(options)?)
            .value(":corrections", to_value(corrections)?)
            .value(":review", s("review"))
            .value(":g", n(record.generation))
            .condition("#status = :review AND generation = :g");
        let review = self.table.delete(review_key(ws, &record.id), None).item();
        self.table.transact(vec![update.item(), review]).await?;
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
                &record.workspace,
                &record.id,
                "SET #status = :importing, chunks_total = :chunks, import_tag = :tag, allowance = :allowance",
            )
            .value(
                ":allowance",
                allowance.map_or(AttributeValue::Null(true), n),
            )
            .value(":importing", s("importing"))
            .value(":chunks", n(chunks_total))
            .value(":tag", import_tag.map_or(AttributeValue::Null(true), s))
            .value(":review", s("review"))
            .value(":g", n(record.generation))
            .condition("#status = :review AND generation = :g");
        let review = self
            .table
            .delete(
                review_key(ws, &record.id),
                Some("generation = :g AND expires_at > :now"),
            )
            .value(":g", n(record.generation))
            .value(":now", n(now))
            .item();
        let result = self
            .table
            .transact(vec![
                update.item(),
                lock::take(&self.table, ws, &record.id, Some(now)),
                review,
            ])
            .await;
        match result {
            Ok(()) => Ok(()),
            Err(NotWritten::Cancelled(reasons)) if reasons.failed_at(0) => {
                Err(ConfirmError::NotInReview)
            }
            Err(NotWritten::Cancelled(reasons)) if reasons.failed_at(1) => {
                Err(ConfirmError::Locked)
            }
            Err(NotWritten::Cancelled(reasons)) if reasons.failed_at(2) => {
                Err(ConfirmError::Expired)
            }
            Err(NotWritten::Cancelled(_)) => Err(ConfirmError::Store(StoreError::Busy)),
            Err(NotWritten::Failed(e)) => Err(ConfirmError::Store(e)),
        }
    }

    /// Records that every chunk message of a confirmed import was sent.
    pub async fn set_fanned_out(&self, ws: &str, id: &str) -> Result<(), StoreError> {
        self.table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(import_key(ws, id)))
            .update_expression("SET fanned_out = :yes")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await?;
        Ok(())
    }

    /// Moves an import from one of `from` to `to` (expired, cancelled),
    /// recording when, and why when `reason` says; its review item goes
    /// with it.
    pub async fn end(
        &self,
        record: &ImportRecord,
        from: &[ImportStatus],
        to: ImportStatus,
        reason: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let ws = &record.workspace;
        let (condition, values) = status_in(from);
        let expression = match reason {
            Some(_) => {
                "SET #status = :to, finished_at = :now, #error = :reason REMOVE review_expires_at, upload_expires_at, validating_message"
            }
            None => {
                "SET #status = :to, finished_at = :now REMOVE review_expires_at, upload_expires_at, validating_message"
            }
        };
        let mut update = self
            .update(&record.workspace, &record.id, expression)
            .value(":to", s(to.as_str()))
            .value(":now", n(now))
            .condition(&condition);
        if let Some(reason) = reason {
            update = update.name("#error", "error").value(":reason", s(reason));
        }
        for (name, value) in values {
            update = update.value(&name, value);
        }
        let review = self.table.delete(review_key(ws, &record.id), None).item();
        Ok(self.table.transact(vec![update.item(), review]).await?)
    }

    /// Gives an import still waiting for its upload a new deadline, with a
    /// new upload URL (`Conflict` once it is no longer waiting).
    pub async fn renew_upload(
        &self,
        ws: &str,
        id: &str,
        upload_expires_at: i64,
    ) -> Result<(), StoreError> {
        self.update(ws, id, "SET upload_expires_at = :until")
            .value(":until", n(upload_expires_at))
            .value(":awaiting", s(ImportStatus::AwaitingUpload.as_str()))
            .condition("#status = :awaiting")
            .send_alone(self.table.client())
            .await?;
        Ok(())
    }

    /// Ends an import that could not go on (its messages kept failing) as
    /// `failed` with `reason`, from one of `from`, in the generation the
    /// failing message was for: its lock released when it held it, and the
    /// workspace notified, all at once and only once. Answers whether this
    /// call did it.
    pub async fn fail(
        &self,
        record: &ImportRecord,
        from: &[ImportStatus],
        reason: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let ws = &record.workspace;
        let (condition, values) = status_in(from);
        let mut update = self
            .update(&record.workspace, &record.id, "SET #status = :failed, #error = :reason, finished_at = :now REMOVE review_expires_at, validating_message")
            .name("#error", "error")
            .value(":failed", s(ImportStatus::Failed.as_str()))
            .value(":reason", s(reason))
            .value(":now", n(now))
            .value(":g", n(record.generation))
            .condition(&format!("{condition} AND generation = :g"));
        for (name, value) in values {
            update = update.value(&name, value);
        }
        let note = notifications::note(
            &self.table,
            ws,
            now,
            "import_failed",
            Subject::Import(&record.id),
            format!("Import of {} failed: {reason}", record.file_name),
        )?;
        let mut items = vec![update.item(), note];
        // Only an importing import holds the lock (a validating one may
        // wait beside another's import, whose lock stays).
        if from.contains(&ImportStatus::Importing) {
            items.push(lock::release(&self.table, ws, &record.id));
        }
        self.table.transact_once(items).await
    }

    /// Ends an import whose chunks are all counted: completed, the result's
    /// availability, the lock released, and the workspace notified, all at
    /// once and only once. Answers whether this call did it.
    pub async fn complete(
        &self,
        record: &ImportRecord,
        now: i64,
        available_until: i64,
    ) -> Result<bool, StoreError> {
        let ws = &record.workspace;
        let update = self
            .update(
                &record.workspace,
                &record.id,
                "SET #status = :completed, finished_at = :now, available_until = :until",
            )
            .value(":completed", s("completed"))
            .value(":now", n(now))
            .value(":until", n(available_until))
            .value(":importing", s("importing"))
            .condition("#status = :importing");
        let note = notifications::note(
            &self.table,
            ws,
            now,
            "import_completed",
            Subject::Import(&record.id),
            format!(
                "Import of {} finished: {} imported, {} updated, {} skipped, {} errors",
                record.file_name, record.imported, record.updated, record.skipped, record.errors
            ),
        )?;
        self.table
            .transact_once(vec![
                update.item(),
                lock::release(&self.table, ws, &record.id),
                note,
            ])
            .await
    }

    /// A workspace's imports, newest first, `limit` a page, after the page
    /// that gave `cursor` (`BadCursor` for a cursor no page gave).
    pub async fn list(
        &self,
        ws: &str,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<ImportRecord>, StoreError> {
        self.table
            .by_creation(keys::imports_index(ws), limit, cursor, |id| {
                import_key(ws, id)
            })
            .await
    }
}
