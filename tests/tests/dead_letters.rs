//! Messages that keep failing: SQS moves them to the dead-letter queues
//! (the template's redrive policies, on moto), and the `dead-letters`
//! function ends their import or job as failed, releases the workspace's
//! lock and notifies, so nothing stays stuck.

use std::time::Duration;

use contact_service::lambda::settle_dead_letter;
use contact_service::operations::Role;
use contact_service::operations::dead_letters::{
    FAN_OUT_GAVE_UP, JOB_GAVE_UP, Settled, UPLOAD_GAVE_UP,
};
use contact_service::records::{
    BulkAction, BulkJob, ContactFilter, JobKind, JobMessage, JobRecord, JobStatus, Phase,
};
use contact_service::store::keys;
use contacts::client::ApiClient;
use contacts::stack::local::{Stack, StackOptions};
use end_to_end::*;
use serde_json::{Value, json};

async fn notifications(stack: &Stack, ws: &str) -> Vec<Value> {
    let api = client(&stack.api_url, &stack.auth, ws, Role::Owner);
    let answer = ok(api.call("GET", "/v1/notifications", None).await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["items"].as_array().cloned().unwrap_or_default()
}

fn kinds(notes: &[Value]) -> Vec<String> {
    notes
        .iter()
        .filter_map(|n| n["kind"].as_str().map(str::to_string))
        .collect()
}

async fn send(stack: &Stack, queue_url: &str, body: &str) {
    stack
        .clients
        .sqs
        .send_message()
        .queue_url(queue_url)
        .message_body(body)
        .send()
        .await
        .unwrap();
}

/// A 40-row import reviewed, its stage file deleted (so its chunk fails on
/// every delivery), then confirmed.
async fn confirmed_with_its_stage_gone(stack: &Stack, ws: &str) -> (ApiClient, String) {
    let api = client(&stack.api_url, &stack.auth, ws, Role::Owner);
    let import = reviewed(&api, "clientes.csv", &generated_file(0, 40), None).await;
    let id = id_of(&import);
    break_stage(stack, ws, &id).await;
    let answer = ok(api
        .call("POST", &format!("/v1/imports/{id}/confirm"), None)
        .await);
    assert_eq!(answer.status, 200, "confirm: {}", answer.body);
    (api, id)
}

/// A chunk whose stage file is gone fails on every delivery: after five,
/// SQS moves it to the rows' dead-letter queue, and the import ends as
/// failed with the chunk's rows named; the workspace can import again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_that_keeps_failing_fails_its_import_and_frees_the_workspace() {
    let stack = own_stack(StackOptions {
        visibility_timeout: Some(1),
        ..StackOptions::default()
    })
    .await;
    let ws = "dead-rows";
    let (api, id) = confirmed_with_its_stage_gone(&stack, ws).await;

    let failed = ok(api
        .wait_for(&id, Duration::from_secs(90), |i| {
            i["status"].as_str() != Some("importing")
        })
        .await);
    assert_eq!(failed["status"], "failed", "{failed}");
    let reason = failed["error"].as_str().unwrap_or_default().to_string();
    assert!(
        reason.contains("rows 2 to 41") && reason.contains("import the file again"),
        "{failed}"
    );
    assert_eq!(lock_holder(&stack.service, ws).await, None);
    assert_eq!(
        queue_depth(&stack.clients, &stack.resources.rows_dlq_url).await,
        0,
        "the dead letter was settled"
    );
    assert!(kinds(&notifications(&stack, ws).await).contains(&"import_failed".to_string()));

    // The lock is free: the next import runs to the end.
    let next = reviewed(&api, "otra.csv", &generated_file(100, 5), None).await;
    confirmed(&api, &id_of(&next)).await;
    stack.stop().await;
}

/// A confirmed import's fan-out message that kept failing (the jobs
/// function could not send its chunks): the import fails, once, saying its
/// rows could not be handed on, and the workspace is free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_that_keeps_failing_fails_its_import_once() {
    let stack = own_stack(StackOptions::default()).await;
    let ws = "dead-fan-out";
    // Its chunk cannot finish the import meanwhile.
    let (api, id) = confirmed_with_its_stage_gone(&stack, ws).await;
    let letter = serde_json::to_string(&JobMessage::FanOut {
        workspace: ws.into(),
        import: id.clone(),
        generation: 1,
    })
    .unwrap();
    assert_eq!(
        settle_dead_letter(&stack.service, &letter).await.unwrap(),
        Settled::ImportFailed {
            workspace: ws.into(),
            import: id.clone()
        }
    );
    let failed = ok(api.import(&id).await).body;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["error"], FAN_OUT_GAVE_UP);
    assert_eq!(lock_holder(&stack.service, ws).await, None);
    assert_eq!(
        settle_dead_letter(&stack.service, &letter).await.unwrap(),
        Settled::AlreadyEnded
    );
    stack.stop().await;
}

/// Dead letters of the uploads and jobs queues, as SQS would move them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_uploads_and_job_steps_end_their_import_or_job_once() {
    let stack = own_stack(StackOptions::default()).await;
    let ws = "dead-others";
    let service = &stack.service;

    // An upload whose validation kept failing.
    let api = client(&stack.api_url, &stack.auth, ws, Role::Owner);
    let started = ok(api
        .call(
            "POST",
            "/v1/imports",
            Some(&json!({"file_name": "clientes.csv", "size_bytes": 100})),
        )
        .await);
    assert_eq!(started.status, 201, "{}", started.body);
    let id = started.body["id"].as_str().unwrap().to_string();
    let event = json!({"Records": [{"s3": {"object": {
        "key": keys::upload_object(ws, &id).replace('/', "%2F")
    }}}]})
    .to_string();
    let settled = settle_dead_letter(service, &event).await.unwrap();
    assert_eq!(
        settled,
        Settled::ImportFailed {
            workspace: ws.into(),
            import: id.clone()
        }
    );
    let import = ok(api.import(&id).await).body;
    assert_eq!(import["status"], "failed");
    assert_eq!(import["error"], UPLOAD_GAVE_UP);
    // Once: the same letter again finds the import ended.
    assert_eq!(
        settle_dead_letter(service, &event).await.unwrap(),
        Settled::AlreadyEnded
    );

    // An export step that kept failing, through the jobs' dead-letter queue.
    let export = JobRecord::started(
        "exp_dead".into(),
        ws,
        JobKind::Export,
        vec!["phone".into()],
        None,
    );
    service.store().jobs.create(&export).await.unwrap();
    let step = serde_json::to_string(&JobMessage::Step {
        workspace: ws.into(),
        job: export.id.clone(),
        phase: Phase::Select,
        shard: 3,
        step: 0,
    })
    .unwrap();
    send(&stack, &stack.resources.jobs_dlq_url, &step).await;
    let failed = eventually(Duration::from_secs(30), "the export fails", || async {
        let job = service
            .store()
            .jobs
            .job(ws, &export.id)
            .await
            .unwrap()
            .unwrap();
        (job.status == JobStatus::Failed).then_some(job)
    })
    .await;
    assert_eq!(failed.error.as_deref(), Some(JOB_GAVE_UP));

    // A reset that started, took the lock and kept failing: the lock is
    // released with it.
    let month = "2026-10";
    let reset = JobRecord {
        month: Some(month.into()),
        ..JobRecord::started(
            format!("rst_{month}"),
            ws,
            JobKind::Reset,
            vec!["phone".into()],
            None,
        )
    };
    service.store().jobs.start_reset(&reset).await.unwrap();
    assert_eq!(lock_holder(service, ws).await, Some(reset.id.clone()));
    let start = serde_json::to_string(&JobMessage::StartReset {
        workspace: ws.into(),
        month: month.into(),
    })
    .unwrap();
    assert_eq!(
        settle_dead_letter(service, &start).await.unwrap(),
        Settled::JobFailed {
            workspace: ws.into(),
            job: reset.id.clone()
        }
    );
    assert_eq!(lock_holder(service, ws).await, None);
    assert_eq!(
        settle_dead_letter(service, &start).await.unwrap(),
        Settled::AlreadyEnded
    );

    // A bulk action's step that kept failing: the job fails, once, and the
    // workspace hears of it.
    let bulk = JobRecord {
        bulk: Some(BulkJob {
            action: BulkAction::AddTags {
                tags: vec!["vip".into()],
            },
            filter: ContactFilter::default(),
        }),
        started_by: Some("ana@example.com".into()),
        ..JobRecord::started("blk_dead".into(), ws, JobKind::Bulk, Vec::new(), None)
    };
    service.store().jobs.create(&bulk).await.unwrap();
    let step = serde_json::to_string(&JobMessage::Step {
        workspace: ws.into(),
        job: bulk.id.clone(),
        phase: Phase::Select,
        shard: 7,
        step: 2,
    })
    .unwrap();
    assert_eq!(
        settle_dead_letter(service, &step).await.unwrap(),
        Settled::JobFailed {
            workspace: ws.into(),
            job: bulk.id.clone()
        }
    );
    let job = service
        .store()
        .jobs
        .job(ws, &bulk.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.status, JobStatus::Failed, "{job:?}");
    assert_eq!(job.error.as_deref(), Some(JOB_GAVE_UP));
    assert_eq!(
        settle_dead_letter(service, &step).await.unwrap(),
        Settled::AlreadyEnded
    );

    // Something that is none of ours is dropped.
    assert_eq!(
        settle_dead_letter(service, "not json").await.unwrap(),
        Settled::Unknown
    );
    let kinds = kinds(&notifications(&stack, ws).await);
    for kind in [
        "import_failed",
        "export_failed",
        "reset_failed",
        "bulk_failed",
    ] {
        assert_eq!(
            kinds.iter().filter(|k| *k == kind).count(),
            1,
            "{kind} once: {kinds:?}"
        );
    }
    stack.stop().await;
}
