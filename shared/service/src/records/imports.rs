//! An import as the table keeps it, its counts, and what the validator
//! leaves for confirm and the workers.

use contact_engine::classify::Status;
use contact_engine::corrections::Corrections;
use contact_engine::dialect::Dialect;
use contact_engine::options::{ImportOptions, MappingEntry, Workspace};
use contact_engine::spreadsheet::Sheets;
use contact_engine::validation::{ChunkSpan, MappingProblem, Review};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an import stands. The API shows these words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    AwaitingUpload,
    Validating,
    Review,
    Importing,
    Completed,
    Failed,
    Expired,
    Cancelled,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingUpload => "awaiting_upload",
            Self::Validating => "validating",
            Self::Review => "review",
            Self::Importing => "importing",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    /// The statuses an import may be cancelled in: it is not importing and
    /// has not ended.
    pub const OPEN: [Self; 3] = [Self::AwaitingUpload, Self::Validating, Self::Review];
}

/// The default country a validation read national phone numbers in, and
/// where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountryInForce {
    /// ISO 3166-1 alpha-2; `null` when none is set: a number written
    /// without its country code (+593…) is then an error.
    pub code: Option<String>,
    pub from: CountrySource,
}

/// Where the default country in force comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountrySource {
    /// The import's `options.default_country`.
    Import,
    /// The workspace's settings.
    Workspace,
    /// Neither sets one.
    None,
}

impl CountryInForce {
    /// The country in force for `options` in `workspace`: the import's,
    /// else the workspace's.
    pub fn of(options: &ImportOptions, workspace: &Workspace) -> Self {
        let code = options.check(workspace).ok().flatten().map(str::to_string);
        let from = if code.is_none() {
            CountrySource::None
        } else if options.default_country.is_some() {
            CountrySource::Import
        } else {
            CountrySource::Workspace
        };
        Self { code, from }
    }
}

/// Row outcome counts, as the result and progress count them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    pub imported: u64,
    pub updated: u64,
    pub skipped: u64,
    pub errors: u64,
}

impl Outcomes {
    pub fn rows(&self) -> u64 {
        self.imported + self.updated + self.skipped + self.errors
    }
}

/// An import as the table keeps it. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRecord {
    pub id: String,
    pub workspace: String,
    pub status: ImportStatus,
    pub file_name: String,
    pub size_bytes: u64,
    pub options: ImportOptions,
    /// Counts validations: a `PATCH` starts a new one, and only the newest
    /// may finish.
    pub generation: u32,
    /// The SQS message whose validation is running, so that its redelivery
    /// may resume it while any other message (a repeated S3 event) may not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validating_message: Option<String>,
    #[serde(default)]
    pub dialect: Option<Dialect>,
    #[serde(default)]
    pub headers: Option<Vec<String>>,
    /// A spreadsheet upload's sheets, and the one read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheets: Option<Sheets>,
    /// The default country the validation read numbers in.
    #[serde(default)]
    pub country_in_force: Option<CountryInForce>,
    #[serde(default)]
    pub mapping: Option<Vec<MappingEntry>>,
    #[serde(default)]
    pub review: Option<Review>,
    /// What keeps a review from being confirmed: the file's headers do not
    /// fit the mapping (then `review` is `None`). Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<MappingProblem>,
    /// Cells corrected and rows dropped in the review: every validation
    /// reads the upload as they make it.
    #[serde(default, skip_serializing_if = "Corrections::is_empty")]
    pub corrections: Corrections,
    /// A few values of each column, in header order, for the mapping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Vec<String>>,
    /// The last data row's number, once validated: corrections name rows
    /// up to it.
    #[serde(default)]
    pub last_row: Option<u64>,
    /// The sizes of the review's row files, one per predicted status.
    #[serde(default)]
    pub row_files: Option<RowFiles>,
    /// When the review stops being confirmable (the review item's TTL too).
    #[serde(default)]
    pub review_expires_at: Option<i64>,
    /// When an import still waiting for its upload expires: the session's
    /// lifetime after its creation or its latest upload URL.
    #[serde(default)]
    pub upload_expires_at: Option<i64>,
    #[serde(default)]
    pub rows_total: u64,
    #[serde(default)]
    pub chunks_total: u32,
    /// Counters the workers add to, once per chunk.
    #[serde(default)]
    pub chunks_done: u32,
    #[serde(default)]
    pub rows_done: u64,
    #[serde(default)]
    pub imported: u64,
    #[serde(default)]
    pub updated: u64,
    #[serde(default)]
    pub skipped: u64,
    #[serde(default)]
    pub errors: u64,
    /// The tag naming this import's contacts, when `import_tag` is on.
    #[serde(default)]
    pub import_tag: Option<String>,
    /// New contacts the workspace could still create when the import was
    /// confirmed (`None`: unlimited); the workers share it out in file order.
    #[serde(default)]
    pub allowance: Option<u64>,
    /// Whether every chunk message has been sent.
    #[serde(default)]
    pub fanned_out: bool,
    #[serde(default)]
    pub available_until: Option<i64>,
    #[serde(default)]
    pub error: Option<String>,
    pub created_at: i64,
    /// Who created the import, as their token named them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default)]
    pub finished_at: Option<i64>,
}

impl ImportRecord {
    /// An import as it is created: waiting for its upload, its first
    /// validation to come.
    pub fn awaiting_upload(
        id: String,
        workspace: &str,
        file_name: &str,
        size_bytes: u64,
        options: ImportOptions,
        created_at: i64,
        upload_expires_at: i64,
    ) -> Self {
        Self {
            id,
            workspace: workspace.to_string(),
            status: ImportStatus::AwaitingUpload,
            file_name: file_name.to_string(),
            size_bytes,
            options,
            generation: 1,
            validating_message: None,
            dialect: None,
            headers: None,
            sheets: None,
            country_in_force: None,
            mapping: None,
            review: None,
            problems: Vec::new(),
            corrections: Corrections::default(),
            samples: Vec::new(),
            last_row: None,
            row_files: None,
            review_expires_at: None,
            upload_expires_at: Some(upload_expires_at),
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
            created_at,
            created_by: None,
            finished_at: None,
        }
    }

    /// The counts the workers have added up so far.
    pub fn outcomes(&self) -> Outcomes {
        Outcomes {
            imported: self.imported,
            updated: self.updated,
            skipped: self.skipped,
            errors: self.errors,
        }
    }
}

/// What the validator leaves for confirm and the workers, in S3 beside the
/// stage file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagePlan {
    pub generation: u32,
    pub chunks: Vec<ChunkSpan>,
}

/// New contacts a chunk may create, taken from `month`'s counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub granted: u64,
    pub month: String,
}

/// The byte sizes of a review's four row files, one per predicted status:
/// a page of rows reads byte ranges of them, never further than their end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowFiles {
    pub imported: u64,
    pub updated: u64,
    pub skipped: u64,
    pub error: u64,
}

impl RowFiles {
    /// The statuses in the order a cursor lists their offsets.
    pub const STATUSES: [Status; 4] = [
        Status::Imported,
        Status::Updated,
        Status::Skipped,
        Status::Error,
    ];

    pub fn size(&self, status: Status) -> u64 {
        match status {
            Status::Imported => self.imported,
            Status::Updated => self.updated,
            Status::Skipped => self.skipped,
            Status::Error => self.error,
        }
    }
}
