//! DESIGN.md's invariants under injected faults: "nothing lost, nothing
//! doubled" and "identifiers stay unique". Each test imports the same file
//! of 1,200 rows (three chunks of up to 500) on a stack of its own with a
//! fault, and compares the end with a clean run of that file on the shared
//! stack: the same review, the same counts per status, the same status and
//! reason on every row of the result file, every row exactly once in file
//! order, each phone held by exactly one contact, and exactly as many
//! contacts as rows imported.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use contact_engine::options::Identifier;
use contact_service::http::auth::Auth;
use contact_service::operations::Role;
use contact_service::operations::Service;
use contact_service::operations::chunks::chunk_jobs;
use contact_service::records::JobMessage;
use contact_service::store::Clients;
use contacts::client::ApiClient;
use contacts::stack::calls::{Fault, FaultKind};
use contacts::stack::local::{Stack, StackOptions};
use end_to_end::{
    CsvFile, PIPELINE_TIMEOUT, client, completed, ec_phone, eventually, file, id_of, ok, own_stack,
    queue_depth, result_counts, result_file, review_counts, reviewed, seed_contact, shared,
    stored_contacts, stored_import, stored_notifications,
};
use serde_json::{Value, json};
use tokio::sync::{OnceCell, Semaphore};

const ROWS: u32 = 1_200;
const BASE: u32 = 600_000;
/// Rows whose phone a contact already has: they end Updated.
const KNOWN: [u32; 5] = [120, 400, 700, 1_000, 1_150];

/// The phone of row `i` (0-based): every 211th row repeats the one before
/// (both end in error), every 301st has none.
fn phone_of(i: u32) -> String {
    if i % 301 == 150 {
        String::new()
    } else if i % 211 == 7 {
        ec_phone(BASE + i - 1)
    } else {
        ec_phone(BASE + i)
    }
}

/// 1,200 rows: mostly new contacts, some known, some without a first name,
/// some with an invalid email, a repeated or a missing phone.
fn the_file() -> Vec<u8> {
    let mut lines = vec!["Nombre,Apellido,Teléfono,Correo".to_string()];
    for i in 0..ROWS {
        let first = if i % 53 == 5 {
            String::new()
        } else {
            format!("Persona {i}")
        };
        let email = if i % 97 == 3 {
            "no-es-un-correo".to_string()
        } else {
            format!("p{i}@ejemplo.com")
        };
        lines.push(format!("{first},Apellido {i},{},{email}", phone_of(i)));
    }
    file(&lines)
}

/// A stack, as far as a run needs it.
#[derive(Clone, Copy)]
struct Env<'a> {
    api_url: &'a str,
    service: &'a Service,
    auth: &'a Auth,
    clients: &'a Clients,
}

impl<'a> Env<'a> {
    fn of(stack: &'a Stack) -> Self {
        Env {
            api_url: &stack.api_url,
            service: &stack.service,
            auth: &stack.auth,
            clients: &stack.clients,
        }
    }

    fn api(&self, ws: &str) -> ApiClient {
        client(self.api_url, self.auth, ws, Role::Owner)
    }
}

/// How an import of [`the_file`] ended.
#[derive(Debug, Clone)]
struct Run {
    review: [u64; 5],
    counts: [u64; 4],
    result: CsvFile,
}

/// The known contacts, then the file uploaded and reviewed.
async fn prepare(env: Env<'_>, ws: &str) -> Value {
    let api = env.api(ws);
    for i in KNOWN {
        seed_contact(
            &api,
            json!({"first_name": "Semilla", "phone": ec_phone(BASE + i)}),
        )
        .await;
    }
    let import = reviewed(&api, "faults.csv", &the_file(), None).await;
    assert_eq!(import["review"]["rows"], ROWS, "{import}");
    import
}

async fn confirm(api: &ApiClient, id: &str) {
    let answer = ok(api
        .call("POST", &format!("/v1/imports/{id}/confirm"), None)
        .await);
    assert_eq!(answer.status, 200, "confirm: {}", answer.body);
}

/// Waits for completion and checks the invariants that hold whatever the
/// faults: every row once in file order, phones unique, no stray contact.
async fn finish(env: Env<'_>, ws: &str, reviewed: &Value) -> Run {
    let api = env.api(ws);
    let id = id_of(reviewed);
    let done = completed(&api, &id).await;
    let run = Run {
        review: review_counts(reviewed),
        counts: result_counts(&done),
        result: result_file(&api, &id, b',').await,
    };
    assert_eq!(done["progress"]["rows_done"], ROWS, "{done}");
    assert_eq!(run.counts.iter().sum::<u64>(), u64::from(ROWS));
    assert_invariants(env, ws, &run).await;
    run
}

async fn assert_invariants(env: Env<'_>, ws: &str, run: &Run) {
    let result = &run.result;
    // Every row of the file, once, in order.
    assert_eq!(result.rows.len(), ROWS as usize, "every row once");
    for (i, row) in result.rows.iter().enumerate() {
        assert_eq!(row[1], format!("Apellido {i}"), "row {} in place", i + 2);
    }
    assert_eq!(
        result.status_counts(),
        run.counts,
        "the counts are the result file's"
    );
    // Each phone is held by exactly the contact its row names, or by none.
    let mut expected: BTreeMap<String, Option<String>> = BTreeMap::new();
    for i in 0..result.rows.len() {
        let phone = result.cell(i, "Teléfono");
        if phone.is_empty() {
            continue;
        }
        let holder = match result.cell(i, "Import Status") {
            "Imported" | "Updated" => Some(result.cell(i, "Contact ID").to_string()),
            _ => None,
        };
        let entry = expected.entry(phone.to_string()).or_default();
        if holder.is_some() {
            assert!(entry.is_none(), "{phone} written by two rows");
            *entry = holder;
        }
    }
    let phones: Vec<&str> = expected.keys().map(String::as_str).collect();
    for batch in phones.chunks(100) {
        let held = env
            .service
            .store()
            .contacts
            .holders(ws, Identifier::Phone, batch)
            .await
            .unwrap();
        for (phone, holders) in batch.iter().zip(held) {
            let want: Vec<String> = expected[*phone].iter().cloned().collect();
            assert_eq!(holders, want, "the contacts holding {phone}");
        }
    }
    // As many contacts as rows imported, plus the known ones.
    let stored = stored_contacts(env.clients, env.service.store().table_name(), ws).await;
    assert_eq!(
        stored.len() as u64,
        run.counts[0] + KNOWN.len() as u64,
        "no contact doubled, none lost"
    );
    let imported: HashSet<&str> = (0..result.rows.len())
        .filter(|i| result.cell(*i, "Import Status") == "Imported")
        .map(|i| result.cell(i, "Contact ID"))
        .collect();
    assert_eq!(imported.len() as u64, run.counts[0], "one contact per row");
    for id in &imported {
        assert!(stored.contains_key(*id), "{id} is stored");
    }
}

/// The faulted run ended as the clean one did.
fn assert_same(clean: &Run, faulted: &Run) {
    assert_eq!(faulted.review, clean.review, "the review");
    assert_eq!(faulted.counts, clean.counts, "the counts per status");
    let (a, b) = (&clean.result, &faulted.result);
    assert_eq!(a.headers, b.headers);
    for i in 0..a.rows.len() {
        for column in ["Nombre", "Teléfono", "Import Status", "Errors"] {
            assert_eq!(
                a.cell(i, column),
                b.cell(i, column),
                "row {}'s {column}",
                i + 2
            );
        }
    }
}

/// One fault test at a time: each runs a moto server of its own beside the
/// shared one, and a laptop or a CI runner has few cores (running two at
/// once is no faster on two cores, and makes their timing less even).
static FEW_AT_A_TIME: Semaphore = Semaphore::const_new(1);

/// The clean run, on the shared stack, once for all tests.
async fn clean() -> &'static Run {
    static CLEAN: OnceCell<Run> = OnceCell::const_new();
    CLEAN
        .get_or_init(|| async {
            let s = shared();
            let env = Env {
                api_url: &s.api_url,
                service: &s.service,
                auth: &s.auth,
                clients: &s.clients,
            };
            let ws = "faults-clean";
            let import = prepare(env, ws).await;
            confirm(&env.api(ws), &id_of(&import)).await;
            let run = finish(env, ws, &import).await;
            // The file meets every kind of row the faults could confuse.
            let [imported, updated, skipped, errors] = run.counts;
            assert_eq!(updated, KNOWN.len() as u64);
            assert_eq!(skipped, 0);
            assert!(imported > 1_000 && errors > 30, "{:?}", run.counts);
            run
        })
        .await
}

/// Transactions so far on a stack.
fn transactions(stack: &Stack) -> u64 {
    calls(stack, "DynamoDB", "TransactWriteItems")
}

fn calls(stack: &Stack, service: &str, operation: &str) -> u64 {
    stack
        .calls
        .counts()
        .get(&(service.to_string(), operation.to_string()))
        .copied()
        .unwrap_or(0)
}

/// Transactions before any worker's: five known contacts, the validation's
/// (twice when a short visibility timeout hands the upload event to a second
/// validator), then the confirm's.
fn assert_workers_not_started(stack: &Stack) -> u64 {
    let before = transactions(stack);
    assert!(
        (6..=7).contains(&before),
        "the fault's nth counts on 6 or 7 transactions before the confirm, not {before}"
    );
    before
}

/// Waits until `queue_url` is empty and a handler has made more than
/// `before` calls of `operation` (its first step), that is until the
/// messages sent were taken and handled.
async fn drained(stack: &Stack, queue_url: &str, operation: &str, before: u64) {
    eventually(PIPELINE_TIMEOUT, "the messages to be handled", || async {
        let handled = calls(stack, "DynamoDB", operation) > before
            && queue_depth(&stack.clients, queue_url).await == 0;
        handled.then_some(())
    })
    .await;
}

/// Sends `body` to the uploads queue as S3 would, and waits until a
/// validator has taken it (its first step is a conditional update of the
/// import) and the queue is empty again.
async fn send_upload_event(stack: &Stack, body: &str) {
    let updates = calls(stack, "DynamoDB", "UpdateItem");
    stack
        .clients
        .sqs
        .send_message()
        .queue_url(&stack.resources.uploads_queue_url)
        .message_body(body)
        .send()
        .await
        .unwrap();
    drained(
        stack,
        &stack.resources.uploads_queue_url,
        "UpdateItem",
        updates,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_upload_events_validate_once_and_change_nothing_later() {
    let _turn = FEW_AT_A_TIME.acquire().await.unwrap();
    let clean = clean().await;
    let stack = own_stack(StackOptions::default()).await;
    let env = Env::of(&stack);
    let ws = "faults-s3-events";
    let api = env.api(ws);
    let import = prepare(env, ws).await;
    let id = id_of(&import);
    let size = the_file().len();
    let event = json!({"Records": [{
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": stack.resources.names.bucket},
            "object": {"key": format!("uploads%2F{ws}%2F{id}"), "size": size}
        }
    }]})
    .to_string();

    // In review: the same event again does not validate again.
    send_upload_event(&stack, &event).await;
    let again = ok(api.import(&id).await).body;
    assert_eq!(again["status"], "review", "{again}");
    assert_eq!(
        again["expires_at"], import["expires_at"],
        "the hour did not restart"
    );
    assert_eq!(again["review"], import["review"]);
    let record = stored_import(&stack.service, ws, &id).await;
    assert_eq!(record.generation, 1);
    assert_eq!(record.validating_message, None);

    confirm(&api, &id).await;
    let run = finish(env, ws, &import).await;
    assert_same(clean, &run);

    // Completed: the event again changes nothing.
    let (_, result_before) = ok(api.download(&format!("/v1/imports/{id}/result")).await);
    let before = ok(api.import(&id).await).body;
    send_upload_event(&stack, &event).await;
    let after = ok(api.import(&id).await).body;
    assert_eq!(after, before, "the import is untouched");
    let (_, result_after) = ok(api.download(&format!("/v1/imports/{id}/result")).await);
    assert_eq!(result_after, result_before, "the result file is untouched");
    assert_invariants(env, ws, &run).await;
    let notes = stored_notifications(&stack.service, ws).await;
    assert_eq!(notes.len(), 1, "one notification: {notes:?}");
    stack.stop().await;
}

/// The confirm's transaction is done but its fan-out message cannot be
/// queued (SQS answers 500 past the SDK's retries): the confirm answers 503
/// and the import stays importing with no chunk sent. The client's retry
/// finds it so and queues the fan-out; the run ends as a clean one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirm_whose_fan_out_could_not_be_queued_queues_it_when_retried() {
    let _turn = FEW_AT_A_TIME.acquire().await.unwrap();
    let clean = clean().await;
    let stack = own_stack(StackOptions {
        faults: vec![Fault {
            // The confirm's fan-out message is the first send.
            operation: "SendMessageBatch",
            nth: 1,
            repeat: 3,
            kind: FaultKind::Unavailable,
        }],
        ..StackOptions::default()
    })
    .await;
    let env = Env::of(&stack);
    let ws = "faults-fan-out-queue";
    let api = env.api(ws);
    let import = prepare(env, ws).await;
    let id = id_of(&import);
    let first = ok(api
        .call("POST", &format!("/v1/imports/{id}/confirm"), None)
        .await);
    assert_eq!(first.status, 503, "confirm: {}", first.body);
    assert_eq!(stack.calls.injected(), 3, "the fault happened");
    let stored = stored_import(&stack.service, ws, &id).await;
    assert_eq!(stored.status.as_str(), "importing");
    assert!(!stored.fanned_out, "no chunk was sent");
    confirm(&api, &id).await;
    let run = finish(env, ws, &import).await;
    assert_same(clean, &run);
    stack.stop().await;
}

/// Confirm answers once it has queued the fan-out; the jobs function sends
/// the chunks. Here its send is carried out but its answer lost (as if the
/// function died right after it): the fan-out message comes back and sends
/// every chunk again, and each chunk still counts once. A fan-out message
/// delivered again after the import completed does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_that_sent_its_chunks_but_never_heard_so_sends_again_and_each_row_counts_once() {
    let _turn = FEW_AT_A_TIME.acquire().await.unwrap();
    let clean = clean().await;
    let stack = own_stack(StackOptions {
        visibility_timeout: Some(2),
        faults: vec![Fault {
            // The confirm's fan-out message is the first send; the jobs
            // function's send of the chunks the second (and its retries).
            operation: "SendMessageBatch",
            nth: 2,
            repeat: 3,
            kind: FaultKind::LostAnswer,
        }],
        ..StackOptions::default()
    })
    .await;
    // The workers wait until the fan-out has come back and sent again, so
    // that the resend meets an import still importing (else the workers
    // may finish from the lost sends' chunks first, and the fan-out that
    // comes back rightly does nothing).
    stack.hold_rows(true);
    let env = Env::of(&stack);
    let ws = "faults-fan-out";
    let api = env.api(ws);
    let import = prepare(env, ws).await;
    let id = id_of(&import);
    assert_eq!(
        calls(&stack, "SQS", "SendMessageBatch"),
        0,
        "no message was sent before the confirm"
    );
    confirm(&api, &id).await;
    eventually(
        Duration::from_secs(60),
        "the chunks are sent again after the lost answers",
        || async { (calls(&stack, "SQS", "SendMessageBatch") >= 5).then_some(()) },
    )
    .await;
    stack.hold_rows(false);
    let run = finish(env, ws, &import).await;
    assert_eq!(stack.calls.injected(), 3, "the fault happened");
    assert_same(clean, &run);

    // The fan-out message again, once completed: nothing is sent.
    let before = ok(api.import(&id).await).body;
    let sent = calls(&stack, "SQS", "SendMessageBatch");
    let record = stored_import(&stack.service, ws, &id).await;
    let again = JobMessage::FanOut {
        workspace: ws.into(),
        import: id.clone(),
        generation: record.generation,
    };
    // The fan-out's first step reads the import.
    let jobs_read = calls(&stack, "DynamoDB", "GetItem");
    stack.service.store().queues.jobs(&[again]).await.unwrap();
    drained(
        &stack,
        &stack.resources.jobs_queue_url,
        "GetItem",
        jobs_read,
    )
    .await;
    assert_eq!(
        calls(&stack, "SQS", "SendMessageBatch"),
        sent + 1,
        "only the message sent by hand"
    );
    assert_eq!(ok(api.import(&id).await).body, before);
    assert_invariants(env, ws, &run).await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_delivered_twice_reversed_and_sent_again_end_as_one_clean_run() {
    let _turn = FEW_AT_A_TIME.acquire().await.unwrap();
    let clean = clean().await;
    let stack = own_stack(StackOptions {
        deliver_twice: true,
        ..StackOptions::default()
    })
    .await;
    let env = Env::of(&stack);
    let ws = "faults-twice";
    let api = env.api(ws);
    let import = prepare(env, ws).await;
    let id = id_of(&import);
    confirm(&api, &id).await;

    // Every chunk message once more, built as the confirm builds them.
    let record = stored_import(&stack.service, ws, &id).await;
    let plan = stack.service.imports.plan(&record).await.unwrap();
    let chunks = chunk_jobs(&record, &plan);
    assert_eq!(chunks.len(), 3, "three chunks of up to 500 rows");
    stack.service.store().queues.chunks(&chunks).await.unwrap();

    let run = finish(env, ws, &import).await;
    assert_same(clean, &run);

    // And again once completed: nothing changes.
    let before = ok(api.import(&id).await).body;
    // A worker's first step reads the import and its chunk marker.
    let reads = calls(&stack, "DynamoDB", "BatchGetItem");
    stack.service.store().queues.chunks(&chunks).await.unwrap();
    drained(
        &stack,
        &stack.resources.rows_queue_url,
        "BatchGetItem",
        reads,
    )
    .await;
    assert_eq!(ok(api.import(&id).await).body, before);
    assert_invariants(env, ws, &run).await;
    let notes = stored_notifications(&stack.service, ws).await;
    assert_eq!(notes.len(), 1, "one notification: {notes:?}");
    stack.stop().await;
}

/// A worker loses the answer to some of its transactions, carried out all
/// the same (as if it had died right after them); the chunk runs again.
async fn worker_dies(ws: &str, nth: u64, repeat: u64) {
    let _turn = FEW_AT_A_TIME.acquire().await.unwrap();
    let clean = clean().await;
    let stack = own_stack(StackOptions {
        visibility_timeout: Some(2),
        faults: vec![Fault {
            operation: "TransactWriteItems",
            nth,
            repeat,
            kind: FaultKind::LostAnswer,
        }],
        ..StackOptions::default()
    })
    .await;
    let env = Env::of(&stack);
    let api = env.api(ws);
    let import = prepare(env, ws).await;
    let before = assert_workers_not_started(&stack);
    assert!(
        nth > before + 1,
        "the fault lands after the confirm's transaction"
    );
    confirm(&api, &id_of(&import)).await;
    let run = finish(env, ws, &import).await;
    assert_eq!(stack.calls.injected(), repeat, "the fault happened");
    assert_same(clean, &run);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_dying_after_a_partial_chunk_write_changes_nothing() {
    // The second (or third) transaction of the workers: some rows of a chunk
    // are written, the worker never hears so.
    worker_dies("faults-dies-once", 10, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_dying_twice_in_a_row_changes_nothing() {
    worker_dies("faults-dies-twice", 11, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_reads_and_writes_change_nothing() {
    let _turn = FEW_AT_A_TIME.acquire().await.unwrap();
    let clean = clean().await;
    let throttle = |operation, nth, repeat| Fault {
        operation,
        nth,
        repeat,
        kind: FaultKind::Throttle,
    };
    let stack = own_stack(StackOptions {
        faults: vec![
            // The validator's first lookups.
            throttle("BatchGetItem", 1, 2),
            // The workers' reads and writes.
            throttle("BatchGetItem", 30, 2),
            throttle("TransactWriteItems", 10, 2),
        ],
        ..StackOptions::default()
    })
    .await;
    let env = Env::of(&stack);
    let ws = "faults-throttled";
    let api = env.api(ws);
    let import = prepare(env, ws).await;
    assert_workers_not_started(&stack);
    let reads = calls(&stack, "DynamoDB", "BatchGetItem");
    assert!(
        reads < 30,
        "the second read fault lands in the workers: {reads}"
    );
    assert_eq!(
        stack.calls.injected(),
        2,
        "the validator's reads were throttled"
    );
    confirm(&api, &id_of(&import)).await;
    let run = finish(env, ws, &import).await;
    assert_eq!(stack.calls.injected(), 6, "every throttle happened");
    assert_same(clean, &run);
    stack.stop().await;
}

/// A validator that fails after writing some of its files, then meets a
/// transaction cancelled by a conflicting one: the validation runs again
/// each time (for the same message, so it may resume), and the review and
/// the import end as a clean run's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_dying_or_meeting_a_conflict_validates_once() {
    let _turn = FEW_AT_A_TIME.acquire().await.unwrap();
    let clean = clean().await;
    let stack = own_stack(StackOptions {
        visibility_timeout: Some(2),
        faults: vec![
            // The second of the validator's files (the stage file) is
            // stored, but the validator never hears so.
            Fault {
                operation: "PutObject",
                nth: 2,
                repeat: 1,
                kind: FaultKind::LostAnswer,
            },
            // The five seeds take five transactions; the sixth is the
            // validator's review.
            Fault {
                operation: "TransactWriteItems",
                nth: 6,
                repeat: 1,
                kind: FaultKind::Conflict,
            },
        ],
        ..StackOptions::default()
    })
    .await;
    let env = Env::of(&stack);
    let ws = "faults-validator";
    let api = env.api(ws);
    let import = prepare(env, ws).await;
    assert_eq!(stack.calls.injected(), 2, "both faults happened");
    let id = id_of(&import);
    let record = stored_import(&stack.service, ws, &id).await;
    assert_eq!(record.generation, 1, "validated as the first generation");
    assert_eq!(record.validating_message, None);
    confirm(&api, &id).await;
    let run = finish(env, ws, &import).await;
    assert_same(clean, &run);
    stack.stop().await;
}
