//! Dead letters: a message that kept failing (five times for an upload or a
//! chunk, ten for a job step) lands in its queue's dead-letter queue, and
//! nothing would ever move its import or job on: an import would stay
//! `importing` and hold the workspace's lock, an export would stay
//! `running`. Settling one ends them as `failed`, with a reason the user
//! can act on, releases the lock, and notifies the workspace, once however
//! often the message comes.

use super::error::{AtStep, ServiceError};
use crate::records::ids::{is_safe_id, reset_id};
use crate::records::time::now;
use crate::records::{ChunkJob, ImportStatus, JobMessage, JobStatus};
use crate::store::Store;

/// What a dead letter was for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetter {
    /// A chunk of an import's rows.
    Chunk(ChunkJob),
    /// An export's or a reset's step, or a reset's start.
    Job(JobMessage),
    /// An upload's first validation.
    Upload { workspace: String, import: String },
    /// A re-validation after new options.
    Revalidation {
        workspace: String,
        import: String,
        generation: u32,
    },
}

/// What a dead letter was, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The import it was for is now `failed`.
    ImportFailed { workspace: String, import: String },
    /// The job it was for is now `failed`.
    JobFailed { workspace: String, job: String },
    /// Its import or job had already ended (or never existed): nothing to do.
    AlreadyEnded,
    /// Not a message of ours; dropped.
    Unknown,
}

/// Why an upload's import failed.
pub const UPLOAD_GAVE_UP: &str =
    "the file could not be checked after repeated tries; upload it again";

/// Why a confirmed import failed before all its rows were handed to the
/// workers.
pub const FAN_OUT_GAVE_UP: &str = "its rows could not be handed to the workers after repeated \
     tries (some rows may be imported); import the file again to finish";

/// Why a job failed.
pub const JOB_GAVE_UP: &str = "it kept failing after repeated tries; start it again";

#[derive(Debug, Clone)]
pub struct DeadLetters {
    store: Store,
}

impl DeadLetters {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    /// Ends whatever a dead letter was moving on.
    pub async fn settle(&self, letter: DeadLetter) -> Result<Settled, ServiceError> {
        match letter {
            DeadLetter::Chunk(chunk) => {
                let reason = format!(
                    "rows {} to {} could not be written after repeated tries (rows before them \
                     may be imported); import the file again to finish",
                    chunk.chunk.first_row,
                    chunk.chunk.first_row + u64::from(chunk.chunk.rows).saturating_sub(1)
                );
                self.fail_import(
                    &chunk.workspace,
                    &chunk.import,
                    Some(chunk.generation),
                    &[ImportStatus::Importing],
                    &reason,
                )
                .await
            }
            DeadLetter::Job(JobMessage::Step { workspace, job, .. }) => {
                self.fail_job(&workspace, &job).await
            }
            DeadLetter::Job(JobMessage::StartReset { workspace, month }) => {
                self.fail_job(&workspace, &reset_id(&month)).await
            }
            DeadLetter::Job(JobMessage::FanOut {
                workspace,
                import,
                generation,
            }) => {
                self.fail_import(
                    &workspace,
                    &import,
                    Some(generation),
                    &[ImportStatus::Importing],
                    FAN_OUT_GAVE_UP,
                )
                .await
            }
            DeadLetter::Upload { workspace, import } => {
                self.fail_import(
                    &workspace,
                    &import,
                    None,
                    &[ImportStatus::AwaitingUpload, ImportStatus::Validating],
                    UPLOAD_GAVE_UP,
                )
                .await
            }
            DeadLetter::Revalidation {
                workspace,
                import,
                generation,
            } => {
                self.fail_import(
                    &workspace,
                    &import,
                    Some(generation),
                    &[ImportStatus::Validating],
                    UPLOAD_GAVE_UP,
                )
                .await
            }
        }
    }

    /// Fails an import still in one of `from` (and in `generation`, when
    /// the message was for one).
    async fn fail_import(
        &self,
        ws: &str,
        import: &str,
        generation: Option<u32>,
        from: &[ImportStatus],
        reason: &str,
    ) -> Result<Settled, ServiceError> {
        if !is_safe_id(ws) || !is_safe_id(import) {
            return Ok(Settled::Unknown);
        }
        let imports = &self.store.imports;
        let record = imports.import(ws, import).await.at("reading the import")?;
        let Some(record) = record else {
            return Ok(Settled::AlreadyEnded);
        };
        if !from.contains(&record.status) || generation.is_some_and(|g| g != record.generation) {
            return Ok(Settled::AlreadyEnded);
        }
        let failed = imports
            .fail(&record, from, reason, now())
            .await
            .at("failing the import")?;
        Ok(if failed {
            Settled::ImportFailed {
                workspace: ws.to_string(),
                import: import.to_string(),
            }
        } else {
            Settled::AlreadyEnded
        })
    }

    /// Fails a job still running.
    async fn fail_job(&self, ws: &str, id: &str) -> Result<Settled, ServiceError> {
        if !is_safe_id(ws) || !is_safe_id(id) {
            return Ok(Settled::Unknown);
        }
        let jobs = &self.store.jobs;
        let Some(record) = jobs.job(ws, id).await.at("reading the job")? else {
            // A reset that never started (its workspace stayed locked):
            // there is nothing to end.
            return Ok(Settled::AlreadyEnded);
        };
        if record.status != JobStatus::Running {
            return Ok(Settled::AlreadyEnded);
        }
        let failed = jobs
            .fail(&record, JOB_GAVE_UP, now())
            .await
            .at("failing the job")?;
        Ok(if failed {
            Settled::JobFailed {
                workspace: ws.to_string(),
                job: id.to_string(),
            }
        } else {
            Settled::AlreadyEnded
        })
    }
}
