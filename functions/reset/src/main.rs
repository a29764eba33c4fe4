//! The `reset` function: on the month-end schedule, asks every workspace
//! whose monthly reset is on to reset.

use contact_service::lambda;
use contact_service::operations::Service;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    contact_service::logging::init();
    let service = Service::from_env().await?;
    let service = &service;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            let started = lambda::schedule(service, &event.payload).await?;
            Ok::<serde_json::Value, Error>(serde_json::json!({ "resets": started }))
        },
    ))
    .await
}
