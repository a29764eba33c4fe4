//! The `worker` function: chunk messages become contacts and result parts.

use contact_service::lambda::{queue_function, rows};
use contact_service::operations::Service;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    contact_service::logging::init();
    let service = Service::from_env().await?;
    lambda_runtime::run(queue_function(&service, rows)).await
}
