//! The contact-import domain, free of AWS types (reading delimited files,
//! mapping columns to contact fields, normalising values, classifying rows
//! against a workspace, writing the review's files), then the service around
//! it: the AWS adapters (`store`) and the API, validator and worker (`service`).
//! The service needs the `service` feature (on by default); without it the
//! crate is the engine alone.

#[cfg(feature = "service")]
pub mod aws;
pub mod classify;
pub mod dialect;
pub mod fields;
pub mod files;
pub mod limits;
#[cfg(feature = "service")]
pub mod logging;
pub mod lookup;
pub mod mapping;
pub mod mask;
pub mod normalize;
pub mod options;
pub mod reader;
pub mod refusal;
pub mod row;
#[cfg(feature = "service")]
pub mod service;
#[cfg(feature = "service")]
pub mod store;
pub mod validation;

pub use validation::{
    ChunkSpan, Review, StagedRow, ValidateError, Validation, ValidationSummary, Wording, validate,
};
