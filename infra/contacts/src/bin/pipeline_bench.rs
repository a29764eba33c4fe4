//! `pipeline-bench [ROWS] [--latency] [--until review|confirm] [--cap WRU]`:
//! imports a generated file (200,000 rows unless told) end to end on the
//! local stack, through the HTTP API and the presigned URL, and prints the
//! time of each stage with the DynamoDB read and write units it consumed
//! (counted as AWS bills them, `infra/local/capacity.py`), the DynamoDB,
//! SQS and S3 calls per 1,000 rows, the busiest DynamoDB partition's share
//! of the writes, and the time the workers' write units need at a table's
//! capacity of 4,000 and 40,000 write units a second. `--latency` makes
//! every call of the functions wait AWS's latency (`stack/latency.rs`), so
//! a stage's time less its time without shows its round trips in series;
//! `--until` stops after that stage; `--cap` caps the table's (and each
//! index's) write units a second during the workers' stage, so that moto
//! throttles as DynamoDB would. A report, not a test: it exits 0 whether
//! targets are met.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use contact_service::operations::Role;
use contacts::client::ApiClient;
use contacts::stack::capacity::{CapacityReport, Caps};
use contacts::stack::latency::LatencyProfile;
use contacts::stack::local::{Stack, StackOptions};
use serde_json::Value;

type Res<T> = Result<T, String>;

/// What a run measures.
struct Run {
    rows: u64,
    latency: Option<LatencyProfile>,
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
        latency: args
            .iter()
            .any(|a| a == "--latency")
            .then_some(LatencyProfile::AWS),
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
    /// DynamoDB's units the stage's calls consumed.
    units: CapacityReport,
}

impl Stage {
    /// Ends the stage begun at `start`: its time, and the units counted
    /// since the last stage ended.
    async fn ended(stack: &Stack, name: &'static str, start: Instant) -> Res<Stage> {
        let took = start.elapsed();
        let units = stack.capacity.reset().await.map_err(|e| e.to_string())?;
        Ok(Stage { name, took, units })
    }
}

async fn bench(run: Run) -> Res<()> {
    let file = input(run.rows)?;
    let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    eprintln!("pipeline-bench: starting the local stack …");
    let stack = Stack::start(StackOptions {
        concurrency: 6,
        latency: run.latency,
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
fn print_stages(stack: &Stack, stages: &[Stage], rows: u64) {
    match &stack.latency {
        Some(model) => println!(
            "Latency model on: {:?}; the calls waited {:.1} s in all (side by side or not).\n",
            LatencyProfile::AWS,
            model.waited_ms() as f64 / 1000.0
        ),
        None => println!("Latency model off: moto answers each call at once.\n"),
    }
    let per_1000 = |units: f64| units * 1000.0 / rows.max(1) as f64;
    println!(
        "| stage | seconds | read units | write units | RRU per 1,000 rows | WRU per 1,000 rows | throttled calls |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let mut total = Duration::ZERO;
    let (mut read, mut write, mut throttled) = (0.0, 0.0, 0);
    for stage in stages {
        total += stage.took;
        let u = &stage.units;
        read += u.read_units();
        write += u.write_units();
        throttled += u.throttled();
        println!(
            "| {} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {} |",
            stage.name,
            stage.took.as_secs_f64(),
            u.read_units(),
            u.write_units(),
            per_1000(u.read_units()),
            per_1000(u.write_units()),
            u.throttled()
        );
    }
    println!(
        "| **total** | **{:.2}** | {read:.0} | {write:.0} | {:.0} | {:.0} | {throttled} |\n",
        total.as_secs_f64(),
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
            println!("| {place} | {:.0} | {:.2} |", units.write, per_row(units.write));
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
    println!("\n| table capacity (WRU/s, table and each index) | seconds the workers' writes need at least |\n| ---: | ---: |");
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

async fn measure(stack: &Stack, file: &Path, bytes: &[u8], run: &Run) -> Res<()> {
    let until = run.until.as_deref();
    let api = ApiClient::new(&stack.api_url, Some(stack.token("bench", Role::Owner)));
    let err = |e: contacts::client::ClientError| e.to_string();
    let meter = |e: contacts::stack::StackError| e.to_string();
    stack.capacity.reset().await.map_err(meter)?;
    stack.calls.reset();
    stack.calls.track_partitions();
    let mut stages = Vec::new();

    let start = Instant::now();
    let created = api
        .start_import("contacts.csv", bytes, None)
        .await
        .map_err(err)?;
    let created = created.expect(201, "POST /v1/imports").map_err(err)?;
    let id = created["id"].as_str().unwrap_or_default().to_string();
    stages.push(Stage::ended(stack, "create + presigned upload", start).await?);

    let start = Instant::now();
    let review = api.wait_for_review(&id).await.map_err(err)?;
    stages.push(Stage::ended(stack, "validation (S3 event → review)", start).await?);
    if review["status"] != "review" {
        return Err(format!(
            "validation ended {}: {}",
            review["status"], review["error"]
        ));
    }
    if until == Some("review") {
        println!("## Pipeline benchmark to the review: {}\n", file.display());
        print_stages(stack, &stages, run.rows);
        return Ok(());
    }

    let start = Instant::now();
    api.confirm(&id).await.map_err(err)?;
    stages.push(Stage::ended(stack, "confirm (fan-out of chunk messages)", start).await?);
    if until == Some("confirm") {
        println!("## Pipeline benchmark to the confirm: {}\n", file.display());
        print_stages(stack, &stages, run.rows);
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
    let start = Instant::now();
    let done = api
        .wait_for(&id, Duration::from_secs(3600), |i: &Value| {
            i["status"] != "importing"
        })
        .await
        .map_err(err)?;
    stages.push(Stage::ended(stack, "workers (chunks → contacts, result file)", start).await?);
    stack.capacity.cap(Caps::default()).await.map_err(meter)?;
    let calls = stack.calls.counts();
    let receives = stack
        .pollers
        .receives
        .load(std::sync::atomic::Ordering::Relaxed);
    let deletes = stack
        .pollers
        .deletes
        .load(std::sync::atomic::Ordering::Relaxed);
    let (writes, busiest) = stack.calls.partition_writes();

    let start = Instant::now();
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
    print_stages(stack, &stages, data_rows);
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
    if let Some((pk, n)) = busiest {
        println!(
            "\nDynamoDB item writes: {writes}; busiest partition key `{pk}` took {n} ({:.2} %, target ≤ 12.5 %).",
            n as f64 * 100.0 / writes.max(1) as f64
        );
    }
    Ok(())
}
