//! `pipeline-bench [ROWS] [--latency] [--until review|confirm]`: imports a
//! generated file (200,000 rows unless told) end to end on the local stack,
//! through the HTTP API and the presigned URL, and prints the time of each
//! stage and the DynamoDB, SQS and S3 calls per 1,000 rows, with the
//! busiest DynamoDB partition's share of the writes. `--latency` makes
//! every call of the functions wait AWS's latency (`stack/latency.rs`), so
//! a stage's time less its time without shows its round trips in series;
//! `--until` stops after that stage. A report, not a test: it exits 0
//! whether targets are met.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use contact_service::operations::Role;
use contacts::client::ApiClient;
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
}

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
    let result = measure(&stack, &file, &bytes, run.until.as_deref()).await;
    stack.stop().await;
    result
}

/// Prints the stages measured so far.
fn print_stages(stack: &Stack, stages: &[Stage]) {
    match &stack.latency {
        Some(model) => println!(
            "Latency model on: {:?}; the calls waited {:.1} s in all (side by side or not).\n",
            LatencyProfile::AWS,
            model.waited_ms() as f64 / 1000.0
        ),
        None => println!("Latency model off: moto answers each call at once.\n"),
    }
    println!("| stage | seconds |\n| --- | ---: |");
    let mut total = Duration::ZERO;
    for stage in stages {
        total += stage.took;
        println!("| {} | {:.2} |", stage.name, stage.took.as_secs_f64());
    }
    println!("| **total** | **{:.2}** |\n", total.as_secs_f64());
}

async fn measure(stack: &Stack, file: &Path, bytes: &[u8], until: Option<&str>) -> Res<()> {
    let api = ApiClient::new(&stack.api_url, Some(stack.token("bench", Role::Owner)));
    let err = |e: contacts::client::ClientError| e.to_string();
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
    stages.push(Stage {
        name: "create + presigned upload",
        took: start.elapsed(),
    });

    let start = Instant::now();
    let review = api.wait_for_review(&id).await.map_err(err)?;
    stages.push(Stage {
        name: "validation (S3 event → review)",
        took: start.elapsed(),
    });
    if review["status"] != "review" {
        return Err(format!(
            "validation ended {}: {}",
            review["status"], review["error"]
        ));
    }
    if until == Some("review") {
        println!("## Pipeline benchmark to the review: {}\n", file.display());
        print_stages(stack, &stages);
        return Ok(());
    }

    let start = Instant::now();
    api.confirm(&id).await.map_err(err)?;
    stages.push(Stage {
        name: "confirm (fan-out of chunk messages)",
        took: start.elapsed(),
    });
    if until == Some("confirm") {
        println!("## Pipeline benchmark to the confirm: {}\n", file.display());
        print_stages(stack, &stages);
        return Ok(());
    }

    let start = Instant::now();
    let done = api
        .wait_for(&id, Duration::from_secs(3600), |i: &Value| {
            i["status"] != "importing"
        })
        .await
        .map_err(err)?;
    stages.push(Stage {
        name: "workers (chunks → contacts, result file)",
        took: start.elapsed(),
    });
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
    stages.push(Stage {
        name: "result download",
        took: start.elapsed(),
    });
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
    print_stages(stack, &stages);
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
