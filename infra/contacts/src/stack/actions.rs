//! What each function would need of IAM: an interceptor on one function's
//! clients that turns every AWS call it makes into the IAM actions AWS
//! checks for it, on the template's resources by logical id. The deployment
//! test compares them with the policies `infra/template.yaml` grants.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::SharedInterceptor;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;

/// An IAM action (`dynamodb:PutItem`) on a resource of the template: a
/// logical id, `ContactsTable/index` for the table's indexes and
/// `FilesBucket/*` for the bucket's objects.
pub type Grant = (String, String);

/// The IAM actions each function's calls needed, by function logical id.
#[derive(Debug, Clone, Default)]
pub struct ActionLog {
    needed: Arc<Mutex<BTreeMap<String, BTreeSet<Grant>>>>,
    /// Queue URLs by the logical id of their queue.
    queues: Arc<BTreeMap<String, String>>,
}

impl ActionLog {
    /// `queues`: each queue's URL and logical id, to name the queue a call
    /// is for.
    pub fn new(queues: BTreeMap<String, String>) -> Self {
        Self {
            needed: Arc::default(),
            queues: Arc::new(queues),
        }
    }

    /// The interceptor for the clients of `function`.
    pub fn interceptor(&self, function: &str) -> SharedInterceptor {
        SharedInterceptor::new(FunctionCalls {
            function: function.to_string(),
            log: self.clone(),
        })
    }

    /// Records what `function` needs besides its AWS calls (a presigned
    /// link is only as good as its signer's own right to the call).
    pub fn record(&self, function: &str, action: &str, resource: &str) {
        self.needed
            .lock()
            .expect("action log lock")
            .entry(function.to_string())
            .or_default()
            .insert((action.to_string(), resource.to_string()));
    }

    /// Everything needed so far.
    pub fn needed(&self) -> BTreeMap<String, BTreeSet<Grant>> {
        self.needed.lock().expect("action log lock").clone()
    }

    fn queue(&self, url: Option<&str>) -> String {
        url.and_then(|url| self.queues.get(url).cloned())
            .unwrap_or_else(|| "unknown queue".to_string())
    }
}

#[derive(Debug)]
struct FunctionCalls {
    function: String,
    log: ActionLog,
}

impl Intercept for FunctionCalls {
    fn name(&self) -> &'static str {
        "FunctionCalls"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        let body = context
            .request()
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
            .unwrap_or(Value::Null);
        for (action, resource) in grants(&self.log, metadata.service(), metadata.name(), &body) {
            self.log.record(&self.function, &action, &resource);
        }
        Ok(())
    }
}

/// The IAM actions one call needs, and on what.
fn grants(log: &ActionLog, service: &str, operation: &str, body: &Value) -> Vec<Grant> {
    let on = |action: &str, resource: &str| (action.to_string(), resource.to_string());
    match service.to_ascii_lowercase().as_str() {
        "dynamodb" => {
            let table = |request: &Value| {
                if request["IndexName"].is_string() {
                    "ContactsTable/index"
                } else {
                    "ContactsTable"
                }
            };
            match operation {
                // A transaction is allowed item by item.
                "TransactWriteItems" => body["TransactItems"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|item| {
                        [
                            ("Put", "dynamodb:PutItem"),
                            ("Update", "dynamodb:UpdateItem"),
                            ("Delete", "dynamodb:DeleteItem"),
                            ("ConditionCheck", "dynamodb:ConditionCheckItem"),
                        ]
                        .into_iter()
                        .find(|(kind, _)| item[kind].is_object())
                        .map(|(_, action)| on(action, "ContactsTable"))
                    })
                    .collect(),
                "TransactGetItems" => vec![on("dynamodb:GetItem", "ContactsTable")],
                // A batch of puts and deletes is allowed as a batch
                // (`dynamodb:BatchWriteItem`), as a batch read is.
                other => vec![on(&format!("dynamodb:{other}"), table(body))],
            }
        }
        "s3" => {
            let (action, resource) = match operation {
                "ListObjectsV2" | "ListObjects" | "HeadBucket" => ("s3:ListBucket", "FilesBucket"),
                "HeadObject" | "GetObject" => ("s3:GetObject", "FilesBucket/*"),
                "DeleteObjects" | "DeleteObject" => ("s3:DeleteObject", "FilesBucket/*"),
                "CreateMultipartUpload"
                | "UploadPart"
                | "CompleteMultipartUpload"
                | "PutObject" => ("s3:PutObject", "FilesBucket/*"),
                other => return vec![on(&format!("s3:{other}"), "FilesBucket/*")],
            };
            vec![on(action, resource)]
        }
        "sqs" => {
            let action = match operation {
                "SendMessageBatch" => "SendMessage",
                "DeleteMessageBatch" => "DeleteMessage",
                other => other,
            };
            vec![on(
                &format!("sqs:{action}"),
                &log.queue(body["QueueUrl"].as_str()),
            )]
        }
        other => vec![on(&format!("{other}:{operation}"), "unknown")],
    }
}
