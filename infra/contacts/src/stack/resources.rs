//! Creates the template's table, queues and bucket with the real SDK clients
//! (on moto's server). `drift` tells how live resources differ from the
//! template: both read the resources through the template's specs
//! (`TableSpec`, `QueueSpec`, `BucketSpec`), so what is created and what is
//! checked are the same declarations.

use std::collections::HashMap;
use std::fmt::Display;
use std::time::Duration;

use aws_sdk_dynamodb::types as ddb;
use aws_sdk_s3::types as s3;
use aws_sdk_sqs::types::QueueAttributeName;
use contact_service::store::Clients;

use super::StackError;
use super::specs::{
    BucketSpec, CorsRuleSpec, KeyElement, LifecycleRuleSpec, OriginsFrom, QueueSpec, ResourceNames,
    TableSpec,
};
use super::template::Template;

/// Changes to the template's values for local runs.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Every queue's `VisibilityTimeout`, in seconds: tests shorten it so
    /// that redeliveries come fast. `drift` then reports it, as it should.
    pub visibility_timeout: Option<i32>,
    /// The browser origins allowed instead of the `AllowedOrigins`
    /// parameter's default.
    pub allowed_origins: Option<Vec<String>>,
    /// Where the stack serves the pages from: what rules naming the
    /// pages' own origin allow besides the parameter's.
    pub pages_origins: Vec<String>,
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
pub(super) struct LiveQueue {
    pub(super) url: String,
    pub(super) arn: String,
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

    let mut bucket = template.bucket(stack_name)?;
    for rule in &mut bucket.cors_rules {
        let parameter = overrides
            .allowed_origins
            .clone()
            .unwrap_or_else(|| rule.origins.clone());
        match rule.origins_from {
            OriginsFrom::Listed => {}
            OriginsFrom::Parameter => rule.origins = parameter,
            OriginsFrom::PagesAndParameter => {
                rule.origins = [overrides.pages_origins.clone(), parameter].concat();
            }
        }
    }
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
pub(super) async fn find_queue(
    name: &str,
    clients: &Clients,
) -> Result<Option<LiveQueue>, StackError> {
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

    let cors_rules: Vec<&CorsRuleSpec> = bucket
        .cors_rules
        .iter()
        .filter(|r| !r.origins.is_empty())
        .collect();
    if !cors_rules.is_empty() {
        let mut configuration = s3::CorsConfiguration::builder();
        for rule in cors_rules {
            configuration = configuration.cors_rules(
                s3::CorsRule::builder()
                    .set_id(rule.id.clone())
                    .set_allowed_methods(Some(rule.methods.clone()))
                    .set_allowed_origins(Some(rule.origins.clone()))
                    .set_allowed_headers(Some(rule.headers.clone()))
                    .set_expose_headers(Some(rule.exposed.clone()))
                    .set_max_age_seconds(rule.max_age)
                    .build()
                    .map_err(built)?,
            );
        }
        clients
            .s3
            .put_bucket_cors()
            .bucket(name)
            .cors_configuration(configuration.build().map_err(built)?)
            .send()
            .await
            .map_err(aws(format_args!("PutBucketCors {name}")))?;
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

/// Maps an SDK error to `StackError::Aws`, saying which call failed.
pub(super) fn aws<E>(call: impl Display) -> impl FnOnce(E) -> StackError
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
