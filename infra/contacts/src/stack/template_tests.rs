//! The template reader against `infra/template.yaml` itself: what the local
//! stack reads of each resource, and the properties it refuses.

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
    assert_eq!(table.attributes.len(), 14);
    assert_eq!(table.global_indexes[0].name, "gsi1");
    assert_eq!(table.global_indexes[0].projection_type, "ALL");
    // The search's indexes project the contact's id only.
    let by_name = &table.global_indexes[2];
    assert_eq!(by_name.name, "name");
    assert_eq!(by_name.projection_type, "INCLUDE");
    assert_eq!(by_name.non_key_attributes, ["id"]);
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
