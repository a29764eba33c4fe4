//! What the second reading leaves for an import's workers: the stage file's
//! rows, one JSON line each, cut into chunks.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::row::ContactDraft;

/// One row as an import's workers read it: one JSON line of the stage file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagedRow {
    /// The row's number in the file, the header being row 1.
    pub row: u64,
    /// The original values, as read, up to the header's last column.
    pub cells: Vec<String>,
    /// Why the row is an error whatever the workspace holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why the row is skipped whatever the workspace holds (removed in the
    /// review).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The normalised identifier (E.164 phone, lower-case email, contact id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The contact the row describes, for rows without a fixed error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<ContactDraft>,
}

/// A run of consecutive rows in the stage file, handled as one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkSpan {
    pub index: u32,
    /// The file row number of the chunk's first row.
    pub first_row: u64,
    pub rows: u32,
    /// Byte range `start..end` of the chunk's lines in the stage file.
    pub start: u64,
    pub end: u64,
    /// Rows the review predicts will create a contact.
    pub adds: u32,
}

/// A writer that counts the bytes through it: where each chunk starts.
pub(super) struct CountingWriter<'w> {
    pub(super) inner: &'w mut (dyn Write + 'w),
    pub(super) written: u64,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
