//! The SQS adapter: messages to the functions, ten per call.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use super::table::StoreError;

/// Most messages one `SendMessageBatch` call takes.
pub const SEND_BATCH: usize = 10;

#[derive(Debug, Clone)]
pub struct Queue {
    client: Client,
    url: String,
}

impl Queue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn reachable(&self) -> Result<(), StoreError> {
        self.client
            .get_queue_attributes()
            .queue_url(&self.url)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    /// Sends every body, ten per call; entries SQS refuses are sent again
    /// a few times before giving up.
    pub async fn send_all(&self, bodies: &[String]) -> Result<(), StoreError> {
        for batch in bodies.chunks(SEND_BATCH) {
            let mut pending: Vec<(usize, &String)> = batch.iter().enumerate().collect();
            for attempt in 0.. {
                let entries = pending
                    .iter()
                    .map(|(i, body)| {
                        SendMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .message_body(body.as_str())
                            .build()
                            .expect("id and body given")
                    })
                    .collect();
                let out = self
                    .client
                    .send_message_batch()
                    .queue_url(&self.url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(StoreError::unavailable)?;
                let failed: Vec<&str> = out.failed().iter().map(|f| f.id()).collect();
                if failed.is_empty() {
                    break;
                }
                if attempt >= 4 {
                    return Err(StoreError::Unavailable(format!(
                        "SQS refused {} messages",
                        failed.len()
                    )));
                }
                pending.retain(|(i, _)| failed.contains(&i.to_string().as_str()));
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            }
        }
        Ok(())
    }
}
