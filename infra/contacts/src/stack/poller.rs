//! The local stack's pollers: what Lambda's SQS event source mapping does
//! on AWS — receive a batch, hand it to the function's handler as an
//! `SqsEvent`, delete what the handler did not report as failed — and,
//! for the fault tests, at-least-once delivery at its worst (copies,
//! shuffled batches, handlers killed mid-work: [`DeliveryFaults`]).

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName,
};
use contact_service::lambda;
use contact_service::operations::Service;
use tokio::sync::watch;

use super::calls::{Draws, killed_at_call};

/// What the pollers do to messages and handlers besides handing each
/// message to its handler once, drawn at random from `seed`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryFaults {
    pub seed: u64,
    /// The chance that a message received is also handed to a second
    /// handler at the same time, as SQS may deliver a message twice. It is
    /// deleted when either handler handled it.
    pub copies: f64,
    /// Whether the messages of a batch reach the handler in a random order.
    pub shuffle: bool,
    /// The chance that a handler is killed (a Lambda timeout or crash)
    /// during one of its first `kill_within` AWS calls, chosen at random:
    /// nothing of its batch is deleted, so every message comes back after
    /// the visibility timeout. A handler that makes fewer calls finishes.
    pub kills: f64,
    pub kill_within: u64,
    /// A batch holding a message received more often than this is not
    /// killed: kills alone never drive a message to its dead-letter queue
    /// (which would fail its import, whatever the code does).
    pub kills_per_message: u64,
}

/// What the pollers did: the SQS calls Lambda's event source mapping makes.
#[derive(Debug, Default)]
pub struct PollerStats {
    /// `ReceiveMessage` calls that brought messages (empty long polls are
    /// left out: they depend on idle time, not on rows).
    pub receives: AtomicU64,
    pub deletes: AtomicU64,
    /// Messages also handed to a second handler at the same time.
    pub copies: AtomicU64,
    /// Handlers killed mid-work.
    pub killed: AtomicU64,
    /// Messages left in the queue for another delivery: their handler
    /// failed on them or was killed.
    pub handed_back: AtomicU64,
    /// The most times one message was received (a queue's dead-letter queue
    /// takes a message received more often than its `maxReceiveCount`).
    pub most_receives: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Handler {
    Uploads,
    Rows,
    Jobs,
    DeadLetters,
}

pub(super) struct Poller {
    pub(super) sqs: aws_sdk_sqs::Client,
    pub(super) queue_url: String,
    pub(super) batch_size: i32,
    pub(super) report_failures: bool,
    pub(super) handler: Handler,
    pub(super) service: Arc<Service>,
    /// The queue's visibility timeout, in seconds.
    pub(super) visibility: i32,
    pub(super) twice: bool,
    pub(super) faults: Option<DeliveryFaults>,
    pub(super) draws: Draws,
    pub(super) stats: Arc<PollerStats>,
    /// While set, the poller receives nothing (a test holding a queue's
    /// messages back, as an event source that has not scaled up yet).
    pub(super) held: Arc<std::sync::atomic::AtomicBool>,
}

/// The entries that set `messages`' visibility timeout to `seconds`.
fn visibility_entries(
    messages: &[aws_sdk_sqs::types::Message],
    seconds: i32,
) -> Vec<ChangeMessageVisibilityBatchRequestEntry> {
    messages
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(m.receipt_handle()?)
                .visibility_timeout(seconds)
                .build()
                .ok()
        })
        .collect()
}

impl Poller {
    pub(super) async fn run(mut self, mut stopped: watch::Receiver<bool>) {
        loop {
            if *stopped.borrow() {
                return;
            }
            if self.held.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            let received = tokio::select! {
                r = self.sqs
                    .receive_message()
                    .queue_url(&self.queue_url)
                    .max_number_of_messages(self.batch_size)
                    .wait_time_seconds(1)
                    .message_system_attribute_names(MessageSystemAttributeName::All)
                    .send() => r,
                _ = stopped.changed() => return,
            };
            let messages = match received {
                Ok(out) => out.messages.unwrap_or_default(),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            if messages.is_empty() {
                continue;
            }
            if self.held.load(Ordering::Relaxed) {
                // Held while this receive waited (moto may answer a long
                // poll late): the messages go back, visible at once.
                self.hand_back(&messages).await;
                continue;
            }
            self.stats.receives.fetch_add(1, Ordering::Relaxed);
            for message in &messages {
                let receives = message
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                self.stats
                    .most_receives
                    .fetch_max(receives, Ordering::Relaxed);
            }
            let mut event = SqsEvent::default();
            event.records = messages.iter().map(|m| self.lambda_message(m)).collect();
            let (event, copies, kill, kill_copy) = self.mistreat(event);
            let copy = async {
                if copies.records.is_empty() {
                    return None;
                }
                self.stats
                    .copies
                    .fetch_add(copies.records.len() as u64, Ordering::Relaxed);
                Some(self.invoke(copies.clone(), kill_copy).await)
            };
            let work = async { tokio::join!(self.invoke(event.clone(), kill), copy) };
            let (first, second) = self.holding(&messages, work).await;
            // Lambda deletes what an instance that lived handled; a killed
            // instance deletes nothing.
            let mut handled: HashSet<String> = HashSet::new();
            if let Some(mut response) = first {
                if self.twice {
                    let mut reversed = event.clone();
                    reversed.records.reverse();
                    let again = self.call(reversed).await;
                    response
                        .batch_item_failures
                        .extend(again.batch_item_failures);
                }
                handled.extend(self.succeeded(&event, &response));
            }
            if let Some(Some(response)) = second {
                handled.extend(self.succeeded(&copies, &response));
            }
            let entries: Vec<DeleteMessageBatchRequestEntry> = messages
                .iter()
                .enumerate()
                .filter(|(_, m)| m.message_id().is_some_and(|id| handled.contains(id)))
                .filter_map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle()?)
                        .build()
                        .ok()
                })
                .collect();
            self.stats
                .handed_back
                .fetch_add((messages.len() - entries.len()) as u64, Ordering::Relaxed);
            if !entries.is_empty() {
                self.stats.deletes.fetch_add(1, Ordering::Relaxed);
                let _ = self
                    .sqs
                    .delete_message_batch()
                    .queue_url(&self.queue_url)
                    .set_entries(Some(entries))
                    .send()
                    .await;
            }
        }
    }

    /// Makes `messages` visible again at once, untouched.
    async fn hand_back(&self, messages: &[aws_sdk_sqs::types::Message]) {
        let entries = visibility_entries(messages, 0);
        let _ = self
            .sqs
            .change_message_visibility_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await;
    }

    /// Runs `work` while keeping `messages` from other receivers, as the
    /// template's timeouts do in AWS: a function times out well before its
    /// queue's visibility timeout, so a live handler's messages are not
    /// received again. The local stack's handlers are far slower (moto is one
    /// Python process), so the pollers extend the visibility while a handler
    /// runs; a handler that ends or is killed lets go, and what it did not
    /// delete comes back one visibility timeout later.
    async fn holding<T>(
        &self,
        messages: &[aws_sdk_sqs::types::Message],
        work: impl Future<Output = T>,
    ) -> T {
        let entries = visibility_entries(messages, self.visibility);
        let every = Duration::from_secs_f64((f64::from(self.visibility) / 2.0).max(0.5));
        let (sqs, queue_url) = (self.sqs.clone(), self.queue_url.clone());
        // A task of its own: a handler's CPU work (`block_in_place`) holds
        // up everything else on its task. Dropping the set ends it.
        let mut heartbeat = tokio::task::JoinSet::new();
        heartbeat.spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let _ = sqs
                    .change_message_visibility_batch()
                    .queue_url(&queue_url)
                    .set_entries(Some(entries.clone()))
                    .send()
                    .await;
            }
        });
        work.await
    }

    /// Shuffles the batch, picks the messages a second handler gets too,
    /// and where each handler is killed, if it is.
    fn mistreat(&mut self, mut event: SqsEvent) -> (SqsEvent, SqsEvent, Option<u64>, Option<u64>) {
        let mut copies = SqsEvent::default();
        let Some(faults) = self.faults.clone() else {
            return (event, copies, None, None);
        };
        if faults.shuffle {
            self.draws.shuffle(&mut event.records);
        }
        copies.records = event
            .records
            .iter()
            .filter(|_| self.draws.chance(faults.copies))
            .cloned()
            .collect();
        if faults.shuffle {
            self.draws.shuffle(&mut copies.records);
        }
        let received = event
            .records
            .iter()
            .filter_map(|m| {
                m.attributes
                    .get("ApproximateReceiveCount")?
                    .parse::<u64>()
                    .ok()
            })
            .max()
            .unwrap_or(1);
        let spared = received > faults.kills_per_message;
        let mut kill = || {
            (self.draws.chance(faults.kills) && !spared)
                .then(|| 1 + self.draws.below(faults.kill_within))
        };
        let (first, second) = (kill(), kill());
        (event, copies, first, second)
    }

    /// Runs the handler, killed at its `kill`th AWS call if given; `None`
    /// when it was.
    async fn invoke(&self, event: SqsEvent, kill: Option<u64>) -> Option<SqsBatchResponse> {
        let Some(nth) = kill else {
            return Some(self.call(event).await);
        };
        let response = killed_at_call(nth, self.call(event)).await;
        if response.is_none() {
            self.stats.killed.fetch_add(1, Ordering::Relaxed);
        }
        response
    }

    /// The messages of `event` a handler that answered `response` is done
    /// with; without ReportBatchItemFailures one failure keeps the whole
    /// batch.
    fn succeeded(&self, event: &SqsEvent, response: &SqsBatchResponse) -> Vec<String> {
        if !self.report_failures && !response.batch_item_failures.is_empty() {
            return Vec::new();
        }
        event
            .records
            .iter()
            .filter_map(|m| m.message_id.clone())
            .filter(|id| {
                !response
                    .batch_item_failures
                    .iter()
                    .any(|f| &f.item_identifier == id)
            })
            .collect()
    }

    async fn call(&self, event: SqsEvent) -> SqsBatchResponse {
        match self.handler {
            Handler::Uploads => lambda::uploads(&self.service, event).await,
            Handler::Rows => lambda::rows(&self.service, event).await,
            Handler::Jobs => lambda::jobs(&self.service, event).await,
            Handler::DeadLetters => lambda::dead_letters(&self.service, event).await,
        }
    }

    fn lambda_message(&self, m: &aws_sdk_sqs::types::Message) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = m.message_id().map(str::to_string);
        message.receipt_handle = m.receipt_handle().map(str::to_string);
        message.body = m.body().map(str::to_string);
        message.md5_of_body = m.md5_of_body().map(str::to_string);
        message.attributes = m
            .attributes()
            .map(|a| {
                a.iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        message.event_source = Some("aws:sqs".into());
        message.aws_region = Some("us-east-1".into());
        message
    }
}
