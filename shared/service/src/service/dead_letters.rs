//! The `dead-letters` function: a message that kept failing (five times for
//! an upload or a chunk, ten for a job step) lands in its queue's
//! dead-letter queue, and nothing would ever move its import or job on: an
//! import would stay `importing` and hold the workspace's lock, an export
//! would stay `running`. This handler ends them as `failed`, with a reason
//! the user can act on, releases the lock, and notifies the workspace, once
//! however often the message comes.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use super::Service;
use super::error::ServiceError;
use super::model::{ChunkJob, ImportStatus, JobMessage, JobStatus, Revalidate, now};
use super::validator::{self, Request};
use crate::store::keys;

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

/// Why a job failed.
pub const JOB_GAVE_UP: &str = "it kept failing after repeated tries; start it again";

impl Service {
    /// The Lambda handler for all three dead-letter queues.
    pub async fn handle_dead_letters(&self, event: SqsEvent) -> SqsBatchResponse {
        super::per_message("dead-letters", &event, |message| async move {
            // Boxed: the store's futures are deep enough to strain the compiler.
            let body = message.body.as_deref().unwrap_or("");
            let settled = Box::pin(self.settle_dead_letter(body)).await?;
            // Ids only: a message body may name a file.
            tracing::info!(
                message_id = message.message_id.as_deref().unwrap_or(""),
                settled = ?settled,
                "dead-letters: message settled"
            );
            Ok(())
        })
        .await
    }

    /// Ends whatever a dead letter was moving on. Bodies are told apart by
    /// shape: a chunk names its span, a job message its kind, and the rest
    /// are the uploads queue's (S3 events and re-validations).
    pub async fn settle_dead_letter(&self, body: &str) -> Result<Settled, ServiceError> {
        if let Ok(chunk) = serde_json::from_str::<ChunkJob>(body) {
            let reason = format!(
                "rows {} to {} could not be written after repeated tries (rows before them \
                 may be imported); import the file again to finish",
                chunk.chunk.first_row,
                chunk.chunk.first_row + u64::from(chunk.chunk.rows).saturating_sub(1)
            );
            return self
                .fail_import(
                    &chunk.workspace,
                    &chunk.import,
                    Some(chunk.generation),
                    &[ImportStatus::Importing],
                    &reason,
                )
                .await;
        }
        if let Ok(job) = serde_json::from_str::<JobMessage>(body) {
            let (workspace, id) = match job {
                JobMessage::Step { workspace, job, .. } => (workspace, job),
                JobMessage::StartReset { workspace, month } => {
                    let id = super::jobs::reset_id(&month);
                    (workspace, id)
                }
            };
            return self.fail_job(&workspace, &id).await;
        }
        let Ok(requests) = validator::parse(body) else {
            return Ok(Settled::Unknown);
        };
        let mut settled = Settled::AlreadyEnded;
        for request in requests {
            let outcome = match request {
                Request::Nothing => continue,
                Request::Upload { key } => {
                    let Some((ws, import)) = keys::parse_upload_object(&key) else {
                        continue;
                    };
                    self.fail_import(
                        ws,
                        import,
                        None,
                        &[ImportStatus::AwaitingUpload, ImportStatus::Validating],
                        UPLOAD_GAVE_UP,
                    )
                    .await?
                }
                Request::Revalidate(Revalidate {
                    workspace,
                    import,
                    generation,
                }) => {
                    self.fail_import(
                        &workspace,
                        &import,
                        Some(generation),
                        &[ImportStatus::Validating],
                        UPLOAD_GAVE_UP,
                    )
                    .await?
                }
            };
            if outcome != Settled::AlreadyEnded {
                settled = outcome;
            }
        }
        Ok(settled)
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
        if !keys::is_safe_id(ws) || !keys::is_safe_id(import) {
            return Ok(Settled::Unknown);
        }
        let Some(record) = self.table.import(ws, import).await? else {
            return Ok(Settled::AlreadyEnded);
        };
        if !from.contains(&record.status) || generation.is_some_and(|g| g != record.generation) {
            return Ok(Settled::AlreadyEnded);
        }
        Ok(
            if self.table.fail_import(&record, from, reason, now()).await? {
                Settled::ImportFailed {
                    workspace: ws.to_string(),
                    import: import.to_string(),
                }
            } else {
                Settled::AlreadyEnded
            },
        )
    }

    /// Fails a job still running.
    async fn fail_job(&self, ws: &str, id: &str) -> Result<Settled, ServiceError> {
        if !keys::is_safe_id(ws) || !keys::is_safe_id(id) {
            return Ok(Settled::Unknown);
        }
        let Some(record) = self.table.job(ws, id).await? else {
            // A reset that never started (its workspace stayed locked):
            // there is nothing to end.
            return Ok(Settled::AlreadyEnded);
        };
        if record.status != JobStatus::Running {
            return Ok(Settled::AlreadyEnded);
        }
        Ok(if self.table.fail_job(&record, JOB_GAVE_UP, now()).await? {
            Settled::JobFailed {
                workspace: ws.to_string(),
                job: id.to_string(),
            }
        } else {
            Settled::AlreadyEnded
        })
    }
}
