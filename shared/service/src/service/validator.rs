//! The `validate` function: an upload's S3 event (delivered through SQS), or
//! a re-validation after new options, becomes a review.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use serde::Deserialize;

use super::error::ServiceError;
use super::model::{ImportRecord, ImportStatus, Revalidate, StagePlan, now};
use super::{CHUNK_ROWS, Service};
use crate::store::{StoreError, keys};
use contact_engine::limits::MAX_FILE_BYTES;
use contact_engine::lookup::{LOOKUP_BATCH, LookupError};
use contact_engine::reader::FileSource;
use contact_engine::{Scan, ValidateError, Validation, scan};

/// Tries at taking an import that a concurrent `PATCH` is about to store.
const RACE_TRIES: usize = 25;

/// What an uploads-queue message asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Request {
    /// Validate the upload at this object key (decoded) for the first time.
    Upload {
        key: String,
    },
    Revalidate(Revalidate),
    /// S3's test event, sent when notifications are set up.
    Nothing,
}

#[derive(Deserialize)]
struct S3Notification {
    #[serde(rename = "Records", default)]
    records: Vec<S3Record>,
    #[serde(rename = "Event")]
    event: Option<String>,
}

#[derive(Deserialize)]
struct S3Record {
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    object: S3Object,
}

#[derive(Deserialize)]
struct S3Object {
    key: String,
}

/// Reads a message body. S3 writes object keys URL-encoded, with `+` for
/// spaces.
pub(super) fn parse(body: &str) -> Result<Vec<Request>, String> {
    if let Ok(revalidate) = serde_json::from_str::<Revalidate>(body) {
        return Ok(vec![Request::Revalidate(revalidate)]);
    }
    let notification: S3Notification =
        serde_json::from_str(body).map_err(|e| format!("not an S3 event: {e}"))?;
    if notification.event.as_deref() == Some("s3:TestEvent") {
        return Ok(vec![Request::Nothing]);
    }
    notification
        .records
        .into_iter()
        .map(|r| {
            let plus_decoded = r.s3.object.key.replace('+', " ");
            percent_encoding::percent_decode_str(&plus_decoded)
                .decode_utf8()
                .map(|k| Request::Upload {
                    key: k.into_owned(),
                })
                .map_err(|e| format!("undecodable object key: {e}"))
        })
        .collect()
}

impl Service {
    /// The Lambda handler: each message on its own, failures reported per
    /// message so one bad upload never holds back the others.
    pub async fn handle_uploads(&self, event: SqsEvent) -> SqsBatchResponse {
        // Boxed: the validation's future is deep enough to strain the compiler.
        super::per_message("validate", &event, |m| {
            super::tried_again(move || Box::pin(self.handle_upload_message(m)))
        })
        .await
    }

    async fn handle_upload_message(&self, message: &SqsMessage) -> Result<(), ServiceError> {
        let id = message.message_id.as_deref().unwrap_or("");
        let body = message.body.as_deref().unwrap_or("");
        let requests = parse(body).map_err(|e| ServiceError::bad_request("bad_message", e))?;
        for request in requests {
            match request {
                Request::Nothing => {}
                Request::Upload { key } => {
                    let Some((ws, import)) = keys::parse_upload_object(&key) else {
                        tracing::warn!(
                            key = %contact_engine::mask::scrub(&key),
                            "validate: not an upload's object; ignored"
                        );
                        continue;
                    };
                    self.validate_upload(ws, import, None, id).await?;
                }
                Request::Revalidate(r) => {
                    self.validate_upload(&r.workspace, &r.import, Some(r.generation), id)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Validates one import's upload. A repeated S3 event finds the import
    /// past `awaiting_upload` and does nothing; a redelivery of the message
    /// that started the validation (its function died) runs it again.
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
                match self
                    .table
                    .fail_validation(ws, import, record.generation, &reason, now())
                    .await
                {
                    Ok(()) | Err(StoreError::Conflict) => {}
                    Err(e) => return Err(e.into()),
                }
                let _ = self.bucket.delete(&keys::upload_object(ws, import)).await;
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
        for _ in 0..RACE_TRIES {
            match self
                .table
                .start_validation(ws, import, generation, message)
                .await
            {
                Ok(record) => return Ok(Some(record)),
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
            let Some(g) = generation else { return Ok(None) };
            let current = self.table.import(ws, import).await?;
            let pending = current.is_some_and(|r| {
                (r.status == ImportStatus::Review && r.generation + 1 == g)
                    || (r.status == ImportStatus::Validating
                        && r.generation == g
                        && r.validating_message.is_none())
            });
            if !pending {
                return Ok(None);
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        Err(ServiceError::Internal(
            "the re-validation's change is not stored yet".into(),
        ))
    }

    /// Reads the upload, classifies every row against the workspace, and
    /// leaves the error file, the stage file and its plan, then the review.
    async fn review(&self, record: &ImportRecord) -> Result<(), Failure> {
        let ws = &record.workspace;
        let upload = keys::upload_object(ws, &record.id);
        match self.bucket.size(&upload).await? {
            None => return Err(Failure::Refused("the upload is missing".into())),
            Some(size) if size > MAX_FILE_BYTES => {
                return Err(Failure::Refused(
                    contact_engine::refusal::Refusal::TooLarge { size }.to_string(),
                ));
            }
            Some(_) => {}
        }
        let folder = tempfile::tempdir().map_err(internal)?;
        let file = folder.path().join("upload");
        self.bucket.download(&upload, &file).await?;
        let workspace = self.workspace(ws).await?;
        let source = FileSource(file.clone());
        let options = &record.options;
        // Reading and checking is CPU work on every core: kept off the async
        // workers' backs. Then the table is asked about the identifiers,
        // and the rows are classified.
        let scanned = tokio::task::block_in_place(|| scan(&source, options, &workspace));
        let validation = match self.classify(ws, scanned).await {
            Ok(v) => v,
            Err(ValidateError::Refused(r)) => return Err(Failure::Refused(r.to_string())),
            Err(ValidateError::Options(o)) => return Err(Failure::Refused(o.to_string())),
            Err(ValidateError::Lookup(e)) => {
                return Err(Failure::Service(ServiceError::Internal(e.to_string())));
            }
            Err(ValidateError::Io(e)) => return Err(internal(e)),
        };
        let errors_path = folder.path().join("errors.csv");
        let stage_path = folder.path().join("stage.jsonl");
        // One more reading writes both the error file and the stage file.
        let chunks = tokio::task::block_in_place(|| -> Result<_, ValidateError> {
            let mut errors = std::io::BufWriter::new(std::fs::File::create(&errors_path)?);
            let mut stage = std::io::BufWriter::new(std::fs::File::create(&stage_path)?);
            validation.write_stage(
                &source,
                options,
                &workspace,
                CHUNK_ROWS,
                &mut stage,
                Some(&mut errors),
            )
        })
        .map_err(|e| Failure::Service(ServiceError::Internal(e.to_string())))?;
        let g = record.generation;
        self.bucket
            .put_file(
                &keys::errors_object(ws, &record.id, g),
                &errors_path,
                "text/csv; charset=utf-8",
            )
            .await?;
        self.bucket
            .put_file(
                &keys::stage_object(ws, &record.id, g),
                &stage_path,
                "application/x-ndjson",
            )
            .await?;
        let plan = StagePlan {
            generation: g,
            chunks,
        };
        self.bucket
            .put(
                &keys::plan_object(ws, &record.id, g),
                serde_json::to_vec(&plan).map_err(internal)?,
                "application/json",
            )
            .await?;
        let summary = validation.summary();
        let reviewed = ImportRecord {
            dialect: Some(summary.dialect),
            headers: Some(summary.headers),
            mapping: Some(summary.mapping),
            review: Some(summary.review),
            rows_total: summary.review.rows,
            review_expires_at: Some(now() + self.config.review_ttl.as_secs() as i64),
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
        match self.table.finish_validation(&reviewed).await {
            // A newer validation (new options) or a cancel overtook this one.
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// How a validation ends without a review.
enum Failure {
    /// The file or the options are refused: the import fails with this reason.
    Refused(String),
    Service(ServiceError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::Service(e.into())
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

fn internal(e: impl std::fmt::Display) -> Failure {
    Failure::Service(ServiceError::Internal(e.to_string()))
}

impl Service {
    /// Asks the table which contacts hold each identifier a scan found,
    /// [`LOOKUP_BATCH`] at a time, then classifies the rows.
    async fn classify(
        &self,
        ws: &str,
        scanned: Result<Scan, ValidateError>,
    ) -> Result<Validation, ValidateError> {
        let scanned = scanned?;
        let mut holders = Vec::new();
        if let Some(questions) = scanned.questions() {
            for batch in questions.values.chunks(LOOKUP_BATCH) {
                let found = self
                    .table
                    .holders(ws, questions.identifier, batch)
                    .await
                    .map_err(|e| LookupError(e.to_string()))?;
                holders.extend(found.iter().map(|ids| ids.len() as u32));
            }
        }
        scanned.classify(&holders)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_read_as_s3_events_or_revalidations() {
        let event = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"uploads%2Fws_1%2Fimp_a+b","size":3}}}]}"#;
        assert_eq!(
            parse(event).unwrap(),
            vec![Request::Upload {
                key: "uploads/ws_1/imp_a b".into()
            }]
        );
        assert_eq!(
            parse(r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#).unwrap(),
            vec![Request::Nothing]
        );
        let again = r#"{"workspace":"w","import":"imp_1","generation":2}"#;
        assert!(matches!(&parse(again).unwrap()[0], Request::Revalidate(r) if r.generation == 2));
        assert!(parse("nonsense").is_err());
    }
}
