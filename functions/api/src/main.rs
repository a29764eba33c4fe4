//! The `api` function: API Gateway's HTTP API in front of the service's router.

use std::sync::Arc;

use contact_service::http::{App, auth::Auth, cors::Cors, router};
use contact_service::operations::Service;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    contact_service::logging::init();
    let app = App {
        service: Service::from_env().await?,
        auth: Auth::from_env()?,
        cors: Cors::from_env()?,
    };
    lambda_http::run(router(Arc::new(app))).await
}
