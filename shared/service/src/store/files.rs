//! The service's objects in S3, by what they are: an import's upload, the
//! files a validation leaves (error file, stage file and its plan), the
//! chunks' result parts and the result file, a job's pages of chosen
//! contacts and its export file; and the short-lived links the client
//! downloads them through. Every object key is in `keys`.

use std::path::Path;
use std::time::Duration;

use contact_engine::classify::Status;
use contact_engine::validation::{ReviewRow, StagedRow};
use serde::de::DeserializeOwned;

use super::bucket::{Bucket, Presigned};
use super::error::StoreError;
use super::keys;
use crate::records::{ChunkJob, Contact, JobRecord, StagePlan};

const CSV: &str = "text/csv; charset=utf-8";
const JSON_LINES: &str = "application/x-ndjson";

/// The first byte range a page of review rows reads; doubled while it
/// holds no whole row (a row is at most the file's size).
const ROWS_WINDOW: u64 = 64 * 1024;

#[derive(Debug, Clone)]
pub struct FileStore {
    bucket: Bucket,
}

/// Reads a JSON-lines object (the stage file, a job's pages): one value a
/// line; `what` names it in the error.
fn json_lines<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<Vec<T>, StoreError> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(serde_json::from_slice::<T>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::corrupt(what, e))
}

impl FileStore {
    pub(crate) fn new(bucket: Bucket) -> Self {
        Self { bucket }
    }

    pub async fn reachable(&self) -> Result<(), StoreError> {
        self.bucket.reachable().await
    }

    // ---- an import's upload ----------------------------------------------

    /// A `PUT` the client sends its file with: exactly `size_bytes` bytes,
    /// to this import's upload and nowhere else.
    pub async fn upload_url(
        &self,
        ws: &str,
        import: &str,
        size_bytes: u64,
        expires_in: Duration,
    ) -> Result<Presigned, StoreError> {
        let key = keys::upload_object(ws, import);
        self.bucket.presign_put(&key, size_bytes, expires_in).await
    }

    /// The upload's size, `None` while none is stored.
    pub async fn upload_size(&self, ws: &str, import: &str) -> Result<Option<u64>, StoreError> {
        self.bucket.size(&keys::upload_object(ws, import)).await
    }

    /// Streams the upload into a file at `path`; answers its size.
    pub async fn download_upload(
        &self,
        ws: &str,
        import: &str,
        path: &Path,
    ) -> Result<u64, StoreError> {
        let key = keys::upload_object(ws, import);
        self.bucket.download(&key, path).await
    }

    pub async fn delete_upload(&self, ws: &str, import: &str) -> Result<(), StoreError> {
        self.bucket.delete(&keys::upload_object(ws, import)).await
    }

    /// Deletes an import's upload and every working file of its
    /// validations and chunks; each deletion is tried whatever the one
    /// before it did (S3's lifecycle rules remove whatever is left).
    pub async fn discard_import_files(&self, ws: &str, import: &str) -> Result<(), StoreError> {
        let upload = self.delete_upload(ws, import).await;
        let work = self
            .bucket
            .delete_prefix(&keys::work_prefix(ws, import))
            .await;
        upload.and(work)
    }

    // ---- what a validation leaves -----------------------------------------

    /// Stores the error file and the stage file a validation of
    /// `generation` wrote.
    pub async fn put_review_files(
        &self,
        ws: &str,
        import: &str,
        generation: u32,
        errors: &Path,
        stage: &Path,
    ) -> Result<(), StoreError> {
        let key = keys::errors_object(ws, import, generation);
        self.bucket.put_file(&key, errors, CSV).await?;
        let key = keys::stage_object(ws, import, generation);
        self.bucket.put_file(&key, stage, JSON_LINES).await
    }

    /// Stores the review's row files of `generation`, one per status.
    pub async fn put_review_rows(
        &self,
        ws: &str,
        import: &str,
        generation: u32,
        files: &[(Status, &Path)],
    ) -> Result<(), StoreError> {
        for (status, path) in files {
            let key = keys::review_rows_object(ws, import, generation, *status);
            self.bucket.put_file(&key, path, JSON_LINES).await?;
        }
        Ok(())
    }

    /// Up to `limit` review rows of `status`, from byte `from` of their
    /// file (whose size is `size`), each with the byte its successor
    /// starts at; `None` when no row starts at `from`. Reads a byte range,
    /// never the whole file.
    pub async fn review_rows(
        &self,
        review: (&str, &str, u32),
        status: Status,
        from: u64,
        size: u64,
        limit: usize,
    ) -> Result<Option<Vec<(ReviewRow, u64)>>, StoreError> {
        let (ws, import, generation) = review;
        let key = keys::review_rows_object(ws, import, generation, status);
        if from > size {
            return Ok(None);
        }
        // The byte before a row is the line end of the one before it.
        let start = from.saturating_sub(1);
        let mut window = ROWS_WINDOW;
        loop {
            let end = from.saturating_add(window).min(size);
            if end <= from {
                return Ok(Some(Vec::new()));
            }
            let bytes = self.bucket.get(&key, Some((start, end))).await?;
            let mut at = usize::try_from(from - start).unwrap_or(0);
            if at == 1 && bytes.first() != Some(&b'\n') {
                return Ok(None);
            }
            let mut rows = Vec::new();
            while rows.len() < limit {
                let Some(newline) = bytes[at..].iter().position(|b| *b == b'\n') else {
                    break;
                };
                let line = &bytes[at..at + newline];
                let row: ReviewRow = serde_json::from_slice(line)
                    .map_err(|e| StoreError::corrupt("review rows", e))?;
                at += newline + 1;
                rows.push((row, start + at as u64));
            }
            if !rows.is_empty() || end == size {
                return Ok(Some(rows));
            }
            window = window.saturating_mul(2);
        }
    }

    pub async fn put_plan(
        &self,
        ws: &str,
        import: &str,
        plan: &StagePlan,
    ) -> Result<(), StoreError> {
        let key = keys::plan_object(ws, import, plan.generation);
        let json = serde_json::to_vec(plan).map_err(|e| StoreError::corrupt("plan", e))?;
        self.bucket.put(&key, json, "application/json").await
    }

    /// The chunks the validation of `generation` left.
    pub async fn plan(
        &self,
        ws: &str,
        import: &str,
        generation: u32,
    ) -> Result<StagePlan, StoreError> {
        let key = keys::plan_object(ws, import, generation);
        let bytes = self.bucket.get(&key, None).await?;
        serde_json::from_slice(&bytes).map_err(|e| StoreError::corrupt("plan", e))
    }

    /// The staged rows of one chunk, read from its byte range of the stage
    /// file.
    pub async fn chunk_rows(&self, job: &ChunkJob) -> Result<Vec<StagedRow>, StoreError> {
        let key = keys::stage_object(&job.workspace, &job.import, job.generation);
        let range = (job.chunk.start, job.chunk.end);
        let bytes = self.bucket.get(&key, Some(range)).await?;
        json_lines(&bytes, "stage file")
    }

    /// A short-lived link to a validation's error file that downloads as
    /// `file_name`; `None` when there is none.
    pub async fn errors_link(
        &self,
        ws: &str,
        import: &str,
        generation: u32,
        file_name: &str,
        expires_in: Duration,
    ) -> Result<Option<String>, StoreError> {
        let key = keys::errors_object(ws, import, generation);
        if self.bucket.size(&key).await?.is_none() {
            return Ok(None);
        }
        let url = self.bucket.presign_get(&key, file_name, expires_in).await?;
        Ok(Some(url))
    }

    // ---- the result --------------------------------------------------------

    pub async fn put_result_part(&self, job: &ChunkJob, bytes: Vec<u8>) -> Result<(), StoreError> {
        let key =
            keys::result_part_object(&job.workspace, &job.import, job.generation, job.chunk.index);
        self.bucket.put(&key, bytes, CSV).await
    }

    pub async fn result_part(
        &self,
        ws: &str,
        import: &str,
        generation: u32,
        chunk: u32,
    ) -> Result<Vec<u8>, StoreError> {
        let key = keys::result_part_object(ws, import, generation, chunk);
        self.bucket.get(&key, None).await
    }

    pub async fn put_result(&self, ws: &str, import: &str, path: &Path) -> Result<(), StoreError> {
        let key = keys::result_object(ws, import);
        self.bucket.put_file(&key, path, CSV).await
    }

    /// A short-lived link to the result file that downloads as `file_name`.
    pub async fn result_link(
        &self,
        ws: &str,
        import: &str,
        file_name: &str,
        expires_in: Duration,
    ) -> Result<String, StoreError> {
        let key = keys::result_object(ws, import);
        self.bucket.presign_get(&key, file_name, expires_in).await
    }

    /// Deletes what a completed import no longer needs: its upload, its
    /// result parts and its stage file; each deletion is tried whatever the
    /// one before it did.
    pub async fn discard_chunk_files(
        &self,
        ws: &str,
        import: &str,
        generation: u32,
    ) -> Result<(), StoreError> {
        let upload = self.delete_upload(ws, import).await;
        let parts = keys::result_parts_prefix(ws, import, generation);
        let parts = self.bucket.delete_prefix(&parts).await;
        let stage = keys::stage_object(ws, import, generation);
        let stage = self.bucket.delete(&stage).await;
        upload.and(parts).and(stage)
    }

    // ---- exports and resets ----------------------------------------------

    /// Writes a page of contacts a job chose at `step` of a shard, under a
    /// name of its own; answers the name.
    pub async fn put_page(
        &self,
        record: &JobRecord,
        shard: u32,
        step: u32,
        contacts: &[&Contact],
    ) -> Result<String, StoreError> {
        let part = keys::job_part_name(step);
        let mut lines = Vec::new();
        for contact in contacts {
            serde_json::to_writer(&mut lines, contact)
                .map_err(|e| StoreError::corrupt("contact", e))?;
            lines.push(b'\n');
        }
        let key = keys::job_part_object(&record.workspace, &record.id, shard, &part);
        self.bucket.put(&key, lines, JSON_LINES).await?;
        Ok(part)
    }

    /// One page of a job's chosen contacts, as its step wrote it.
    pub async fn page(
        &self,
        record: &JobRecord,
        shard: u32,
        part: &str,
    ) -> Result<Vec<Contact>, StoreError> {
        let key = keys::job_part_object(&record.workspace, &record.id, shard, part);
        let bytes = self.bucket.get(&key, None).await?;
        json_lines(&bytes, "page of chosen contacts")
    }

    pub async fn delete_page(
        &self,
        record: &JobRecord,
        shard: u32,
        part: &str,
    ) -> Result<(), StoreError> {
        let key = keys::job_part_object(&record.workspace, &record.id, shard, part);
        self.bucket.delete(&key).await
    }

    /// Deletes a job's pages once its file is written.
    pub async fn discard_job_files(&self, record: &JobRecord) -> Result<(), StoreError> {
        let folder = keys::job_folder(&record.workspace, &record.id);
        self.bucket.delete_prefix(&folder).await
    }

    pub async fn put_export(&self, record: &JobRecord, path: &Path) -> Result<(), StoreError> {
        self.bucket.put_file(&export_key(record), path, CSV).await
    }

    /// A short-lived link to a job's export file.
    pub async fn export_link(
        &self,
        record: &JobRecord,
        expires_in: Duration,
    ) -> Result<String, StoreError> {
        let name = format!("contacts-{}.csv", record.id);
        self.bucket
            .presign_get(&export_key(record), &name, expires_in)
            .await
    }
}

fn export_key(record: &JobRecord) -> String {
    keys::export_object(&record.workspace, &record.id, record.file_token.as_deref())
}
