//! What the template declares of each resource the local stack makes, as
//! plain values: the names, the table, the queues, the bucket, and which
//! function polls which queue.

use std::collections::BTreeMap;

/// The physical names of the service's resources for one stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceNames {
    pub table: String,
    pub bucket: String,
    pub uploads_queue: String,
    pub uploads_dlq: String,
    pub rows_queue: String,
    pub rows_dlq: String,
    pub jobs_queue: String,
    pub jobs_dlq: String,
}

/// A function fed by an SQS event source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollerSpec {
    /// The function's logical id, e.g. `WorkerFunction`.
    pub function: String,
    /// The cargo binary, e.g. `worker`.
    pub binary: String,
    /// The queue's logical id.
    pub queue: String,
    pub batch_size: i32,
    pub report_batch_item_failures: bool,
}

/// The table as the template declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub name: String,
    pub billing_mode: String,
    /// (attribute name, type), in the template's order.
    pub attributes: Vec<(String, String)>,
    pub key_schema: Vec<KeyElement>,
    pub global_indexes: Vec<IndexSpec>,
    pub ttl: Option<TtlSpec>,
    pub point_in_time_recovery: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyElement {
    pub attribute: String,
    /// `HASH` or `RANGE`.
    pub key_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    pub name: String,
    pub key_schema: Vec<KeyElement>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtlSpec {
    pub attribute: String,
    pub enabled: bool,
}

/// A queue as the template declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub logical_id: String,
    pub name: String,
    /// SQS attributes by name (`VisibilityTimeout` …), CloudFormation's
    /// defaults filled in; the redrive policy is apart.
    pub attributes: BTreeMap<String, String>,
    pub redrive: Option<RedriveSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedriveSpec {
    /// The dead-letter queue's logical id.
    pub dead_letter_queue: String,
    pub max_receive_count: i64,
}

/// The bucket as the template declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSpec {
    pub name: String,
    /// The default encryption's algorithm, e.g. `AES256`.
    pub encryption: Option<String>,
    pub public_access_block: Option<PublicAccessBlock>,
    pub queue_notifications: Vec<QueueNotification>,
    pub lifecycle_rules: Vec<LifecycleRuleSpec>,
    pub cors_rules: Vec<CorsRuleSpec>,
}

/// A bucket CORS rule. Origins given as the template's `AllowedOrigins`
/// parameter take its default unless the stack is started with others;
/// the pages' own origin (the CloudFront distribution's on AWS) is, locally,
/// the stack's own when it serves the pages. `origins` holds the
/// parameter's default, or the listed origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsRuleSpec {
    pub id: Option<String>,
    pub methods: Vec<String>,
    pub origins: Vec<String>,
    pub origins_from: OriginsFrom,
    pub headers: Vec<String>,
    pub exposed: Vec<String>,
    pub max_age: Option<i32>,
}

/// Where a CORS rule's origins come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginsFrom {
    /// Written in the template.
    Listed,
    /// The `AllowedOrigins` parameter.
    Parameter,
    /// The origin the deployment serves its pages from
    /// (`https://${PagesDistribution.DomainName}`), then the parameter.
    PagesAndParameter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub block_public_policy: bool,
    pub ignore_public_acls: bool,
    pub restrict_public_buckets: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueNotification {
    /// e.g. `s3:ObjectCreated:*`.
    pub event: String,
    /// The queue's logical id.
    pub queue: String,
    /// (`prefix` or `suffix`, value).
    pub key_filter: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleRuleSpec {
    pub id: String,
    pub enabled: bool,
    pub prefix: Option<String>,
    pub expiration_days: Option<i32>,
    pub abort_multipart_days: Option<i32>,
}
