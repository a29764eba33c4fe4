//! What every route is handed: the service's operations and how the API
//! learns who calls.

use std::sync::Arc;

use super::auth::Auth;
use super::cors::Cors;
use crate::operations::Service;

#[derive(Debug)]
pub struct App {
    pub service: Service,
    pub auth: Auth,
    /// The browser origins allowed to call the API.
    pub cors: Cors,
}

/// The router's state: one [`App`], shared by every request.
pub type Shared = Arc<App>;
