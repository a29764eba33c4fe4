//! The `dead-letters` function: messages that kept failing end their import
//! or job as failed, so nothing stays stuck or locked.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use contact_service::lambda;
use contact_service::operations::Service;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    contact_service::logging::init();
    let service = Service::from_env().await?;
    let service = &service;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(lambda::dead_letters(service, event.payload).await)
    }))
    .await
}
