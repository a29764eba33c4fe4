//! Helpers for the end-to-end tests: where the sample files are, and running
//! validation to a preview whose rows the tests read back.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use contact_import::lookup::ContactLookup;
use contact_import::options::{ImportOptions, Workspace};
use contact_import::reader::FileSource;
use contact_import::{ValidationSummary, validate};

/// The product's sample files, kept beside the repository.
pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/samples")
        .join(name)
}

/// One row of a preview: its first value, predicted status and errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub first: String,
    pub status: String,
    pub errors: String,
}

/// Validates `path` and reads back the preview file the engine writes.
pub fn preview(
    path: &Path,
    options: &ImportOptions,
    workspace: &Workspace,
    lookup: &impl ContactLookup,
) -> (ValidationSummary, Vec<PreviewRow>) {
    let source = FileSource(path.to_path_buf());
    let validation = ready(validate(&source, options, workspace, lookup)).expect("validates");
    let mut out = Vec::new();
    validation
        .write_files(&source, None, Some(&mut out))
        .expect("writes the preview");
    let text = String::from_utf8(out).expect("previews are UTF-8");
    let text = text
        .strip_prefix('\u{FEFF}')
        .expect("previews start with a BOM");
    let delimiter = validation.dialect.delimiter.byte();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let headers = reader.headers().expect("header").clone();
    let n = headers.len();
    assert_eq!(&headers[n - 2], "Predicted Status");
    assert_eq!(&headers[n - 1], "Errors");
    let rows = reader
        .records()
        .map(|r| {
            let r = r.expect("preview row");
            PreviewRow {
                first: r[0].to_string(),
                status: r[n - 2].to_string(),
                errors: r[n - 1].to_string(),
            }
        })
        .collect();
    (validation.summary(), rows)
}

/// Polls a future that needs no runtime (in-memory lookups answer at once).
pub fn ready<F: Future>(future: F) -> F::Output {
    let mut context = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("in-memory lookups answer at once"),
    }
}
