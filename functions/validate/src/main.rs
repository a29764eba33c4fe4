//! The `validate` function: S3 upload events (through SQS) become reviews.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use contact_service::service::Service;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let service = Service::from_env().await?;
    let service = &service;
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(service.handle_uploads(event.payload).await)
    }))
    .await
}
