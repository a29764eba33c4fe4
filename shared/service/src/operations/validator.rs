//! The validator: an import's upload (its S3 event), or a re-validation
//! after new options, becomes a review. The file is read once to check
//! every row, the table is asked who holds the file's identifiers, the rows
//! are classified, and one more reading writes the error file, the
//! stage file the workers read and the review's rows (one file per
//! predicted status). Every reading sees the upload as the review's
//! corrections make it. A repeated event changes nothing; a
//! redelivery of the message whose function died runs the validation
//! again, and only the newest generation's review is ever stored.

use contact_engine::classify::Status;
use contact_engine::limits::MAX_FILE_BYTES;
use contact_engine::lookup::LOOKUP_BATCH;
use contact_engine::options::ImportOptions;
use contact_engine::reader::{FileSource, SheetSource, Source};
use contact_engine::refusal::Refusal;
use contact_engine::spreadsheet::{self, ConvertError, Sheets};
use contact_engine::{
    MappingReview, ReviewRowsOut, Scan, StageOut, ValidateError, Validation, scan_corrected,
};
use futures_util::future::try_join_all;

use super::config::Config;
use super::error::{AtStep, ServiceError};
use super::settings::workspace_facts;
use crate::records::time::now;
use crate::records::{CountryInForce, ImportRecord, ImportStatus, RowFiles, StagePlan};
use crate::store::retry::Retry;
use crate::store::{Store, StoreError};

/// Look-up calls a validation sends side by side (each of
/// [`LOOKUP_BATCH`] identifiers, its answers kept in file order): a
/// 200,000-row file's 2,000 calls take 63 round trips, not 2,000.
const LOOKUPS_AT_ONCE: usize = 32;

#[derive(Debug, Clone)]
pub struct Validator {
    store: Store,
    config: Config,
}

/// The file every reading of the upload reads: the upload itself, or for
/// a spreadsheet the CSV of its chosen sheet, written once beside it, and
/// the workbook's sheets.
fn readable(
    upload: &std::path::Path,
    options: &ImportOptions,
) -> Result<(Box<dyn Source + Send + Sync>, Option<Sheets>), Failure> {
    let csv = upload.with_extension("csv");
    let converted = tokio::task::block_in_place(|| {
        spreadsheet::convert_file(upload, options.sheet.as_deref(), &csv)
    });
    match converted {
        Ok(None) => Ok((Box::new(FileSource(upload.to_path_buf())), None)),
        Ok(Some(sheets)) => Ok((Box::new(SheetSource(csv)), Some(sheets))),
        Err(ConvertError::Refused(refusal)) => Err(Failure::Refused(refusal.to_string())),
        Err(ConvertError::Io(e)) => Err(ServiceError::failed("reading the spreadsheet", e).into()),
    }
}

/// Why the file is refused; for a spreadsheet, also which sheet was read
/// and which others there are to choose from.
fn refused_words(refusal: &Refusal, sheets: Option<&Sheets>) -> String {
    match sheets {
        Some(sheets) if sheets.names.len() > 1 => format!(
            "{refusal} (read from sheet \"{}\" of {}; choose another with the sheet option)",
            sheets.read,
            sheets.names.join(", ")
        ),
        _ => refusal.to_string(),
    }
}

/// How a validation ends without a review.
enum Failure {
    /// The file or the options are refused: the import fails with this reason.
    Refused(String),
    Service(ServiceError),
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

impl Validator {
    pub(crate) fn new(store: Store, config: Config) -> Self {
        Self { store, config }
    }

    /// Validates one import's upload, for SQS message `message`: its first
    /// validation (`generation` none), or a re-validation of `generation`.
    /// A repeated S3 event finds the import past `awaiting_upload` and does
    /// nothing; a redelivery of the message that started the validation
    /// (its function died) runs it again.
    pub async fn validate_upload(
        &self,
        ws: &str,
        import: &str,
        generation: Option<u32>,
        message: &str,
    ) -> Result<(), ServiceError> {
        let record = self
            .take_for_validation(ws, import, generation, message)
            .await?;
        let Some(record) = record else {
            return Ok(());
        };
        match self.review(&record).await {
            Ok(()) => Ok(()),
            Err(Failure::Refused(reason)) => {
                // A refusal may quote the file (a repeated header): masked.
                tracing::info!(
                    workspace = %ws,
                    import = %import,
                    reason = %contact_engine::mask::scrub(&reason),
                    "upload refused"
                );
                let failed = self
                    .store
                    .imports
                    .fail_validation(ws, import, record.generation, &reason, now())
                    .await;
                match failed {
                    Ok(()) | Err(StoreError::Conflict) => {}
                    Err(e) => return Err(e).at("recording the refusal"),
                }
                let _ = self.store.files.delete_upload(ws, import).await;
                Ok(())
            }
            Err(Failure::Service(e)) => Err(e),
        }
    }

    /// Takes the import into validation for this message; `None` when the
    /// message has nothing to do (a repeated S3 event, a stale re-validation).
    /// A re-validation message may arrive before its `PATCH` has stored the
    /// change (the message is sent first): it waits a little for it, then
    /// hands the message back to the queue.
    async fn take_for_validation(
        &self,
        ws: &str,
        import: &str,
        generation: Option<u32>,
        message: &str,
    ) -> Result<Option<ImportRecord>, ServiceError> {
        let imports = &self.store.imports;
        let mut tried = 0;
        loop {
            tried += 1;
            match imports
                .start_validation(ws, import, generation, message)
                .await
            {
                Ok(record) => return Ok(Some(record)),
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e).at("taking the import into validation"),
            }
            let Some(g) = generation else { return Ok(None) };
            let current = imports.import(ws, import).await.at("reading the import")?;
            let pending = current.is_some_and(|r| {
                (r.status == ImportStatus::Review && r.generation + 1 == g)
                    || (r.status == ImportStatus::Validating
                        && r.generation == g
                        && r.validating_message.is_none())
            });
            if !pending {
                return Ok(None);
            }
            if !Retry::RACE.wait(tried).await {
                return Err(ServiceError::failed(
                    "waiting for the re-validation's change",
                    "the change is not stored yet",
                ));
            }
        }
    }

    /// Reads the upload, classifies every row against the workspace, and
    /// leaves the error file, the stage file and its plan, then the review.
    async fn review(&self, record: &ImportRecord) -> Result<(), Failure> {
        let ws = &record.workspace;
        let files = &self.store.files;
        let size = files
            .upload_size(ws, &record.id)
            .await
            .at("looking for the upload")?;
        match size {
            None => return Err(Failure::Refused("the upload is missing".into())),
            Some(size) if size > MAX_FILE_BYTES => {
                return Err(Failure::Refused(Refusal::TooLarge { size }.to_string()));
            }
            // S3 takes no other length than the signed one; a store that
            // does not check (moto), or a client that declared wrong, gets
            // the difference said plainly rather than a file cut mid-row.
            Some(size) if size != record.size_bytes => {
                let refusal = Refusal::NotAsDeclared {
                    received: size,
                    declared: record.size_bytes,
                };
                return Err(Failure::Refused(refusal.to_string()));
            }
            Some(_) => {}
        }
        let folder = tempfile::tempdir().at("making a working folder")?;
        let file = folder.path().join("upload");
        files
            .download_upload(ws, &record.id, &file)
            .await
            .at("downloading the upload")?;
        let workspace = workspace_facts(&self.store, ws).await?;
        let options = &record.options;
        let (source, sheets) = readable(&file, options)?;
        // Reading and checking is CPU work on every core: kept off the async
        // workers' backs. Then the table is asked about the identifiers,
        // and the rows are classified.
        let corrections = &record.corrections;
        let scanned = tokio::task::block_in_place(|| {
            scan_corrected(&*source, options, &workspace, corrections)
        });
        let validation = match scanned {
            Ok(scanned) => self.classify(ws, scanned).await?,
            Err(ValidateError::Mapping(found)) => {
                let country = CountryInForce::of(options, &workspace);
                let stopped = ImportRecord {
                    sheets,
                    ..record.clone()
                };
                return Ok(self.stop_for_mapping(&stopped, *found, country).await?);
            }
            Err(ValidateError::Refused(r)) => {
                return Err(Failure::Refused(refused_words(&r, sheets.as_ref())));
            }
            Err(ValidateError::Options(o)) => return Err(Failure::Refused(o.to_string())),
            Err(e) => return Err(ServiceError::failed("reading the upload", e).into()),
        };
        let errors_path = folder.path().join("errors.csv");
        let stage_path = folder.path().join("stage.jsonl");
        let rows_paths = RowFiles::STATUSES.map(|status| {
            let name = format!("rows-{}.jsonl", status.as_str().to_ascii_lowercase());
            (status, folder.path().join(name))
        });
        // One more reading writes the error file, the stage file and the
        // review's rows.
        let chunk_rows = self.config.chunk_rows;
        let staged = tokio::task::block_in_place(|| -> Result<_, ValidateError> {
            let create = |path: &std::path::Path| -> std::io::Result<_> {
                Ok(std::io::BufWriter::new(std::fs::File::create(path)?))
            };
            let mut errors = create(&errors_path)?;
            let mut stage = create(&stage_path)?;
            let mut writers = Vec::with_capacity(rows_paths.len());
            for (_, path) in &rows_paths {
                writers.push(create(path)?);
            }
            let [imported, updated, skipped, error] = writers.as_mut_slice() else {
                unreachable!("one writer per status");
            };
            let rows = ReviewRowsOut {
                imported,
                updated,
                skipped,
                error,
            };
            validation.write_stage(
                &*source,
                options,
                &workspace,
                chunk_rows,
                StageOut {
                    stage: &mut stage,
                    errors: Some(&mut errors),
                    rows: Some(rows),
                },
            )
        })
        .at("writing the error, stage and review rows files")?;
        let g = record.generation;
        files
            .put_review_files(ws, &record.id, g, &errors_path, &stage_path)
            .await
            .at("storing the error and stage files")?;
        let rows_files: Vec<(Status, &std::path::Path)> = rows_paths
            .iter()
            .map(|(status, path)| (*status, path.as_path()))
            .collect();
        files
            .put_review_rows(ws, &record.id, g, &rows_files)
            .await
            .at("storing the review's rows")?;
        let size = |i: usize| std::fs::metadata(&rows_paths[i].1).map(|m| m.len());
        let row_files = RowFiles {
            imported: size(0).at("measuring the review's rows")?,
            updated: size(1).at("measuring the review's rows")?,
            skipped: size(2).at("measuring the review's rows")?,
            error: size(3).at("measuring the review's rows")?,
        };
        let plan = StagePlan {
            generation: g,
            chunks: staged.chunks,
        };
        files
            .put_plan(ws, &record.id, &plan)
            .await
            .at("storing the stage plan")?;
        let summary = validation.summary();
        let reviewed = ImportRecord {
            dialect: Some(summary.dialect),
            headers: Some(summary.headers),
            sheets,
            country_in_force: Some(CountryInForce::of(options, &workspace)),
            mapping: Some(summary.mapping),
            review: Some(summary.review),
            problems: Vec::new(),
            rows_total: summary.review.rows,
            samples: staged.samples,
            last_row: Some(staged.last_row),
            row_files: Some(row_files),
            review_expires_at: Some(self.review_deadline()),
            ..record.clone()
        };
        tracing::info!(
            workspace = %ws,
            import = %record.id,
            generation = g,
            rows = summary.review.rows,
            to_add = summary.review.to_add,
            to_update = summary.review.to_update,
            to_skip = summary.review.to_skip,
            errors = summary.review.errors,
            "upload reviewed"
        );
        Ok(self.store_review(&reviewed).await?)
    }

    /// When a review stored now stops being confirmable.
    fn review_deadline(&self) -> i64 {
        now() + self.config.review_ttl.as_secs() as i64
    }

    async fn store_review(&self, reviewed: &ImportRecord) -> Result<(), ServiceError> {
        match self.store.imports.finish_validation(reviewed).await {
            // A newer validation (new options) or a cancel overtook this one.
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(ServiceError::store("storing the review", e)),
        }
    }

    /// A file whose headers do not fit the mapping stops in review, with
    /// no counts: what was found, and what the mapping must change. A
    /// `PATCH` of the options validates the same upload again; confirm
    /// refuses until then.
    async fn stop_for_mapping(
        &self,
        record: &ImportRecord,
        found: MappingReview,
        country: CountryInForce,
    ) -> Result<(), ServiceError> {
        tracing::info!(
            workspace = %record.workspace,
            import = %record.id,
            generation = record.generation,
            problems = found.problems.len(),
            "upload reviewed: the mapping must change"
        );
        let reviewed = ImportRecord {
            dialect: Some(found.dialect),
            headers: Some(found.headers),
            country_in_force: Some(country),
            mapping: Some(found.mapping),
            review: None,
            problems: found.problems,
            samples: found.samples,
            review_expires_at: Some(self.review_deadline()),
            ..record.clone()
        };
        self.store_review(&reviewed).await
    }

    /// Asks the table which contacts hold each identifier a scan found,
    /// [`LOOKUP_BATCH`] a call and [`LOOKUPS_AT_ONCE`] calls side by side
    /// (the answers kept in file order), then classifies the rows.
    async fn classify(&self, ws: &str, scanned: Scan) -> Result<Validation, ServiceError> {
        let mut holders = Vec::new();
        if let Some(questions) = scanned.questions() {
            let batches: Vec<&[&str]> = questions.values.chunks(LOOKUP_BATCH).collect();
            for wave in batches.chunks(LOOKUPS_AT_ONCE) {
                let asked = wave
                    .iter()
                    .map(|batch| self.store.contacts.holders(ws, questions.identifier, batch));
                let answers = try_join_all(asked)
                    .await
                    .at("looking up the file's identifiers")?;
                holders.extend(answers.iter().flatten().map(|ids| ids.len() as u32));
            }
        }
        scanned.classify(&holders).at("classifying the rows")
    }
}
