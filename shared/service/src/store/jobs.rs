//! Exports, resets and bulk actions in the table: the job record, each
//! shard's progress, and the transactions that move them on exactly once.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::error::StoreError;
use super::keys;
use super::lock;
use super::notifications::{self, Subject};
use super::table::{
    Item, NotWritten, Page, Table, UpdateBuilder, from_item, index, key, n, s, sort_key, to_item,
};
use crate::records::{JobKind, JobRecord, Phase, ShardProgress, StepCounts};

#[derive(Debug, Clone)]
pub struct JobStore {
    table: Table,
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

fn job_key(ws: &str, id: &str) -> Item {
    key(keys::job(ws, id), keys::SK_JOB)
}

/// The listing a job of `kind` is in: the workspace's exports and resets
/// together, or its bulk actions.
fn listing(ws: &str, kind: JobKind) -> String {
    match kind {
        JobKind::Bulk => keys::bulk_index(ws),
        JobKind::Export | JobKind::Reset => keys::jobs_index(ws),
    }
}

/// A job as stored, in its listing.
fn job_item(record: &JobRecord) -> Result<Item, StoreError> {
    let mut item = to_item(record)?;
    item.extend(job_key(&record.workspace, &record.id));
    index(
        &mut item,
        listing(&record.workspace, record.kind),
        keys::creation_sk(record.created_at, &record.id),
    );
    Ok(item)
}

impl JobStore {
    pub(crate) fn new(table: Table) -> Self {
        Self { table }
    }

    /// An update of a job's record while it runs: every one is
    /// conditioned on `#status = :running`, which this names.
    fn update_running(&self, record: &JobRecord, expression: &str) -> UpdateBuilder {
        let key = key(keys::job(&record.workspace, &record.id), keys::SK_JOB);
        self.table
            .update(key, expression)
            .name("#status", "status")
            .value(":running", s("running"))
    }

    /// Stores a new job (its id is new: never over another).
    pub async fn create(&self, record: &JobRecord) -> Result<(), StoreError> {
        self.table
            .put_item(job_item(record)?, Some("attribute_not_exists(pk)"))
            .await
    }

    /// Creates a reset and takes the workspace's import lock for it, at
    /// once: no import runs while contacts are being deleted.
    pub async fn start_reset(&self, record: &JobRecord) -> Result<(), StartResetError> {
        let ws = &record.workspace;
        let items = vec![
            self.table.put(
                job_item(record).map_err(StartResetError::Store)?,
                Some("attribute_not_exists(pk)"),
            ),
            lock::take(&self.table, ws, &record.id, None),
        ];
        match self.table.transact(items).await {
            Ok(()) => Ok(()),
            Err(NotWritten::Cancelled(r)) if r.failed_at(0) => Err(StartResetError::Exists),
            Err(NotWritten::Cancelled(r)) if r.failed_at(1) => Err(StartResetError::Locked),
            Err(e) => Err(StartResetError::Store(e.into())),
        }
    }

    /// The workspace's jobs listed with those of `kind` (exports with
    /// resets; bulk actions alone), newest first, `limit` a page, after the
    /// page that gave `cursor`.
    pub async fn list(
        &self,
        ws: &str,
        kind: JobKind,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<JobRecord>, StoreError> {
        self.table
            .by_creation(listing(ws, kind), limit, cursor, |id| job_key(ws, id))
            .await
    }

    pub async fn job(&self, ws: &str, id: &str) -> Result<Option<JobRecord>, StoreError> {
        self.table.read(key(keys::job(ws, id), keys::SK_JOB)).await
    }

    /// Several jobs in one read, in any order; missing ones left out.
    pub async fn jobs(&self, ws: &str, ids: &[String]) -> Result<Vec<JobRecord>, StoreError> {
        let wanted = ids
            .iter()
            .map(|id| key(keys::job(ws, id), keys::SK_JOB))
            .collect();
        self.table.read_many(wanted).await
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
            .table
            .batch_get(vec![
                key(pk.clone(), keys::SK_JOB),
                key(pk, &keys::job_shard_sk(phase.as_str(), shard)),
            ])
            .await?;
        let mut record = None;
        let mut progress = ShardProgress::default();
        for item in found {
            if sort_key(&item) == Some(keys::SK_JOB) {
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
        for item in self.table.batch_get(wanted).await? {
            let sk = sort_key(&item).unwrap_or_default().to_string();
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
        let put = if step == 0 {
            self.table.put(item, Some("attribute_not_exists(pk)"))
        } else {
            self.table
                .put_when(item, Some("step = :step"), &[(":step", n(step))])
        };
        let job = self
            .update_running(
                record,
                "ADD #rows :rows, deleted :deleted, kept :kept, changed :changed, shards_done :done",
            )
            .name("#rows", "rows")
            .name("#phase", "phase")
            .value(":rows", n(counts.rows))
            .value(":deleted", n(counts.deleted))
            .value(":kept", n(counts.kept))
            .value(":changed", n(counts.changed))
            .value(":done", n(u32::from(next.done)))
            .value(":phase", s(phase.as_str()))
            .condition("#status = :running AND #phase = :phase");
        match self.table.transact(vec![put, job.item()]).await {
            Ok(()) => Ok(true),
            Err(NotWritten::Cancelled(r)) if r.failed_in(0..2) => Ok(false),
            Err(e) => Err(e.into()),
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
        let note = notifications::note(
            &self.table,
            &record.workspace,
            now,
            "export_ready",
            Subject::Job(&record.id),
            format!("Export ready: {} contacts", record.rows),
        )?;
        self.table.transact_once(vec![finish, note]).await
    }

    /// Moves a reset from choosing to deleting, once every shard is chosen
    /// and the backup is written.
    pub async fn enter_delete_phase(
        &self,
        record: &JobRecord,
        available_until: i64,
    ) -> Result<bool, StoreError> {
        let update = self
            .update_running(
                record,
                "SET #phase = :delete, shards_done = :zero, available_until = :until",
            )
            .name("#phase", "phase")
            .value(":delete", s(Phase::Delete.as_str()))
            .value(":select", s(Phase::Select.as_str()))
            .value(":zero", n(0))
            .value(":until", n(available_until))
            .value(":all", n(keys::CONTACT_SHARDS))
            .condition("#status = :running AND #phase = :select AND shards_done = :all");
        match update.send_alone(self.table.client()).await {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Ends a reset: completed, the lock released and the workspace
    /// notified, all at once and only once (the month's count was settled
    /// just before, see `Plan::settle`).
    pub async fn complete_reset(&self, record: &JobRecord, now: i64) -> Result<bool, StoreError> {
        let ws = &record.workspace;
        let finish = self.finish_job(
            record,
            now,
            record.available_until.unwrap_or(now),
            Phase::Delete,
        );
        let note = notifications::note(
            &self.table,
            ws,
            now,
            "reset_completed",
            Subject::Job(&record.id),
            format!(
                "Month-end reset done: {} contacts deleted, {} kept because they changed after the backup; the backup holds {} contacts",
                record.deleted, record.kept, record.rows
            ),
        )?;
        self.table
            .transact_once(vec![
                finish,
                lock::release(&self.table, ws, &record.id),
                note,
            ])
            .await
    }

    /// Ends a running job that could not go on (it could not be started, or
    /// its messages kept failing) as `failed`: a reset's lock released, and
    /// the workspace notified, at once and only once. Answers whether this
    /// call did it.
    pub async fn fail(
        &self,
        record: &JobRecord,
        reason: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let ws = &record.workspace;
        let update = self
            .update_running(
                record,
                "SET #status = :failed, #error = :reason, finished_at = :now",
            )
            .name("#error", "error")
            .value(":failed", s("failed"))
            .value(":reason", s(reason))
            .value(":now", n(now))
            .condition("#status = :running");
        let (kind, what) = match record.kind {
            JobKind::Export => ("export_failed", "Export"),
            JobKind::Reset => ("reset_failed", "Month-end reset"),
            JobKind::Bulk => ("bulk_failed", "Bulk action"),
        };
        let note = notifications::note(
            &self.table,
            ws,
            now,
            kind,
            Subject::Job(&record.id),
            format!("{what} failed: {reason}"),
        )?;
        let mut items = vec![update.item(), note];
        if record.kind == JobKind::Reset {
            items.push(lock::release(&self.table, ws, &record.id));
        }
        self.table.transact_once(items).await
    }

    /// Ends a bulk action (after its one pass, or a delete's second), and
    /// notifies the workspace, once. A delete's backup stays available.
    pub async fn complete_bulk(&self, record: &JobRecord, now: i64) -> Result<bool, StoreError> {
        let deleting = record.phase == Phase::Delete;
        let until = record.available_until.unwrap_or(now);
        let finish = self.finish_job(record, now, until, record.phase);
        let what = record
            .bulk
            .as_ref()
            .map(|b| serde_json::to_value(b.action.name()).unwrap_or_default())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let text = if deleting {
            format!(
                "Bulk delete done: {} contacts deleted, {} kept because they changed after the backup; the backup holds {} contacts",
                record.deleted, record.kept, record.rows
            )
        } else {
            format!(
                "Bulk action {what} done: {} contacts matched, {} changed",
                record.rows, record.changed
            )
        };
        let note = notifications::note(
            &self.table,
            &record.workspace,
            now,
            "bulk_completed",
            Subject::Job(&record.id),
            text,
        )?;
        self.table.transact_once(vec![finish, note]).await
    }

    fn finish_job(
        &self,
        record: &JobRecord,
        now: i64,
        available_until: i64,
        phase: Phase,
    ) -> TransactWriteItem {
        self.update_running(
            record,
            "SET #status = :completed, finished_at = :now, available_until = :until",
        )
        .name("#phase", "phase")
        .value(":completed", s("completed"))
        .value(":now", n(now))
        .value(":until", n(available_until))
        .value(":phase", s(phase.as_str()))
        .value(":all", n(keys::CONTACT_SHARDS))
        .condition("#status = :running AND #phase = :phase AND shards_done = :all")
        .item()
    }
}
