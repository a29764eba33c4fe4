//! The `jobs` function: exports and month-end resets, a page per message.

use contact_service::lambda::{jobs, queue_function};
use contact_service::operations::Service;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    contact_service::logging::init();
    let service = Service::from_env().await?;
    lambda_runtime::run(queue_function(&service, jobs)).await
}
