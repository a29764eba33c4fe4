//! Driving the API as a client does: through HTTP, retrying what a client
//! would retry.

use super::*;

// ---- Driving the API as a client does -------------------------------------

/// Calls the API again while it answers 503 (a store unavailable for a
/// moment), as a client would.
pub(crate) async fn call(
    api: &ApiClient,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Answer {
    let start = Instant::now();
    loop {
        let answer = api
            .call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        if answer.status != 503 {
            return answer;
        }
        assert!(
            start.elapsed() < STAGE_TIMEOUT,
            "{method} {path} answered 503 for {STAGE_TIMEOUT:?}: {}",
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads the import until its status satisfies `done`.
pub(crate) async fn wait(
    api: &ApiClient,
    id: &str,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let answer = call(api, "GET", &format!("/v1/imports/{id}"), None).await;
        assert_eq!(answer.status, 200, "GET /v1/imports/{id}: {}", answer.body);
        if done(answer.body["status"].as_str().unwrap_or("")) {
            return answer.body;
        }
        assert!(
            start.elapsed() < STAGE_TIMEOUT,
            "waited {STAGE_TIMEOUT:?} for {what}; the import is {}",
            answer.body
        );
        // Once a second, as a person would look: the suite's faults are
        // for the pipeline's calls more than for the client's reads.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Creates an import, uploads the file, waits for the review, confirms and
/// waits for completion; answers the import in review and completed.
pub(crate) async fn import(
    run: &str,
    api: ApiClient,
    name: String,
    bytes: Vec<u8>,
    options: Value,
) -> (Value, Value) {
    let started = Instant::now();
    // A 503 may hide an import that was stored: it stays awaiting its
    // upload, as a client's abandoned attempt would.
    let request = json!({"file_name": name, "size_bytes": bytes.len(), "options": options});
    let created = call(&api, "POST", "/v1/imports", Some(&request)).await;
    assert_eq!(created.status, 201, "POST /v1/imports: {}", created.body);
    let id = id_of(&created.body);
    let uploaded = api
        .upload(&created.body["upload"], bytes)
        .await
        .unwrap_or_else(|e| panic!("the upload of {name}: {e}"));
    assert_eq!(uploaded, 200, "the upload of {name}");
    let reviewed = wait(&api, &id, &format!("the review of {name}"), |s| {
        !matches!(s, "awaiting_upload" | "validating")
    })
    .await;
    assert_eq!(reviewed["status"], "review", "{name}: {reviewed}");
    let review_took = started.elapsed();
    let confirmed = call(&api, "POST", &format!("/v1/imports/{id}/confirm"), None).await;
    match confirmed.status {
        200 => {}
        // A confirm retried after a 503 finds its own first attempt done.
        409 if confirmed.code() == "not_in_review" => {}
        _ => panic!("confirm {name}: {}", confirmed.body),
    }
    let done = wait(&api, &id, &format!("the import of {name}"), |s| {
        s != "importing" && s != "review"
    })
    .await;
    assert_eq!(done["status"], "completed", "{name}: {done}");
    eprintln!(
        "fault suite: {run}:   {name} reviewed in {:.1} s, completed {:.1} s later",
        review_took.as_secs_f64(),
        (started.elapsed() - review_took).as_secs_f64()
    );
    (reviewed, done)
}
