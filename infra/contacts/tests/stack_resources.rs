//! The local stack's resources, created on moto's server from
//! `infra/template.yaml`, match the template; a live change is reported.

use std::path::Path;
use std::time::Duration;

use aws_sdk_dynamodb::types::TimeToLiveSpecification;
use aws_sdk_s3::types::NotificationConfiguration;
use aws_sdk_sqs::types::QueueAttributeName;
use contact_service::store::Clients;
use contacts::stack::drift::drift;
use contacts::stack::moto::Moto;
use contacts::stack::resources::{Overrides, create};
use contacts::stack::template::{TEMPLATE_PATH, Template};

async fn stack() -> (Moto, Clients, Template) {
    let moto = Moto::start().await.expect("moto starts");
    let clients = Clients::local(&moto.endpoint, &[]);
    let template = Template::load(Path::new(TEMPLATE_PATH)).expect("the template parses");
    (moto, clients, template)
}

async fn bucket_cors(
    clients: &Clients,
    bucket: &str,
) -> aws_sdk_s3::operation::get_bucket_cors::GetBucketCorsOutput {
    clients
        .s3
        .get_bucket_cors()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn created_resources_match_the_template_until_changed() {
    let (_moto, clients, template) = stack().await;
    let resources = create(&template, "local", &clients, &Overrides::default())
        .await
        .expect("resources are created");
    assert_eq!(resources.names, template.names("local").unwrap());
    assert!(resources.rows_queue_url.ends_with("/local-rows"));

    assert_eq!(
        drift(&template, "local", &clients).await.unwrap(),
        Vec::<String>::new()
    );
    // The bucket lets the template's default origin PUT and GET.
    let cors = bucket_cors(&clients, &resources.names.bucket).await;
    let [rule] = cors.cors_rules() else {
        panic!("one CORS rule: {cors:?}");
    };
    assert_eq!(rule.allowed_origins(), ["http://localhost:5173"]);
    assert_eq!(rule.allowed_methods(), ["PUT", "GET"]);

    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&resources.rows_queue_url)
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        drift(&template, "local", &clients).await.unwrap(),
        ["queue local-rows: VisibilityTimeout is 1, the template says 360"]
    );

    // A removed configuration is drift too.
    clients
        .s3
        .delete_bucket_lifecycle()
        .bucket(&resources.names.bucket)
        .send()
        .await
        .unwrap();
    // So are time to live turned off and notifications removed.
    clients
        .dynamodb
        .update_time_to_live()
        .table_name(&resources.names.table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expires_at")
                .enabled(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    clients
        .s3
        .put_bucket_notification_configuration()
        .bucket(&resources.names.bucket)
        .notification_configuration(NotificationConfiguration::builder().build())
        .send()
        .await
        .unwrap();
    let found = drift(&template, "local", &clients).await.unwrap();
    assert_eq!(found.len(), 7, "{found:#?}");
    for expected in [
        "bucket local-files-123456789012: lifecycle rule uploads is missing",
        "bucket local-files-123456789012: lifecycle rule exports is missing",
        "table local-contacts: time to live is off, the template says on expires_at",
    ] {
        assert!(found.contains(&expected.to_string()), "{found:#?}");
    }
    assert!(
        found.iter().any(|d| d.starts_with(
            "bucket local-files-123456789012: notification s3:ObjectCreated:* to arn:aws:sqs:us-east-1:123456789012:local-uploads"
        ) && d.ends_with("is missing")),
        "{found:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn overrides_shorten_visibility_and_show_as_drift() {
    let (_moto, clients, template) = stack().await;
    let overrides = Overrides {
        visibility_timeout: Some(2),
        ..Overrides::default()
    };
    create(&template, "short", &clients, &overrides)
        .await
        .unwrap();
    let found = drift(&template, "short", &clients).await.unwrap();
    assert!(
        found.contains(
            &"queue short-uploads: VisibilityTimeout is 2, the template says 720".to_string()
        ),
        "{found:#?}"
    );
    assert!(
        found.iter().all(|d| d.contains("VisibilityTimeout is 2")),
        "{found:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_notifies_the_uploads_queue() {
    let (_moto, clients, template) = stack().await;
    let resources = create(&template, "notify", &clients, &Overrides::default())
        .await
        .unwrap();
    for key in ["uploads/w1/i1.csv", "results/w1/i1.csv"] {
        clients
            .s3
            .put_object()
            .bucket(&resources.names.bucket)
            .key(key)
            .body(b"phone\n+14155550100\n".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(&resources.uploads_queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        bodies.extend(
            received
                .messages()
                .iter()
                .filter_map(|m| m.body().map(str::to_string)),
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Only the upload's prefix notifies (moto may add an s3:TestEvent).
    let records: Vec<_> = bodies
        .iter()
        .filter(|b| b.contains("\"Records\""))
        .collect();
    assert_eq!(records.len(), 1, "{bodies:#?}");
    // Event keys are URL-encoded; moto encodes `/` too, which S3 does not.
    let decoded = records[0].replace("%2F", "/");
    assert!(
        decoded.contains("\"key\": \"uploads/w1/i1.csv\""),
        "{bodies:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bucket_lets_the_pages_own_origin_upload_as_the_distributions_does_on_aws() {
    let (_moto, clients, template) = stack().await;
    let overrides = Overrides {
        pages_origins: vec!["http://127.0.0.1:3000".into()],
        ..Overrides::default()
    };
    let resources = create(&template, "pages", &clients, &overrides)
        .await
        .unwrap();
    let cors = bucket_cors(&clients, &resources.names.bucket).await;
    let rules: Vec<(Option<&str>, Vec<String>)> = cors
        .cors_rules()
        .iter()
        .map(|r| (r.id(), r.allowed_origins().to_vec()))
        .collect();
    assert_eq!(
        rules,
        [(
            Some("browser-pages"),
            vec![
                "http://127.0.0.1:3000".to_string(),
                "http://localhost:5173".to_string()
            ]
        )],
        "the pages' own origin first, then the parameter's, in one rule as on AWS"
    );
}
