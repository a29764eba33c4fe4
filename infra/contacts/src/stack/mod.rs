//! The local stack: moto's server on loopback, and the resources of
//! `infra/template.yaml` created on it exactly as the template declares them.

pub mod actions;
pub mod calls;
pub mod capacity;
mod cfn;
pub mod drift;
pub mod in_flight;
pub mod latency;
pub mod local;
pub mod moto;
mod poller;
pub mod resources;
pub mod specs;
pub mod template;

/// Why the local stack could not be read, built or checked.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// The template is unreadable, or declares something the local stack
    /// cannot reproduce.
    #[error("template: {0}")]
    Template(String),
    /// An AWS call failed.
    #[error("aws: {0}")]
    Aws(String),
    /// moto's server is missing, did not start or stopped.
    #[error("moto: {0}")]
    Moto(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
