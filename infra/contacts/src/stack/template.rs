//! Reads `infra/template.yaml` and answers what the local stack needs: the
//! resources' names and properties, and which functions poll which queue.
//!
//! The readers are strict: a property the local stack cannot reproduce is an
//! error, never silently skipped, so the local resources cannot drift from
//! the template unnoticed.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::Path;

use serde_yaml_ng::Value;

use super::StackError;

/// The template, beside this crate.
pub const TEMPLATE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");

/// moto's default account, what `${AWS::AccountId}` resolves to locally.
pub const ACCOUNT_ID: &str = "123456789012";
/// The region of the local clients, what `${AWS::Region}` resolves to.
pub const REGION: &str = "us-east-1";

/// Logical ids of the resources the service is built around.
pub const TABLE: &str = "ContactsTable";
pub const BUCKET: &str = "FilesBucket";
pub const UPLOADS_QUEUE: &str = "UploadsQueue";
pub const ROWS_QUEUE: &str = "RowsQueue";
pub const JOBS_QUEUE: &str = "JobsQueue";

/// CloudFormation's values for queue properties a template leaves out, so an
/// unset property is still compared with the live queue.
const QUEUE_DEFAULTS: [(&str, &str); 4] = [
    ("DelaySeconds", "0"),
    ("MessageRetentionPeriod", "345600"),
    ("ReceiveMessageWaitTimeSeconds", "0"),
    ("VisibilityTimeout", "30"),
];

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    root: Value,
}

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

impl Template {
    pub fn load(path: &Path) -> Result<Template, StackError> {
        let yaml = std::fs::read_to_string(path)
            .map_err(|e| StackError::Template(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&yaml)
    }

    pub fn parse(yaml: &str) -> Result<Template, StackError> {
        let root: Value = serde_yaml_ng::from_str(yaml)
            .map_err(|e| StackError::Template(format!("invalid YAML: {e}")))?;
        reject_tags(&root, "template")?;
        let template = Template { root };
        template.resources()?;
        Ok(template)
    }

    /// Resolves `Fn::Sub` with `${AWS::StackName}` = `stack_name` and
    /// `${AWS::AccountId}` = moto's account.
    pub fn names(&self, stack_name: &str) -> Result<ResourceNames, StackError> {
        let dead_letter_name = |queue: &QueueSpec| -> Result<String, StackError> {
            let redrive = queue.redrive.as_ref().ok_or_else(|| {
                StackError::Template(format!("{} has no RedrivePolicy", queue.logical_id))
            })?;
            Ok(self.queue(&redrive.dead_letter_queue, stack_name)?.name)
        };
        let uploads = self.queue(UPLOADS_QUEUE, stack_name)?;
        let rows = self.queue(ROWS_QUEUE, stack_name)?;
        let jobs = self.queue(JOBS_QUEUE, stack_name)?;
        Ok(ResourceNames {
            table: self.table(stack_name)?.name,
            bucket: self.bucket(stack_name)?.name,
            uploads_dlq: dead_letter_name(&uploads)?,
            uploads_queue: uploads.name,
            rows_dlq: dead_letter_name(&rows)?,
            rows_queue: rows.name,
            jobs_dlq: dead_letter_name(&jobs)?,
            jobs_queue: jobs.name,
        })
    }

    /// Every SQS event source of every function, in the template's order.
    pub fn pollers(&self) -> Result<Vec<PollerSpec>, StackError> {
        let mut pollers = Vec::new();
        for (function, resource) in self.resources_of_type("AWS::Serverless::Function")? {
            let Some(events) = resource.opt("Properties").and_then(|p| p.opt("Events")) else {
                continue;
            };
            for (_, event) in events.entries()? {
                if event.req("Type")?.str()? != "SQS" {
                    continue;
                }
                let properties = event.req("Properties")?;
                let queue = self.queue_arn_target(&properties.req("Queue")?)?;
                let binary = resource
                    .req("Metadata")?
                    .req("BuildProperties")?
                    .req("Binary")?
                    .str()?
                    .to_string();
                let batch_size = match properties.opt("BatchSize") {
                    Some(node) => node.int32()?,
                    None => 10, // Lambda's default for SQS
                };
                let report_batch_item_failures = match properties.opt("FunctionResponseTypes") {
                    Some(types) => types
                        .list()?
                        .iter()
                        .map(Node::str)
                        .collect::<Result<Vec<_>, _>>()?
                        .contains(&"ReportBatchItemFailures"),
                    None => false,
                };
                pollers.push(PollerSpec {
                    function: function.to_string(),
                    binary,
                    queue,
                    batch_size,
                    report_batch_item_failures,
                });
            }
        }
        Ok(pollers)
    }

    /// The table (`ContactsTable`).
    pub fn table(&self, stack_name: &str) -> Result<TableSpec, StackError> {
        let pseudo = Pseudo { stack_name };
        let props = self.properties(TABLE, "AWS::DynamoDB::Table")?;
        props.only(&[
            "TableName",
            "BillingMode",
            "AttributeDefinitions",
            "KeySchema",
            "GlobalSecondaryIndexes",
            "TimeToLiveSpecification",
            "PointInTimeRecoverySpecification",
            "Tags",
        ])?;
        let billing = props.req("BillingMode")?;
        let billing_mode = billing.str()?.to_string();
        if billing_mode != "PAY_PER_REQUEST" {
            // Provisioned capacity would need throughput settings copied too.
            return Err(billing.err("only PAY_PER_REQUEST is supported locally"));
        }
        let attributes = props
            .req("AttributeDefinitions")?
            .list()?
            .iter()
            .map(|a| {
                a.only(&["AttributeName", "AttributeType"])?;
                Ok((
                    a.req("AttributeName")?.str()?.to_string(),
                    a.req("AttributeType")?.str()?.to_string(),
                ))
            })
            .collect::<Result<_, StackError>>()?;
        let global_indexes = match props.opt("GlobalSecondaryIndexes") {
            Some(list) => list
                .list()?
                .iter()
                .map(index_spec)
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let ttl = props
            .opt("TimeToLiveSpecification")
            .map(|t| {
                t.only(&["AttributeName", "Enabled"])?;
                Ok::<_, StackError>(TtlSpec {
                    attribute: t.req("AttributeName")?.str()?.to_string(),
                    enabled: t.req("Enabled")?.bool()?,
                })
            })
            .transpose()?;
        let point_in_time_recovery = match props.opt("PointInTimeRecoverySpecification") {
            Some(p) => {
                p.only(&["PointInTimeRecoveryEnabled"])?;
                p.opt("PointInTimeRecoveryEnabled")
                    .map(|n| n.bool())
                    .transpose()?
                    .unwrap_or(false)
            }
            None => false,
        };
        Ok(TableSpec {
            name: props.req("TableName")?.text(&pseudo)?,
            billing_mode,
            attributes,
            key_schema: key_schema(&props.req("KeySchema")?)?,
            global_indexes,
            ttl,
            point_in_time_recovery,
        })
    }

    /// Every `AWS::SQS::Queue`, in the template's order.
    pub fn queues(&self, stack_name: &str) -> Result<Vec<QueueSpec>, StackError> {
        self.resources_of_type("AWS::SQS::Queue")?
            .into_iter()
            .map(|(id, resource)| self.queue_spec(id, &resource, stack_name))
            .collect()
    }

    /// One queue by logical id.
    pub fn queue(&self, logical_id: &str, stack_name: &str) -> Result<QueueSpec, StackError> {
        let resource = self.resource(logical_id, "AWS::SQS::Queue")?;
        self.queue_spec(logical_id, &resource, stack_name)
    }

    /// The bucket (`FilesBucket`).
    pub fn bucket(&self, stack_name: &str) -> Result<BucketSpec, StackError> {
        let pseudo = Pseudo { stack_name };
        let props = self.properties(BUCKET, "AWS::S3::Bucket")?;
        props.only(&[
            "BucketName",
            "BucketEncryption",
            "PublicAccessBlockConfiguration",
            "NotificationConfiguration",
            "LifecycleConfiguration",
            "Tags",
        ])?;
        let encryption = match props.opt("BucketEncryption") {
            Some(e) => {
                e.only(&["ServerSideEncryptionConfiguration"])?;
                let rules = e.req("ServerSideEncryptionConfiguration")?.list()?;
                let [rule] = rules.as_slice() else {
                    return Err(e.err("exactly one encryption rule is supported locally"));
                };
                rule.only(&["ServerSideEncryptionByDefault"])?;
                let default = rule.req("ServerSideEncryptionByDefault")?;
                default.only(&["SSEAlgorithm"])?;
                Some(default.req("SSEAlgorithm")?.str()?.to_string())
            }
            None => None,
        };
        let public_access_block = match props.opt("PublicAccessBlockConfiguration") {
            Some(p) => {
                let flags = [
                    "BlockPublicAcls",
                    "BlockPublicPolicy",
                    "IgnorePublicAcls",
                    "RestrictPublicBuckets",
                ];
                p.only(&flags)?;
                let flag = |name: &str| -> Result<bool, StackError> {
                    Ok(p.opt(name).map(|n| n.bool()).transpose()?.unwrap_or(false))
                };
                Some(PublicAccessBlock {
                    block_public_acls: flag(flags[0])?,
                    block_public_policy: flag(flags[1])?,
                    ignore_public_acls: flag(flags[2])?,
                    restrict_public_buckets: flag(flags[3])?,
                })
            }
            None => None,
        };
        let mut queue_notifications = Vec::new();
        if let Some(n) = props.opt("NotificationConfiguration") {
            n.only(&["QueueConfigurations"])?;
            for q in n.req("QueueConfigurations")?.list()? {
                q.only(&["Event", "Filter", "Queue"])?;
                let mut key_filter = Vec::new();
                if let Some(filter) = q.opt("Filter") {
                    filter.only(&["S3Key"])?;
                    let s3_key = filter.req("S3Key")?;
                    s3_key.only(&["Rules"])?;
                    for rule in s3_key.req("Rules")?.list()? {
                        rule.only(&["Name", "Value"])?;
                        key_filter.push((
                            rule.req("Name")?.str()?.to_ascii_lowercase(),
                            rule.req("Value")?.str()?.to_string(),
                        ));
                    }
                }
                queue_notifications.push(QueueNotification {
                    event: q.req("Event")?.str()?.to_string(),
                    queue: self.queue_arn_target(&q.req("Queue")?)?,
                    key_filter,
                });
            }
        }
        let mut lifecycle_rules = Vec::new();
        if let Some(l) = props.opt("LifecycleConfiguration") {
            l.only(&["Rules"])?;
            for rule in l.req("Rules")?.list()? {
                rule.only(&[
                    "Id",
                    "Status",
                    "Prefix",
                    "ExpirationInDays",
                    "AbortIncompleteMultipartUpload",
                ])?;
                let status = rule.req("Status")?;
                let enabled = match status.str()? {
                    "Enabled" => true,
                    "Disabled" => false,
                    other => return Err(status.err(format_args!("unknown status {other}"))),
                };
                let abort_multipart_days = match rule.opt("AbortIncompleteMultipartUpload") {
                    Some(a) => {
                        a.only(&["DaysAfterInitiation"])?;
                        Some(a.req("DaysAfterInitiation")?.int32()?)
                    }
                    None => None,
                };
                lifecycle_rules.push(LifecycleRuleSpec {
                    // The id is what matches a live rule to its declaration.
                    id: rule.req("Id")?.str()?.to_string(),
                    enabled,
                    prefix: rule.opt("Prefix").map(|p| p.text(&pseudo)).transpose()?,
                    expiration_days: rule
                        .opt("ExpirationInDays")
                        .map(|d| d.int32())
                        .transpose()?,
                    abort_multipart_days,
                });
            }
        }
        Ok(BucketSpec {
            name: props.req("BucketName")?.text(&pseudo)?,
            encryption,
            public_access_block,
            queue_notifications,
            lifecycle_rules,
        })
    }

    fn queue_spec(
        &self,
        logical_id: &str,
        resource: &Node<'_>,
        stack_name: &str,
    ) -> Result<QueueSpec, StackError> {
        let pseudo = Pseudo { stack_name };
        let props = resource
            .opt("Properties")
            .unwrap_or_else(|| resource.null());
        let mut attributes: BTreeMap<String, String> = QUEUE_DEFAULTS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut redrive = None;
        for (key, value) in props.entries()? {
            match key {
                // Locally generated names would not be predictable.
                "QueueName" | "Tags" => {}
                "RedrivePolicy" => {
                    value.only(&["deadLetterTargetArn", "maxReceiveCount"])?;
                    let target = value.req("deadLetterTargetArn")?;
                    redrive = Some(RedriveSpec {
                        dead_letter_queue: self.queue_arn_target(&target)?,
                        max_receive_count: value.req("maxReceiveCount")?.int()?,
                    });
                }
                // Every other property is an SQS attribute of the same name.
                _ => {
                    attributes.insert(key.to_string(), value.scalar()?);
                }
            }
        }
        Ok(QueueSpec {
            logical_id: logical_id.to_string(),
            name: props.req("QueueName")?.text(&pseudo)?,
            attributes,
            redrive,
        })
    }

    /// The queue a `Fn::GetAtt: [Queue, Arn]` names, checked to be one.
    fn queue_arn_target(&self, node: &Node<'_>) -> Result<String, StackError> {
        let (id, attribute) = node.get_att()?;
        if attribute != "Arn" {
            return Err(node.err(format_args!("expected {id}.Arn, found {id}.{attribute}")));
        }
        self.resource(id, "AWS::SQS::Queue")?;
        Ok(id.to_string())
    }

    fn resources(&self) -> Result<Node<'_>, StackError> {
        let root = Node {
            value: &self.root,
            path: String::new(),
        };
        let resources = root.req("Resources")?;
        resources.entries()?;
        Ok(resources)
    }

    fn resource(&self, logical_id: &str, kind: &str) -> Result<Node<'_>, StackError> {
        let resource = self.resources()?.req(logical_id)?;
        let found = resource.req("Type")?.str()?;
        if found != kind {
            return Err(resource.err(format_args!("expected a {kind}, found a {found}")));
        }
        Ok(resource)
    }

    fn properties(&self, logical_id: &str, kind: &str) -> Result<Node<'_>, StackError> {
        let resource = self.resource(logical_id, kind)?;
        Ok(resource
            .opt("Properties")
            .unwrap_or_else(|| resource.null()))
    }

    fn resources_of_type(&self, kind: &str) -> Result<Vec<(&str, Node<'_>)>, StackError> {
        let mut found = Vec::new();
        for (id, resource) in self.resources()?.entries()? {
            if resource.req("Type")?.str()? == kind {
                found.push((id, resource));
            }
        }
        Ok(found)
    }
}

fn key_schema(node: &Node<'_>) -> Result<Vec<KeyElement>, StackError> {
    node.list()?
        .iter()
        .map(|k| {
            k.only(&["AttributeName", "KeyType"])?;
            Ok(KeyElement {
                attribute: k.req("AttributeName")?.str()?.to_string(),
                key_type: k.req("KeyType")?.str()?.to_string(),
            })
        })
        .collect()
}

fn index_spec(node: &Node<'_>) -> Result<IndexSpec, StackError> {
    node.only(&["IndexName", "KeySchema", "Projection"])?;
    let projection = node.req("Projection")?;
    projection.only(&["ProjectionType", "NonKeyAttributes"])?;
    let non_key_attributes = match projection.opt("NonKeyAttributes") {
        Some(list) => list
            .list()?
            .iter()
            .map(|n| n.str().map(str::to_string))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    Ok(IndexSpec {
        name: node.req("IndexName")?.str()?.to_string(),
        key_schema: key_schema(&node.req("KeySchema")?)?,
        projection_type: projection.req("ProjectionType")?.str()?.to_string(),
        non_key_attributes,
    })
}

/// Short-form intrinsics (`!Ref`) parse as YAML tags, which no plain reader
/// of the template understands.
fn reject_tags(value: &Value, path: &str) -> Result<(), StackError> {
    match value {
        Value::Tagged(tagged) => Err(StackError::Template(format!(
            "{path}: short-form intrinsic {} found; use the long form (Ref:, Fn::GetAtt:, Fn::Sub:)",
            tagged.tag
        ))),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| reject_tags(item, &format!("{path}[{i}]"))),
        Value::Mapping(map) => map.iter().try_for_each(|(key, item)| {
            let key = key.as_str().unwrap_or("?");
            reject_tags(item, &format!("{path}.{key}"))
        }),
        _ => Ok(()),
    }
}

/// The pseudo parameters `Fn::Sub` may name locally.
struct Pseudo<'s> {
    stack_name: &'s str,
}

impl Pseudo<'_> {
    fn resolve(&self, name: &str) -> Option<&str> {
        Some(match name {
            "AWS::StackName" => self.stack_name,
            "AWS::AccountId" => ACCOUNT_ID,
            "AWS::Region" => REGION,
            "AWS::Partition" => "aws",
            "AWS::URLSuffix" => "amazonaws.com",
            _ => return None,
        })
    }
}

static NULL: Value = Value::Null;

/// A value of the template with its path, for errors that say where.
struct Node<'a> {
    value: &'a Value,
    path: String,
}

impl<'a> Node<'a> {
    fn err(&self, what: impl Display) -> StackError {
        StackError::Template(format!("{}: {what}", self.path.trim_start_matches('.')))
    }

    /// An absent value at this node's path.
    fn null(&self) -> Node<'a> {
        Node {
            value: &NULL,
            path: self.path.clone(),
        }
    }

    fn opt(&self, key: &str) -> Option<Node<'a>> {
        let value = self.value.as_mapping()?.get(key)?;
        (!value.is_null()).then(|| Node {
            value,
            path: format!("{}.{key}", self.path),
        })
    }

    fn req(&self, key: &str) -> Result<Node<'a>, StackError> {
        self.opt(key)
            .ok_or_else(|| self.err(format_args!("{key} is missing")))
    }

    /// The entries of a mapping (none for an absent value).
    fn entries(&self) -> Result<Vec<(&'a str, Node<'a>)>, StackError> {
        let map = match self.value {
            Value::Null => return Ok(Vec::new()),
            Value::Mapping(map) => map,
            _ => return Err(self.err("expected a mapping")),
        };
        map.iter()
            .map(|(key, value)| {
                let key = key
                    .as_str()
                    .ok_or_else(|| self.err("expected string keys"))?;
                Ok((
                    key,
                    Node {
                        value,
                        path: format!("{}.{key}", self.path),
                    },
                ))
            })
            .collect()
    }

    /// Refuses keys the local stack does not reproduce.
    fn only(&self, supported: &[&str]) -> Result<(), StackError> {
        for (key, node) in self.entries()? {
            if !supported.contains(&key) {
                return Err(node.err("not supported by the local stack"));
            }
        }
        Ok(())
    }

    fn list(&self) -> Result<Vec<Node<'a>>, StackError> {
        let items = self
            .value
            .as_sequence()
            .ok_or_else(|| self.err("expected a list"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Node {
                value,
                path: format!("{}[{i}]", self.path),
            })
            .collect())
    }

    fn str(&self) -> Result<&'a str, StackError> {
        self.value
            .as_str()
            .ok_or_else(|| self.err("expected a plain string"))
    }

    /// A number, written as one or as a string (both are valid CloudFormation).
    fn int(&self) -> Result<i64, StackError> {
        match self.value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| self.err("expected an integer"))
    }

    fn int32(&self) -> Result<i32, StackError> {
        i32::try_from(self.int()?).map_err(|_| self.err("out of range"))
    }

    fn bool(&self) -> Result<bool, StackError> {
        match self.value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => None,
        }
        .ok_or_else(|| self.err("expected true or false"))
    }

    /// A literal string, number or boolean, as text.
    fn scalar(&self) -> Result<String, StackError> {
        match self.value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.err("expected a literal value")),
        }
    }

    /// A plain string or a `Fn::Sub` of pseudo parameters.
    fn text(&self, pseudo: &Pseudo<'_>) -> Result<String, StackError> {
        if let Some(s) = self.value.as_str() {
            return Ok(s.to_string());
        }
        let sub = self
            .only_key("Fn::Sub")
            .ok_or_else(|| self.err("expected a string or Fn::Sub"))?;
        let mut rest = sub.str()?;
        let mut out = String::new();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| sub.err("unclosed ${ in Fn::Sub"))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                // `${!Name}` is CloudFormation's escape for a literal `${Name}`.
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let value = pseudo
                    .resolve(name)
                    .ok_or_else(|| sub.err(format_args!("cannot resolve ${{{name}}} locally")))?;
                out.push_str(value);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `Fn::GetAtt: [Id, Attribute]` or `Fn::GetAtt: Id.Attribute`.
    fn get_att(&self) -> Result<(&'a str, &'a str), StackError> {
        let att = self
            .only_key("Fn::GetAtt")
            .ok_or_else(|| self.err("expected Fn::GetAtt"))?;
        if let Some(dotted) = att.value.as_str() {
            return dotted
                .split_once('.')
                .ok_or_else(|| att.err("expected Id.Attribute"));
        }
        match att.list()?.as_slice() {
            [id, attribute] => Ok((id.str()?, attribute.str()?)),
            _ => Err(att.err("expected [Id, Attribute]")),
        }
    }

    /// The value under `key` when it is this mapping's only key.
    fn only_key(&self, key: &str) -> Option<Node<'a>> {
        let map = self.value.as_mapping()?;
        if map.len() != 1 {
            return None;
        }
        self.opt(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        Template::load(Path::new(TEMPLATE_PATH)).expect("infra/template.yaml parses")
    }

    #[test]
    fn pollers_are_the_validator_the_worker_the_jobs_and_the_dead_letters_functions() {
        let dead_letters = |queue: &str| PollerSpec {
            function: "DeadLettersFunction".into(),
            binary: "dead-letters".into(),
            queue: queue.into(),
            batch_size: 10,
            report_batch_item_failures: true,
        };
        assert_eq!(
            template().pollers().unwrap(),
            vec![
                PollerSpec {
                    function: "ValidateFunction".into(),
                    binary: "validate".into(),
                    queue: "UploadsQueue".into(),
                    batch_size: 1,
                    report_batch_item_failures: true,
                },
                PollerSpec {
                    function: "WorkerFunction".into(),
                    binary: "worker".into(),
                    queue: "RowsQueue".into(),
                    batch_size: 10,
                    report_batch_item_failures: true,
                },
                PollerSpec {
                    function: "JobsFunction".into(),
                    binary: "jobs".into(),
                    queue: "JobsQueue".into(),
                    batch_size: 5,
                    report_batch_item_failures: true,
                },
                dead_letters("UploadsDeadLetterQueue"),
                dead_letters("RowsDeadLetterQueue"),
                dead_letters("JobsDeadLetterQueue"),
            ]
        );
    }

    #[test]
    fn names_resolve_the_stack_name_and_account() {
        assert_eq!(
            template().names("local").unwrap(),
            ResourceNames {
                table: "local-contacts".into(),
                bucket: "local-files-123456789012".into(),
                uploads_queue: "local-uploads".into(),
                uploads_dlq: "local-uploads-dlq".into(),
                rows_queue: "local-rows".into(),
                rows_dlq: "local-rows-dlq".into(),
                jobs_queue: "local-jobs".into(),
                jobs_dlq: "local-jobs-dlq".into(),
            }
        );
    }

    #[test]
    fn specs_carry_the_declared_properties() {
        let template = template();
        let table = template.table("t").unwrap();
        assert_eq!(table.billing_mode, "PAY_PER_REQUEST");
        assert_eq!(table.attributes.len(), 4);
        assert_eq!(table.global_indexes[0].name, "gsi1");
        assert_eq!(table.global_indexes[0].projection_type, "ALL");
        assert_eq!(
            table.ttl,
            Some(TtlSpec {
                attribute: "expires_at".into(),
                enabled: true
            })
        );
        assert!(table.point_in_time_recovery);

        let rows = template.queue(ROWS_QUEUE, "t").unwrap();
        assert_eq!(rows.attributes["VisibilityTimeout"], "360");
        // Left out of the template: CloudFormation's default.
        assert_eq!(rows.attributes["MessageRetentionPeriod"], "345600");
        assert_eq!(
            rows.redrive,
            Some(RedriveSpec {
                dead_letter_queue: "RowsDeadLetterQueue".into(),
                max_receive_count: 5
            })
        );
        let dlq = template.queue("RowsDeadLetterQueue", "t").unwrap();
        assert_eq!(dlq.attributes["MessageRetentionPeriod"], "1209600");

        let bucket = template.bucket("t").unwrap();
        assert_eq!(bucket.encryption.as_deref(), Some("AES256"));
        assert_eq!(
            bucket.queue_notifications,
            vec![QueueNotification {
                event: "s3:ObjectCreated:*".into(),
                queue: UPLOADS_QUEUE.into(),
                key_filter: vec![("prefix".into(), "uploads/".into())],
            }]
        );
        let rules: Vec<_> = bucket
            .lifecycle_rules
            .iter()
            .map(|r| (r.id.as_str(), r.expiration_days, r.abort_multipart_days))
            .collect();
        assert_eq!(
            rules,
            [
                ("uploads", Some(1), Some(1)),
                ("results", Some(7), Some(1)),
                ("work", Some(7), Some(1)),
                ("exports", Some(7), Some(1)),
            ]
        );
    }

    #[test]
    fn short_form_intrinsics_are_refused() {
        let yaml = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub \"${AWS::StackName}-q\"\n";
        let err = Template::parse(yaml).unwrap_err().to_string();
        assert!(err.contains("Resources.Q.Properties.QueueName"), "{err}");
        assert!(err.contains("long form"), "{err}");
    }

    #[test]
    fn unsupported_properties_and_substitutions_are_refused() {
        let yaml = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName:\n        Fn::Sub: \"${Other}-q\"\n";
        let err = Template::parse(yaml)
            .unwrap()
            .queue("Q", "s")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot resolve ${Other}"), "{err}");

        let yaml = "Resources:\n  ContactsTable:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PAY_PER_REQUEST\n      StreamSpecification: {StreamViewType: NEW_IMAGE}\n";
        let err = Template::parse(yaml)
            .unwrap()
            .table("s")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ContactsTable.Properties.StreamSpecification: not supported"),
            "{err}"
        );
    }

    #[test]
    fn sub_keeps_escaped_literals() {
        let yaml = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName:\n        Fn::Sub: \"${AWS::StackName}-${!x}\"\n";
        let queue = Template::parse(yaml).unwrap().queue("Q", "s").unwrap();
        assert_eq!(queue.name, "s-${x}");
    }
}
