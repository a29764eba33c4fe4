//! The contact-import service around the engine (`contact_engine`), in
//! layers that only point down:
//!
//! - `http` (the API's routes) and `lambda` (the queue handlers and the
//!   schedule) are the entry points;
//! - `operations` are what they ask for, in the product's words;
//! - `store` is the only code that speaks DynamoDB, S3 and SQS;
//! - `records` are the plain types the others pass around;
//! - and below them all, the engine crate.
//!
//! `logging` sets up where a process's events go; each function's `main`
//! calls it. docs/ARCHITECTURE.md draws the whole map.

pub mod http;
pub mod lambda;
pub mod logging;
pub mod operations;
pub mod records;
pub mod store;
