//! Exports and resets in the table: the job record, each shard's progress,
//! and the transactions that move them on exactly once.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use super::keys;
use super::table::{
    Item, StoreError, Table, from_item, is_condition_failure, key, n, notification, s, to_item,
};
use crate::service::model::{Contact, JobKind, JobRecord, Phase, ShardProgress};
use contact_engine::options::Identifier;

/// What one step adds to its job's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepCounts {
    pub rows: u64,
    pub deleted: u64,
    pub kept: u64,
}

/// Why a reset could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartResetError {
    #[error("this month's reset already exists")]
    Exists,
    #[error("an import of the workspace is importing")]
    Locked,
    #[error(transparent)]
    Store(StoreError),
}

fn job_item(record: &JobRecord) -> Result<Item, StoreError> {
    let mut item = to_item(record)?;
    item.extend(key(keys::job(&record.workspace, &record.id), keys::SK_JOB));
    Ok(item)
}

impl Table {
    pub async fn create_job(&self, record: &JobRecord) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(job_item(record)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await?;
        Ok(())
    }

    /// Creates a reset and takes the workspace's import lock for it, at
    /// once: no import runs while contacts are being deleted.
    pub async fn start_reset(&self, record: &JobRecord) -> Result<(), StartResetError> {
        let ws = &record.workspace;
        let mut lock = key(keys::workspace(ws), keys::SK_LOCK);
        lock.insert("import".into(), s(&record.id));
        let items = vec![
            TransactWriteItem::builder()
                .put(self.put(
                    job_item(record).map_err(StartResetError::Store)?,
                    Some("attribute_not_exists(pk)"),
                ))
                .build(),
            TransactWriteItem::builder()
                .put(self.put(lock, Some("attribute_not_exists(pk)")))
                .build(),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) if e.condition_failed_at(0) => Err(StartResetError::Exists),
            Err(e) if e.condition_failed_at(1) => Err(StartResetError::Locked),
            Err(e) => Err(StartResetError::Store(e)),
        }
    }

    pub async fn job(&self, ws: &str, id: &str) -> Result<Option<JobRecord>, StoreError> {
        self.get(key(keys::job(ws, id), keys::SK_JOB))
            .await?
            .map(from_item)
            .transpose()
    }

    /// Several jobs in one read, in any order; missing ones left out.
    pub async fn jobs(&self, ws: &str, ids: &[String]) -> Result<Vec<JobRecord>, StoreError> {
        let wanted = ids
            .iter()
            .map(|id| key(keys::job(ws, id), keys::SK_JOB))
            .collect();
        self.batch_get(wanted)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// The job and one shard's progress, in one read.
    pub async fn job_and_shard(
        &self,
        ws: &str,
        id: &str,
        phase: Phase,
        shard: u32,
    ) -> Result<(Option<JobRecord>, ShardProgress), StoreError> {
        let pk = keys::job(ws, id);
        let found = self
            .batch_get(vec![
                key(pk.clone(), keys::SK_JOB),
                key(pk, &keys::job_shard_sk(phase.as_str(), shard)),
            ])
            .await?;
        let mut record = None;
        let mut progress = ShardProgress::default();
        for item in found {
            if item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some(keys::SK_JOB)
            {
                record = Some(from_item(item)?);
            } else {
                progress = from_item(item)?;
            }
        }
        Ok((record, progress))
    }

    /// Every shard's progress in a phase, by shard (missing ones at their
    /// start).
    pub async fn shards(
        &self,
        ws: &str,
        id: &str,
        phase: Phase,
    ) -> Result<Vec<ShardProgress>, StoreError> {
        let pk = keys::job(ws, id);
        let wanted = (0..keys::CONTACT_SHARDS)
            .map(|shard| key(pk.clone(), &keys::job_shard_sk(phase.as_str(), shard)))
            .collect();
        let mut by_sk: HashMap<String, ShardProgress> = HashMap::new();
        for item in self.batch_get(wanted).await? {
            let sk = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            by_sk.insert(sk, from_item(item)?);
        }
        Ok((0..keys::CONTACT_SHARDS)
            .map(|shard| {
                by_sk
                    .remove(&keys::job_shard_sk(phase.as_str(), shard))
                    .unwrap_or_default()
            })
            .collect())
    }

    /// Moves a shard from `step` to `next` and adds the step's counts to the
    /// job, together and once: a step run twice finds the shard moved on.
    /// Answers whether this call moved it.
    pub async fn advance_shard(
        &self,
        record: &JobRecord,
        phase: Phase,
        shard: u32,
        step: u32,
        next: &ShardProgress,
        counts: StepCounts,
    ) -> Result<bool, StoreError> {
        let pk = keys::job(&record.workspace, &record.id);
        let mut item = to_item(next)?;
        item.extend(key(pk.clone(), &keys::job_shard_sk(phase.as_str(), shard)));
        let condition = if step == 0 {
            "attribute_not_exists(pk)"
        } else {
            "step = :step"
        };
        let put = Put::builder()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_values(
                (step > 0).then(|| HashMap::from([(":step".to_string(), n(step))])),
            )
            .build()
            .expect("table and item given");
        let job = self
            .update(
                key(pk, keys::SK_JOB),
                "ADD #rows :rows, deleted :deleted, kept :kept, shards_done :done",
            )
            .name("#rows", "rows")
            .name("#status", "status")
            .name("#phase", "phase")
            .value(":rows", n(counts.rows))
            .value(":deleted", n(counts.deleted))
            .value(":kept", n(counts.kept))
            .value(":done", n(u32::from(next.done)))
            .value(":running", s("running"))
            .value(":phase", s(phase.as_str()))
            .condition("#status = :running AND #phase = :phase")
            .build();
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(job).build(),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(e) if e.condition_failed_at(0) || e.condition_failed_at(1) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Ends an export: completed, its file's availability, and the
    /// workspace notified, once.
    pub async fn complete_export(
        &self,
        record: &JobRecord,
        now: i64,
        available_until: i64,
    ) -> Result<bool, StoreError> {
        let finish = self.finish_job(record, now, available_until, Phase::Select);
        let note = notification(
            &record.workspace,
            now,
            "export_ready",
            ("job", &record.id),
            format!("Export ready: {} contacts", record.rows),
        );
        self.transact_once(vec![
            TransactWriteItem::builder().update(finish).build(),
            TransactWriteItem::builder()
                .put(self.put(note, None))
                .build(),
        ])
        .await
    }

    /// Moves a reset from choosing to deleting, once every shard is chosen
    /// and the backup is written.
    pub async fn enter_delete_phase(
        &self,
        record: &JobRecord,
        available_until: i64,
    ) -> Result<bool, StoreError> {
        let update = self
            .update(
                key(keys::job(&record.workspace, &record.id), keys::SK_JOB),
                "SET #phase = :delete, shards_done = :zero, available_until = :until",
            )
            .name("#phase", "phase")
            .name("#status", "status")
            .value(":delete", s(Phase::Delete.as_str()))
            .value(":select", s(Phase::Select.as_str()))
            .value(":zero", n(0))
            .value(":until", n(available_until))
            .value(":running", s("running"))
            .value(":all", n(keys::CONTACT_SHARDS))
            .condition("#status = :running AND #phase = :select AND shards_done = :all");
        match update.send_alone(&self.client).await {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Ends a reset: completed, the month's count restarted, the lock
    /// released and the workspace notified, all at once and only once.
    pub async fn complete_reset(&self, record: &JobRecord, now: i64) -> Result<bool, StoreError> {
        let ws = &record.workspace;
        let finish = self.finish_job(
            record,
            now,
            record.available_until.unwrap_or(now),
            Phase::Delete,
        );
        let month = record.month.clone().unwrap_or_default();
        let restart = self
            .update(
                key(keys::workspace(ws), &keys::counters_sk(&month)),
                "SET contacts_created = :zero",
            )
            .value(":zero", n(0))
            .build();
        let unlock = self.unlock(ws, &record.id);
        let note = notification(
            ws,
            now,
            "reset_completed",
            ("job", &record.id),
            format!(
                "Month-end reset done: {} contacts deleted, {} kept because they changed after the backup; the backup holds {} contacts",
                record.deleted, record.kept, record.rows
            ),
        );
        self.transact_once(vec![
            TransactWriteItem::builder().update(finish).build(),
            TransactWriteItem::builder().update(restart).build(),
            TransactWriteItem::builder().delete(unlock).build(),
            TransactWriteItem::builder()
                .put(self.put(note, None))
                .build(),
        ])
        .await
    }

    /// Ends a running job that could not go on (it could not be started, or
    /// its messages kept failing) as `failed`: a reset's lock released, and the workspace notified, at
    /// once and only once. Answers whether this call did it.
    pub async fn fail_job(
        &self,
        record: &JobRecord,
        reason: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let ws = &record.workspace;
        let update = self
            .update(
                key(keys::job(ws, &record.id), keys::SK_JOB),
                "SET #status = :failed, #error = :reason, finished_at = :now",
            )
            .name("#status", "status")
            .name("#error", "error")
            .value(":failed", s("failed"))
            .value(":reason", s(reason))
            .value(":now", n(now))
            .value(":running", s("running"))
            .condition("#status = :running")
            .build();
        let (kind, what) = match record.kind {
            JobKind::Export => ("export_failed", "Export"),
            JobKind::Reset => ("reset_failed", "Month-end reset"),
        };
        let note = notification(
            ws,
            now,
            kind,
            ("job", &record.id),
            format!("{what} failed: {reason}"),
        );
        let mut items = vec![
            TransactWriteItem::builder().update(update).build(),
            TransactWriteItem::builder()
                .put(self.put(note, None))
                .build(),
        ];
        if record.kind == JobKind::Reset {
            items.push(
                TransactWriteItem::builder()
                    .delete(self.unlock(ws, &record.id))
                    .build(),
            );
        }
        self.transact_once(items).await
    }

    /// Deletes contacts exactly as they were chosen, with their claims: a
    /// contact changed since (its `updated_at` differs) is kept. Answers the
    /// ids whose deletion did not happen in this call (changed, or already
    /// gone).
    pub async fn delete_chosen(
        &self,
        ws: &str,
        contacts: &[Contact],
    ) -> Result<Vec<String>, StoreError> {
        // Three items a contact (it, its phone, its email).
        const PER_TRANSACTION: usize = super::table::TRANSACTION_ITEMS / 3;
        let mut not_deleted = Vec::new();
        let mut queue: Vec<&Contact> = contacts.iter().collect();
        let mut conflicts = 0;
        while !queue.is_empty() {
            let batch: Vec<&Contact> = queue.drain(..queue.len().min(PER_TRANSACTION)).collect();
            let mut items = Vec::new();
            let mut owner = Vec::new();
            for (i, contact) in batch.iter().enumerate() {
                items.push(self.remove_contact(ws, &contact.id, &contact.updated_at));
                owner.push(i);
                for (identifier, value) in [
                    (Identifier::Phone, &contact.phone),
                    (Identifier::Email, &contact.email),
                ] {
                    if let Some(value) = value {
                        items.push(self.release(ws, identifier, value, &contact.id));
                        owner.push(i);
                    }
                }
            }
            match self.transact(items).await {
                Ok(()) => {}
                Err(StoreError::Cancelled(reasons)) => {
                    let failed: std::collections::HashSet<usize> = reasons
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| is_condition_failure(r))
                        .filter_map(|(at, _)| owner.get(at).copied())
                        .collect();
                    if failed.is_empty() {
                        conflicts += 1;
                        if conflicts > 8 {
                            return Err(StoreError::Cancelled(reasons));
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(
                            20 << conflicts.min(5),
                        ))
                        .await;
                    }
                    for (i, contact) in batch.into_iter().enumerate() {
                        if failed.contains(&i) {
                            not_deleted.push(contact.id.clone());
                        } else {
                            queue.push(contact);
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(not_deleted)
    }

    fn finish_job(
        &self,
        record: &JobRecord,
        now: i64,
        available_until: i64,
        phase: Phase,
    ) -> Update {
        self.update(
            key(keys::job(&record.workspace, &record.id), keys::SK_JOB),
            "SET #status = :completed, finished_at = :now, available_until = :until",
        )
        .name("#status", "status")
        .name("#phase", "phase")
        .value(":completed", s("completed"))
        .value(":now", n(now))
        .value(":until", n(available_until))
        .value(":running", s("running"))
        .value(":phase", s(phase.as_str()))
        .value(":all", n(keys::CONTACT_SHARDS))
        .condition("#status = :running AND #phase = :phase AND shards_done = :all")
        .build()
    }
}
