//! Validation: read the file once to normalise and check every row, ask
//! the workspace about the file's identifiers, classify every row; then
//! (when files are wanted) read the file once more to write them, in the
//! file's row order. The first reading is `scanner`'s; the second writes
//! the error file, the preview, or the stage file (`stage`) the workers read.
//!
//! Memory holds a few bytes per row and one entry per distinct identifier;
//! the rows' text is never kept.

mod mapping_review;
mod review_rows;
mod scanner;
mod stage;
mod wording;

use std::io::Write;

use csv::StringRecord;
use serde::{Deserialize, Serialize};

use crate::classify::{IdentifierFacts, Quota, Reason, RowFacts, Status, Verdict, classify};
use crate::corrections::Corrections;
use crate::dialect::{Dialect, DialectOptions};
use crate::files::{FileKind, FileWriter};
use crate::lookup::{ContactLookup, LOOKUP_BATCH, LookupError};
use crate::mapping::{self, Plan};
use crate::options::{Identifier, ImportOptions, MappingEntry, OptionsError, Purpose, Workspace};
use crate::reader::{ReadError, RowPlace, Source, with_records};
use crate::refusal::Refusal;
use crate::row::RowRules;

use self::mapping_review::mapping_review;
pub use self::mapping_review::{MappingProblem, MappingReview};
use self::review_rows::Samples;
pub use self::review_rows::{ReviewRow, ReviewRowsOut, RowIssue};
use self::scanner::{Identifiers, Problem, ScannedRow, Scanner};
use self::stage::CountingWriter;
pub use self::stage::{ChunkSpan, StagedRow};
pub use self::wording::Wording;

/// Counts of the rows' predicted outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub rows: u64,
    pub to_add: u64,
    pub to_update: u64,
    pub to_skip: u64,
    pub errors: u64,
}

impl Review {
    fn count(&mut self, status: Status) {
        self.rows += 1;
        match status {
            Status::Imported => self.to_add += 1,
            Status::Updated => self.to_update += 1,
            Status::Skipped => self.to_skip += 1,
            Status::Error => self.errors += 1,
        }
    }
}

/// Why validation could not produce a review.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Options(#[from] OptionsError),
    /// The options are fine but the file's headers do not fit the mapping:
    /// what was found, and what to change.
    #[error("{0}")]
    Mapping(Box<MappingReview>),
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error("the file could not be read or written: {0}")]
    Io(#[from] std::io::Error),
}

impl From<ReadError> for ValidateError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Refused(r) => Self::Refused(r),
            ReadError::Io(io) => Self::Io(io),
            // `with_records` reads the file again instead of answering this.
            ReadError::NotUtf8AfterAll => Self::Io(std::io::Error::other(e.to_string())),
        }
    }
}

/// A validated file: the dialect, the mapping in force, the review, and what
/// is needed to write each row's outcome.
#[derive(Debug)]
pub struct Validation {
    pub dialect: Dialect,
    pub headers: Vec<String>,
    pub review: Review,
    plan: Plan,
    identifier: Option<Identifier>,
    rows: Vec<ScannedRow>,
    verdicts: Vec<Verdict>,
    identifiers: Identifiers,
    corrections: Corrections,
}

/// Where [`Validation::write_stage`] writes: the stage file, and the error
/// file and the review's rows when wanted.
pub struct StageOut<'w> {
    pub stage: &'w mut (dyn Write + 'w),
    pub errors: Option<&'w mut (dyn Write + 'w)>,
    pub rows: Option<ReviewRowsOut<'w>>,
}

/// What writing the stage learnt of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    /// Each chunk's byte range in the stage file.
    pub chunks: Vec<ChunkSpan>,
    /// A few values of each column, for choosing the mapping.
    pub samples: Vec<Vec<String>>,
    /// The last data row's number: the rows a correction may name end there.
    pub last_row: u64,
}

/// The shape of an import's validation the API and the command line show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationSummary {
    pub dialect: Dialect,
    pub headers: Vec<String>,
    pub mapping: Vec<MappingEntry>,
    pub review: Review,
}

/// A file read once and every row checked, before the workspace is asked
/// about the file's identifiers: the first of validation's three steps.
/// The second is the caller's (see [`Scan::questions`]): an engine with no
/// I/O of its own leaves the asking to whoever holds the workspace, be it a
/// table behind the network or a map in memory. The third,
/// [`Scan::classify`], ends each row as the table of IMPORT.md says.
#[derive(Debug)]
pub struct Scan {
    dialect: Dialect,
    headers: Vec<String>,
    plan: Plan,
    purpose: Purpose,
    identifier: Option<Identifier>,
    remaining_quota: Option<u64>,
    rows: Vec<ScannedRow>,
    identifiers: Identifiers,
    corrections: Corrections,
}

/// What the workspace must be asked: which of its contacts hold each value
/// of the identifier in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Questions<'s> {
    pub identifier: Identifier,
    /// Normalised values (E.164 phones, lower-case emails, contact ids),
    /// each once, in the order of their first row.
    pub values: Vec<&'s str>,
}

/// Reads `source` and checks every row against `options` and the
/// workspace's settings; CPU work on as many threads as there are cores.
pub fn scan(
    source: &(impl Source + ?Sized),
    options: &ImportOptions,
    workspace: &Workspace,
) -> Result<Scan, ValidateError> {
    scan_corrected(source, options, workspace, &Corrections::default())
}

/// [`scan`], of the file as the review's `corrections` make it.
pub fn scan_corrected(
    source: &(impl Source + ?Sized),
    options: &ImportOptions,
    workspace: &Workspace,
    corrections: &Corrections,
) -> Result<Scan, ValidateError> {
    let default_country = options.check(workspace)?;
    let overrides = options.dialect.unwrap_or_default();
    with_records(source, overrides, |records| {
        records.correct(corrections);
        let plan = match mapping::plan(&records.headers, options, workspace) {
            Ok(plan) => plan,
            Err(e) if e.is_mapping_problem() => {
                let found = mapping_review(records, options, workspace, default_country, &e)?;
                return Ok(Err(ValidateError::Mapping(Box::new(found))));
            }
            Err(e) => return Ok(Err(e.into())),
        };
        let rules = RowRules {
            plan: &plan,
            workspace,
            default_country,
        };
        let (rows, identifiers) = Scanner { rules }.scan(records)?;
        Ok(Ok(Scan {
            dialect: records.dialect,
            headers: records.headers.clone(),
            plan,
            purpose: options.purpose,
            identifier: options.identifier_in_force(),
            remaining_quota: workspace.remaining_quota,
            rows,
            identifiers,
            corrections: corrections.clone(),
        }))
    })?
}

impl Scan {
    /// What the workspace must be asked, `None` when nothing (`add_all`
    /// identifies no one). Only values that stand on one row are asked
    /// about: a value repeated in the file is an error whatever the
    /// workspace holds.
    pub fn questions(&self) -> Option<Questions<'_>> {
        let identifier = self.identifier?;
        let values = self
            .identifiers
            .iter()
            .filter(|(_, used)| used.rows == 1)
            .map(|(value, _)| &**value)
            .collect();
        Some(Questions { identifier, values })
    }

    /// Ends every row, in file order (the quota goes to the first rows that
    /// create a contact), given how many workspace contacts hold each value
    /// asked about, in the order [`Scan::questions`] gave them.
    pub fn classify(mut self, holders: &[u32]) -> Result<Validation, ValidateError> {
        let asked: Vec<usize> = (0..self.identifiers.len())
            .filter(|i| self.identifiers[*i].rows == 1)
            .collect();
        if self.identifier.is_some() && asked.len() != holders.len() {
            return Err(LookupError(format!(
                "asked about {} identifiers, told about {}",
                asked.len(),
                holders.len()
            ))
            .into());
        }
        for (i, count) in asked.into_iter().zip(holders) {
            self.identifiers[i].holders = *count;
        }
        let identifier = self.identifier;
        let mut quota = Quota(self.remaining_quota);
        let mut review = Review::default();
        let verdicts = self
            .rows
            .iter()
            .map(|row| {
                let facts = RowFacts {
                    invalid_values: row.problems.is_some(),
                    identifier: match (identifier, row.identifier) {
                        (None, _) => IdentifierFacts::NotUsed,
                        (Some(_), None) => IdentifierFacts::Empty,
                        (Some(_), Some(i)) => {
                            let used = self.identifiers[i as usize];
                            IdentifierFacts::Present {
                                rows_in_file: used.rows,
                                holders: used.holders,
                            }
                        }
                    },
                    has_first_name: row.has_first_name,
                };
                let verdict = if row.dropped {
                    Verdict::dropped()
                } else {
                    classify(self.purpose, facts, &mut quota)
                };
                review.count(verdict.status);
                verdict
            })
            .collect();
        Ok(Validation {
            dialect: self.dialect,
            headers: self.headers,
            review,
            plan: self.plan,
            identifier,
            rows: self.rows,
            verdicts,
            identifiers: self.identifiers,
            corrections: self.corrections,
        })
    }
}

/// Validates `source` against a workspace whose contacts `lookup` answers
/// for at once (in memory): the three steps in a row.
pub fn validate(
    source: &(impl Source + ?Sized),
    options: &ImportOptions,
    workspace: &Workspace,
    lookup: &impl ContactLookup,
) -> Result<Validation, ValidateError> {
    let scanned = scan(source, options, workspace)?;
    let mut holders = Vec::new();
    if let Some(questions) = scanned.questions() {
        for batch in questions.values.chunks(LOOKUP_BATCH) {
            let answers = lookup.holders(questions.identifier, batch)?;
            if answers.len() != batch.len() {
                return Err(LookupError(format!(
                    "asked about {} identifiers, told about {}",
                    batch.len(),
                    answers.len()
                ))
                .into());
            }
            holders.extend(
                answers
                    .iter()
                    .map(|ids| u32::try_from(ids.len()).unwrap_or(u32::MAX)),
            );
        }
    }
    scanned.classify(&holders)
}

/// The most of a cell's value a message quotes.
const QUOTED_CHARS: usize = 40;

impl Validation {
    pub fn summary(&self) -> ValidationSummary {
        ValidationSummary {
            dialect: self.dialect,
            headers: self.headers.clone(),
            mapping: self.plan.entries.clone(),
            review: self.review,
        }
    }

    /// Each row's predicted status, in file order.
    pub fn statuses(&self) -> impl Iterator<Item = Status> + '_ {
        self.verdicts.iter().map(|v| v.status)
    }

    /// Reads the file again and writes the error file (rows in error, with
    /// `Error`) and the preview (every row, with `Predicted Status` and
    /// `Errors`) to the writers given, in the file's row order.
    pub fn write_files(
        &self,
        source: &(impl Source + ?Sized),
        errors: Option<&mut (dyn Write + '_)>,
        preview: Option<&mut (dyn Write + '_)>,
    ) -> Result<(), ValidateError> {
        let overrides = self.dialect_in_force();
        let delimiter = self.dialect.delimiter;
        let mut errors = errors
            .map(|w| FileWriter::new(w, delimiter, &self.headers, FileKind::Errors))
            .transpose()?;
        let mut preview = preview
            .map(|w| FileWriter::new(w, delimiter, &self.headers, FileKind::Preview))
            .transpose()?;
        with_records(source, overrides, |records| {
            records.correct(&self.corrections);
            let mut record = StringRecord::new();
            let mut index = 0;
            while let Some(place) = records.next(&mut record)? {
                let (row, verdict) = self.scanned(index)?;
                index += 1;
                let to_errors = errors.as_mut().filter(|_| verdict.status == Status::Error);
                if to_errors.is_none() && preview.is_none() {
                    continue;
                }
                let message = self.describe(row, *verdict, &record, place.row);
                if let Some(w) = to_errors {
                    self.write_error_row(w, place, &record, &message)?;
                }
                if let Some(w) = preview.as_mut() {
                    let extra = [verdict.status.as_str(), message.as_str()];
                    w.row(&record, &extra)?;
                }
            }
            Ok(())
        })?;
        if let Some(w) = errors.as_mut() {
            w.flush()?;
        }
        if let Some(w) = preview.as_mut() {
            w.flush()?;
        }
        Ok(())
    }

    /// Why a row ends as it does, in plain words naming the columns; empty
    /// for rows imported or updated.
    fn describe(
        &self,
        row: &ScannedRow,
        verdict: Verdict,
        record: &StringRecord,
        row_number: u64,
    ) -> String {
        let issues = self.issues(row, verdict, record, row_number);
        let messages: Vec<&str> = issues.iter().map(|i| i.message.as_str()).collect();
        messages.join("; ")
    }

    /// Each reason a row ends as it does, beside the column it names.
    fn issues(
        &self,
        row: &ScannedRow,
        verdict: Verdict,
        record: &StringRecord,
        row_number: u64,
    ) -> Vec<RowIssue> {
        let header = |c: usize| self.headers.get(c).map_or("", String::as_str);
        let identifier = row
            .identifier
            .and_then(|i| self.identifiers.get_index(i as usize));
        let id_value = identifier.map_or("", |(k, _)| &**k);
        let id_column = self.plan.identifier_column;
        match verdict.reason {
            None => Vec::new(),
            Some(Reason::RepeatedInFile { rows }) => {
                let other = identifier.and_then(|(_, used)| used.other_row(row_number));
                vec![RowIssue {
                    column: id_column,
                    message: self.wording().repeated(rows, id_value, other),
                }]
            }
            Some(Reason::InvalidValues) => row
                .problems
                .iter()
                .flatten()
                .map(|p| match p {
                    Problem::Value { column, error } => RowIssue {
                        column: Some(*column),
                        message: format!(
                            "{}: \"{}\" {error}",
                            header(*column),
                            quote(record.get(*column).unwrap_or("").trim())
                        ),
                    },
                    Problem::ExtraValues { count } => RowIssue {
                        column: None,
                        message: format!(
                            "the row has {count} more values than the header has columns"
                        ),
                    },
                })
                .collect(),
            Some(reason) => {
                let column = match reason {
                    Reason::IdentifierEmpty
                    | Reason::SharedByContacts { .. }
                    | Reason::AlreadyExists
                    | Reason::NotFound => id_column,
                    Reason::NoFirstName => self.plan.first_name_column,
                    _ => None,
                };
                vec![RowIssue {
                    column,
                    message: self.wording().reason(reason, id_value),
                }]
            }
        }
    }

    /// The words this validation's mapping gives row outcomes.
    pub fn wording(&self) -> Wording {
        Wording::new(self.identifier, &self.plan.entries)
    }

    /// Reads the file again and writes every row, in file order, as one JSON
    /// line of [`StagedRow`] for the import's workers: the cells (as the
    /// review corrected them), the outcome when it holds whatever the
    /// workspace becomes, else the normalised identifier and contact. Rows
    /// are cut into chunks of `chunk_rows`; answers each chunk's byte range
    /// in what was written. The error file and the review's rows, when
    /// wanted, are written in the same reading.
    pub fn write_stage(
        &self,
        source: &(impl Source + ?Sized),
        options: &ImportOptions,
        workspace: &Workspace,
        chunk_rows: usize,
        out: StageOut<'_>,
    ) -> Result<Staged, ValidateError> {
        let StageOut {
            stage,
            errors,
            mut rows,
        } = out;
        let mut errors = errors
            .map(|w| FileWriter::new(w, self.dialect.delimiter, &self.headers, FileKind::Errors))
            .transpose()?;
        let default_country = options.check(workspace)?;
        let rules = RowRules {
            plan: &self.plan,
            workspace,
            default_country,
        };
        let overrides = self.dialect_in_force();
        let mut out = CountingWriter {
            inner: stage,
            written: 0,
        };
        let mut chunks: Vec<ChunkSpan> = Vec::new();
        let mut samples = Samples::new(self.headers.len());
        let mut last_row = 0;
        with_records(source, overrides, |records| {
            records.correct(&self.corrections);
            let mut record = StringRecord::new();
            let mut line = Vec::new();
            let mut index = 0usize;
            while let Some(place) = records.next(&mut record)? {
                let (row, verdict) = self.scanned(index)?;
                if index.is_multiple_of(chunk_rows.max(1)) {
                    chunks.push(ChunkSpan {
                        index: chunks.len() as u32,
                        first_row: place.row,
                        rows: 0,
                        start: out.written,
                        end: out.written,
                        adds: 0,
                    });
                }
                index += 1;
                last_row = place.row;
                if !place.dropped {
                    samples.take(record.iter());
                }
                // Outcomes no workspace can change: the workers write them
                // as they are.
                let fixed = matches!(
                    verdict.reason,
                    Some(
                        Reason::InvalidValues
                            | Reason::IdentifierEmpty
                            | Reason::RepeatedInFile { .. }
                            | Reason::Dropped
                    )
                );
                let draft = if fixed {
                    None
                } else {
                    rules.draft(&record).ok()
                };
                let issues = if verdict.reason.is_some() {
                    self.issues(row, *verdict, &record, place.row)
                } else {
                    Vec::new()
                };
                let message = (!issues.is_empty()).then(|| {
                    let messages: Vec<&str> = issues.iter().map(|i| i.message.as_str()).collect();
                    messages.join("; ")
                });
                if verdict.status == Status::Error
                    && let (Some(w), Some(message)) = (errors.as_mut(), &message)
                {
                    self.write_error_row(w, place, &record, message)?;
                }
                // Values past the header's last column only ever make an
                // error, and no file shows them: a row of a million empty
                // values must not become a million strings.
                let cells: Vec<String> = record
                    .iter()
                    .take(self.headers.len())
                    .map(str::to_string)
                    .collect();
                let (error, skipped) = match (fixed, verdict.status) {
                    (false, _) => (None, None),
                    (true, Status::Skipped) => (None, message),
                    (true, _) => (message, None),
                };
                let staged = StagedRow {
                    row: place.row,
                    cells,
                    error,
                    skipped,
                    key: row
                        .identifier
                        .and_then(|i| self.identifiers.get_index(i as usize))
                        .map(|(k, _)| k.to_string()),
                    draft,
                };
                line.clear();
                serde_json::to_writer(&mut line, &staged).map_err(std::io::Error::other)?;
                line.push(b'\n');
                out.write_all(&line)?;
                let chunk = chunks.last_mut().expect("a chunk was opened");
                chunk.rows += 1;
                chunk.end = out.written;
                if verdict.status == Status::Imported {
                    chunk.adds += 1;
                }
                if let Some(rows) = rows.as_mut() {
                    let corrected = self
                        .corrections
                        .of_row(place.row)
                        .map(|c| c.cells.iter().map(|c| c.column).collect())
                        .unwrap_or_default();
                    let shown = ReviewRow {
                        row: place.row,
                        status: verdict.status,
                        cells: staged.cells,
                        issues,
                        corrected,
                        dropped: place.dropped,
                    };
                    rows.write(&shown, &mut line)?;
                }
            }
            Ok(())
        })?;
        out.flush()?;
        if let Some(w) = errors.as_mut() {
            w.flush()?;
        }
        if let Some(rows) = rows.as_mut() {
            rows.flush()?;
        }
        Ok(Staged {
            chunks,
            samples: samples.into_columns(),
            last_row,
        })
    }

    /// The first reading's row and verdict at `index` of the second.
    fn scanned(&self, index: usize) -> std::io::Result<(&ScannedRow, &Verdict)> {
        match (self.rows.get(index), self.verdicts.get(index)) {
            (Some(row), Some(verdict)) => Ok((row, verdict)),
            _ => Err(std::io::Error::other(
                "the file changed between two readings",
            )),
        }
    }

    /// A row of the error file: the error file holds some rows only, so each
    /// message says where its row stood.
    fn write_error_row<W: Write>(
        &self,
        w: &mut FileWriter<W>,
        place: RowPlace,
        record: &StringRecord,
        message: &str,
    ) -> std::io::Result<()> {
        let located = format!("Row {}: {message}", place.row);
        w.row(record, &[&located])
    }

    /// The dialect found, given as overrides so a second reading sees the
    /// file exactly as the first did.
    fn dialect_in_force(&self) -> DialectOptions {
        DialectOptions {
            delimiter: Some(self.dialect.delimiter),
            enclosure: Some(self.dialect.enclosure),
            encoding: Some(self.dialect.encoding),
        }
    }
}

fn quote(value: &str) -> String {
    if value.chars().count() <= QUOTED_CHARS {
        value.to_string()
    } else {
        value
            .chars()
            .take(QUOTED_CHARS)
            .chain("…".chars())
            .collect()
    }
}
