//! Exports and month-end resets: long jobs over a workspace's contacts,
//! worked through a page at a time from the jobs queue.
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
//! choose.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Service;
use super::auth::Caller;
use super::error::ServiceError;
use super::model::{
    self, Contact, JobKind, JobMessage, JobRecord, JobStatus, Phase, ResetMode, Settings,
    ShardProgress, now,
};
use crate::store::job_store::{StartResetError, StepCounts};
use crate::store::{StoreError, keys};
use contact_engine::dialect::Delimiter;
use contact_engine::files::{self, FileKind};
use contact_engine::normalize;

/// Contacts one step reads: a page a function finishes in seconds.
pub const STEP_CONTACTS: i32 = 500;

/// How long an export file may be downloaded.
pub const EXPORT_DAYS: i64 = 7;

/// The columns every contact has, in the order exports write them.
const CONTACT_COLUMNS: [&str; 13] = [
    "id",
    "first_name",
    "last_name",
    "phone",
    "email",
    "country",
    "language",
    "assignee",
    "tags",
    "groups",
    "blocked",
    "created_at",
    "updated_at",
];

/// `POST /v1/exports`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExportRequest {
    /// Contact field keys and custom field keys, in the file's order;
    /// every column when absent.
    #[schema(min_items = 1)]
    pub columns: Option<Vec<String>>,
    /// Only contacts carrying this tag.
    pub tag: Option<String>,
}

/// An export (or a reset's backup) as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportView {
    pub id: String,
    pub kind: JobKind,
    pub status: JobStatus,
    /// Contacts written so far.
    pub rows: u64,
    /// A presigned link to the CSV, fresh on every read, while the file is
    /// kept.
    pub url: Option<String>,
    pub available_until: Option<String>,
    pub columns: Vec<String>,
    pub tag: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
}

impl ExportView {
    /// A job just started: no file yet.
    pub fn from_record(record: &JobRecord) -> Self {
        Self::new(record, None)
    }

    fn new(record: &JobRecord, url: Option<String>) -> Self {
        Self {
            id: record.id.clone(),
            kind: record.kind,
            status: record.status,
            rows: record.rows,
            url,
            available_until: record.available_until.map(model::rfc3339),
            columns: record.columns.clone(),
            tag: record.tag.clone(),
            error: record.error.clone(),
            created_at: model::rfc3339(record.created_at),
        }
    }
}

/// Every column a workspace's export may have: the contact's, then its
/// custom fields'.
fn all_columns(settings: &Settings) -> Vec<String> {
    CONTACT_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain(settings.custom_fields.iter().map(|f| f.key.clone()))
        .collect()
}

/// One cell of a contact; lists are joined with `;` (as a tags cell is
/// read on import).
fn cell(contact: &Contact, column: &str) -> String {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    match column {
        "id" => contact.id.clone(),
        "first_name" => text(&contact.first_name),
        "last_name" => text(&contact.last_name),
        "phone" => text(&contact.phone),
        "email" => text(&contact.email),
        "country" => text(&contact.country),
        "language" => text(&contact.language),
        "assignee" => text(&contact.assignee),
        "tags" => contact.tags.join(";"),
        "groups" => contact.groups.join(";"),
        "blocked" => contact.blocked.to_string(),
        "created_at" => contact.created_at.clone(),
        "updated_at" => contact.updated_at.clone(),
        custom => match contact.custom_fields.get(custom) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        },
    }
}

fn carries(contact: &Contact, tag: Option<&str>) -> bool {
    tag.is_none_or(|tag| normalize::has_tag(&contact.tags, tag))
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

pub(super) fn reset_id(month: &str) -> String {
    format!("rst_{month}")
}

impl Service {
    /// Starts an export; owners and managers only.
    pub async fn create_export(
        &self,
        caller: &Caller,
        request: ExportRequest,
    ) -> Result<JobRecord, ServiceError> {
        caller.may_manage()?;
        let ws = &caller.workspace;
        let settings = self.table.settings(ws).await?;
        let known = all_columns(&settings);
        let columns = match request.columns {
            None => known,
            Some(columns) => {
                if columns.is_empty() {
                    return Err(ServiceError::bad_request(
                        "invalid_export",
                        "columns, when given, names at least one column",
                    ));
                }
                for (i, column) in columns.iter().enumerate() {
                    if !known.contains(column) {
                        return Err(ServiceError::bad_request(
                            "invalid_export",
                            format!(
                                "\"{column}\" is neither a contact field nor one of the workspace's custom fields"
                            ),
                        ));
                    }
                    if columns[..i].contains(column) {
                        return Err(ServiceError::bad_request(
                            "invalid_export",
                            format!("\"{column}\" is named twice"),
                        ));
                    }
                }
                columns
            }
        };
        let tag = match request.tag.as_deref().map(str::trim) {
            None => None,
            Some(tag) if tag.is_empty() || tag.chars().count() > normalize::MAX_TAG_CHARS => {
                return Err(ServiceError::bad_request(
                    "invalid_export",
                    format!("tag must hold 1 to {} characters", normalize::MAX_TAG_CHARS),
                ));
            }
            Some(tag) => Some(tag.to_string()),
        };
        let record = JobRecord::started(keys::new_id("exp"), ws, JobKind::Export, columns, tag);
        self.table.create_job(&record).await?;
        if let Err(e) = self.send_first_steps(&record, Phase::Select).await {
            // Nothing will run it: say so rather than leave it running.
            let _ = self
                .table
                .fail_job(&record, "the export could not be started; try again", now())
                .await;
            return Err(e);
        }
        Ok(record)
    }

    /// An export or a reset's backup, with a fresh link once it is ready.
    pub async fn export(&self, caller: &Caller, id: &str) -> Result<ExportView, ServiceError> {
        caller.may_manage()?;
        let ws = &caller.workspace;
        if !keys::is_safe_id(id) {
            return Err(ServiceError::NotFound("export"));
        }
        let record = self
            .table
            .job(ws, id)
            .await?
            .ok_or(ServiceError::NotFound("export"))?;
        let url = self.export_link(&record).await?;
        Ok(ExportView::new(&record, url))
    }

    /// A presigned link to a job's file while it is kept; the code checks
    /// the date itself, as S3's lifecycle deletes late.
    pub(crate) async fn export_link(
        &self,
        record: &JobRecord,
    ) -> Result<Option<String>, ServiceError> {
        let ready = match record.kind {
            JobKind::Export => record.status == JobStatus::Completed,
            JobKind::Reset => {
                record.phase == Phase::Delete || record.status == JobStatus::Completed
            }
        };
        match record.available_until {
            Some(until) if ready && now() < until => Ok(Some(
                self.bucket
                    .presign_get(
                        &keys::export_object(
                            &record.workspace,
                            &record.id,
                            record.file_token.as_deref(),
                        ),
                        &format!("contacts-{}.csv", record.id),
                        self.config.download_url_ttl,
                    )
                    .await?,
            )),
            _ => Ok(None),
        }
    }

    /// The jobs queue's Lambda handler.
    pub async fn handle_jobs(&self, event: SqsEvent) -> SqsBatchResponse {
        super::per_message("jobs", &event, |message| async move {
            let body = message.body.as_deref().unwrap_or("");
            let job: JobMessage = serde_json::from_str(body)
                .map_err(|e| ServiceError::bad_request("bad_message", e.to_string()))?;
            match job {
                JobMessage::StartReset { workspace, month } => {
                    Box::pin(self.start_reset(&workspace, &month)).await
                }
                JobMessage::Step {
                    workspace,
                    job,
                    phase,
                    shard,
                    step,
                } => Box::pin(self.run_step(&workspace, &job, phase, shard, step)).await,
            }
        })
        .await
    }

    /// The reset function's handler: the EventBridge event's `time` says
    /// which month ends (now, when it has none).
    pub async fn handle_schedule(&self, event: &serde_json::Value) -> Result<usize, ServiceError> {
        let at = event
            .get("time")
            .and_then(|t| t.as_str())
            .and_then(|t| {
                aws_smithy_types::DateTime::from_str(
                    t,
                    aws_smithy_types::date_time::Format::DateTime,
                )
                .ok()
            })
            .map_or_else(now, |t| t.secs());
        self.start_resets(at).await
    }

    /// The month-end schedule: one reset message for every workspace whose
    /// reset is on. Answers how many were asked to reset.
    pub async fn start_resets(&self, at: i64) -> Result<usize, ServiceError> {
        let month = model::month(at);
        let mut after = None;
        let mut count = 0;
        loop {
            let (workspaces, next) = self.table.reset_workspaces(after.as_deref()).await?;
            let bodies: Vec<String> = workspaces
                .into_iter()
                .map(|workspace| {
                    serde_json::to_string(&JobMessage::StartReset {
                        workspace,
                        month: month.clone(),
                    })
                    .map_err(internal)
                })
                .collect::<Result<_, _>>()?;
            count += bodies.len();
            self.jobs.send_all(&bodies).await?;
            match next {
                Some(ws) => after = Some(ws),
                None => return Ok(count),
            }
        }
    }

    /// Starts (or, on a repeated message, resumes) one workspace's reset for
    /// `month`. While an import is importing the reset waits: the message
    /// comes back after the queue's visibility timeout.
    pub async fn start_reset(&self, ws: &str, month: &str) -> Result<(), ServiceError> {
        if !keys::is_safe_id(ws) {
            return Err(ServiceError::bad_request(
                "bad_message",
                "unsafe workspace id",
            ));
        }
        let id = reset_id(month);
        if let Some(record) = self.table.job(ws, &id).await? {
            return self.resume(&record).await;
        }
        let settings = self.table.settings(ws).await?;
        let tag = match settings.monthly_reset.mode {
            ResetMode::Off => return Ok(()),
            ResetMode::All => None,
            ResetMode::Tagged => Some(settings.monthly_reset.tag.clone()),
        };
        let record = JobRecord {
            month: Some(month.to_string()),
            ..JobRecord::started(id, ws, JobKind::Reset, all_columns(&settings), tag)
        };
        match self.table.start_reset(&record).await {
            Ok(()) => self.send_first_steps(&record, Phase::Select).await,
            Err(StartResetError::Exists) => match self.table.job(ws, &record.id).await? {
                Some(record) => self.resume(&record).await,
                None => Ok(()),
            },
            Err(StartResetError::Locked) => Err(ServiceError::Store(StoreError::Unavailable(
                "an import is importing; the reset waits for it".into(),
            ))),
            Err(StartResetError::Store(e)) => Err(e.into()),
        }
    }

    async fn send_first_steps(&self, record: &JobRecord, phase: Phase) -> Result<(), ServiceError> {
        let steps: Vec<(u32, u32)> = (0..keys::CONTACT_SHARDS).map(|s| (s, 0)).collect();
        self.send_steps(record, phase, &steps).await
    }

    async fn send_steps(
        &self,
        record: &JobRecord,
        phase: Phase,
        steps: &[(u32, u32)],
    ) -> Result<(), ServiceError> {
        let bodies = steps
            .iter()
            .map(|&(shard, step)| {
                serde_json::to_string(&JobMessage::Step {
                    workspace: record.workspace.clone(),
                    job: record.id.clone(),
                    phase,
                    shard,
                    step,
                })
                .map_err(internal)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.jobs.send_all(&bodies).await?)
    }

    /// Sets a running job going again from where its shards stand: each
    /// unfinished shard's next step is sent (a copy of a step already on its
    /// way is harmless), or the phase is finished when every shard is.
    async fn resume(&self, record: &JobRecord) -> Result<(), ServiceError> {
        if record.status != JobStatus::Running {
            return Ok(());
        }
        if record.shards_done >= keys::CONTACT_SHARDS {
            return Box::pin(self.finish_phase(record)).await;
        }
        let shards = self
            .table
            .shards(&record.workspace, &record.id, record.phase)
            .await?;
        let steps: Vec<(u32, u32)> = shards
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.done)
            .map(|(shard, p)| (shard as u32, p.step))
            .collect();
        self.send_steps(record, record.phase, &steps).await
    }

    async fn run_step(
        &self,
        ws: &str,
        job: &str,
        phase: Phase,
        shard: u32,
        step: u32,
    ) -> Result<(), ServiceError> {
        if !keys::is_safe_id(ws) || !keys::is_safe_id(job) || shard >= keys::CONTACT_SHARDS {
            return Err(ServiceError::bad_request(
                "bad_message",
                "no such job shard",
            ));
        }
        let (record, progress) = self.table.job_and_shard(ws, job, phase, shard).await?;
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
        let (next, counts) = match phase {
            Phase::Select => self.select_step(&record, shard, step, &progress).await?,
            Phase::Delete => self.delete_step(&record, shard, step).await?,
        };
        let moved = self
            .table
            .advance_shard(&record, phase, shard, step, &next, counts)
            .await?;
        if !moved {
            // Another copy of this step got there first; the page this one
            // added (if any) is recorded nowhere.
            if let Some(part) = next.parts.get(progress.parts.len()) {
                let _ = self
                    .bucket
                    .delete(&keys::job_part_object(ws, job, shard, part))
                    .await;
            }
            return Ok(());
        }
        if next.done {
            let record = self.table.job(ws, job).await?.unwrap_or(record);
            if record.shards_done >= keys::CONTACT_SHARDS {
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
        if record.phase != phase || record.shards_done >= keys::CONTACT_SHARDS {
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
        let ws = &record.workspace;
        let page = self
            .table
            .read_contact_shard(ws, shard, progress.cursor.as_deref(), STEP_CONTACTS)
            .await?;
        let chosen: Vec<&Contact> = page
            .contacts
            .iter()
            .filter(|c| carries(c, record.tag.as_deref()))
            .collect();
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
            let part = format!("{step:05}-{}", ulid::Ulid::new().to_string().to_lowercase());
            let mut lines = Vec::new();
            for contact in &chosen {
                serde_json::to_writer(&mut lines, contact).map_err(internal)?;
                lines.push(b'\n');
            }
            self.bucket
                .put(
                    &keys::job_part_object(ws, &record.id, shard, &part),
                    lines,
                    "application/x-ndjson",
                )
                .await?;
            next.parts.push(part);
        }
        let counts = StepCounts {
            rows: chosen.len() as u64,
            ..StepCounts::default()
        };
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
            .table
            .job_and_shard(ws, &record.id, Phase::Select, shard)
            .await?;
        let mut counts = StepCounts::default();
        if let Some(part) = chosen.parts.get(step as usize) {
            let contacts = self.chosen_page(record, shard, part).await?;
            let not_deleted = self.table.delete_chosen(ws, &contacts).await?;
            // Those not deleted now are either gone (an earlier run of this
            // step deleted them) or changed since the backup (kept).
            let still_there = self.table.contacts(ws, &not_deleted).await?.len() as u64;
            counts.kept = still_there;
            counts.deleted = contacts.len() as u64 - still_there;
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
    /// the export, or move the reset on to deleting, or end the reset. Each
    /// move happens once; running this again is harmless.
    async fn finish_phase(&self, record: &JobRecord) -> Result<(), ServiceError> {
        let ws = &record.workspace;
        match (record.kind, record.phase) {
            (_, Phase::Select) => {
                self.write_file(record).await?;
                let now = now();
                let until = now + EXPORT_DAYS * 24 * 3600;
                match record.kind {
                    JobKind::Export => {
                        self.table.complete_export(record, now, until).await?;
                        let _ = self
                            .bucket
                            .delete_prefix(&keys::job_folder(ws, &record.id))
                            .await;
                    }
                    JobKind::Reset => {
                        self.table.enter_delete_phase(record, until).await?;
                        let mut moved = record.clone();
                        moved.phase = Phase::Delete;
                        self.send_first_steps(&moved, Phase::Delete).await?;
                    }
                }
                Ok(())
            }
            (JobKind::Reset, Phase::Delete) => {
                if self.table.complete_reset(record, now()).await? {
                    let _ = self
                        .bucket
                        .delete_prefix(&keys::job_folder(ws, &record.id))
                        .await;
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
        let object = keys::job_part_object(&record.workspace, &record.id, shard, part);
        let bytes = self.bucket.get(&object, None).await?;
        super::json_lines(&bytes, "chosen contacts")
    }

    /// The chosen pages, shard by shard and in order, as one CSV file:
    /// assembled on disk and stored in one upload, so memory stays flat.
    async fn write_file(&self, record: &JobRecord) -> Result<(), ServiceError> {
        let ws = &record.workspace;
        let shards = self.table.shards(ws, &record.id, Phase::Select).await?;
        let folder = tempfile::tempdir().map_err(internal)?;
        let path = folder.path().join("export.csv");
        let file = std::fs::File::create(&path).map_err(internal)?;
        let mut out = files::writer(
            std::io::BufWriter::new(file),
            Delimiter::Comma,
            &record.columns,
            FileKind::Export,
        )
        .map_err(internal)?;
        let columns = record.columns.len();
        let mut cells = csv::StringRecord::new();
        for (shard, progress) in shards.iter().enumerate() {
            for part in &progress.parts {
                for contact in self.chosen_page(record, shard as u32, part).await? {
                    cells.clear();
                    for column in &record.columns {
                        cells.push_field(&cell(&contact, column));
                    }
                    files::write_row(&mut out, &cells, columns, &[]).map_err(internal)?;
                }
            }
        }
        out.flush().map_err(internal)?;
        drop(out);
        self.bucket
            .put_file(
                &keys::export_object(ws, &record.id, record.file_token.as_deref()),
                &path,
                "text/csv; charset=utf-8",
            )
            .await?;
        Ok(())
    }
}
