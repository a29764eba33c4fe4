//! The contact-import service around the engine (`contact_engine`): the
//! AWS adapters (`store`) and the API, validator and worker (`service`).

pub mod aws;
pub mod logging;
pub mod service;
pub mod store;
