//! Long jobs over a workspace's contacts (exports, month-end resets and
//! bulk actions by filter), worked through a page at a time from the jobs
//! queue.
//!
//! A job walks the 16 contact shards side by side. Each shard is a chain of
//! steps, one SQS message each: a step reads one page, writes the contacts
//! it chose to their own object, then moves the shard's progress on in the
//! same transaction that adds its counts, conditioned on the step it ran.
//! A step delivered twice finds the shard moved on and stops; two copies
//! running at once write different objects and only one is recorded. When
//! every shard is done the chosen pages become one CSV file.
//!
//! A reset first runs that pass as its backup, then a second pass deletes
//! exactly the contacts the backup holds, each only while unchanged since it
//! was written, so a resumed reset never deletes a contact it did not
//! choose. A bulk delete runs the same two passes over the contacts its
//! filter keeps; any other bulk action acts on the chosen contacts in its
//! one pass, each over the version the page read (the actions are
//! idempotent, so a copy of a step acts again harmlessly).

use contact_engine::dialect::Delimiter;
use contact_engine::fields::{ContactField, FieldRef};
use contact_engine::files::{FileKind, FileWriter};
use contact_engine::normalize;

use super::config::Config;
use super::contacts::ContactActions;
use super::error::{AtStep, ListedAt, ServiceError};
use super::plan::{open_now, settle};
use crate::records::ids::is_safe_id;
use crate::records::time::now;
use crate::records::{
    Actor, BulkAction, Contact, JobKind, JobMessage, JobRecord, JobStatus, Phase, Settings,
    ShardProgress, StepCounts,
};
use crate::store::{CONTACT_SHARDS, Page, Store, StoreError};

/// Why a job whose place in the contacts cannot be read failed: it began
/// before an upgrade that changed how the place is kept.
pub const JOB_PLACE_LOST: &str =
    "it began before the service was upgraded and cannot go on from where it was; start it again";

/// Contacts one step reads: a page a function finishes in seconds.
pub const STEP_CONTACTS: i32 = 500;

/// How long an export file may be downloaded.
pub const EXPORT_DAYS: i64 = 7;

/// The columns every contact has besides its own values, in the order
/// exports write them after those.
const OTHER_COLUMNS: [&str; 5] = ["tags", "groups", "blocked", "created_at", "updated_at"];

/// Every column a workspace's export may have: the contact's id, its own
/// values, the rest of it, then its custom fields', named `custom:<key>` as
/// a mapping names them (and as an import maps them back).
pub(crate) fn all_columns(settings: &Settings) -> Vec<String> {
    let own = ContactField::own_values().map(ContactField::key);
    std::iter::once("id")
        .chain(own)
        .chain(OTHER_COLUMNS)
        .map(str::to_string)
        .chain(
            settings
                .custom_fields
                .iter()
                .map(|f| FieldRef::Custom(f.key.clone()).to_string()),
        )
        .collect()
}

/// One cell of a contact; lists are joined with `;` (as a tags cell is
/// read on import).
fn cell(contact: &Contact, column: &str) -> String {
    let own = ContactField::own_values().find(|f| f.key() == column);
    if let Some(value) = own.and_then(|f| contact.field(f)) {
        return value.clone().unwrap_or_default();
    }
    match column {
        "id" => contact.id.clone(),
        "tags" => contact.tags.join(";"),
        "groups" => contact.groups.join(";"),
        "blocked" => contact.blocked.to_string(),
        "created_at" => contact.created_at.clone(),
        "updated_at" => contact.updated_at.clone(),
        // Exports started before custom columns were named `custom:<key>`
        // name them by the bare key.
        column => match contact
            .custom_fields
            .get(column.strip_prefix("custom:").unwrap_or(column))
        {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        },
    }
}

/// Whether a job chooses `contact`: an export's or a reset's tag, a bulk
/// action's filters.
fn chooses(record: &JobRecord, contact: &Contact) -> bool {
    match &record.bulk {
        Some(bulk) => bulk.filter.matches(contact),
        None => record
            .tag
            .as_deref()
            .is_none_or(|tag| normalize::has_tag(&contact.tags, tag)),
    }
}

/// Whether a job's chosen contacts are deleted in a second pass (a reset,
/// a bulk delete), after their backup is written.
fn deletes(record: &JobRecord) -> bool {
    match record.kind {
        JobKind::Export => false,
        JobKind::Reset => true,
        JobKind::Bulk => record
            .bulk
            .as_ref()
            .is_some_and(|b| b.action == BulkAction::Delete),
    }
}

/// The steps of exports and resets, and what ends their phases.
#[derive(Debug, Clone)]
pub struct Jobs {
    pub(crate) store: Store,
    pub(crate) config: Config,
    contacts: ContactActions,
}

impl Jobs {
    pub(crate) fn new(store: Store, config: Config) -> Self {
        Self {
            contacts: ContactActions::new(store.clone()),
            store,
            config,
        }
    }

    /// A page of the workspace's jobs listed with those of `kind`, each with
    /// its file's link when `links` (and the file is kept).
    pub(crate) async fn listed(
        &self,
        ws: &str,
        kind: JobKind,
        (limit, cursor): (i32, Option<&str>),
        links: bool,
        step: &'static str,
    ) -> Result<Page<(JobRecord, Option<String>)>, ServiceError> {
        let page = self
            .store
            .jobs
            .list(ws, kind, limit, cursor)
            .await
            .listed_at(step)?;
        let mut items = Vec::with_capacity(page.items.len());
        for record in page.items {
            let url = if links {
                self.file_link(&record).await?
            } else {
                None
            };
            items.push((record, url));
        }
        Ok(Page {
            items,
            cursor: page.cursor,
        })
    }

    /// A presigned link to a job's file while it is kept; the code checks
    /// the date itself, as S3's lifecycle deletes late.
    pub async fn file_link(&self, record: &JobRecord) -> Result<Option<String>, ServiceError> {
        let ready = if deletes(record) {
            record.phase == Phase::Delete || record.status == JobStatus::Completed
        } else {
            record.kind == JobKind::Export && record.status == JobStatus::Completed
        };
        match record.available_until {
            Some(until) if ready && now() < until => Ok(Some(
                self.store
                    .files
                    .export_link(record, self.config.download_url_ttl)
                    .await
                    .at("signing the export's link")?,
            )),
            _ => Ok(None),
        }
    }

    /// Sends the first step of every shard of `phase`.
    pub(crate) async fn send_first_steps(
        &self,
        record: &JobRecord,
        phase: Phase,
    ) -> Result<(), ServiceError> {
        let steps: Vec<(u32, u32)> = (0..CONTACT_SHARDS).map(|s| (s, 0)).collect();
        self.send_steps(record, phase, &steps).await
    }

    async fn send_steps(
        &self,
        record: &JobRecord,
        phase: Phase,
        steps: &[(u32, u32)],
    ) -> Result<(), ServiceError> {
        let messages: Vec<JobMessage> = steps
            .iter()
            .map(|&(shard, step)| JobMessage::Step {
                workspace: record.workspace.clone(),
                job: record.id.clone(),
                phase,
                shard,
                step,
            })
            .collect();
        self.store
            .queues
            .jobs(&messages)
            .await
            .at("sending the job's steps")
    }

    /// Sets a running job going again from where its shards stand: each
    /// unfinished shard's next step is sent (a copy of a step already on its
    /// way is harmless), or the phase is finished when every shard is.
    pub(crate) async fn resume(&self, record: &JobRecord) -> Result<(), ServiceError> {
        if record.status != JobStatus::Running {
            return Ok(());
        }
        if record.shards_done >= CONTACT_SHARDS {
            return Box::pin(self.finish_phase(record)).await;
        }
        let shards = self
            .store
            .jobs
            .shards(&record.workspace, &record.id, record.phase)
            .await
            .at("reading the job's shards")?;
        let steps: Vec<(u32, u32)> = shards
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.done)
            .map(|(shard, p)| (shard as u32, p.step))
            .collect();
        self.send_steps(record, record.phase, &steps).await
    }

    /// Runs one step of one shard of a job's phase, once.
    pub async fn run_step(
        &self,
        ws: &str,
        job: &str,
        phase: Phase,
        shard: u32,
        step: u32,
    ) -> Result<(), ServiceError> {
        if !is_safe_id(ws) || !is_safe_id(job) || shard >= CONTACT_SHARDS {
            return Err(ServiceError::BadMessage("no such job shard".into()));
        }
        let (record, progress) = self
            .store
            .jobs
            .job_and_shard(ws, job, phase, shard)
            .await
            .at("reading the job and its shard")?;
        let Some(record) = record else {
            return Ok(());
        };
        if record.status != JobStatus::Running {
            return Ok(());
        }
        if record.phase != phase || progress.done || progress.step != step {
            // A copy of a step already run, or of an earlier phase: the
            // job may have stopped short of sending what came next.
            return self
                .after_stale(&record, phase, shard, &progress, step)
                .await;
        }
        let stepped = match phase {
            Phase::Select => self.select_step(&record, shard, step, &progress).await,
            Phase::Delete => self.delete_step(&record, shard, step).await,
        };
        let (next, counts) = match stepped {
            Err(ServiceError::Store {
                source: StoreError::BadCursor,
                ..
            }) => {
                // The shard's place is in a form this version does not
                // read (a job begun before an upgrade): no delivery can
                // ever run the step, so the job ends now, in plain words,
                // instead of waiting for nothing.
                self.store
                    .jobs
                    .fail(&record, JOB_PLACE_LOST, now())
                    .await
                    .at("failing the job")?;
                return Ok(());
            }
            stepped => stepped?,
        };
        let moved = self
            .store
            .jobs
            .advance_shard(&record, phase, shard, step, &next, counts)
            .await
            .at("moving the shard on")?;
        if !moved {
            // Another copy of this step got there first; the page this one
            // added (if any) is recorded nowhere.
            if let Some(part) = next.parts.get(progress.parts.len()) {
                let _ = self.store.files.delete_page(&record, shard, part).await;
            }
            return Ok(());
        }
        if next.done {
            let now_stored = self.store.jobs.job(ws, job).await.at("reading the job")?;
            let record = now_stored.unwrap_or(record);
            if record.shards_done >= CONTACT_SHARDS {
                // Boxed: the file assembly's future is deep.
                return Box::pin(self.finish_phase(&record)).await;
            }
            Ok(())
        } else {
            self.send_steps(&record, phase, &[(shard, next.step)]).await
        }
    }

    async fn after_stale(
        &self,
        record: &JobRecord,
        phase: Phase,
        shard: u32,
        progress: &ShardProgress,
        step: u32,
    ) -> Result<(), ServiceError> {
        if record.phase != phase || record.shards_done >= CONTACT_SHARDS {
            return self.resume(record).await;
        }
        if !progress.done && progress.step == step + 1 {
            // This step ran, but its successor may never have been sent.
            return self
                .send_steps(record, phase, &[(shard, progress.step)])
                .await;
        }
        Ok(())
    }

    /// Reads one page of a shard and writes down the contacts it chooses.
    async fn select_step(
        &self,
        record: &JobRecord,
        shard: u32,
        step: u32,
        progress: &ShardProgress,
    ) -> Result<(ShardProgress, StepCounts), ServiceError> {
        let page = self
            .store
            .contacts
            .read_shard(
                &record.workspace,
                shard,
                progress.cursor.as_deref(),
                STEP_CONTACTS,
            )
            .await
            .at("reading a page of the shard")?;
        let chosen: Vec<&Contact> = page
            .contacts
            .iter()
            .filter(|c| chooses(record, c))
            .collect();
        let mut counts = StepCounts {
            rows: chosen.len() as u64,
            ..StepCounts::default()
        };
        if let Some(bulk) = record.bulk.as_ref().filter(|_| !deletes(record)) {
            // Counted on the page as read, not by what this copy's writes
            // did: two copies of a step at once split the writes between
            // them, but read the same page (one that reads after the
            // other's writes counts fewer; the contacts are right anyway).
            counts.changed = chosen
                .iter()
                .filter(|c| bulk.action.would_change(c))
                .count() as u64;
            let by = Actor::bulk(&record.id, record.started_by.as_deref());
            self.contacts
                .act_on_all(
                    &record.workspace,
                    &by,
                    &bulk.action,
                    chosen.into_iter().cloned().collect(),
                )
                .await?;
            let next = ShardProgress {
                step: step + 1,
                cursor: page.stopped_after.clone(),
                parts: Vec::new(),
                done: page.stopped_after.is_none(),
            };
            return Ok((next, counts));
        }
        let mut next = ShardProgress {
            step: step + 1,
            cursor: page.stopped_after.clone(),
            parts: progress.parts.clone(),
            done: page.stopped_after.is_none(),
        };
        if !chosen.is_empty() {
            // Named afresh on every run: two copies of a step (SQS may hand
            // the same message to two functions at once) never write over
            // each other's page, and the one not recorded removes only its
            // own.
            let part = self
                .store
                .files
                .put_page(record, shard, step, &chosen)
                .await
                .at("storing the chosen contacts")?;
            next.parts.push(part);
        }
        Ok((next, counts))
    }

    /// Deletes the contacts of one chosen page, each only while it is as
    /// the backup holds it.
    async fn delete_step(
        &self,
        record: &JobRecord,
        shard: u32,
        step: u32,
    ) -> Result<(ShardProgress, StepCounts), ServiceError> {
        let ws = &record.workspace;
        let (_, chosen) = self
            .store
            .jobs
            .job_and_shard(ws, &record.id, Phase::Select, shard)
            .await
            .at("reading the shard's chosen pages")?;
        let mut counts = StepCounts::default();
        if let Some(part) = chosen.parts.get(step as usize) {
            let contacts = self.chosen_page(record, shard, part).await?;
            // Their month is opened before any is deleted.
            open_now(&self.store, ws).await?;
            let store = &self.store.contacts;
            let not_deleted = store
                .delete_chosen(ws, &contacts)
                .await
                .at("deleting the chosen contacts")?;
            // Those not deleted now are either gone (an earlier run of this
            // step deleted them) or changed since the backup (kept).
            let still_there: Vec<String> = store
                .contacts(ws, &not_deleted)
                .await
                .at("reading the contacts not deleted")?
                .into_iter()
                .map(|c| c.id)
                .collect();
            counts.kept = still_there.len() as u64;
            counts.deleted = contacts.len() as u64 - counts.kept;
            // Their histories go with them, those of contacts an earlier
            // run of this step deleted too (an id is never reused).
            let gone: Vec<String> = contacts
                .iter()
                .filter(|c| !still_there.contains(&c.id))
                .map(|c| c.id.clone())
                .collect();
            self.store
                .activity
                .purge_many(ws, &gone)
                .await
                .at("deleting the deleted contacts' histories")?;
        }
        let next = ShardProgress {
            step: step + 1,
            cursor: None,
            parts: Vec::new(),
            done: step as usize + 1 >= chosen.parts.len(),
        };
        Ok((next, counts))
    }

    /// Every shard has finished the job's phase: write the file, then end
    /// the export, or move the reset (the bulk delete) on to deleting, or
    /// end it; a bulk action that does not delete just ends. Each
    /// move happens once; running this again is harmless.
    async fn finish_phase(&self, record: &JobRecord) -> Result<(), ServiceError> {
        let jobs = &self.store.jobs;
        match (record.kind, record.phase) {
            (JobKind::Bulk, Phase::Select) if !deletes(record) => {
                jobs.complete_bulk(record, now())
                    .await
                    .at("completing the bulk action")?;
                Ok(())
            }
            (_, Phase::Select) => {
                self.write_file(record).await?;
                let now = now();
                let until = now + EXPORT_DAYS * 24 * 3600;
                if record.kind == JobKind::Export {
                    jobs.complete_export(record, now, until)
                        .await
                        .at("completing the export")?;
                    let _ = self.store.files.discard_job_files(record).await;
                } else {
                    jobs.enter_delete_phase(record, until)
                        .await
                        .at("moving the job on to deleting")?;
                    let mut moved = record.clone();
                    moved.phase = Phase::Delete;
                    self.send_first_steps(&moved, Phase::Delete).await?;
                }
                Ok(())
            }
            (JobKind::Reset | JobKind::Bulk, Phase::Delete) => {
                let completed = if record.kind == JobKind::Reset {
                    // What remains is carried over: the month the reset
                    // ends in counts it, before the reset says it is done.
                    settle(&self.store, &record.workspace).await?;
                    jobs.complete_reset(record, now())
                        .await
                        .at("completing the reset")?
                } else {
                    jobs.complete_bulk(record, now())
                        .await
                        .at("completing the bulk delete")?
                };
                if completed {
                    let _ = self.store.files.discard_job_files(record).await;
                }
                Ok(())
            }
            (JobKind::Export, Phase::Delete) => Ok(()),
        }
    }

    /// One page of a job's chosen contacts, as its select step wrote it.
    async fn chosen_page(
        &self,
        record: &JobRecord,
        shard: u32,
        part: &str,
    ) -> Result<Vec<Contact>, ServiceError> {
        self.store
            .files
            .page(record, shard, part)
            .await
            .at("reading a page of chosen contacts")
    }

    /// The chosen pages, shard by shard and in order, as one CSV file:
    /// assembled on disk and stored in one upload, so memory stays flat.
    async fn write_file(&self, record: &JobRecord) -> Result<(), ServiceError> {
        let step = "writing the export file";
        let shards = self
            .store
            .jobs
            .shards(&record.workspace, &record.id, Phase::Select)
            .await
            .at("reading the job's shards")?;
        let folder = tempfile::tempdir().at(step)?;
        let path = folder.path().join("export.csv");
        let file = std::fs::File::create(&path).at(step)?;
        let mut out = FileWriter::new(
            std::io::BufWriter::new(file),
            Delimiter::Comma,
            &record.columns,
            FileKind::Export,
        )
        .at(step)?;
        let mut cells = csv::StringRecord::new();
        for (shard, progress) in shards.iter().enumerate() {
            for part in &progress.parts {
                for contact in self.chosen_page(record, shard as u32, part).await? {
                    cells.clear();
                    for column in &record.columns {
                        cells.push_field(&cell(&contact, column));
                    }
                    out.row(&cells, &[]).at(step)?;
                }
            }
        }
        out.flush().at(step)?;
        drop(out);
        self.store
            .files
            .put_export(record, &path)
            .await
            .at("storing the export file")
    }
}
