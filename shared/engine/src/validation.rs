//! Validation: read the file once to normalise and check every row, ask
//! the workspace about the file's identifiers, classify every row; then
//! (when files are wanted) read the file once more to write them, in the
//! file's row order.
//!
//! Memory holds a few bytes per row and one entry per distinct identifier;
//! the rows' text is never kept.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Mutex, mpsc};

use csv::StringRecord;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Serialize};

use crate::classify::{IdentifierFacts, Quota, Reason, RowFacts, Status, Verdict, classify};
use crate::dialect::{Dialect, DialectOptions};
use crate::fields::{ContactField, FieldRef};
use crate::files::{self, FileKind};
use crate::lookup::{ContactLookup, LOOKUP_BATCH, LookupError};
use crate::mapping::{self, Plan};
use crate::normalize::ValueError;
use crate::options::{Identifier, ImportOptions, MappingEntry, OptionsError, Purpose, Workspace};
use crate::reader::{ReadError, Records, RowPlace, Source, with_records};
use crate::refusal::Refusal;
use crate::row::{ContactDraft, RowRules};

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

/// One value that cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    Value { column: usize, error: ValueError },
    ExtraValues { count: usize },
}

/// What the first pass keeps of a row.
#[derive(Debug)]
struct ScannedRow {
    /// Index into the distinct identifiers.
    identifier: Option<u32>,
    problems: Option<Box<[Problem]>>,
    has_first_name: bool,
}

/// A distinct identifier of the file.
#[derive(Debug, Default, Clone, Copy)]
struct IdentifierUse {
    rows: u32,
    holders: u32,
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
    let default_country = options.check(workspace)?;
    let overrides = options.dialect.unwrap_or_default();
    with_records(source, overrides, |records| {
        let plan = match mapping::plan(&records.headers, options, workspace) {
            Ok(plan) => plan,
            Err(e) => return Ok(Err(e)),
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
        }))
    })?
    .map_err(ValidateError::from)
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
                let verdict = classify(self.purpose, facts, &mut quota);
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

struct Scanner<'a> {
    rules: RowRules<'a>,
}

type Identifiers = IndexMap<Box<str>, IdentifierUse, FxBuildHasher>;
type Scanned = (Vec<ScannedRow>, Identifiers);

/// Rows handed to a checking thread at a time.
const BATCH_ROWS: usize = 1024;

/// A batch of records read, and later the same records' results.
#[derive(Default)]
struct Batch {
    number: usize,
    records: Vec<StringRecord>,
    places: Vec<RowPlace>,
    checked: Vec<(ScannedRow, Option<String>)>,
}

impl Scanner<'_> {
    /// Reads on this thread while other threads check the rows (phone
    /// parsing dominates), then merges their results in file order, so the
    /// outcome is the same as one thread's.
    fn scan(&self, records: &mut Records<'_>) -> Result<Scanned, ReadError> {
        let checkers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let mut merged = Merged::default();
        let (to_check, inbox) = mpsc::sync_channel::<Batch>(checkers * 2);
        let inbox = Mutex::new(inbox);
        let (to_merge, checked) = mpsc::channel::<Batch>();
        std::thread::scope(|scope| {
            for _ in 0..checkers {
                let (inbox, to_merge) = (&inbox, to_merge.clone());
                scope.spawn(move || {
                    loop {
                        let next = inbox.lock().ok().and_then(|rx| rx.recv().ok());
                        let Some(mut batch) = next else { break };
                        batch.checked.clear();
                        let rows = batch.records.iter().zip(&batch.places);
                        batch
                            .checked
                            .extend(rows.map(|(record, place)| self.scan_row(record, *place)));
                        if to_merge.send(batch).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(to_merge);
            let mut spare: Vec<Batch> = Vec::new();
            let mut read = || -> Result<(), ReadError> {
                for number in 0.. {
                    let mut batch = spare.pop().unwrap_or_default();
                    batch.number = number;
                    let more = fill(&mut batch, records)?;
                    if !batch.places.is_empty() && to_check.send(batch).is_err() {
                        break;
                    }
                    while let Ok(done) = checked.try_recv() {
                        spare.extend(merged.add(done));
                    }
                    if !more {
                        break;
                    }
                }
                Ok(())
            };
            let read = read();
            drop(to_check);
            for done in checked {
                merged.add(done);
            }
            read
        })?;
        Ok((merged.rows, merged.identifiers))
    }

    /// Checks every mapped value of one row; answers the row and its
    /// normalised identifier.
    fn scan_row(&self, record: &StringRecord, place: RowPlace) -> (ScannedRow, Option<String>) {
        let mut problems = Vec::new();
        let mut key = None;
        if place.extra_values > 0 {
            problems.push(Problem::ExtraValues {
                count: place.extra_values,
            });
        }
        let plan = self.rules.plan;
        for &(column, target) in &plan.columns {
            let value = record.get(column).unwrap_or("").trim();
            if value.is_empty() {
                continue;
            }
            match self.rules.value(target, value) {
                Ok(stored) if Some(column) == plan.identifier_column => {
                    key = Some(stored.into_text())
                }
                Ok(_) => {}
                Err(error) => problems.push(Problem::Value { column, error }),
            }
        }
        let has_first_name = plan
            .first_name_column
            .is_some_and(|c| record.get(c).is_some_and(|v| !v.trim().is_empty()));
        let row = ScannedRow {
            identifier: None,
            problems: (!problems.is_empty()).then(|| problems.into_boxed_slice()),
            has_first_name,
        };
        (row, key)
    }
}

/// Reads up to [`BATCH_ROWS`] records into `batch`, reusing its records;
/// answers whether the file may have more.
fn fill(batch: &mut Batch, records: &mut Records<'_>) -> Result<bool, ReadError> {
    batch.places.clear();
    while batch.places.len() < BATCH_ROWS {
        let i = batch.places.len();
        if batch.records.len() == i {
            batch.records.push(StringRecord::new());
        }
        match records.next(&mut batch.records[i])? {
            Some(place) => batch.places.push(place),
            None => {
                batch.records.truncate(i);
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Checked batches put back in file order.
#[derive(Default)]
struct Merged {
    rows: Vec<ScannedRow>,
    identifiers: Identifiers,
    next: usize,
    waiting: BTreeMap<usize, Batch>,
}

impl Merged {
    /// Takes a checked batch and merges every batch now in order; answers
    /// the batches emptied, to reuse.
    fn add(&mut self, batch: Batch) -> Vec<Batch> {
        self.waiting.insert(batch.number, batch);
        let mut emptied = Vec::new();
        while let Some(mut batch) = self.waiting.remove(&self.next) {
            self.next += 1;
            for (row, key) in batch.checked.drain(..) {
                let identifier = key.map(|key| {
                    let entry = self.identifiers.entry(key.into_boxed_str());
                    let index = entry.index();
                    entry.or_default().rows += 1;
                    index as u32
                });
                self.rows.push(ScannedRow { identifier, ..row });
            }
            emptied.push(batch);
        }
        emptied
    }
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
            .map(|w| files::writer(w, delimiter, &self.headers, FileKind::Errors))
            .transpose()?;
        let mut preview = preview
            .map(|w| files::writer(w, delimiter, &self.headers, FileKind::Preview))
            .transpose()?;
        with_records(source, overrides, |records| {
            let mut record = StringRecord::new();
            let mut index = 0;
            while let Some(place) = records.next(&mut record)? {
                let (row, verdict) = self.scanned(index)?;
                index += 1;
                let to_errors = errors.as_mut().filter(|_| verdict.status == Status::Error);
                if to_errors.is_none() && preview.is_none() {
                    continue;
                }
                let message = self.describe(row, *verdict, &record);
                if let Some(w) = to_errors {
                    self.write_error_row(w, place, &record, &message)?;
                }
                if let Some(w) = preview.as_mut() {
                    let extra = [verdict.status.as_str(), message.as_str()];
                    files::write_row(w, &record, self.headers.len(), &extra)?;
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
    fn describe(&self, row: &ScannedRow, verdict: Verdict, record: &StringRecord) -> String {
        let header = |c: usize| self.headers.get(c).map_or("", String::as_str);
        let id_value = row
            .identifier
            .and_then(|i| self.identifiers.get_index(i as usize))
            .map_or("", |(k, _)| &**k);
        match verdict.reason {
            None => String::new(),
            Some(Reason::InvalidValues) => row
                .problems
                .iter()
                .flatten()
                .map(|p| match p {
                    Problem::Value { column, error } => {
                        format!(
                            "{}: \"{}\" {error}",
                            header(*column),
                            quote(record.get(*column).unwrap_or("").trim())
                        )
                    }
                    Problem::ExtraValues { count } => {
                        format!("the row has {count} more values than the header has columns")
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
            Some(reason) => self.wording().reason(reason, id_value),
        }
    }

    /// The words this validation's mapping gives row outcomes.
    pub fn wording(&self) -> Wording {
        Wording::new(self.identifier, &self.plan.entries)
    }

    /// Reads the file again and writes every row, in file order, as one JSON
    /// line of [`StagedRow`] for the import's workers: the original cells,
    /// the error when it holds whatever the workspace becomes, else the
    /// normalised identifier and contact. Rows are cut into chunks of
    /// `chunk_rows`; answers each chunk's byte range in what was written.
    /// The error file, when wanted, is written in the same reading.
    pub fn write_stage(
        &self,
        source: &(impl Source + ?Sized),
        options: &ImportOptions,
        workspace: &Workspace,
        chunk_rows: usize,
        out: &mut (dyn Write + '_),
        errors: Option<&mut (dyn Write + '_)>,
    ) -> Result<Vec<ChunkSpan>, ValidateError> {
        let mut errors = errors
            .map(|w| files::writer(w, self.dialect.delimiter, &self.headers, FileKind::Errors))
            .transpose()?;
        let default_country = options.check(workspace)?;
        let rules = RowRules {
            plan: &self.plan,
            workspace,
            default_country,
        };
        let overrides = self.dialect_in_force();
        let mut out = CountingWriter {
            inner: out,
            written: 0,
        };
        let mut chunks: Vec<ChunkSpan> = Vec::new();
        with_records(source, overrides, |records| {
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
                let fixed = matches!(
                    verdict.reason,
                    Some(
                        Reason::InvalidValues
                            | Reason::IdentifierEmpty
                            | Reason::RepeatedInFile { .. }
                    )
                );
                let draft = if fixed {
                    None
                } else {
                    rules.draft(&record).ok()
                };
                let message = (verdict.status == Status::Error)
                    .then(|| self.describe(row, *verdict, &record));
                if let (Some(w), Some(message)) = (errors.as_mut(), &message) {
                    self.write_error_row(w, place, &record, message)?;
                }
                let staged = StagedRow {
                    row: place.row,
                    // Values past the header's last column only ever make an
                    // error, and no file shows them: a row of a million empty
                    // values must not become a million strings.
                    cells: record
                        .iter()
                        .take(self.headers.len())
                        .map(str::to_string)
                        .collect(),
                    error: message.filter(|_| fixed),
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
            }
            Ok(())
        })?;
        out.flush()?;
        if let Some(w) = errors.as_mut() {
            w.flush()?;
        }
        Ok(chunks)
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
        w: &mut csv::Writer<W>,
        place: RowPlace,
        record: &StringRecord,
        message: &str,
    ) -> std::io::Result<()> {
        let located = format!("Row {}: {message}", place.row);
        files::write_row(w, record, self.headers.len(), &[&located])
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

struct CountingWriter<'w> {
    inner: &'w mut (dyn Write + 'w),
    written: u64,
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

/// The words a mapping gives the outcomes that depend on the workspace: the
/// validation's review and the workers' re-check say them alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    id_column: String,
    id_words: &'static str,
    first_name_column: Option<String>,
}

impl Wording {
    pub fn new(identifier: Option<Identifier>, mapping: &[MappingEntry]) -> Self {
        let column_of = |field: ContactField| {
            mapping
                .iter()
                .find(|e| e.field == Some(FieldRef::Contact(field)))
                .map(|e| e.column.clone())
        };
        Self {
            id_column: identifier
                .and_then(|i| column_of(i.field()))
                .unwrap_or_default(),
            id_words: identifier.map_or("", |i| i.field().words()),
            first_name_column: column_of(ContactField::FirstName),
        }
    }

    /// Why a row ends with `reason`; `id_value` is its normalised identifier.
    pub fn reason(&self, reason: Reason, id_value: &str) -> String {
        let id_column = &self.id_column;
        match reason {
            Reason::InvalidValues => "the row has invalid values".to_string(),
            Reason::IdentifierEmpty => {
                format!(
                    "{id_column}: empty, but the {} identifies each contact",
                    self.id_words
                )
            }
            Reason::RepeatedInFile { rows } => {
                format!("{id_column}: {id_value} is on {rows} rows of the file; keep it on one")
            }
            Reason::SharedByContacts { contacts } => {
                format!("{id_column}: {id_value} belongs to {contacts} contacts; merge them first")
            }
            Reason::AlreadyExists => {
                format!("{id_column}: a contact with {id_value} already exists")
            }
            Reason::NotFound => format!("{id_column}: no contact has {id_value}"),
            Reason::NoFirstName => match &self.first_name_column {
                Some(c) => format!("{c}: empty, but a new contact needs a first name"),
                None => "no column is mapped to first name, which a new contact needs".to_string(),
            },
            Reason::QuotaReached => "plan contact limit reached".to_string(),
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
