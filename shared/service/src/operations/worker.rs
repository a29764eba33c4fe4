//! The worker: one chunk of an import's rows per message. Each row is
//! checked again against the workspace as it is at write time, and written
//! with conditional claims, so identifiers stay unique whatever runs beside
//! it. A chunk may run twice, or die half-written and run again: the
//! contacts it creates have ids fixed by (import, row), claims are sets,
//! and the chunk is counted once, so the end state is that of one clean
//! run. The worker that counts the last chunk assembles the result file.

use contact_engine::classify::Status;
use contact_engine::dialect::Delimiter;
use contact_engine::files::{self, FileKind, FileWriter};
use contact_engine::validation::StagedRow;
use csv::StringRecord;
use tokio::io::AsyncWriteExt;

use super::error::{AtStep, ServiceError};
use super::imports::RESULT_DAYS;
use super::plan::open_month;
use super::rows::{RowEnd, write_rows};
use crate::records::time::{local_month, months_anywhere, now};
use crate::records::{ChunkJob, ImportRecord, ImportStatus, Outcomes};
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct Worker {
    store: Store,
}

impl Worker {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    /// Writes one chunk's rows, its part of the result file and its counts;
    /// the worker that counts the last chunk assembles the result.
    pub async fn run_chunk(&self, job: &ChunkJob) -> Result<(), ServiceError> {
        let state = self
            .store
            .chunks
            .state(
                &job.workspace,
                &job.import,
                job.chunk.index,
                &months_anywhere(now()),
            )
            .await
            .at("reading the chunk's state")?;
        let counted = state.counted;
        let Some(record) = state.record else {
            return Ok(());
        };
        if record.status != ImportStatus::Importing || record.generation != job.generation {
            // Finished, or a message from before a re-validation: nothing to do.
            return Ok(());
        }
        if !counted {
            let rows = self
                .store
                .files
                .chunk_rows(job)
                .await
                .at("reading the chunk's rows")?;
            // The month is opened before anything is written in it: read
            // with the chunk's state when it is already (the month may have
            // turned since: then it is opened now).
            let month = local_month(now(), state.settings.zone());
            if !state.opened_months.contains(&month) {
                open_month(&self.store, &job.workspace, &month).await?;
            }
            // Under a contact limit the chunk takes its new contacts from the
            // month's counter first (what the review predicted, in file
            // order, as far as the counter still allows): creations are
            // bounded atomically at write time, whatever else creates
            // contacts meanwhile.
            let grant = match (state.grant, state.settings.contact_limit) {
                (Some(grant), _) => Some(grant),
                (None, Some(limit)) => {
                    let want = job.allowance.unwrap_or(u64::from(job.chunk.adds));
                    let grant = self
                        .store
                        .chunks
                        .grant_new_contacts(&record, job.chunk.index, &month, want, limit)
                        .await
                        .at("taking the chunk's new contacts from the month's count")?;
                    Some(grant)
                }
                (None, None) => None,
            };
            let allowance = grant.as_ref().map(|g| g.granted);
            let ends = write_rows(&self.store, &record, allowance, &rows).await?;
            let part = result_part(&record, &rows, &ends).at("writing the chunk's result part")?;
            self.store
                .files
                .put_result_part(job, part)
                .await
                .at("storing the chunk's result part")?;
            let mut outcomes = Outcomes::default();
            for end in &ends {
                match end.status {
                    Status::Imported => outcomes.imported += 1,
                    Status::Updated => outcomes.updated += 1,
                    Status::Skipped => outcomes.skipped += 1,
                    Status::Error => outcomes.errors += 1,
                }
            }
            self.store
                .chunks
                .count(&record, job.chunk.index, outcomes, grant.as_ref(), &month)
                .await
                .at("counting the chunk")?;
            tracing::info!(
                workspace = %job.workspace,
                import = %job.import,
                chunk = job.chunk.index,
                imported = outcomes.imported,
                updated = outcomes.updated,
                skipped = outcomes.skipped,
                errors = outcomes.errors,
                "chunk written"
            );
        }
        self.finish_if_done(&job.workspace, &job.import).await
    }

    /// When every chunk is counted: assembles the result file in row order,
    /// then completes the import (once), releases the lock, notifies, and
    /// deletes the upload and working files.
    async fn finish_if_done(&self, ws: &str, import: &str) -> Result<(), ServiceError> {
        let record = self
            .store
            .imports
            .import(ws, import)
            .await
            .at("reading the import")?;
        let Some(record) = record else {
            return Ok(());
        };
        if record.status != ImportStatus::Importing || record.chunks_done < record.chunks_total {
            return Ok(());
        }
        let step = "assembling the result file";
        let headers = record.headers.clone().unwrap_or_default();
        let mut head = Vec::new();
        FileWriter::new(&mut head, delimiter(&record), &headers, FileKind::Result)
            .and_then(|mut w| w.flush())
            .at(step)?;
        // Assembled on disk, then stored in one `PutObject` streamed from
        // the file: memory stays flat whatever the size.
        let folder = tempfile::tempdir().at(step)?;
        let path = folder.path().join("result.csv");
        let mut file = tokio::fs::File::create(&path).await.at(step)?;
        file.write_all(&head).await.at(step)?;
        for chunk in 0..record.chunks_total {
            let bytes = self
                .store
                .files
                .result_part(ws, import, record.generation, chunk)
                .await
                .at("reading a chunk's result part")?;
            file.write_all(&bytes).await.at(step)?;
        }
        file.flush().await.at(step)?;
        drop(file);
        self.store
            .files
            .put_result(ws, import, &path)
            .await
            .at("storing the result file")?;
        let now = now();
        self.store
            .imports
            .complete(&record, now, now + RESULT_DAYS * 24 * 3600)
            .await
            .at("completing the import")?;
        tracing::info!(workspace = %ws, import = %import, rows = record.rows_total, "import completed");
        let files = &self.store.files;
        let _ = files
            .discard_chunk_files(ws, import, record.generation)
            .await;
        Ok(())
    }
}

fn delimiter(record: &ImportRecord) -> Delimiter {
    record.dialect.map_or(Delimiter::Comma, |d| d.delimiter)
}

/// A chunk's rows as the result file shows them: the original values, then
/// `Import Status`, `Errors` and `Contact ID` (in the file's own columns of
/// those names, when it has them); no header.
fn result_part(
    record: &ImportRecord,
    rows: &[StagedRow],
    ends: &[RowEnd],
) -> std::io::Result<Vec<u8>> {
    let layout = files::Layout::new(
        record.headers.as_deref().unwrap_or_default(),
        FileKind::Result,
    );
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter(record).byte())
        .from_writer(Vec::new());
    let mut cells = StringRecord::new();
    for (row, end) in rows.iter().zip(ends) {
        cells.clear();
        for cell in &row.cells {
            cells.push_field(cell);
        }
        files::write_row(
            &mut w,
            &layout,
            &cells,
            &[
                end.status.as_str(),
                &end.message,
                end.contact.as_deref().unwrap_or(""),
            ],
        )?;
    }
    w.into_inner().map_err(|e| e.into_error())
}
