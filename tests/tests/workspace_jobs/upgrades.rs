//! A job running across an upgrade that changed how a shard keeps its
//! place in the contacts.

use contact_service::operations::jobs::JOB_PLACE_LOST;
use contact_service::records::{JobKind, JobRecord, Phase, ShardProgress, StepCounts};

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_place_an_earlier_version_kept_fails_in_plain_words_instead_of_stalling() {
    let service = &shared().service;
    let ws = "ws-upgraded-job";
    let export = JobRecord::started(
        "exp_before_upgrade".into(),
        ws,
        JobKind::Export,
        vec!["phone".into()],
        None,
    );
    let jobs = &service.store().jobs;
    jobs.create(&export).await.unwrap();
    // Its shard 3 stopped after a contact id: the place as the listing
    // kept it before it read the `created` index.
    let old_place = ShardProgress {
        step: 1,
        cursor: Some("c_01jd0zq1m3k2v8x7y6w5t4s3r2".into()),
        ..ShardProgress::default()
    };
    let moved = jobs
        .advance_shard(
            &export,
            Phase::Select,
            3,
            0,
            &old_place,
            StepCounts::default(),
        )
        .await
        .unwrap();
    assert!(moved);

    // The step that goes on from there is handled (not handed back to the
    // queue to fail again until the dead-letter queue) and ends the job.
    service
        .jobs
        .run_step(ws, &export.id, Phase::Select, 3, 1)
        .await
        .expect("the step is handled");
    let job = stored_job(service, ws, &export.id).await;
    assert_eq!(job.status, JobStatus::Failed, "{job:?}");
    assert_eq!(job.error.as_deref(), Some(JOB_PLACE_LOST));
    // The workspace is told why, once.
    let api = shared().owner(ws);
    let notes = ok(api.call("GET", "/v1/notifications", None).await).body;
    let failed: Vec<&Value> = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "export_failed")
        .collect();
    assert_eq!(failed.len(), 1, "{notes}");
    assert!(
        failed[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains(JOB_PLACE_LOST)),
        "{notes}"
    );
}
