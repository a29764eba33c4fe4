//! Exports: every contact of a workspace (or those carrying a tag) written
//! to a CSV file in the background, a page at a time (see `jobs`), and a
//! fresh short-lived link to the file on every read while it is kept.

use super::reads::read_settings;
use contact_engine::normalize;
use serde::Deserialize;
use utoipa::ToSchema;

use super::caller::Caller;
use super::error::{AtStep, ServiceError};
use super::jobs::{Jobs, all_columns};
use crate::records::ids::{is_safe_id, new_id};
use crate::records::time::now;
use crate::records::{JobKind, JobRecord, Phase};
use crate::store::Page;

/// Exports per page unless `limit` says otherwise, and at most.
pub const EXPORTS_PAGE: (i32, i32) = (20, 100);

/// `POST /v1/exports`; the body may be left out (every column, every
/// contact).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExportRequest {
    /// Contact field keys (and `id`, `tags`, `groups`, `blocked`,
    /// `created_at`, `updated_at`) and `custom:<key>` for a custom field, as
    /// a mapping names them, in the file's order; every column when absent.
    #[schema(min_items = 1)]
    pub columns: Option<Vec<String>>,
    /// Only contacts carrying this tag.
    pub tag: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Exports {
    jobs: Jobs,
}

impl Exports {
    pub(crate) fn new(jobs: Jobs) -> Self {
        Self { jobs }
    }

    /// Starts an export; owners and managers only.
    pub async fn create(
        &self,
        caller: &Caller,
        request: ExportRequest,
    ) -> Result<JobRecord, ServiceError> {
        caller.may_manage()?;
        let ws = &caller.workspace;
        let store = &self.jobs.store;
        let settings = read_settings(store, ws).await?;
        let known = all_columns(&settings);
        let columns = match request.columns {
            None => known,
            Some(columns) => {
                if columns.is_empty() {
                    return Err(ServiceError::bad_request(
                        "invalid_export",
                        "columns, when given, names at least one column",
                    ));
                }
                for (i, column) in columns.iter().enumerate() {
                    if !known.contains(column) {
                        return Err(ServiceError::bad_request(
                            "invalid_export",
                            format!(
                                "\"{column}\" is neither a contact field nor one of the workspace's custom fields (named custom:<key>)"
                            ),
                        ));
                    }
                    if columns[..i].contains(column) {
                        return Err(ServiceError::bad_request(
                            "invalid_export",
                            format!("\"{column}\" is named twice"),
                        ));
                    }
                }
                columns
            }
        };
        let tag = match request.tag.as_deref().map(str::trim) {
            None => None,
            Some(tag) if tag.is_empty() || tag.chars().count() > normalize::MAX_TAG_CHARS => {
                return Err(ServiceError::bad_request(
                    "invalid_export",
                    format!("tag must hold 1 to {} characters", normalize::MAX_TAG_CHARS),
                ));
            }
            Some(tag) => Some(tag.to_string()),
        };
        let record = JobRecord::started(new_id("exp"), ws, JobKind::Export, columns, tag);
        store.jobs.create(&record).await.at("storing the export")?;
        if let Err(e) = self.jobs.send_first_steps(&record, Phase::Select).await {
            // Nothing will run it: say so rather than leave it running.
            let _ = store
                .jobs
                .fail(&record, "the export could not be started; try again", now())
                .await;
            return Err(e);
        }
        Ok(record)
    }

    /// The workspace's exports and reset backups, newest first, a page at a
    /// time, each with a fresh link once its file is ready.
    pub async fn list(
        &self,
        caller: &Caller,
        limit: Option<i32>,
        cursor: Option<&str>,
    ) -> Result<Page<(JobRecord, Option<String>)>, ServiceError> {
        caller.may_manage()?;
        let (default, most) = EXPORTS_PAGE;
        let limit = limit.unwrap_or(default).clamp(1, most);
        self.jobs
            .listed(
                &caller.workspace,
                JobKind::Export,
                (limit, cursor),
                true,
                "listing the exports",
            )
            .await
    }

    /// An export or a reset's backup, with a fresh link once it is ready.
    pub async fn export(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<(JobRecord, Option<String>), ServiceError> {
        caller.may_manage()?;
        if !is_safe_id(id) {
            return Err(ServiceError::NotFound("export"));
        }
        let record = self
            .jobs
            .store
            .jobs
            .job(&caller.workspace, id)
            .await
            .at("reading the export")?
            .filter(|r| r.kind != JobKind::Bulk)
            .ok_or(ServiceError::NotFound("export"))?;
        let url = self.jobs.file_link(&record).await?;
        Ok((record, url))
    }
}
