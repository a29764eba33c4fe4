//! SQS plumbing, and nothing of the domain: message bodies sent ten per
//! call.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use futures_util::future::try_join_all;

use super::error::StoreError;
use super::retry::Retry;

/// Most messages one `SendMessageBatch` call takes.
pub const SEND_BATCH: usize = 10;

/// `SendMessageBatch` calls one sender has outstanding at once.
const SENDS_AT_ONCE: usize = 8;

#[derive(Debug, Clone)]
pub(crate) struct Queue {
    client: Client,
    url: String,
}

impl Queue {
    pub(crate) fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    pub(crate) async fn reachable(&self) -> Result<(), StoreError> {
        self.client
            .get_queue_attributes()
            .queue_url(&self.url)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    /// Sends every body, ten per call, in waves of several calls at once (a 200,000-row
    /// import has 40 calls of chunks); entries SQS refuses are sent again a
    /// few times before giving up. Order is not kept: SQS standard queues
    /// keep none anyway.
    pub(crate) async fn send_all(&self, bodies: &[String]) -> Result<(), StoreError> {
        let batches: Vec<&[String]> = bodies.chunks(SEND_BATCH).collect();
        for wave in batches.chunks(SENDS_AT_ONCE) {
            try_join_all(wave.iter().map(|batch| self.send_batch(batch))).await?;
        }
        Ok(())
    }

    async fn send_batch(&self, batch: &[String]) -> Result<(), StoreError> {
        let mut pending: Vec<(usize, &String)> = batch.iter().enumerate().collect();
        for tried in 1.. {
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
            let refused = failed.len();
            pending.retain(|(i, _)| failed.contains(&i.to_string().as_str()));
            if !Retry::CALL.wait(tried).await {
                return Err(StoreError::unavailable(format!(
                    "SQS refused {refused} messages"
                )));
            }
        }
        Ok(())
    }
}
