//! The API's import operations: create, read, change, confirm, cancel,
//! list, and the links to the error and result files.

use contact_engine::corrections::Corrections;
use contact_engine::limits::{self, MAX_FILE_BYTES};
use contact_engine::mapping;
use contact_engine::options::{ImportOptions, MappingEntry};
use serde::Deserialize;
use utoipa::ToSchema;

use super::caller::Caller;
use super::config::Config;
use super::error::{AtStep, ListedAt, ServiceError};
use super::settings::{merged, remember_mapping, workspace_facts};
use super::wording::json_error_words;
use crate::records::ids::{is_safe_id, new_id};
use crate::records::time::{self, duration_words, now};
use crate::records::{ImportRecord, ImportStatus, Revalidate, StagePlan};
use crate::store::{ConfirmError, Page, Presigned, Store, StoreError};

/// How long a result file may be downloaded.
pub const RESULT_DAYS: i64 = 7;

/// Imports per history page unless `limit` says otherwise, and at most.
pub const HISTORY_PAGE: (i32, i32) = (20, 100);

/// `POST /v1/imports`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateImport {
    /// A `.csv`, `.tsv`, `.txt`, `.xlsx`, `.xls` or `.ods` name (any
    /// case); any other answers 415.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"[^/\\]\.([cC][sS][vV]|[tT][sS][vV]|[tT][xX][tT]|[xX][lL][sS][xX]?|[oO][dD][sS])\s*$"
    )]
    pub file_name: String,
    /// 1 byte to 20 MiB; more answers 413.
    #[schema(minimum = 1, maximum = 20_971_520)]
    pub size_bytes: u64,
    #[serde(default)]
    pub options: Option<ImportOptions>,
}

/// `PATCH /v1/imports/{id}`: a JSON Merge Patch of the options. The
/// members named change, `null` puts one back to its default, `dialect`
/// merges member by member, `tags` is replaced whole; `mapping` entries
/// change their own column only (`mapping: null` maps automatically again).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchImport {
    #[schema(value_type = ImportOptions)]
    pub options: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct Imports {
    pub(super) store: Store,
    pub(super) config: Config,
}

impl Imports {
    pub(crate) fn new(store: Store, config: Config) -> Self {
        Self { store, config }
    }

    /// A new import waiting for its upload, and the presigned `PUT` that
    /// uploads it.
    pub async fn create(
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
        if !limits::is_accepted_file_name(name) {
            return Err(ServiceError::UnsupportedType(format!(
                "{name} is neither delimited text nor a spreadsheet: upload a .csv, .tsv, .txt, .xlsx, .xls or .ods file"
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
        let workspace = workspace_facts(&self.store, ws).await?;
        options.check(&workspace).map_err(invalid_options)?;
        let holder = self.store.workspaces.lock_holder(ws).await;
        if let Some(holder) = holder.at("reading the import lock")? {
            return Err(in_progress(Some(&holder)));
        }
        let created_at = now();
        let record = ImportRecord {
            created_by: caller.user.clone(),
            ..ImportRecord::awaiting_upload(
                new_id("imp"),
                ws,
                name,
                request.size_bytes,
                options,
                created_at,
                created_at + self.session_seconds(),
            )
        };
        let upload = self
            .store
            .files
            .upload_url(
                ws,
                &record.id,
                record.size_bytes,
                self.config.upload_url_ttl,
            )
            .await
            .at("signing the upload URL")?;
        self.store
            .imports
            .create(&record)
            .await
            .at("storing the import")?;
        tracing::info!(
            workspace = %ws,
            import = %record.id,
            size_bytes = record.size_bytes,
            "import created"
        );
        Ok((record, upload))
    }

    /// The import as it is now; a review, or a wait for the upload, past
    /// the session's lifetime is expired on the way.
    pub async fn import(&self, caller: &Caller, id: &str) -> Result<ImportRecord, ServiceError> {
        caller.may_manage()?;
        let record = self.load(&caller.workspace, id).await?;
        self.expire_if_due(record).await
    }

    /// The session's lifetime in seconds: how long a review may be
    /// confirmed, and how long an import waits for its upload.
    fn session_seconds(&self) -> i64 {
        self.config.review_ttl.as_secs() as i64
    }

    pub(super) async fn load(&self, ws: &str, id: &str) -> Result<ImportRecord, ServiceError> {
        if !is_safe_id(id) {
            return Err(ServiceError::NotFound("import"));
        }
        self.store
            .imports
            .import(ws, id)
            .await
            .at("reading the import")?
            .ok_or(ServiceError::NotFound("import"))
    }

    /// Ends, as `expired`, a review not confirmed in time, or an import
    /// whose upload did not come in time. An upload that came just before
    /// its deadline, its validation still queued, keeps the import alive.
    async fn expire_if_due(&self, record: ImportRecord) -> Result<ImportRecord, ServiceError> {
        let lifetime = duration_words(self.config.review_ttl.as_secs());
        let (from, reason) = match record.status {
            ImportStatus::Review if record.review_expires_at.is_some_and(|t| t <= now()) => (
                ImportStatus::Review,
                format!("the review was not confirmed within {lifetime}; start a new import"),
            ),
            ImportStatus::AwaitingUpload
                if record.upload_expires_at.is_some_and(|t| t <= now()) =>
            {
                let uploaded = self
                    .store
                    .files
                    .upload_size(&record.workspace, &record.id)
                    .await
                    .at("looking for the upload")?;
                if uploaded.is_some() {
                    return Ok(record);
                }
                (
                    ImportStatus::AwaitingUpload,
                    format!("no file was uploaded within {lifetime}; start a new import"),
                )
            }
            _ => return Ok(record),
        };
        let expired = self
            .store
            .imports
            .end(
                &record,
                &[from],
                ImportStatus::Expired,
                Some(&reason),
                now(),
            )
            .await;
        match expired {
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e).at("expiring the import"),
        }
        self.discard_files(&record).await;
        self.load(&record.workspace, &record.id).await
    }

    /// A new presigned upload for an import still waiting for its file
    /// (the first URL lapsed, or the upload went wrong): the wait starts
    /// again.
    pub async fn fresh_upload(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(ImportRecord, Presigned), ServiceError> {
        let record = self.import(caller, id).await?;
        match record.status {
            ImportStatus::AwaitingUpload => {}
            ImportStatus::Expired => return Err(self.expired()),
            status => {
                return Err(ServiceError::conflict(
                    "not_awaiting_upload",
                    format!(
                        "a new upload URL is given only while the import waits for its file; it is {}",
                        status.as_str()
                    ),
                ));
            }
        }
        let upload = self
            .store
            .files
            .upload_url(
                &record.workspace,
                &record.id,
                record.size_bytes,
                self.config.upload_url_ttl,
            )
            .await
            .at("signing the upload URL")?;
        let until = now() + self.session_seconds();
        match self
            .store
            .imports
            .renew_upload(&record.workspace, &record.id, until)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(ServiceError::conflict(
                    "not_awaiting_upload",
                    "the file arrived or the import ended meanwhile; read it again",
                ));
            }
            Err(e) => return Err(e).at("renewing the upload's deadline"),
        }
        let record = self.load(&caller.workspace, id).await?;
        Ok((record, upload))
    }

    /// Deletes an import's upload and working files (best effort: S3's
    /// lifecycle rules remove whatever is left).
    async fn discard_files(&self, record: &ImportRecord) {
        let files = &self.store.files;
        let _ = files
            .discard_import_files(&record.workspace, &record.id)
            .await;
    }

    /// Options changed for an import in review (see [`PatchImport`]):
    /// validated again, as the next generation.
    pub async fn change_options(
        &self,
        caller: &Caller,
        id: &str,
        patch: serde_json::Map<String, serde_json::Value>,
    ) -> Result<ImportRecord, ServiceError> {
        let record = self.import(caller, id).await?;
        self.must_be_in_review(&record, "options change")?;
        let options = patched_options(&record, patch)?;
        let workspace = workspace_facts(&self.store, &caller.workspace).await?;
        options.check(&workspace).map_err(invalid_options)?;
        if let Some(headers) = &record.headers {
            mapping::plan(headers, &options, &workspace).map_err(invalid_options)?;
        }
        // Another dialect cuts the file into other cells: corrections
        // made to the old ones would land on strangers.
        let corrections = if options.dialect == record.options.dialect {
            record.corrections.clone()
        } else {
            Corrections::default()
        };
        self.revalidate(&record, options, corrections).await
    }

    /// Refuses anything but an import in review: `what` is what was asked.
    pub(super) fn must_be_in_review(
        &self,
        record: &ImportRecord,
        what: &str,
    ) -> Result<(), ServiceError> {
        match record.status {
            ImportStatus::Review => Ok(()),
            ImportStatus::Expired => Err(self.expired()),
            status => Err(not_in_review(format!(
                "{what} only in review; the import is {}",
                status.as_str()
            ))),
        }
    }

    /// Validates `record`'s upload again, with `options` and `corrections`:
    /// the import goes back to `validating` under the next generation.
    pub(super) async fn revalidate(
        &self,
        record: &ImportRecord,
        options: ImportOptions,
        corrections: Corrections,
    ) -> Result<ImportRecord, ServiceError> {
        // The message goes first: a validator that meets it before the
        // change is stored asks for it again later, while a change stored
        // without its message would wait for ever.
        let message = Revalidate {
            workspace: record.workspace.clone(),
            import: record.id.clone(),
            generation: record.generation + 1,
        };
        self.store
            .queues
            .revalidate(&message)
            .await
            .at("asking for the validation again")?;
        let stored = self
            .store
            .imports
            .revalidate(record, &options, &corrections)
            .await;
        match stored {
            Ok(_) => {}
            Err(StoreError::Conflict) => {
                // A retried write may find its own first attempt done.
                let now_stored = self.load(&record.workspace, &record.id).await?;
                let ours = now_stored.generation == record.generation + 1
                    && now_stored.options == options
                    && now_stored.corrections == corrections;
                if !ours {
                    return Err(changed_meanwhile());
                }
            }
            Err(e) => return Err(e).at("storing the new options"),
        }
        self.load(&record.workspace, &record.id).await
    }

    pub async fn confirm(&self, caller: &Caller, id: &str) -> Result<ImportRecord, ServiceError> {
        let record = self.import(caller, id).await?;
        match record.status {
            ImportStatus::Review if !record.problems.is_empty() => {
                let words: Vec<&str> = record.problems.iter().map(|p| p.message.as_str()).collect();
                return Err(ServiceError::conflict(
                    "mapping_problems",
                    format!(
                        "the mapping must change before the import can be confirmed: {}; change it with PATCH /v1/imports/{id}",
                        words.join("; ")
                    ),
                ));
            }
            ImportStatus::Review => {}
            // A confirm whose chunks were not all sent (its fan-out message
            // lost, or failing) asks for them again.
            ImportStatus::Importing if !record.fanned_out => {
                self.queue_fan_out(&record).await?;
                return self.load(&caller.workspace, id).await;
            }
            ImportStatus::Expired => return Err(self.expired()),
            status => {
                return Err(not_in_review(format!(
                    "only an import in review can be confirmed; this one is {}",
                    status.as_str()
                )));
            }
        }
        let plan = self.plan(&record).await?;
        if let Some(group) = &record.options.group {
            // The group its contacts join exists as a group (created if
            // new) before any row names it.
            self.store
                .groups
                .ensure(&caller.workspace, group)
                .await
                .at("creating the import's group")?;
        }
        let tag = record
            .options
            .import_tag
            .then(|| time::import_tag(record.created_at));
        let facts = workspace_facts(&self.store, &caller.workspace).await?;
        let allowance = facts.remaining_quota;
        let chunks = plan.chunks.len() as u32;
        let confirmed = self
            .store
            .imports
            .confirm(&record, now(), tag.as_deref(), chunks, allowance)
            .await;
        match confirmed {
            Ok(()) => {}
            Err(ConfirmError::Locked) => {
                let holder = self.store.workspaces.lock_holder(&caller.workspace).await;
                return Err(in_progress(holder.ok().flatten().as_deref()));
            }
            Err(ConfirmError::Expired) => {
                self.expire_if_due(record).await?;
                return Err(self.expired());
            }
            Err(ConfirmError::NotInReview) => {
                // A retried write may find its own first attempt done: then
                // this confirm goes on to send the chunks.
                let now_stored = self.load(&caller.workspace, id).await?;
                let ours = now_stored.status == ImportStatus::Importing
                    && now_stored.generation == record.generation;
                if !ours {
                    return Err(changed_meanwhile());
                }
            }
            Err(ConfirmError::Store(e)) => return Err(e).at("confirming the review"),
        }
        // The chunks go out behind the answer (the jobs function sends
        // them), so that a confirm answers in a few round trips however
        // large the file.
        self.queue_fan_out(&record).await?;
        remember_mapping(&self.store, &record, &facts).await;
        self.load(&caller.workspace, id).await
    }

    /// The answer for an import whose session has expired, saying how long
    /// a session lasts.
    fn expired(&self) -> ServiceError {
        let lifetime = duration_words(self.config.review_ttl.as_secs());
        ServiceError::gone(
            "session_expired",
            format!(
                "session expired: an import must be uploaded and confirmed within {lifetime}; start a new import"
            ),
        )
    }

    /// The chunks the validation of the import's generation left.
    pub async fn plan(&self, record: &ImportRecord) -> Result<StagePlan, ServiceError> {
        self.store
            .files
            .plan(&record.workspace, &record.id, record.generation)
            .await
            .at("reading the stage plan")
    }

    /// Cancels an import that is not importing and has not ended.
    pub async fn cancel(&self, caller: &Caller, id: &str) -> Result<ImportRecord, ServiceError> {
        let record = self.import(caller, id).await?;
        if !ImportStatus::OPEN.contains(&record.status) {
            return Err(ServiceError::conflict(
                "not_cancellable",
                format!(
                    "an import that is {} cannot be cancelled",
                    record.status.as_str()
                ),
            ));
        }
        let cancelled = self
            .store
            .imports
            .end(
                &record,
                &ImportStatus::OPEN,
                ImportStatus::Cancelled,
                None,
                now(),
            )
            .await;
        match cancelled {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(ServiceError::conflict(
                    "not_cancellable",
                    "the import changed meanwhile; read it again",
                ));
            }
            Err(e) => return Err(e).at("cancelling the import"),
        }
        self.discard_files(&record).await;
        self.load(&caller.workspace, id).await
    }

    /// The workspace's imports, newest first, a page at a time.
    pub async fn history(
        &self,
        caller: &Caller,
        limit: Option<i32>,
        cursor: Option<&str>,
    ) -> Result<Page<ImportRecord>, ServiceError> {
        caller.may_manage()?;
        let (default, most) = HISTORY_PAGE;
        let limit = limit.unwrap_or(default).clamp(1, most);
        let mut page = self
            .store
            .imports
            .list(&caller.workspace, limit, cursor)
            .await
            .listed_at("listing the imports")?;
        // The history says what reading each import would say.
        for item in &mut page.items {
            *item = self.expire_if_due(item.clone()).await?;
        }
        Ok(page)
    }

    /// A short-lived link to the review's error file.
    pub async fn errors_link(&self, caller: &Caller, id: &str) -> Result<String, ServiceError> {
        let record = self.import(caller, id).await?;
        if record.review.is_none() {
            return Err(ServiceError::NotFound("error file"));
        }
        let name = format!("{}-errors.csv", stem(&record.file_name));
        self.store
            .files
            .errors_link(
                &record.workspace,
                &record.id,
                record.generation,
                &name,
                self.config.download_url_ttl,
            )
            .await
            .at("signing the error file's link")?
            .ok_or(ServiceError::NotFound("error file"))
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
        let name = format!("{}-result.csv", stem(&record.file_name));
        self.store
            .files
            .result_link(
                &record.workspace,
                &record.id,
                &name,
                self.config.download_url_ttl,
            )
            .await
            .at("signing the result file's link")
    }
}

/// The import's options with `patch` merged in: JSON Merge Patch for every
/// member but `mapping`, whose entries replace those of their own column in
/// the mapping in force (the explicit one, else the one the review shows).
fn patched_options(
    record: &ImportRecord,
    mut patch: serde_json::Map<String, serde_json::Value>,
) -> Result<ImportOptions, ServiceError> {
    let mapping_change = patch.remove("mapping");
    let mut options: ImportOptions =
        merged(&record.options, &serde_json::Value::Object(patch)).map_err(invalid_options)?;
    match mapping_change {
        None => {}
        Some(serde_json::Value::Null) => options.mapping = None,
        Some(entries) => {
            let changes: Vec<MappingEntry> = serde_json::from_value(entries)
                .map_err(|e| invalid_options(format!("mapping: {}", json_error_words(&e))))?;
            let base = record
                .options
                .mapping
                .as_ref()
                .or(record.mapping.as_ref())
                .map_or(&[][..], Vec::as_slice);
            options.mapping = Some(mapping::merge_entries(
                base,
                &changes,
                record.headers.as_deref(),
            ));
        }
    }
    Ok(options)
}

fn stem(file_name: &str) -> &str {
    file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem)
}

fn invalid_options(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::bad_request("invalid_options", e.to_string())
}

/// The refusal while the workspace's import lock is held, naming its
/// holder: an import, or the month-end reset.
fn in_progress(holder: Option<&str>) -> ServiceError {
    let message = match holder {
        Some(id) if id.starts_with("imp_") => format!(
            "import {id} is importing in this workspace; one import runs at a time: try again when it ends"
        ),
        Some(_) => "the month-end reset is deleting this workspace's contacts; import when it ends"
            .to_string(),
        None => "an import is already in progress in this workspace".to_string(),
    };
    ServiceError::conflict("import_in_progress", message)
}

pub(super) fn not_in_review(message: impl Into<String>) -> ServiceError {
    ServiceError::conflict("not_in_review", message)
}

fn changed_meanwhile() -> ServiceError {
    not_in_review("the import changed meanwhile; read it again")
}
