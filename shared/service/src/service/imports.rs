//! The API's import operations: create, read, change, confirm, cancel,
//! list, and the links to the error and result files.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::ServiceError;
use super::model::{self, ChunkJob, ImportRecord, ImportStatus, Revalidate, StagePlan, now};
use super::{RESULT_DAYS, Service};
use crate::store::bucket::Presigned;
use crate::store::keys;
use crate::store::table::ConfirmError;
use contact_engine::dialect::Dialect;
use contact_engine::limits::{self, MAX_FILE_BYTES};
use contact_engine::mapping;
use contact_engine::options::{ImportOptions, MappingEntry, Workspace};
use contact_engine::validation::{ChunkSpan, Review};

/// `POST /v1/imports`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateImport {
    /// A `.csv` or `.txt` name (any case); any other answers 415.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"[^/\\]\.([cC][sS][vV]|[tT][xX][tT])\s*$"
    )]
    pub file_name: String,
    /// 1 byte to 20 MiB; more answers 413.
    #[schema(minimum = 1, maximum = 20_971_520)]
    pub size_bytes: u64,
    #[serde(default)]
    pub options: Option<ImportOptions>,
}

/// `PATCH /v1/imports/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchImport {
    pub options: ImportOptions,
}

/// An import as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportView {
    pub id: String,
    pub status: ImportStatus,
    pub file: FileView,
    pub options: ImportOptions,
    pub dialect: Option<Dialect>,
    pub headers: Option<Vec<String>>,
    pub mapping: Option<Vec<MappingEntry>>,
    pub review: Option<Review>,
    pub progress: Progress,
    pub result: ResultView,
    pub error: Option<String>,
    /// When an unconfirmed review expires (RFC 3339).
    pub expires_at: Option<String>,
    pub created_at: String,
    /// Where to upload the file; only in the answer to `POST /v1/imports`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<UploadView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FileView {
    pub name: String,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Progress {
    pub rows_done: u64,
    pub rows_total: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResultView {
    pub imported: u64,
    pub updated: u64,
    pub skipped: u64,
    pub errors: u64,
    pub available_until: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UploadView {
    pub method: String,
    pub url: String,
    pub headers: std::collections::BTreeMap<String, String>,
}

/// A page of the import history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportPage {
    pub items: Vec<ImportView>,
    pub cursor: Option<String>,
}

impl ImportView {
    pub fn new(record: &ImportRecord, upload: Option<Presigned>) -> Self {
        Self {
            id: record.id.clone(),
            status: record.status,
            file: FileView {
                name: record.file_name.clone(),
                size_bytes: record.size_bytes,
            },
            options: record.options.clone(),
            dialect: record.dialect,
            headers: record.headers.clone(),
            mapping: record.mapping.clone(),
            review: record.review,
            progress: Progress {
                rows_done: record.rows_done,
                rows_total: record.rows_total,
            },
            result: ResultView {
                imported: record.imported,
                updated: record.updated,
                skipped: record.skipped,
                errors: record.errors,
                available_until: record.available_until.map(model::rfc3339),
            },
            error: record.error.clone(),
            expires_at: (record.status == ImportStatus::Review)
                .then_some(record.review_expires_at)
                .flatten()
                .map(model::rfc3339),
            created_at: model::rfc3339(record.created_at),
            upload: upload.map(|p| UploadView {
                method: p.method,
                url: p.url,
                headers: p.headers.into_iter().collect(),
            }),
        }
    }
}

fn invalid_options(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::bad_request("invalid_options", e.to_string())
}

fn new_id(prefix: &str) -> String {
    keys::new_id(prefix)
}

impl Service {
    /// The workspace facts validation needs: settings and the quota left
    /// this month.
    pub async fn workspace(&self, ws: &str) -> Result<Workspace, ServiceError> {
        let settings = self.table.settings(ws).await?;
        let remaining_quota = match settings.contact_limit {
            Some(quota) => {
                let created = self
                    .table
                    .contacts_created(ws, &model::month(now()))
                    .await?;
                Some(quota.saturating_sub(created))
            }
            None => None,
        };
        Ok(Workspace {
            default_country: settings.default_country,
            remaining_quota,
            custom_fields: settings.custom_fields,
            users: settings.users,
        })
    }

    pub async fn create_import(
        &self,
        caller: &Caller,
        request: CreateImport,
    ) -> Result<(ImportRecord, Presigned), ServiceError> {
        caller.may_manage()?;
        let name = request.file_name.trim();
        if name.is_empty() || name.chars().count() > limits::MAX_FILE_NAME_CHARS {
            return Err(ServiceError::bad_request(
                "invalid_file_name",
                format!(
                    "file_name must be 1 to {} characters",
                    limits::MAX_FILE_NAME_CHARS
                ),
            ));
        }
        if !limits::is_delimited_text_name(name) {
            return Err(ServiceError::UnsupportedType(format!(
                "{name} is not delimited text: upload a .csv or .txt file"
            )));
        }
        if request.size_bytes > MAX_FILE_BYTES {
            return Err(ServiceError::TooLarge);
        }
        if request.size_bytes == 0 {
            return Err(ServiceError::bad_request(
                "empty_file",
                "the file is empty: it needs a header row and at least one data row",
            ));
        }
        let options = request.options.unwrap_or_default();
        let ws = &caller.workspace;
        options
            .check(&self.workspace(ws).await?)
            .map_err(invalid_options)?;
        if self.table.lock_holder(ws).await?.is_some() {
            return Err(in_progress());
        }
        let record = ImportRecord {
            id: new_id("imp"),
            workspace: ws.clone(),
            status: ImportStatus::AwaitingUpload,
            file_name: name.to_string(),
            size_bytes: request.size_bytes,
            options,
            generation: 1,
            validating_message: None,
            dialect: None,
            headers: None,
            mapping: None,
            review: None,
            review_expires_at: None,
            rows_total: 0,
            chunks_total: 0,
            chunks_done: 0,
            rows_done: 0,
            imported: 0,
            updated: 0,
            skipped: 0,
            errors: 0,
            import_tag: None,
            allowance: None,
            fanned_out: false,
            available_until: None,
            error: None,
            created_at: now(),
            finished_at: None,
        };
        let upload = self
            .bucket
            .presign_put(
                &keys::upload_object(ws, &record.id),
                record.size_bytes,
                self.config.upload_url_ttl,
            )
            .await?;
        self.table.create_import(&record).await?;
        tracing::info!(
            workspace = %ws,
            import = %record.id,
            size_bytes = record.size_bytes,
            "import created"
        );
        Ok((record, upload))
    }

    /// The import as it is now; a review past its hour is expired on the way.
    pub async fn import(&self, caller: &Caller, id: &str) -> Result<ImportRecord, ServiceError> {
        caller.may_manage()?;
        let record = self.load(&caller.workspace, id).await?;
        self.expire_if_due(record).await
    }

    async fn load(&self, ws: &str, id: &str) -> Result<ImportRecord, ServiceError> {
        if !keys::is_safe_id(id) {
            return Err(ServiceError::NotFound("import"));
        }
        self.table
            .import(ws, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))
    }

    async fn expire_if_due(&self, record: ImportRecord) -> Result<ImportRecord, ServiceError> {
        let due = record.status == ImportStatus::Review
            && record.review_expires_at.is_some_and(|t| t <= now());
        if !due {
            return Ok(record);
        }
        match self
            .table
            .end_import(
                &record,
                &[ImportStatus::Review],
                ImportStatus::Expired,
                now(),
            )
            .await
        {
            Ok(()) | Err(crate::store::StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
        self.discard_files(&record).await;
        self.load(&record.workspace, &record.id).await
    }

    /// Deletes an import's upload and working files (best effort: S3's
    /// lifecycle rules remove whatever is left).
    async fn discard_files(&self, record: &ImportRecord) {
        let ws = &record.workspace;
        let _ = self
            .bucket
            .delete(&keys::upload_object(ws, &record.id))
            .await;
        let _ = self
            .bucket
            .delete_prefix(&format!("work/{ws}/{}/", record.id))
            .await;
    }

    pub async fn change_options(
        &self,
        caller: &Caller,
        id: &str,
        options: ImportOptions,
    ) -> Result<ImportRecord, ServiceError> {
        let record = self.import(caller, id).await?;
        match record.status {
            ImportStatus::Review => {}
            ImportStatus::Expired => return Err(expired()),
            _ => {
                return Err(ServiceError::conflict(
                    "not_in_review",
                    format!(
                        "options change only in review; the import is {}",
                        record.status.as_str()
                    ),
                ));
            }
        }
        let workspace = self.workspace(&caller.workspace).await?;
        options.check(&workspace).map_err(invalid_options)?;
        if let Some(headers) = &record.headers {
            mapping::plan(headers, &options, &workspace).map_err(invalid_options)?;
        }
        // The message goes first: a validator that meets it before the
        // change is stored asks for it again later, while a change stored
        // without its message would wait for ever.
        let message = Revalidate {
            workspace: record.workspace.clone(),
            import: record.id.clone(),
            generation: record.generation + 1,
        };
        let body =
            serde_json::to_string(&message).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.uploads.send_all(&[body]).await?;
        match self.table.revalidate(&record, &options).await {
            Ok(_) => {}
            Err(crate::store::StoreError::Conflict) => {
                // A retried write may find its own first attempt done.
                let now_stored = self.load(&caller.workspace, id).await?;
                let ours =
                    now_stored.generation == record.generation + 1 && now_stored.options == options;
                if !ours {
                    return Err(ServiceError::conflict(
                        "not_in_review",
                        "the import changed meanwhile; read it again",
                    ));
                }
            }
            Err(e) => return Err(e.into()),
        }
        self.load(&caller.workspace, id).await
    }

    pub async fn confirm(&self, caller: &Caller, id: &str) -> Result<ImportRecord, ServiceError> {
        let record = self.import(caller, id).await?;
        match record.status {
            ImportStatus::Review => {}
            // A confirm whose messages did not all go out is finished here.
            ImportStatus::Importing if !record.fanned_out => {
                let plan = self.plan(&record).await?;
                self.fan_out(&record, &plan).await?;
                return self.load(&caller.workspace, id).await;
            }
            ImportStatus::Expired => return Err(expired()),
            status => {
                return Err(ServiceError::conflict(
                    "not_in_review",
                    format!(
                        "only an import in review can be confirmed; this one is {}",
                        status.as_str()
                    ),
                ));
            }
        }
        let plan = self.plan(&record).await?;
        let tag = record
            .options
            .import_tag
            .then(|| model::import_tag(record.created_at));
        let allowance = self.workspace(&caller.workspace).await?.remaining_quota;
        let chunks = plan.chunks.len() as u32;
        match self
            .table
            .confirm(&record, now(), tag.as_deref(), chunks, allowance)
            .await
        {
            Ok(()) => {}
            Err(ConfirmError::Locked) => return Err(in_progress()),
            Err(ConfirmError::Expired) => {
                self.expire_if_due(record).await?;
                return Err(expired());
            }
            Err(ConfirmError::NotInReview) => {
                // A retried write may find its own first attempt done: then
                // this confirm goes on to send the chunks.
                let now_stored = self.load(&caller.workspace, id).await?;
                let ours = now_stored.status == ImportStatus::Importing
                    && now_stored.generation == record.generation;
                if !ours {
                    return Err(ServiceError::conflict(
                        "not_in_review",
                        "the import changed meanwhile; read it again",
                    ));
                }
            }
            Err(ConfirmError::Store(e)) => return Err(e.into()),
        }
        // The messages need only what this confirm just stored.
        let confirmed = ImportRecord {
            allowance,
            ..record
        };
        self.fan_out(&confirmed, &plan).await?;
        self.load(&caller.workspace, id).await
    }

    /// The chunks the validation of the import's generation left.
    pub async fn plan(&self, record: &ImportRecord) -> Result<StagePlan, ServiceError> {
        let key = keys::plan_object(&record.workspace, &record.id, record.generation);
        let bytes = self.bucket.get(&key, None).await?;
        serde_json::from_slice(&bytes).map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// One message body per chunk of a confirmed import, in file order;
    /// each carries its share of the quota left at confirm.
    pub fn chunk_messages(
        record: &ImportRecord,
        plan: &StagePlan,
    ) -> Result<Vec<String>, ServiceError> {
        allowances(&plan.chunks, record.allowance)
            .into_iter()
            .zip(&plan.chunks)
            .map(|(allowance, chunk)| {
                serde_json::to_string(&ChunkJob {
                    workspace: record.workspace.clone(),
                    import: record.id.clone(),
                    generation: record.generation,
                    chunk: *chunk,
                    allowance,
                })
                .map_err(|e| ServiceError::Internal(e.to_string()))
            })
            .collect()
    }

    /// Sends one message per chunk, ten per call. Sending twice is harmless:
    /// a chunk is counted once.
    async fn fan_out(&self, record: &ImportRecord, plan: &StagePlan) -> Result<(), ServiceError> {
        let bodies = Self::chunk_messages(record, plan)?;
        self.rows.send_all(&bodies).await?;
        self.table
            .set_fanned_out(&record.workspace, &record.id)
            .await?;
        Ok(())
    }

    pub async fn cancel(&self, caller: &Caller, id: &str) -> Result<ImportRecord, ServiceError> {
        let record = self.import(caller, id).await?;
        let open = [
            ImportStatus::AwaitingUpload,
            ImportStatus::Validating,
            ImportStatus::Review,
        ];
        if !open.contains(&record.status) {
            return Err(ServiceError::conflict(
                "not_cancellable",
                format!(
                    "an import that is {} cannot be cancelled",
                    record.status.as_str()
                ),
            ));
        }
        match self
            .table
            .end_import(&record, &open, ImportStatus::Cancelled, now())
            .await
        {
            Ok(()) => {}
            Err(crate::store::StoreError::Conflict) => {
                return Err(ServiceError::conflict(
                    "not_cancellable",
                    "the import changed meanwhile; read it again",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.discard_files(&record).await;
        self.load(&caller.workspace, id).await
    }

    pub async fn history(
        &self,
        caller: &Caller,
        limit: Option<i32>,
        cursor: Option<&str>,
    ) -> Result<ImportPage, ServiceError> {
        caller.may_manage()?;
        let limit = limit.unwrap_or(20).clamp(1, 100);
        let page = self
            .table
            .imports(&caller.workspace, limit, cursor)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Corrupt(_) => ServiceError::bad_request(
                    "invalid_cursor",
                    "the cursor is not one this API gave",
                ),
                other => other.into(),
            })?;
        Ok(ImportPage {
            items: page
                .items
                .iter()
                .map(|r| ImportView::new(r, None))
                .collect(),
            cursor: page.cursor,
        })
    }

    /// A short-lived link to the review's error file.
    pub async fn errors_link(&self, caller: &Caller, id: &str) -> Result<String, ServiceError> {
        let record = self.import(caller, id).await?;
        if record.review.is_none() {
            return Err(ServiceError::NotFound("error file"));
        }
        let key = keys::errors_object(&record.workspace, &record.id, record.generation);
        if self.bucket.size(&key).await?.is_none() {
            return Err(ServiceError::NotFound("error file"));
        }
        let name = format!("{}-errors.csv", stem(&record.file_name));
        Ok(self
            .bucket
            .presign_get(&key, &name, self.config.download_url_ttl)
            .await?)
    }

    /// A short-lived link to the result file, for seven days.
    pub async fn result_link(&self, caller: &Caller, id: &str) -> Result<String, ServiceError> {
        let record = self.import(caller, id).await?;
        if record.status != ImportStatus::Completed {
            return Err(ServiceError::conflict(
                "result_not_ready",
                format!(
                    "the result file is written when the import completes; it is {}",
                    record.status.as_str()
                ),
            ));
        }
        if record.available_until.is_none_or(|t| t <= now()) {
            return Err(ServiceError::gone(
                "result_expired",
                format!("result files are kept {RESULT_DAYS} days; this one is gone"),
            ));
        }
        let key = keys::result_object(&record.workspace, &record.id);
        let name = format!("{}-result.csv", stem(&record.file_name));
        Ok(self
            .bucket
            .presign_get(&key, &name, self.config.download_url_ttl)
            .await?)
    }
}

fn stem(file_name: &str) -> &str {
    file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem)
}

fn in_progress() -> ServiceError {
    ServiceError::conflict(
        "import_in_progress",
        "an import is already in progress in this workspace",
    )
}

fn expired() -> ServiceError {
    ServiceError::gone(
        "session_expired",
        "session expired: the review was not confirmed within its hour; start a new import",
    )
}

/// Shares the quota left at confirm among chunks in file order: each takes
/// what the review predicts it creates, while any is left.
pub fn allowances(chunks: &[ChunkSpan], quota: Option<u64>) -> Vec<Option<u64>> {
    let Some(mut left) = quota else {
        return vec![None; chunks.len()];
    };
    chunks
        .iter()
        .map(|c| {
            let take = u64::from(c.adds).min(left);
            left -= take;
            Some(take)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(adds: u32) -> ChunkSpan {
        ChunkSpan {
            index: 0,
            first_row: 2,
            rows: 10,
            start: 0,
            end: 1,
            adds,
        }
    }

    #[test]
    fn the_quota_goes_to_the_first_chunks() {
        let chunks = [chunk(4), chunk(0), chunk(5), chunk(3)];
        assert_eq!(allowances(&chunks, None), vec![None; 4]);
        assert_eq!(
            allowances(&chunks, Some(7)),
            vec![Some(4), Some(0), Some(3), Some(0)]
        );
    }
}
