//! `pipeline-bench [ROWS] [--latency] [--until review|confirm] [--cap WRU]`:
//! imports a generated file (200,000 rows unless told) end to end on the
//! local stack, through the HTTP API and the presigned URL, and prints the
//! time of each stage with the DynamoDB read and write units it consumed
//! (counted as AWS bills them, `infra/local/capacity.py`), the DynamoDB,
//! SQS and S3 calls per 1,000 rows, the busiest DynamoDB partition's share
//! of the writes, and the time the workers' write units need at a table's
//! capacity of 4,000 and 40,000 write units a second.
//!
//! Before that main import, the same file goes through the review's stages
//! (upload, validation, confirm) a first time, in a workspace of its own,
//! with every call of the functions waiting AWS's latency
//! (`stack/latency.rs`): a stage's time with the latency less its time
//! without (the main import's) is its round trips in series. That first
//! import's chunks are held back and dropped once sent, so it writes no
//! contact and the main import's figures are its own. `--latency` instead
//! runs the main import with the latency throughout; `--until` stops the
//! main import after that stage; `--cap` caps the table's (and each
//! index's) write units a second during the workers' stage, so that moto
//! throttles as DynamoDB would. A report, not a test: it exits 0 whether
//! targets are met.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use contact_service::operations::Role;
use contacts::client::ApiClient;
use contacts::stack::capacity::{CapacityReport, Caps};
use contacts::stack::latency::{Delayed, LatencyProfile};
use contacts::stack::local::{Stack, StackOptions};
use serde_json::Value;

type Res<T> = Result<T, String>;

/// What a run measures.
struct Run {
    rows: u64,
    /// The main import waits AWS's latency on every call too.
    latency: bool,
    /// The last stage measured: `review`, `confirm`, or every stage.
    until: Option<String>,
    /// Write units a second the table and each index may take during the
    /// workers' stage.
    cap: Option<f64>,
}

/// Table capacities (write units a second) the workers' stage is priced
/// at: a new on-demand table's, and a warmed one's.
const CAPACITIES: [f64; 2] = [4_000.0, 40_000.0];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = Run {
        rows: args.iter().find_map(|a| a.parse().ok()).unwrap_or(200_000),
        latency: args.iter().any(|a| a == "--latency"),
        until: args
            .iter()
            .position(|a| a == "--until")
            .and_then(|i| args.get(i + 1).cloned()),
        cap: args
            .iter()
            .position(|a| a == "--cap")
            .and_then(|i| args.get(i + 1))
            .and_then(|c| c.parse().ok()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match runtime.block_on(bench(run)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pipeline-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The sample generator's file of `rows` rows, made once into `.bench/`.
fn input(rows: u64) -> Res<PathBuf> {
    let root = repo_root();
    let out = root.join(format!(".bench/local-{rows}.csv"));
    if out.is_file() {
        return Ok(out);
    }
    std::fs::create_dir_all(root.join(".bench")).map_err(|e| e.to_string())?;
    let generator = root.join("../shared/samples/generate-contacts.py");
    let partial = out.with_extension("csv.partial");
    let status = Command::new("python3")
        .arg(&generator)
        .arg(rows.to_string())
        .arg(&partial)
        .status()
        .map_err(|e| format!("{}: {e}", generator.display()))?;
    if !status.success() {
        return Err(format!("{} failed: {status}", generator.display()));
    }
    std::fs::rename(&partial, &out).map_err(|e| e.to_string())?;
    Ok(out)
}

struct Stage {
    name: &'static str,
    took: Duration,
    /// CPU time this process spent in the stage: the functions' own work
    /// (moto runs in a process of its own), with the bench's client's.
    cpu: Duration,
    /// DynamoDB's units the stage's calls consumed.
    units: CapacityReport,
}

/// CPU time (user and system) this process has used so far.
fn cpu_used() -> Duration {
    // SAFETY: getrusage only writes the struct it is handed.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// When a stage began: the clock and the CPU used until then.
struct Began {
    at: Instant,
    cpu: Duration,
}

fn begin() -> Began {
    Began {
        at: Instant::now(),
        cpu: cpu_used(),
    }
}

impl Stage {
    /// Ends the stage begun at `began`: its time and CPU, and the units
    /// counted since the last stage ended.
    async fn ended(stack: &Stack, name: &'static str, began: Began) -> Res<Stage> {
        let took = began.at.elapsed();
        let cpu = cpu_used().saturating_sub(began.cpu);
        let units = stack.capacity.reset().await.map_err(|e| e.to_string())?;
        Ok(Stage {
            name,
            took,
            cpu,
            units,
        })
    }
}

async fn bench(run: Run) -> Res<()> {
    let file = input(run.rows)?;
    let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    eprintln!("pipeline-bench: starting the local stack …");
    let stack = Stack::start(StackOptions {
        concurrency: 6,
        latency: Some(LatencyProfile::AWS),
        ..StackOptions::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    let result = measure(&stack, &file, &bytes, &run).await;
    stack.stop().await;
    result
}

/// Prints the stages measured so far, with the DynamoDB units each consumed
/// (per 1,000 of the file's `rows`).
fn print_stages(stages: &[Stage], rows: u64) {
    let per_1000 = |units: f64| units * 1000.0 / rows.max(1) as f64;
    println!(
        "| stage | seconds | CPU s | read units | write units | RRU per 1,000 rows | WRU per 1,000 rows | throttled calls |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let (mut total, mut cpu) = (Duration::ZERO, Duration::ZERO);
    let (mut read, mut write, mut throttled) = (0.0, 0.0, 0);
    for stage in stages {
        total += stage.took;
        cpu += stage.cpu;
        let u = &stage.units;
        read += u.read_units();
        write += u.write_units();
        throttled += u.throttled();
        println!(
            "| {} | {:.2} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {} |",
            stage.name,
            stage.took.as_secs_f64(),
            stage.cpu.as_secs_f64(),
            u.read_units(),
            u.write_units(),
            per_1000(u.read_units()),
            per_1000(u.write_units()),
            u.throttled()
        );
    }
    println!(
        "| **total** | **{:.2}** | {:.2} | {read:.0} | {write:.0} | {:.0} | {:.0} | {throttled} |\n",
        total.as_secs_f64(),
        cpu.as_secs_f64(),
        per_1000(read),
        per_1000(write)
    );
}

/// Where the workers' write units went (the table, each index) and how long
/// they take at each capacity in CAPACITIES: the stage can be no faster.
fn print_capacity(workers: &Stage, rows: u64) {
    let per_row = |units: f64| units / rows.max(1) as f64;
    println!("Workers' write units by table and index, per row:\n");
    println!("| where | write units | per row |\n| --- | ---: | ---: |");
    for (place, units) in &workers.units.places {
        if units.write > 0.0 {
            println!(
                "| {place} | {:.0} | {:.2} |",
                units.write,
                per_row(units.write)
            );
        }
    }
    println!("\nThe table's part by kind of item (the key's words):\n");
    println!("| item | write units | per row |\n| --- | ---: | ---: |");
    for (kind, units) in &workers.units.kinds {
        println!("| {kind} | {units:.0} | {:.2} |", per_row(*units));
    }
    let write = workers.units.write_units();
    let busiest = workers
        .units
        .places
        .values()
        .map(|u| u.write)
        .fold(0.0, f64::max);
    println!(
        "\n| table capacity (WRU/s, table and each index) | seconds the workers' writes need at least |\n| ---: | ---: |"
    );
    for capacity in CAPACITIES {
        // Each index has the capacity too: the busiest of table and
        // indexes sets the pace.
        println!("| {capacity:.0} | {:.1} |", busiest / capacity);
    }
    println!(
        "\n({write:.0} write units in all, {:.2} a row; the busiest of table and indexes took {busiest:.0}.)\n",
        per_row(write)
    );
}

/// AWS's us-east-1 list prices, written down 2026-12-05 (sources in
/// docs/CAPACITY.md): DynamoDB on-demand (since the November 2024 cut),
/// Lambda on Arm, SQS standard queues, S3 Standard requests.
const PRICE_WRU: f64 = 0.625e-6;
const PRICE_RRU: f64 = 0.125e-6;
const PRICE_LAMBDA_GB_SECOND: f64 = 0.000_013_333_4;
const PRICE_LAMBDA_REQUEST: f64 = 0.20e-6;
const PRICE_SQS_REQUEST: f64 = 0.40e-6;
const PRICE_S3_PUT: f64 = 0.005e-3;
const PRICE_S3_GET: f64 = 0.0004e-3;
/// The functions' memory in the template: the validator's, the others'.
const VALIDATE_GB: f64 = 1.0;
const OTHERS_GB: f64 = 0.5;

/// What the import would cost on AWS: DynamoDB by the units counted; Lambda
/// by its CPU here (a floor: a function is billed while it waits on calls
/// too); SQS by its calls (the event source's included); S3 by its calls.
fn print_cost(
    stages: &[Stage],
    calls: &std::collections::BTreeMap<(String, String), u64>,
    receives: u64,
    deletes: u64,
    rows: u64,
) {
    let read: f64 = stages.iter().map(|s| s.units.read_units()).sum();
    let write: f64 = stages.iter().map(|s| s.units.write_units()).sum();
    let gb_seconds: f64 = stages
        .iter()
        .map(|s| {
            let gb = if s.name.starts_with("validation") {
                VALIDATE_GB
            } else {
                OTHERS_GB
            };
            s.cpu.as_secs_f64() * gb
        })
        .sum();
    let count = |service: &str, operations: &[&str]| -> u64 {
        calls
            .iter()
            .filter(|((s, o), _)| {
                s == service && (operations.is_empty() || operations.contains(&o.as_str()))
            })
            .map(|(_, n)| n)
            .sum()
    };
    let sqs = count("SQS", &[]) + receives + deletes;
    // Each receive that brought messages is one invocation, and the
    // validator's one.
    let invocations = receives + 1;
    let puts = count(
        "S3",
        &[
            "PutObject",
            "ListObjectsV2",
            "CopyObject",
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload",
        ],
    );
    let gets = count("S3", &["GetObject", "HeadObject"]);
    let lines = [
        (
            "DynamoDB writes",
            format!("{write:.0} WRU × $0.625/M"),
            write * PRICE_WRU,
        ),
        (
            "DynamoDB reads",
            format!("{read:.0} RRU × $0.125/M"),
            read * PRICE_RRU,
        ),
        (
            "Lambda duration (CPU, a floor)",
            format!("{gb_seconds:.1} GB-s × $0.0000133334"),
            gb_seconds * PRICE_LAMBDA_GB_SECOND,
        ),
        (
            "Lambda requests",
            format!("about {invocations} × $0.20/M"),
            invocations as f64 * PRICE_LAMBDA_REQUEST,
        ),
        (
            "SQS requests",
            format!("{sqs} × $0.40/M"),
            sqs as f64 * PRICE_SQS_REQUEST,
        ),
        (
            "S3 PUT/LIST",
            format!("{puts} × $0.005/1,000"),
            puts as f64 * PRICE_S3_PUT,
        ),
        (
            "S3 GET/HEAD",
            format!("{gets} × $0.0004/1,000"),
            gets as f64 * PRICE_S3_GET,
        ),
    ];
    println!(
        "\nCost of this import on AWS (us-east-1 prices of 2026-12-05, on-demand, Arm Lambda):\n"
    );
    println!("| what | how much | dollars |\n| --- | --- | ---: |");
    let mut total = 0.0;
    for (what, how, dollars) in &lines {
        total += dollars;
        println!("| {what} | {how} | {dollars:.4} |");
    }
    println!(
        "| **total** | | **{total:.4}** ({:.4} per 1,000 rows) |\n",
        total * 1000.0 / rows.max(1) as f64
    );
    let cpu: f64 = stages.iter().map(|s| s.cpu.as_secs_f64()).sum();
    println!(
        "Lambda CPU: {cpu:.1} s in all, {:.3} s per 1,000 rows (this process's CPU: the functions' work and the bench's client; moto's is not counted).\n",
        cpu * 1000.0 / rows.max(1) as f64
    );
}

/// The workspace of the import whose review is timed with AWS's latency.
const LATENCY_WORKSPACE: &str = "bench-latency";

/// The review's stages of one import of `bytes`: create and upload,
/// validation, and the confirm unless `confirm` is false. Answers the
/// import's id, its review, and the stages.
async fn review_stages(
    stack: &Stack,
    api: &ApiClient,
    bytes: &[u8],
    confirm: bool,
) -> Res<(String, Value, Vec<Stage>)> {
    let err = |e: contacts::client::ClientError| e.to_string();
    let mut stages = Vec::new();
    let start = begin();
    let created = api
        .start_import("contacts.csv", bytes, None)
        .await
        .map_err(err)?;
    let created = created.expect(201, "POST /v1/imports").map_err(err)?;
    let id = created["id"].as_str().unwrap_or_default().to_string();
    stages.push(Stage::ended(stack, "create + presigned upload", start).await?);

    let start = begin();
    let review = api.wait_for_review(&id).await.map_err(err)?;
    stages.push(Stage::ended(stack, "validation (S3 event → review)", start).await?);
    if review["status"] != "review" {
        return Err(format!(
            "validation ended {}: {}",
            review["status"], review["error"]
        ));
    }
    if confirm {
        let start = begin();
        api.confirm(&id).await.map_err(err)?;
        stages.push(
            Stage::ended(
                stack,
                "confirm (the answer; the chunks are sent behind it)",
                start,
            )
            .await?,
        );
    }
    Ok((id, review, stages))
}

/// Chunks of the first import the bench runs itself, one at a time,
/// alternately with and without AWS's latency.
const TIMED_CHUNKS: usize = 6;

/// What the first import's timed chunks took, in seconds each: with the
/// latency, without it, and what their calls waited in all.
struct ChunkTimes {
    with: Vec<f64>,
    without: Vec<f64>,
    waited_ms: u64,
}

/// Takes [`TIMED_CHUNKS`] of the first import's chunk messages off the
/// held rows queue and runs each through the worker, one at a time,
/// alternately with and without AWS's latency: a chunk's time with less
/// its time without is the round trips its worker makes one after another
/// (moto's own time is the same either way).
async fn time_chunks(stack: &Stack, latency: &Delayed) -> Res<ChunkTimes> {
    let jobs = stack
        .take_held_chunks(TIMED_CHUNKS, Duration::from_secs(60))
        .await
        .map_err(|e| e.to_string())?;
    let mut times = ChunkTimes {
        with: Vec::new(),
        without: Vec::new(),
        waited_ms: 0,
    };
    let waited_before = latency.waited_ms();
    for (i, job) in jobs.iter().enumerate() {
        let with_latency = i % 2 == 0;
        latency.set_paused(!with_latency);
        let started = Instant::now();
        let ran = stack.service.worker.run_chunk(job).await;
        let took = started.elapsed().as_secs_f64();
        latency.set_paused(true);
        ran.map_err(|e| format!("a timed chunk: {e}"))?;
        if with_latency {
            times.with.push(took);
        } else {
            times.without.push(took);
        }
    }
    times.waited_ms = latency.waited_ms() - waited_before;
    Ok(times)
}

/// The review's stages of a first import of the file, in a workspace of
/// its own, with every call waiting AWS's latency, and a few of its chunks
/// timed both ways ([`time_chunks`]). Its other chunks are held back, and
/// dropped once its fan-out has sent them all: the main import meets an
/// empty workspace of its own.
async fn review_with_latency(
    stack: &Stack,
    latency: &Delayed,
    bytes: &[u8],
) -> Res<(Vec<Stage>, ChunkTimes)> {
    let api = ApiClient::new(
        &stack.api_url,
        Some(stack.token(LATENCY_WORKSPACE, Role::Owner)),
    );
    stack.hold_rows(true);
    latency.set_paused(false);
    stack.capacity.reset().await.map_err(|e| e.to_string())?;
    let reviewed = review_stages(stack, &api, bytes, true).await;
    latency.set_paused(true);
    let (id, _, stages) = reviewed?;
    let imports = &stack.service.store().imports;
    let started = Instant::now();
    loop {
        let record = imports
            .import(LATENCY_WORKSPACE, &id)
            .await
            .map_err(|e| format!("reading the first import: {e}"))?;
        if record.is_some_and(|r| r.fanned_out) {
            break;
        }
        if started.elapsed() > Duration::from_secs(300) {
            return Err("the first import's chunks were not sent in 5 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let chunks = time_chunks(stack, latency).await?;
    stack
        .clients
        .sqs
        .purge_queue()
        .queue_url(&stack.resources.rows_queue_url)
        .send()
        .await
        .map_err(|e| format!("dropping the first import's chunks: {e}"))?;
    stack.hold_rows(false);
    Ok((stages, chunks))
}

/// Each review stage's time without the latency (the main import's) and
/// with it (the first import's): the difference is the stage's round trips
/// in series.
fn print_latency(without: &[Stage], with: &[Stage], chunks: &ChunkTimes, waited_ms: u64) {
    println!(
        "Each review stage twice: the main import without added latency, and a first import of the same file (its own workspace; a few chunks timed, the others dropped) with every call waiting AWS's latency ({:?}; its calls waited {:.1} s in all, side by side or not).\n",
        LatencyProfile::AWS,
        waited_ms as f64 / 1000.0
    );
    println!(
        "| stage | seconds without latency | seconds with AWS's latency | added (round trips in series) |\n| --- | ---: | ---: | ---: |"
    );
    for (plain, slow) in without.iter().zip(with) {
        let (a, b) = (plain.took.as_secs_f64(), slow.took.as_secs_f64());
        println!("| {} | {a:.2} | {b:.2} | {:+.2} |", plain.name, b - a);
    }
    let mean = |times: &[f64]| times.iter().sum::<f64>() / times.len().max(1) as f64;
    let (a, b) = (mean(&chunks.without), mean(&chunks.with));
    println!(
        "| one chunk, run alone by the worker (mean of {} without, {} with; the first import's) | {a:.2} | {b:.2} | {:+.2} |",
        chunks.without.len(),
        chunks.with.len(),
        b - a
    );
    println!(
        "\nThe timed chunks: {:.2?} s without, {:.2?} s with; their calls waited {:.1} s in all, side by side or not.\n",
        chunks.without,
        chunks.with,
        chunks.waited_ms as f64 / 1000.0
    );
}

async fn measure(stack: &Stack, file: &Path, bytes: &[u8], run: &Run) -> Res<()> {
    let until = run.until.as_deref();
    let err = |e: contacts::client::ClientError| e.to_string();
    let meter = |e: contacts::stack::StackError| e.to_string();
    let latency = stack
        .latency
        .as_ref()
        .ok_or("the stack has no latency model")?;
    let with_latency = if run.latency {
        None
    } else {
        eprintln!("pipeline-bench: the review with AWS's latency, on a first import …");
        let waited = latency.waited_ms();
        let (stages, chunks) = review_with_latency(stack, latency, bytes).await?;
        Some((stages, chunks, latency.waited_ms() - waited))
    };
    latency.set_paused(!run.latency);
    let polled =
        |stat: &std::sync::atomic::AtomicU64| stat.load(std::sync::atomic::Ordering::Relaxed);
    let (receives_before, deletes_before) = (
        polled(&stack.pollers.receives),
        polled(&stack.pollers.deletes),
    );
    stack.capacity.reset().await.map_err(meter)?;
    stack.calls.reset();
    stack.calls.track_partitions();

    eprintln!("pipeline-bench: the main import …");
    let api = ApiClient::new(&stack.api_url, Some(stack.token("bench", Role::Owner)));
    let (id, review, mut stages) =
        review_stages(stack, &api, bytes, until != Some("review")).await?;
    let report_review = |stages: &[Stage]| match &with_latency {
        Some((with, chunks, waited)) => print_latency(stages, with, chunks, *waited),
        None => println!(
            "Latency model on throughout: the calls waited {:.1} s in all (side by side or not).\n",
            latency.waited_ms() as f64 / 1000.0
        ),
    };
    if let Some(stage) = until {
        println!("## Pipeline benchmark to the {stage}: {}\n", file.display());
        print_stages(&stages, run.rows);
        report_review(&stages);
        return Ok(());
    }

    if let Some(write) = run.cap {
        stack
            .capacity
            .cap(Caps {
                read: None,
                write: Some(write),
            })
            .await
            .map_err(meter)?;
    }
    let start = begin();
    // Read every 10 s at most: moto takes minutes where AWS takes about
    // half of one, and the progress reads a page makes while it waits are
    // not the import's own calls.
    let done = api
        .wait_for_paced(
            &id,
            Duration::from_secs(3600),
            Duration::from_secs(10),
            |i: &Value| i["status"] != "importing",
        )
        .await
        .map_err(err)?;
    stages.push(
        Stage::ended(
            stack,
            "workers (fan-out, chunks → contacts, result file)",
            start,
        )
        .await?,
    );
    stack.capacity.cap(Caps::default()).await.map_err(meter)?;
    let calls = stack.calls.counts();
    let receives = polled(&stack.pollers.receives) - receives_before;
    let deletes = polled(&stack.pollers.deletes) - deletes_before;
    let (writes, busiest) = stack.calls.partition_writes();

    let start = begin();
    let (status, result) = api
        .download(&format!("/v1/imports/{id}/result"))
        .await
        .map_err(err)?;
    stages.push(Stage::ended(stack, "result download", start).await?);
    if status != 200 {
        return Err(format!("the result answered {status}"));
    }

    let data_rows = review["review"]["rows"].as_u64().unwrap_or(0);
    let per_1000 = |n: u64| n as f64 * 1000.0 / data_rows.max(1) as f64;
    let result_rows = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(result.as_slice())
        .records()
        .count();
    println!(
        "## Pipeline benchmark: {} ({} data rows, {} bytes)\n",
        file.display(),
        data_rows,
        bytes.len()
    );
    println!("Review: {}", review["review"]);
    println!(
        "Result: {} (result file: {result_rows} rows)\n",
        done["result"]
    );
    if let Some(write) = run.cap {
        println!("Workers' stage run under a cap of {write:.0} write units a second.\n");
    }
    print_stages(&stages, data_rows);
    report_review(&stages);
    print_capacity(&stages[3], data_rows);
    println!("| service | calls | per 1,000 rows | target |\n| --- | ---: | ---: | --- |");
    for (service, target) in [("DynamoDB", "≤ 60"), ("SQS", "≤ 2"), ("S3", "")] {
        let mut n: u64 = calls
            .iter()
            .filter(|((s, _), _)| s == service)
            .map(|(_, n)| n)
            .sum();
        if service == "SQS" {
            // The event source mapping's receives and deletes count too.
            n += receives + deletes;
        }
        println!("| {service} | {n} | {:.2} | {target} |", per_1000(n));
    }
    println!("\n| service | operation | calls | per 1,000 rows |\n| --- | --- | ---: | ---: |");
    for ((service, operation), n) in &calls {
        println!("| {service} | {operation} | {n} | {:.2} |", per_1000(*n));
    }
    println!(
        "| SQS (event source mapping) | ReceiveMessage with messages | {receives} | {:.2} |\n| SQS (event source mapping) | DeleteMessageBatch | {deletes} | {:.2} |",
        per_1000(receives),
        per_1000(deletes)
    );
    print_cost(&stages, &calls, receives, deletes, data_rows);
    if let Some((pk, n)) = busiest {
        println!(
            "\nDynamoDB item writes: {writes}; busiest partition key `{pk}` took {n} ({:.2} %, target ≤ 12.5 %).",
            n as f64 * 100.0 / writes.max(1) as f64
        );
    }
    Ok(())
}
