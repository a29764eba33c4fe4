//! An SDK interceptor on every AWS call of the local stack: it counts calls
//! by service and operation (the benchmark reports them per 1,000 rows), and
//! injects the faults moto never produces, on chosen calls.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::SharedInterceptor;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeDeserializationInterceptorContextMut,
    BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

/// What a fault does to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The call reaches AWS and is carried out, but its caller never hears
    /// back (as when a function dies right after a write): it sees an error.
    LostAnswer,
    /// AWS answers "slow down" without carrying the call out (the SDK
    /// retries throttling itself).
    Throttle,
    /// DynamoDB cancels a transaction for a conflicting one, without
    /// carrying it out (the SDK leaves that to its caller).
    Conflict,
}

/// Injects `kind` into the `nth` call (counting from 1) of `operation`
/// (e.g. `"TransactWriteItems"`, `"PutObject"`, `"SendMessageBatch"`), then
/// into the next `repeat - 1` such calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub operation: &'static str,
    pub nth: u64,
    pub repeat: u64,
    pub kind: FaultKind,
}

#[derive(Debug, Default)]
struct State {
    calls: BTreeMap<(String, String), u64>,
    faults: Vec<Fault>,
    injected: u64,
    /// Writes per DynamoDB partition key, when tracked.
    partitions: Option<HashMap<String, u64>>,
}

/// The interceptor; clone it freely, all clones share one log.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    state: Arc<Mutex<State>>,
}

impl Calls {
    pub fn new(faults: Vec<Fault>) -> Self {
        let calls = Self::default();
        calls.state.lock().expect("calls lock").faults = faults;
        calls
    }

    pub fn interceptor(&self) -> SharedInterceptor {
        SharedInterceptor::new(self.clone())
    }

    /// Calls so far by (service, operation).
    pub fn counts(&self) -> BTreeMap<(String, String), u64> {
        self.state.lock().expect("calls lock").calls.clone()
    }

    pub fn reset(&self) {
        let mut state = self.state.lock().expect("calls lock");
        state.calls.clear();
        if let Some(p) = state.partitions.as_mut() {
            p.clear();
        }
    }

    /// Starts counting DynamoDB item writes by partition key.
    pub fn track_partitions(&self) {
        self.state.lock().expect("calls lock").partitions = Some(HashMap::new());
    }

    /// Item writes in all, and the busiest partition key with its writes.
    pub fn partition_writes(&self) -> (u64, Option<(String, u64)>) {
        let state = self.state.lock().expect("calls lock");
        let Some(partitions) = &state.partitions else {
            return (0, None);
        };
        let total = partitions.values().sum();
        let busiest = partitions
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(k, n)| (k.clone(), *n));
        (total, busiest)
    }

    fn count_partitions(&self, operation: &str, body: &[u8]) {
        let mut state = self.state.lock().expect("calls lock");
        let Some(partitions) = state.partitions.as_mut() else {
            return;
        };
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
            return;
        };
        let mut add = |key: &serde_json::Value| {
            if let Some(pk) = key["pk"]["S"].as_str() {
                *partitions.entry(pk.to_string()).or_default() += 1;
            }
        };
        match operation {
            "PutItem" => add(&json["Item"]),
            "UpdateItem" | "DeleteItem" => add(&json["Key"]),
            "TransactWriteItems" => {
                for item in json["TransactItems"].as_array().into_iter().flatten() {
                    add(&item["Put"]["Item"]);
                    add(&item["Update"]["Key"]);
                    add(&item["Delete"]["Key"]);
                }
            }
            "BatchWriteItem" => {
                for requests in json["RequestItems"].as_object().into_iter().flatten() {
                    for request in requests.1.as_array().into_iter().flatten() {
                        add(&request["PutRequest"]["Item"]);
                        add(&request["DeleteRequest"]["Key"]);
                    }
                }
            }
            _ => {}
        }
    }

    /// How many faults were injected.
    pub fn injected(&self) -> u64 {
        self.state.lock().expect("calls lock").injected
    }

    /// Counts this call and answers the fault it gets, if any.
    fn record(&self, cfg: &ConfigBag) -> Option<FaultKind> {
        let metadata = cfg.load::<Metadata>()?;
        let mut state = self.state.lock().expect("calls lock");
        let key = (
            service_name(metadata.service()).to_string(),
            metadata.name().to_string(),
        );
        let count = state.calls.entry(key).or_default();
        *count += 1;
        let n = *count;
        let kind = state
            .faults
            .iter()
            .find(|f| f.operation == metadata.name() && n >= f.nth && n < f.nth + f.repeat.max(1))
            .map(|f| f.kind);
        if kind.is_some() {
            state.injected += 1;
        }
        kind
    }
}

/// The SDKs name their services variously ("dynamodb", "DynamoDB", "s3"…).
fn service_name(service: &str) -> &'static str {
    match service.to_ascii_lowercase().as_str() {
        "dynamodb" => "DynamoDB",
        "s3" => "S3",
        "sqs" => "SQS",
        _ => "other",
    }
}

/// Marks a call already counted in this attempt's config bag, so the two
/// hooks below count it once.
#[derive(Debug, Clone)]
struct Verdict(Option<FaultKind>);

impl aws_smithy_types::config_bag::Storable for Verdict {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "local-stack calls"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let verdict = self.record(cfg);
        cfg.interceptor_state().store_put(Verdict(verdict));
        if matches!(verdict, Some(FaultKind::Throttle | FaultKind::Conflict)) {
            // Refused calls are not carried out: the request is turned
            // into one the emulator refuses without touching anything, and
            // its answer is replaced below.
            let request = context.request_mut();
            if request.headers().contains_key("x-amz-target") {
                request
                    .headers_mut()
                    .insert("x-amz-target", "LocalStack.Throttled");
            } else {
                let uri = request.uri().to_string();
                let origin = uri.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
                request.set_uri(format!("{origin}/local-stack-throttled/call"))?;
            }
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let throttled = matches!(
            cfg.load::<Verdict>(),
            Some(Verdict(Some(FaultKind::Throttle | FaultKind::Conflict)))
        );
        if let (Some(metadata), Some(body)) =
            (cfg.load::<Metadata>(), context.request().body().bytes())
            && service_name(metadata.service()) == "DynamoDB"
            && !throttled
        {
            self.count_partitions(metadata.name(), body);
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Verdict>() {
            Some(Verdict(Some(FaultKind::Throttle))) => {
                let service = cfg
                    .load::<Metadata>()
                    .map(|m| service_name(m.service()))
                    .unwrap_or("other");
                *context.response_mut() = throttled(service)?;
            }
            Some(Verdict(Some(FaultKind::Conflict))) => {
                *context.response_mut() = cancelled_for_conflict()?;
            }
            _ => {}
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        _: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Verdict>() {
            Some(Verdict(Some(FaultKind::LostAnswer))) => {
                Err("injected fault: the call was carried out but its answer was lost".into())
            }
            _ => Ok(()),
        }
    }
}

/// A throttling answer in the service's own protocol.
fn throttled(service: &str) -> Result<HttpResponse, BoxError> {
    let (status, content_type, body) = match service {
        "DynamoDB" => (
            400,
            "application/x-amz-json-1.0",
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"injected throttling"}"#.to_string(),
        ),
        "SQS" => (
            400,
            "application/x-amz-json-1.0",
            r#"{"__type":"com.amazonaws.sqs#ThrottlingException","message":"injected throttling"}"#.to_string(),
        ),
        _ => (
            503,
            "application/xml",
            "<Error><Code>SlowDown</Code><Message>injected throttling</Message></Error>".to_string(),
        ),
    };
    let response = http::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(SdkBody::from(body))?;
    Ok(HttpResponse::try_from(response)?)
}

/// DynamoDB's answer to a transaction cancelled for a conflicting one.
fn cancelled_for_conflict() -> Result<HttpResponse, BoxError> {
    let body = serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]",
        "CancellationReasons": [{"Code": "TransactionConflict", "Message": "injected conflict"}]
    });
    let response = http::Response::builder()
        .status(400)
        .header("content-type", "application/x-amz-json-1.0")
        .body(SdkBody::from(body.to_string()))?;
    Ok(HttpResponse::try_from(response)?)
}
