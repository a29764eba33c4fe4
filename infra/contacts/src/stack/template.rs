//! Reads `infra/template.yaml` and answers what the local stack needs: the
//! resources' names and properties, and which functions poll which queue.
//!
//! The readers are strict: a property the local stack cannot reproduce is an
//! error, never silently skipped, so the local resources cannot drift from
//! the template unnoticed.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml_ng::Value;

use super::StackError;
use super::cfn::{Node, Pseudo, reject_tags};
use super::specs::{
    BucketSpec, CorsRuleSpec, IndexSpec, KeyElement, LifecycleRuleSpec, OriginsFrom, PollerSpec,
    PublicAccessBlock, QueueNotification, QueueSpec, RedriveSpec, ResourceNames, TableSpec,
    TtlSpec,
};

/// The template, beside this crate.
pub const TEMPLATE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");

pub use super::cfn::{ACCOUNT_ID, REGION};

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
            // Capacity bought ahead: nothing to create on moto.
            "WarmThroughput",
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
            "CorsConfiguration",
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
        let mut cors_rules = Vec::new();
        if let Some(c) = props.opt("CorsConfiguration") {
            c.only(&["CorsRules"])?;
            for rule in c.req("CorsRules")?.list()? {
                rule.only(&[
                    "Id",
                    "AllowedMethods",
                    "AllowedOrigins",
                    "AllowedHeaders",
                    "ExposedHeaders",
                    "MaxAge",
                ])?;
                let strings = |key: &str| -> Result<Vec<String>, StackError> {
                    match rule.opt(key) {
                        Some(list) => list
                            .list()?
                            .iter()
                            .map(|n| n.str().map(str::to_string))
                            .collect(),
                        None => Ok(Vec::new()),
                    }
                };
                let origins_node = rule.req("AllowedOrigins")?;
                let (origins, origins_from) = match split_origins(&origins_node)? {
                    Some((name, from)) => (self.list_parameter_default(name)?, from),
                    None => (strings("AllowedOrigins")?, OriginsFrom::Listed),
                };
                cors_rules.push(CorsRuleSpec {
                    id: rule
                        .opt("Id")
                        .map(|i| i.str().map(str::to_string))
                        .transpose()?,
                    methods: strings("AllowedMethods")?,
                    origins,
                    origins_from,
                    headers: strings("AllowedHeaders")?,
                    exposed: strings("ExposedHeaders")?,
                    max_age: rule.opt("MaxAge").map(|m| m.int32()).transpose()?,
                });
            }
        }
        Ok(BucketSpec {
            cors_rules,
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

    /// The default of a `CommaDelimitedList` parameter, split.
    pub fn list_parameter_default(&self, name: &str) -> Result<Vec<String>, StackError> {
        let root = Node {
            value: &self.root,
            path: String::new(),
        };
        let parameter = root.req("Parameters")?.req(name)?;
        let kind = parameter.req("Type")?.str()?;
        if kind != "CommaDelimitedList" && kind != "String" {
            return Err(parameter.err(format_args!(
                "{name} is a {kind}, not a comma-separated String or a CommaDelimitedList"
            )));
        }
        Ok(parameter
            .opt("Default")
            .map(|d| d.str().map(str::to_string))
            .transpose()?
            .unwrap_or_default()
            .split(',')
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect())
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

/// The distribution serving the pages on AWS; locally the stack serves them.
pub const PAGES_ORIGIN: &str = "https://${PagesDistribution.DomainName}";

/// The origins a comma-separated parameter (and perhaps the pages' own
/// origin) are split into: `Fn::Split: [",", Ref: NAME]`, or
/// `Fn::Split: [",", Fn::Sub: "https://${PagesDistribution.DomainName},${NAME}"]`.
fn split_origins<'a>(list: &Node<'a>) -> Result<Option<(&'a str, OriginsFrom)>, StackError> {
    let Some(split) = list.only_key("Fn::Split") else {
        return Ok(None);
    };
    let parts = split.list()?;
    let [separator, source] = parts.as_slice() else {
        return Err(split.err("expected Fn::Split: [\",\", source]"));
    };
    if separator.str()? != "," {
        return Err(separator.err("origins are split at commas"));
    }
    if let Some(name) = source.only_key("Ref") {
        return Ok(Some((name.str()?, OriginsFrom::Parameter)));
    }
    let sub = source
        .only_key("Fn::Sub")
        .ok_or_else(|| source.err("expected Ref: Parameter or Fn::Sub"))?
        .str()?;
    sub.strip_prefix(PAGES_ORIGIN)
        .and_then(|rest| rest.strip_prefix(",${"))
        .and_then(|rest| rest.strip_suffix('}'))
        .map(|name| Some((name, OriginsFrom::PagesAndParameter)))
        .ok_or_else(|| {
            source.err(format_args!(
                "locally, origins are split from \"{PAGES_ORIGIN},${{Parameter}}\""
            ))
        })
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

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
