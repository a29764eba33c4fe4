//! A confirmed import's chunks, sent behind the confirm's answer: the
//! confirm queues one fan-out message on the jobs queue, and the jobs
//! function, handed it, sends one chunk message per chunk. Either may run
//! any number of times: a chunk sent twice is counted once, and a fan-out
//! that finds the chunks sent, or the import no longer importing, does
//! nothing.

use super::chunks::chunk_jobs;
use super::error::{AtStep, ServiceError};
use super::imports::Imports;
use crate::records::{ImportRecord, ImportStatus, JobMessage, StagePlan};

impl Imports {
    /// Asks the jobs function to send a confirmed import's chunks.
    pub(super) async fn queue_fan_out(&self, record: &ImportRecord) -> Result<(), ServiceError> {
        self.store
            .queues
            .jobs(&[JobMessage::FanOut {
                workspace: record.workspace.clone(),
                import: record.id.clone(),
                generation: record.generation,
            }])
            .await
            .at("queueing the chunks")
    }

    /// Sends a confirmed import's chunk messages (the jobs queue's fan-out
    /// message). Runs any number of times: once every chunk is sent, or
    /// when the import is no longer importing that generation (cancelled,
    /// failed, gone), it does nothing; a chunk sent twice is counted once.
    pub async fn fan_out_confirmed(
        &self,
        ws: &str,
        id: &str,
        generation: u32,
    ) -> Result<(), ServiceError> {
        let Some(record) = self
            .store
            .imports
            .import(ws, id)
            .await
            .at("reading the import to fan out")?
        else {
            return Ok(());
        };
        let due = record.status == ImportStatus::Importing
            && record.generation == generation
            && !record.fanned_out;
        if !due {
            return Ok(());
        }
        let plan = self.plan(&record).await?;
        self.fan_out(&record, &plan).await
    }

    /// Sends one message per chunk, ten per call. Sending twice is harmless:
    /// a chunk is counted once.
    async fn fan_out(&self, record: &ImportRecord, plan: &StagePlan) -> Result<(), ServiceError> {
        let jobs = chunk_jobs(record, plan);
        self.store
            .queues
            .chunks(&jobs)
            .await
            .at("sending the chunks")?;
        self.store
            .imports
            .set_fanned_out(&record.workspace, &record.id)
            .await
            .at("recording the chunks sent")
    }
}
