//! The contact-import engine: reading delimited files, mapping columns to
//! contact fields, normalising values, classifying rows against a
//! workspace, and writing the review's files. Plain values in and out, no
//! AWS, HTTP or Lambda type anywhere (the crate does not depend on them),
//! and no I/O but the file being read and the writers it is handed.

pub mod classify;
pub mod corrections;
pub mod dialect;
pub mod fields;
pub mod files;
pub mod headers;
pub mod limits;
pub mod lookup;
pub mod mapping;
pub mod mask;
pub mod normalize;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod options;
pub mod reader;
pub mod refusal;
pub mod remembered;
pub mod row;
pub mod single_byte;
pub mod spreadsheet;
pub mod suggestions;
pub mod validation;

pub use validation::{
    ChunkSpan, MappingProblem, MappingReview, Questions, Review, ReviewRow, ReviewRowsOut,
    RowIssue, Scan, StageOut, Staged, StagedRow, ValidateError, Validation, ValidationSummary,
    Wording, scan, scan_corrected, validate,
};
