//! An SDK interceptor on every AWS call of the local stack: it counts calls
//! by service and operation (the benchmark reports them per 1,000 rows), and
//! injects the faults moto never produces: on chosen calls ([`Fault`]), or
//! on any call at random ([`RandomFaults`]). It also carries the fuse that
//! kills a handler in the middle of its work ([`killed_at_call`]).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::SharedInterceptor;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeDeserializationInterceptorContextMut,
    BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

/// What a fault does to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// The call reaches AWS and is carried out, but its caller never hears
    /// back (as when a function dies right after a write): it sees an error.
    LostAnswer,
    /// AWS answers "slow down" without carrying the call out (the SDK
    /// retries throttling itself).
    Throttle,
    /// AWS answers 500 (DynamoDB's `InternalServerError`, S3's and SQS's
    /// `InternalError`) without carrying the call out; the SDK retries it.
    Unavailable,
    /// DynamoDB cancels a transaction for a conflicting one, without
    /// carrying it out (the SDK leaves that to its caller).
    Conflict,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::LostAnswer => "lost answer",
            Self::Throttle => "throttled",
            Self::Unavailable => "500",
            Self::Conflict => "conflict",
        }
    }

    /// Whether the call was carried out all the same.
    fn carried_out(self) -> bool {
        self == Self::LostAnswer
    }
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

/// Faults on any call of DynamoDB, S3 and SQS: each call fails with
/// `probability`, as throttling, a 500, or (writes only: a read whose
/// answer is lost did nothing) a lost answer, one as likely as another.
/// Whether the `n`th call of an operation fails, and how, depends on the
/// seed and `n` only, so a seed replays the same faults as far as the
/// calls come in the same order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandomFaults {
    pub seed: u64,
    pub probability: f64,
}

impl RandomFaults {
    fn fault(&self, service: &str, operation: &str, n: u64) -> Option<FaultKind> {
        let mut draws = Draws::new(self.seed ^ fnv1a(&format!("{service}/{operation}/{n}")));
        if !draws.chance(self.probability) {
            return None;
        }
        let kinds: &[FaultKind] = if is_read(operation) {
            &[FaultKind::Throttle, FaultKind::Unavailable]
        } else {
            &[
                FaultKind::Throttle,
                FaultKind::Unavailable,
                FaultKind::LostAnswer,
            ]
        };
        Some(kinds[draws.below(kinds.len() as u64) as usize])
    }
}

/// Operations that change nothing, by the AWS naming conventions.
fn is_read(operation: &str) -> bool {
    [
        "Get", "BatchGet", "Query", "Scan", "List", "Head", "Describe",
    ]
    .iter()
    .any(|prefix| operation.starts_with(prefix))
}

/// A small deterministic source of random numbers (SplitMix64): the same
/// seed gives the same draws. Not for anything secret.
#[derive(Debug, Clone)]
pub struct Draws {
    state: u64,
}

impl Draws {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        // The top 53 bits as a fraction in [0, 1).
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// `items` in a random order.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// A stable 64-bit hash of a name (FNV-1a), to derive seeds from names.
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What the faults did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultLog {
    /// Faults injected, by (service, kind).
    pub injected: BTreeMap<(String, FaultKind), u64>,
    /// Calls whose caller saw an error after a fault, by service: the
    /// faults the SDK's own retries did not absorb.
    pub surfaced: BTreeMap<String, u64>,
}

impl FaultLog {
    pub fn total(&self) -> u64 {
        self.injected.values().sum()
    }

    pub fn surfaced_total(&self) -> u64 {
        self.surfaced.values().sum()
    }
}

#[derive(Debug, Default)]
struct State {
    calls: BTreeMap<(String, String), u64>,
    faults: Vec<Fault>,
    random: Option<RandomFaults>,
    random_paused: bool,
    log: FaultLog,
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

    /// Chosen faults, and faults at random on any call.
    pub fn with_random(faults: Vec<Fault>, random: Option<RandomFaults>) -> Self {
        let calls = Self::new(faults);
        calls.state.lock().expect("calls lock").random = random;
        calls
    }

    /// Holds the random faults back (setting up, checking the end state),
    /// or lets them loose again.
    pub fn pause_random(&self, paused: bool) {
        self.state.lock().expect("calls lock").random_paused = paused;
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
        self.state.lock().expect("calls lock").log.total()
    }

    /// The faults injected so far, and those their callers saw.
    pub fn fault_log(&self) -> FaultLog {
        self.state.lock().expect("calls lock").log.clone()
    }

    /// Counts this call and answers the fault it gets, if any.
    fn record(&self, cfg: &ConfigBag) -> Option<FaultKind> {
        let metadata = cfg.load::<Metadata>()?;
        let service = service_name(metadata.service());
        let operation = metadata.name();
        let mut state = self.state.lock().expect("calls lock");
        let count = state
            .calls
            .entry((service.to_string(), operation.to_string()))
            .or_default();
        *count += 1;
        let n = *count;
        let chosen = state
            .faults
            .iter()
            .find(|f| f.operation == operation && n >= f.nth && n < f.nth + f.repeat.max(1))
            .map(|f| f.kind);
        let random = match (state.random, state.random_paused) {
            (Some(random), false) if service != "other" => random.fault(service, operation, n),
            _ => None,
        };
        let kind = chosen.or(random)?;
        *state
            .log
            .injected
            .entry((service.to_string(), kind))
            .or_default() += 1;
        Some(kind)
    }

    fn count_surfaced(&self, service: &str) {
        *self
            .state
            .lock()
            .expect("calls lock")
            .log
            .surfaced
            .entry(service.to_string())
            .or_default() += 1;
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

/// Marks an operation one of whose attempts got a fault.
#[derive(Debug, Clone)]
struct Faulted;

impl aws_smithy_types::config_bag::Storable for Faulted {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

/// Whether a request is a presigned URL being made (the SDK runs it through
/// the interceptors up to here): no call to AWS, so neither counted nor
/// faulted.
fn is_presigned(uri: &str) -> bool {
    uri.contains("X-Amz-Signature=")
}

tokio::task_local! {
    static FUSE: Arc<Fuse>;
}

/// Counts down a handler's AWS calls; the call that reaches zero blows it.
#[derive(Debug)]
struct Fuse {
    calls_left: AtomicU64,
    blown: tokio::sync::Notify,
}

impl Fuse {
    fn burn(&self) {
        if self.calls_left.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.blown.notify_one();
        }
    }
}

/// Runs `handler` and kills it during its `nth` AWS call (counting from 1),
/// as a Lambda instance dies mid-work (a timeout, a crash): that call may or
/// may not reach AWS, and nothing after it runs. Answers `None` when the
/// handler was killed, its output when it finished first.
pub async fn killed_at_call<F: Future>(nth: u64, handler: F) -> Option<F::Output> {
    let fuse = Arc::new(Fuse {
        calls_left: AtomicU64::new(nth.max(1)),
        blown: tokio::sync::Notify::new(),
    });
    let watch = fuse.clone();
    tokio::select! {
        biased;
        () = watch.blown.notified() => None,
        output = FUSE.scope(fuse, handler) => Some(output),
    }
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
        if is_presigned(context.request().uri()) {
            cfg.interceptor_state().store_put(Verdict(None));
            return Ok(());
        }
        let _ = FUSE.try_with(|fuse| fuse.burn());
        let verdict = self.record(cfg);
        cfg.interceptor_state().store_put(Verdict(verdict));
        if verdict.is_some() {
            cfg.interceptor_state().store_put(Faulted);
        }
        if verdict.is_some_and(|kind| !kind.carried_out()) {
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
            Some(Verdict(Some(kind))) if !kind.carried_out()
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
        let service = cfg
            .load::<Metadata>()
            .map(|m| service_name(m.service()))
            .unwrap_or("other");
        match cfg.load::<Verdict>() {
            Some(Verdict(Some(FaultKind::Throttle))) => {
                *context.response_mut() = throttled(service)?;
            }
            Some(Verdict(Some(FaultKind::Unavailable))) => {
                *context.response_mut() = internal_error(service)?;
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

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg.load::<Faulted>().is_some() && matches!(context.output_or_error(), Some(Err(_))) {
            let service = cfg
                .load::<Metadata>()
                .map(|m| service_name(m.service()))
                .unwrap_or("other");
            self.count_surfaced(service);
        }
        Ok(())
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

/// A 500 in the service's own protocol.
fn internal_error(service: &str) -> Result<HttpResponse, BoxError> {
    let (content_type, body) = match service {
        "DynamoDB" => (
            "application/x-amz-json-1.0",
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected internal error"}"#,
        ),
        "SQS" => (
            "application/x-amz-json-1.0",
            r#"{"__type":"com.amazonaws.sqs#InternalError","message":"injected internal error"}"#,
        ),
        _ => (
            "application/xml",
            "<Error><Code>InternalError</Code><Message>injected internal error</Message></Error>",
        ),
    };
    let response = http::Response::builder()
        .status(500)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_faults_on_the_same_calls() {
        let random = RandomFaults {
            seed: 7,
            probability: 0.1,
        };
        let faults = |random: RandomFaults| -> Vec<Option<FaultKind>> {
            (1..=2_000)
                .map(|n| random.fault("DynamoDB", "TransactWriteItems", n))
                .collect()
        };
        assert_eq!(faults(random), faults(random));
        let other = faults(RandomFaults { seed: 8, ..random });
        assert_ne!(faults(random), other, "another seed, other faults");
    }

    #[test]
    fn about_one_call_in_ten_fails_and_reads_never_lose_an_answer() {
        let random = RandomFaults {
            seed: 1,
            probability: 0.1,
        };
        let mut kinds: BTreeMap<FaultKind, u32> = BTreeMap::new();
        for n in 1..=20_000 {
            for operation in ["PutObject", "GetObject"] {
                if let Some(kind) = random.fault("S3", operation, n) {
                    assert!(
                        !(operation == "GetObject" && kind == FaultKind::LostAnswer),
                        "a read lost its answer"
                    );
                    *kinds.entry(kind).or_default() += 1;
                }
            }
        }
        let total: u32 = kinds.values().sum();
        assert!((3_600..=4_400).contains(&total), "{total} of 40,000");
        // A third of the writes' faults, none of the reads'.
        assert!(
            (500..=850).contains(&kinds[&FaultKind::LostAnswer]),
            "{kinds:?}"
        );
        assert!(!kinds.contains_key(&FaultKind::Conflict), "{kinds:?}");
    }

    #[test]
    fn draws_shuffle_every_item_into_place_once() {
        let mut draws = Draws::new(3);
        let mut items: Vec<u32> = (0..50).collect();
        draws.shuffle(&mut items);
        assert_ne!(items, (0..50).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..50).collect::<Vec<_>>());
        assert!((0..1_000).all(|_| draws.below(6) < 6));
    }

    /// Stands for an AWS call the interceptor sees.
    async fn aws_call() {
        let _ = FUSE.try_with(|fuse| fuse.burn());
        tokio::task::yield_now().await;
    }

    #[tokio::test]
    async fn a_handler_is_killed_during_its_nth_call_and_does_nothing_after() {
        let done = Arc::new(AtomicU64::new(0));
        let handler = |calls: u64| {
            let done = done.clone();
            async move {
                for _ in 0..calls {
                    aws_call().await;
                    done.fetch_add(1, Ordering::SeqCst);
                }
                "finished"
            }
        };
        assert_eq!(killed_at_call(3, handler(5)).await, None);
        assert_eq!(
            done.load(Ordering::SeqCst),
            2,
            "the third call never answered"
        );
        done.store(0, Ordering::SeqCst);
        assert_eq!(killed_at_call(9, handler(5)).await, Some("finished"));
        assert_eq!(done.load(Ordering::SeqCst), 5);
    }
}
