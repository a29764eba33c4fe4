//! A model of AWS's round trips for the local stack: each call the
//! functions make waits a latency before moto answers it (at once), so the
//! time a path takes shows how many round trips it makes one after another.
//! Off by default; the pipeline bench and tests switch it on
//! (`StackOptions::latency`). The wait is in the HTTP connector, not an
//! interceptor, so calls sent side by side wait side by side, as on AWS.
//!
//! The profile's figures, per call (one region, from a Lambda function):
//! - DynamoDB: "single-digit millisecond" reads and writes (the DynamoDB
//!   Developer Guide's own words); a read of one item 4 ms, a write 6 ms, a
//!   batch or query 8–10 ms, a transaction 15 ms (it writes in two phases).
//! - S3: small requests' median latency "in the tens of milliseconds" (the
//!   Optimizing Amazon S3 Performance whitepaper, "Timeouts and Retries for
//!   Latency-Sensitive Applications"): 30 ms a call, plus 10 ms per MB
//!   carried (about 100 MB/s for one connection).
//! - SQS: no published figure; 15 ms a call, as an in-region API call of
//!   the same kind as DynamoDB's writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// Milliseconds each kind of call waits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyProfile {
    pub dynamodb_read: u64,
    pub dynamodb_write: u64,
    pub dynamodb_batch: u64,
    pub dynamodb_transaction: u64,
    pub s3_call: u64,
    pub s3_per_mb: u64,
    pub sqs_call: u64,
}

impl LatencyProfile {
    /// The figures above.
    pub const AWS: Self = Self {
        dynamodb_read: 4,
        dynamodb_write: 6,
        dynamodb_batch: 10,
        dynamodb_transaction: 15,
        s3_call: 30,
        s3_per_mb: 10,
        sqs_call: 15,
    };

    /// What `request` waits. DynamoDB and SQS name their operation in
    /// `x-amz-target` (`DynamoDB_20120810.GetItem`, `AmazonSQS.SendMessage`);
    /// anything else is S3.
    pub fn delay(&self, request: &HttpRequest) -> Duration {
        let target = request.headers().get("x-amz-target").unwrap_or("");
        let ms = if let Some(operation) = target.strip_prefix("DynamoDB_20120810.") {
            match operation {
                "GetItem" => self.dynamodb_read,
                "PutItem" | "UpdateItem" | "DeleteItem" => self.dynamodb_write,
                "TransactWriteItems" | "TransactGetItems" => self.dynamodb_transaction,
                _ => self.dynamodb_batch,
            }
        } else if target.starts_with("AmazonSQS.") {
            self.sqs_call
        } else {
            let bytes = request
                .headers()
                .get("content-length")
                .and_then(|l| l.parse::<u64>().ok())
                .unwrap_or(0);
            self.s3_call + self.s3_per_mb * bytes / 1_000_000
        };
        Duration::from_millis(ms)
    }
}

/// An HTTP client that waits the profile's latency before each call, then
/// sends it through `inner`. Counts the time it made calls wait. Paused, it
/// sends calls at once (a bench seeds data, or times a step both ways).
#[derive(Debug, Clone)]
pub struct Delayed {
    inner: SharedHttpClient,
    profile: LatencyProfile,
    waited_ms: Arc<AtomicU64>,
    paused: Arc<AtomicBool>,
}

impl Delayed {
    pub fn new(profile: LatencyProfile) -> Self {
        Self {
            inner: aws_smithy_http_client::Builder::new().build_http(),
            profile,
            waited_ms: Arc::default(),
            paused: Arc::default(),
        }
    }

    /// Paused, calls wait nothing until resumed; calls already waiting
    /// wait on.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
    }

    pub fn client(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.clone())
    }

    /// The latency all calls waited, added up (calls side by side each
    /// count), in milliseconds.
    pub fn waited_ms(&self) -> u64 {
        self.waited_ms.load(Ordering::Relaxed)
    }
}

impl HttpClient for Delayed {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(DelayedConnector {
            inner: self.inner.http_connector(settings, components),
            profile: self.profile,
            waited_ms: self.waited_ms.clone(),
            paused: self.paused.clone(),
        })
    }
}

#[derive(Debug)]
struct DelayedConnector {
    inner: SharedHttpConnector,
    profile: LatencyProfile,
    waited_ms: Arc<AtomicU64>,
    paused: Arc<AtomicBool>,
}

impl HttpConnector for DelayedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let delay = if self.paused.load(Ordering::Relaxed) {
            Duration::ZERO
        } else {
            self.profile.delay(&request)
        };
        self.waited_ms
            .fetch_add(delay.as_millis() as u64, Ordering::Relaxed);
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            tokio::time::sleep(delay).await;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn request(target: Option<&'static str>, bytes: Option<u64>) -> HttpRequest {
        let mut request = HttpRequest::new(SdkBody::empty());
        if let Some(target) = target {
            request.headers_mut().insert("x-amz-target", target);
        }
        if let Some(bytes) = bytes {
            request
                .headers_mut()
                .insert("content-length", bytes.to_string());
        }
        request
    }

    #[test]
    fn each_call_waits_as_its_service_and_operation_say() {
        let aws = LatencyProfile::AWS;
        let ms = |r: HttpRequest| aws.delay(&r).as_millis() as u64;
        assert_eq!(ms(request(Some("DynamoDB_20120810.GetItem"), None)), 4);
        assert_eq!(ms(request(Some("DynamoDB_20120810.UpdateItem"), None)), 6);
        assert_eq!(
            ms(request(Some("DynamoDB_20120810.BatchGetItem"), None)),
            10
        );
        assert_eq!(ms(request(Some("DynamoDB_20120810.Query"), None)), 10);
        assert_eq!(
            ms(request(Some("DynamoDB_20120810.TransactWriteItems"), None)),
            15
        );
        assert_eq!(ms(request(Some("AmazonSQS.SendMessageBatch"), None)), 15);
        // S3: a call, plus what it carries.
        assert_eq!(ms(request(None, Some(1_000))), 30);
        assert_eq!(ms(request(None, Some(15_500_000))), 30 + 155);
    }
}
