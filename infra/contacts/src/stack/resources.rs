//! Creates the template's table, queues and bucket with the real SDK clients
//! (on moto's server), and tells how live resources differ from the template.
//!
//! Both read the resources through the template's specs (`TableSpec`,
//! `QueueSpec`, `BucketSpec`), so what is created and what is checked are
//! the same declarations.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Display;
use std::time::Duration;

use aws_sdk_dynamodb::types as ddb;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types as s3;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use contact_service::store::Clients;

use super::StackError;
use super::template::{
    BucketSpec, KeyElement, LifecycleRuleSpec, QueueNotification, QueueSpec, ResourceNames,
    TableSpec, Template,
};

/// Changes to the template's values for local runs.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Every queue's `VisibilityTimeout`, in seconds: tests shorten it so
    /// that redeliveries come fast. `drift` then reports it, as it should.
    pub visibility_timeout: Option<i32>,
}

/// What `create` made.
#[derive(Debug, Clone)]
pub struct Resources {
    pub names: ResourceNames,
    pub uploads_queue_url: String,
    pub uploads_dlq_url: String,
    pub rows_queue_url: String,
    pub rows_dlq_url: String,
    pub jobs_queue_url: String,
    pub jobs_dlq_url: String,
}

impl Resources {
    /// Each queue's logical id in the template, by its URL.
    pub fn queues_by_url(&self) -> std::collections::BTreeMap<String, String> {
        [
            (&self.uploads_queue_url, "UploadsQueue"),
            (&self.uploads_dlq_url, "UploadsDeadLetterQueue"),
            (&self.rows_queue_url, "RowsQueue"),
            (&self.rows_dlq_url, "RowsDeadLetterQueue"),
            (&self.jobs_queue_url, "JobsQueue"),
            (&self.jobs_dlq_url, "JobsDeadLetterQueue"),
        ]
        .into_iter()
        .map(|(url, id)| (url.clone(), id.to_string()))
        .collect()
    }
}

/// A queue as it exists: its URL and ARN.
struct LiveQueue {
    url: String,
    arn: String,
}

/// Creates the table, every queue (dead-letter queues first) and the bucket,
/// as the template declares them.
pub async fn create(
    template: &Template,
    stack_name: &str,
    clients: &Clients,
    overrides: &Overrides,
) -> Result<Resources, StackError> {
    let names = template.names(stack_name)?;
    create_table(&template.table(stack_name)?, clients).await?;

    let mut queues = template.queues(stack_name)?;
    if let Some(seconds) = overrides.visibility_timeout {
        for queue in &mut queues {
            queue
                .attributes
                .insert("VisibilityTimeout".into(), seconds.to_string());
        }
    }
    let live = create_queues(&queues, clients).await?;

    let bucket = template.bucket(stack_name)?;
    create_bucket(&bucket, &live, clients).await?;

    let url = |name: &str| -> Result<String, StackError> {
        queues
            .iter()
            .find(|q| q.name == name)
            .and_then(|q| live.get(&q.logical_id))
            .map(|q| q.url.clone())
            .ok_or_else(|| StackError::Template(format!("queue {name} was not created")))
    };
    Ok(Resources {
        uploads_queue_url: url(&names.uploads_queue)?,
        uploads_dlq_url: url(&names.uploads_dlq)?,
        rows_queue_url: url(&names.rows_queue)?,
        rows_dlq_url: url(&names.rows_dlq)?,
        jobs_queue_url: url(&names.jobs_queue)?,
        jobs_dlq_url: url(&names.jobs_dlq)?,
        names,
    })
}

/// Every difference between the live resources and the template, in plain
/// words; empty when none.
pub async fn drift(
    template: &Template,
    stack_name: &str,
    clients: &Clients,
) -> Result<Vec<String>, StackError> {
    let mut found = Vec::new();
    table_drift(&template.table(stack_name)?, clients, &mut found).await?;

    let queues = template.queues(stack_name)?;
    let mut live = HashMap::new();
    for queue in &queues {
        match find_queue(&queue.name, clients).await? {
            Some(q) => {
                live.insert(queue.logical_id.clone(), q);
            }
            None => found.push(format!("queue {} does not exist", queue.name)),
        }
    }
    for queue in &queues {
        if let Some(q) = live.get(&queue.logical_id) {
            queue_drift(queue, q, &live, clients, &mut found).await?;
        }
    }

    bucket_drift(&template.bucket(stack_name)?, &live, clients, &mut found).await?;
    Ok(found)
}

// ---- the table ----

async fn create_table(table: &TableSpec, clients: &Clients) -> Result<(), StackError> {
    let mut request = clients
        .dynamodb
        .create_table()
        .table_name(&table.name)
        .billing_mode(ddb::BillingMode::from(table.billing_mode.as_str()))
        .set_key_schema(Some(key_schema(&table.key_schema)?));
    for (name, kind) in &table.attributes {
        request = request.attribute_definitions(
            ddb::AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ddb::ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(built)?,
        );
    }
    for index in &table.global_indexes {
        request = request.global_secondary_indexes(
            ddb::GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(key_schema(&index.key_schema)?))
                .projection(
                    ddb::Projection::builder()
                        .projection_type(ddb::ProjectionType::from(index.projection_type.as_str()))
                        .set_non_key_attributes(
                            (!index.non_key_attributes.is_empty())
                                .then(|| index.non_key_attributes.clone()),
                        )
                        .build(),
                )
                .build()
                .map_err(built)?,
        );
    }
    request
        .send()
        .await
        .map_err(aws(format_args!("CreateTable {}", table.name)))?;
    wait_until_active(&table.name, clients).await?;

    if let Some(ttl) = &table.ttl {
        clients
            .dynamodb
            .update_time_to_live()
            .table_name(&table.name)
            .time_to_live_specification(
                ddb::TimeToLiveSpecification::builder()
                    .attribute_name(&ttl.attribute)
                    .enabled(ttl.enabled)
                    .build()
                    .map_err(built)?,
            )
            .send()
            .await
            .map_err(aws(format_args!("UpdateTimeToLive {}", table.name)))?;
    }
    if table.point_in_time_recovery {
        clients
            .dynamodb
            .update_continuous_backups()
            .table_name(&table.name)
            .point_in_time_recovery_specification(
                ddb::PointInTimeRecoverySpecification::builder()
                    .point_in_time_recovery_enabled(true)
                    .build()
                    .map_err(built)?,
            )
            .send()
            .await
            .map_err(aws(format_args!("UpdateContinuousBackups {}", table.name)))?;
    }
    Ok(())
}

/// A new table takes its settings only once active (at once on moto).
async fn wait_until_active(name: &str, clients: &Clients) -> Result<(), StackError> {
    for _ in 0..300 {
        let described = clients
            .dynamodb
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(aws(format_args!("DescribeTable {name}")))?;
        let status = described.table().and_then(|t| t.table_status());
        if status == Some(&ddb::TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(StackError::Aws(format!(
        "table {name} did not become active"
    )))
}

fn key_schema(elements: &[KeyElement]) -> Result<Vec<ddb::KeySchemaElement>, StackError> {
    elements
        .iter()
        .map(|k| {
            ddb::KeySchemaElement::builder()
                .attribute_name(&k.attribute)
                .key_type(ddb::KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(built)
        })
        .collect()
}

async fn table_drift(
    table: &TableSpec,
    clients: &Clients,
    found: &mut Vec<String>,
) -> Result<(), StackError> {
    let what = format!("table {}", table.name);
    let described = match clients
        .dynamodb
        .describe_table()
        .table_name(&table.name)
        .send()
        .await
    {
        Ok(described) => described,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            found.push(format!("{what} does not exist"));
            return Ok(());
        }
        Err(e) => return Err(aws(format_args!("DescribeTable {}", table.name))(e)),
    };
    let Some(live) = described.table() else {
        found.push(format!("{what} is not described"));
        return Ok(());
    };

    let billing = live
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .map_or("PROVISIONED", |b| b.as_str());
    differ(found, &what, "billing mode", billing, &table.billing_mode);

    let live_attributes: BTreeSet<String> = live
        .attribute_definitions()
        .iter()
        .map(|a| format!("{} {}", a.attribute_name(), a.attribute_type().as_str()))
        .collect();
    let attributes: BTreeSet<String> = table
        .attributes
        .iter()
        .map(|(name, kind)| format!("{name} {kind}"))
        .collect();
    differ(
        found,
        &what,
        "attribute definitions",
        join(&live_attributes),
        join(&attributes),
    );

    differ(
        found,
        &what,
        "key schema",
        live_key_schema(live.key_schema()),
        spec_key_schema(&table.key_schema),
    );

    let live_indexes: BTreeMap<&str, &ddb::GlobalSecondaryIndexDescription> = live
        .global_secondary_indexes()
        .iter()
        .map(|i| (i.index_name().unwrap_or_default(), i))
        .collect();
    for index in &table.global_indexes {
        let Some(live_index) = live_indexes.get(index.name.as_str()) else {
            found.push(format!("{what}: index {} does not exist", index.name));
            continue;
        };
        let on = format!("{what}: index {}", index.name);
        differ(
            found,
            &on,
            "key schema",
            live_key_schema(live_index.key_schema()),
            spec_key_schema(&index.key_schema),
        );
        let projection = live_index.projection();
        let live_projection = projection_words(
            projection
                .and_then(|p| p.projection_type())
                .map_or("none", |p| p.as_str()),
            projection.map_or(&[][..], |p| p.non_key_attributes()),
        );
        differ(
            found,
            &on,
            "projection",
            live_projection,
            projection_words(&index.projection_type, &index.non_key_attributes),
        );
    }
    for name in live_indexes.keys() {
        if !table.global_indexes.iter().any(|i| i.name == *name) {
            found.push(format!("{what}: index {name} is not in the template"));
        }
    }

    let ttl = clients
        .dynamodb
        .describe_time_to_live()
        .table_name(&table.name)
        .send()
        .await
        .map_err(aws(format_args!("DescribeTimeToLive {}", table.name)))?;
    let ttl = ttl.time_to_live_description();
    let ttl_on = matches!(
        ttl.and_then(|t| t.time_to_live_status()),
        Some(ddb::TimeToLiveStatus::Enabled | ddb::TimeToLiveStatus::Enabling)
    );
    let live_ttl = if ttl_on {
        format!("on {}", ttl.and_then(|t| t.attribute_name()).unwrap_or("?"))
    } else {
        "off".to_string()
    };
    let want_ttl = match &table.ttl {
        Some(t) if t.enabled => format!("on {}", t.attribute),
        _ => "off".to_string(),
    };
    differ(found, &what, "time to live", live_ttl, want_ttl);

    let backups = clients
        .dynamodb
        .describe_continuous_backups()
        .table_name(&table.name)
        .send()
        .await
        .map_err(aws(format_args!(
            "DescribeContinuousBackups {}",
            table.name
        )))?;
    let recovery_on = backups
        .continuous_backups_description()
        .and_then(|c| c.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status())
        == Some(&ddb::PointInTimeRecoveryStatus::Enabled);
    differ(
        found,
        &what,
        "point-in-time recovery",
        on_off(recovery_on),
        on_off(table.point_in_time_recovery),
    );
    Ok(())
}

fn live_key_schema(elements: &[ddb::KeySchemaElement]) -> String {
    elements
        .iter()
        .map(|k| format!("{} {}", k.attribute_name(), k.key_type().as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn spec_key_schema(elements: &[KeyElement]) -> String {
    elements
        .iter()
        .map(|k| format!("{} {}", k.attribute, k.key_type))
        .collect::<Vec<_>>()
        .join(", ")
}

fn projection_words(kind: &str, non_key_attributes: &[String]) -> String {
    if non_key_attributes.is_empty() {
        kind.to_string()
    } else {
        let mut attributes = non_key_attributes.to_vec();
        attributes.sort();
        format!("{kind} {}", attributes.join(", "))
    }
}

// ---- the queues ----

/// Creates the queues, each after the dead-letter queue it redrives to.
async fn create_queues(
    queues: &[QueueSpec],
    clients: &Clients,
) -> Result<HashMap<String, LiveQueue>, StackError> {
    let mut live: HashMap<String, LiveQueue> = HashMap::new();
    let mut pending: Vec<&QueueSpec> = queues.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut waiting = Vec::new();
        for queue in pending {
            let target = queue.redrive.as_ref().map(|r| &r.dead_letter_queue);
            if target.is_some_and(|t| !live.contains_key(t)) {
                waiting.push(queue);
                continue;
            }
            let mut request = clients.sqs.create_queue().queue_name(&queue.name);
            for (name, value) in &queue.attributes {
                request = request.attributes(QueueAttributeName::from(name.as_str()), value);
            }
            if let Some(redrive) = &queue.redrive {
                let policy = serde_json::json!({
                    "deadLetterTargetArn": live[&redrive.dead_letter_queue].arn,
                    "maxReceiveCount": redrive.max_receive_count,
                });
                request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
            }
            let created = request
                .send()
                .await
                .map_err(aws(format_args!("CreateQueue {}", queue.name)))?;
            let url = created
                .queue_url()
                .ok_or_else(|| StackError::Aws(format!("CreateQueue {}: no URL", queue.name)))?
                .to_string();
            let arn = queue_arn(&url, clients).await?;
            live.insert(queue.logical_id.clone(), LiveQueue { url, arn });
        }
        if waiting.len() == before {
            let ids: Vec<_> = waiting.iter().map(|q| q.logical_id.as_str()).collect();
            return Err(StackError::Template(format!(
                "the redrive policies of {} form a cycle",
                ids.join(", ")
            )));
        }
        pending = waiting;
    }
    Ok(live)
}

async fn queue_arn(url: &str, clients: &Clients) -> Result<String, StackError> {
    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(aws(format_args!("GetQueueAttributes {url}")))?;
    attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| StackError::Aws(format!("GetQueueAttributes {url}: no QueueArn")))
}

/// The queue named `name`, or `None` when there is none.
async fn find_queue(name: &str, clients: &Clients) -> Result<Option<LiveQueue>, StackError> {
    let url = match clients.sqs.get_queue_url().queue_name(name).send().await {
        Ok(found) => found.queue_url().unwrap_or_default().to_string(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_queue_does_not_exist()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(aws(format_args!("GetQueueUrl {name}"))(e)),
    };
    let arn = queue_arn(&url, clients).await?;
    Ok(Some(LiveQueue { url, arn }))
}

async fn queue_drift(
    queue: &QueueSpec,
    live: &LiveQueue,
    queues: &HashMap<String, LiveQueue>,
    clients: &Clients,
    found: &mut Vec<String>,
) -> Result<(), StackError> {
    let what = format!("queue {}", queue.name);
    let attributes = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&live.url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .map_err(aws(format_args!("GetQueueAttributes {}", queue.name)))?;
    let attributes = attributes.attributes().cloned().unwrap_or_default();
    for (name, want) in &queue.attributes {
        let value = attributes.get(&QueueAttributeName::from(name.as_str()));
        differ(
            found,
            &what,
            name,
            value.map_or("unset", |v| v.as_str()),
            want,
        );
    }

    let live_redrive = match attributes.get(&QueueAttributeName::RedrivePolicy) {
        Some(policy) if !policy.is_empty() => {
            let policy: serde_json::Value = serde_json::from_str(policy).map_err(|e| {
                StackError::Aws(format!("{what}: unreadable RedrivePolicy {policy}: {e}"))
            })?;
            // SQS answers the count as a number or as a string.
            let count = match &policy["maxReceiveCount"] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!(
                "to {} after {count} receives",
                policy["deadLetterTargetArn"].as_str().unwrap_or("?")
            )
        }
        _ => "none".to_string(),
    };
    let want_redrive = match &queue.redrive {
        Some(redrive) => {
            let target = queues
                .get(&redrive.dead_letter_queue)
                .map_or("a missing queue", |q| q.arn.as_str());
            format!("to {target} after {} receives", redrive.max_receive_count)
        }
        None => "none".to_string(),
    };
    differ(found, &what, "redrive policy", live_redrive, want_redrive);
    Ok(())
}

// ---- the bucket ----

async fn create_bucket(
    bucket: &BucketSpec,
    queues: &HashMap<String, LiveQueue>,
    clients: &Clients,
) -> Result<(), StackError> {
    let name = &bucket.name;
    clients
        .s3
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .map_err(aws(format_args!("CreateBucket {name}")))?;

    if let Some(algorithm) = &bucket.encryption {
        let rule = s3::ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                s3::ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(s3::ServerSideEncryption::from(algorithm.as_str()))
                    .build()
                    .map_err(built)?,
            )
            .build();
        clients
            .s3
            .put_bucket_encryption()
            .bucket(name)
            .server_side_encryption_configuration(
                s3::ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(built)?,
            )
            .send()
            .await
            .map_err(aws(format_args!("PutBucketEncryption {name}")))?;
    }

    if let Some(block) = &bucket.public_access_block {
        clients
            .s3
            .put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(
                s3::PublicAccessBlockConfiguration::builder()
                    .block_public_acls(block.block_public_acls)
                    .block_public_policy(block.block_public_policy)
                    .ignore_public_acls(block.ignore_public_acls)
                    .restrict_public_buckets(block.restrict_public_buckets)
                    .build(),
            )
            .send()
            .await
            .map_err(aws(format_args!("PutPublicAccessBlock {name}")))?;
    }

    if !bucket.queue_notifications.is_empty() {
        let mut configuration = s3::NotificationConfiguration::builder();
        for notification in &bucket.queue_notifications {
            let queue = queues.get(&notification.queue).ok_or_else(|| {
                StackError::Template(format!("queue {} was not created", notification.queue))
            })?;
            let mut rules = s3::S3KeyFilter::builder();
            for (rule, value) in &notification.key_filter {
                rules = rules.filter_rules(
                    s3::FilterRule::builder()
                        .name(s3::FilterRuleName::from(rule.as_str()))
                        .value(value)
                        .build(),
                );
            }
            configuration = configuration.queue_configurations(
                s3::QueueConfiguration::builder()
                    .queue_arn(&queue.arn)
                    .events(s3::Event::from(notification.event.as_str()))
                    .filter(
                        s3::NotificationConfigurationFilter::builder()
                            .key(rules.build())
                            .build(),
                    )
                    .build()
                    .map_err(built)?,
            );
        }
        clients
            .s3
            .put_bucket_notification_configuration()
            .bucket(name)
            .notification_configuration(configuration.build())
            .send()
            .await
            .map_err(aws(format_args!(
                "PutBucketNotificationConfiguration {name}"
            )))?;
    }

    if !bucket.lifecycle_rules.is_empty() {
        let mut configuration = s3::BucketLifecycleConfiguration::builder();
        for rule in &bucket.lifecycle_rules {
            configuration = configuration.rules(lifecycle_rule(rule)?);
        }
        clients
            .s3
            .put_bucket_lifecycle_configuration()
            .bucket(name)
            .lifecycle_configuration(configuration.build().map_err(built)?)
            .send()
            .await
            .map_err(aws(format_args!("PutBucketLifecycleConfiguration {name}")))?;
    }
    Ok(())
}

fn lifecycle_rule(rule: &LifecycleRuleSpec) -> Result<s3::LifecycleRule, StackError> {
    let status = if rule.enabled {
        s3::ExpirationStatus::Enabled
    } else {
        s3::ExpirationStatus::Disabled
    };
    // CloudFormation's rule-level Prefix becomes the rule's filter.
    let filter = s3::LifecycleRuleFilter::builder()
        .prefix(rule.prefix.clone().unwrap_or_default())
        .build();
    s3::LifecycleRule::builder()
        .id(&rule.id)
        .status(status)
        .filter(filter)
        .set_expiration(
            rule.expiration_days
                .map(|days| s3::LifecycleExpiration::builder().days(days).build()),
        )
        .set_abort_incomplete_multipart_upload(rule.abort_multipart_days.map(|days| {
            s3::AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(days)
                .build()
        }))
        .build()
        .map_err(built)
}

/// A lifecycle rule in words, the same for a live rule and a declared one.
fn lifecycle_words(
    enabled: bool,
    prefix: &str,
    expiration_days: Option<i32>,
    abort_multipart_days: Option<i32>,
) -> String {
    let days = |d: Option<i32>| d.map_or("never".to_string(), |d| format!("after {d} days"));
    format!(
        "{}, prefix {prefix:?}, objects expire {}, incomplete uploads abort {}",
        if enabled { "enabled" } else { "disabled" },
        days(expiration_days),
        days(abort_multipart_days),
    )
}

fn notification_words(event: &str, queue_arn: &str, key_filter: &BTreeSet<String>) -> String {
    format!("{event} to {queue_arn} for keys {}", join(key_filter))
}

async fn bucket_drift(
    bucket: &BucketSpec,
    queues: &HashMap<String, LiveQueue>,
    clients: &Clients,
    found: &mut Vec<String>,
) -> Result<(), StackError> {
    let name = &bucket.name;
    let what = format!("bucket {name}");
    if let Err(e) = clients.s3.head_bucket().bucket(name).send().await {
        if e.as_service_error().is_some_and(|e| e.is_not_found()) {
            found.push(format!("{what} does not exist"));
            return Ok(());
        }
        return Err(aws(format_args!("HeadBucket {name}"))(e));
    }

    // Missing configurations are answered with these error codes.
    let absent = |code: Option<&str>, codes: &[&str]| code.is_some_and(|c| codes.contains(&c));

    let live_encryption = match clients.s3.get_bucket_encryption().bucket(name).send().await {
        Ok(out) => out
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default())
            .map_or("none".to_string(), |d| {
                d.sse_algorithm().as_str().to_string()
            }),
        Err(e)
            if absent(
                e.code(),
                &["ServerSideEncryptionConfigurationNotFoundError"],
            ) =>
        {
            "none".to_string()
        }
        Err(e) => return Err(aws(format_args!("GetBucketEncryption {name}"))(e)),
    };
    differ(
        found,
        &what,
        "default encryption",
        live_encryption,
        bucket.encryption.as_deref().unwrap_or("none"),
    );

    let live_block = match clients
        .s3
        .get_public_access_block()
        .bucket(name)
        .send()
        .await
    {
        Ok(out) => out.public_access_block_configuration().map(|c| {
            [
                c.block_public_acls(),
                c.block_public_policy(),
                c.ignore_public_acls(),
                c.restrict_public_buckets(),
            ]
            .map(|flag| flag.unwrap_or(false))
        }),
        Err(e) if absent(e.code(), &["NoSuchPublicAccessBlockConfiguration"]) => None,
        Err(e) => return Err(aws(format_args!("GetPublicAccessBlock {name}"))(e)),
    };
    let want_block = bucket.public_access_block.map(|b| {
        [
            b.block_public_acls,
            b.block_public_policy,
            b.ignore_public_acls,
            b.restrict_public_buckets,
        ]
    });
    let block_words = |flags: Option<[bool; 4]>| {
        flags.map_or("none".to_string(), |[acls, policy, ignore, restrict]| {
            format!(
                "BlockPublicAcls {acls}, BlockPublicPolicy {policy}, IgnorePublicAcls {ignore}, RestrictPublicBuckets {restrict}"
            )
        })
    };
    differ(
        found,
        &what,
        "public access block",
        block_words(live_block),
        block_words(want_block),
    );

    let notifications = match clients
        .s3
        .get_bucket_notification_configuration()
        .bucket(name)
        .send()
        .await
    {
        Ok(out) => Some(out),
        Err(e) if moto_empty_notifications(&e) => None,
        Err(e) => {
            return Err(aws(format_args!(
                "GetBucketNotificationConfiguration {name}"
            ))(e));
        }
    };
    let queue_configurations = notifications
        .as_ref()
        .map_or(&[][..], |n| n.queue_configurations());
    let mut live_notifications = BTreeSet::new();
    for q in queue_configurations {
        let key_filter = q
            .filter()
            .and_then(|f| f.key())
            .map(|k| k.filter_rules())
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let rule = r.name().map_or("?", |n| n.as_str()).to_ascii_lowercase();
                format!("{rule} {:?}", r.value().unwrap_or_default())
            })
            .collect();
        for event in q.events() {
            live_notifications.insert(notification_words(
                event.as_str(),
                q.queue_arn(),
                &key_filter,
            ));
        }
    }
    let want_notifications: BTreeSet<String> = bucket
        .queue_notifications
        .iter()
        .map(|n| want_notification(n, queues))
        .collect();
    for missing in want_notifications.difference(&live_notifications) {
        found.push(format!("{what}: notification {missing} is missing"));
    }
    for extra in live_notifications.difference(&want_notifications) {
        found.push(format!(
            "{what}: notification {extra} is not in the template"
        ));
    }
    let others = notifications.as_ref().map_or(0, |n| {
        n.topic_configurations().len()
            + n.lambda_function_configurations().len()
            + usize::from(n.event_bridge_configuration().is_some())
    });
    if others > 0 {
        found.push(format!(
            "{what}: {others} topic, function or EventBridge notification(s) not in the template"
        ));
    }

    let live_rules: BTreeMap<String, String> = match clients
        .s3
        .get_bucket_lifecycle_configuration()
        .bucket(name)
        .send()
        .await
    {
        Ok(out) => out
            .rules()
            .iter()
            .map(|r| {
                let words = lifecycle_words(
                    r.status() == &s3::ExpirationStatus::Enabled,
                    live_prefix(r),
                    r.expiration().and_then(|e| e.days()),
                    r.abort_incomplete_multipart_upload()
                        .and_then(|a| a.days_after_initiation()),
                );
                (r.id().unwrap_or_default().to_string(), words)
            })
            .collect(),
        Err(e) if absent(e.code(), &["NoSuchLifecycleConfiguration"]) => BTreeMap::new(),
        Err(e) => {
            return Err(aws(format_args!("GetBucketLifecycleConfiguration {name}"))(
                e,
            ));
        }
    };
    for rule in &bucket.lifecycle_rules {
        let want = lifecycle_words(
            rule.enabled,
            rule.prefix.as_deref().unwrap_or_default(),
            rule.expiration_days,
            rule.abort_multipart_days,
        );
        match live_rules.get(&rule.id) {
            Some(live) => differ(
                found,
                &what,
                &format!("lifecycle rule {}", rule.id),
                live,
                &want,
            ),
            None => found.push(format!("{what}: lifecycle rule {} is missing", rule.id)),
        }
    }
    for id in live_rules.keys() {
        if !bucket.lifecycle_rules.iter().any(|r| &r.id == id) {
            found.push(format!(
                "{what}: lifecycle rule {id} is not in the template"
            ));
        }
    }
    Ok(())
}

/// moto answers an empty notification configuration with the root element
/// `<GetBucketNotificationResponse/>`, which the SDK refuses to parse.
fn moto_empty_notifications<E>(error: &SdkError<E, HttpResponse>) -> bool {
    error.raw_response().is_some_and(|r| {
        let body = r.body().bytes().map(String::from_utf8_lossy);
        r.status().is_success()
            && body.is_some_and(|b| {
                b.contains("<GetBucketNotificationResponse") && b.trim_end().ends_with("/>")
            })
    })
}

/// A live rule's prefix: in its filter, or in the older rule-level field
/// that rules set by other tools may still use.
#[allow(deprecated)]
fn live_prefix(rule: &s3::LifecycleRule) -> &str {
    rule.filter()
        .and_then(|f| f.prefix())
        .or(rule.prefix())
        .unwrap_or_default()
}

fn want_notification(n: &QueueNotification, queues: &HashMap<String, LiveQueue>) -> String {
    let arn = queues
        .get(&n.queue)
        .map_or_else(|| format!("missing queue {}", n.queue), |q| q.arn.clone());
    let key_filter = n
        .key_filter
        .iter()
        .map(|(rule, value)| format!("{rule} {value:?}"))
        .collect();
    notification_words(&n.event, &arn, &key_filter)
}

// ---- words and errors ----

/// Records `what`'s `property` when the live value is not the declared one.
fn differ(
    found: &mut Vec<String>,
    what: &str,
    property: &str,
    live: impl Display,
    want: impl Display,
) {
    let (live, want) = (live.to_string(), want.to_string());
    if live != want {
        found.push(format!(
            "{what}: {property} is {live}, the template says {want}"
        ));
    }
}

fn join(items: &BTreeSet<String>) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    items.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// Maps an SDK error to `StackError::Aws`, saying which call failed.
fn aws<E>(call: impl Display) -> impl FnOnce(E) -> StackError
where
    E: std::error::Error + 'static,
{
    let call = call.to_string();
    move |e| {
        StackError::Aws(format!(
            "{call}: {}",
            aws_sdk_s3::error::DisplayErrorContext(&e)
        ))
    }
}

fn built(e: impl Display) -> StackError {
    StackError::Aws(format!("invalid request: {e}"))
}
