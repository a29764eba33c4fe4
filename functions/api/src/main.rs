//! The `api` function: API Gateway's HTTP API in front of the service's router.

use std::sync::Arc;

use contact_service::service::{Service, router::router};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let service = Arc::new(Service::from_env().await?);
    lambda_http::run(router(service)).await
}
