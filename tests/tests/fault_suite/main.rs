//! The fault suite: DESIGN.md's invariants at scale, under random faults.
//!
//! Four imports run at once, one per purpose (`add_new`, `update_existing`,
//! `add_and_update`, `add_all`), each in a workspace of its own with its own
//! options, dialect and contacts known beforehand, 2,000 rows each. They run
//! on a clean stack and, side by side, on a stack where 10 % of the
//! functions' DynamoDB, S3 and SQS calls fail at random (throttled, a 500, or
//! carried out with the answer lost), messages are handed to two handlers at
//! once and in shuffled batches, and handlers are killed in the middle of
//! their work (their batch comes back after the visibility timeout).
//!
//! For each import, in both runs: no row lost (every row once, in file
//! order, in the result file; progress counts every row), no contact doubled
//! (one contact per imported row, none stray; each identifier claimed by
//! exactly the contacts that hold it, and by one alone where the purpose
//! keeps identifiers unique), the month's counter equal to the contacts
//! created, one completion notification, the lock released, every queue
//! empty at the end (a dead-lettered message would have failed its import).
//! Then the faulted run must equal the clean one: the review, the counts per
//! status, every row's status, reason and contact, every contact's values
//! and every claim.
//!
//! The seed is fixed; `FAULT_SUITE_SEED=<n>` draws other faults. Run it
//! alone with `cargo test -p end-to-end --test fault_suite -- --nocapture`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use contact_engine::options::Identifier;
use contact_service::operations::Role;
use contact_service::records::ids::created_contact_id;
use contact_service::records::time::{local_month, now};
use contact_service::records::{Contact, Settings};
use contact_service::store::{keys, own_items};
use contacts::client::{Answer, ApiClient};
use contacts::stack::calls::{FaultKind, RandomFaults};
use contacts::stack::local::{DeliveryFaults, Stack, StackOptions};
use end_to_end::{
    Item, batch_get, client, ec_phone, file, id_of, import_tag_of, lock_holder, own_stack,
    queue_depth, result_counts, result_file, review_counts, s, scan_items, stored_notifications,
};
use serde_json::{Value, json};

mod cases;
mod client;
mod outcome;
mod snapshot;

use self::cases::*;
use self::client::*;
use self::outcome::*;
use self::snapshot::*;

/// Data rows of each import: four chunks of 500.
const ROWS: u32 = 2_000;
/// The share of DynamoDB, S3 and SQS calls that fail.
const FAULT_RATE: f64 = 0.10;
const SEED_VAR: &str = "FAULT_SUITE_SEED";
const DEFAULT_SEED: u64 = 20_261_121;
/// The faulted stack's queue visibility timeout, in seconds: how long a
/// killed handler's batch, or a message its handler gave back, stays away
/// (the pollers keep a live handler's batch hidden however long it takes).
const VISIBILITY_SECONDS: i32 = 4;
/// How long a stage (validation, an import, the queues draining) may take
/// before the suite gives up.
const STAGE_TIMEOUT: Duration = Duration::from_secs(150);

fn seed() -> u64 {
    match std::env::var(SEED_VAR) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{SEED_VAR}={v} is not a number")),
        _ => DEFAULT_SEED,
    }
}

// ---- One run --------------------------------------------------------------

/// How one import ended, with contact ids replaced by labels that name the
/// same contact in every run: `known:<first name>|<phone>|<email>` for the
/// workspace's contacts from before, `row:<n>` for those the import created.
#[derive(Debug)]
struct Outcome {
    review: [u64; 5],
    counts: [u64; 4],
    /// Every row of the result file: the file's cells, then the status,
    /// the reason and the contact's label.
    rows: Vec<Vec<String>>,
    /// Every contact of the workspace afterwards: its label and values.
    contacts: BTreeMap<String, Value>,
    /// Every claimed phone and email and the labels of its holders.
    claims: BTreeMap<String, Vec<String>>,
}

/// Labels for the workspace's contacts before the import.
type Labels = HashMap<String, String>;

fn client_of(stack: &Stack, ws: &str) -> ApiClient {
    client(&stack.api_url, &stack.auth, ws, Role::Owner)
}

/// The known contacts (an `add_all` import) and the contact limit.
async fn prepare(stack: &Stack, run: &str, case: &Case) {
    let api = client_of(stack, case.ws);
    if case.known.len() > 1 {
        let (_, done) = import(
            run,
            api.clone(),
            "conocidos.csv".into(),
            file(&case.known),
            json!({"purpose": "add_all", "import_tag": false}),
        )
        .await;
        let [imported, ..] = result_counts(&done);
        assert_eq!(imported as usize, case.known.len() - 1, "{done}");
    }
    if let Some(limit) = case.contact_limit {
        let settings = Settings {
            contact_limit: Some(limit),
            ..Settings::default()
        };
        stack
            .service
            .store()
            .workspaces
            .put_settings(case.ws, &settings, 0)
            .await
            .expect("settings stored");
    }
}

/// The workspace's contacts before its import, labelled by their values.
fn known_labels(contacts: &[(String, Value)]) -> Labels {
    let mut labels = Labels::new();
    for (id, values) in contacts {
        let value = |field: &str| values[field].as_str().unwrap_or("").to_string();
        let label = format!(
            "known:{}|{}|{}",
            value("first_name"),
            value("phone"),
            value("email")
        );
        assert!(
            !labels.values().any(|l| *l == label),
            "two known contacts look alike: {label}"
        );
        labels.insert(id.clone(), label);
    }
    labels
}

/// Waits until no message is left in any queue: late copies and
/// redeliveries are handled, and so is anything dead-lettered (which would
/// have failed its import).
async fn drained(stack: &Stack) {
    let r = &stack.resources;
    let queues = [
        &r.uploads_queue_url,
        &r.rows_queue_url,
        &r.jobs_queue_url,
        &r.uploads_dlq_url,
        &r.rows_dlq_url,
        &r.jobs_dlq_url,
    ];
    let start = Instant::now();
    loop {
        let mut left = 0;
        for url in queues {
            left += queue_depth(&stack.clients, url).await;
        }
        if left == 0 {
            return;
        }
        assert!(
            start.elapsed() < STAGE_TIMEOUT,
            "{left} messages still in the queues after {STAGE_TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every case on `stack`: known contacts first (without faults), then the
/// imports at once, faults let loose; answers how each ended.
async fn run(stack: &Stack, cases: &[Case], name: &str) -> Vec<Outcome> {
    let _report = ReportOnPanic(stack);
    let started = Instant::now();
    let lap = |what: &str| {
        eprintln!(
            "fault suite: {name}: {what} after {:.1} s",
            started.elapsed().as_secs_f64()
        );
    };
    stack.calls.pause_random(true);
    all(cases
        .iter()
        .map(|case| prepare(stack, name, case))
        .collect())
    .await;
    let before = scanned(stack, cases).await;
    let labels: Vec<Labels> = cases
        .iter()
        .map(|case| known_labels(before.contacts.get(case.ws).map_or(&[], Vec::as_slice)))
        .collect();
    lap("known contacts in place");
    stack.calls.pause_random(false);
    let imports = cases.iter().map(|case| {
        import(
            name,
            client_of(stack, case.ws),
            case.file_name.to_string(),
            case.bytes.clone(),
            case.options.clone(),
        )
    });
    let ended = all(imports.collect()).await;
    lap("imports completed");
    drained(stack).await;
    lap("queues drained");
    // What is left to read is the end state, not the system under test.
    stack.calls.pause_random(true);
    let imports: Vec<String> = ended.iter().map(|(_, done)| id_of(done)).collect();
    let after = read_back(stack, cases, &before, &imports).await;
    lap("table read");
    assert_index_matches(stack, cases, &after).await;
    lap("search index checked");
    let mut outcomes = Vec::new();
    for ((case, labels), (reviewed, done)) in cases.iter().zip(&labels).zip(&ended) {
        outcomes.push(outcome(stack, case, &after, labels, reviewed, done).await);
    }
    lap("end state checked");
    outcomes
}

/// Runs `futures` at once on this task; answers their outputs in order.
async fn all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(context) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Prints what the faults did when the suite fails on the way.
struct ReportOnPanic<'a>(&'a Stack);

impl Drop for ReportOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            report(self.0);
        }
    }
}

/// The faults injected and what the pollers did, for the log.
fn report(stack: &Stack) -> u64 {
    let log = stack.calls.fault_log();
    let calls = stack.calls.counts();
    for service in ["DynamoDB", "S3", "SQS"] {
        let made: u64 = calls
            .iter()
            .filter(|((s, _), _)| s == service)
            .map(|(_, n)| n)
            .sum();
        let kinds: Vec<String> = [
            FaultKind::Throttle,
            FaultKind::Unavailable,
            FaultKind::LostAnswer,
        ]
        .iter()
        .map(|kind| {
            let n = log
                .injected
                .get(&(service.to_string(), *kind))
                .copied()
                .unwrap_or(0);
            format!("{n} {}", kind.name())
        })
        .collect();
        eprintln!(
            "fault suite:   {service:<8} {made:>6} calls, faults: {}",
            kinds.join(", ")
        );
    }
    let p = &stack.pollers;
    let n = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "fault suite:   {} faults reached the service's code (the SDK's retries absorbed the rest); \
         {} messages handed to two handlers at once, {} handlers killed mid-work, \
         {} messages handed back for another delivery; the most deliveries of one message: {} \
         (the dead-letter queues take a message at its sixth)",
        log.surfaced_total(),
        n(&p.copies),
        n(&p.killed),
        n(&p.handed_back),
        n(&p.most_receives),
    );
    log.total()
}

fn summary(case: &Case, outcome: &Outcome) -> String {
    let [imported, updated, skipped, errors] = outcome.counts;
    format!(
        "{}: {imported} imported, {updated} updated, {skipped} skipped, {errors} errors",
        case.ws
    )
}

/// The faulted run ended exactly as the clean one did.
fn assert_same(case: &Case, clean: &Outcome, faulted: &Outcome) {
    let ws = case.ws;
    assert_eq!(faulted.review, clean.review, "{ws}: the review");
    assert_eq!(faulted.counts, clean.counts, "{ws}: the counts per status");
    for (i, (a, b)) in clean.rows.iter().zip(&faulted.rows).enumerate() {
        assert_eq!(a, b, "{ws}: row {} (status, reason, contact)", i + 2);
    }
    assert_eq!(
        faulted.contacts.len(),
        clean.contacts.len(),
        "{ws}: contacts"
    );
    for (name, values) in &clean.contacts {
        assert_eq!(
            faulted.contacts.get(name),
            Some(values),
            "{ws}: contact {name}"
        );
    }
    assert_eq!(faulted.claims, clean.claims, "{ws}: the claims");
}

/// The faulted stack: random faults on 10 % of the functions' calls,
/// copies, shuffled batches and killed handlers.
fn faulted_stack(seed: u64) -> StackOptions {
    StackOptions {
        visibility_timeout: Some(VISIBILITY_SECONDS),
        random_faults: Some(RandomFaults {
            seed,
            probability: FAULT_RATE,
        }),
        delivery_faults: Some(DeliveryFaults {
            seed,
            copies: 0.4,
            shuffle: true,
            kills: 0.5,
            kill_within: 40,
            kills_per_message: 2,
        }),
        ..StackOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn imports_under_random_faults_end_as_clean_runs() {
    let seed = seed();
    let cases = cases();
    eprintln!(
        "fault suite: seed {seed} ({SEED_VAR} to replay another), {} imports × {ROWS} rows",
        cases.len()
    );
    let started = Instant::now();
    // Each run has a moto server of its own, so the two run side by side.
    let clean = async {
        let stack = own_stack(StackOptions::default()).await;
        let outcomes = run(&stack, &cases, "clean").await;
        stack.stop().await;
        (outcomes, started.elapsed())
    };
    let faulted = async {
        let stack = own_stack(faulted_stack(seed)).await;
        let outcomes = run(&stack, &cases, "faulted").await;
        let injected = report(&stack);
        stack.stop().await;
        (outcomes, injected, started.elapsed())
    };
    let ((clean, clean_took), (faulted, injected, faulted_took)) = tokio::join!(clean, faulted);

    for (case, outcome) in cases.iter().zip(&clean) {
        eprintln!("fault suite: clean   {}", summary(case, outcome));
    }
    for (case, outcome) in cases.iter().zip(&faulted) {
        eprintln!("fault suite: faulted {}", summary(case, outcome));
    }
    // Each import meets every way its rows can end, or the comparison
    // proves little.
    for (case, outcome) in cases.iter().zip(&clean) {
        let [imported, updated, skipped, errors] = outcome.counts;
        let every_end = match case.options["purpose"].as_str() {
            Some("add_new") => imported > 0 && skipped > 0 && errors > 0,
            Some("update_existing") => updated > 0 && skipped > 0 && errors > 0,
            Some("add_and_update") => imported > 0 && updated > 0 && errors > 0,
            _ => imported > 0 && errors > 0,
        };
        assert!(every_end, "{}: {:?}", case.ws, outcome.counts);
    }
    for ((case, clean), faulted) in cases.iter().zip(&clean).zip(&faulted) {
        assert_same(case, clean, faulted);
    }
    assert!(injected > 0, "no fault was injected");
    eprintln!(
        "fault suite: {injected} faults injected, {injected} survived: {} imports of {ROWS} rows \
         ended as their clean runs (clean run {:.1} s, faulted run {:.1} s, side by side)",
        cases.len(),
        clean_took.as_secs_f64(),
        faulted_took.as_secs_f64()
    );
}
