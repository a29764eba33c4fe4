//! The contact-import domain, free of AWS types: reading delimited files,
//! mapping columns to contact fields, normalising values, classifying rows
//! against a workspace and writing the review's files.

pub mod classify;
pub mod dialect;
pub mod fields;
pub mod files;
pub mod limits;
pub mod lookup;
pub mod mapping;
pub mod normalize;
pub mod options;
pub mod reader;
pub mod refusal;
pub mod row;
pub mod validation;

pub use validation::{Review, ValidateError, Validation, ValidationSummary, validate};
