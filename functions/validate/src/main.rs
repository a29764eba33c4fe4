//! The `validate` function: S3 upload events (through SQS) become reviews.

use contact_service::lambda::{queue_function, uploads};
use contact_service::operations::Service;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    contact_service::logging::init();
    let service = Service::from_env().await?;
    lambda_runtime::run(queue_function(&service, uploads)).await
}
