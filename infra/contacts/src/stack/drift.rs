//! How live resources differ from the template, property by property, in
//! plain words: what the local stack's own test holds against
//! `infra/template.yaml` after `resources::create` made them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Display;

use aws_sdk_dynamodb::types as ddb;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types as s3;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use contact_service::store::Clients;

use super::StackError;
use super::resources::{LiveQueue, aws, find_queue};
use super::specs::{BucketSpec, KeyElement, QueueNotification, QueueSpec, TableSpec};
use super::template::Template;

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
