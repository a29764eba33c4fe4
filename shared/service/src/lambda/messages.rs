//! The queue messages' bodies, read into the shapes each handler takes:
//! a chunk, a job step, and on the uploads queue either S3's own event
//! notification (its object keys URL-encoded, `+` for spaces) or a
//! re-validation. A dead letter is any of them.

use serde::Deserialize;

use crate::operations::dead_letters::DeadLetter;
use crate::records::{ChunkJob, JobMessage, Revalidate};
use crate::store::keys;

/// What an uploads-queue message asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadRequest {
    /// Validate the upload at this object key (decoded) for the first time.
    Upload {
        key: String,
    },
    Revalidate(Revalidate),
}

/// An uploads-queue message: a re-validation, or anything S3 sends (its
/// test event, when notifications are set up, holds no records).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum UploadsMessage {
    Revalidate(Revalidate),
    S3(S3Notification),
}

/// The part of S3's event notification the validator reads.
#[derive(Debug, Clone, Deserialize)]
pub struct S3Notification {
    #[serde(rename = "Records", default)]
    records: Vec<S3Record>,
}

#[derive(Debug, Clone, Deserialize)]
struct S3Record {
    s3: S3Entity,
}

#[derive(Debug, Clone, Deserialize)]
struct S3Entity {
    object: S3Object,
}

#[derive(Debug, Clone, Deserialize)]
struct S3Object {
    key: String,
}

impl UploadsMessage {
    /// What the message asks, one request per upload it names.
    pub fn requests(&self) -> Result<Vec<UploadRequest>, String> {
        match self {
            Self::Revalidate(r) => Ok(vec![UploadRequest::Revalidate(r.clone())]),
            Self::S3(notification) => notification
                .records
                .iter()
                .map(|r| {
                    let plus_decoded = r.s3.object.key.replace('+', " ");
                    percent_encoding::percent_decode_str(&plus_decoded)
                        .decode_utf8()
                        .map(|k| UploadRequest::Upload {
                            key: k.into_owned(),
                        })
                        .map_err(|e| format!("undecodable object key: {e}"))
                })
                .collect(),
        }
    }
}

/// A dead letter's body: told apart by shape, a chunk names its span, a job
/// message its kind, and the rest are the uploads queue's.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum DeadLetterBody {
    Chunk(ChunkJob),
    Job(JobMessage),
    Uploads(UploadsMessage),
}

impl DeadLetterBody {
    /// What each part of the letter was for; object keys that are not
    /// uploads' are left out.
    pub fn letters(self) -> Result<Vec<DeadLetter>, String> {
        Ok(match self {
            Self::Chunk(chunk) => vec![DeadLetter::Chunk(chunk)],
            Self::Job(job) => vec![DeadLetter::Job(job)],
            Self::Uploads(message) => message
                .requests()?
                .into_iter()
                .filter_map(|request| match request {
                    UploadRequest::Upload { key } => {
                        let (ws, import) = keys::parse_upload_object(&key)?;
                        Some(DeadLetter::Upload {
                            workspace: ws.to_string(),
                            import: import.to_string(),
                        })
                    }
                    UploadRequest::Revalidate(r) => Some(DeadLetter::Revalidation {
                        workspace: r.workspace,
                        import: r.import,
                        generation: r.generation,
                    }),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Vec<UploadRequest>, String> {
        serde_json::from_str::<UploadsMessage>(body)
            .map_err(|e| e.to_string())?
            .requests()
    }

    #[test]
    fn messages_are_read_as_s3_events_or_revalidations() {
        let event = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"uploads%2Fws_1%2Fimp_a+b","size":3}}}]}"#;
        assert_eq!(
            parse(event).unwrap(),
            vec![UploadRequest::Upload {
                key: "uploads/ws_1/imp_a b".into()
            }]
        );
        // S3's test event asks for nothing.
        assert_eq!(
            parse(r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#).unwrap(),
            vec![]
        );
        let again = r#"{"workspace":"w","import":"imp_1","generation":2}"#;
        assert!(
            matches!(&parse(again).unwrap()[0], UploadRequest::Revalidate(r) if r.generation == 2)
        );
        assert!(parse("nonsense").is_err());
    }
}
