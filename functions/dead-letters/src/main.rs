//! The `dead-letters` function: messages that kept failing end their import
//! or job as failed, so nothing stays stuck or locked.

use contact_service::lambda::{dead_letters, queue_function};
use contact_service::operations::Service;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    contact_service::logging::init();
    let service = Service::from_env().await?;
    lambda_runtime::run(queue_function(&service, dead_letters)).await
}
