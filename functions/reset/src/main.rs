//! The `reset` function: on the month-end schedule, asks every workspace
//! whose monthly reset is on to reset.

use contact_service::service::Service;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let service = Service::from_env().await?;
    let service = &service;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            let started = service.handle_schedule(&event.payload).await?;
            Ok::<serde_json::Value, Error>(serde_json::json!({ "resets": started }))
        },
    ))
    .await
}
