//! The `worker` function: one chunk of an import's rows per message. Each
//! row is checked again against the workspace as it is at write time, and
//! written with conditional claims, so identifiers stay unique whatever runs
//! beside it. A chunk may run twice, or die half-written and run again: the
//! contacts it creates have ids fixed by (import, row), claims are sets, and
//! the chunk is counted once, so the end state is that of one clean run.

use std::collections::{HashMap, HashSet};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_dynamodb::types::TransactWriteItem;
use csv::StringRecord;
use tokio::io::AsyncWriteExt;

use super::apply::{ApplyRules, apply};
use super::error::ServiceError;
use super::model::{self, ChunkJob, Contact, ImportRecord, ImportStatus, Outcomes, now};
use super::{RESULT_DAYS, Service};
use crate::store::table::{TRANSACTION_ITEMS, is_condition_failure};
use crate::store::{StoreError, keys};
use contact_engine::classify::{IdentifierFacts, Quota, RowFacts, Status, classify};
use contact_engine::files::{self, FileKind};
use contact_engine::options::Identifier;
use contact_engine::validation::{StagedRow, Wording};

/// How a row ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowEnd {
    pub status: Status,
    pub message: String,
    pub contact: Option<String>,
}

/// What a row will write, when it writes.
enum Plan {
    Done(RowEnd),
    Create,
    Update(String),
}

/// A row's writes, which must happen together: (row index, how the row ends
/// once they are done, the items each with the key it writes).
type RowWrites = (usize, RowEnd, Vec<(String, TransactWriteItem)>);

/// Rounds of writing a chunk before giving the message back to the queue.
const WRITE_ROUNDS: usize = 5;

/// The id of the contact a row of an import creates: the same on every run
/// of the row, which is what makes a re-run find its own earlier write.
pub fn created_contact_id(import: &str, row: u64) -> String {
    let import = import.strip_prefix("imp_").unwrap_or(import);
    format!("c_{import}{row:06}")
}

impl Service {
    /// The Lambda handler; a chunk that keeps failing after its tries in
    /// place is reported on its own and comes back after the queue's
    /// visibility timeout.
    pub async fn handle_rows(&self, event: SqsEvent) -> SqsBatchResponse {
        super::per_message("worker", &event, |message| async move {
            let body = message.body.as_deref().unwrap_or("");
            let job: ChunkJob = serde_json::from_str(body)
                .map_err(|e| ServiceError::bad_request("bad_message", e.to_string()))?;
            // Boxed: the chunk's future is deep enough to strain the compiler.
            super::tried_again(|| Box::pin(self.run_chunk(&job))).await
        })
        .await
    }

    /// Writes one chunk's rows, its part of the result file and its counts;
    /// the worker that counts the last chunk assembles the result.
    pub async fn run_chunk(&self, job: &ChunkJob) -> Result<(), ServiceError> {
        let state = self
            .table
            .chunk_state(&job.workspace, &job.import, job.chunk.index)
            .await?;
        let counted = state.counted;
        let Some(record) = state.record else {
            return Ok(());
        };
        if record.status != ImportStatus::Importing || record.generation != job.generation {
            // Finished, or a message from before a re-validation: nothing to do.
            return Ok(());
        }
        if !counted {
            let stage = keys::stage_object(&job.workspace, &job.import, job.generation);
            let bytes = self
                .bucket
                .get(&stage, Some((job.chunk.start, job.chunk.end)))
                .await?;
            let rows: Vec<StagedRow> = super::json_lines(&bytes, "stage file")?;
            let month = model::month(now());
            // Under a contact limit the chunk takes its new contacts from the
            // month's counter first (what the review predicted, in file
            // order, as far as the counter still allows): creations are
            // bounded atomically at write time, whatever else creates
            // contacts meanwhile.
            let grant = match (state.grant, state.settings.contact_limit) {
                (Some(grant), _) => Some(grant),
                (None, Some(limit)) => {
                    let want = job.allowance.unwrap_or(u64::from(job.chunk.adds));
                    Some(
                        self.table
                            .grant_new_contacts(&record, job.chunk.index, &month, want, limit)
                            .await?,
                    )
                }
                (None, None) => None,
            };
            let allowance = grant.as_ref().map(|g| g.granted);
            let ends = self.write_rows(&record, allowance, &rows).await?;
            let part = result_part(&record, &rows, &ends)?;
            self.bucket
                .put(
                    &keys::result_part_object(
                        &job.workspace,
                        &job.import,
                        job.generation,
                        job.chunk.index,
                    ),
                    part,
                    "text/csv; charset=utf-8",
                )
                .await?;
            let mut outcomes = Outcomes::default();
            for end in &ends {
                match end.status {
                    Status::Imported => outcomes.imported += 1,
                    Status::Updated => outcomes.updated += 1,
                    Status::Skipped => outcomes.skipped += 1,
                    Status::Error => outcomes.errors += 1,
                }
            }
            self.table
                .count_chunk(&record, job.chunk.index, outcomes, grant.as_ref(), &month)
                .await?;
            tracing::info!(
                workspace = %job.workspace,
                import = %job.import,
                chunk = job.chunk.index,
                imported = outcomes.imported,
                updated = outcomes.updated,
                skipped = outcomes.skipped,
                errors = outcomes.errors,
                "chunk written"
            );
        }
        self.finish_if_done(&job.workspace, &job.import).await
    }

    /// Checks and writes rows, in order; answers how each ended.
    async fn write_rows(
        &self,
        record: &ImportRecord,
        allowance: Option<u64>,
        rows: &[StagedRow],
    ) -> Result<Vec<RowEnd>, ServiceError> {
        let ws = &record.workspace;
        let options = &record.options;
        let mapping = record.mapping.as_deref().unwrap_or_default();
        let identifier = options.identifier_in_force();
        let wording = Wording::new(identifier, mapping);
        let rules = ApplyRules::new(options, mapping, record.import_tag.as_deref());
        let mut ends: Vec<Option<RowEnd>> = rows
            .iter()
            .map(|r| {
                r.error.as_ref().map(|message| RowEnd {
                    status: Status::Error,
                    message: message.clone(),
                    contact: None,
                })
            })
            .collect();
        for _round in 0..WRITE_ROUNDS {
            let pending: Vec<usize> = (0..rows.len()).filter(|i| ends[*i].is_none()).collect();
            if pending.is_empty() {
                break;
            }
            // Who holds each pending row's identifier now.
            let holders: HashMap<usize, Vec<String>> = match identifier {
                None => HashMap::new(),
                Some(identifier) => {
                    let values: Vec<&str> = pending
                        .iter()
                        .map(|i| rows[*i].key.as_deref().unwrap_or(""))
                        .collect();
                    let mut found = Vec::with_capacity(values.len());
                    for batch in values.chunks(contact_engine::lookup::LOOKUP_BATCH) {
                        found.extend(self.table.holders(ws, identifier, batch).await?);
                    }
                    pending.iter().copied().zip(found).collect()
                }
            };
            // Classify in file order: the allowance goes to the first rows
            // that create, on every run alike. Rows that ended in an earlier
            // round keep the allowance they took.
            let mut quota = Quota(allowance.map(|a| {
                a.saturating_sub(
                    ends.iter()
                        .flatten()
                        .filter(|e| e.status == Status::Imported)
                        .count() as u64,
                )
            }));
            let mut plans: Vec<(usize, Plan)> = Vec::new();
            for &i in &pending {
                let row = &rows[i];
                let mine = created_contact_id(&record.id, row.row);
                let held = holders.get(&i).cloned().unwrap_or_default();
                // A contact this row created on an earlier run is not "existing".
                let others: Vec<String> = held.into_iter().filter(|h| *h != mine).collect();
                let draft = row.draft.as_ref();
                let facts = RowFacts {
                    invalid_values: false,
                    identifier: match identifier {
                        None => IdentifierFacts::NotUsed,
                        Some(_) => IdentifierFacts::Present {
                            rows_in_file: 1,
                            holders: others.len() as u32,
                        },
                    },
                    has_first_name: draft.is_some_and(|d| d.first_name.is_some()),
                };
                let verdict = classify(options.purpose, facts, &mut quota);
                let id_value = row.key.as_deref().unwrap_or("");
                let plan = match (verdict.status, verdict.reason) {
                    (Status::Imported, _) => Plan::Create,
                    (Status::Updated, _) => Plan::Update(others[0].clone()),
                    (status, Some(reason)) => Plan::Done(RowEnd {
                        status,
                        message: wording.reason(reason, id_value),
                        contact: match status {
                            Status::Skipped => others.first().cloned(),
                            _ => None,
                        },
                    }),
                    (status, None) => Plan::Done(RowEnd {
                        status,
                        message: String::new(),
                        contact: None,
                    }),
                };
                plans.push((i, plan));
            }
            // The contacts rows update, read in batches.
            let to_read: Vec<String> = plans
                .iter()
                .filter_map(|(_, p)| match p {
                    Plan::Update(id) => Some(id.clone()),
                    _ => None,
                })
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let mut current: HashMap<String, Contact> = HashMap::new();
            for batch in to_read.chunks(100) {
                for contact in self.table.contacts(ws, batch).await? {
                    current.insert(contact.id.clone(), contact);
                }
            }
            // Each row's writes, which must happen together.
            let stamp = model::rfc3339(now());
            let mut groups: Vec<RowWrites> = Vec::new();
            for (i, plan) in plans {
                let row = &rows[i];
                let draft = row.draft.clone().unwrap_or_default();
                match plan {
                    Plan::Done(end) => ends[i] = Some(end),
                    Plan::Create => {
                        let id = created_contact_id(&record.id, row.row);
                        let mut contact = Contact {
                            id: id.clone(),
                            created_at: stamp.clone(),
                            updated_at: stamp.clone(),
                            ..Contact::default()
                        };
                        apply(&mut contact, &draft, &rules);
                        let mut items = vec![(
                            keys::contact(ws, &id),
                            self.table.put_contact(ws, &contact)?,
                        )];
                        items.extend(self.claims(
                            ws,
                            &Contact::default(),
                            &contact,
                            identifier.as_slice(),
                        ));
                        groups.push((i, ended(Status::Imported, &id), items));
                    }
                    Plan::Update(id) => {
                        // Deleted between the two reads: look again next round.
                        let Some(before) = current.get(&id) else {
                            continue;
                        };
                        let mut after = before.clone();
                        apply(&mut after, &draft, &rules);
                        after.updated_at = stamp.clone();
                        let mut items =
                            vec![(keys::contact(ws, &id), self.table.put_contact(ws, &after)?)];
                        items.extend(self.claims(ws, before, &after, identifier.as_slice()));
                        groups.push((i, ended(Status::Updated, &id), items));
                    }
                }
            }
            self.write_groups(groups, &mut ends).await?;
        }
        if ends.iter().any(Option::is_none) {
            return Err(ServiceError::Internal(
                "rows kept meeting concurrent changes; the chunk will run again".into(),
            ));
        }
        Ok(ends.into_iter().flatten().collect())
    }

    /// The claim changes that move a contact's identifiers from `before` to
    /// `after`; those in `exclusive` are claimed for this contact alone. An
    /// import holds only its identifier in force so (none for `add_all`,
    /// which makes duplicates on purpose); the API holds both.
    pub(crate) fn claims(
        &self,
        ws: &str,
        before: &Contact,
        after: &Contact,
        exclusive: &[Identifier],
    ) -> Vec<(String, TransactWriteItem)> {
        let mut items = Vec::new();
        for (identifier, old, new) in [
            (Identifier::Phone, &before.phone, &after.phone),
            (Identifier::Email, &before.email, &after.email),
        ] {
            if old == new && !before.id.is_empty() {
                continue;
            }
            if let Some(old) = old.as_deref().filter(|_| !before.id.is_empty()) {
                items.push((
                    keys::claim(ws, identifier, old),
                    self.table.release(ws, identifier, old, &after.id),
                ));
            }
            if let Some(new) = new.as_deref() {
                let alone = exclusive.contains(&identifier);
                items.push((
                    keys::claim(ws, identifier, new),
                    self.table.claim(ws, identifier, new, &after.id, alone),
                ));
            }
        }
        items
    }

    /// Writes row groups in transactions of up to 100 items, never two
    /// writes to one item in a transaction. A group whose condition fails
    /// stays pending (its row is checked again next round); the others are
    /// sent again without it.
    async fn write_groups(
        &self,
        groups: Vec<RowWrites>,
        ends: &mut [Option<RowEnd>],
    ) -> Result<(), ServiceError> {
        let mut queue: Vec<RowWrites> = groups;
        let mut conflicts = 0;
        while !queue.is_empty() {
            // Pack the next transaction.
            let mut batch = Vec::new();
            let mut keys_in_batch: HashSet<String> = HashSet::new();
            let mut rest = Vec::new();
            let mut size = 0;
            for group in queue.drain(..) {
                let fits = size + group.2.len() <= TRANSACTION_ITEMS
                    && group.2.iter().all(|(k, _)| !keys_in_batch.contains(k));
                if fits {
                    size += group.2.len();
                    keys_in_batch.extend(group.2.iter().map(|(k, _)| k.clone()));
                    batch.push(group);
                } else {
                    rest.push(group);
                }
            }
            let items: Vec<TransactWriteItem> = batch
                .iter()
                .flat_map(|(_, _, items)| items.iter().map(|(_, item)| item.clone()))
                .collect();
            match self.table.transact(items).await {
                Ok(()) => {
                    for (i, end, _) in batch {
                        ends[i] = Some(end);
                    }
                }
                Err(StoreError::Cancelled(reasons)) => {
                    // Find the groups whose own condition failed; they wait
                    // for the next round, the others go again.
                    let mut offset = 0;
                    let mut any_failed = false;
                    for group in batch {
                        let len = group.2.len();
                        let failed = reasons
                            [offset.min(reasons.len())..(offset + len).min(reasons.len())]
                            .iter()
                            .any(is_condition_failure);
                        offset += len;
                        if failed {
                            any_failed = true;
                        } else {
                            rest.push(group);
                        }
                    }
                    if !any_failed {
                        // A conflict with another writer: wait a little, try again.
                        conflicts += 1;
                        if conflicts > 8 {
                            return Err(StoreError::Cancelled(reasons).into());
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(
                            20 << conflicts.min(5),
                        ))
                        .await;
                    }
                }
                Err(e) => return Err(e.into()),
            }
            rest.sort_by_key(|g| g.0);
            queue = rest;
        }
        Ok(())
    }

    /// When every chunk is counted: assembles the result file in row order,
    /// then completes the import (once), releases the lock, notifies, and
    /// deletes the upload and working files.
    async fn finish_if_done(&self, ws: &str, import: &str) -> Result<(), ServiceError> {
        let Some(record) = self.table.import(ws, import).await? else {
            return Ok(());
        };
        if record.status != ImportStatus::Importing || record.chunks_done < record.chunks_total {
            return Ok(());
        }
        let headers = record.headers.clone().unwrap_or_default();
        let delimiter = record
            .dialect
            .map_or(contact_engine::dialect::Delimiter::Comma, |d| d.delimiter);
        let mut head = Vec::new();
        files::writer(&mut head, delimiter, &headers, FileKind::Result)
            .and_then(|mut w| w.flush())
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        // Assembled on disk, then stored in one `PutObject` streamed from
        // the file: memory stays flat whatever the size.
        let folder = tempfile::tempdir().map_err(|e| ServiceError::Internal(e.to_string()))?;
        let path = folder.path().join("result.csv");
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        file.write_all(&head)
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        for chunk in 0..record.chunks_total {
            let part = keys::result_part_object(ws, import, record.generation, chunk);
            let bytes = self.bucket.get(&part, None).await?;
            file.write_all(&bytes)
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
        }
        file.flush()
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        drop(file);
        self.bucket
            .put_file(
                &keys::result_object(ws, import),
                &path,
                "text/csv; charset=utf-8",
            )
            .await?;
        let now = now();
        self.table
            .complete_import(&record, now, now + RESULT_DAYS * 24 * 3600)
            .await?;
        tracing::info!(workspace = %ws, import = %import, rows = record.rows_total, "import completed");
        let _ = self.bucket.delete(&keys::upload_object(ws, import)).await;
        let folder = keys::work_folder(ws, import, record.generation);
        let _ = self.bucket.delete_prefix(&format!("{folder}/parts/")).await;
        let _ = self
            .bucket
            .delete(&keys::stage_object(ws, import, record.generation))
            .await;
        Ok(())
    }
}

fn ended(status: Status, contact: &str) -> RowEnd {
    RowEnd {
        status,
        message: String::new(),
        contact: Some(contact.to_string()),
    }
}

/// A chunk's rows as the result file shows them: the original values, then
/// `Import Status`, `Errors` and `Contact ID`; no header.
fn result_part(
    record: &ImportRecord,
    rows: &[StagedRow],
    ends: &[RowEnd],
) -> Result<Vec<u8>, ServiceError> {
    let columns = record.headers.as_ref().map_or(0, Vec::len);
    let delimiter = record
        .dialect
        .map_or(contact_engine::dialect::Delimiter::Comma, |d| d.delimiter);
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter.byte())
        .from_writer(Vec::new());
    let mut cells = StringRecord::new();
    for (row, end) in rows.iter().zip(ends) {
        cells.clear();
        for cell in &row.cells {
            cells.push_field(cell);
        }
        files::write_row(
            &mut w,
            &cells,
            columns,
            &[
                end.status.as_str(),
                &end.message,
                end.contact.as_deref().unwrap_or(""),
            ],
        )
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    }
    w.into_inner()
        .map_err(|e| ServiceError::Internal(e.to_string()))
}
