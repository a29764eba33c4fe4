//! What the API answers, built from the operations' records: an import,
//! an export, a notification, a link to a file, the health check.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use contact_engine::corrections::RowCorrection;
use contact_engine::dialect::Dialect;
use contact_engine::options::{ImportOptions, MappingEntry};
use contact_engine::spreadsheet::Sheets;
use contact_engine::validation::{MappingProblem, Review};
use serde::Serialize;
use utoipa::ToSchema;

use crate::records::time::rfc3339;
use crate::records::{
    BulkAction, BulkActionName, CountryInForce, Group, ImportRecord, ImportStatus, JobKind,
    JobRecord, JobStatus, Notification,
};
use crate::store::{Page, Presigned};

/// An import as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportView {
    pub id: String,
    pub status: ImportStatus,
    pub file: FileView,
    pub options: ImportOptions,
    pub dialect: Option<Dialect>,
    pub headers: Option<Vec<String>>,
    /// For a spreadsheet upload: its sheets and the one read (choose
    /// another with the `sheet` option); `null` for delimited text.
    pub sheets: Option<Sheets>,
    /// The default country the review read numbers written without their
    /// country code in, and where it came from (`null` until validated).
    pub default_country: Option<CountryInForce>,
    pub mapping: Option<Vec<MappingEntry>>,
    /// The review's counts; `null` until validated, and while `problems`
    /// keep the mapping from working.
    pub review: Option<Review>,
    /// What the mapping must change before the import can be confirmed
    /// (the file's headers do not fit it), each with the headers that could
    /// fix it. Empty when there is nothing to change.
    pub problems: Vec<MappingProblem>,
    /// A few values of each column, in `headers` order, for choosing the
    /// mapping (up to 3 per column, each cut to 40 characters); empty
    /// until validated.
    pub samples: Vec<Vec<String>>,
    /// The cells corrected and rows dropped in the review, by row
    /// (`POST /v1/imports/{id}/corrections`).
    pub corrections: Vec<RowCorrection>,
    pub progress: Progress,
    pub result: ResultView,
    pub error: Option<String>,
    /// When the import expires unless it moves on (RFC 3339): in `review`,
    /// when it may no longer be confirmed; in `awaiting_upload`, when it
    /// stops waiting for its file (a new upload URL starts the wait again).
    pub expires_at: Option<String>,
    pub created_at: String,
    /// Who created the import: the person the caller's token names (their
    /// email on Cognito); `null` when the token named nobody.
    pub created_by: Option<String>,
    /// Where to upload the file; only in the answers to `POST /v1/imports`
    /// and `POST /v1/imports/{id}/upload`.
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
            sheets: record.sheets.clone(),
            default_country: record.country_in_force.clone(),
            mapping: record.mapping.clone(),
            review: record.review,
            problems: record.problems.clone(),
            samples: record.samples.clone(),
            corrections: record.corrections.rows().to_vec(),
            progress: Progress {
                rows_done: record.rows_done,
                rows_total: record.rows_total,
            },
            result: ResultView {
                imported: record.imported,
                updated: record.updated,
                skipped: record.skipped,
                errors: record.errors,
                available_until: record.available_until.map(rfc3339),
            },
            error: record.error.clone(),
            expires_at: match record.status {
                ImportStatus::Review => record.review_expires_at,
                ImportStatus::AwaitingUpload => record.upload_expires_at,
                _ => None,
            }
            .map(rfc3339),
            created_at: rfc3339(record.created_at),
            created_by: record.created_by.clone(),
            upload: upload.map(|p| UploadView {
                method: p.method,
                url: p.url,
                headers: p.headers.into_iter().collect(),
            }),
        }
    }
}

impl ImportPage {
    pub fn new(page: Page<ImportRecord>) -> Self {
        Self {
            items: page
                .items
                .iter()
                .map(|r| ImportView::new(r, None))
                .collect(),
            cursor: page.cursor,
        }
    }
}

/// An export (or a reset's backup) as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportView {
    pub id: String,
    pub kind: JobKind,
    pub status: JobStatus,
    /// Contacts written so far.
    pub rows: u64,
    /// A presigned link to the CSV, fresh on every read, while the file is
    /// kept.
    pub url: Option<String>,
    pub available_until: Option<String>,
    pub columns: Vec<String>,
    pub tag: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
}

impl ExportView {
    /// A job just started: no file yet.
    pub fn from_record(record: &JobRecord) -> Self {
        Self::new(record, None)
    }

    pub fn new(record: &JobRecord, url: Option<String>) -> Self {
        Self {
            id: record.id.clone(),
            kind: record.kind,
            status: record.status,
            rows: record.rows,
            url,
            available_until: record.available_until.map(rfc3339),
            columns: record.columns.clone(),
            tag: record.tag.clone(),
            error: record.error.clone(),
            created_at: rfc3339(record.created_at),
        }
    }
}

/// A bulk action run in the background, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkJobView {
    pub id: String,
    pub action: BulkActionName,
    /// Its tags, for the tag actions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Its group, for the group actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub status: JobStatus,
    /// `select` while contacts are chosen (and, but for a delete, acted
    /// on); `delete` once a delete's backup is written.
    #[schema(value_type = String)]
    pub phase: &'static str,
    /// Contacts the filter kept so far.
    pub matched: u64,
    /// Contacts changed (tags, group, blocked).
    pub changed: u64,
    /// A delete's contacts deleted, and those kept because they changed
    /// after the backup was written.
    pub deleted: u64,
    pub kept: u64,
    /// Shards of the workspace's contacts done in the current phase, of 16.
    pub shards_done: u32,
    /// A delete's backup (every column of the contacts it chose), fresh on
    /// every read, for owners and managers, while kept.
    pub url: Option<String>,
    pub available_until: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

impl BulkJobView {
    pub fn new(record: &JobRecord, url: Option<String>) -> Self {
        let bulk = record.bulk.as_ref();
        let deletes = bulk.is_some_and(|b| b.action == BulkAction::Delete);
        Self {
            id: record.id.clone(),
            action: bulk.map_or(BulkActionName::Delete, |b| b.action.name()),
            tags: bulk.map(|b| b.action.tags().to_vec()).unwrap_or_default(),
            group: bulk.and_then(|b| b.action.group()).map(str::to_string),
            status: record.status,
            phase: record.phase.as_str(),
            matched: record.rows,
            changed: record.changed,
            deleted: record.deleted,
            kept: record.kept,
            shards_done: record.shards_done,
            url,
            available_until: record.available_until.filter(|_| deletes).map(rfc3339),
            error: record.error.clone(),
            created_at: rfc3339(record.created_at),
            finished_at: record.finished_at.map(rfc3339),
        }
    }
}

/// A group as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    /// Contacts in the group (those a rename or a delete is still moving
    /// counted under the old name until the job is done).
    pub size: u64,
    pub created_at: String,
}

impl GroupView {
    pub fn new(group: &Group, size: u64) -> Self {
        Self {
            id: group.id.clone(),
            name: group.name.clone(),
            size,
            created_at: rfc3339(group.created_at),
        }
    }
}

/// A page of the workspace's groups.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupPage {
    pub items: Vec<GroupView>,
    pub cursor: Option<String>,
}

/// A group renamed or deleted, and the bulk action moving its members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupChangeView {
    pub group: GroupView,
    pub members_job: BulkJobView,
}

/// A page of the workspace's bulk actions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkJobPage {
    pub items: Vec<BulkJobView>,
    pub cursor: Option<String>,
}

/// A page of the workspace's exports and reset backups.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportPage {
    pub items: Vec<ExportView>,
    pub cursor: Option<String>,
}

/// A notification as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    #[schema(value_type = NotificationKind)]
    pub kind: String,
    pub message: String,
    pub created_at: String,
    pub import: Option<String>,
    /// The export (or the reset's backup) it concerns.
    pub export: Option<String>,
    /// A fresh presigned link to that export's file while it is kept.
    pub url: Option<String>,
    /// The API's routes for what it concerns.
    pub links: NotificationLinks,
}

/// What a notification says happened.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum NotificationKind {
    ImportCompleted,
    ImportFailed,
    ExportReady,
    ExportFailed,
    ResetCompleted,
    ResetFailed,
    BulkCompleted,
    BulkFailed,
}

/// Paths of the API (relative to its base URL) for what a notification
/// concerns: the import and, once it completed, its result file; the export
/// or reset backup; the bulk action.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct NotificationLinks {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<String>,
    /// The bulk action run in the background.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bulk_action: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
}

impl NotificationView {
    pub fn new(note: Notification, url: Option<String>) -> Self {
        let bulk = note.kind.starts_with("bulk_");
        let links = NotificationLinks {
            import: note.import.as_ref().map(|id| format!("/v1/imports/{id}")),
            result: note
                .import
                .as_ref()
                .filter(|_| note.kind == "import_completed")
                .map(|id| format!("/v1/imports/{id}/result")),
            export: note
                .job
                .as_ref()
                .filter(|_| !bulk)
                .map(|id| format!("/v1/exports/{id}")),
            bulk_action: note
                .job
                .as_ref()
                .filter(|_| bulk)
                .map(|id| format!("/v1/bulk-actions/{id}")),
        };
        Self {
            id: note.id,
            kind: note.kind,
            message: note.message,
            created_at: note.created_at.map(rfc3339).unwrap_or_default(),
            import: note.import,
            export: note.job,
            url,
            links,
        }
    }
}

/// Where a file link points; the same URL is in `Location`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FileLink {
    pub url: String,
}

/// A file's link: a redirect to it, or with `as_json` (the caller's
/// `Accept: application/json`) the link itself, since a page's script
/// cannot read where a redirect points.
pub fn file_link(url: String, as_json: bool) -> Response {
    if as_json {
        return axum::Json(FileLink { url }).into_response();
    }
    redirect(url)
}

pub fn redirect(url: String) -> Response {
    let mut response =
        (StatusCode::FOUND, axum::Json(FileLink { url: url.clone() })).into_response();
    if let Ok(location) = HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}
