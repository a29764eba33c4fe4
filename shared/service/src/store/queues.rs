//! The service's queues, by what travels on them: re-validations on the
//! uploads queue (beside S3's own events), chunks of rows on the rows
//! queue, export and reset steps on the jobs queue.

use serde::Serialize;

use super::error::StoreError;
use super::queue::Queue;
use crate::records::{ChunkJob, JobMessage, Revalidate};

#[derive(Debug, Clone)]
pub struct Queues {
    uploads: Queue,
    rows: Queue,
    jobs: Queue,
}

fn bodies<T: Serialize>(messages: &[T]) -> Result<Vec<String>, StoreError> {
    messages
        .iter()
        .map(|m| serde_json::to_string(m).map_err(|e| StoreError::corrupt("message", e)))
        .collect()
}

impl Queues {
    pub(crate) fn new(uploads: Queue, rows: Queue, jobs: Queue) -> Self {
        Self {
            uploads,
            rows,
            jobs,
        }
    }

    /// Whether every queue answers (for the health check).
    pub async fn reachable(&self) -> Result<(), StoreError> {
        self.uploads.reachable().await?;
        self.rows.reachable().await?;
        self.jobs.reachable().await
    }

    /// Asks the validator to validate an import again.
    pub async fn revalidate(&self, message: &Revalidate) -> Result<(), StoreError> {
        self.uploads.send_all(&bodies(&[message])?).await
    }

    /// Sends one message per chunk, ten per call.
    pub async fn chunks(&self, jobs: &[ChunkJob]) -> Result<(), StoreError> {
        self.rows.send_all(&bodies(jobs)?).await
    }

    /// Sends export and reset messages, ten per call.
    pub async fn jobs(&self, messages: &[JobMessage]) -> Result<(), StoreError> {
        self.jobs.send_all(&bodies(messages)?).await
    }
}
