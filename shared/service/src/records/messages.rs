//! The messages that pass between functions through SQS. Each queue's
//! handler reads one shape (the uploads queue two: S3's own events, and
//! [`Revalidate`]).

use contact_engine::validation::ChunkSpan;
use serde::{Deserialize, Serialize};

use super::jobs::Phase;

/// One chunk of rows for a worker (the rows queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkJob {
    pub workspace: String,
    pub import: String,
    pub generation: u32,
    pub chunk: ChunkSpan,
    /// New contacts this chunk may create: the quota left when the import was
    /// confirmed, handed out to chunks in file order.
    pub allowance: Option<u64>,
}

/// A request to validate an import's upload again with new options (the
/// uploads queue, beside S3's events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revalidate {
    pub workspace: String,
    pub import: String,
    pub generation: u32,
}

/// The jobs queue's messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobMessage {
    /// One step of one shard of a job's phase.
    Step {
        workspace: String,
        job: String,
        phase: Phase,
        shard: u32,
        step: u32,
    },
    /// The month-end reset of one workspace.
    StartReset { workspace: String, month: String },
    /// Sending the chunk messages of a confirmed import (one generation),
    /// behind the confirm's answer.
    FanOut {
        workspace: String,
        import: String,
        generation: u32,
    },
}
